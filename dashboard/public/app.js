// The paxflow dashboard: plain ES modules, no build step. It reads the same API as the CLI
// (GET /v1/cluster, /v1/nodes, /v1/jobs, /v1/jobs/:id, /v1/jobs/:id/explain) with a client token
// and redraws every second. Routes: #/cluster, #/nodes, #/jobs[?status=], #/jobs/<id>.
import uPlot from "./vendor/uPlot.esm.js";

const REFRESH_MS = 1000;
const view = document.getElementById("view");
const detail = document.getElementById("detail");
const statusLine = document.getElementById("status");
const login = document.getElementById("login");
const offer = document.getElementById("offer");

/** A part of the hash (a job id, a linked token) decoded, or null when it cannot be decoded. */
const decoded = (text) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
};
const token = () => sessionStorage.getItem("paxflow-token");

// A token in a link (#token=...) is offered, never taken on its own: whoever wrote the link would
// otherwise choose whose token this tab reads with. It leaves the address bar at once either way,
// and only its first characters are shown. A link that cannot be decoded offers nothing.
const linked = /(?:^#|&)token=([^&]+)/.exec(location.hash);
let offered = linked ? decoded(linked[1]) : null;
if (linked) history.replaceState(null, "", `${location.pathname}#/cluster`);
if (offered) {
  document.getElementById("offer-token").textContent = `${offered.slice(0, 4)}…`;
  offer.hidden = false;
}
const answerOffer = (use) => {
  if (use) sessionStorage.setItem("paxflow-token", offered);
  offered = null;
  offer.hidden = true;
  void draw();
};
document.getElementById("offer-use").addEventListener("click", () => answerOffer(true));
document.getElementById("offer-ignore").addEventListener("click", () => answerOffer(false));

login.addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem("paxflow-token", document.getElementById("token").value.trim());
  login.hidden = true;
  draw();
});

async function api(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token()}` }, signal: AbortSignal.timeout(10_000) });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) {
    login.hidden = false;
    throw new Error(response.status === 401 ? "this token is not accepted: enter another" : "this token may not read the cluster: enter one with the read scope");
  }
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
  return body;
}

// ---- rendering helpers ---------------------------------------------------------------------

const esc = (v) => String(v ?? "-").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const cls = (v) => esc(String(v).split(/\s/)[0]);
const table = (headers, rows) =>
  `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r.join("")}</tr>`).join("")}</tbody></table>`;
const td = (v, klass) => `<td${klass ? ` class="${cls(klass)}"` : ""}>${esc(v)}</td>`;
const ms = (v) => (typeof v === "number" ? `${v.toFixed(1)} ms` : "-");
const ago = (at) => (at ? `${((Date.now() - at) / 1000).toFixed(1)} s ago` : "-");

// ---- cluster -------------------------------------------------------------------------------

async function clusterView() {
  const { shards } = await api("/v1/cluster");
  return shards
    .map(
      (s) => `<section data-shard="${s.shard}"><h2>Shard ${s.shard}</h2>
        <p>leader <b class="leader">${esc(s.leader?.commander ?? "none")}</b>, ballot ${esc(s.leader?.ballot)}, chosen ${esc(s.chosenIndex)}, applied ${esc(s.appliedIndex)}</p>
        ${table(["commander", "role", "ballot", "learned", "applied", "pending"], s.commanders.map((c) => [td(c.name), td(c.role, c.role), td(c.ballot), td(c.learnedThrough), td(c.appliedThrough), td(c.pending)]))}
        ${table(["acceptor", "health", "latency", "last contact", "chosen", "promised", "fault"], s.acceptors.map((a) => [td(a.name), td(a.health, a.health), td(ms(a.latencyMs)), td(ago(a.lastContactAt)), td(a.chosenThrough), td(a.promised), td(a.fault ? JSON.stringify(a.fault) : "-")]))}
      </section>`,
    )
    .join("");
}

// ---- nodes ---------------------------------------------------------------------------------

