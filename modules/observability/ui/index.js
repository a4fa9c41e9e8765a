// Observability module UI: the "Observability" page and the "token-burn-rate" dashboard widget.
//
// A plain ES module, loaded by the web shell with import() from the bundle's ui/ folder — no
// build step, no framework, no dependencies. The contract with the shell:
//
//   mountPage(el, { moduleId, config, api, companyId? })            -> unmount()
//   mountWidget(el, { moduleId, config, api, widgetId, companyId? }) -> unmount()
//
//   el         the element to render into (owned by the module until unmount)
//   moduleId   "observability"
//   config     the module's validated config (retentionDays, enablePrometheus, …)
//   api        api(path, init) fetches `/api/modules/observability${path}` with the shell's
//              credentials and resolves to the parsed JSON (rejects on an HTTP error)
//   widgetId   "token-burn-rate"
//   companyId  optional: when the shell shows one company, only its agents are counted
//
// Both return a function that stops their refresh timer and empties `el`. Everything is read
// through `api`, so the UI only ever calls this module's own routes. Text from the server
// (agent and model names) is set with textContent, never parsed as HTML.

const REFRESH_MS = 30_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const SVG_NS = "http://www.w3.org/2000/svg";

const STYLE = `
.pc-obs { font: 14px/1.4 system-ui, sans-serif; color: inherit; }
.pc-obs h2 { font-size: 18px; margin: 0 0 12px; }
.pc-obs h3 { font-size: 15px; margin: 16px 0 8px; }
.pc-obs-controls { display: flex; gap: 8px; align-items: center; margin-bottom: 12px; }
.pc-obs-cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 12px; }
.pc-obs-card { border: 1px solid rgba(127,127,127,.3); border-radius: 6px; padding: 8px 12px; min-width: 120px; }
.pc-obs-card b { display: block; font-size: 20px; }
.pc-obs-card span { font-size: 12px; opacity: .75; }
.pc-obs table { border-collapse: collapse; width: 100%; }
.pc-obs th, .pc-obs td { text-align: right; padding: 4px 8px; border-bottom: 1px solid rgba(127,127,127,.2); }
.pc-obs th:first-child, .pc-obs td:first-child { text-align: left; }
.pc-obs tbody tr { cursor: pointer; }
.pc-obs tbody tr.pc-obs-selected { background: rgba(80,140,255,.15); }
.pc-obs-error { color: #c0392b; }
.pc-obs-muted { opacity: .7; font-size: 12px; }
.pc-obs svg { display: block; max-width: 100%; }
`;

/** Adds the module's stylesheet to the document once. */
function ensureStyle(doc) {
  if (doc.getElementById("pc-obs-style")) return;
  const style = doc.createElement("style");
  style.id = "pc-obs-style";
  style.textContent = STYLE;
  doc.head.appendChild(style);
}

/** Creates an element with optional class and text. */
function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** Creates an SVG element with attributes. */
function svg(tag, attrs) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  return node;
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** Cents as dollars, e.g. 1234 → "$12.34". */
function money(cents) {
  return `$${(Number(cents || 0) / 100).toFixed(2)}`;
}

/** A query string from the defined entries of `params`. */
function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** A labelled number card. */
function card(label, value) {
  const node = h("div", "pc-obs-card");
  node.append(h("b", null, value), h("span", null, label));
  return node;
}

/**
 * A bar chart of `points` ({start, value}) as inline SVG, with the first and last day labelled.
 * Bars are scaled to the largest value; an empty series draws a flat axis.
 */
