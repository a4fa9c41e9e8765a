// Company Store: browse the store index (modules with what is installed and its status,
// templates), install a module (download progress polled from GET /api/store/installs while the
// install runs) and import a template as a new company. Every refusal shows the server's message; a
// refused install writes nothing.

import { api, qs } from "../api.js";
import { badge, empty, pageHead } from "../components.js";
import { errorBox, h, replace } from "../dom.js";
import { refreshModules } from "../module_registry.js";
import { loadCompanies } from "../store.js";

/** How often the install progress is polled. */
const POLL_MS = 300;

/** The outcome of the last template import, shown once by the next render (an import selects
 * the new company, which renders the page again). */
let lastImport = null;

export default async function storePage(ctx) {
  const tag = ctx.query.get("tag") || "";
  const listing = await api.get(`/api/store${qs({ tag })}`);
  if (!ctx.isCurrent()) return;
  const modules = h("div", { class: "grid", id: "store-modules" });
  const templates = h("div", { class: "grid", id: "store-templates" });
  const state = { ctx, listing, modules, templates, tag };
  renderModules(state);
  renderTemplates(state);
  const imported = lastImport;
  lastImport = null;
  ctx.root.append(
    pageHead("Store", tag ? h("a", { class: "btn", href: "/store" }, `Tag “${tag}” ×`) : null),
    imported ? h("div", { class: "ok-box", id: "store-import-done" }, imported, " ", h("a", { href: "/" }, "Open its dashboard →")) : null,
    h("p", { class: "muted small", id: "store-source" }, `Index: ${listing.index} · core ${listing.core} · ${listing.target}`),
    h("h2", null, "Modules"),
    modules,
    h("h2", null, "Templates"),
    templates,
  );
}

/** Reloads the listing and redraws the cards (after an install or import). */
async function refresh(state) {
  state.listing = await api.get(`/api/store${qs({ tag: state.tag })}`);
  if (!state.ctx.isCurrent()) return;
  renderModules(state);
}

function tags(list) {
  return h("div", { class: "row small" }, (list || []).map((t) => h("a", { href: `/store?tag=${encodeURIComponent(t)}`, class: "badge" }, t)));
}

function renderModules(state) {
  const list = state.listing.modules || [];
  replace(state.modules, list.length ? list.map((m) => moduleCard(state, m)) : empty("The store index lists no modules."));
}

function moduleCard(state, module) {
  const installed = module.installed;
  const result = h("div", { class: "store-result", "aria-live": "polite" });
  const progress = h("div", { class: "store-progress", hidden: true });
  const lines = [];
  if (installed) {
    const status = installed.status ? badge(installed.status) : h("span", { class: "muted" }, "not loaded");
    lines.push(h("div", { class: "row" }, h("span", null, `Installed: ${installed.version || "?"}`), status));
    if (installed.reason) lines.push(h("div", { class: "muted small" }, installed.reason));
    if (installed.restartRequired) {
      lines.push(h("div", { class: "notice store-restart" }, `Version ${installed.version} is installed; the server runs ${installed.runningVersion || "the previous version"} until it restarts.`));
    }
  }
  if (module.compatible === false) {
    lines.push(errorBox(`Needs Paperclip core ${module.requiresCore}; this server is ${state.listing.core}.`));
  }
  const canInstall = Boolean(module.bundle) && module.compatible !== false;
  const label = !installed ? "Install" : module.updateAvailable ? `Update to ${module.version}` : "Reinstall";
  const button = h("button", { class: `btn ${installed && !module.updateAvailable ? "" : "primary"}`, type: "button", disabled: !canInstall || Boolean(module.installing), dataset: { install: module.id } }, module.installing ? "Installing…" : label);
  button.addEventListener("click", () => install(state, module, button, progress, result));
  return h(
    "section",
    { class: "card store-module", dataset: { moduleId: module.id } },
    h("h3", null, module.name, " ", h("span", { class: "muted small" }, module.version)),
    h("p", null, module.description),
    tags(module.tags),
    lines,
    module.bundle ? null : h("div", { class: "muted small" }, `No bundle in the index${module.repo ? ` (source: ${module.repo})` : ""}.`),
    h("div", { class: "row" }, button),
    progress,
    result,
  );
}

