// The shell around every page: sidebar (core pages, the pages of running modules, settings),
// top bar with the company switcher, and the API-key dialog shown when the server answers 401.

import { api, apiKey, setApiKey } from "./api.js";
import { dialog, errorBox, field, h } from "./dom.js";
import { modulePages, onRunningChange, refreshModules } from "./module_registry.js";
import { navigate, onRender, reload } from "./router.js";
import { loadCompanies, onStoreChange, selectCompany, store } from "./store.js";

const CORE_PAGES = [
  ["/", "Dashboard"],
  ["/agents", "Agents"],
  ["/goals", "Goals"],
  ["/projects", "Projects"],
  ["/issues", "Issues"],
  ["/activity", "Activity"],
];
const SETTINGS_PAGES = [
  ["/settings/modules", "Modules"],
  ["/templates", "Templates"],
  ["/store", "Store"],
];

let currentPath = location.pathname;

/** Builds the shell into `app` and returns the element pages render into. */
export function buildShell(app) {
  const coreNav = h("nav", { "aria-label": "Pages" }, CORE_PAGES.map(([href, text]) => navLink(href, text)));
  const moduleNav = h("nav", { "aria-label": "Module pages", id: "module-nav" });
  const settingsNav = h("nav", { "aria-label": "Settings" }, SETTINGS_PAGES.map(([href, text]) => navLink(href, text)));
  const keyButton = h("button", { class: "btn small", type: "button", id: "api-key-button", onclick: () => askForKey() }, "API key");
  const sidebar = h(
    "aside",
    { class: "sidebar" },
    h("a", { class: "brand", href: "/" }, h("img", { src: "/favicon.svg", alt: "" }), "Paperclip"),
    coreNav,
    h("div", { class: "nav-section" }, "Modules"),
    moduleNav,
    h("div", { class: "nav-section" }, "Settings"),
    settingsNav,
    h("div", { class: "sidebar-footer" }, keyButton),
  );

  const switcher = h("select", { id: "company-switcher", "aria-label": "Company", onchange: (e) => selectCompany(e.target.value) });
  const topbar = h(
    "header",
    { class: "topbar" },
    h("button", { class: "btn menu-toggle", type: "button", "aria-label": "Menu", onclick: () => app.classList.toggle("menu-open") }, "☰"),
    h("label", { for: "company-switcher", class: "muted small" }, "Company"),
    switcher,
    h("button", { class: "btn", type: "button", id: "new-company", onclick: () => newCompany() }, "New company"),
    h("div", { class: "spacer" }),
  );
  const content = h("main", { class: "content", id: "content" });
  app.replaceChildren(sidebar, topbar, content);

  const renderSwitcher = () => {
    switcher.replaceChildren(
      ...(store.companies.length
        ? store.companies.map((c) => h("option", { value: c.id, selected: c.id === store.companyId }, c.name))
        : [h("option", { value: "" }, "No companies")]),
    );
    switcher.disabled = !store.companies.length;
  };
  const renderModuleNav = () => {
    const pages = modulePages();
    moduleNav.replaceChildren(
      ...(pages.length
        ? pages.map(({ module, page, href }) => navLink(href, page.label, { modulePage: `${module.id}${page.path}` }))
        : [h("div", { class: "nav-empty" }, "No module pages")]),
    );
    highlight(sidebar);
  };
  onStoreChange(renderSwitcher);
  onRunningChange(renderModuleNav);
  onRender((path) => {
    currentPath = path;
    app.classList.remove("menu-open");
    highlight(sidebar);
  });
  renderSwitcher();
  renderModuleNav();
  window.addEventListener("paperclip:unauthorized", (event) => askForKey(event.detail));
  return content;
}

function navLink(href, text, dataset) {
  return h("a", { class: "nav-link", href, dataset }, text);
}

/** Marks the sidebar link of the current page (the longest matching prefix). */
function highlight(sidebar) {
  let best = null;
  for (const link of sidebar.querySelectorAll(".nav-link")) {
    const href = link.getAttribute("href");
    const matches = href === "/" ? currentPath === "/" : currentPath === href || currentPath.startsWith(`${href}/`);
    if (matches && (!best || href.length > best.getAttribute("href").length)) best = link;
  }
  for (const link of sidebar.querySelectorAll(".nav-link")) {
    link.classList.toggle("active", link === best);
    if (link === best) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

let keyDialogOpen = false;

/** Asks for the API key (after a 401, or from the sidebar), stores it and reloads the data. */
async function askForKey(detail) {
  if (keyDialogOpen) return;
  keyDialogOpen = true;
  const input = h("input", { type: "password", id: "api-key-input", autocomplete: "off", value: apiKey() });
  const problem = detail && detail.error ? errorBox(`The server answered: ${detail.error}`) : null;
  const saved = await dialog("API key", (close) =>
    h(
      "form",
      {
        class: "form",
        onsubmit: (event) => {
          event.preventDefault();
          close(input.value.trim());
        },
      },
      detail ? h("p", null, "This server requires an API key for its API. It is stored in this browser only (localStorage).") : h("p", null, "The key sent as “Authorization: Bearer …” with every API request, stored in this browser only."),
      problem,
      field("API key", input),
      h(
        "div",
        { class: "actions" },
        h("button", { class: "btn", type: "button", onclick: () => close(null) }, "Forget key"),
        h("button", { class: "btn primary", type: "submit", id: "api-key-save" }, "Save"),
      ),
    ),
  );
  keyDialogOpen = false;
  if (saved === undefined) return;
  setApiKey(saved || "");
  await startData();
}

/** (Re)loads the companies and modules, then the current page. */
export async function startData() {
  try {
    await loadCompanies();
    refreshModules().catch(() => {});
  } catch (error) {
    if (!(error && error.status === 401)) console.warn("cannot load companies:", error);
  }
  reload();
}

/** Creates a company from a small dialog and selects it. */
async function newCompany() {
  const name = h("input", { type: "text", id: "company-name", required: true });
  const prefix = h("input", { type: "text", id: "company-prefix", placeholder: "e.g. ACME", maxlength: "10" });
  const errorLine = h("div");
  const created = await dialog("New company", (close) =>
    h(
      "form",
      {
        class: "form",
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            const body = { name: name.value.trim() };
            if (prefix.value.trim()) body.issuePrefix = prefix.value.trim();
            close(await api.post("/api/companies", body));
          } catch (error) {
            errorLine.replaceChildren(errorBox(error.message));
          }
        },
      },
      field("Name", name),
      field("Issue prefix", prefix, "Issue identifiers start with it (optional)."),
      errorLine,
      h("div", { class: "actions" }, h("button", { class: "btn", type: "button", onclick: () => close(undefined) }, "Cancel"), h("button", { class: "btn primary", type: "submit" }, "Create")),
    ),
  );
  if (!created) return;
  await loadCompanies(created.id);
  navigate("/");
}
