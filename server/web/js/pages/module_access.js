// The Access section of a module card (Settings → Modules): the capabilities (core writes,
// webhooks) the module asks for, each with its own reason, granted or not (a module waits for
// approval until all that are not optional are granted); what its policy allowed and refused; and the companies it serves (all, or only
// some: hooks of the others do not reach it, its core calls about them are refused).

import { api } from "../api.js";
import { errorBox, h } from "../dom.js";
import { count } from "../format.js";

/** Every company (id, name), for the company choice; loaded once per section. */
async function loadCompanies() {
  const page = await api.get("/api/companies?limit=500");
  return page.items || [];
}

/**
 * The section for one module. `update(module)` redraws it from each poll unless the user is
 * editing it (focus inside) or nothing changed, so ticked boxes survive polling.
 */
export function accessSection(id, onSaved) {
  const content = h("div");
  // Outcomes of the last saves: kept across redraws.
  const grantsResult = h("div", { class: "grants-result" });
  const companiesResult = h("div", { class: "companies-result" });
  const element = h("section", { class: "module-access", hidden: true }, h("h3", null, "Access"), content, grantsResult, companiesResult);
  let shownKey = null;
  let companies = null;
  // After a save the page redraws from the server's answer even though its button has focus.
  const saved = async () => {
    if (element.contains(document.activeElement)) document.activeElement.blur();
    await onSaved();
  };

  const update = (module) => {
    const grants = module.grants;
    const asks = grants && grants.requested && grants.requested.length;
    const scoped = module.companies && module.companies.mode === "only";
    element.hidden = !asks && !scoped && !module.routePrefix && !(module.hooks || []).length;
    if (element.hidden) return;
    const key = JSON.stringify([grants, module.companies, module.status]);
    if (key === shownKey || element.contains(document.activeElement)) return;
    shownKey = key;
    content.replaceChildren(capabilitiesPart(id, module, saved, grantsResult), companiesPart(id, module, saved, companiesResult, () => companies, (list) => (companies = list)));
  };
  return { element, update };
}

/** The capabilities the module asks for, with checkboxes and a Save button, and its counters. */
function capabilitiesPart(id, module, onSaved, result) {
  const grants = module.grants || { requested: [], granted: [], missing: [] };
  if (!grants.requested.length) {
    return h("p", { class: "muted small", dataset: { part: "capabilities" } }, "It asks for no capability: it reads the core and writes only its own tables.");
  }
  const boxes = grants.requested.map((c) => h("input", { type: "checkbox", checked: c.granted, dataset: { capability: c.name } }));
  const rows = grants.requested.map((c, i) =>
    h(
      "tr",
      { dataset: { capability: c.name } },
      h("td", null, h("label", null, boxes[i], " ", h("code", null, c.name)), c.optional ? h("span", { class: "muted small", title: "the module runs without it; what it unlocks is off until granted" }, " optional") : null),
      h("td", null, c.description),
      h("td", null, c.reason ? c.reason : h("span", { class: "muted" }, "no reason given")),
    ),
  );
  const save = h("button", { class: "btn primary", type: "button", dataset: { action: "save-grants" } }, "Save grants");
  save.addEventListener("click", async () => {
    result.replaceChildren();
    const requested = new Set(grants.requested.map((c) => c.name));
    // Grants given ahead of an upgrade (not asked for by this version) are kept.
    const kept = (grants.granted || []).filter((name) => !requested.has(name));
    const granted = [...kept, ...boxes.filter((b) => b.checked).map((b) => b.dataset.capability)];
    try {
      const view = await api.put(`/api/admin/modules/${encodeURIComponent(id)}/grants`, { granted });
      result.replaceChildren(h("div", { class: "ok-box" }, `Saved. ${view.name || id} is ${view.status}${view.reason ? `: ${view.reason}` : "."}`));
      await onSaved();
    } catch (error) {
      result.replaceChildren(errorBox(`Grants not saved: ${error.message}`));
    }
  });
  const counts = grants.counts;
  return h(
    "div",
    { dataset: { part: "capabilities" } },
    grants.missing.length
      ? h("div", { class: "notice", dataset: { missing: grants.missing.join(",") } }, `Waiting for approval of ${grants.missing.join(", ")}: the module does not run until you grant what it asks for.`)
      : null,
    h(
      "table",
      { class: "table" },
      h("thead", null, h("tr", null, ["Capability", "Allows", "Why the module needs it"].map((t) => h("th", null, t)))),
      h("tbody", null, rows),
    ),
    h("p", { class: "muted small", style: { margin: 0 } }, grants.source === "config" ? `Granted by the server config (modules.grants.${id}) until saved here.` : grants.source === "api" ? "Granted here; withdrawing a capability refuses it from the module's next call." : "Nothing granted yet."),
    h("div", { class: "row" }, save),
    counts
      ? h(
          "div",
          { class: "counters" },
          [
            ["core writes", counts.writes, "writes"],
            ["refused: not granted", counts.refusedCapability, "refusedCapability"],
            ["refused: other company", counts.refusedCompany, "refusedCompany"],
            ["refused: causation too deep", counts.refusedDepth, "refusedDepth"],
            ["events of other companies skipped", counts.eventsSkipped, "eventsSkipped"],
          ].map(([text, n, stat]) => h("span", { dataset: { stat } }, h("b", null, count(n)), ` ${text}`)),
        )
      : null,
  );
}

