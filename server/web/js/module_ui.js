// Loading and mounting module UI. A module's `ui/index.js` is imported lazily from
// /modules/<id>/ui/… and its mountPage/mountWidget gets `{moduleId, config, api, companyId}`
// (+ `widgetId`). Whatever goes wrong — the import, a missing export, a throw or rejection in
// mount, or a later uncaught error in the module's own code — ends up as an error card in that
// module's slot only; the rest of the page keeps working.

import { request } from "./api.js";
import { h } from "./dom.js";

/** Live mounts, to route a module's later uncaught errors to its own slots. */
const live = new Set();

/** The URL a manifest entry ("ui/index.js" or "./ui/index.js") is served from. */
export function entryUrl(module, entry) {
  const path = String(entry || "ui/index.js").replace(/^\.\//, "");
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  // The version in the query makes an upgraded module load fresh code without a reload.
  return `/modules/${encodeURIComponent(module.id)}/${encoded}?v=${encodeURIComponent(module.version || "")}`;
}

/**
 * The `api` a module UI gets: `api(path, init)` fetches `/api/modules/<prefix><path>` with the
 * shell's credentials and resolves to the parsed JSON; it rejects on an HTTP error.
 */
export function moduleApi(module) {
  const base = `/api/modules${module.routePrefix || `/${module.id}`}`;
  return (path = "", init = {}) => {
    const suffix = !path || path.startsWith("/") || path.startsWith("?") ? path : `/${path}`;
    return request(`${base}${suffix}`, init);
  };
}

/**
 * Mounts a module page (`kind: "page"`, item = the manifest page) or widget (`kind: "widget"`,
 * item = the manifest widget) into `slot`. Returns `{unmount()}`.
 */
export function mountModuleUi(slot, { module, kind, item, companyId }) {
  const mount = {
    module,
    kind,
    item,
    slot,
    companyId,
    closed: false,
    unmountFn: null,
    fail: (error) => fail(mount, error),
    unmount: () => {
      mount.closed = true;
      live.delete(mount);
      runUnmount(mount);
    },
  };
  live.add(mount);
  start(mount);
  return mount;
}

function start(mount) {
  const { module, kind, item, slot, companyId } = mount;
  slot.replaceChildren(h("div", { class: "module-loading" }, `Loading ${item.label || module.name || module.id}…`));
  const props = {
    moduleId: module.id,
    config: module.config || {},
    api: moduleApi(module),
    companyId: companyId || undefined,
  };
  if (kind === "widget") props.widgetId = item.id;
  const url = entryUrl(module, item.entry);
  import(url)
    .then(async (exports) => {
      if (mount.closed) return;
      const fn = kind === "page" ? exports.mountPage || exports.default : exports.mountWidget;
      if (typeof fn !== "function") {
        throw new Error(`${url.split("?")[0]} exports no ${kind === "page" ? "mountPage (or default)" : "mountWidget"} function`);
      }
      const target = h("div", { class: `module-${kind}`, dataset: { moduleRoot: module.id } });
      slot.replaceChildren(target);
      const unmount = await fn(target, props);
      if (mount.closed) {
        if (typeof unmount === "function") unmount();
        return;
      }
      mount.unmountFn = typeof unmount === "function" ? unmount : null;
    })
    .catch((error) => fail(mount, error));
}

function runUnmount(mount) {
  const fn = mount.unmountFn;
  mount.unmountFn = null;
  if (!fn) return;
  try {
    fn();
  } catch (error) {
    console.warn(`[module ${mount.module.id}] unmount failed:`, error);
  }
}

/** Replaces the slot's content with an error card and a retry button. */
function fail(mount, error) {
  if (mount.closed) return;
  runUnmount(mount);
  const { module, kind, item, slot } = mount;
  const what = kind === "page" ? "page" : "widget";
  const name = item.label || item.id || item.path;
  const message = error && error.message ? error.message : String(error);
  console.warn(`[module ${module.id}] ${what} ${name} failed:`, error);
  slot.replaceChildren(
    h(
      "div",
      { class: "module-error", role: "alert", dataset: { moduleError: module.id } },
      h("strong", null, `The ${what} “${name}” of module ${module.name || module.id} failed.`),
      h("pre", null, message),
      h("button", { class: "btn", type: "button", onclick: () => start(mount) }, "Retry"),
    ),
  );
}

/** The module whose UI code `text` (a script URL or a stack trace) points at. */
function moduleOf(text) {
  const match = /\/modules\/([a-z][a-z0-9-]*)\/ui\//.exec(String(text || ""));
  return match ? match[1] : null;
}

/** Routes uncaught errors thrown later by module code (timers, handlers) to its slots. */
export function catchModuleErrors() {
  const route = (id, error, event) => {
    if (!id) return;
    const mounts = [...live].filter((m) => m.module.id === id);
    if (!mounts.length) return;
    event.preventDefault();
    for (const mount of mounts) mount.fail(error);
  };
  window.addEventListener("error", (event) => {
    const id = moduleOf(event.filename) || moduleOf(event.error && event.error.stack);
    route(id, event.error || new Error(event.message), event);
  });
  window.addEventListener("unhandledrejection", (event) => {
    const reason = event.reason;
    route(moduleOf(reason && reason.stack), reason, event);
  });
}
