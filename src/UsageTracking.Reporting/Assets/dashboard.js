// Draws a usage dashboard (the JSON of UsageTracking.Analytics.Dashboard) into an element, with Chart.js.
// Shared by the app's live /dashboard page and the self-contained HTML report.
(function (global) {
  "use strict";
  const charts = new Map();
  const palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];
  const number = (n) => (n ?? 0).toLocaleString("en-US");
  const money = (n) => "$" + Number(n ?? 0).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 4 });
  const durations = (k) => k.durationP50 === null || k.durationP50 === undefined ? "–"
    : [k.durationP50, k.durationP95, k.durationP99].map((v) => v >= 10000 ? Math.round(v / 1000) + "k" : v >= 1000 ? (v / 1000).toFixed(1) + "k" : String(Math.round(v))).join(" / ");
  const when = (iso, unit) => unit === "day" ? iso.slice(0, 10) : iso.slice(0, 16).replace("T", " ");
  const days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  function card(id, title, body) {
    return el("section", { class: "ut-card", id: "panel-" + id }, el("h3", {}, title), body);
  }

  // A figure against its configured levels: "critical" above the critical one, "warning" above the warning one, else "good".
  function level(value, levels) {
    if (!levels || value === null || value === undefined) return null;
    if (levels.critical !== null && levels.critical !== undefined && value > levels.critical) return "critical";
    if (levels.warning !== null && levels.warning !== undefined && value > levels.warning) return "warning";
    return "good";
  }

  function kpi(id, label, value, note, state) {
    const attrs = { class: "ut-kpi" + (state ? " ut-" + state : ""), id: "kpi-" + id };
    if (state) attrs["data-level"] = state;
    return el("div", attrs, el("span", { class: "ut-kpi-label" }, label), el("strong", { class: "ut-kpi-value" }, value), el("span", { class: "ut-kpi-note" }, note || ""));
  }

  function chart(id, config) {
    if (charts.has(id)) charts.get(id).destroy();
    const canvas = el("canvas", { id: "chart-" + id, role: "img", "aria-label": id });
    const box = el("div", { class: "ut-chart" }, canvas);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: !!config.legend } } }, config.options || {});
    queueMicrotask(() => charts.set(id, new Chart(canvas, config)));
    return box;
  }

  function table(headers, rows) {
    return el("table", { class: "ut-table" },
      el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
      el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c))))));
  }

  function heatmap(matrix) {
    const max = Math.max(1, ...matrix.flat());
    const head = el("tr", {}, el("th", {}, ""), ...Array.from({ length: 24 }, (_, h) => el("th", {}, String(h))));
    const rows = matrix.map((hours, d) => el("tr", {}, el("th", {}, days[d]), ...hours.map((n) => {
      const cell = el("td", { title: `${days[d]} ${n} events`, "data-count": String(n) }, "");
      cell.style.background = n ? `rgba(37,99,235,${0.12 + 0.88 * n / max})` : "#f3f4f6";
      return cell;
    })));
    return el("table", { class: "ut-heatmap", id: "heatmap" }, el("thead", {}, head), el("tbody", {}, ...rows));
  }

  function render(root, data) {
    const d = data.dashboard, k = d.kpis, unit = d.timeUnit, th = data.thresholds || {};
    const ms = (v) => v === null || v === undefined ? "–" : number(Math.round(v)) + " ms";
    root.replaceChildren();
    root.append(el("div", { class: "ut-kpis" },
      kpi("active-users", "Active users", `${number(k.activeUsersDay)} / ${number(k.activeUsersWeek)} / ${number(k.activeUsersMonth)}`, "today / 7 days / 30 days"),
      kpi("events-today", "Events today", number(k.eventsToday), "UTC"),
      kpi("events", "Events in range", number(k.events), `${when(d.query.since, "hour")} → now`),
      kpi("error-rate", "Error rate", (k.errorRate * 100).toFixed(1) + " %", `${number(k.errors)} errors`, level(k.errorRate, th.errorRate)),
      kpi("response-time", "Mean step duration", ms(k.durationAverage), "exact, over events with a duration", level(k.durationAverage, th.durationAverageMs)),
      kpi("durations", "Step duration p50 / p95 / p99", durations(k), "milliseconds, ±5 %", level(k.durationP95, th.durationP95Ms)),
      kpi("cost", "LLM cost", money(k.costUsd), `${number(k.inputTokens)} in / ${number(k.outputTokens)} out tokens`, level(k.costUsd, th.costUsd))));

    const grid = el("div", { class: "ut-grid" });
    grid.append(card("dau", "Daily active users", chart("dau", {
      type: "line", data: { labels: d.dailyActiveUsers.map((p) => when(p.at, "day")), datasets: [{ data: d.dailyActiveUsers.map((p) => p.value), borderColor: palette[0], tension: 0.2 }] },
      options: { scales: { y: { beginAtZero: true } } } })));
    grid.append(card("events", unit === "day" ? "Events per day" : "Events per hour", chart("events", {
      type: "bar", data: { labels: d.eventsOverTime.map((p) => when(p.at, unit)), datasets: [{ data: d.eventsOverTime.map((p) => p.value), backgroundColor: palette[0] }] } })));
    grid.append(card("actions", "Popular actions", chart("actions", {
      type: "bar", data: { labels: d.popularActions.slice(0, 15).map((a) => a.name), datasets: [{ data: d.popularActions.slice(0, 15).map((a) => a.count), backgroundColor: palette[5] }] },
      options: { indexAxis: "y", scales: { y: { ticks: { autoSkip: false } } } } })));
    const types = [...new Set(d.errorsOverTime.map((e) => e.type))];
    const buckets = [...new Set(d.errorsOverTime.map((e) => e.at))].sort();
    grid.append(card("errors", "Errors by type", chart("errors", {
      type: "bar", legend: true,
      data: { labels: buckets.map((b) => when(b, unit)), datasets: types.map((t, i) => ({ label: t, backgroundColor: palette[(i + 1) % palette.length],
        data: buckets.map((b) => (d.errorsOverTime.find((e) => e.at === b && e.type === t) || { count: 0 }).count) })) },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } })));
    const latency = d.responseTimeOverTime || [];
    grid.append(card("response-time", unit === "day" ? "Step duration per day (ms)" : "Step duration per hour (ms)", chart("response-time", {
      type: "line", legend: true,
      data: { labels: latency.map((p) => when(p.at, unit)), datasets: [
        { label: "mean", data: latency.map((p) => p.average), borderColor: palette[0], tension: 0.2 },
        { label: "p50", data: latency.map((p) => p.p50), borderColor: palette[2], tension: 0.2 },
        { label: "p95", data: latency.map((p) => p.p95), borderColor: palette[3], tension: 0.2 },
        { label: "p99", data: latency.map((p) => p.p99), borderColor: palette[1], tension: 0.2 }] },
      options: { scales: { y: { beginAtZero: true } } } })));
    const cost = d.costOverTime || [];
    grid.append(card("cost", unit === "day" ? "Cost per day (USD)" : "Cost per hour (USD)", chart("cost", {
      type: "bar", data: { labels: cost.map((p) => when(p.at, unit)), datasets: [{ data: cost.map((p) => p.costUsd), backgroundColor: palette[4] }] },
      options: { scales: { y: { beginAtZero: true } } } })));
    const c = d.conversations;
    if (c && (c.conversations > 0 || c.thumbsUp + c.thumbsDown > 0)) {
      const share = (v) => v === null || v === undefined ? "–" : (v * 100).toFixed(1) + " %";
      const seconds = (v) => v === null || v === undefined ? "–" : v >= 3600 ? (v / 3600).toFixed(1) + " h" : v >= 60 ? (v / 60).toFixed(1) + " min" : Math.round(v) + " s";
      grid.append(card("conversations", "Conversations", el("div", {},
        table(["", ""], [
          ["conversations started", number(c.conversations)],
          ["replies", number(c.replies)],
          ["replies per conversation", c.repliesPerConversation === null || c.repliesPerConversation === undefined ? "–" : c.repliesPerConversation.toFixed(2)],
          ["mean duration (first message to last)", seconds(c.averageDurationSeconds)],
          ["mean message length", c.averageMessageLength === null || c.averageMessageLength === undefined ? "–" : number(Math.round(c.averageMessageLength)) + " characters"],
          ["satisfaction (thumbs up of all thumbs)", `${share(c.satisfaction)} (${number(c.thumbsUp)} up, ${number(c.thumbsDown)} down)`]]),
        chart("conversations", {
          type: "bar", data: { labels: c.perDay.map((p) => when(p.at, "day")), datasets: [{ data: c.perDay.map((p) => p.value), backgroundColor: palette[6] }] },
          options: { scales: { y: { beginAtZero: true } } } }))));
      const durations = c.durations || [], lengths = c.messageLengths || [];
      if (durations.length) {
        grid.append(card("conversation-durations", "Conversation duration", chart("conversation-durations", {
          type: "bar", data: { labels: durations.map((b) => b.name), datasets: [{ data: durations.map((b) => b.count), backgroundColor: palette[5] }] },
          options: { scales: { y: { beginAtZero: true, title: { display: true, text: "conversations" }, ticks: { precision: 0 } } } } })));
      }
      if (lengths.length) {
        grid.append(card("message-lengths", "Message length (characters)", chart("message-lengths", {
          type: "bar", data: { labels: lengths.map((b) => b.name), datasets: [{ data: lengths.map((b) => b.count), backgroundColor: palette[3] }] },
          options: { scales: { y: { beginAtZero: true, title: { display: true, text: "messages" }, ticks: { precision: 0 } } } } })));
      }
    }
    grid.append(card("heatmap", "Activity by weekday and hour (UTC)", heatmap(d.heatmap)));
    grid.append(card("funnel", "SQL editing funnel (sessions)", chart("funnel", {
      type: "bar", data: { labels: d.funnel.map((f) => `${f.step}. ${f.action}`), datasets: [{ data: d.funnel.map((f) => f.sessions), backgroundColor: palette[2] }] },
      options: { indexAxis: "y" } })));
    (d.funnels || []).forEach((f, i) => grid.append(card("funnel-" + (i + 1), `${f.name} (${String(f.countBy).toLowerCase() === "user" ? "users" : "sessions"})`, chart("funnel-" + (i + 1), {
      type: "bar", data: { labels: f.steps.map((s) => `${s.step}. ${s.action}`), datasets: [{ data: f.steps.map((s) => s.count), backgroundColor: palette[(i + 3) % palette.length] }] },
      options: { indexAxis: "y" } }))));
    grid.append(card("users", "Top users", table(["user", "events", "errors"], d.topUsers.map((u) => [u.user, number(u.events), number(u.errors)]))));
    grid.append(card("models", "Tokens, cost and latency by model", table(["model", "calls", "input", "output", "cost", "mean latency", "time to first token", "tokens/s"],
      d.models.map((m) => [m.model, number(m.calls), number(m.inputTokens), number(m.outputTokens), money(m.costUsd), ms(m.averageLatencyMs), ms(m.averageTimeToFirstTokenMs),
        m.outputTokensPerSecond === null || m.outputTokensPerSecond === undefined ? "–" : m.outputTokensPerSecond.toFixed(1)]))));
    const t = d.table;
    grid.append(card("retention", "Retention", table(["", ""], [
      ["rows kept", t ? number(t.rows) : "–"],
      ["oldest row", t && t.oldest ? when(t.oldest, "hour") : "–"],
      ["newest row", t && t.newest ? when(t.newest, "hour") : "–"],
      ["cleanup deletes rows older than", data.retentionDays ? `${data.retentionDays} days` : "never"]])));
    root.append(grid);
  }

  global.UsageDashboard = { render, charts };
})(window);
