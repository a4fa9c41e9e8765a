// Analytics module UI: the "Analytics" page and the "analytics-burn-rate" dashboard widget.
//
// A plain ES module loaded by the web shell (no build step, no dependencies). The contract:
//
//   mountPage(el, { moduleId, config, api, companyId? })            -> unmount()
//   mountWidget(el, { moduleId, config, api, widgetId, companyId? }) -> unmount()
//
// `api(path)` fetches `/api/modules/analytics${path}` with the shell's credentials and resolves
// to the parsed JSON. Without a `companyId` from the shell, the first company of
// `GET /companies` is shown (the page has a picker). Text from the server (agent and company
// names) is set with textContent, never parsed as HTML.
//
// Charts are inline SVG: time runs left to right (oldest bucket first, as the routes answer),
// the y axis is labelled with its unit, the first and last buckets with their dates.

const REFRESH_MS = 30_000;
const SVG_NS = "http://www.w3.org/2000/svg";
const HOUR_MS = 3_600_000;

const STYLE = `
.pc-an { font: 14px/1.4 system-ui, sans-serif; color: inherit; }
.pc-an h2 { font-size: 18px; margin: 0 0 12px; }
.pc-an h3 { font-size: 15px; margin: 16px 0 8px; }
.pc-an-controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 12px; }
.pc-an-cards { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 12px; }
.pc-an-card { border: 1px solid rgba(127,127,127,.3); border-radius: 6px; padding: 8px 12px; min-width: 120px; }
.pc-an-card b { display: block; font-size: 20px; }
.pc-an-card span { font-size: 12px; opacity: .75; }
.pc-an table { border-collapse: collapse; width: 100%; }
.pc-an th, .pc-an td { text-align: right; padding: 4px 8px; border-bottom: 1px solid rgba(127,127,127,.2); }
.pc-an th:first-child, .pc-an td:first-child { text-align: left; }
.pc-an-error { color: #c0392b; }
.pc-an-muted { opacity: .7; font-size: 12px; }
.pc-an svg { display: block; max-width: 100%; }
.pc-an-legend { font-size: 12px; display: flex; gap: 12px; }
.pc-an-legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
`;

