// Projects: name, status, goal, description, and a link to their issues.

import { api, listAll } from "../api.js";
import { badge, empty, needCompany, pageHead } from "../components.js";
import { h } from "../dom.js";
import { dateTime, label } from "../format.js";
import { enumOptions, formDialog, optionsOf } from "../forms.js";
import { reload } from "../router.js";
import { currentCompany } from "../store.js";

const STATUSES = ["planned", "active", "completed", "archived"];

export default async function projectsPage(ctx) {
  const company = currentCompany();
  if (!company) return ctx.root.append(pageHead("Projects"), needCompany());
  const base = `/api/companies/${company.id}`;
  const [projects, goals] = await Promise.all([listAll(`${base}/projects`), listAll(`${base}/goals`)]);
  if (!ctx.isCurrent()) return;
  const goalTitles = new Map(goals.map((g) => [g.id, g.title]));
  const add = h("button", { class: "btn primary", type: "button", id: "new-project", onclick: () => newProject(company, goals) }, "New project");
  const table = h(
    "table",
    { id: "project-table" },
    h("thead", null, h("tr", null, ["Project", "Status", "Goal", "Updated", ""].map((t) => h("th", null, t)))),
    h(
      "tbody",
      null,
      projects.map((p) =>
        h(
          "tr",
          { dataset: { projectId: p.id } },
          h("td", null, h("strong", null, p.name), p.description ? h("div", { class: "muted small" }, p.description) : null),
          h("td", null, badge(p.status)),
          h("td", null, p.goalId ? goalTitles.get(p.goalId) || "—" : "—"),
          h("td", { class: "muted small" }, dateTime(p.updatedAt)),
          h("td", null, h("a", { href: `/issues?projectId=${p.id}` }, "Issues →")),
        ),
      ),
    ),
  );
  ctx.root.append(pageHead("Projects", add), h("section", { class: "card" }, projects.length ? h("div", { class: "table-wrap" }, table) : empty("No projects yet.")));
}

async function newProject(company, goals) {
  const created = await formDialog(
    "New project",
    [
      { name: "name", label: "Name", required: true },
      { name: "status", label: "Status", type: "select", options: enumOptions(STATUSES, label), value: "planned" },
      { name: "goalId", label: "Goal", type: "select", options: optionsOf(goals, "None", "title") },
      { name: "description", label: "Description", type: "textarea" },
    ],
    (values) => api.post(`/api/companies/${company.id}/projects`, values),
  );
  if (created) reload();
}
