// Goals as a tree (parentId), with level, status and owner.

import { api, listAll } from "../api.js";
import { badge, empty, needCompany, pageHead } from "../components.js";
import { h } from "../dom.js";
import { label } from "../format.js";
import { enumOptions, formDialog, optionsOf } from "../forms.js";
import { reload } from "../router.js";
import { currentCompany } from "../store.js";

const LEVELS = ["company", "team", "agent"];
const STATUSES = ["planned", "active", "completed", "cancelled"];

export default async function goalsPage(ctx) {
  const company = currentCompany();
  if (!company) return ctx.root.append(pageHead("Goals"), needCompany());
  const base = `/api/companies/${company.id}`;
  const [goals, agents] = await Promise.all([listAll(`${base}/goals`), listAll(`${base}/agents`)]);
  if (!ctx.isCurrent()) return;
  const owners = new Map(agents.map((a) => [a.id, a]));
  const add = h("button", { class: "btn primary", type: "button", id: "new-goal", onclick: () => newGoal(company, goals, agents) }, "New goal");
  ctx.root.append(pageHead("Goals", add), h("section", { class: "card" }, goals.length ? tree(goals, owners) : empty("No goals yet.")));
}

function tree(goals, owners) {
  const ids = new Set(goals.map((g) => g.id));
  const children = new Map();
  for (const goal of goals) {
    const parent = goal.parentId && ids.has(goal.parentId) ? goal.parentId : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(goal);
  }
  const seen = new Set();
  const branch = (parent) => {
    const list = (children.get(parent) || []).filter((g) => !seen.has(g.id));
    if (!list.length) return null;
    return h(
      "ul",
      parent ? null : { class: "tree", id: "goal-tree" },
      list.map((goal) => {
        seen.add(goal.id);
        const owner = goal.ownerAgentId && owners.get(goal.ownerAgentId);
        return h(
          "li",
          { dataset: { goalId: goal.id } },
          h(
            "div",
            { class: "node" },
            h("strong", null, goal.title),
            h("span", { class: "role" }, label(goal.level)),
            badge(goal.status),
            owner ? h("a", { class: "small", href: `/agents/${owner.id}` }, owner.name) : null,
            goal.description ? h("span", { class: "muted small" }, goal.description) : null,
          ),
          branch(goal.id),
        );
      }),
    );
  };
  return branch(null);
}

async function newGoal(company, goals, agents) {
  const created = await formDialog(
    "New goal",
    [
      { name: "title", label: "Title", required: true },
      { name: "level", label: "Level", type: "select", options: enumOptions(LEVELS, label), value: "company" },
      { name: "status", label: "Status", type: "select", options: enumOptions(STATUSES, label), value: "planned" },
      { name: "parentId", label: "Parent goal", type: "select", options: optionsOf(goals, "None", "title") },
      { name: "ownerAgentId", label: "Owner", type: "select", options: optionsOf(agents, "Nobody") },
      { name: "description", label: "Description", type: "textarea" },
    ],
    (values) => api.post(`/api/companies/${company.id}/goals`, values),
  );
  if (created) reload();
}
