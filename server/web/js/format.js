// Formatting of money (integer cents), dates (RFC 3339 from the API) and enum labels.

/** Cents as dollars: 1234 → "$12.34". */
export function money(cents) {
  const value = Number(cents || 0) / 100;
  return value.toLocaleString(undefined, { style: "currency", currency: "USD" });
}

/** "3 min ago", "2 h ago", "5 d ago", or the date when older than a month. */
export function ago(iso) {
  if (!iso) return "never";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return String(iso);
  const seconds = Math.round((Date.now() - then) / 1000);
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 30 * 86400) return `${Math.round(seconds / 86400)} d ago`;
  return new Date(then).toLocaleDateString();
}

/** Date and time in the browser's locale. */
export function dateTime(iso) {
  if (!iso) return "";
  const then = Date.parse(iso);
  return Number.isNaN(then) ? String(iso) : new Date(then).toLocaleString();
}

/** "in_progress" → "In progress". */
export function label(value) {
  const text = String(value ?? "").replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Integer with thousands separators. */
export function count(value) {
  return Number(value || 0).toLocaleString(undefined, { maximumFractionDigits: 0 });
}

/** Percent of budget spent (null without a budget). */
export function percentOf(spent, budget) {
  return budget > 0 ? (100 * spent) / budget : null;
}

/** A file-name-safe slug: "Startup in a Box" → "startup-in-a-box". */
export function slug(text) {
  return String(text || "company").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "company";
}
