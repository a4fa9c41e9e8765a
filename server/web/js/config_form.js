// A form generated from a module's `configSchema` (JSON Schema, object with properties): one
// control per property by type — text, number, checkbox, select for enums, one-per-line lists,
// JSON for anything else — pre-filled with the current value or the default, and checked
// against the schema's keywords before anything is sent.

import { field, h, select } from "./dom.js";

/** Values the server masks because they come from `$ENV` references. */
const MASKED = "***";

/**
 * Builds the form body for `schema` with `values`. Returns `{element, read}`; `read()` gives
 * `{config, errors}` where errors maps property names to messages (shown on the fields).
 */
export function configForm(schema, values) {
  const element = h("div", { class: "form" });
  const props = (schema && schema.properties) || null;
  const current = values && typeof values === "object" ? values : {};
  if (!props) {
    // No per-property schema: edit the configuration as JSON.
    const text = h("textarea", { name: "config-json", value: JSON.stringify(current, null, 2) });
    const wrap = field("Configuration (JSON)", text);
    element.append(wrap);
    return {
      element,
      read() {
        wrap.setError("");
        try {
          return { config: JSON.parse(text.value || "{}"), errors: new Map() };
        } catch (error) {
          wrap.setError(`Not valid JSON: ${error.message}`);
          return { config: null, errors: new Map([["config", error.message]]) };
        }
      },
    };
  }
  const required = new Set(schema.required || []);
  const entries = Object.entries(props).map(([name, prop]) => makeEntry(name, prop || {}, current[name], required.has(name)));
  for (const entry of entries) element.append(entry.wrap);
  return {
    element,
    read() {
      const config = {};
      const errors = new Map();
      for (const entry of entries) {
        entry.wrap.setError("");
        if (entry.masked) continue;
        const { value, error } = entry.read();
        if (error) {
          errors.set(entry.name, error);
          entry.wrap.setError(error);
        } else if (value !== undefined) {
          config[entry.name] = value;
        }
      }
      return { config, errors };
    },
    /** Shows server-side problems ("config.port: …" lines) on their fields. */
    showProblems(problems) {
      for (const line of problems || []) {
        const entry = entries.find((e) => new RegExp(`(^|[.\\s])${e.name}([.:\\[\\s]|$)`).test(line));
        if (entry) entry.wrap.setError(line);
      }
    },
  };
}

function typeOf(prop) {
  const types = Array.isArray(prop.type) ? prop.type.filter((t) => t !== "null") : [prop.type];
  return types[0] || (prop.enum ? "enum" : "json");
}

function makeEntry(name, prop, value, isRequired) {
  const type = typeOf(prop);
  const initial = value !== undefined && value !== null ? value : prop.default;
  const title = prop.title || name;
  const hints = [];
  if (prop.description) hints.push(prop.description);
  if (prop.default !== undefined) hints.push(`Default: ${JSON.stringify(prop.default)}.`);
  const masked = initial === MASKED;
  if (masked) hints.push("Set from an environment variable in the server's config file; change it there.");
  let control;
  let read;

  if (Array.isArray(prop.enum)) {
    const options = prop.enum.map((v) => [JSON.stringify(v), String(v)]);
    control = select({ name }, isRequired ? options : [["", "(default)"], ...options], initial === undefined ? "" : JSON.stringify(initial));
    read = () => (control.value === "" ? { value: undefined } : { value: JSON.parse(control.value) });
  } else if (type === "boolean") {
    control = h("input", { type: "checkbox", name, checked: Boolean(initial) });
    read = () => ({ value: control.checked });
  } else if (type === "integer" || type === "number") {
    control = h("input", { type: "number", name, step: type === "integer" ? "1" : "any", value: initial === undefined ? "" : String(initial) });
    if (prop.minimum !== undefined) control.min = String(prop.minimum);
    if (prop.maximum !== undefined) control.max = String(prop.maximum);
    read = () => readNumber(control.value, prop, type, title, isRequired);
  } else if (type === "string") {
    const secret = prop.writeOnly || prop.format === "password";
    control = h("input", { type: secret ? "password" : "text", name, value: initial === undefined ? "" : String(initial) });
    read = () => readString(control.value, prop, title, isRequired);
  } else if (type === "array" && prop.items && ["string", "integer", "number"].includes(typeOf(prop.items))) {
    control = h("textarea", { name, rows: "3", value: Array.isArray(initial) ? initial.join("\n") : "" });
    hints.push("One value per line.");
    read = () => readList(control.value, prop, title, isRequired);
  } else {
    control = h("textarea", { name, rows: "3", value: initial === undefined ? "" : JSON.stringify(initial, null, 2) });
    hints.push("JSON.");
    read = () => {
      if (!control.value.trim()) return isRequired ? { error: `${title} is required.` } : { value: undefined };
      try {
        return { value: JSON.parse(control.value) };
      } catch (error) {
        return { error: `${title} is not valid JSON: ${error.message}` };
      }
    };
  }
  control.disabled = masked;
  control.dataset.configField = name;
  const wrap = field(isRequired ? `${title} *` : title, control, hints.join(" "));
  if (type === "boolean") wrap.classList.add("check");
  return { name, wrap, read, masked };
}

