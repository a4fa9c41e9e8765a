// Settings → Modules: every discovered module with its status, reason, version, slot and
// counters; enable/disable; a configuration form generated from its configSchema, saved to the
// server and applied on the module's next enable (or the next server start).

import { api } from "../api.js";
import { badge, pageHead } from "../components.js";
import { errorBox, h, replace } from "../dom.js";
import { count, label } from "../format.js";
import { configForm } from "../config_form.js";
import { allModules, onRefresh, refreshModules } from "../module_registry.js";

export const APPLY_NOTE = "Saved configuration applies the next time the module is enabled (disable it, then enable it) or when the server restarts; a running module keeps the configuration it started with until then.";

export default async function moduleSettings(ctx) {
  await refreshModules();
  if (!ctx.isCurrent()) return;
  const list = h("div", { class: "stack", id: "module-list" });
  const rescan = h("button", { class: "btn", type: "button", id: "rescan-modules" }, "Rescan modules folder");
  const rescanLine = h("div");
  rescan.addEventListener("click", async () => {
    rescanLine.replaceChildren();
    try {
      const report = await api.post("/api/admin/modules/rescan");
      const changes = [...report.added.map((id) => `added ${id}`), ...report.removed.map((id) => `removed ${id}`), ...report.restartRequired.map((id) => `${id} changed: restart the server to load it`)];
      rescanLine.replaceChildren(h("div", { class: "ok-box" }, changes.length ? changes.join("; ") : "Nothing new in the modules folder."));
      await refreshModules();
    } catch (error) {
      rescanLine.replaceChildren(errorBox(error.message));
    }
  });
  ctx.root.append(pageHead("Modules", rescan), rescanLine, h("p", { class: "notice", id: "config-apply-note" }, APPLY_NOTE), list);

  const cards = new Map();
  const render = (modules) => {
    const ids = modules.map((m) => m.id).join("\n");
    if (ids !== [...cards.keys()].join("\n")) {
      cards.clear();
      list.replaceChildren();
      if (!modules.length) list.append(h("div", { class: "empty" }, "No modules in the modules folder."));
      for (const module of modules) {
        const card = moduleCard(module);
        cards.set(module.id, card);
        list.append(card.element);
      }
    }
    for (const module of modules) cards.get(module.id).update(module);
  };
  render(allModules());
  ctx.onCleanup(onRefresh(render));
}

