// The Webhooks section of a module card (Settings → Modules), for modules whose manifest declares
// inbound webhooks: each endpoint's public URL (POST, no API key — the module verifies the
// sender's signature), whether deliveries reach the module now (running and granted `webhooks`,
// granted in the Access section), and the recent deliveries: time, key, status answered, body
// size, duration and the error when there was one. Bodies are never kept.

import { api } from "../api.js";
import { errorBox, h } from "../dom.js";
import { count, dateTime } from "../format.js";

/** How many recent deliveries the section lists. */
const SHOWN = 20;

/**
 * The section for one module: reloaded from `GET /api/admin/modules/{id}/webhooks` when the module
 * changes in a way that matters (declared keys, status, grants, route calls — a delivery counts as
 * one), or on demand.
 */
export function webhooksSection(id) {
  const content = h("div", { class: "module-webhooks-content" });
  const refresh = h("button", { class: "btn", type: "button", dataset: { action: "webhooks-refresh" } }, "Refresh");
  const element = h("section", { class: "module-webhooks", hidden: true }, h("h3", null, "Webhooks"), content, h("div", { class: "row" }, refresh));

  const load = async () => {
    try {
      const view = await api.get(`/api/admin/modules/${encodeURIComponent(id)}/webhooks?limit=${SHOWN}`);
      content.replaceChildren(endpointsList(view), deliveriesTable(view.deliveries || []));
    } catch (error) {
      content.replaceChildren(errorBox(`Cannot list the webhooks of ${id}: ${error.message}`));
    }
  };
  refresh.addEventListener("click", load);

  let shownKey = null;
  const update = (module) => {
    const keys = module.webhooks || [];
    element.hidden = !keys.length;
    if (!keys.length) return;
    const key = JSON.stringify([keys, module.status, module.grants && module.grants.granted, module.counters && module.counters.routeCalls]);
    if (key === shownKey) return;
    shownKey = key;
    load();
  };
  return { element, update };
}

/** The declared endpoints, each with its public URL and whether it is on. */
function endpointsList(view) {
  const why = !view.running ? "off: the module is not running" : !view.granted ? "off: grant `webhooks` in Access" : "on";
  const origin = window.location.origin;
  return h(
    "ul",
    { class: "module-webhook-endpoints" },
    (view.endpoints || []).map((endpoint) =>
      h(
        "li",
        { dataset: { webhookKey: endpoint.key, enabled: String(endpoint.enabled) } },
        h("code", null, `POST ${origin}${endpoint.path}`),
        " ",
        h("span", { class: endpoint.enabled ? "badge s-active" : "badge s-paused" }, endpoint.enabled ? "on" : why),
        endpoint.description ? h("span", { class: "muted small" }, ` — ${endpoint.description}`) : null,
      ),
    ),
  );
}

/** The recent deliveries, newest first. */
function deliveriesTable(items) {
  if (!items.length) return h("div", { class: "muted small module-webhook-deliveries" }, "No deliveries yet.");
  const rows = items.map((d) =>
    h(
      "tr",
      { dataset: { deliveryId: String(d.id), status: String(d.status) } },
      h("td", null, dateTime(d.receivedAt)),
      h("td", null, h("code", null, d.key)),
      h("td", null, String(d.status)),
      h("td", null, `${count(d.bodyBytes)} B`),
      h("td", null, `${count(d.durationMs)} ms`),
      h("td", null, d.error || ""),
    ),
  );
  return h(
    "table",
    { class: "table module-webhook-deliveries" },
    h("thead", null, h("tr", null, ["Received", "Key", "Status", "Body", "Duration", "Error"].map((t) => h("th", null, t)))),
    h("tbody", null, rows),
  );
}
