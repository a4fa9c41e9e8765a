// Workflow Automation module UI: the "Workflows" page.
//
// A plain ES module, loaded by the web shell with import() from the bundle's ui/ folder — no
// build step, no framework, no dependencies. The contract with the shell:
//
//   mountPage(el, { moduleId, config, api, companyId? }) -> unmount()
//
//   el         the element to render into (owned by the module until unmount)
//   api        api(path, init) fetches `/api/modules/workflows${path}` with the shell's
//              credentials and resolves to the parsed JSON (rejects with the server's `error`
//              message on an HTTP error); a plain-object `body` is sent as JSON
//   companyId  optional: the company selected in the shell; otherwise the page offers the
//              companies the module is enabled for (GET /companies)
//
// The page lists the company's rules (enable/disable, edit, test, delete), edits a rule in a
// form built from GET /catalog (trigger hooks, their fields and sample payloads, operators,
// action types), dry-runs a rule or a draft against a payload (POST /rules/{id}/test,
// POST /rules/test — nothing is written), and shows the runs: what fired, what each action did,
// and why one failed. Text from the server is set with textContent, never parsed as HTML.

const RUNS_REFRESH_MS = 10_000;

const STYLE = `
.pc-wf { font: 14px/1.45 system-ui, sans-serif; color: inherit; display: grid; gap: 16px; }
.pc-wf h2 { font-size: 18px; margin: 0; }
.pc-wf h3 { font-size: 15px; margin: 14px 0 8px; }
.pc-wf-panel > h3:first-child, .pc-wf-bar h3 { margin-top: 0; }
.pc-wf-bar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.pc-wf-bar .pc-wf-grow { flex: 1; }
.pc-wf-panel { border: 1px solid rgba(127,127,127,.3); border-radius: 8px; padding: 12px 14px; }
.pc-wf table { border-collapse: collapse; width: 100%; }
.pc-wf th, .pc-wf td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid rgba(127,127,127,.2); }
.pc-wf th { font-size: 12px; opacity: .75; font-weight: 600; }
.pc-wf button { font: inherit; padding: 3px 10px; border-radius: 6px; border: 1px solid rgba(127,127,127,.45); background: transparent; color: inherit; cursor: pointer; }
.pc-wf button.pc-wf-primary { background: #3b5bdb; border-color: #3b5bdb; color: #fff; }
.pc-wf button.pc-wf-danger { color: #e03131; }
.pc-wf button:disabled { opacity: .5; cursor: default; }
.pc-wf input, .pc-wf select, .pc-wf textarea { font: inherit; color: inherit; background: transparent; border: 1px solid rgba(127,127,127,.45); border-radius: 6px; padding: 3px 6px; }
.pc-wf textarea { width: 100%; box-sizing: border-box; font-family: ui-monospace, monospace; font-size: 12px; }
.pc-wf label { display: grid; gap: 2px; font-size: 12px; align-content: start; }
.pc-wf label input[type=checkbox] { justify-self: start; }
.pc-wf label > span { opacity: .75; }
.pc-wf-grid { display: grid; gap: 8px; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
.pc-wf-row { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-start; margin-bottom: 6px; }
.pc-wf-row > button { margin-top: 18px; }
.pc-wf-item { border-left: 3px solid rgba(80,140,255,.5); padding: 6px 10px; margin: 6px 0; }
.pc-wf-muted { opacity: .7; font-size: 12px; }
.pc-wf-error { color: #e03131; white-space: pre-wrap; }
.pc-wf-ok { color: #2f9e44; }
.pc-wf-badge { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px; background: rgba(127,127,127,.2); }
.pc-wf-badge.s-succeeded, .pc-wf-badge.s-ok, .pc-wf-badge.s-yes { background: #d3f9d8; color: #1b5e20; }
.pc-wf-badge.s-failed, .pc-wf-badge.s-no { background: #ffe3e3; color: #9b1c1c; }
.pc-wf-badge.s-running, .pc-wf-badge.s-skipped { background: #fff3bf; color: #7a5a00; }
.pc-wf code { font-family: ui-monospace, monospace; font-size: 12px; }
`;

/** Adds the module's stylesheet to the document once. */
function ensureStyle() {
  if (document.getElementById("pc-wf-style")) return;
  const style = document.createElement("style");
  style.id = "pc-wf-style";
  style.textContent = STYLE;
  document.head.appendChild(style);
}

