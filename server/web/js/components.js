// Pieces several pages share: status badges, budget bars, empty states, paging.

import { h } from "./dom.js";
import { label, money, percentOf } from "./format.js";
import { store } from "./store.js";

/** A status (or priority) badge, coloured by value. */
export function badge(value, prefix = "s") {
  return h("span", { class: `badge ${prefix}-${value}` }, label(value));
}

/** Budget scale: the track shows 0–120 % of the budget, so overspend stays visible. */
const SCALE = 120;
/** The marks drawn on every budget bar, in percent of the budget. */
export const BUDGET_MARKS = [80, 90, 100];

/**
 * One agent's monthly budget use: name, a bar with marks at 80/90/100 %, and the figures.
 * Agents without a budget show "no budget".
 */
export function budgetBar(agent, { link = true } = {}) {
  const spent = agent.spentMonthlyCents || 0;
  const budget = agent.budgetMonthlyCents || 0;
  const percent = percentOf(spent, budget);
  const name = link ? h("a", { href: `/agents/${agent.id}`, class: "name" }, agent.name) : h("span", { class: "name" }, agent.name);
  const track = h("div", { class: "budget-track", role: "meter", "aria-label": `${agent.name} budget use`, "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": percent === null ? "0" : String(Math.round(percent)) });
  if (percent !== null) {
    const level = percent >= 100 ? "at-100" : percent >= 90 ? "at-90" : percent >= 80 ? "at-80" : "";
    track.appendChild(h("div", { class: `budget-fill ${level}`, style: { width: `${Math.min(percent, SCALE) / SCALE * 100}%` } }));
  }
  for (const mark of BUDGET_MARKS) {
    track.appendChild(h("div", { class: `budget-mark m-${mark}`, title: `${mark} %`, style: { left: `calc(${(mark / SCALE) * 100}% - 1px)` } }));
  }
  const figure = percent === null
    ? `${money(spent)} · no budget`
    : `${money(spent)} of ${money(budget)} · ${Math.round(percent)} %`;
  return h("div", { class: "budget", dataset: { agentId: agent.id } }, name, track, h("span", { class: "figure" }, figure));
}

/** The legend under a list of budget bars. */
export function budgetLegend() {
  return h("div", { class: "budget-legend" }, "Marks at 80 %, 90 % and 100 % of the monthly budget.");
}

/** A muted "nothing here" line. */
export function empty(text) {
  return h("div", { class: "empty" }, text);
}

/** The page heading with optional actions on the right. */
export function pageHead(title, ...actions) {
  return h("div", { class: "page-head" }, h("h1", null, title), ...actions);
}

/** Shown instead of a page when no company exists or is selected (or none could be loaded). */
export function needCompany() {
  if (store.error) {
    const message = store.error.status === 401
      ? "This server needs an API key: enter it in the dialog (or under “API key” in the sidebar)."
      : `The companies could not be loaded: ${store.error.message}`;
    return h("div", { class: "error-box", role: "alert" }, message);
  }
  return h(
    "div",
    { class: "card" },
    h("h2", null, "No company yet"),
    h("p", null, "Create a company with the company switcher at the top, or import one from a template."),
    h("a", { class: "btn primary", href: "/templates" }, "Import a template"),
  );
}

/** Previous/next paging for a list answer `{total, limit, offset}`; `go(offset)` loads a page. */
export function pager(page, go) {
  const { total, limit, offset } = page;
  const last = Math.min(offset + limit, total);
  return h(
    "div",
    { class: "pager" },
    h("button", { class: "btn", type: "button", disabled: offset <= 0, onclick: () => go(Math.max(0, offset - limit)) }, "‹ Previous"),
    h("span", { class: "muted small" }, total ? `${offset + 1}–${last} of ${total}` : "0 of 0"),
    h("button", { class: "btn", type: "button", disabled: last >= total, onclick: () => go(offset + limit) }, "Next ›"),
  );
}
