// The Delivery section of a module card (Settings → Modules): how the module's hook events reach
// it (at-least-once from the hook outbox, or best-effort), how far behind the outbox it is, and
// its failed events — retrying, or dead letters listed on demand and replayed one by one.

import { api } from "../api.js";
import { errorBox, h } from "../dom.js";
import { count } from "../format.js";

/** "12.3 s", "4 min", "2.0 h" for an age in seconds; "—" when there is none. */
function age(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** What the mode promises, in words. */
function modeText(d) {
  if (d.mode === "best-effort") return "best-effort: events that find the module's queue full, or come while the server is down, are dropped and counted";
  const catchUp = d.catchUp ? "catches up on what it missed while disabled" : "resumes from new events when enabled again";
  return `at-least-once: every committed event, from the hook outbox when needed; failed events retried, then dead-lettered; ${catchUp}`;
}

/**
 * The section for one module: a summary redrawn from each poll (`update`), and a dead-letter list
 * the user opens, which keeps its place across polls.
 */
export function deliverySection(id) {
  const summary = h("div", { class: "module-delivery-summary" });
  const letters = h("div", { class: "module-dead-letters" });
  const show = h("button", { class: "btn", type: "button", dataset: { action: "dead-letters" } }, "Show failed events");
  const element = h("section", { class: "module-delivery", hidden: true }, h("h3", null, "Hook delivery"), summary, h("div", { class: "row" }, show), letters);

  const loadLetters = async () => {
    letters.replaceChildren(h("div", { class: "muted small" }, "Loading…"));
    try {
      const body = await api.get(`/api/admin/modules/${encodeURIComponent(id)}/dead-letters`);
      letters.replaceChildren(lettersTable(id, body.items || [], loadLetters));
    } catch (error) {
      letters.replaceChildren(errorBox(`Cannot list the failed events of ${id}: ${error.message}`));
    }
  };
  show.addEventListener("click", loadLetters);

  let shownKey = null;
  const update = (module) => {
    const d = module.delivery;
    element.hidden = !d;
    if (!d) return;
    const key = JSON.stringify(d);
    if (key === shownKey) return;
    shownKey = key;
    summary.replaceChildren(
      h("p", { class: "muted small", style: { margin: 0 } }, modeText(d)),
      h(
        "div",
        { class: "counters" },
        [
          ["state", d.state, "state"],
          ["cursor (events up to it handled)", count(d.cursor), "cursor"],
          ["events behind", count(d.lagEvents), "lagEvents"],
          ["oldest undelivered", age(d.oldestUndeliveredAgeSeconds), "oldestUndelivered"],
          ["retrying", count(d.retrying), "retrying"],
          ["dead letters", count(d.deadLetters), "deadLetters"],
          ["read back from the outbox", count(d.readFromOutbox), "readFromOutbox"],
          ["delivered on a retry", count(d.recovered), "recovered"],
          d.mode === "best-effort" ? ["missed while down", count(d.missed), "missed"] : null,
        ]
          .filter(Boolean)
          .map(([text, value, stat]) => h("span", { dataset: { stat } }, h("b", null, value), ` ${text}`)),
      ),
    );
  };
  return { element, update };
}

/** The failed events, each with its last error and, for a dead letter, a Replay button. */
function lettersTable(id, items, reload) {
  if (!items.length) return h("div", { class: "muted small" }, "No failed events.");
  const rows = items.map((item) => {
    const status = h("span");
    const replay =
      item.state === "dead"
        ? h("button", { class: "btn", type: "button", dataset: { action: "replay", eventId: item.eventId } }, "Replay")
        : h("span", { class: "muted small" }, "retrying");
    if (item.state === "dead") {
      replay.addEventListener("click", async () => {
        replay.disabled = true;
        try {
          await api.post(`/api/admin/modules/${encodeURIComponent(id)}/dead-letters/${encodeURIComponent(item.eventId)}/replay`);
          status.replaceChildren(h("span", { class: "muted small" }, " replayed"));
          setTimeout(reload, 1000);
        } catch (error) {
          replay.disabled = false;
          status.replaceChildren(errorBox(error.message));
        }
      });
    }
    return h(
      "tr",
      { dataset: { eventId: item.eventId } },
      h("td", null, h("code", null, item.hook)),
      h("td", null, h("code", { title: `seq ${item.seq}` }, item.eventId)),
      h("td", null, item.state),
      h("td", null, count(item.attempts)),
      h("td", null, item.lastError),
      h("td", null, item.lastFailedAt),
      h("td", null, replay, status),
    );
  });
  return h(
    "table",
    { class: "table" },
    h("thead", null, h("tr", null, ["Hook", "Event", "State", "Attempts", "Last error", "Last failed", ""].map((t) => h("th", null, t)))),
    h("tbody", null, rows),
  );
}
