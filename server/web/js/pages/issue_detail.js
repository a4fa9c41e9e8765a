// One issue: edit every field (status included) and see its activity.

import { api, listAll, request } from "../api.js";
import { badge, empty, pageHead } from "../components.js";
import { h } from "../dom.js";
import { dateTime } from "../format.js";
import { entityForm } from "../forms.js";
import { issueFields } from "./issues.js";

export default async function issueDetail(ctx) {
  const issue = await request(`/api/issues/${encodeURIComponent(ctx.params.id)}`);
  const base = `/api/companies/${issue.companyId}`;
  const [agents, projects, goals, activity] = await Promise.all([
    listAll(`${base}/agents`),
    listAll(`${base}/projects`),
    listAll(`${base}/goals`),
    request(`${base}/activity?entityId=${issue.id}&limit=50`),
  ]);
  if (!ctx.isCurrent()) return;
  const saved = h("div");
  const form = entityForm(issueFields(agents, projects, goals, issue), {
    id: "issue-form",
    submitLabel: "Save changes",
    submit: (values) => api.patch(`/api/issues/${issue.id}`, values),
    onDone: (updated) => {
      heading.textContent = `${updated.identifier} · ${updated.title}`;
      saved.replaceChildren(h("div", { class: "ok-box" }, `Saved at ${new Date().toLocaleTimeString()}.`));
    },
  });
  const head = pageHead(`${issue.identifier} · ${issue.title}`, h("a", { class: "btn", href: "/issues" }, "← Issues"));
  const heading = head.querySelector("h1");
  ctx.root.append(
    head,
    h(
      "div",
      { class: "grid" },
      h("section", { class: "card wide" }, h("h2", null, "Edit"), form, saved),
      h(
        "section",
        { class: "card wide" },
        h("h2", null, "History"),
        activity.items.length
          ? h("ul", { class: "feed" }, activity.items.map((a) => h("li", null, h("time", null, dateTime(a.createdAt)), h("code", null, a.action), a.details && a.details.to ? badge(a.details.to) : null, h("span", { class: "muted small" }, a.actor))))
          : empty("No history."),
      ),
    ),
  );
}