function barChart(points, { width = 640, height = 160, title = "" } = {}) {
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  const pad = 24;
  const max = Math.max(1, ...points.map((p) => p.value));
  const step = points.length ? (width - 2 * pad) / points.length : 0;
  points.forEach((point, i) => {
    const barHeight = ((height - 2 * pad) * point.value) / max;
    const bar = svg("rect", {
      x: pad + i * step + 1,
      y: height - pad - barHeight,
      width: Math.max(1, step - 2),
      height: barHeight,
      fill: "#4f86f7",
    });
    const tip = svg("title");
    tip.textContent = `${point.label}: ${point.display}`;
    bar.appendChild(tip);
    chart.appendChild(bar);
  });
  chart.appendChild(svg("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, stroke: "currentColor", "stroke-opacity": 0.4 }));
  if (points.length) {
    for (const [point, x, anchor] of [[points[0], pad, "start"], [points[points.length - 1], width - pad, "end"]]) {
      const label = svg("text", { x, y: height - 6, "font-size": 11, "text-anchor": anchor, fill: "currentColor" });
      label.textContent = point.label;
      chart.appendChild(label);
    }
  }
  const top = svg("text", { x: pad, y: 14, "font-size": 11, fill: "currentColor" });
  top.textContent = title;
  chart.appendChild(top);
  return chart;
}

/**
 * `count` buckets of `widthMs` ending with the current one, oldest first, each holding the
 * series point that starts there or null: the series routes leave empty buckets out.
 */
function buckets(points, count, widthMs) {
  const byStart = new Map(points.map((p) => [Date.parse(p.start), p]));
  const current = Math.floor(Date.now() / widthMs) * widthMs;
  return Array.from({ length: count }, (_, i) => {
    const start = current - (count - 1 - i) * widthMs;
    return { start: new Date(start).toISOString(), point: byStart.get(start) || null };
  });
}

/** Runs `load` now and every REFRESH_MS; returns the function that stops it. */
function every(load) {
  let stopped = false;
  const run = () => {
    if (!stopped) load();
  };
  run();
  const timer = setInterval(run, REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/** Shows an error in `el` instead of its content. */
function showError(el, error) {
  el.replaceChildren(h("p", "pc-obs-error", `Cannot load observability data: ${error && error.message ? error.message : error}`));
}

/**
 * The Observability page: a per-agent usage table over a chosen window, and a burn-rate chart of
 * spend per day — for the whole company, or for the agent selected in the table.
 */
export function mountPage(el, { api, companyId } = {}) {
  ensureStyle(document);
  const root = h("div", "pc-obs");
  root.appendChild(h("h2", null, "Observability"));
  const controls = h("div", "pc-obs-controls");
  const windowSelect = h("select");
  for (const [days, label] of [[1, "Last 24 hours"], [7, "Last 7 days"], [30, "Last 30 days"]]) {
    const option = h("option", null, label);
    option.value = String(days);
    windowSelect.appendChild(option);
  }
  windowSelect.value = "7";
  controls.append(h("label", null, "Window "), windowSelect);
  const cards = h("div", "pc-obs-cards");
  const tableBox = h("div");
  const burnBox = h("div");
  root.append(controls, cards, h("h3", null, "Agents"), tableBox, h("h3", null, "Burn rate"), burnBox);
  el.replaceChildren(root);

  let selectedAgent = null;

  async function load() {
    const days = Number(windowSelect.value);
    const since = new Date(Date.now() - days * DAY_MS).toISOString();
    try {
      const summary = await api(`/summary${query({ companyId, since })}`);
      renderCards(summary.totals);
      renderTable(summary.byAgent);
      await renderBurn(days);
    } catch (error) {
      showError(tableBox, error);
    }
  }

  function renderCards(totals) {
    cards.replaceChildren(
      card("tokens", integer.format(totals.tokens)),
      card("cost", money(totals.costCents)),
      card("heartbeats", integer.format(totals.heartbeats)),
      card("avg latency", totals.avgLatencyMs == null ? "–" : `${decimal.format(totals.avgLatencyMs)} ms`),
    );
  }

  function renderTable(agents) {
    if (!agents.length) {
      tableBox.replaceChildren(h("p", "pc-obs-muted", "No heartbeats with token usage in this window."));
      return;
    }
    const table = h("table");
    const head = h("tr");
    for (const title of ["Agent", "Tokens", "Cost", "Heartbeats", "Avg latency"]) head.appendChild(h("th", null, title));
    table.appendChild(h("thead")).appendChild(head);
    const body = table.appendChild(h("tbody"));
    for (const agent of agents) {
      const row = h("tr", agent.agentId === selectedAgent ? "pc-obs-selected" : "");
      row.append(
        h("td", null, agent.agentName || agent.agentId),
        h("td", null, integer.format(agent.tokens)),
        h("td", null, money(agent.costCents)),
        h("td", null, integer.format(agent.heartbeats)),
        h("td", null, agent.avgLatencyMs == null ? "–" : `${decimal.format(agent.avgLatencyMs)} ms`),
      );
      row.title = "Show this agent's burn rate";
      row.addEventListener("click", () => {
        selectedAgent = selectedAgent === agent.agentId ? null : agent.agentId;
        load();
      });
      body.appendChild(row);
    }
    tableBox.replaceChildren(table);
  }

  async function renderBurn(days) {
    // The burn rate needs one agent or one company; without either, chart the spend per day.
    if (selectedAgent || companyId) {
      const burn = await api(`/burn-rate${query(selectedAgent ? { agentId: selectedAgent, windowDays: days } : { companyId, windowDays: days })}`);
      const points = burn.daily.map((d) => ({ value: d.costCents, label: d.day.slice(0, 10), display: money(d.costCents) }));
      const exhausted = burn.daysUntilExhausted == null
        ? "no exhaustion at this pace"
        : `budget exhausted in ${decimal.format(burn.daysUntilExhausted)} days`;
      burnBox.replaceChildren(
        barChart(points, { title: `Spend per day (${burn.scope})` }),
        h("p", "pc-obs-muted", `${money(burn.costPerDayCents)} / day · ${integer.format(burn.tokensPerDay)} tokens / day · ${money(burn.remainingCents)} left · ${exhausted}`),
      );
      return;
    }
    const since = new Date(Date.now() - days * DAY_MS).toISOString();
    const series = await api(`/series${query({ bucket: "day", since })}`);
    const points = buckets(series.points, days + 1, DAY_MS).map(({ start, point }) => ({
      value: point ? point.costCents : 0,
      label: start.slice(0, 10),
      display: point ? `${money(point.costCents)}, ${integer.format(point.tokens)} tokens` : "no spend",
    }));
    const spent = series.points.reduce((sum, p) => sum + p.costCents, 0);
    burnBox.replaceChildren(
      barChart(points, { title: "Cost per day (all agents)" }),
      h("p", "pc-obs-muted", `${money(spent / days)} / day on average · select an agent for its budget outlook`),
    );
  }

  windowSelect.addEventListener("change", load);
  const stop = every(load);
  return () => {
    stop();
    el.replaceChildren();
  };
}

/**
 * The "token-burn-rate" dashboard widget: tokens and cost over the last 24 hours, the current
 * hourly pace, and an hourly sparkline.
 */
export function mountWidget(el, { api, companyId } = {}) {
  ensureStyle(document);
  const root = h("div", "pc-obs");
  el.replaceChildren(root);

  async function load() {
    const since = new Date(Date.now() - DAY_MS).toISOString();
    try {
      const series = await api(`/series${query({ bucket: "hour", since, companyId })}`);
      const tokens = series.points.reduce((sum, p) => sum + p.tokens, 0);
      const cost = series.points.reduce((sum, p) => sum + p.costCents, 0);
      const lastHour = series.points.filter((p) => Date.parse(p.start) >= Date.now() - HOUR_MS);
      const lastHourTokens = lastHour.reduce((sum, p) => sum + p.tokens, 0);
      const points = buckets(series.points, 24, HOUR_MS).map(({ start, point }) => ({
        value: point ? point.tokens : 0,
        label: start.slice(11, 16),
        display: `${integer.format(point ? point.tokens : 0)} tokens`,
      }));
      const cards = h("div", "pc-obs-cards");
      cards.append(
        card("tokens / hour (24 h avg)", integer.format(tokens / 24)),
        card("tokens this hour", integer.format(lastHourTokens)),
        card("cost, 24 h", money(cost)),
      );
      root.replaceChildren(cards, barChart(points, { width: 320, height: 80, title: "Tokens per hour" }));
    } catch (error) {
      showError(root, error);
    }
  }

  const stop = every(load);
  return () => {
    stop();
    el.replaceChildren();
  };
}

export default mountPage;