function moduleCard(initial) {
  const id = initial.id;
  const live = h("div", { class: "module-live" });
  const message = h("div", { class: "module-message" });
  const formBox = h("div");
  const element = h(
    "section",
    { class: "card module-card", dataset: { moduleId: id } },
    h("div", { class: "row" }, h("h2", { style: { margin: 0 } }, initial.name || id), h("code", null, id), h("span", { class: "module-status" })),
    initial.description ? h("p", { class: "muted", style: { margin: 0 } }, initial.description) : null,
    live,
    message,
    formBox,
  );
  let formState = null;
  let formKey = null;

  const toggle = async (action) => {
    message.replaceChildren();
    try {
      const view = await api.post(`/api/admin/modules/${encodeURIComponent(id)}/${action}`);
      message.replaceChildren(h("div", { class: view.status === "active" || view.status === "disabled" ? "ok-box" : "error-box" }, `${view.name || id} is ${view.status}${view.reason ? `: ${view.reason}` : "."}`));
    } catch (error) {
      message.replaceChildren(errorBox(`Cannot ${action} ${id}: ${error.message}`));
    }
    await refreshModules().catch(() => {});
  };

  const buildForm = (module, note) => {
    formState = configForm(module.configSchema, module.config);
    const save = h("button", { class: "btn primary", type: "submit" }, "Save configuration");
    const reset = h("button", { class: "btn", type: "button" }, "Use defaults");
    const result = h("div", { class: "config-result" }, note || null);
    const form = h(
      "form",
      { class: "form config-form", novalidate: true },
      h("h3", null, "Configuration"),
      formState.element,
      h("p", { class: "muted small" }, APPLY_NOTE),
      h("div", { class: "row" }, save, reset),
      result,
    );
    const send = async (config) => {
      result.replaceChildren();
      try {
        const saved = await api.put(`/api/admin/modules/${encodeURIComponent(id)}/config`, config);
        // Show the configuration as it will apply (defaults filled in).
        buildForm({ configSchema: module.configSchema, config: saved.config }, h("div", { class: "ok-box" }, `Saved. ${saved.message}`));
        await refreshModules().catch(() => {});
      } catch (error) {
        const problems = error.problems || [];
        if (formState.showProblems) formState.showProblems(problems);
        result.replaceChildren(errorBox(`Not saved: ${problems.length ? "the configuration does not match the module's schema" : error.message}`, problems));
      }
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const { config, errors } = formState.read();
      if (errors.size) {
        result.replaceChildren(errorBox("Not saved: fix the fields marked in red.", [...errors.values()]));
        return;
      }
      send(config);
    });
    reset.addEventListener("click", () => send(null));
    formBox.replaceChildren(form);
  };

  const update = (module) => {
    replace(element.querySelector(".module-status"), badge(module.status), module.configPending ? h("span", { class: "badge s-paused", title: APPLY_NOTE }, "config pending") : null, module.restartRequired ? h("span", { class: "badge s-paused" }, "restart required") : null);
    const c = module.counters || {};
    const running = module.status === "active" || module.status === "degraded";
    const canEnable = !module.enabled || !running;
    replace(
      live,
      module.reason ? h("div", { class: running ? "notice" : "error-box", dataset: { reason: "" } }, module.reason) : null,
      h(
        "dl",
        { class: "kv" },
        h("dt", null, "Version"), h("dd", { class: "module-version" }, module.version || "—"),
        h("dt", null, "Slot"), h("dd", null, module.slot || "—"),
        h("dt", null, "Routes"), h("dd", null, module.routePrefix ? h("code", null, `/api/modules${module.routePrefix}/`) : "—"),
        h("dt", null, "Enabled"), h("dd", null, module.enabled ? "yes" : "no"),
        h("dt", null, "Hooks"), h("dd", null, module.hooks && module.hooks.length ? module.hooks.join(", ") : "—"),
        h("dt", null, "UI"), h("dd", null, uiSummary(module.ui)),
      ),
      h(
        "div",
        { class: "counters" },
        [
          ["hook calls", c.hookCalls], ["hook failures", c.hookFailures], ["hook time-outs", c.hookTimeouts], ["dropped events", c.hookDrops],
          ["route calls", c.routeCalls], ["route errors", c.routeErrors], ["service runs", c.serviceRuns], ["service failures", c.serviceFailures],
        ].map(([text, n]) => h("span", null, h("b", null, count(n)), ` ${text}`)),
      ),
      h(
        "div",
        { class: "row" },
        canEnable ? h("button", { class: "btn primary", type: "button", dataset: { action: "enable" }, onclick: () => toggle("enable") }, module.enabled ? "Retry enable" : "Enable") : null,
        module.enabled ? h("button", { class: "btn danger", type: "button", dataset: { action: "disable" }, onclick: () => toggle("disable") }, "Disable") : null,
      ),
    );
    const key = JSON.stringify([module.configSchema, module.config]);
    if (key !== formKey && !formBox.contains(document.activeElement)) {
      formKey = key;
      if (module.configSchema) buildForm(module);
      else formBox.replaceChildren(h("p", { class: "muted small" }, "This module has no configuration."));
    }
  };

  update(initial);
  return { element, update };
}

function uiSummary(ui) {
  if (!ui) return "—";
  const pages = (ui.pages || []).map((p) => `page ${p.label}`);
  const widgets = (ui.widgets || []).map((w) => `${label(w.placement || "widget")} widget ${w.label}`);
  return [...pages, ...widgets].join(", ") || "—";
}
