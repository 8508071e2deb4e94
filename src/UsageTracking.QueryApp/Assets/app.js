// The query app's page script: each step is one fetch to /api, and only the affected panel changes.
(() => {
  "use strict";
  const root = document.getElementById("app");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const state = { source: root.dataset.source, question: "", generatedSql: "", generated: false, lastValidated: null,
                  runId: null, columns: [], rows: [], page: 0, pageSize: 25, sort: null, shown: [], chart: null };

  async function api(path, body) {
    const options = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    let response;
    try {
      response = await fetch(path, options);
    } catch {
      return { error: "The server could not be reached; check your connection and try again." };
    }
    if (response.status === 401) { location.href = "/login"; return { error: "Enter the access key first." }; }
    const text = await response.text();
    try { return text ? JSON.parse(text) : {}; } catch { return { error: "The server sent an answer the page could not read." }; }
  }

  function busy(button, on) { button.disabled = on; button.classList.toggle("busy", on); }
  function say(id, text, kind) { const el = $(id); el.textContent = text || ""; el.className = "message" + (kind ? " " + kind : ""); }

  // Step 2: suggested questions.
  async function suggest() {
    const reply = await api(`/api/questions?source=${encodeURIComponent(state.source)}&shown=${encodeURIComponent(state.shown.join("\n"))}`);
    const box = $("suggestions");
    box.replaceChildren();
    state.shown = reply.questions || [];
    for (const question of state.shown) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "suggestion";
      button.textContent = question;
      button.addEventListener("click", () => { $("question").value = question; generate(); });
      box.append(button);
    }
  }

  // Step 3: question → SQL.
  async function generate() {
    const question = $("question").value.trim();
    if (!question) { say("ask-message", "Type a question first.", "error"); return; }
    busy($("generate"), true);
    say("ask-message", "Generating SQL…");
    const reply = await api("/api/generate", { source: state.source, question });
    busy($("generate"), false);
    if (!reply.sql) {
      say("ask-message", reply.message || reply.error || "No SQL was generated.", "error");
      $("sql-card").hidden = true;
      await offerTeaching(reply.unknown || []);
      return;
    }
    say("ask-message", "");
    $("teach").hidden = true;
    state.question = question;
    state.generatedSql = reply.sql;
    state.generated = true;
    state.lastValidated = reply.sql;
    $("sql").value = reply.sql;
    $("generator").textContent = reply.generator;
    // Offline answers say what they understood; a model's SQL is compiled against the table but not interpreted.
    $("interpretation").hidden = false;
    $("interpretation-label").textContent = reply.interpretation ? "Understood as" : `Written by ${reply.generator}`;
    $("interpretation-text").textContent = reply.interpretation
      || "not interpreted: it compiles against the table; read it to check it answers your question.";
    say("sql-status", "");
    renderColumns(reply.columns || []);
    $("sql-card").hidden = false;
    $("sql").focus();
  }

  // A refused word can be taught to the glossary: as a column, or as values of one.
  async function offerTeaching(words) {
    const form = $("teach");
    form.hidden = true;
    if (words.length === 0) return;
    const glossary = await api(`/api/glossary?source=${encodeURIComponent(state.source)}`);
    if (!glossary.columns || glossary.columns.length === 0) return;
    state.glossaryColumns = glossary.columns;
    $("teach-term").replaceChildren(...words.map((w) => new Option(`“${w}”`, w)));
    $("teach-column").replaceChildren(...glossary.columns.map((c) => new Option(c.name, c.name)));
    showValues();
    say("teach-message", "");
    form.hidden = false;
  }

  function showValues() {
    const column = (state.glossaryColumns || []).find((c) => c.name === $("teach-column").value);
    const values = column ? column.values : [];
    $("teach-values").replaceChildren(...values.map((v) => new Option(v, v)));
    $("teach-values-box").hidden = values.length === 0;
  }

  async function teach(event) {
    event.preventDefault();
    const values = [...$("teach-values").selectedOptions].map((o) => o.value);
    busy($("teach-submit"), true);
    const reply = await api("/api/glossary", { source: state.source, term: $("teach-term").value, column: $("teach-column").value, values });
    busy($("teach-submit"), false);
    if (!reply.done) { say("teach-message", reply.error || "The term was not taught.", "error"); return; }
    const note = `“${reply.term}” now means ${reply.meaning}${reply.shared ? "" : " (for your questions, until an admin shares it)"}.`;
    $("teach").hidden = true;
    if ($("glossary-card").open) glossary();
    await generate();
    if (!$("sql-card").hidden) say("ask-message", note);
  }

  // Step 4: extra columns.
  function renderColumns(columns) {
    const list = $("column-list");
    list.replaceChildren();
    for (const name of columns) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = name;
      label.append(box, " ", name);
      list.append(label);
    }
  }

  async function addColumns() {
    const columns = [...$("column-list").querySelectorAll("input:checked")].map((box) => box.value);
    const reply = await api("/api/columns", { source: state.source, sql: $("sql").value, columns });
    if (!reply.sql) { say("sql-status", reply.error || "The columns could not be added.", "error"); return; }
    $("sql").value = reply.sql;
    state.lastValidated = reply.sql;
    $("column-list").querySelectorAll("input:checked").forEach((box) => { box.checked = false; });
    say("sql-status", `Added ${columns.join(", ")}.`, "ok");
  }

  // Step 5: edits are checked when the editor loses focus, before anything runs.
  async function validate() {
    const sql = $("sql").value;
    if (sql === state.lastValidated) return true;
    state.lastValidated = sql;
    state.generated = sql === state.generatedSql;
    $("interpretation").classList.toggle("stale", !state.generated);
    const reply = await api("/api/validate", { source: state.source, sql });
    if (reply.valid) { say("sql-status", "Looks like a read-only query; ready to run.", "ok"); return true; }
    say("sql-status", reply.reason || reply.error, "error");
    return false;
  }

  // Step 6: run.
  async function run() {
    await validate();
    busy($("run"), true);
    say("sql-status", "Running…");
    const reply = await api("/api/run", { source: state.source, sql: $("sql").value, question: state.question, generated: state.generated });
    busy($("run"), false);
    if (reply.error) { say("sql-status", reply.error, "error"); return; }
    if (reply.repairedSql) { $("sql").value = reply.repairedSql; state.lastValidated = reply.repairedSql; say("sql-status", "The query failed, so the model repaired it; this is the version that ran.", "ok"); }
    else say("sql-status", "");
    state.runId = reply.runId;
    state.columns = reply.columns;
    state.rows = reply.rows;
    state.page = 0;
    state.sort = null;
    $("result-meta").textContent = `${reply.rows.length.toLocaleString()} rows · ${reply.elapsedMs} ms`;
    const limit = $("result-limit");
    limit.hidden = !reply.truncated;
    limit.textContent = !reply.truncated ? ""
        : reply.truncatedBy === "bytes"
            ? `Showing the first ${reply.rows.length.toLocaleString()} rows: the result is larger than the ${Math.round(reply.byteLimit / 1048576).toLocaleString()} MiB the page shows. Downloads include up to the download limit.`
            : `Showing the first ${reply.rowLimit.toLocaleString()} rows; the result has more. Downloads include up to the download limit.`;
    $("download-xlsx").href = `/api/download?runId=${reply.runId}&format=xlsx`;
    $("download-csv").href = `/api/download?runId=${reply.runId}&format=csv`;
    $("result-card").hidden = false;
    $("summary-card").hidden = true;
    say("feedback-message", "");
    renderTable();
    chart();
  }

  // Results table: client-side paging and sorting over the rows shown.
  function renderTable() {
    const table = $("result-table");
    const head = document.createElement("thead");
    const headRow = document.createElement("tr");
    state.columns.forEach((column, index) => {
      const th = document.createElement("th");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      const arrow = state.sort && state.sort.index === index ? (state.sort.asc ? " ▲" : " ▼") : "";
      button.textContent = column.name + arrow;
      button.addEventListener("click", () => sortBy(index));
      th.append(button);
      if (column.kind === "Number") th.className = "num";
      headRow.append(th);
    });
    head.append(headRow);
    const body = document.createElement("tbody");
    const start = state.page * state.pageSize;
    for (const row of state.rows.slice(start, start + state.pageSize)) {
      const tr = document.createElement("tr");
      row.forEach((value, index) => {
        const td = document.createElement("td");
        td.textContent = value === null ? "" : String(value);
        if (state.columns[index].kind === "Number") td.className = "num";
        tr.append(td);
      });
      body.append(tr);
    }
    table.replaceChildren(head, body);
    const pages = Math.max(1, Math.ceil(state.rows.length / state.pageSize));
    $("page-info").textContent = `Page ${state.page + 1} of ${pages}`;
    $("prev-page").disabled = state.page === 0;
    $("next-page").disabled = state.page >= pages - 1;
  }

  function sortBy(index) {
    const asc = !(state.sort && state.sort.index === index && state.sort.asc);
    state.sort = { index, asc };
    const compare = (a, b) => (a === null) - (b === null) || (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b)));
    state.rows.sort((x, y) => (asc ? 1 : -1) * compare(x[index], y[index]));
    state.page = 0;
    renderTable();
  }

  // Step 7: chart chosen by the server from the result's shape, drawn with Chart.js.
  async function chart() {
    const card = $("chart-card");
    if (state.chart) { state.chart.destroy(); state.chart = null; }
    const reply = await api("/api/chart", { runId: state.runId });
    if (!reply.chart) { card.hidden = false; $("chart").hidden = true; say("chart-note", reply.reason || reply.error); return; }
    card.hidden = false;
    $("chart").hidden = false;
    try {
      const spec = reply.chart;
      state.chart = new Chart($("chart"), {
        type: spec.type,
        data: { labels: spec.labels, datasets: [{ label: spec.valueColumn, data: spec.values, borderColor: "#2563eb", backgroundColor: spec.type === "bar" ? "#60a5fa" : "rgba(37,99,235,.15)", fill: spec.type === "line", tension: 0.2 }] },
        options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } },
                   scales: { x: { title: { display: true, text: spec.labelColumn } }, y: { beginAtZero: true, title: { display: true, text: spec.valueColumn } } } },
      });
      card.dataset.drawn = spec.type;
      say("chart-note", spec.note || "");
    } catch (error) {
      say("chart-note", "The chart could not be drawn.", "error");
      api("/api/chart-error", { runId: state.runId, message: String(error && error.message || error) });
    }
  }

  // Step 8: summary.
  async function summarize() {
    busy($("summarize"), true);
    const reply = await api("/api/summary", { runId: state.runId });
    busy($("summarize"), false);
    const list = $("summary");
    list.replaceChildren(...(reply.lines && reply.lines.length ? reply.lines : [reply.error || "No summary."]).map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }));
    $("summary-card").hidden = false;
  }

  // Step 10: feedback.
  async function feedback(positive) {
    const reply = await api("/api/feedback", { runId: state.runId, positive });
    if (reply.error) { say("feedback-message", reply.error, "error"); return; }
    say("feedback-message", positive ? (reply.savedExample ? "Thanks — saved as your example for this question; an admin can share it with everyone." : "Thanks for the feedback.") : "Thanks — noted. Try rephrasing, or edit the SQL.", "ok");
    if (reply.savedExample) examples();
  }

  // The glossary: terms taught in the app (shareable by an admin, removable by their teacher or an admin), then the rest.
  async function glossary() {
    const reply = await api(`/api/glossary?source=${encodeURIComponent(state.source)}`);
    if (reply.error) { say("glossary-message", reply.error, "error"); return; }
    const action = (label, path, term, done) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.addEventListener("click", async () => {
        const answer = await api(path, { source: state.source, term });
        say("glossary-message", answer.error || done, answer.error ? "error" : "ok");
        glossary();
      });
      return button;
    };
    const group = (title, items) => {
      const section = document.createElement("div");
      const head = document.createElement("h3");
      head.textContent = `${title} (${items.length})`;
      const list = document.createElement("ul");
      for (const item of items) {
        const row = document.createElement("li");
        const text = document.createElement("span");
        text.textContent = `${item.term} — ${item.meaning}` + (item.taughtBy ? ` (taught by ${item.taughtBy}${item.shared ? "" : ", not shared yet"})` : "");
        row.append(text);
        if (item.taughtBy && !item.shared && reply.isAdmin) row.append(" ", action("Share with everyone", "/api/glossary/share", item.term, `Shared: “${item.term}” now reads everyone's questions.`));
        if (item.taughtBy && (reply.isAdmin || (item.mine && !item.shared))) row.append(" ", action("Remove", "/api/glossary/forget", item.term, `Removed “${item.term}”.`));
        list.append(row);
      }
      section.append(head, list);
      return section;
    };
    $("glossary").replaceChildren(group("Taught in the app", reply.terms.filter((t) => t.taughtBy)), group("Shipped and in the glossary file", reply.terms.filter((t) => !t.taughtBy)));
  }

  // Saved examples: shared ones, the user's own, and for an admin other users' to share.
  async function examples() {
    const reply = await api(`/api/examples?source=${encodeURIComponent(state.source)}`);
    const box = $("examples");
    if (reply.error) { say("examples-message", reply.error, "error"); return; }
    const group = (title, items, share) => {
      const section = document.createElement("div");
      const head = document.createElement("h3");
      head.textContent = `${title} (${items.length})`;
      section.append(head);
      const list = document.createElement("ul");
      for (const item of items) {
        const row = document.createElement("li");
        const text = document.createElement("span");
        text.textContent = item.question + (item.savedBy ? ` — saved by ${item.savedBy}` : "") + (item.sharedBy ? `, shared by ${item.sharedBy}` : "");
        text.title = item.sql;
        row.append(text);
        if (share) {
          const button = document.createElement("button");
          button.type = "button";
          button.textContent = "Share with everyone";
          button.addEventListener("click", async () => {
            const shared = await api("/api/examples/share", { source: state.source, question: item.question, savedBy: item.savedBy });
            say("examples-message", shared.error || `Shared: everyone asking "${item.question}" now gets this SQL.`, shared.error ? "error" : "ok");
            examples();
          });
          row.append(" ", button);
        }
        list.append(row);
      }
      section.append(list);
      return section;
    };
    const parts = [group("Shared with everyone", reply.shared, false), group("Yours", reply.mine, reply.isAdmin)];
    if (reply.isAdmin) parts.push(group("Other users', not shared", reply.othersUnshared, true));
    box.replaceChildren(...parts);
  }

  $("more").addEventListener("click", suggest);
  $("ask-form").addEventListener("submit", (event) => { event.preventDefault(); generate(); });
  $("question").addEventListener("keydown", (event) => { if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); generate(); } });
  $("add-columns").addEventListener("click", addColumns);
  $("sql").addEventListener("change", validate);
  $("run").addEventListener("click", run);
  $("teach").addEventListener("submit", teach);
  $("teach-column").addEventListener("change", showValues);
  $("reset").addEventListener("click", () => { $("sql").value = state.generatedSql; state.lastValidated = state.generatedSql; state.generated = true; $("interpretation").classList.remove("stale"); say("sql-status", "Back to the generated SQL."); });
  $("prev-page").addEventListener("click", () => { state.page--; renderTable(); });
  $("next-page").addEventListener("click", () => { state.page++; renderTable(); });
  $("summarize").addEventListener("click", summarize);
  $("thumbs-up").addEventListener("click", () => feedback(true));
  $("thumbs-down").addEventListener("click", () => feedback(false));
  $("examples-card").addEventListener("toggle", () => { if ($("examples-card").open) examples(); });
  $("glossary-card").addEventListener("toggle", () => { if ($("glossary-card").open) glossary(); });
  suggest();
})();
