// Entity forms (new agent, goal, project, issue; issue edit) built from a small field list, with
// the server's validation message shown on the field it names.

import { dialog, errorBox, field, h, select } from "./dom.js";

/**
 * Builds a form. `fields`: `{name, label, type: "text"|"textarea"|"number"|"money"|"select",
 * options: [[value, label]], value, required, hint}`. `submit(values)` may throw an ApiError;
 * its message is shown (on the named field when there is one). Resolves `onDone(result)`.
 */
export function entityForm(fields, { submitLabel = "Save", submit, onDone, onCancel, id }) {
  const controls = new Map();
  const wrappers = new Map();
  const status = h("div");
  const form = h("form", { class: "form", id, novalidate: true });
  const grid = h("div", { class: "form-grid" });
  for (const spec of fields) {
    const control = makeControl(spec);
    controls.set(spec.name, control);
    const wrap = field(spec.label, control, spec.hint);
    wrappers.set(spec.name, wrap);
    if (spec.type === "textarea" || spec.wide) form.appendChild(wrap);
    else grid.appendChild(wrap);
  }
  form.prepend(grid);
  form.append(
    status,
    h(
      "div",
      { class: "actions row" },
      onCancel ? h("button", { class: "btn", type: "button", onclick: () => onCancel() }, "Cancel") : null,
      h("button", { class: "btn primary", type: "submit" }, submitLabel),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    for (const wrap of wrappers.values()) wrap.setError("");
    const values = {};
    let valid = true;
    for (const spec of fields) {
      const raw = controls.get(spec.name).value.trim();
      if (spec.required && !raw) {
        wrappers.get(spec.name).setError(`${spec.label} is required.`);
        valid = false;
        continue;
      }
      if (spec.type === "number" || spec.type === "money") {
        if (raw === "") {
          values[spec.name] = spec.emptyAs === undefined ? undefined : spec.emptyAs;
          continue;
        }
        const number = Number(raw);
        if (!Number.isFinite(number) || number < 0) {
          wrappers.get(spec.name).setError(`${spec.label} must be a number of at least 0.`);
          valid = false;
          continue;
        }
        values[spec.name] = spec.type === "money" ? Math.round(number * 100) : Math.round(number);
      } else {
        values[spec.name] = raw === "" ? (spec.emptyAs === undefined ? undefined : spec.emptyAs) : raw;
      }
    }
    if (!valid) return;
    for (const key of Object.keys(values)) if (values[key] === undefined) delete values[key];
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const result = await submit(values);
      if (onDone) onDone(result);
    } catch (error) {
      const named = error && error.field && wrappers.get(error.field);
      if (named) named.setError(error.message);
      else status.replaceChildren(errorBox(error && error.message ? error.message : String(error)));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function makeControl(spec) {
  const name = spec.name;
  if (spec.type === "select") return select({ name }, spec.options, spec.value);
  if (spec.type === "textarea") return h("textarea", { name, value: spec.value ?? "" });
  if (spec.type === "number" || spec.type === "money") {
    const value = spec.value === undefined || spec.value === null ? "" : spec.type === "money" ? (spec.value / 100).toFixed(2) : spec.value;
    return h("input", { name, type: "number", min: "0", step: spec.type === "money" ? "0.01" : "1", value: String(value) });
  }
  return h("input", { name, type: "text", value: spec.value ?? "" });
}

/** The form in a modal dialog; resolves to the submit result, or undefined when cancelled. */
export function formDialog(title, fields, submit, submitLabel = "Create") {
  return dialog(title, (close) =>
    entityForm(fields, { submitLabel, submit, onDone: (result) => close(result), onCancel: () => close(undefined) }),
  );
}

/** [[id, name]] options with a leading "none" entry. */
export function optionsOf(items, noneLabel = "—", key = "name") {
  return [["", noneLabel], ...items.map((item) => [item.id, item[key]])];
}

/** [[value, label]] options for enum values. */
export function enumOptions(values, labelFn) {
  return values.map((v) => [v, labelFn(v)]);
}