/**
 * Creates an element: `attrs` sets properties (`className`, `value`, `onclick`, …), `dataset`
 * entries and, for names with a dash or `name`/`list`/`placeholder`, attributes; children are
 * nodes or text.
 */
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key.includes("-") || ["name", "list", "placeholder", "title", "type", "for"].includes(key)) node.setAttribute(key, value === true ? "" : String(value));
    else node[key] = value;
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A small status badge. */
function badge(text, kind) {
  return h("span", { className: `pc-wf-badge s-${kind || text}` }, text);
}

/** A labelled form control. */
function field(label, control, hint) {
  return h("label", null, h("span", null, label), control, hint ? h("span", { className: "pc-wf-muted" }, hint) : null);
}

/** The message of a rejected `api` call. */
function message(error) {
  return error && error.message ? error.message : String(error);
}

/** A time as the browser's local date and time. */
function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "–";
}

/** A condition's value as typed in the form: JSON, except a plain string stays as it is. */
function valueText(value) {
  if (typeof value === "string") {
    try {
      JSON.parse(value);
      return JSON.stringify(value); // "90", "true", "null" keep their quotes
    } catch {
      return value;
    }
  }
  return JSON.stringify(value);
}

/** The value a condition field holds: JSON when it parses, else the text as a string. */
function parseValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One line describing a trigger. */
function describeTrigger(trigger) {
  const conditions = (trigger.conditions || []).map((c) => `${c.field} ${c.operator} ${JSON.stringify(c.value)}`);
  return conditions.length ? `${trigger.hook} when ${conditions.join(" and ")}` : `${trigger.hook} (every event)`;
}

/** One line describing an action. */
function describeAction(action) {
  switch (action.type) {
    case "create_issue":
      return `create issue “${action.title}”`;
    case "update_issue": {
      const changes = ["status", "priority", "assigneeAgentId"]
        .filter((k) => k in action)
        .map((k) => `${k} → ${action[k] === null ? "none" : action[k]}`);
      return `update issue ${action.issueId}: ${changes.join(", ")}`;
    }
    case "pause_agent":
      return `pause agent ${action.agentId}`;
    case "resume_agent":
      return `resume agent ${action.agentId}`;
    default:
      return action.type;
  }
}

/** The form fields of each action type: [key, label, hint, kind]. */
const ACTION_FIELDS = {
  create_issue: [
    ["title", "Title", "required; e.g. Follow up on {{issue.identifier}}: {{issue.title}}", "text"],
    ["description", "Description", "", "textarea"],
    ["status", "Status", "default todo", "status"],
    ["priority", "Priority", "default medium", "priority"],
    ["assigneeAgentId", "Assignee agent id", "", "ref"],
    ["projectId", "Project id", "", "ref"],
    ["goalId", "Goal id", "", "ref"],
    ["parentId", "Parent issue id", "e.g. {{issue.id}}", "ref"],
  ],
  update_issue: [
    ["issueId", "Issue id", "default: the trigger's issue", "ref"],
    ["status", "New status", "", "status"],
    ["priority", "New priority", "", "priority"],
    ["assigneeAgentId", "New assignee agent id", "null unassigns", "ref"],
  ],
  pause_agent: [["agentId", "Agent id", "default: the trigger's agent", "ref"]],
  resume_agent: [["agentId", "Agent id", "default: the trigger's agent", "ref"]],
};

