// Small DOM helpers: every piece of text from the server goes in through textContent (never as
// HTML), so names and descriptions cannot inject markup.

/**
 * Creates an element. `props`: `class`, `dataset`, `style` (object), `on<Event>` listeners,
 * DOM properties (`value`, `checked`, `disabled`, `hidden`, `selected`), other keys as
 * attributes (null/false skipped). Children: nodes, strings, numbers, arrays; null/false skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (["value", "checked", "disabled", "hidden", "selected", "multiple"].includes(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (nodes, text, nested arrays) to `el`. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces `el`'s children (null/false skipped, like `h`). */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A `<select>` with `options` ([value, label] pairs) and `selected` chosen. */
export function select(props, options, selected) {
  const el = h("select", props);
  for (const [value, label] of options) {
    el.appendChild(h("option", { value, selected: String(value) === String(selected ?? "") }, label));
  }
  return el;
}

/** A labelled form field wrapping `control`, with an optional hint and an error line. */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const error = h("div", { class: "field-error", hidden: true });
  const wrap = h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("div", { class: "hint" }, hint) : null, error);
  wrap.setError = (message) => {
    wrap.classList.toggle("invalid", Boolean(message));
    error.hidden = !message;
    error.textContent = message || "";
  };
  return wrap;
}

/** An error box: a message and, optionally, a list of detail lines. */
export function errorBox(message, details) {
  return h("div", { class: "error-box", role: "alert" }, h("div", null, message), details && details.length ? h("ul", null, details.map((d) => h("li", null, d))) : null);
}

/** A modal dialog; resolves when closed. `build(close)` returns its content. */
export function dialog(title, build) {
  return new Promise((resolve) => {
    const close = (value) => {
      backdrop.remove();
      document.removeEventListener("keydown", onKey);
      resolve(value);
    };
    const onKey = (event) => {
      if (event.key === "Escape") close(undefined);
    };
    const box = h("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": title }, h("h2", null, title));
    append(box, [build(close)]);
    const backdrop = h("div", { class: "dialog-backdrop" }, box);
    backdrop.addEventListener("mousedown", (event) => {
      if (event.target === backdrop) close(undefined);
    });
    document.addEventListener("keydown", onKey);
    document.body.appendChild(backdrop);
    const first = box.querySelector("input, select, textarea, button");
    if (first) first.focus();
  });
}
