// What the shell knows about modules: polls GET /api/admin/modules and tells subscribers when
// the set of running modules (or their UI, config or version) changes, so pages and widgets
// appear and disappear without a reload. A toggle in the settings page refreshes at once.

import { request } from "./api.js";

const POLL_MS = 5000;
let modules = [];
let runningSignature = "";
let timer = null;
let paused = false;
let inFlight = null;
const runningListeners = new Set();
const refreshListeners = new Set();

/** Statuses in which a module runs and its UI is served. */
export const RUNNING = new Set(["active", "degraded"]);

/** Every discovered module, as the admin API last reported it. */
export function allModules() {
  return modules;
}

/** The modules that run now. */
export function runningModules() {
  return modules.filter((m) => RUNNING.has(m.status));
}

/** The module `id` if it runs now. */
export function runningModule(id) {
  return runningModules().find((m) => m.id === id) || null;
}

/** The pages of running modules: `{module, page, href}` with href `/m/<id><page.path>`. */
export function modulePages() {
  const pages = [];
  for (const module of runningModules()) {
    for (const page of (module.ui && module.ui.pages) || []) {
      pages.push({ module, page, href: `/m/${module.id}${page.path}` });
    }
  }
  return pages;
}

/** The dashboard widgets of running modules: `{module, widget}`. */
export function dashboardWidgets() {
  const widgets = [];
  for (const module of runningModules()) {
    for (const widget of (module.ui && module.ui.widgets) || []) {
      if (widget.placement === "dashboard") widgets.push({ module, widget });
    }
  }
  return widgets;
}

/** Calls `fn()` when the running modules change; returns the function that stops it. */
export function onRunningChange(fn) {
  runningListeners.add(fn);
  return () => runningListeners.delete(fn);
}

/** Calls `fn(modules)` after every refresh (counters, statuses); returns the stop function. */
export function onRefresh(fn) {
  refreshListeners.add(fn);
  return () => refreshListeners.delete(fn);
}

/** Fetches the module list now and notifies subscribers; resolves to the list. */
export function refreshModules() {
  if (!inFlight) {
    inFlight = request("/api/admin/modules")
      .then((list) => {
        paused = false;
        apply(Array.isArray(list) ? list : []);
        return modules;
      })
      .catch((error) => {
        // Without a valid key every poll would fail the same way: wait for a new key.
        if (error && error.status === 401) paused = true;
        throw error;
      })
      .finally(() => {
        inFlight = null;
      });
  }
  return inFlight;
}

/** Polls every few seconds (and when the tab becomes visible). */
export function startPolling() {
  if (timer) return;
  const poll = () => {
    if (!paused && document.visibilityState !== "hidden") refreshModules().catch(() => {});
  };
  timer = setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", poll);
}

function apply(list) {
  modules = list;
  const signature = JSON.stringify(
    runningModules().map((m) => [m.id, m.version, m.routePrefix, m.ui, m.config]),
  );
  const changed = signature !== runningSignature;
  runningSignature = signature;
  for (const fn of [...refreshListeners]) fn(modules);
  if (changed) for (const fn of [...runningListeners]) fn();
}
