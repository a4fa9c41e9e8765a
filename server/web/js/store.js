// The shell's shared state: the companies and the one being looked at (remembered in
// localStorage). Pages read it; the company switcher changes it.

import { listAll } from "./api.js";

const COMPANY_STORAGE = "paperclip.companyId";
const listeners = new Set();

/** Companies and the selected one. */
export const store = {
  companies: [],
  companyId: null,
  loaded: false,
  /** Why the companies could not be loaded (an ApiError; 401 without a valid key), or null. */
  error: null,
};

/** The selected company (null when there is none). */
export function currentCompany() {
  return store.companies.find((c) => c.id === store.companyId) || null;
}

/** Calls `fn` after every change; returns the function that stops it. */
export function onStoreChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function notify() {
  for (const fn of [...listeners]) fn(store);
}

/** Reloads the companies; keeps the selection when it still exists, else picks `prefer` or the first. */
export async function loadCompanies(prefer) {
  try {
    store.companies = await listAll("/api/companies");
  } catch (error) {
    store.error = error;
    throw error;
  }
  store.error = null;
  store.loaded = true;
  const wanted = prefer || store.companyId || readStored();
  const chosen = store.companies.find((c) => c.id === wanted) || store.companies[0] || null;
  store.companyId = chosen ? chosen.id : null;
  persist();
  notify();
  return store.companies;
}

/** Selects company `id`. */
export function selectCompany(id) {
  if (store.companyId === id) return;
  store.companyId = id;
  persist();
  notify();
}

function readStored() {
  try {
    return localStorage.getItem(COMPANY_STORAGE);
  } catch {
    return null;
  }
}

function persist() {
  try {
    if (store.companyId) localStorage.setItem(COMPANY_STORAGE, store.companyId);
  } catch {
    // Private mode without storage: the selection lasts for this page only.
  }
}