/** The Workflows page. */
export function mountPage(el, { api, companyId: shellCompany } = {}) {
  ensureStyle();
  let catalog = null;
  let companyId = shellCompany || null;
  let rules = [];
  let selectedRule = null; // id whose runs are shown; null = every rule of the company
  let stopped = false;

  const companyBox = h("span");
  const status = h("div", { className: "pc-wf-error", role: "alert" });
  const rulesBox = h("div");
  const editorBox = h("div");
  const testBox = h("div");
  const runsTitle = h("h3", null, "Runs");
  const runsBox = h("div");
  const root = h(
    "div",
    { className: "pc-wf" },
    h(
      "div",
      { className: "pc-wf-bar" },
      h("h2", { className: "pc-wf-grow" }, "Workflows"),
      companyBox,
      h("button", { className: "pc-wf-primary", id: "wf-new-rule", onclick: () => openEditor(null) }, "New rule"),
    ),
    status,
    h("div", { className: "pc-wf-panel" }, h("h3", null, "Rules"), rulesBox),
    editorBox,
    testBox,
    h("div", { className: "pc-wf-panel" }, h("div", { className: "pc-wf-bar" }, runsTitle), runsBox),
  );
  el.replaceChildren(root);

  function fail(error) {
    status.textContent = message(error);
  }

  function clearStatus() {
    status.textContent = "";
  }

  async function start() {
    try {
      catalog = await api("/catalog");
      if (!shellCompany) {
        const companies = (await api("/companies")).items;
        if (!companies.length) {
          rulesBox.replaceChildren(h("p", { className: "pc-wf-muted" }, "The module is not enabled for any company yet."));
          return;
        }
        companyId = companies[0].id;
        const picker = h(
          "select",
          { name: "company", onchange: () => { companyId = picker.value; selectedRule = null; editorBox.replaceChildren(); testBox.replaceChildren(); reload(); } },
          companies.map((c) => h("option", { value: c.id }, c.name)),
        );
        companyBox.replaceChildren(field("Company", picker));
      }
      await reload();
    } catch (error) {
      fail(error);
    }
  }

  async function reload() {
    await loadRules();
    await loadRuns();
  }

  async function loadRules() {
    try {
      rules = (await api(`/rules?companyId=${encodeURIComponent(companyId)}`)).items;
      renderRules();
    } catch (error) {
      fail(error);
    }
  }

  function renderRules() {
    if (!rules.length) {
      rulesBox.replaceChildren(h("p", { className: "pc-wf-muted", id: "wf-no-rules" }, "No rules yet. A rule reacts to an event of this company: “New rule”."));
      return;
    }
    const body = h("tbody");
    for (const rule of rules) {
      const toggle = h("input", {
        type: "checkbox",
        checked: rule.enabled,
        title: rule.enabled ? "Enabled: click to disable" : "Disabled: click to enable",
        onchange: () => setEnabled(rule, toggle.checked, toggle),
      });
      body.append(
        h(
          "tr",
          { className: "wf-rule-row", dataset: { ruleId: rule.id } },
          h("td", null, toggle),
          h("td", null, h("strong", null, rule.name), rule.description ? h("div", { className: "pc-wf-muted" }, rule.description) : null),
          h("td", null, describeTrigger(rule.trigger)),
          h("td", null, rule.actions.map((a) => h("div", null, describeAction(a)))),
          h(
            "td",
            null,
            h("div", { className: "pc-wf-bar" },
              h("button", { dataset: { action: "edit" }, onclick: () => openEditor(rule) }, "Edit"),
              h("button", { dataset: { action: "test" }, onclick: () => openTest(rule, null) }, "Test"),
              h("button", { dataset: { action: "runs" }, onclick: () => { selectedRule = rule.id; loadRuns(); } }, "Runs"),
              h("button", { className: "pc-wf-danger", dataset: { action: "delete" }, onclick: () => remove(rule) }, "Delete"),
            ),
          ),
        ),
      );
    }
    rulesBox.replaceChildren(
      h("table", null, h("thead", null, h("tr", null, ["On", "Name", "Trigger", "Actions", ""].map((t) => h("th", null, t)))), body),
    );
  }

  async function setEnabled(rule, enabled, toggle) {
    toggle.disabled = true;
    try {
      await api(`/rules/${encodeURIComponent(rule.id)}`, { method: "PATCH", body: { enabled } });
      clearStatus();
      await loadRules();
    } catch (error) {
      toggle.checked = !enabled;
      toggle.disabled = false;
      fail(error);
    }
  }

  async function remove(rule) {
    if (!window.confirm(`Delete the rule “${rule.name}” and its runs?`)) return;
    try {
      await api(`/rules/${encodeURIComponent(rule.id)}`, { method: "DELETE" });
      if (selectedRule === rule.id) selectedRule = null;
      clearStatus();
      editorBox.replaceChildren();
      testBox.replaceChildren();
      await reload();
    } catch (error) {
      fail(error);
    }
  }

  /** The hook's catalog entry. */
  function hookInfo(hook) {
    return catalog.hooks.find((x) => x.hook === hook) || catalog.hooks[0];
  }

  /** Opens the editor for `rule` (null: a new rule). */
  function openEditor(rule) {
    if (!catalog || !companyId) return;
    clearStatus();
    testBox.replaceChildren();
    const draft = rule
      ? JSON.parse(JSON.stringify(rule))
      : {
          name: "",
          description: "",
          enabled: true,
          trigger: { hook: "issue:status_changed", conditions: [{ field: "to", operator: "eq", value: "done" }] },
          actions: [{ type: "create_issue", title: "Follow up on {{issue.identifier}}: {{issue.title}}" }],
        };
    const error = h("div", { className: "pc-wf-error", id: "wf-editor-error", role: "alert" });
    const fieldsList = h("datalist", { id: "wf-fields" });
    const refList = h("datalist", { id: "wf-refs" });
    const name = h("input", { name: "name", value: draft.name || "", placeholder: "Follow up on done issues" });
    const description = h("input", { name: "description", value: draft.description || "" });
    const enabled = h("input", { type: "checkbox", name: "enabled", checked: draft.enabled !== false });
    const hook = h("select", { name: "hook" }, catalog.hooks.map((x) => h("option", { value: x.hook, title: x.description }, x.hook)));
    hook.value = draft.trigger.hook;
    const hookHelp = h("div", { className: "pc-wf-muted" });
    const conditionsBox = h("div");
    const actionsBox = h("div");

    function refreshHookLists() {
      const info = hookInfo(hook.value);
      hookHelp.textContent = `${info.description}. Fields: ${info.fields.join(", ")}`;
      fieldsList.replaceChildren(...info.fields.filter((f) => !f.endsWith(".*")).map((f) => h("option", { value: f })));
      refList.replaceChildren(...info.fields.filter((f) => /(^|\.)(id|[a-z]+Id)$/.test(f)).map((f) => h("option", { value: `{{${f}}}` })));
    }

    function conditionRow(condition) {
      const fieldInput = h("input", { name: "field", list: "wf-fields", value: condition.field || "", placeholder: "to" });
      const operator = h("select", { name: "operator" }, catalog.operators.map((op) => h("option", { value: op }, op)));
      operator.value = condition.operator || "eq";
      const value = h("input", { name: "value", value: "value" in condition ? valueText(condition.value) : "", placeholder: "done, 90, [\"high\",\"urgent\"]" });
      const row = h("div", { className: "pc-wf-row wf-condition" },
        field("Field", fieldInput), field("Operator", operator), field("Value", value, "JSON, or plain text"),
        h("button", { title: "Remove this condition", onclick: () => row.remove() }, "✕"));
      row.read = () => ({ field: fieldInput.value.trim(), operator: operator.value, value: parseValue(value.value) });
      return row;
    }

    function actionRow(action) {
      const type = h("select", { name: "type" }, catalog.actions.map((a) => h("option", { value: a.type }, a.type)));
      type.value = action.type || "create_issue";
      const inputs = h("div", { className: "pc-wf-grid" });
      const controls = new Map();
      const capability = h("span", { className: "pc-wf-muted" });
      function renderInputs(values) {
        controls.clear();
        const spec = ACTION_FIELDS[type.value] || [];
        capability.textContent = `needs the capability ${(catalog.actions.find((a) => a.type === type.value) || {}).capability}`;
        inputs.replaceChildren(...spec.map(([key, label, hint, kind]) => {
          const current = values[key] === null ? "null" : values[key] || "";
          let control;
          if (kind === "textarea") control = h("textarea", { name: key, rows: 2, value: current });
          else control = h("input", { name: key, value: current, list: kind === "ref" ? "wf-refs" : kind === "status" ? "wf-statuses" : kind === "priority" ? "wf-priorities" : undefined });
          controls.set(key, control);
          return field(label, control, hint);
        }));
      }
      type.addEventListener("change", () => renderInputs({}));
      renderInputs(action);
      const row = h("div", { className: "pc-wf-item wf-action" },
        h("div", { className: "pc-wf-row" }, field("Action", type), capability, h("span", { className: "pc-wf-grow" }),
          h("button", { title: "Remove this action", onclick: () => row.remove() }, "✕")),
        inputs);
      row.read = () => {
        const out = { type: type.value };
        for (const [key, control] of controls) {
          const text = control.value.trim();
          if (!text) continue;
          out[key] = text === "null" && key === "assigneeAgentId" && type.value === "update_issue" ? null : control.value;
        }
        return out;
      };
      return row;
    }

    hook.addEventListener("change", refreshHookLists);
    refreshHookLists();
    conditionsBox.append(...(draft.trigger.conditions || []).map(conditionRow));
    actionsBox.append(...draft.actions.map(actionRow));

    function read() {
      const body = {
        name: name.value,
        description: description.value.trim() ? description.value : null,
        enabled: enabled.checked,
        trigger: { hook: hook.value, conditions: [...conditionsBox.children].map((row) => row.read()) },
        actions: [...actionsBox.children].map((row) => row.read()),
      };
      if (!rule) body.companyId = companyId;
      return body;
    }

    async function save() {
      try {
        const body = read();
        const saved = rule
          ? await api(`/rules/${encodeURIComponent(rule.id)}`, { method: "PATCH", body })
          : await api("/rules", { method: "POST", body });
        editorBox.replaceChildren();
        selectedRule = saved.id;
        await reload();
      } catch (e) {
        error.textContent = message(e);
      }
    }

    editorBox.replaceChildren(
      h("div", { className: "pc-wf-panel", id: "wf-editor" },
        h("h3", null, rule ? `Edit “${rule.name}”` : "New rule"),
        fieldsList, refList,
        h("datalist", { id: "wf-statuses" }, catalog.issueStatuses.map((s) => h("option", { value: s }))),
        h("datalist", { id: "wf-priorities" }, catalog.issuePriorities.map((s) => h("option", { value: s }))),
        h("div", { className: "pc-wf-grid" }, field("Name", name), field("Description", description), field("Enabled", enabled)),
        h("h3", null, "When"),
        h("div", { className: "pc-wf-row" }, field("Hook", hook)),
        hookHelp,
        h("p", { className: "pc-wf-muted" }, "…and all of these conditions hold (none: every event of the hook):"),
        conditionsBox,
        h("button", { id: "wf-add-condition", onclick: () => conditionsBox.append(conditionRow({ operator: "eq" })) }, "Add condition"),
        h("h3", null, "Then"),
        h("p", { className: "pc-wf-muted" }, "Text fields are templates: {{issue.title}}, {{agent.name}}, {{percent}} … are filled in from the event."),
        actionsBox,
        h("button", { id: "wf-add-action", onclick: () => actionsBox.append(actionRow({ type: "create_issue" })) }, "Add action"),
        error,
        h("div", { className: "pc-wf-bar" },
          h("button", { className: "pc-wf-primary", id: "wf-save", onclick: save }, rule ? "Save" : "Create"),
          h("button", { id: "wf-test-draft", onclick: () => openTest(null, read()) }, "Test"),
          h("button", { id: "wf-cancel", onclick: () => editorBox.replaceChildren() }, "Cancel"),
        ),
      ),
    );
    name.focus();
  }

  /** Opens the dry run of a stored rule, or of `draft` (a rule body not saved yet). */
  function openTest(rule, draft) {
    const trigger = rule ? rule.trigger : draft.trigger;
    const info = hookInfo(trigger.hook);
    const sample = JSON.parse(JSON.stringify(info.sample));
    sample.companyId = companyId;
    for (const key of ["issue", "agent", "goal"]) if (sample[key]) sample[key].companyId = companyId;
    const payload = h("textarea", { name: "payload", rows: 10, value: JSON.stringify(sample, null, 2) });
    const result = h("div", { id: "wf-test-result" });
    async function run() {
      let parsed;
      try {
        parsed = JSON.parse(payload.value);
      } catch (e) {
        result.replaceChildren(h("p", { className: "pc-wf-error" }, `The payload is not JSON: ${message(e)}`));
        return;
      }
      try {
        const body = rule ? { payload: parsed } : { rule: { ...draft, companyId }, payload: parsed };
        const path = rule ? `/rules/${encodeURIComponent(rule.id)}/test` : "/rules/test";
        renderTest(result, await api(path, { method: "POST", body }));
      } catch (e) {
        result.replaceChildren(h("p", { className: "pc-wf-error" }, message(e)));
      }
    }
    testBox.replaceChildren(
      h("div", { className: "pc-wf-panel", id: "wf-test" },
        h("h3", null, `Test ${rule ? `“${rule.name}”` : "the draft"} — a dry run, nothing is written`),
        field(`Payload of a ${trigger.hook} event (a sample; edit it)`, payload),
        h("div", { className: "pc-wf-bar" },
          h("button", { className: "pc-wf-primary", id: "wf-run-test", onclick: run }, "Run test"),
          h("button", { onclick: () => testBox.replaceChildren() }, "Close")),
        result,
      ),
    );
    run();
  }

  function renderTest(box, answer) {
    const verdict = answer.wouldFire
      ? h("p", { className: "pc-wf-ok wf-verdict" }, "The rule would fire.")
      : h("p", { className: "pc-wf-error wf-verdict" },
          `The rule would not fire: ${[
            !answer.enabled && "it is disabled",
            !answer.company.matches && `the event's company (${answer.company.event || "none"}) is not the rule's`,
            !answer.conditionsHold && "a condition does not hold",
          ].filter(Boolean).join("; ")}.`);
    const conditions = answer.conditions.length
      ? h("table", null,
          h("thead", null, h("tr", null, ["Field", "Operator", "Value", "Actual", "Holds"].map((t) => h("th", null, t)))),
          h("tbody", null, answer.conditions.map((c) => h("tr", null,
            h("td", null, h("code", null, c.field)), h("td", null, c.operator), h("td", null, h("code", null, JSON.stringify(c.value))),
            h("td", null, h("code", null, JSON.stringify(c.actual))), h("td", null, badge(c.holds ? "yes" : "no"))))))
      : h("p", { className: "pc-wf-muted" }, "No conditions: every event of the hook fires the rule.");
    const actions = h("div", null, answer.actions.map((a) => h("div", { className: "pc-wf-item" },
      h("strong", null, `${a.action + 1}. ${a.type}`), " ",
      a.error ? h("span", { className: "pc-wf-error" }, a.error) : h("code", null, `${a.write.method} ${JSON.stringify(a.write.args)}`))));
    box.replaceChildren(verdict, conditions, h("h3", null, "It would do"), actions);
  }

  async function loadRuns() {
    if (!companyId || stopped) return;
    const rule = rules.find((r) => r.id === selectedRule);
    runsTitle.replaceChildren(rule ? `Runs of “${rule.name}” ` : "Runs of every rule ",
      rule ? h("button", { onclick: () => { selectedRule = null; loadRuns(); } }, "Show all") : null);
    try {
      const query = rule ? `ruleId=${encodeURIComponent(rule.id)}` : `companyId=${encodeURIComponent(companyId)}`;
      const runs = (await api(`/runs?${query}&limit=100`)).items;
      renderRuns(runs);
    } catch (error) {
      runsBox.replaceChildren(h("p", { className: "pc-wf-error" }, message(error)));
    }
  }

  function renderRuns(runs) {
    if (!runs.length) {
      runsBox.replaceChildren(h("p", { className: "pc-wf-muted", id: "wf-no-runs" }, "Nothing fired yet."));
      return;
    }
    const outcome = (o) => {
      const result = o.result
        ? o.result.identifier
          ? `${o.result.identifier}${o.result.title ? ` “${o.result.title}”` : ""}${o.type === "update_issue" ? ` → ${o.result.status}` : ""}`
          : `${o.result.name || o.result.agentId} → ${o.result.status}`
        : "";
      return h("div", null, badge(o.status), ` ${o.type} `, result, o.error ? h("div", { className: "pc-wf-error" }, o.error) : null);
    };
    runsBox.replaceChildren(h("table", null,
      h("thead", null, h("tr", null, ["Fired", "Rule", "Event", "Status", "What it did"].map((t) => h("th", null, t)))),
      h("tbody", null, runs.map((run) => h("tr", { className: "wf-run-row", dataset: { runId: run.id, status: run.status } },
        h("td", null, when(run.firedAt)),
        h("td", null, run.ruleName),
        h("td", null, run.hook, h("div", { className: "pc-wf-muted" }, `event ${run.eventId}${run.depth ? ` · depth ${run.depth}` : ""}`)),
        h("td", null, badge(run.status)),
        h("td", null, (run.outcomes || []).map(outcome)),
      ))),
    ));
  }

  const timer = setInterval(loadRuns, RUNS_REFRESH_MS);
  start();
  return () => {
    stopped = true;
    clearInterval(timer);
    el.replaceChildren();
  };
}

export default mountPage;
