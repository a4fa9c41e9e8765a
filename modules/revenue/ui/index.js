// Revenue Tracking module UI: the "Revenue" page and the "monthly-margin" dashboard widget.
//
// A plain ES module, loaded by the web shell with import() from the bundle's ui/ folder — no
// build step, no framework, no dependencies. The contract with the shell:
//
//   mountPage(el, { moduleId, config, api, companyId? })            -> unmount()
//   mountWidget(el, { moduleId, config, api, widgetId, companyId? }) -> unmount()
//
//   api        api(path, init) fetches `/api/modules/revenue${path}` with the shell's
//              credentials and resolves to the parsed JSON (rejects with the server's `error`
//              message on an HTTP error); a plain-object `body` is sent as JSON
//   companyId  optional: the company selected in the shell; otherwise the page offers the
//              companies the module serves (GET /companies) and the widget takes the first
//
// The page charts the profit and loss (GET /pnl) — income and cost bars per period, time running
// left to right, the margin as a line, the money axis labelled in the P&L's currency — with the
// same figures in a table, and records and lists manual income (POST/GET/DELETE /income). Text
// from the server is set with textContent, never parsed as HTML.

const REFRESH_MS = 30_000;
const DAY_MS = 86_400_000;
const SVG_NS = "http://www.w3.org/2000/svg";

const STYLE = `
.pc-rev { font: 14px/1.45 system-ui, sans-serif; color: inherit; display: grid; gap: 14px; }
.pc-rev h2 { font-size: 18px; margin: 0; }
.pc-rev h3 { font-size: 15px; margin: 0 0 8px; }
.pc-rev-bar { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; }
.pc-rev-panel { border: 1px solid rgba(127,127,127,.3); border-radius: 8px; padding: 12px 14px; }
.pc-rev label { display: grid; gap: 2px; font-size: 12px; }
.pc-rev label > span { opacity: .75; }
.pc-rev input, .pc-rev select, .pc-rev button { font: inherit; color: inherit; background: transparent; border: 1px solid rgba(127,127,127,.45); border-radius: 6px; padding: 3px 8px; }
.pc-rev button { cursor: pointer; }
.pc-rev button.pc-rev-primary { background: #3b5bdb; border-color: #3b5bdb; color: #fff; }
.pc-rev table { border-collapse: collapse; width: 100%; }
.pc-rev th, .pc-rev td { text-align: right; padding: 4px 8px; border-bottom: 1px solid rgba(127,127,127,.2); }
.pc-rev th:first-child, .pc-rev td:first-child { text-align: left; }
.pc-rev tfoot td { font-weight: 600; }
.pc-rev .pc-rev-neg { color: #e03131; }
.pc-rev .pc-rev-pos { color: #2f9e44; }
.pc-rev-error { color: #e03131; white-space: pre-wrap; }
.pc-rev-muted { opacity: .7; font-size: 12px; }
.pc-rev-legend { display: flex; gap: 14px; font-size: 12px; }
.pc-rev-legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
.pc-rev-big { font-size: 24px; font-weight: 600; }
.pc-rev svg { display: block; max-width: 100%; }
`;

const COLORS = { income: "#2f9e44", cost: "#e8590c", margin: "#3b5bdb" };

/** Adds the module's stylesheet to the document once. */
function ensureStyle() {
  if (document.getElementById("pc-rev-style")) return;
  const style = document.createElement("style");
  style.id = "pc-rev-style";
  style.textContent = STYLE;
  document.head.appendChild(style);
}

