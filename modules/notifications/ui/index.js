// Notifications module UI: the "Notifications" page.
//
// A plain ES module, loaded by the web shell with import() from the bundle's ui/ folder — no
// build step, no framework, no dependencies. The contract with the shell:
//
//   mountPage(el, { moduleId, config, api, companyId? }) -> unmount()
//
//   el         the element to render into (owned by the module until unmount)
//   api        api(path, init) fetches `/api/modules/notifications${path}` with the shell's
//              credentials and resolves to the parsed JSON (rejects on an HTTP error, with the
//              server's `error` message)
//   companyId  the company selected in the shell; channels belong to one company
//
// The page lists the company's channels (enable/disable, edit, test, delete), has a form to
// create or edit one, and shows the delivery log, refreshed every few seconds. Text from the
// server (names, messages, errors) is set with textContent, never parsed as HTML. Secrets come
// back as "***"; leaving "***" in a field keeps the stored secret.

const REFRESH_MS = 5_000;
const MASK = "***";

const HOOKS = [
  "server:started",
  "agent:created",
  "agent:updated",
  "agent:deleted",
  "agent:heartbeat",
  "agent:status_changed",
  "issue:created",
  "issue:status_changed",
  "issue:assigned",
  "goal:created",
  "goal:completed",
  "budget:spend_recorded",
  "budget:threshold_crossed",
];
const KINDS = [
  ["webhook", "Webhook (JSON POST)"],
  ["slack", "Slack incoming webhook"],
  ["discord", "Discord webhook"],
  ["email", "Email (SMTP)"],
];
const OPERATORS = ["eq", "ne", "gt", "gte", "lt", "lte", "contains", "in"];
const TLS_MODES = ["starttls", "tls", "none"];
const STATUSES = ["", "pending", "sent", "failed"];

const STYLE = `
.pc-nt { font: 14px/1.4 system-ui, sans-serif; color: inherit; }
.pc-nt h2 { font-size: 18px; margin: 0 0 12px; }
.pc-nt h3 { font-size: 15px; margin: 18px 0 8px; }
.pc-nt table { border-collapse: collapse; width: 100%; }
.pc-nt th, .pc-nt td { text-align: left; padding: 4px 8px; border-bottom: 1px solid rgba(127,127,127,.2); vertical-align: top; }
.pc-nt td.pc-nt-actions { white-space: nowrap; }
.pc-nt button { margin-right: 4px; }
.pc-nt form { border: 1px solid rgba(127,127,127,.3); border-radius: 6px; padding: 12px; display: grid; gap: 8px; max-width: 720px; }
.pc-nt label { display: grid; gap: 2px; }
.pc-nt label.pc-nt-inline { display: inline-flex; gap: 4px; align-items: center; margin-right: 10px; }
.pc-nt input[type=text], .pc-nt input[type=number], .pc-nt input[type=password], .pc-nt select, .pc-nt textarea { font: inherit; padding: 3px 6px; }
.pc-nt fieldset { border: 1px solid rgba(127,127,127,.3); border-radius: 6px; }
.pc-nt-row { display: flex; gap: 6px; align-items: center; margin-bottom: 4px; }
.pc-nt-error { color: #c0392b; }
.pc-nt-ok { color: #1e8449; }
.pc-nt-muted { opacity: .7; font-size: 12px; }
.pc-nt-status-failed { color: #c0392b; }
.pc-nt-status-pending { color: #b9770e; }
.pc-nt-status-sent { color: #1e8449; }
`;

/** Adds the module's stylesheet to the document once. */
function ensureStyle(doc) {
  if (doc.getElementById("pc-nt-style")) return;
  const style = doc.createElement("style");
  style.id = "pc-nt-style";
  style.textContent = STYLE;
  doc.head.appendChild(style);
}

/** Creates an element with optional class and text. */
function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** A button running `action` on click; `data-action` names it (for tests and styling). */
function button(label, action, title, name) {
  const node = h("button", null, label);
  node.type = "button";
  if (title) node.title = title;
  if (name) node.dataset.action = name;
  node.addEventListener("click", action);
  return node;
}

/** An input of `type` named `name`, with `value`. */
function input(type, value, placeholder, name) {
  const node = h("input");
  node.type = type;
  if (name) node.name = name;
  if (value !== undefined && value !== null) node.value = String(value);
  if (placeholder) node.placeholder = placeholder;
  return node;
}