/** Adds the module's stylesheet to the document once. */
function ensureStyle(doc) {
  if (doc.getElementById("pc-an-style")) return;
  const style = doc.createElement("style");
  style.id = "pc-an-style";
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

/** An SVG text node. */
function svgText(text, attrs) {
  const node = svg("text", { "font-size": 11, fill: "currentColor", ...attrs });
  node.textContent = text;
  return node;
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** Cents as dollars, e.g. 1234 → "$12.34". */
function money(cents) {
  return `$${(Number(cents || 0) / 100).toFixed(2)}`;
}

/** A ratio as a percentage, "–" for null. */
function percent(ratio) {
  return ratio == null ? "–" : `${decimal.format(ratio * 100)} %`;
}

/** Milliseconds as hours, "–" for null. */
function hours(ms) {
  return ms == null ? "–" : `${decimal.format(ms / HOUR_MS)} h`;
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
  const node = h("div", "pc-an-card");
  node.append(h("b", null, value), h("span", null, label));
  return node;
}

/**
 * A chart of `points` (oldest first, drawn left to right) as inline SVG. `series` are
 * `{ key, label, color, kind: "bar" | "line", format }`: bars of the series side by side within
 * a bucket, lines through the buckets' centres (null values leave a gap). The y axis runs from
 * 0 to the largest value (or `yMax`), labelled with `unit`; the first and last buckets are
 * labelled with their dates.
 */
function chart(points, series, { id, unit, width = 720, height = 200, yMax, yFormat = (v) => decimal.format(v) } = {}) {
  const node = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": unit, id });
  const left = 56;
  const right = 12;
  const top = 18;
  const bottom = 24;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const values = points.flatMap((p) => series.map((s) => p[s.key])).filter((v) => v != null);
  const max = yMax || Math.max(1, ...values);
  const step = points.length ? plotWidth / points.length : 0;
  const y = (v) => top + plotHeight - (plotHeight * v) / max;

  // Axes and their labels: unit at the top left, 0 and the maximum on the y axis.
  node.appendChild(svg("line", { x1: left, y1: top, x2: left, y2: top + plotHeight, stroke: "currentColor", "stroke-opacity": 0.4 }));
  node.appendChild(svg("line", { x1: left, y1: top + plotHeight, x2: width - right, y2: top + plotHeight, stroke: "currentColor", "stroke-opacity": 0.4 }));
  node.appendChild(svgText(unit, { x: 0, y: 11, class: "pc-an-unit" }));
  node.appendChild(svgText(yFormat(max), { x: left - 4, y: top + 4, "text-anchor": "end" }));
  node.appendChild(svgText(yFormat(0), { x: left - 4, y: top + plotHeight, "text-anchor": "end" }));
  if (points.length) {
    node.appendChild(svgText(points[0].start.slice(0, 10), { x: left, y: height - 6, "text-anchor": "start", class: "pc-an-first" }));
    node.appendChild(svgText(points[points.length - 1].start.slice(0, 10), { x: width - right, y: height - 6, "text-anchor": "end", class: "pc-an-last" }));
  }

  const bars = series.filter((s) => s.kind === "bar");
  const barWidth = bars.length ? Math.max(1, (step - 2) / bars.length) : 0;
  points.forEach((point, i) => {
    bars.forEach((s, j) => {
      const value = point[s.key] || 0;
      const rect = svg("rect", {
        x: left + i * step + 1 + j * barWidth,
        y: y(value),
        width: barWidth,
        height: top + plotHeight - y(value),
        fill: s.color,
        class: `pc-an-bar pc-an-bar-${s.key}`,
      });
      const tip = svg("title");
      tip.textContent = `${point.start.slice(0, 10)} · ${s.label}: ${s.format(point[s.key])}`;
      rect.appendChild(tip);
      node.appendChild(rect);
    });
  });
  for (const s of series.filter((s) => s.kind === "line")) {
    let path = "";
    points.forEach((point, i) => {
      const value = point[s.key];
      if (value == null) return;
      const x = left + i * step + step / 2;
      path += `${path && points[i - 1] && points[i - 1][s.key] != null ? "L" : "M"}${x.toFixed(1)},${y(value).toFixed(1)} `;
      const dot = svg("circle", { cx: x, cy: y(value), r: 2.5, fill: s.color });
      const tip = svg("title");
      tip.textContent = `${point.start.slice(0, 10)} · ${s.label}: ${s.format(value)}`;
      dot.appendChild(tip);
      node.appendChild(dot);
    });
    if (path) node.appendChild(svg("path", { d: path.trim(), fill: "none", stroke: s.color, "stroke-width": 1.5 }));
  }
  return node;
}

/** A legend for `series`. */
function legend(series) {
  const node = h("div", "pc-an-legend");
  for (const s of series) {
    const item = h("span");
    const swatch = h("i");
    swatch.style.background = s.color;
    item.append(swatch, document.createTextNode(s.label));
    node.appendChild(item);
  }
  return node;
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
  el.replaceChildren(h("p", "pc-an-error", `Cannot load analytics: ${error && error.message ? error.message : error}`));
}

/** The companies the module serves, `[{id, name}]`. */
async function companies(api) {
  return (await api("/companies")).items || [];
}

/**
 * The Analytics page: burn rate, utilisation and velocity of a company (or one of its agents)
 * over the last 30 or 90 days, and each agent's utilisation over the last 24 hours.
 */
export function mountPage(el, { api, companyId } = {}) {
  ensureStyle(document);
  const root = h("div", "pc-an");
  root.appendChild(h("h2", null, "Analytics"));
  const controls = h("div", "pc-an-controls");
  const companySelect = h("select");
  companySelect.id = "an-company";
  const agentSelect = h("select");
  agentSelect.id = "an-agent";
  const rangeSelect = h("select");
  rangeSelect.id = "an-range";
  for (const [days, label] of [[30, "Last 30 days"], [90, "Last 90 days"]]) {
    const option = h("option", null, label);
    option.value = String(days);
    rangeSelect.appendChild(option);
  }
  controls.append(h("label", null, "Company "), companySelect, h("label", null, "Agent "), agentSelect, rangeSelect);
  const cards = h("div", "pc-an-cards");
  cards.id = "an-cards";
  const burnBox = h("div");
  burnBox.id = "an-burn";
  const utilBox = h("div");
  utilBox.id = "an-utilisation";
  const velocityBox = h("div");
  velocityBox.id = "an-velocity";
  const agentsBox = h("div");
  agentsBox.id = "an-agents";
  root.append(
    controls,
    cards,
    h("h3", null, "Burn rate — spend per day"),
    burnBox,
    h("h3", null, "Agent utilisation — share of hours with a heartbeat, per day"),
    utilBox,
    h("h3", null, "Goal velocity — per week"),
    velocityBox,
    h("h3", null, "Utilisation, last 24 hours"),
    agentsBox,
  );
  el.replaceChildren(root);

  let company = companyId || null;
  let agent = "";

  async function loadCompanies() {
    const items = await companies(api);
    companySelect.replaceChildren();
    for (const c of items) {
      const option = h("option", null, c.name);
      option.value = c.id;
      companySelect.appendChild(option);
    }
    if (!company && items.length) company = items[0].id;
    if (company) companySelect.value = company;
  }

  async function load() {
    try {
      if (!companySelect.options.length) await loadCompanies();
      if (!company) {
        cards.replaceChildren(h("p", "pc-an-muted", "No company to show."));
        return;
      }
      const days = Number(rangeSelect.value);
      const from = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
      const scope = { companyId: company, agentId: agent };
      const [burn, util, velocity, recent] = await Promise.all([
        api(`/burn-rate${query({ ...scope, from, granularity: "day" })}`),
        api(`/utilisation${query({ ...scope, from, granularity: "day" })}`),
        api(`/velocity${query({ ...scope, from, granularity: "week" })}`),
        api(`/utilisation/recent${query({ companyId: company, hours: 24 })}`),
      ]);
      renderAgentChoices(recent.agents);
      cards.replaceChildren(
        card(`spend, ${days} days`, money(burn.totalCents)),
        card("spend per day", money(burn.averagePerDayCents)),
        card("utilisation", percent(util.utilisation)),
        card("issues done", integer.format(velocity.issuesDone)),
        card("goals completed", integer.format(velocity.goalsCompleted)),
        card("median cycle time", hours(velocity.cycleTime.p50Ms)),
      );
      renderBurn(burn);
      renderUtilisation(util);
      renderVelocity(velocity);
      renderRecent(recent);
    } catch (error) {
      showError(cards, error);
    }
  }

  function renderAgentChoices(agents) {
    const options = [["", "All agents"], ...agents.map((a) => [a.agentId, a.name])];
    agentSelect.replaceChildren();
    for (const [value, label] of options) {
      const option = h("option", null, label);
      option.value = value;
      agentSelect.appendChild(option);
    }
    agentSelect.value = agent;
  }

  function renderBurn(burn) {
    const series = [{ key: "spendCents", label: "Spend (USD)", color: "#4f86f7", kind: "bar", format: money }];
    const parts = [
      chart(burn.points, series, { id: "an-burn-chart", unit: "Spend per day (USD)", yFormat: money }),
      h("p", "pc-an-muted", `${money(burn.totalCents)} from ${burn.from.slice(0, 10)} to ${burn.to.slice(0, 10)} (exclusive) · ${money(burn.averagePerDayCents)} / day`),
    ];
    if (burn.agents.length) {
      const table = h("table");
      const head = h("tr");
      for (const title of ["Agent", "Spend"]) head.appendChild(h("th", null, title));
      table.appendChild(h("thead")).appendChild(head);
      const body = table.appendChild(h("tbody"));
      for (const a of burn.agents) {
        const row = h("tr", "pc-an-agent-spend");
        row.append(h("td", null, a.name || a.agentId), h("td", null, money(a.spendCents)));
        body.appendChild(row);
      }
      parts.push(table);
    }
    burnBox.replaceChildren(...parts);
  }

  function renderUtilisation(util) {
    const points = util.points.map((p) => ({ start: p.start, utilisation: p.utilisation == null ? null : p.utilisation * 100 }));
    const series = [{ key: "utilisation", label: "Utilisation (%)", color: "#27ae60", kind: "bar", format: (v) => (v == null ? "–" : `${decimal.format(v)} %`) }];
    utilBox.replaceChildren(
      chart(points, series, { id: "an-utilisation-chart", unit: "Utilisation (% of hours)", yMax: 100, yFormat: (v) => `${integer.format(v)} %` }),
      h("p", "pc-an-muted", `${integer.format(util.activeHours)} of ${integer.format(util.possibleHours)} agent-hours had a heartbeat`),
    );
  }

  function renderVelocity(velocity) {
    const counts = [
      { key: "issuesDone", label: "Issues done", color: "#8e44ad", kind: "bar", format: (v) => integer.format(v || 0) },
      { key: "goalsCompleted", label: "Goals completed", color: "#e67e22", kind: "bar", format: (v) => integer.format(v || 0) },
    ];
    const points = velocity.points.map((p) => ({
      start: p.start,
      issuesDone: p.issuesDone,
      goalsCompleted: p.goalsCompleted,
      p50: p.cycleTime.p50Ms == null ? null : p.cycleTime.p50Ms / HOUR_MS,
      p90: p.cycleTime.p90Ms == null ? null : p.cycleTime.p90Ms / HOUR_MS,
    }));
    const cycle = [
      { key: "p50", label: "Cycle time p50 (hours)", color: "#2980b9", kind: "line", format: (v) => `${decimal.format(v)} h` },
      { key: "p90", label: "Cycle time p90 (hours)", color: "#c0392b", kind: "line", format: (v) => `${decimal.format(v)} h` },
    ];
    velocityBox.replaceChildren(
      legend(counts),
      chart(points, counts, { id: "an-velocity-chart", unit: "Count per week" }),
      legend(cycle),
      chart(points, cycle, { id: "an-cycle-chart", unit: "Cycle time in_progress → done (hours)", yFormat: (v) => `${decimal.format(v)} h` }),
      h("p", "pc-an-muted", `${integer.format(velocity.cycleTime.count)} cycles · mean ${hours(velocity.cycleTime.meanMs)} · p50 ${hours(velocity.cycleTime.p50Ms)} · p90 ${hours(velocity.cycleTime.p90Ms)}`),
    );
  }

  function renderRecent(recent) {
    if (!recent.agents.length) {
      agentsBox.replaceChildren(h("p", "pc-an-muted", "No agents."));
      return;
    }
    const table = h("table");
    const head = h("tr");
    for (const title of ["Agent", "Active hours", "Possible hours", "Utilisation"]) head.appendChild(h("th", null, title));
    table.appendChild(h("thead")).appendChild(head);
    const body = table.appendChild(h("tbody"));
    for (const a of recent.agents) {
      const row = h("tr", "pc-an-recent-row");
      row.append(
        h("td", null, a.name),
        h("td", null, integer.format(a.activeHours)),
        h("td", null, integer.format(a.possibleHours)),
        h("td", null, percent(a.utilisation)),
      );
      body.appendChild(row);
    }
    agentsBox.replaceChildren(table);
  }

  companySelect.addEventListener("change", () => {
    company = companySelect.value;
    agent = "";
    load();
  });
  agentSelect.addEventListener("change", () => {
    agent = agentSelect.value;
    load();
  });
  rangeSelect.addEventListener("change", load);
  const stop = every(load);
  return () => {
    stop();
    el.replaceChildren();
  };
}

/**
 * The "analytics-burn-rate" dashboard widget: a company's spend over the last 7 days, its
 * daily average, utilisation over the last 24 hours, and a 7-day spend chart.
 */
export function mountWidget(el, { api, companyId } = {}) {
  ensureStyle(document);
  const root = h("div", "pc-an");
  el.replaceChildren(root);
  let company = companyId || null;

  async function load() {
    try {
      if (!company) {
        const items = await companies(api);
        if (!items.length) {
          root.replaceChildren(h("p", "pc-an-muted", "No company to show."));
          return;
        }
        company = items[0].id;
      }
      const from = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
      const [burn, recent] = await Promise.all([
        api(`/burn-rate${query({ companyId: company, from })}`),
        api(`/utilisation/recent${query({ companyId: company, hours: 24 })}`),
      ]);
      const cards = h("div", "pc-an-cards");
      cards.append(
        card("spend, 7 days", money(burn.totalCents)),
        card("spend per day", money(burn.averagePerDayCents)),
        card("utilisation, 24 h", percent(recent.utilisation)),
      );
      const series = [{ key: "spendCents", label: "Spend (USD)", color: "#4f86f7", kind: "bar", format: money }];
      root.replaceChildren(cards, chart(burn.points, series, { id: "an-widget-chart", unit: "Spend per day (USD)", width: 320, height: 100, yFormat: money }));
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
