// Settings → Modules: every discovered module with its status, reason, version, slot and
// counters; its isolation level, executor (capacity budget) and, at the process level, its child
// process; its hook delivery (lag, failed events, replay: module_delivery.js); its inbound
// webhooks (endpoints, recent deliveries: module_webhooks.js); its access
// (capabilities granted, companies served: module_access.js); enable/disable; its last hot
// upgrade; a configuration form generated from its configSchema, saved to the server and applied
// to the running module at once.

import { api } from "../api.js";
import { badge, pageHead } from "../components.js";
import { errorBox, h, replace } from "../dom.js";
import { count, label } from "../format.js";
import { configForm } from "../config_form.js";
import { deliverySection } from "./module_delivery.js";
import { accessSection } from "./module_access.js";
import { webhooksSection } from "./module_webhooks.js";
import { allModules, onRefresh, refreshModules } from "../module_registry.js";

export const APPLY_NOTE = "Saving applies the configuration at once: a running module is registered again with it (its routes may answer 503 for a moment), and a configuration the module refuses is not saved.";

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
  const isolationBox = h("span", { class: "module-isolation" });
  const execution = h("section", { class: "module-execution", hidden: true });
  const delivery = deliverySection(id);
  const webhooks = webhooksSection(id);
  const access = accessSection(id, () => refreshModules().catch(() => {}));
  const message = h("div", { class: "module-message" });
  const formBox = h("div");
  const element = h(
    "section",
    { class: "card module-card", dataset: { moduleId: id } },
    h("div", { class: "row" }, h("h2", { style: { margin: 0 } }, initial.name || id), h("code", null, id), h("span", { class: "module-status" }), isolationBox),
    initial.description ? h("p", { class: "muted", style: { margin: 0 } }, initial.description) : null,
    live,
    access.element,
    execution,
    delivery.element,
    webhooks.element,
    message,
    formBox,
  );
  let formState = null;
  let formKey = null;
  let executionKey = null;

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
        // Show the configuration as it now applies (defaults filled in); the poll that follows
        // shows the same, so the form (and this note) stay.
        formKey = JSON.stringify([module.configSchema, saved.config]);
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
    replace(element.querySelector(".module-status"), badge(module.status), signatureBadge(module), module.configPending ? h("span", { class: "badge s-paused", title: APPLY_NOTE }, "config pending") : null, module.restartRequired ? h("span", { class: "badge s-paused", title: upgradeTitle(module) }, "restart required") : null);
    const c = module.counters || {};
    const running = module.status === "active" || module.status === "degraded";
    const canEnable = !module.enabled || !running;
    replace(
      live,
      module.reason ? h("div", { class: running ? "notice" : "error-box", dataset: { reason: "" } }, module.reason) : null,
      h(
        "dl",
        { class: "kv" },
        h("dt", null, "Version"), h("dd", { class: "module-version" }, module.version || "—", module.lastUpgrade ? h("span", { class: module.lastUpgrade.outcome === "upgraded" ? "muted small module-upgrade" : "error-box small module-upgrade" }, ` — ${upgradeTitle(module)}`) : null),
        h("dt", null, "Signature"), h("dd", { class: "module-signature" }, signatureSummary(module)),
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
    replace(isolationBox, isolationBadge(module));
    // Redrawn only when something changed, so a selection in the stderr lines survives polling.
    const shownExecution = JSON.stringify([module.isolation, module.isolationSource, module.executor, module.process, module.work && [module.work.holder, module.work.thisReplica]]);
    if (shownExecution !== executionKey) {
      executionKey = shownExecution;
      execution.hidden = !module.isolation;
      replace(execution, module.isolation ? executionSection(module) : null);
    }
    access.update(module);
    delivery.update(module);
    webhooks.update(module);
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

/** What a signature state means, for the badge's title. */
const SIGNATURE_MEANING = {
  verified: "signed by a trusted key; every file is the one signed",
  unsigned: "the bundle carries no signature",
  untrusted: "signed by a key that is not in modules.trustedKeys",
  invalid: "a file changed, is missing or was added after signing, or the signature does not hold",
  unchecked: "signatures are not checked (modules.signatures is off)",
};

/** The small signature badge beside the status (none before the bundle was checked). */
function signatureBadge(module) {
  const s = module.signature;
  if (!s) return null;
  const title = `Bundle signature: ${SIGNATURE_MEANING[s.state] || s.state}${s.problem ? ` — ${s.problem}` : ""} (modules.signatures: ${s.policy})`;
  return h("span", { class: `badge sig-${s.state}`, title, dataset: { signature: s.state } }, s.state === "verified" ? "signed" : s.state);
}

/** The signature row: state, key, and what is wrong (loaded anyway under `warn`). */
function signatureSummary(module) {
  const s = module.signature;
  if (!s) return "—";
  return h(
    "span",
    null,
    `${s.state}${s.keyId ? ` (key ${s.keyId})` : ""}, policy ${s.policy}`,
    s.problem ? h("div", { class: s.state === "verified" ? "muted small" : "error-box small", dataset: { signatureProblem: "" } }, s.problem) : null,
  );
}

/** What the last hot upgrade did, for the "restart required" badge and the upgrade line. */
function upgradeTitle(module) {
  const u = module.lastUpgrade;
  if (!u) return "The bundle changed on disk; the new files are loaded at the next start.";
  if (u.outcome === "upgraded") return `Upgraded from ${u.from} to ${u.to} without a restart.`;
  return `Version ${u.to} was not loaded (${u.reason || "refused"}); ${u.from} goes on.`;
}

function uiSummary(ui) {
  if (!ui) return "—";
  const pages = (ui.pages || []).map((p) => `page ${p.label}`);
  const widgets = (ui.widgets || []).map((w) => `${label(w.placement || "widget")} widget ${w.label}`);
  return [...pages, ...widgets].join(", ") || "—";
}

/** Where a module's isolation level was chosen (`isolationSource`), in words. */
function isolationSourceText(module) {
  switch (module.isolationSource) {
    case "config":
      return `set in the server config (modules.isolation.${module.id}, or modules.isolation."*" for every module)`;
    case "manifest":
      return "asked by the module's manifest";
    case "default":
      return "default (neither the server config nor the module's manifest sets one)";
    default:
      return module.isolationSource ? String(module.isolationSource) : "—";
  }
}

/** A level as a class-name suffix (the API's three levels, anything else as "other"). */
function levelClass(level) {
  return ["inline", "threaded", "process"].includes(level) ? level : "other";
}

/**
 * The isolation badge: the level chosen for the module, or "inline → threaded" when its calls run
 * at another level now (an inline call overran). Null for servers that do not report it.
 */
function isolationBadge(module) {
  if (!module.isolation) return null;
  const now = module.executor && module.executor.level;
  if (now && now !== module.isolation) {
    const title = `Isolation level ${module.isolation} (${isolationSourceText(module)}), but a call overran its time limit, so the module's calls now run ${now} until it is enabled again or the server restarts.`;
    return h("span", { class: `badge isolation iso-${levelClass(now)} iso-changed`, title, dataset: { isolation: module.isolation, level: now } }, `${module.isolation} → ${now}`);
  }
  const title = `Isolation level: ${module.isolation} (${isolationSourceText(module)}).`;
  return h("span", { class: `badge isolation iso-${levelClass(module.isolation)}`, title, dataset: { isolation: module.isolation } }, module.isolation);
}

/** Numbers as "<b>n</b> text" spans, like the call counters. */
function figures(rows) {
  return h("div", { class: "counters" }, rows.map(([text, value, stat]) => h("span", { dataset: { stat } }, h("b", null, value), ` ${text}`)));
}

/** Execution: the isolation level and where it was chosen, the executor, the module process. */
function executionSection(module) {
  const e = module.executor;
  const p = module.process;
  const level = (name) => h("code", null, name);
  return [
    h("h3", null, "Execution"),
    h(
      "dl",
      { class: "kv" },
      h("dt", null, "Isolation"), h("dd", { class: "module-isolation-level" }, isolationBadge(module), " ", h("span", { class: "muted" }, isolationSourceText(module))),
      e && e.level && e.level !== module.isolation ? [h("dt", null, "Runs now"), h("dd", null, `${e.level}: a call overran its time limit at the ${module.isolation} level, so new calls run ${e.level} until the module is enabled again or the server restarts`)] : null,
      module.work ? [h("dt", null, "Background work"), h("dd", { class: "module-work" }, workText(module.work))] : null,
    ),
    h("p", { class: "muted small", style: { margin: 0 } }, "To change it, set ", h("code", null, `modules.isolation.${module.id}`), " to ", level("inline"), ", ", level("threaded"), " or ", level("process"), " in ", h("code", null, "paperclip.config.json"), " and restart the server."),
    e
      ? figures([
          ["in flight", `${count(e.inFlight)} / ${count(e.maxConcurrency)}`, "inFlight"],
          ["queued", `${count(e.queueDepth)} / ${count(e.queueCapacity)}`, "queueDepth"],
          ["hook events queued", count(e.hookQueueDepth), "hookQueueDepth"],
          ["stuck threads", count(e.stuck), "stuck"],
          ["threads alive", count(e.threads), "threads"],
          ["completed", count(e.completed), "completed"],
          ["rejected (503)", count(e.rejected), "rejected"],
          ["timeouts (504)", count(e.timeouts), "timeouts"],
          ["inline overruns", count(e.overruns), "overruns"],
          ["process interrupts", count(e.interrupts), "interrupts"],
        ])
      : h("p", { class: "muted small", style: { margin: 0 } }, "No executor: the module is not running."),
    p ? processSection(p) : null,
  ];
}

/** Where a module's services and hook delivery run: the replica holding its lease. */
function workText(work) {
  const what = work.services && work.services.length ? `Services (${work.services.join(", ")}) and hook delivery` : "Hook delivery";
  if (!work.holder) return `${what}: no replica holds the module's lease yet.`;
  const where = work.thisReplica ? "this replica" : "another replica";
  return [`${what} run on ${where}, `, h("code", null, work.holder), work.expiresAt ? ` (lease until ${work.expiresAt})` : ""];
}

/** The module's child process (process level): state, pid, restarts, last exit, sandbox, stderr. */
function processSection(p) {
  const stderr = p.recentStderr || [];
  return h(
    "div",
    { class: "module-process" },
    h("h3", null, "Module process"),
    h(
      "dl",
      { class: "kv" },
      h("dt", null, "State"), h("dd", null, p.state ? badge(p.state, "proc") : "—"),
      h("dt", null, "PID"), h("dd", null, p.pid === null || p.pid === undefined ? "—" : String(p.pid)),
      h("dt", null, "In flight"), h("dd", null, count(p.inFlight)),
      h("dt", null, "Restarts"), h("dd", null, count(p.restarts)),
      h("dt", null, "Last exit"), h("dd", null, p.lastExit || "—"),
      h("dt", null, "Sandbox"), h("dd", { class: "module-sandbox" }, p.sandbox || "—"),
      p.runner ? [h("dt", null, "Runner"), h("dd", null, h("code", null, p.runner))] : null,
    ),
    h("div", { class: "muted small" }, "Recent stderr"),
    stderr.length ? h("pre", { class: "module-stderr" }, stderr.join("\n")) : h("div", { class: "muted small" }, "Nothing written to stderr."),
  );
}