/** Installs `module`, showing the download progress while the request runs. */
async function install(state, module, button, progress, result) {
  button.disabled = true;
  result.replaceChildren();
  progress.hidden = false;
  const bar = h("progress", { max: "1", value: "0" });
  const text = h("span", { class: "muted small" }, "Starting…");
  progress.replaceChildren(bar, " ", text);
  let polling = true;
  const poll = async () => {
    while (polling) {
      try {
        const installs = await api.get("/api/store/installs");
        const p = installs && installs[module.id];
        if (p && polling) showProgress(bar, text, p);
      } catch {
        // The install's own answer reports errors; a failed poll only skips one update.
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  poll();
  try {
    const answer = await api.post("/api/store/install", { moduleId: module.id });
    polling = false;
    progress.hidden = true;
    const box = answer.restartRequired ? "notice" : "ok-box";
    result.replaceChildren(h("div", { class: box, id: "store-install-done" }, answer.message));
    refreshModules().catch(() => {});
    // The card is drawn again from the new listing; keep the message on the new card.
    await refresh(state);
    const card = state.modules.querySelector(`[data-module-id="${CSS.escape(module.id)}"] .store-result`);
    if (card) card.replaceChildren(h("div", { class: box, id: "store-install-done" }, answer.message));
  } catch (error) {
    polling = false;
    progress.hidden = true;
    const details = Array.isArray(error.problems) ? error.problems.map((p) => (typeof p === "string" ? p : `${p.path}: ${p.message}`)) : [];
    result.replaceChildren(errorBox(`Not installed: ${error.message}`, details));
    button.disabled = false;
  }
}

function showProgress(bar, text, p) {
  if (p.stage === "downloading") {
    if (p.total) {
      bar.max = p.total;
      bar.value = p.received;
      text.textContent = `Downloading ${kib(p.received)} of ${kib(p.total)}`;
    } else {
      bar.removeAttribute("value");
      text.textContent = `Downloading ${kib(p.received)}`;
    }
  } else {
    bar.max = 1;
    bar.value = 1;
    text.textContent = p.stage === "verifying" ? "Verifying the bundle…" : "Unpacking…";
  }
}

function kib(bytes) {
  return `${Math.max(1, Math.round(bytes / 1024))} KiB`;
}

function renderTemplates(state) {
  const list = state.listing.templates || [];
  replace(state.templates, list.length ? list.map((t) => templateCard(t)) : empty("The store index lists no templates."));
}

function templateCard(template) {
  const name = h("input", { type: "text", placeholder: template.name, "aria-label": `Company name for ${template.name}` });
  const result = h("div", { "aria-live": "polite" });
  const button = h("button", { class: "btn primary", type: "submit", dataset: { import: template.id } }, "Import");
  const form = h("form", { class: "row" }, name, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    result.replaceChildren(h("span", { class: "muted small" }, "Importing…"));
    try {
      const body = { templateId: template.id };
      if (name.value.trim()) body.name = name.value.trim();
      const answer = await api.post("/api/store/import", body);
      const message = `Imported “${template.name}” as a new company; it is now the selected company.`;
      lastImport = message;
      // Selecting the new company renders the page again, which shows the message.
      await loadCompanies(answer.companyId).catch(() => {});
      if (result.isConnected) {
        lastImport = null;
        result.replaceChildren(h("div", { class: "ok-box", id: "store-import-done" }, message));
      }
    } catch (error) {
      const problems = (error.problems || []).map((p) => (typeof p === "string" ? p : `${p.path}: ${p.message}`));
      result.replaceChildren(errorBox(`Not imported: ${error.message}`, problems));
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card store-template", dataset: { templateId: template.id } },
    h("h3", null, template.name),
    h("p", null, template.description),
    tags(template.tags),
    form,
    result,
  );
}
