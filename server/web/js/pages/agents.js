// Agents: the org chart as a tree (reportsTo), each node with role, status and budget use.

import { api, listAll } from "../api.js";
import { badge, empty, needCompany, pageHead } from "../components.js";
import { h } from "../dom.js";
import { ago, label, money, percentOf } from "../format.js";
import { enumOptions, formDialog, optionsOf } from "../forms.js";
import { reload } from "../router.js";
import { currentCompany } from "../store.js";

export const AGENT_STATUSES = ["idle", "active", "paused", "error", "terminated"];

export default async function agentsPage(ctx) {
  const company = currentCompany();
  if (!company) return ctx.root.append(pageHead("Agents"), needCompany());
  const agents = await listAll(`/api/companies/${company.id}/agents`);
  if (!ctx.isCurrent()) return;
  const add = h("button", { class: "btn primary", type: "button", id: "new-agent", onclick: () => newAgent(company, agents) }, "New agent");
  ctx.root.append(pageHead("Agents", add), h("section", { class: "card" }, h("h2", null, "Org chart"), agents.length ? orgChart(agents) : empty("No agents yet.")));
}

/** The org chart: roots are agents reporting to nobody (or to an agent not in the list). */
export function orgChart(agents) {
  const ids = new Set(agents.map((a) => a.id));
  const children = new Map();
  for (const agent of agents) {
    const parent = agent.reportsTo && ids.has(agent.reportsTo) ? agent.reportsTo : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(agent);
  }
  const seen = new Set();
  const branch = (parent) => {
    const list = (children.get(parent) || []).filter((a) => !seen.has(a.id));
    if (!list.length) return null;
    return h(
      "ul",
      parent ? null : { class: "tree", id: "org-chart" },
      list.map((agent) => {
        seen.add(agent.id);
        return h("li", { dataset: { agentId: agent.id } }, node(agent), branch(agent.id));
      }),
    );
  };
  return branch(null);
}

function node(agent) {
  const percent = percentOf(agent.spentMonthlyCents, agent.budgetMonthlyCents);
  return h(
    "div",
    { class: "node" },
    h("a", { href: `/agents/${agent.id}` }, h("strong", null, agent.name)),
    h("span", { class: "role" }, agent.title ? `${agent.title} · ${agent.role}` : agent.role),
    badge(agent.status),
    h("span", { class: "muted small" }, percent === null ? `${money(agent.spentMonthlyCents)} spent` : `${Math.round(percent)} % of ${money(agent.budgetMonthlyCents)}`),
    h("span", { class: "muted small" }, agent.lastHeartbeatAt ? `♥ ${ago(agent.lastHeartbeatAt)}` : ""),
  );
}

async function newAgent(company, agents) {
  const created = await formDialog(
    "New agent",
    [
      { name: "name", label: "Name", required: true },
      { name: "role", label: "Role", value: "engineer" },
      { name: "title", label: "Title" },
      { name: "status", label: "Status", type: "select", options: enumOptions(AGENT_STATUSES, label), value: "idle" },
      { name: "reportsTo", label: "Reports to", type: "select", options: optionsOf(agents, "Nobody") },
      { name: "budgetMonthlyCents", label: "Monthly budget ($)", type: "money" },
    ],
    (values) => api.post(`/api/companies/${company.id}/agents`, values),
  );
  if (created) reload();
}