/** Queue and in-flight history per node, sampled on every refresh, for the charts. */
const loads = { at: [], series: new Map() };
let chart = null;

function sample(nodes) {
  loads.at.push(Date.now() / 1000);
  for (const n of nodes) if (!loads.series.has(n.spec.id)) loads.series.set(n.spec.id, new Array(loads.at.length - 1).fill(null));
  for (const [id, values] of loads.series) {
    const n = nodes.find((x) => x.spec.id === id);
    const load = n?.lastHeartbeat?.load ?? n?.load;
    values.push(load ? load.queue + load.inFlight : null);
  }
  if (loads.at.length > 300) {
    loads.at.shift();
    for (const values of loads.series.values()) values.shift();
  }
}

function drawChart(container) {
  // Nodes gone for the whole window leave the chart.
  for (const [id, values] of loads.series) if (values.every((v) => v === null)) loads.series.delete(id);
  const ids = [...loads.series.keys()];
  const data = [loads.at, ...ids.map((id) => loads.series.get(id))];
  // The same nodes in the same place: new data only (keeps the cursor and legend toggles).
  if (chart && chart.root.parentElement === container && chart.series.length === ids.length + 1 && ids.every((id, i) => chart.series[i + 1].label === id)) {
    chart.setData(data);
    return;
  }
  const palette = ["#0969da", "#1a7f37", "#cf222e", "#9a6700", "#8250df", "#bf3989", "#57606a"];
  const opts = {
    width: Math.max(320, container.clientWidth - 20),
    height: 180,
    series: [{}, ...ids.map((id, i) => ({ label: id, stroke: palette[i % palette.length], width: 1.5 }))],
    axes: [{}, { label: "queued + running" }],
  };
  if (chart) chart.destroy();
  chart = new uPlot(opts, data, container);
}

async function nodesView() {
  const [{ nodes }, { shards }] = await Promise.all([api("/v1/nodes"), api("/v1/cluster")]);
  sample(nodes);
  const health = new Map();
  for (const s of shards) for (const h of s.nodeHealth ?? []) if (!health.has(h.node) || h.phi > health.get(h.node).phi) health.set(h.node, h);
  const rows = nodes.map((n) => {
    const load = n.lastHeartbeat?.load ?? n.load;
    const h = health.get(n.spec.id);
    const stages = Object.entries(n.spec.speed.stages ?? {});
    const speed = `cpu ${n.spec.speed.cpu}${n.spec.speed.simd === undefined ? "" : `, simd ${n.spec.speed.simd}`}${stages.length ? `, ${stages.length} stages measured` : ""}`;
    return [
      `<td data-node="${esc(n.spec.id)}">${esc(n.spec.id)}</td>`,
      td(n.spec.kind),
      td(n.status, n.status),
      td(n.spec.caps.join(", ")),
      td(n.spec.info?.adapter ?? "-"),
      `<td title="${esc(stages.map(([s, f]) => `${s}: ${f}`).join("\n"))}">${esc(speed)}</td>`,
      td(load ? `${load.queue} / ${load.inFlight}` : "-"),
      td(h ? h.phi.toFixed(2) : "-"),
      td(h ? h.anomaly.toFixed(2) : "-"),
      td(h?.verdict ?? "-", h?.verdict),
      td(ago(n.lastHeartbeat?.at)),
      td(n.dispatched),
    ];
  });
  return `<section><h2>Nodes</h2>${table(["node", "kind", "status", "caps", "adapter", "speed", "queue / running", "phi", "anomaly", "verdict", "heartbeat", "calls"], rows)}</section>
    <section><h2>Load</h2><div id="chart"></div></section>`;
}

// ---- jobs ----------------------------------------------------------------------------------

