// Issues: a filtered, paged list (filters live in the URL), status changes in place, and a
// dialog to create one.

import { api, listAll, qs, request } from "../api.js";
import { badge, empty, needCompany, pageHead, pager } from "../components.js";
import { errorBox, h, select } from "../dom.js";
import { ago, label } from "../format.js";
import { enumOptions, formDialog, optionsOf } from "../forms.js";
import { navigate, reload } from "../router.js";
import { currentCompany } from "../store.js";

export const ISSUE_STATUSES = ["backlog", "todo", "in_progress", "in_review", "done", "cancelled"];
export const PRIORITIES = ["low", "medium", "high", "urgent"];
const FILTERS = ["status", "priority", "assigneeAgentId", "projectId", "goalId"];
const PAGE_SIZE = 50;

export default async function issuesPage(ctx) {
  const company = currentCompany();
  if (!company) return ctx.root.append(pageHead("Issues"), needCompany());
  const base = `/api/companies/${company.id}`;
  const filters = {};
  for (const key of FILTERS) filters[key] = ctx.query.get(key) || "";
  const offset = Math.max(0, Number(ctx.query.get("offset")) || 0);
  const [agents, projects, goals, page] = await Promise.all([
    listAll(`${base}/agents`),
    listAll(`${base}/projects`),
    listAll(`${base}/goals`),
    request(`${base}/issues${qs({ ...filters, limit: PAGE_SIZE, offset })}`),
  ]);
  if (!ctx.isCurrent()) return;
  const agentNames = new Map(agents.map((a) => [a.id, a.name]));
  const projectNames = new Map(projects.map((p) => [p.id, p.name]));

  // A filter change starts again at the first page.
  const go = (changes) => navigate(`/issues${qs({ ...filters, ...changes })}`);
  const filterBar = h(
    "div",
    { class: "filters", id: "issue-filters" },
    filterSelect("status", "All statuses", enumOptions(ISSUE_STATUSES, label), filters, go),
    filterSelect("priority", "All priorities", enumOptions(PRIORITIES, label), filters, go),
    filterSelect("assigneeAgentId", "Anyone", agents.map((a) => [a.id, a.name]), filters, go),
    filterSelect("projectId", "All projects", projects.map((p) => [p.id, p.name]), filters, go),
    FILTERS.some((k) => filters[k]) ? h("a", { class: "btn", href: "/issues" }, "Clear filters") : null,
  );
  const add = h("button", { class: "btn primary", type: "button", id: "new-issue", onclick: () => newIssue(company, agents, projects, goals) }, "New issue");
  const feedback = h("div");
  const rows = page.items.map((issue) => {
    const status = select({ "aria-label": `Status of ${issue.identifier}`, class: "issue-status" }, ISSUE_STATUSES.map((s) => [s, label(s)]), issue.status);
    status.addEventListener("change", async () => {
      feedback.replaceChildren();
      try {
        const updated = await api.patch(`/api/issues/${issue.id}`, { status: status.value });
        issue.status = updated.status;
      } catch (error) {
        status.value = issue.status;
        feedback.replaceChildren(errorBox(`${issue.identifier}: ${error.message}`));
      }
    });
    return h(
      "tr",
      { dataset: { issueId: issue.id, identifier: issue.identifier } },
      h("td", null, h("a", { href: `/issues/${issue.id}` }, issue.identifier)),
      h("td", { class: "issue-title" }, h("a", { href: `/issues/${issue.id}` }, issue.title)),
      h("td", null, status),
      h("td", null, badge(issue.priority, "p")),
      h("td", null, issue.assigneeAgentId ? agentNames.get(issue.assigneeAgentId) || "—" : "—"),
      h("td", null, issue.projectId ? projectNames.get(issue.projectId) || "—" : "—"),
      h("td", { class: "muted small" }, ago(issue.updatedAt)),
    );
  });
  ctx.root.append(
    pageHead("Issues", add),
    filterBar,
    feedback,
    h(
      "section",
      { class: "card" },
      page.items.length
        ? h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { id: "issue-table" },
              h("thead", null, h("tr", null, ["Id", "Title", "Status", "Priority", "Assignee", "Project", "Updated"].map((t) => h("th", null, t)))),
              h("tbody", null, rows),
            ),
          )
        : empty(FILTERS.some((k) => filters[k]) ? "No issue matches these filters." : "No issues yet."),
      page.total > PAGE_SIZE ? pager(page, (next) => go({ offset: next })) : null,
    ),
  );
}

function filterSelect(key, allLabel, options, filters, go) {
  const el = select({ "aria-label": allLabel, dataset: { filter: key } }, [["", allLabel], ...options], filters[key]);
  el.addEventListener("change", () => go({ [key]: el.value }));
  return el;
}

/** The fields of an issue form; `issue` pre-fills them (edit), refs may be cleared with "—". */
export function issueFields(agents, projects, goals, issue) {
  const clearable = issue ? null : undefined;
  return [
    { name: "title", label: "Title", required: true, value: issue && issue.title, wide: true },
    { name: "status", label: "Status", type: "select", options: enumOptions(ISSUE_STATUSES, label), value: issue ? issue.status : "backlog" },
    { name: "priority", label: "Priority", type: "select", options: enumOptions(PRIORITIES, label), value: issue ? issue.priority : "medium" },
    { name: "assigneeAgentId", label: "Assignee", type: "select", options: optionsOf(agents, "Nobody"), value: issue && issue.assigneeAgentId, emptyAs: clearable },
    { name: "projectId", label: "Project", type: "select", options: optionsOf(projects, "None"), value: issue && issue.projectId, emptyAs: clearable },
    { name: "goalId", label: "Goal", type: "select", options: optionsOf(goals, "None", "title"), value: issue && issue.goalId, emptyAs: clearable },
    { name: "description", label: "Description", type: "textarea", value: issue && issue.description, emptyAs: clearable },
  ];
}

async function newIssue(company, agents, projects, goals) {
  const created = await formDialog("New issue", issueFields(agents, projects, goals, null), (values) => api.post(`/api/companies/${company.id}/issues`, values));
  if (created) reload();
}