/** A select named `name` of `options` ([value, label] pairs or values) with `value` selected. */
function select(options, value, name) {
  const node = h("select");
  if (name) node.name = name;
  for (const option of options) {
    const [optionValue, label] = Array.isArray(option) ? option : [option, option || "any"];
    const item = h("option", null, label);
    item.value = optionValue;
    node.appendChild(item);
  }
  node.value = value ?? node.value;
  return node;
}

/** A labelled field. */
function field(label, control, hint) {
  const node = h("label");
  node.append(h("span", null, label), control);
  if (hint) node.appendChild(h("span", "pc-nt-muted", hint));
  return node;
}

/** A query string from the defined entries of `params`. */
function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** A filter value as typed: JSON when it parses (90, true, ["a","b"]), else the text. */
function parseValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A filter value for its input box: strings as they are, anything else as JSON. */
function showValue(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** An error's message (the server's `error`, or the thrown text). */
function message(error) {
  return error && error.message ? error.message : String(error);
}

/**
 * The channel form: empty for a new channel, filled for `channel`. `onSaved` runs after a
 * successful save; `onCancel` when the form is closed.
 */
function channelForm({ api, companyId, channel, onSaved, onCancel }) {
  const editing = Boolean(channel);
  const form = h("form");
  form.appendChild(h("h3", null, editing ? `Edit “${channel.name}”` : "New channel"));

  const name = input("text", channel?.name, "e.g. #ops on Slack", "name");
  const kind = select(KINDS, channel?.kind || "slack", "kind");
  const url = input("text", channel?.url, "https://… or $ENV_NAME", "url");
  const urlField = field("URL", url, editing ? "*** keeps the stored URL" : "A secret: give it as $NAME to read it from the environment or the module config's secrets.");

  const email = channel?.email || {};
  const host = input("text", email.host, "smtp.example.com", "host");
  const port = input("number", email.port, "587", "port");
  const tls = select(TLS_MODES, email.tls || "starttls", "tls");
  const username = input("text", email.username, "optional", "username");
  const password = input("password", email.password, "$SMTP_PASSWORD or the password", "password");
  const from = input("text", email.from, "Paperclip <bot@example.com>", "from");
  const to = input("text", (email.to || []).join(", "), "ops@example.com, cto@example.com", "to");
  const subject = input("text", email.subject, "[Paperclip] {{hook}}", "subject");
  const emailBox = h("fieldset");
  emailBox.append(
    h("legend", null, "SMTP"),
    field("Host", host),
    field("Port", port, "Empty: 587 for starttls, 465 for tls, 25 for none."),
    field("TLS", tls),
    field("Username", username),
    field("Password", password, editing ? "*** keeps the stored password" : "A secret: $NAME reads it at send time."),
    field("From", from),
    field("To (comma-separated)", to),
    field("Subject template", subject),
  );

  const hooksBox = h("fieldset");
  hooksBox.appendChild(h("legend", null, "Hooks"));
  const hookBoxes = HOOKS.map((hook) => {
    const box = input("checkbox", hook, null, "hook");
    box.checked = channel ? channel.hooks.includes(hook) : hook === "issue:status_changed";
    const label = h("label", "pc-nt-inline");
    label.append(box, h("span", null, hook));
    hooksBox.appendChild(label);
    return [hook, box];
  });

  const filtersBox = h("fieldset");
  filtersBox.appendChild(h("legend", null, "Filters (all must match)"));
  const filterRows = h("div");
  const filterInputs = [];
  function addFilter(filter) {
    const row = h("div", "pc-nt-row");
    const path = input("text", filter?.path, "to or issue.priority", "filterPath");
    const op = select(OPERATORS, filter?.op || "eq", "filterOp");
    const value = input("text", filter ? showValue(filter.value) : "", 'done, 90 or ["high","urgent"]', "filterValue");
    const entry = { path, op, value };
    row.append(path, op, value, button("Remove", () => {
      filterInputs.splice(filterInputs.indexOf(entry), 1);
      row.remove();
    }));
    filterInputs.push(entry);
    filterRows.appendChild(row);
  }
  for (const filter of channel?.filters || []) addFilter(filter);
  filtersBox.append(filterRows, button("Add filter", () => addFilter(), null, "add-filter"));

  const template = h("textarea");
  template.name = "template";
  template.rows = 2;
  template.placeholder = "Empty: the hook's default message. E.g. {{issue.identifier}} is now {{to}}";
  template.value = channel?.template || "";
  const enabled = input("checkbox", null, null, "enabled");
  enabled.checked = channel ? channel.enabled : true;
  const enabledLabel = h("label", "pc-nt-inline");
  enabledLabel.append(enabled, h("span", null, "Enabled"));

  const status = h("p", "pc-nt-error pc-nt-form-error");
  const save = h("button", null, editing ? "Save" : "Create");
  save.type = "submit";
  save.dataset.action = "save";
  const actions = h("div");
  actions.append(save, button("Cancel", onCancel, null, "cancel"));

  form.append(
    field("Name", name),
    field("Kind", kind),
    urlField,
    emailBox,
    hooksBox,
    filtersBox,
    field("Message template", template, "{{path}} placeholders read the event: {{issue.title}}, {{agent.name}}, {{to}}, {{hook}}…"),
    enabledLabel,
    status,
    actions,
  );

  function showKind() {
    const isEmail = kind.value === "email";
    urlField.hidden = isEmail;
    emailBox.hidden = !isEmail;
  }
  kind.addEventListener("change", showKind);
  showKind();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    const body = {
      name: name.value,
      kind: kind.value,
      hooks: hookBoxes.filter(([, box]) => box.checked).map(([hook]) => hook),
      filters: filterInputs.map((f) => ({ path: f.path.value.trim(), op: f.op.value, value: parseValue(f.value.value) })),
      template: template.value.trim() === "" ? null : template.value,
      enabled: enabled.checked,
    };
    if (kind.value === "email") {
      body.email = {
        host: host.value.trim(),
        tls: tls.value,
        username: username.value.trim() === "" ? null : username.value.trim(),
        password: password.value === "" ? null : password.value,
        from: from.value.trim(),
        to: to.value.split(",").map((s) => s.trim()).filter(Boolean),
        subject: subject.value.trim() === "" ? null : subject.value,
      };
      if (port.value !== "") body.email.port = Number(port.value);
    } else {
      body.url = url.value.trim();
    }
    try {
      if (editing) {
        await api(`/channels/${encodeURIComponent(channel.id)}`, { method: "PATCH", body });
      } else {
        body.companyId = companyId;
        await api("/channels", { method: "POST", body });
      }
      onSaved();
    } catch (error) {
      status.textContent = message(error);
    }
  });
  return form;
}

