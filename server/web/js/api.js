// The fetch wrapper every page and every module UI goes through: JSON in and out, the API key
// (kept in localStorage) as a bearer token, errors as ApiError with the server's message.
// A 401 tells the shell to ask for a key (event "paperclip:unauthorized").

const KEY_STORAGE = "paperclip.apiKey";

/** An HTTP error from the API: `status`, the server's `message`, `field` and `problems`. */
export class ApiError extends Error {
  constructor(status, body, url) {
    const message = (body && typeof body === "object" && body.error) || (typeof body === "string" && body) || `HTTP ${status}`;
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
    this.url = url;
    this.field = body && body.field;
    this.problems = (body && body.problems) || [];
  }
}

/** The stored API key, or "". */
export function apiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

/** Stores (or, with "", forgets) the API key. */
export function setApiKey(key) {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

/** Headers with the bearer key when one is stored. */
export function authHeaders(extra) {
  const headers = new Headers(extra || {});
  const key = apiKey();
  if (key && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${key}`);
  return headers;
}

/**
 * Fetches `url` and resolves to the parsed JSON (text when not JSON, null when empty).
 * `init.body` may be a plain object or array (sent as JSON) or anything fetch takes.
 * Rejects with ApiError on an HTTP error.
 */
export async function request(url, init = {}) {
  const options = { ...init, headers: authHeaders(init.headers) };
  const body = init.body;
  const plain = body !== undefined && body !== null && typeof body === "object" && (Array.isArray(body) || Object.getPrototypeOf(body) === Object.prototype);
  if (plain) {
    options.body = JSON.stringify(body);
    if (!options.headers.has("Content-Type")) options.headers.set("Content-Type", "application/json");
  } else if (typeof body === "string" && !options.headers.has("Content-Type")) {
    options.headers.set("Content-Type", "application/json");
  }
  const response = await fetch(url, options);
  const text = await response.text();
  let parsed = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new CustomEvent("paperclip:unauthorized", { detail: parsed }));
    throw new ApiError(response.status, parsed, url);
  }
  return parsed;
}

/** Core API shortcuts. */
export const api = {
  get: (url) => request(url),
  post: (url, body) => request(url, { method: "POST", body: body ?? {} }),
  patch: (url, body) => request(url, { method: "PATCH", body }),
  put: (url, body) => request(url, { method: "PUT", body: JSON.stringify(body) }),
  del: (url) => request(url, { method: "DELETE" }),
};

/** A query string from the non-empty entries of `params` ("" when none). */
export function qs(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Every item of a list endpoint (pages of 500), for the small collections (agents, goals). */
export async function listAll(url) {
  const items = [];
  for (let offset = 0; ; offset += 500) {
    const separator = url.includes("?") ? "&" : "?";
    const page = await request(`${url}${separator}limit=500&offset=${offset}`);
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}
