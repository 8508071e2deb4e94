// The /dashboard page: panels from /api/metrics, refreshed when the live stream (/api/dashboard/live) shows new events.
(() => {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const filters = () => ({ range: $("range").value, app: $("app").value.trim(), user: $("user").value.trim() });
  const query = (f) => new URLSearchParams(Object.entries(f).filter(([, v]) => v)).toString();
  let lastEventsToday = null;
  let refreshTimer = null;
  let source = null;

  async function load() {
    const f = filters();
    const response = await fetch(`/api/metrics?${query(f)}`).catch(() => null);
    if (!response) { $("dashboard-message").textContent = "The server could not be reached; retrying with the next live update."; return; }
    const data = await response.json();
    if (!response.ok) { $("dashboard-message").textContent = data.error || "The dashboard could not be loaded."; return; }
    $("dashboard-message").textContent = "";
    UsageDashboard.render(root, data);
    root.dataset.loadedAt = new Date().toISOString();
  }

  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; load(); }, 1500);
  }

  function setLive(state, text) {
    const live = $("live");
    live.className = "live " + state;
    $("live-text").textContent = text;
  }

  function connect() {
    if (source) source.close();
    const f = filters();
    source = new EventSource(`/api/dashboard/live?${query({ app: f.app })}`);
    source.addEventListener("open", () => setLive("on", "live"));
    source.addEventListener("error", () => setLive("off", "reconnecting…"));
    source.addEventListener("live", (message) => {
      const update = JSON.parse(message.data);
      setLive("on", "live");
      const live = update.live;
      $("live-events").textContent = live.eventsToday.toLocaleString("en-US");
      $("live-errors").textContent = `${live.errorsToday.toLocaleString("en-US")} errors`;
      $("live-queue").textContent = `${update.queueDepth} / ${update.spoolFiles}`;
      $("live-write").textContent = update.lastSuccessfulWrite ? "last write " + update.lastSuccessfulWrite.slice(11, 19) + " UTC" : "no write yet";
      const drops = Object.entries(update.dropped || {});
      const dropped = $("live-dropped");
      dropped.hidden = drops.length === 0;
      dropped.textContent = drops.length === 0 ? "" : `${drops.reduce((n, [, count]) => n + count, 0).toLocaleString("en-US")} events lost since the app started (${drops.map(([reason, count]) => `${reason}: ${count.toLocaleString("en-US")}`).join(", ")})${update.lastSpoolError || update.lastError ? " — " + (update.lastSpoolError || update.lastError) : ""}`;
      $("latest").replaceChildren(...live.latest.map((e) => {
        const item = document.createElement("li");
        item.textContent = `${e.timestamp.slice(11, 19)} ${e.action} · ${e.user}`;
        return item;
      }));
      if (lastEventsToday !== null && live.eventsToday !== lastEventsToday) scheduleRefresh();
      lastEventsToday = live.eventsToday;
    });
  }

  $("dashboard-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    history.replaceState(null, "", `/dashboard?${query(filters())}`);
    document.getElementById("report-link").href = `/api/report?${query(filters())}`;
    lastEventsToday = null;
    load();
    connect();
  });
  load();
  connect();
})();