async function jobsView(query) {
  const status = new URLSearchParams(query).get("status") ?? "";
  const page = await api(`/v1/jobs?limit=100${status ? `&status=${encodeURIComponent(status)}` : ""}`);
  const filter = ["", "running", "done", "failed", "cancelled"].map((s) => `<option value="${s}"${s === status ? " selected" : ""}>${s || "any status"}</option>`).join("");
  const rows = page.jobs.map((j) => [
    `<td><a href="#/jobs/${encodeURIComponent(j.id)}">${esc(j.id)}</a></td>`,
    td(j.name),
    td(j.status, j.status),
    td(new Date(j.acceptedAt).toISOString()),
    td(j.finishedAt ? `${((j.finishedAt - j.acceptedAt) / 1000).toFixed(2)} s` : "-"),
    td(j.calls),
  ]);
  return `<section><h2>Jobs</h2><label>Status <select id="status-filter">${filter}</select></label>
    ${rows.length ? table(["id", "job", "status", "accepted", "took", "calls"], rows) : "<p>No jobs yet.</p>"}</section>`;
}

/** A job's calls as a timeline per node: one bar per attempt, from dispatch to result (or now). */
async function jobView(id) {
  const job = await api(`/v1/jobs/${encodeURIComponent(id)}`);
  const end = job.finishedAt ?? Date.now();
  const start = job.acceptedAt;
  const span = Math.max(1, end - start);
  const lanes = new Map();
  for (const call of job.calls) {
    call.attempts.forEach((a) => {
      const won = call.node === a.node && call.status !== "running";
      const last = a === call.attempts.at(-1);
      const from = a.dispatchedAt;
      const to = a.timedOutAt ?? (won || (last && call.finishedAt) ? (call.finishedAt ?? end) : end);
      const state = a.timedOutAt ? "timedout" : won ? (call.status === "failed" ? "failed" : "ok") : call.status === "running" ? "running" : "ok";
      if (!lanes.has(a.node)) lanes.set(a.node, []);
      lanes.get(a.node).push({ call, attempt: a, from, to, state });
    });
  }
  // Attempts that overlap on a node (it runs several at once) go on rows of their own in its lane.
  const bars = [...lanes]
    .map(([node, items]) => {
      const rowEnds = [];
      const placed = items
        .sort((x, y) => x.from - y.from)
        .map((b) => {
          let row = rowEnds.findIndex((endAt) => endAt <= b.from);
          if (row === -1) row = rowEnds.push(0) - 1;
          rowEnds[row] = Math.max(b.to, b.from + span * 0.01);
          const left = Math.max(0, (b.from - start) / span);
          const width = Math.max(0.003, (b.to - b.from) / span);
          const title = `call ${b.call.seq} ${b.call.target}, attempt ${b.attempt.attempt}: ${b.attempt.reason}`;
          return `<div class="bar ${b.state}" data-row="${row}" data-left="${left.toFixed(4)}" data-width="${width.toFixed(4)}" title="${esc(title)}" data-seq="${b.call.seq}" data-attempt="${b.attempt.attempt}">${esc(b.call.seq)}</div>`;
        })
        .join("");
      return `<div class="lane" data-lane="${esc(node)}" data-rows="${rowEnds.length}"><span class="lane-name">${esc(node)}</span>${placed}</div>`;
    })
    .join("");
  const outcome = job.status === "done" ? `output <code>${esc(JSON.stringify(job.output))}</code>` : job.error ? `${esc(job.error.name)}: ${esc(job.error.message)}` : "";
  return `<section><h2>Job ${esc(job.id)} <small>${esc(job.name)}</small></h2>
    <p>status <b class="${cls(job.status)}" id="job-status">${esc(job.status)}</b>, ${job.calls.length} calls${job.finishedAt ? `, ${((job.finishedAt - start) / 1000).toFixed(2)} s` : ""}. ${outcome}</p>
    <div class="gantt">${bars || "<p>No calls placed yet.</p>"}</div>
    <p><small>Bars: one per attempt, from its dispatch to its result (green), failure (red), timeout (amber) or now (blue). Click one for the placement's explanation.</small></p></section>`;
}

