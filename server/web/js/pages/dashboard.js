// Dashboard: the selected company's agents and their status, budget use per agent (marks at
// 80/90/100 %), open issues by status, recent activity, and the dashboard widgets of running
// modules (mounted and unmounted as modules come and go).

import { listAll, request } from "../api.js";
import { badge, budgetBar, budgetLegend, empty, needCompany, pageHead } from "../components.js";
import { h } from "../dom.js";
import { ago, count, label, money } from "../format.js";
import { dashboardWidgets, onRunningChange } from "../module_registry.js";
import { mountModuleUi } from "../module_ui.js";
import { currentCompany } from "../store.js";

/** Issue statuses counted as open, in workflow order. */
const OPEN_STATUSES = ["backlog", "todo", "in_progress", "in_review"];

export default async function dashboard(ctx) {
  const company = currentCompany();
  const widgets = h("div", { class: "grid", id: "dashboard-widgets" });
  const widgetSection = h("section", { class: "stack", "aria-label": "Module widgets" }, widgets);
  ctx.root.append(pageHead(company ? company.name : "Dashboard"));
  const core = h("div", { class: "grid", id: "dashboard-core" });
  const lower = h("div", { class: "grid", style: { marginTop: "16px" } });
  ctx.root.append(core, h("h2", { style: { marginTop: "24px" } }, "Module widgets"), widgetSection, lower);
  syncWidgets(ctx, widgets, company);

  if (!company) {
    core.append(h("div", { class: "wide" }, needCompany()));
    return;
  }
  const agentsCard = h("section", { class: "card", id: "dashboard-agents" }, h("h2", null, "Agents"), h("div", { class: "muted" }, "Loading…"));
  const budgetCard = h("section", { class: "card", id: "dashboard-budgets" }, h("h2", null, "Budgets this month"), h("div", { class: "muted" }, "Loading…"));
  const issuesCard = h("section", { class: "card", id: "dashboard-issues" }, h("h2", null, "Open issues by status"), h("div", { class: "muted" }, "Loading…"));
  const activityCard = h("section", { class: "card wide", id: "dashboard-activity" }, h("h2", null, "Recent activity"), h("div", { class: "muted" }, "Loading…"));
  core.append(agentsCard, budgetCard, issuesCard);
  lower.append(activityCard);

  const base = `/api/companies/${company.id}`;
  const [agents, issueCounts, activity] = await Promise.all([
    listAll(`${base}/agents`),
    Promise.all(OPEN_STATUSES.map((status) => request(`${base}/issues?status=${status}&limit=1`).then((page) => [status, page.total]))),
    request(`${base}/activity?limit=10`),
  ]);
  if (!ctx.isCurrent()) return;
  fillAgents(agentsCard, agents);
  fillBudgets(budgetCard, agents);
  fillIssues(issuesCard, issueCounts);
  fillActivity(activityCard, activity.items, agents);
}

function fillAgents(card, agents) {
  const byStatus = new Map();
  for (const agent of agents) byStatus.set(agent.status, (byStatus.get(agent.status) || 0) + 1);
  const stats = h("div", { class: "stat-row" }, h("div", { class: "stat" }, h("b", null, count(agents.length)), h("span", null, "agents")));
  for (const [status, n] of byStatus) stats.append(h("div", { class: "stat", dataset: { status } }, h("b", null, count(n)), h("span", null, label(status))));
  const rows = agents.map((agent) =>
    h(
      "tr",
      { dataset: { agentId: agent.id } },
      h("td", null, h("a", { href: `/agents/${agent.id}` }, agent.name)),
      h("td", { class: "muted" }, agent.title || agent.role),
      h("td", null, badge(agent.status)),
      h("td", { class: "muted small" }, agent.lastHeartbeatAt ? `♥ ${ago(agent.lastHeartbeatAt)}` : "no heartbeat"),
    ),
  );
  card.replaceChildren(
    h("h2", null, "Agents"),
    stats,
    agents.length ? h("div", { class: "table-wrap" }, h("table", null, h("tbody", null, rows))) : empty("No agents yet."),
  );
}

function fillBudgets(card, agents) {
  const budgeted = [...agents].sort((a, b) => share(b) - share(a));
  card.replaceChildren(
    h("h2", null, "Budgets this month"),
    budgeted.length ? h("div", null, budgeted.map((agent) => budgetBar(agent))) : empty("No agents yet."),
    budgetLegend(),
  );
}

