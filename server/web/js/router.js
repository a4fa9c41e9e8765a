// Client-side routing with the History API. The server answers index.html for every path
// outside /api, so deep links and reloads land on the right page.

import { errorBox } from "./dom.js";

const routes = [];
let renderCount = 0;
let cleanups = [];
let outlet = null;
const afterRender = new Set();

/** Registers `pattern` ("/agents/:id", "/m/:module/*") rendered by `page(ctx)`. */
export function route(pattern, page) {
  const keys = [...pattern.matchAll(/:([a-zA-Z]+)|\/\*$/g)].map((m) => m[1] || "rest");
  const source = pattern.replace(/\/\*$/, "(/.*)?").replace(/:([a-zA-Z]+)/g, "([^/]+)");
  routes.push({ regex: new RegExp(`^${source}/?$`), keys, page });
}

/** Where pages render. */
export function setOutlet(el) {
  outlet = el;
}

/** Goes to `url` (path + query) and renders it. */
export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}

/** Renders the current URL again (after a company switch or a new API key). */
export function reload() {
  render();
}

/** Calls `fn(pathname)` after each render (the sidebar highlights its active link). */
export function onRender(fn) {
  afterRender.add(fn);
}

/** Renders the page for the current URL into a fresh container; earlier renders are cleaned up. */
export async function render() {
  const token = ++renderCount;
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch (error) {
      console.warn("page clean-up failed:", error);
    }
  }
  const url = new URL(location.href);
  const root = document.createElement("div");
  root.className = "page";
  outlet.replaceChildren(root);
  let found = null;
  for (const candidate of routes) {
    const match = candidate.regex.exec(url.pathname);
    if (match) {
      const params = {};
      candidate.keys.forEach((key, i) => {
        params[key] = match[i + 1] === undefined ? "" : decodeURIComponent(match[i + 1]);
      });
      found = { page: candidate.page, params };
      break;
    }
  }
  for (const fn of afterRender) fn(url.pathname);
  const ctx = {
    root,
    params: found ? found.params : {},
    query: url.searchParams,
    path: url.pathname,
    isCurrent: () => token === renderCount,
    onCleanup: (fn) => cleanups.push(fn),
  };
  if (!found) {
    root.textContent = `No page at ${url.pathname}.`;
    return;
  }
  try {
    await found.page(ctx);
  } catch (error) {
    if (!ctx.isCurrent()) return;
    if (error && error.status === 401) {
      root.replaceChildren(errorBox("This server needs an API key: enter it in the dialog (or under “API key” in the sidebar)."));
    } else {
      root.replaceChildren(errorBox(`This page could not be loaded: ${error && error.message ? error.message : error}`));
    }
  }
}

/** Follows same-origin links without reloading the page. */
export function interceptLinks(container) {
  container.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download")) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/modules/")) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener("popstate", () => render());
}