/**
 * Sizes the timeline's lanes and bars from their data attributes. The page's CSP refuses style
 * attributes in markup, so the numbers go in as CSS variables (style.css does the arithmetic).
 */
function placeBars() {
  for (const lane of view.querySelectorAll(".lane")) lane.style.setProperty("--rows", lane.dataset.rows);
  for (const bar of view.querySelectorAll(".bar")) for (const key of ["row", "left", "width"]) bar.style.setProperty(`--${key}`, bar.dataset[key]);
}

async function explainAttempt(id, seq, attempt) {
  const route = location.hash;
  const explained = await api(`/v1/jobs/${encodeURIComponent(id)}/explain`);
  if (location.hash !== route) return; // the user moved on meanwhile
  const call = explained.calls.find((c) => c.seq === seq);
  const a = call?.attempts.find((x) => x.attempt === attempt);
  if (!a) return;
  detail.hidden = false;
  detail.innerHTML = `<button id="close-detail">close</button><h2>call ${esc(seq)} ${esc(call.target)}, attempt ${esc(attempt)} → ${esc(a.node)}</h2>
    <p>${esc(a.reason)}</p>
    ${table(["node", "finish", "wait", "transfer", "run"], a.candidates.map((c) => [td(`${c.chosen ? "★ " : ""}${c.node}`), td(ms(c.predictedFinishMs)), td(ms(c.waitMs)), td(ms(c.transferMs)), td(ms(c.runMs))]))}`;
  document.getElementById("close-detail").onclick = () => (detail.hidden = true);
}

// ---- the loop ------------------------------------------------------------------------------

view.addEventListener("click", (event) => {
  const bar = event.target.closest(".bar");
  const job = decoded(/^#\/jobs\/(.+)$/.exec(location.hash)?.[1] ?? "");
  if (bar && job) void explainAttempt(job, Number(bar.dataset.seq), Number(bar.dataset.attempt));
});
view.addEventListener("change", (event) => {
  if (event.target.id === "status-filter") location.hash = `#/jobs${event.target.value ? `?status=${event.target.value}` : ""}`;
});

let drawing = false;
let shown = "";
/** Held while the user points at or chooses something: a redraw would replace it under them. */
let holding = false;
view.addEventListener("pointerdown", () => (holding = true));
window.addEventListener("pointerup", () => setTimeout(() => (holding = false), 50));
async function draw() {
  // Nothing is drawn while a linked token waits for the visitor's answer.
  if (!offer.hidden) return;
  if (drawing || !token()) {
    if (!token()) login.hidden = false;
    return;
  }
  if (holding || document.activeElement?.tagName === "SELECT") return;
  drawing = true;
  const route = location.hash || "#/cluster";
  for (const a of document.querySelectorAll("header nav a")) a.classList.toggle("active", route.startsWith(a.getAttribute("href")));
  try {
    const job = /^#\/jobs\/(.+)$/.exec(route);
    const [path, query] = route.split("?");
    const id = job ? decoded(job[1]) : null;
    if (job && id === null) throw new Error("that job link is malformed");
    const html = id !== null ? await jobView(id) : path === "#/nodes" ? await nodesView() : path === "#/jobs" ? await jobsView(query ?? "") : await clusterView();
    // The route changed while we fetched: the next draw shows the new one.
    if ((location.hash || "#/cluster") !== route) return;
    // Unchanged pages are left alone: no flicker, and what the user points at stays put.
    if (html !== shown) {
      view.innerHTML = shown = html;
      placeBars();
    }
    const container = document.getElementById("chart");
    if (container) drawChart(container);
    statusLine.textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    statusLine.textContent = `error: ${error.message}`;
  } finally {
    drawing = false;
  }
}

window.addEventListener("hashchange", () => {
  detail.hidden = true;
  holding = false;
  // Wait for a draw in flight (it sees the route changed and leaves the page alone), then draw.
  const next = () => (drawing ? setTimeout(next, 20) : void draw());
  next();
});
void draw();
setInterval(draw, REFRESH_MS);
