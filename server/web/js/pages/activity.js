// The company's activity log, newest first, filtered by entity type and action, paged.

import { listAll, qs, request } from "../api.js";
import { empty, needCompany, pageHead, pager } from "../components.js";
import { h, select } from "../dom.js";
import { dateTime, label } from "../format.js";
import { navigate } from "../router.js";
import { currentCompany } from "../store.js";
import { describe } from "./dashboard.js";

const ENTITY_TYPES = ["company", "agent", "goal", "project", "issue", "cost_event", "heartbeat"];
const PAGE_SIZE = 50;

export default async function activityPage(ctx) {
  const company = currentCompany();
  if (!company) return ctx.root.append(pageHead("Activity"), needCompany());
  const base = `/api/companies/${company.id}`;
  const filters = { entityType: ctx.query.get("entityType") || "", action: ctx.query.get("action") || "" };
  const offset = Math.max(0, Number(ctx.query.get("offset")) || 0);
  const [agents, page] = await Promise.all([listAll(`${base}/agents`), request(`${base}/activity${qs({ ...filters, limit: PAGE_SIZE, offset })}`)]);
  if (!ctx.isCurrent()) return;
  const names = new Map(agents.map((a) => [a.id, a.name]));
  const go = (changes) => navigate(`/activity${qs({ ...filters, ...changes })}`);
  const typeSelect = select({ "aria-label": "Entity type" }, [["", "All entities"], ...ENTITY_TYPES.map((t) => [t, label(t)])], filters.entityType);
  typeSelect.addEventListener("change", () => go({ entityType: typeSelect.value }));
  const actionInput = h("input", { type: "text", placeholder: "Action, e.g. issue.created", value: filters.action, "aria-label": "Action" });
  actionInput.addEventListener("change", () => go({ action: actionInput.value.trim() }));
  const rows = page.items.map((item) =>
    h(
      "tr",
      null,
      h("td", { class: "small" }, dateTime(item.createdAt)),
      h("td", null, h("code", null, item.action)),
      h("td", null, link(item, describe(item, names))),
      h("td", { class: "muted small" }, item.actor),
    ),
  );
  ctx.root.append(
    pageHead("Activity"),
    h("div", { class: "filters" }, typeSelect, actionInput),
    h(
      "section",
      { class: "card" },
      page.items.length
        ? h("div", { class: "table-wrap" }, h("table", { id: "activity-table" }, h("thead", null, h("tr", null, ["When", "Action", "Subject", "Actor"].map((t) => h("th", null, t)))), h("tbody", null, rows)))
        : empty("No activity matches."),
      page.total > PAGE_SIZE ? pager(page, (next) => go({ offset: next })) : null,
    ),
  );
}

/** A link to the entity's page where it has one. */
function link(item, text) {
  if (item.entityType === "agent") return h("a", { href: `/agents/${item.entityId}` }, text);
  if (item.entityType === "issue") return h("a", { href: `/issues/${item.entityId}` }, text);
  return text;
}