/** All companies, or only the ticked ones. */
function companiesPart(id, module, onSaved, result, cached, remember) {
  const scope = module.companies || { mode: "all" };
  const name = `companies-${id}`;
  const all = h("input", { type: "radio", name, value: "all", checked: scope.mode === "all" });
  const only = h("input", { type: "radio", name, value: "only", checked: scope.mode === "only" });
  const chosen = new Set(scope.companyIds || []);
  const list = h("div", { class: "company-choices", hidden: scope.mode !== "only" });
  const fill = (items) => {
    list.replaceChildren(
      ...(items.length
        ? items.map((c) => {
            const box = h("input", { type: "checkbox", checked: chosen.has(c.id), dataset: { companyId: c.id } });
            box.addEventListener("change", () => (box.checked ? chosen.add(c.id) : chosen.delete(c.id)));
            return h("label", { class: "choice" }, box, " ", c.name);
          })
        : [h("span", { class: "muted small" }, "No companies yet.")]),
    );
  };
  const showList = async () => {
    list.hidden = !only.checked;
    if (list.hidden || list.childElementCount) return;
    list.replaceChildren(h("span", { class: "muted small" }, "Loading companies…"));
    try {
      const items = cached() || (await loadCompanies());
      remember(items);
      fill(items);
    } catch (error) {
      list.replaceChildren(errorBox(`Cannot list the companies: ${error.message}`));
    }
  };
  all.addEventListener("change", showList);
  only.addEventListener("change", showList);
  if (scope.mode === "only") showList();
  const save = h("button", { class: "btn", type: "button", dataset: { action: "save-companies" } }, "Save companies");
  save.addEventListener("click", async () => {
    result.replaceChildren();
    const body = only.checked ? { mode: "only", companyIds: [...chosen] } : { mode: "all" };
    try {
      await api.put(`/api/admin/modules/${encodeURIComponent(id)}/companies`, body);
      result.replaceChildren(h("div", { class: "ok-box" }, only.checked ? `Saved: ${chosen.size} compan${chosen.size === 1 ? "y" : "ies"}.` : "Saved: every company."));
      await onSaved();
    } catch (error) {
      result.replaceChildren(errorBox(`Companies not saved: ${error.message}`));
    }
  });
  return h(
    "div",
    { dataset: { part: "companies" } },
    h("div", { class: "row" }, h("span", null, "Serves"), h("label", null, all, " every company"), h("label", null, only, " only these companies:")),
    list,
    h("div", { class: "row" }, save),
  );
}