/** The Notifications page. */
export function mountPage(el, { api, companyId } = {}) {
  ensureStyle(document);
  const root = h("div", "pc-nt");
  root.appendChild(h("h2", null, "Notifications"));
  el.replaceChildren(root);
  if (!companyId) {
    root.appendChild(h("p", "pc-nt-muted", "Choose a company in the sidebar to manage its notification channels."));
    return () => el.replaceChildren();
  }

  const toolbar = h("div");
  const notice = h("p", "pc-nt-notice");
  const formBox = h("div");
  const channelsBox = h("div");
  const deliveryControls = h("div", "pc-nt-row");
  const deliveriesBox = h("div");
  root.append(toolbar, notice, formBox, h("h3", null, "Channels"), channelsBox, h("h3", null, "Deliveries"), deliveryControls, deliveriesBox);

  let channels = [];
  let stopped = false;
  const statusFilter = select(STATUSES, "", "statusFilter");
  const channelFilter = select([["", "all channels"]], "", "channelFilter");
  deliveryControls.append(h("span", null, "Status"), statusFilter, h("span", null, "Channel"), channelFilter, button("Refresh", () => loadDeliveries(), null, "refresh"));
  statusFilter.addEventListener("change", () => loadDeliveries());
  channelFilter.addEventListener("change", () => loadDeliveries());

  function say(text, ok) {
    notice.className = `pc-nt-notice ${ok ? "pc-nt-ok" : "pc-nt-error"}`;
    notice.textContent = text;
  }

  function openForm(channel) {
    formBox.replaceChildren(channelForm({
      api,
      companyId,
      channel,
      onSaved: () => {
        formBox.replaceChildren();
        say(channel ? "Channel saved." : "Channel created.", true);
        loadChannels();
      },
      onCancel: () => formBox.replaceChildren(),
    }));
  }
  toolbar.appendChild(button("New channel", () => openForm(null), null, "new"));

  async function loadChannels() {
    try {
      const answer = await api(`/channels${query({ companyId })}`);
      if (stopped) return;
      channels = answer.items;
      renderChannels();
      const chosen = channelFilter.value;
      channelFilter.replaceChildren(...[["", "all channels"], ...channels.map((c) => [c.id, c.name])].map(([value, label]) => {
        const option = h("option", null, label);
        option.value = value;
        return option;
      }));
      channelFilter.value = channels.some((c) => c.id === chosen) ? chosen : "";
    } catch (error) {
      if (!stopped) channelsBox.replaceChildren(h("p", "pc-nt-error", `Cannot load channels: ${message(error)}`));
    }
  }

  function renderChannels() {
    if (!channels.length) {
      channelsBox.replaceChildren(h("p", "pc-nt-muted", "No channels yet: create one to be notified on Slack, Discord, a webhook or by email."));
      return;
    }
    const table = h("table");
    const head = h("tr");
    for (const title of ["Name", "Kind", "Hooks", "Filters", "Enabled", ""]) head.appendChild(h("th", null, title));
    table.appendChild(h("thead")).appendChild(head);
    const body = table.appendChild(h("tbody"));
    for (const channel of channels) {
      const row = h("tr");
      row.dataset.channelId = channel.id;
      const toggle = input("checkbox", null, null, "toggle");
      toggle.checked = channel.enabled;
      toggle.title = channel.enabled ? "Disable" : "Enable";
      toggle.addEventListener("change", async () => {
        try {
          await api(`/channels/${encodeURIComponent(channel.id)}`, { method: "PATCH", body: { enabled: toggle.checked } });
          say(`${channel.name} ${toggle.checked ? "enabled" : "disabled"}.`, true);
        } catch (error) {
          say(message(error), false);
        }
        loadChannels();
      });
      const enabledCell = h("td");
      enabledCell.appendChild(toggle);
      const actions = h("td", "pc-nt-actions");
      actions.append(
        button("Edit", () => openForm(channel), null, "edit"),
        button("Test", async () => {
          say(`Sending a test message to ${channel.name}…`, true);
          try {
            const outcome = await api(`/channels/${encodeURIComponent(channel.id)}/test`, { method: "POST", body: {} });
            say(`Test message sent to ${channel.name} (${outcome.durationMs} ms).`, true);
          } catch (error) {
            say(`Test message to ${channel.name} failed: ${message(error)}`, false);
          }
        }, "Send a test message now", "test"),
        button("Deliveries", () => {
          channelFilter.value = channel.id;
          loadDeliveries();
        }, "Show this channel's deliveries", "deliveries"),
        button("Delete", async () => {
          if (!window.confirm(`Delete the channel “${channel.name}” and its delivery log?`)) return;
          try {
            await api(`/channels/${encodeURIComponent(channel.id)}`, { method: "DELETE" });
            say(`${channel.name} deleted.`, true);
          } catch (error) {
            say(message(error), false);
          }
          loadChannels();
          loadDeliveries();
        }, null, "delete"),
      );
      const filters = channel.filters.map((f) => `${f.path} ${f.op} ${showValue(f.value)}`).join("; ");
      row.append(
        h("td", null, channel.name),
        h("td", null, channel.kind),
        h("td", null, channel.hooks.join(", ")),
        h("td", null, filters || "–"),
        enabledCell,
        actions,
      );
      body.appendChild(row);
    }
    channelsBox.replaceChildren(table);
  }

  async function loadDeliveries() {
    try {
      const answer = await api(`/deliveries${query({ companyId, status: statusFilter.value, channelId: channelFilter.value, limit: 50 })}`);
      if (stopped) return;
      renderDeliveries(answer.items);
    } catch (error) {
      if (!stopped) deliveriesBox.replaceChildren(h("p", "pc-nt-error", `Cannot load deliveries: ${message(error)}`));
    }
  }

  function renderDeliveries(items) {
    if (!items.length) {
      deliveriesBox.replaceChildren(h("p", "pc-nt-muted", "No deliveries yet."));
      return;
    }
    const table = h("table");
    const head = h("tr");
    for (const title of ["Queued", "Channel", "Hook", "Status", "Attempts", "Message", "Last error"]) head.appendChild(h("th", null, title));
    table.appendChild(h("thead")).appendChild(head);
    const body = table.appendChild(h("tbody"));
    for (const delivery of items) {
      const row = h("tr");
      row.dataset.deliveryId = delivery.id;
      row.append(
        h("td", null, new Date(delivery.createdAt).toLocaleString()),
        h("td", null, delivery.channelName || delivery.channelId),
        h("td", null, delivery.hook),
        h("td", `pc-nt-status-${delivery.status}`, delivery.status),
        h("td", null, delivery.attempts),
        h("td", null, delivery.message),
        h("td", "pc-nt-muted", delivery.lastError || ""),
      );
      body.appendChild(row);
    }
    deliveriesBox.replaceChildren(table);
  }

  loadChannels();
  loadDeliveries();
  const timer = setInterval(() => loadDeliveries(), REFRESH_MS);
  return () => {
    stopped = true;
    clearInterval(timer);
    el.replaceChildren();
  };
}

export default mountPage;