function readNumber(text, prop, type, title, isRequired) {
  if (text.trim() === "") return isRequired ? { error: `${title} is required.` } : { value: undefined };
  const value = Number(text);
  if (!Number.isFinite(value)) return { error: `${title} must be a number.` };
  if (type === "integer" && !Number.isInteger(value)) return { error: `${title} must be a whole number.` };
  if (prop.minimum !== undefined && value < prop.minimum) return { error: `${title} must be at least ${prop.minimum}.` };
  if (prop.maximum !== undefined && value > prop.maximum) return { error: `${title} must be at most ${prop.maximum}.` };
  if (prop.exclusiveMinimum !== undefined && value <= prop.exclusiveMinimum) return { error: `${title} must be greater than ${prop.exclusiveMinimum}.` };
  if (prop.exclusiveMaximum !== undefined && value >= prop.exclusiveMaximum) return { error: `${title} must be less than ${prop.exclusiveMaximum}.` };
  if (prop.multipleOf && Math.abs(value / prop.multipleOf - Math.round(value / prop.multipleOf)) > 1e-9) return { error: `${title} must be a multiple of ${prop.multipleOf}.` };
  return { value };
}

function readString(text, prop, title, isRequired) {
  if (text === "") return isRequired ? { error: `${title} is required.` } : { value: undefined };
  if (prop.minLength !== undefined && text.length < prop.minLength) return { error: `${title} must be at least ${prop.minLength} character${prop.minLength === 1 ? "" : "s"} long.` };
  if (prop.maxLength !== undefined && text.length > prop.maxLength) return { error: `${title} must be at most ${prop.maxLength} characters long.` };
  if (prop.pattern) {
    let pattern = null;
    try {
      pattern = new RegExp(prop.pattern, "u");
    } catch {
      // A pattern JavaScript cannot compile is left to the server's check.
    }
    if (pattern && !pattern.test(text)) return { error: `${title} must match the pattern ${prop.pattern}.` };
  }
  return { value: text };
}

function readList(text, prop, title, isRequired) {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  if (!lines.length && isRequired) return { error: `${title} is required.` };
  if (!lines.length) return { value: undefined };
  const itemType = typeOf(prop.items);
  const values = itemType === "string" ? lines : lines.map(Number);
  if (itemType !== "string" && values.some((v) => !Number.isFinite(v))) return { error: `Every line of ${title} must be a number.` };
  if (prop.minItems !== undefined && values.length < prop.minItems) return { error: `${title} needs at least ${prop.minItems} values.` };
  if (prop.maxItems !== undefined && values.length > prop.maxItems) return { error: `${title} takes at most ${prop.maxItems} values.` };
  return { value: values };
}