/** Creates an element: `attrs` sets properties, `on…` listeners, `id`/`name`/… attributes. */
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (["id", "name", "type", "placeholder", "title", "step"].includes(key) || key.includes("-")) node.setAttribute(key, String(value));
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Creates an SVG element with attributes and optional text. */
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** Minor units as an amount with the currency code, e.g. 123456, "USD" → "1,234.56 USD". */
function money(cents, currency) {
  const amount = (Number(cents || 0) / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${amount} ${currency}`;
}

/** A cell or span coloured by sign. */
function signed(tag, cents, currency) {
  return h(tag, { className: cents < 0 ? "pc-rev-neg" : cents > 0 ? "pc-rev-pos" : "" }, money(cents, currency));
}

/** The message of a rejected `api` call. */
function message(error) {
  return error && error.message ? error.message : String(error);
}

/** `YYYY-MM-DD` of a time, in UTC. */
function isoDate(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The first of the month holding `ms` (UTC), and the first of the next month. */
function monthRange(ms) {
  const d = new Date(ms);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return { from: isoDate(from), to: isoDate(to) };
}

/** The ranges the page offers: [value, label, granularity, from, to]. */
function ranges() {
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const tomorrow = today + DAY_MS;
  const thisMonth = monthRange(today);
  const year = new Date(today).getUTCFullYear();
  return [
    ["30d", "Last 30 days, by day", "day", isoDate(tomorrow - 30 * DAY_MS), isoDate(tomorrow)],
    ["month", "This month, by day", "day", thisMonth.from, thisMonth.to],
    ["12w", "Last 12 weeks, by week", "week", isoDate(tomorrow - 84 * DAY_MS), isoDate(tomorrow)],
    ["year", `${year}, by month`, "month", `${year}-01-01`, `${year + 1}-01-01`],
  ];
}

/** A rounded step for about `count` axis ticks up to `max`. */
function niceStep(max, count) {
  const raw = max / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step || power * 10;
}

/**
 * The P&L chart as inline SVG: per period an income bar and a cost bar, oldest period on the
 * left; the margin as a line with dots; a y axis in the currency with gridlines, and period
 * labels along the x axis.
 */
function pnlChart(pnl, { width = 760, height = 260 } = {}) {
  const currency = pnl.currency;
  const periods = pnl.periods;
  const left = 84, right = 12, top = 22, bottom = 40;
  const plotW = width - left - right, plotH = height - top - bottom;
  const values = periods.flatMap((p) => [p.incomeCents, p.costCents, p.marginCents]);
  let max = Math.max(1, ...values);
  let min = Math.min(0, ...values);
  const step = niceStep(Math.max(max - min, 1), 5);
  max = Math.ceil(max / step) * step;
  min = Math.floor(min / step) * step;
  const y = (v) => top + ((max - v) / (max - min)) * plotH;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": `Income, cost and margin per ${pnl.granularity} in ${currency}`, id: "rev-chart" });

  // Money axis: gridlines and labels in the currency.
  for (let v = min; v <= max + step / 2; v += step) {
    chart.appendChild(svg("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), stroke: "currentColor", "stroke-opacity": v === 0 ? 0.5 : 0.12 }));
    chart.appendChild(svg("text", { x: left - 6, y: y(v) + 4, "font-size": 11, "text-anchor": "end", fill: "currentColor" }, money(v, "").trim()));
  }
  chart.appendChild(svg("text", { x: 4, y: 12, "font-size": 11, fill: "currentColor" }, `${currency} (income, cost, margin)`));

  // Time axis: one slot per period, left to right.
  const slot = periods.length ? plotW / periods.length : plotW;
  const barW = Math.max(1, Math.min(24, slot / 2 - 2));
  // About 8 labels; the last period is always labelled, so one too close before it is left out.
  const labelEvery = Math.max(1, Math.ceil(periods.length / 8));
  const labelled = (i) => i === periods.length - 1 || (i % labelEvery === 0 && periods.length - 1 - i >= labelEvery * 0.6);
  const marginPoints = [];
  periods.forEach((p, i) => {
    const x = left + i * slot + slot / 2;
    for (const [value, dx, color, name] of [[p.incomeCents, -barW, COLORS.income, "income"], [p.costCents, 0, COLORS.cost, "cost"]]) {
      const bar = svg("rect", { x: x + dx, y: Math.min(y(value), y(0)), width: barW, height: Math.abs(y(value) - y(0)), fill: color, class: `rev-bar-${name}` });
      bar.appendChild(svg("title", null, `${p.period} ${name}: ${money(value, currency)}`));
      chart.appendChild(bar);
    }
    marginPoints.push([x, y(p.marginCents), p]);
    if (labelled(i)) {
      // The outer labels align with the plot's edges so that they are not cut off.
      const last = i === periods.length - 1 && periods.length > 1;
      const [lx, anchor] = last ? [x + slot / 2, "end"] : i === 0 ? [x - slot / 2, "start"] : [x, "middle"];
      chart.appendChild(svg("text", { x: lx, y: height - bottom + 16, "font-size": 11, "text-anchor": anchor, fill: "currentColor", class: "rev-x-label" }, p.period));
    }
  });
  if (marginPoints.length) {
    chart.appendChild(svg("polyline", { points: marginPoints.map(([x, py]) => `${x},${py}`).join(" "), fill: "none", stroke: COLORS.margin, "stroke-width": 2 }));
    for (const [x, py, p] of marginPoints) {
      const dot = svg("circle", { cx: x, cy: py, r: 3, fill: COLORS.margin });
      dot.appendChild(svg("title", null, `${p.period} margin: ${money(p.marginCents, currency)}`));
      chart.appendChild(dot);
    }
  }
  chart.appendChild(svg("text", { x: left + plotW / 2, y: height - 6, "font-size": 11, "text-anchor": "middle", fill: "currentColor" }, `${pnl.granularity} (UTC${pnl.granularity === "week" ? ", weeks start on Monday" : ""}) →`));
  return chart;
}

/** The P&L table: a row per period and a totals row. */
function pnlTable(pnl) {
  const c = pnl.currency;
  const table = h("table", { id: "rev-table" });
  table.appendChild(h("thead", null, h("tr", null, ["Period", `Income (${c})`, `Cost (${c})`, `Margin (${c})`].map((t) => h("th", null, t)))));
  table.appendChild(h("tbody", null, pnl.periods.map((p) => h("tr", { className: "rev-period" },
    h("td", null, p.period), h("td", null, money(p.incomeCents, c)), h("td", null, money(p.costCents, c)), signed("td", p.marginCents, c)))));
  const t = pnl.totals;
  table.appendChild(h("tfoot", null, h("tr", { id: "rev-totals" },
    h("td", null, "Total"), h("td", null, money(t.incomeCents, c)), h("td", null, money(t.costCents, c)), signed("td", t.marginCents, c))));
  return table;
}

/** Runs `load` now and every REFRESH_MS; returns the function that stops it. */
function every(load) {
  let stopped = false;
  const run = () => { if (!stopped) load(); };
  run();
  const timer = setInterval(run, REFRESH_MS);
  return () => { stopped = true; clearInterval(timer); };
}

/** The company to show: the shell's, else the first the module serves (null when none). */
async function firstCompany(api, companyId) {
  if (companyId) return companyId;
  const companies = (await api("/companies")).items;
  return companies.length ? companies[0].id : null;
}

/**
 * The Revenue page: a company and range picker, the P&L chart and table, a form for a manual
 * income entry, and the latest entries (manual ones can be deleted).
 */
export function mountPage(el, { api, companyId: shellCompany } = {}) {
  ensureStyle();
  let companyId = shellCompany || null;
  const root = h("div", { className: "pc-rev" }, h("h2", null, "Revenue"));
  const bar = h("div", { className: "pc-rev-bar" });
  const rangeSelect = h("select", { name: "range", id: "rev-range" });
  for (const [value, label] of ranges()) rangeSelect.appendChild(h("option", { value }, label));
  const pnlBox = h("div", { id: "rev-pnl" });
  const entriesBox = h("div", { id: "rev-entries" });
  const form = incomeForm();
  root.append(bar,
    h("div", { className: "pc-rev-panel" }, h("h3", null, "Profit and loss"),
      h("div", { className: "pc-rev-legend" },
        h("span", null, h("i", { style: `background:${COLORS.income}` }), "income"),
        h("span", null, h("i", { style: `background:${COLORS.cost}` }), "cost (agent spend)"),
        h("span", null, h("i", { style: `background:${COLORS.margin}` }), "margin = income − cost")),
      pnlBox),
    h("div", { className: "pc-rev-panel" }, h("h3", null, "Record income"), form.node),
    h("div", { className: "pc-rev-panel" }, h("h3", null, "Latest income"), entriesBox));
  el.replaceChildren(root);

  async function pickCompany() {
    if (shellCompany) return;
    const companies = (await api("/companies")).items;
    if (!companies.length) return;
    if (!companyId) companyId = companies[0].id;
    const picker = h("select", { name: "company", id: "rev-company", onchange: () => { companyId = picker.value; load(); } },
      companies.map((c) => h("option", { value: c.id, selected: c.id === companyId }, c.name)));
    bar.prepend(h("label", null, h("span", null, "Company"), picker));
  }

  async function load() {
    if (!companyId) {
      pnlBox.replaceChildren(h("p", { className: "pc-rev-muted", id: "rev-no-company" }, "No company: create one first."));
      return;
    }
    const [, , granularity, from, to] = ranges().find((r) => r[0] === rangeSelect.value);
    try {
      const q = new URLSearchParams({ companyId, from, to, granularity });
      const pnl = await api(`/pnl?${q}`);
      const other = pnl.otherCurrencies.length
        ? h("p", { className: "pc-rev-muted" }, `Not counted (other currencies, never converted): ${pnl.otherCurrencies.map((o) => money(o.incomeCents, o.currency)).join(", ")}`)
        : null;
      pnlBox.replaceChildren(pnlChart(pnl), pnlTable(pnl), other || "");
    } catch (error) {
      pnlBox.replaceChildren(h("p", { className: "pc-rev-error" }, `Cannot load the P&L: ${message(error)}`));
    }
    try {
      const list = await api(`/income?${new URLSearchParams({ companyId, limit: "20" })}`);
      renderEntries(list);
    } catch (error) {
      entriesBox.replaceChildren(h("p", { className: "pc-rev-error" }, message(error)));
    }
  }

  function renderEntries(list) {
    if (!list.items.length) {
      entriesBox.replaceChildren(h("p", { className: "pc-rev-muted", id: "rev-no-entries" }, "No income recorded yet."));
      return;
    }
    const table = h("table", null, h("thead", null, h("tr", null, ["Date", "Amount", "Source", "Description", ""].map((t) => h("th", null, t)))));
    table.appendChild(h("tbody", null, list.items.map((entry) => h("tr", { className: "rev-entry" },
      h("td", null, entry.occurredAt.slice(0, 10)),
      signed("td", entry.amountCents, entry.currency),
      h("td", null, entry.source === "stripe" ? `Stripe ${entry.stripeEventType}` : "manual"),
      h("td", null, entry.description || ""),
      h("td", null, entry.source === "manual"
        ? h("button", { className: "rev-delete", onclick: async () => {
            try { await api(`/income/${encodeURIComponent(entry.id)}`, { method: "DELETE" }); load(); }
            catch (error) { entriesBox.prepend(h("p", { className: "pc-rev-error" }, message(error))); }
          } }, "Delete")
        : "")))));
    entriesBox.replaceChildren(table, h("p", { className: "pc-rev-muted" }, `${list.total} entries in all`));
  }

  function incomeForm() {
    const amount = h("input", { name: "amount", type: "number", step: "0.01", placeholder: "49.00" });
    const currency = h("input", { name: "currency", value: "USD", size: 4 });
    const date = h("input", { name: "date", type: "date", value: isoDate(Date.now()) });
    const description = h("input", { name: "description", placeholder: "Consulting invoice #12" });
    const error = h("p", { className: "pc-rev-error", id: "rev-form-error" });
    const save = h("button", { className: "pc-rev-primary", id: "rev-save", type: "button", onclick: async () => {
      error.textContent = "";
      const cents = Math.round(Number(amount.value) * 100);
      const body = { companyId, amountCents: Number.isFinite(cents) ? cents : 0, currency: currency.value, occurredAt: date.value, description: description.value };
      try {
        await api("/income", { method: "POST", body });
        amount.value = "";
        description.value = "";
        load();
      } catch (e) {
        error.textContent = message(e);
      }
    } }, "Record");
    const node = h("div", null,
      h("div", { className: "pc-rev-bar" },
        h("label", null, h("span", null, "Amount"), amount),
        h("label", null, h("span", null, "Currency (ISO 4217)"), currency),
        h("label", null, h("span", null, "Date (UTC)"), date),
        h("label", null, h("span", null, "Description"), description),
        save),
      error,
      h("p", { className: "pc-rev-muted" }, "A negative amount records money paid back. Stripe payments arrive by themselves through the webhook /webhooks/revenue/stripe."));
    return { node };
  }

  rangeSelect.addEventListener("change", load);
  bar.append(h("label", null, h("span", null, "Range"), rangeSelect));
  let stop = () => {};
  pickCompany()
    .catch((error) => pnlBox.replaceChildren(h("p", { className: "pc-rev-error" }, message(error))))
    .then(() => { stop = every(load); });
  return () => {
    stop();
    el.replaceChildren();
  };
}

/** The "monthly-margin" dashboard widget: this month's margin, income and cost (UTC month). */
export function mountWidget(el, { api, companyId } = {}) {
  ensureStyle();
  const root = h("div", { className: "pc-rev", id: "rev-widget" });
  el.replaceChildren(root);

  async function load() {
    try {
      const company = await firstCompany(api, companyId);
      if (!company) {
        root.replaceChildren(h("p", { className: "pc-rev-muted" }, "No company yet."));
        return;
      }
      const { from, to } = monthRange(Date.now());
      const pnl = await api(`/pnl?${new URLSearchParams({ companyId: company, from, to, granularity: "month" })}`);
      const t = pnl.totals;
      root.replaceChildren(
        h("div", null, h("span", { className: "pc-rev-muted" }, `Margin, ${from.slice(0, 7)} (UTC)`)),
        signed("div", t.marginCents, pnl.currency),
        h("div", { className: "pc-rev-muted", id: "rev-widget-detail" }, `income ${money(t.incomeCents, pnl.currency)} · cost ${money(t.costCents, pnl.currency)}`),
      );
      root.children[1].classList.add("pc-rev-big");
      root.children[1].id = "rev-widget-margin";
    } catch (error) {
      root.replaceChildren(h("p", { className: "pc-rev-error" }, `Cannot load the margin: ${message(error)}`));
    }
  }

  const stop = every(load);
  return () => {
    stop();
    el.replaceChildren();
  };
}

export default mountPage;
