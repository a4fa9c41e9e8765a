// One agent: its place in the org chart, status (changeable), budget use, recent heartbeats
// (tokens, cost, model, latency) and spend (cost events).

import { api, listAll, request } from "../api.js";
import { badge, budgetBar, budgetLegend, empty, pageHead } from "../components.js";
import { errorBox, h, select } from "../dom.js";
import { count, dateTime, label, money } from "../format.js";
import { AGENT_STATUSES } from "./agents.js";

export default async function agentDetail(ctx) {
  const agent = await request(`/api/agents/${encodeURIComponent(ctx.params.id)}`);
  const [agents, heartbeats, costs] = await Promise.all([
    listAll(`/api/companies/${agent.companyId}/agents`),
    request(`/api/agents/${agent.id}/heartbeats?limit=25`),
    request(`/api/companies/${agent.companyId}/cost-events?agentId=${agent.id}&limit=25`),
  ]);
  if (!ctx.isCurrent()) return;
  const names = new Map(agents.map((a) => [a.id, a]));
  const manager = agent.reportsTo ? names.get(agent.reportsTo) : null;
  const reports = agents.filter((a) => a.reportsTo === agent.id);
  const statusLine = h("div");
  const statusSelect = select({ id: "agent-status", "aria-label": "Status" }, AGENT_STATUSES.map((s) => [s, label(s)]), agent.status);
  statusSelect.addEventListener("change", async () => {
    statusLine.replaceChildren();
    try {
      await api.patch(`/api/agents/${agent.id}`, { status: statusSelect.value });
    } catch (error) {
      statusSelect.value = agent.status;
      statusLine.replaceChildren(errorBox(error.message));
      return;
    }
    agent.status = statusSelect.value;
  });

  ctx.root.append(
    pageHead(agent.name, h("a", { class: "btn", href: "/agents" }, "← Org chart")),
    h(
      "div",
      { class: "grid" },
      h(
        "section",
        { class: "card", id: "agent-profile" },
        h("h2", null, "Profile"),
        h(
          "dl",
          { class: "kv" },
          h("dt", null, "Role"), h("dd", null, agent.role),
          h("dt", null, "Title"), h("dd", null, agent.title || "—"),
          h("dt", null, "Status"), h("dd", null, statusSelect),
          h("dt", null, "Reports to"), h("dd", null, manager ? h("a", { href: `/agents/${manager.id}` }, manager.name) : "Nobody"),
          h("dt", null, "Direct reports"), h("dd", null, reports.length ? reports.map((r, i) => [i ? ", " : "", h("a", { href: `/agents/${r.id}` }, r.name)]) : "None"),
          h("dt", null, "Last heartbeat"), h("dd", null, agent.lastHeartbeatAt ? dateTime(agent.lastHeartbeatAt) : "never"),
        ),
        statusLine,
      ),
      h("section", { class: "card", id: "agent-budget" }, h("h2", null, "Budget this month"), budgetBar(agent, { link: false }), budgetLegend()),
      h("section", { class: "card wide", id: "agent-heartbeats" }, h("h2", null, `Heartbeats (${count(heartbeats.total)})`), heartbeatTable(heartbeats.items)),
      h("section", { class: "card wide", id: "agent-spend" }, h("h2", null, `Spend (${count(costs.total)} cost events)`), costTable(costs.items)),
    ),
  );
}

function heartbeatTable(items) {
  if (!items.length) return empty("No heartbeats yet.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("thead", null, h("tr", null, ["When", "Tokens", "Cost", "Model", "Latency"].map((t) => h("th", null, t)))),
      h(
        "tbody",
        null,
        items.map((hb) =>
          h(
            "tr",
            null,
            h("td", null, dateTime(hb.createdAt)),
            h("td", null, hb.tokensUsed == null ? "—" : count(hb.tokensUsed)),
            h("td", null, hb.costCents == null ? "—" : money(hb.costCents)),
            h("td", null, hb.model || "—"),
            h("td", null, hb.latencyMs == null ? "—" : `${count(hb.latencyMs)} ms`),
          ),
        ),
      ),
    ),
  );
}

function costTable(items) {
  if (!items.length) return empty("No spend recorded yet.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("thead", null, h("tr", null, ["When", "Amount", "Source", "Description"].map((t) => h("th", null, t)))),
      h(
        "tbody",
        null,
        items.map((c) => h("tr", null, h("td", null, dateTime(c.createdAt)), h("td", null, money(c.amountCents)), h("td", null, badge(c.source)), h("td", null, c.description || ""))),
      ),
    ),
  );
}