function share(agent) {
  return agent.budgetMonthlyCents > 0 ? agent.spentMonthlyCents / agent.budgetMonthlyCents : -1;
}

function fillIssues(card, counts) {
  const max = Math.max(1, ...counts.map(([, n]) => n));
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  card.replaceChildren(
    h("h2", null, "Open issues by status"),
    h("div", { class: "stat-row" }, h("div", { class: "stat" }, h("b", null, count(total)), h("span", null, "open issues"))),
    ...counts.map(([status, n]) =>
      h(
        "a",
        { class: "count-bar", href: `/issues?status=${status}`, dataset: { status } },
        h("span", null, label(status)),
        h("div", { class: "bar", style: { width: `${(n / max) * 100}%` } }),
        h("b", { class: "count" }, count(n)),
      ),
    ),
  );
}

function fillActivity(card, items, agents) {
  const names = new Map(agents.map((a) => [a.id, a.name]));
  card.replaceChildren(
    h("h2", null, "Recent activity"),
    items.length
      ? h(
          "ul",
          { class: "feed" },
          items.map((item) =>
            h(
              "li",
              null,
              h("time", { datetime: item.createdAt, title: item.createdAt }, ago(item.createdAt)),
              h("code", null, item.action),
              h("span", null, describe(item, names)),
            ),
          ),
        )
      : empty("Nothing has happened yet."),
    h("a", { href: "/activity", class: "small" }, "All activity →"),
  );
}

/** A short human description of an activity row (`names`: agent id → name). */
export function describe(item, names) {
  const d = item.details || {};
  const agent = (id) => names.get(id) || "an agent";
  switch (item.action) {
    case "issue.created":
      return `${d.identifier || "Issue"} “${d.title || ""}” created`;
    case "agent.heartbeat":
      return d.meta && d.meta.tokensUsed != null ? `${agent(item.entityId)} checked in (${count(d.meta.tokensUsed)} tokens)` : `${agent(item.entityId)} checked in`;
    case "agent.status_changed":
      return `${agent(item.entityId)}: ${label(d.from)} → ${label(d.to)}`;
    case "cost_event.created":
      return `${agent(d.agentId)} spent ${money(d.amountCents)} (${d.source || "manual"})`;
    case "budget.threshold_crossed":
      return `${agent(item.entityId)} passed ${d.percent} % of the monthly budget`;
    default: {
      const subject = d.title || d.name || d.identifier || names.get(item.entityId) || "";
      return `${label(item.entityType)} ${subject}`.trim();
    }
  }
}

/** Keeps one card per dashboard widget of the running modules, for as long as the page is shown. */
function syncWidgets(ctx, container, company) {
  const mounted = new Map();
  const sync = () => {
    const wanted = dashboardWidgets().map(({ module, widget }) => ({
      key: JSON.stringify([module.id, widget.id, module.version, module.config]),
      module,
      widget,
    }));
    const keys = new Set(wanted.map((w) => w.key));
    for (const [key, entry] of mounted) {
      if (!keys.has(key)) {
        entry.mount.unmount();
        entry.card.remove();
        mounted.delete(key);
      }
    }
    for (const { key, module, widget } of wanted) {
      if (mounted.has(key)) {
        container.appendChild(mounted.get(key).card);
        continue;
      }
      const slot = h("div", { class: "widget-slot" });
      const card = h(
        "section",
        { class: "card widget", dataset: { module: module.id, widget: widget.id } },
        h("h3", null, h("span", null, widget.label || widget.id), h("span", { class: "muted small" }, module.name || module.id)),
        slot,
      );
      container.appendChild(card);
      mounted.set(key, { card, mount: mountModuleUi(slot, { module, kind: "widget", item: widget, companyId: company && company.id }) });
    }
    if (!mounted.size) container.replaceChildren(h("div", { class: "empty", id: "no-widgets" }, "No module widgets. Enable a module under Settings → Modules."));
    else container.querySelector("#no-widgets")?.remove();
  };
  sync();
  const stop = onRunningChange(sync);
  ctx.onCleanup(() => {
    stop();
    for (const entry of mounted.values()) entry.mount.unmount();
    mounted.clear();
  });
}
