//! The hooks a rule can be triggered by, and what their payloads hold: the fields conditions and
//! templates may name (a typo such as `issue.priorty` is refused when the rule is saved), the
//! default issue and agent of the actions, and a sample payload for dry runs.
//!
//! Every payload also has `eventId`, `companyId` (the module fills it in from the entity when
//! the core does not send it) and, when a module's write caused the event, `causedBy.eventId`,
//! `causedBy.depth` and `causedBy.module`. `server:started` belongs to no company and is not a
//! trigger.

use crate::field_path::FieldPath;
use module_sdk::Hook;
use serde_json::{json, Value};

/// The fields of an agent in payloads.
const AGENT_FIELDS: &[&str] = &[
    "id",
    "companyId",
    "name",
    "role",
    "title",
    "status",
    "reportsTo",
    "budgetMonthlyCents",
    "spentMonthlyCents",
    "lastHeartbeatAt",
    "createdAt",
    "updatedAt",
];
/// The fields of an issue in payloads.
const ISSUE_FIELDS: &[&str] = &[
    "id",
    "companyId",
    "identifier",
    "title",
    "description",
    "status",
    "priority",
    "assigneeAgentId",
    "projectId",
    "goalId",
    "parentId",
    "createdAt",
    "updatedAt",
];
/// The fields of a goal in payloads.
const GOAL_FIELDS: &[&str] = &[
    "id",
    "companyId",
    "title",
    "description",
    "level",
    "status",
    "parentId",
    "ownerAgentId",
    "createdAt",
    "updatedAt",
];
/// The fields of a heartbeat's `meta` the core knows (agents may send more).
const META_FIELDS: &[&str] = &["tokensUsed", "costCents", "model", "latencyMs"];
/// The fields of `causedBy`.
const CAUSE_FIELDS: &[&str] = &["eventId", "depth", "module"];

/// One part of a payload.
#[derive(Debug)]
enum Part {
    /// A scalar at the top level (`to`, `agentId`, `percent`).
    Field(&'static str),
    /// An object with known fields (`issue` → `issue.id`, `issue.title`, …).
    Object(&'static str, &'static [&'static str]),
    /// A path under which any key may appear (`agent.metadata`, `changes`, `meta`).
    Open(&'static str),
}

/// Parts every payload has.
const COMMON: &[Part] = &[
    Part::Field("eventId"),
    Part::Field("companyId"),
    Part::Object("causedBy", CAUSE_FIELDS),
];

/// A hook usable as a rule's trigger.
#[derive(Debug)]
pub struct TriggerHook {
    /// The hook.
    pub hook: Hook,
    parts: &'static [Part],
    /// What an `update_issue` action changes when it names no `issueId`.
    pub default_issue: Option<&'static str>,
    /// What `pause_agent` / `resume_agent` act on when they name no `agentId`.
    pub default_agent: Option<&'static str>,
    /// What the hook means, for people.
    pub description: &'static str,
}

const AGENT: Part = Part::Object("agent", AGENT_FIELDS);
const AGENT_METADATA: Part = Part::Open("agent.metadata");
const ISSUE: Part = Part::Object("issue", ISSUE_FIELDS);
const GOAL: Part = Part::Object("goal", GOAL_FIELDS);

/// Every trigger hook, in the order the UI lists them.
pub const TRIGGER_HOOKS: [TriggerHook; 12] = [
    TriggerHook {
        hook: Hook::IssueCreated,
        parts: &[ISSUE],
        default_issue: Some("issue.id"),
        default_agent: None,
        description: "an issue was created",
    },
    TriggerHook {
        hook: Hook::IssueStatusChanged,
        parts: &[ISSUE, Part::Field("from"), Part::Field("to")],
        default_issue: Some("issue.id"),
        default_agent: None,
        description: "an issue moved from one status to another (from, to)",
    },
    TriggerHook {
        hook: Hook::IssueAssigned,
        parts: &[ISSUE, AGENT, AGENT_METADATA],
        default_issue: Some("issue.id"),
        default_agent: Some("agent.id"),
        description: "an issue was assigned to an agent (agent is the assignee)",
    },
    TriggerHook {
        hook: Hook::AgentCreated,
        parts: &[AGENT, AGENT_METADATA],
        default_issue: None,
        default_agent: Some("agent.id"),
        description: "an agent was hired",
    },
    TriggerHook {
        hook: Hook::AgentUpdated,
        parts: &[AGENT, AGENT_METADATA, Part::Open("changes")],
        default_issue: None,
        default_agent: Some("agent.id"),
        description: "an agent was changed (changes.<field>.from / .to)",
    },
    TriggerHook {
        hook: Hook::AgentDeleted,
        parts: &[AGENT, AGENT_METADATA],
        default_issue: None,
        default_agent: None,
        description: "an agent was removed (the payload holds it as it was)",
    },
    TriggerHook {
        hook: Hook::AgentStatusChanged,
        parts: &[
            AGENT,
            AGENT_METADATA,
            Part::Field("from"),
            Part::Field("to"),
        ],
        default_issue: None,
        default_agent: Some("agent.id"),
        description: "an agent's status changed (from, to)",
    },
    TriggerHook {
        hook: Hook::AgentHeartbeat,
        parts: &[
            Part::Field("agentId"),
            Part::Field("timestamp"),
            Part::Object("meta", META_FIELDS),
            Part::Open("meta"),
        ],
        default_issue: None,
        default_agent: Some("agentId"),
        description: "an agent checked in (meta: tokensUsed, costCents, model, latencyMs, …)",
    },
    TriggerHook {
        hook: Hook::GoalCreated,
        parts: &[GOAL],
        default_issue: None,
        default_agent: None,
        description: "a goal was created",
    },
    TriggerHook {
        hook: Hook::GoalCompleted,
        parts: &[GOAL],
        default_issue: None,
        default_agent: None,
        description: "a goal was completed",
    },
    TriggerHook {
        hook: Hook::BudgetSpendRecorded,
        parts: &[
            Part::Field("agentId"),
            Part::Field("amount"),
            Part::Field("total"),
        ],
        default_issue: None,
        default_agent: Some("agentId"),
        description: "an agent spent money (amount, and total this month, in cents)",
    },
    TriggerHook {
        hook: Hook::BudgetThresholdCrossed,
        parts: &[
            Part::Field("agentId"),
            Part::Field("budget"),
            Part::Field("spent"),
            Part::Field("percent"),
        ],
        default_issue: None,
        default_agent: Some("agentId"),
        description: "an agent's spend reached 80, 90 or 100 percent of its monthly budget",
    },
];

impl TriggerHook {
    /// The trigger hook named `name`; the error lists the trigger hooks.
    pub fn named(name: &str) -> Result<&'static TriggerHook, String> {
        match name.parse::<Hook>() {
            Ok(hook) => TriggerHook::of(hook)
                .ok_or_else(|| format!("`{name}` cannot trigger a rule; use one of {}", names())),
            Err(_) => Err(format!("unknown hook `{name}`; use one of {}", names())),
        }
    }

    /// The trigger hook of `hook`, if it is one.
    pub fn of(hook: Hook) -> Option<&'static TriggerHook> {
        TRIGGER_HOOKS.iter().find(|t| t.hook == hook)
    }

    fn all_parts(&self) -> impl Iterator<Item = &Part> {
        COMMON.iter().chain(self.parts)
    }

    /// Every named field of the payload (`issue.title`, `to`, …), for the UI and errors.
    pub fn fields(&self) -> Vec<String> {
        let mut fields = Vec::new();
        for part in self.all_parts() {
            match part {
                Part::Field(name) => fields.push((*name).to_owned()),
                Part::Object(name, keys) => {
                    fields.extend(keys.iter().map(|key| format!("{name}.{key}")))
                }
                Part::Open(prefix) => fields.push(format!("{prefix}.*")),
            }
        }
        fields
    }

    /// Whether `path` names a field of this hook's payload.
    pub fn knows(&self, path: &FieldPath) -> bool {
        let path = path.as_str();
        self.all_parts().any(|part| match part {
            Part::Field(name) => path == *name,
            Part::Object(name, keys) => path
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|key| keys.contains(&key)),
            Part::Open(prefix) => {
                path == *prefix
                    || path
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('.'))
            }
        })
    }

    /// Checks that `path` names a field of this hook's payload; the error says which fields do.
    pub fn check(&self, path: &FieldPath) -> Result<(), String> {
        if self.knows(path) {
            Ok(())
        } else {
            Err(format!(
                "`{path}` is not a field of `{}` events; their fields are {}",
                self.hook,
                self.fields().join(", ")
            ))
        }
    }

    /// A payload as the core would send it, for company `company_id` (dry runs, the UI).
    pub fn sample(&self, company_id: &str) -> Value {
        let agent = json!({
            "id": "00000000-0000-4000-8000-00000000a9e1", "companyId": company_id,
            "name": "Ada", "role": "engineer", "title": "Engineer", "status": "active",
            "reportsTo": null, "budgetMonthlyCents": 10000, "spentMonthlyCents": 9000,
            "lastHeartbeatAt": "2026-01-01T12:00:00.000Z", "metadata": {},
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T12:00:00.000Z"
        });
        let issue = json!({
            "id": "00000000-0000-4000-8000-0000000155e1", "companyId": company_id,
            "identifier": "PC-1", "title": "Ship the release", "description": null,
            "status": "done", "priority": "high", "assigneeAgentId": agent["id"],
            "projectId": null, "goalId": null, "parentId": null,
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T12:00:00.000Z"
        });
        let goal = json!({
            "id": "00000000-0000-4000-8000-00000000901a", "companyId": company_id,
            "title": "Launch", "description": null, "level": "company", "status": "completed",
            "parentId": null, "ownerAgentId": agent["id"],
            "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T12:00:00.000Z"
        });
        let agent_id = agent["id"].clone();
        let mut payload = match self.hook {
            Hook::IssueCreated => json!({ "issue": with(&issue, "status", "todo") }),
            Hook::IssueStatusChanged => {
                json!({ "issue": issue, "from": "in_review", "to": "done" })
            }
            Hook::IssueAssigned => {
                json!({ "issue": with(&issue, "status", "todo"), "agent": agent })
            }
            Hook::AgentCreated | Hook::AgentDeleted => json!({ "agent": agent }),
            Hook::AgentUpdated => json!({
                "agent": agent, "changes": { "title": { "from": "Intern", "to": "Engineer" } }
            }),
            Hook::AgentStatusChanged => json!({
                "agent": with(&agent, "status", "paused"), "from": "active", "to": "paused"
            }),
            Hook::AgentHeartbeat => json!({
                "agentId": agent_id, "timestamp": "2026-01-01T12:00:00.000Z",
                "meta": { "tokensUsed": 1200, "costCents": 40, "model": "gpt-4o", "latencyMs": 900 }
            }),
            Hook::GoalCreated => json!({ "goal": with(&goal, "status", "active") }),
            Hook::GoalCompleted => json!({ "goal": goal }),
            Hook::BudgetSpendRecorded => {
                json!({ "agentId": agent_id, "amount": 500, "total": 9000 })
            }
            Hook::BudgetThresholdCrossed => json!({
                "agentId": agent_id, "budget": 10000, "spent": 9000, "percent": 90
            }),
            Hook::ServerStarted => json!({}),
        };
        payload["eventId"] = json!("00000000-0000-4000-8000-0000000e7e47");
        payload["companyId"] = json!(company_id);
        payload
    }
}

/// `value` (an object) with `key` set to `text`.
fn with(value: &Value, key: &str, text: &str) -> Value {
    let mut copy = value.clone();
    copy[key] = json!(text);
    copy
}

/// The trigger hooks' names, comma-separated.
pub fn names() -> String {
    TRIGGER_HOOKS
        .iter()
        .map(|t| t.hook.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> FieldPath {
        FieldPath::parse(text).unwrap()
    }

    #[test]
    fn known_fields_are_accepted_and_typos_named() {
        let changed = TriggerHook::named("issue:status_changed").unwrap();
        for ok in [
            "to",
            "from",
            "issue.priority",
            "eventId",
            "companyId",
            "causedBy.depth",
        ] {
            assert!(changed.knows(&path(ok)), "{ok}");
        }
        let err = changed.check(&path("issue.priorty")).unwrap_err();
        assert!(
            err.contains("`issue.priorty`") && err.contains("issue.priority"),
            "{err}"
        );
        assert!(!changed.knows(&path("issue")));
        assert!(!changed.knows(&path("percent")));

        let beat = TriggerHook::of(Hook::AgentHeartbeat).unwrap();
        assert!(beat.knows(&path("meta.tokensUsed")));
        assert!(beat.knows(&path("meta.customField")));
        let updated = TriggerHook::of(Hook::AgentUpdated).unwrap();
        assert!(updated.knows(&path("changes.status.to")));
        assert!(updated.knows(&path("agent.metadata.team")));
        assert!(!updated.knows(&path("agent.metadatax")));
    }

    #[test]
    fn only_company_hooks_are_triggers() {
        assert!(TriggerHook::named("server:started")
            .unwrap_err()
            .contains("cannot trigger"));
        let err = TriggerHook::named("issue:exploded").unwrap_err();
        assert!(
            err.contains("unknown hook") && err.contains("budget:threshold_crossed"),
            "{err}"
        );
        for hook in Hook::ALL {
            assert_eq!(
                TriggerHook::of(hook).is_some(),
                hook != Hook::ServerStarted,
                "{hook}"
            );
        }
    }

    #[test]
    fn samples_hold_every_named_field_and_the_defaults() {
        for trigger in &TRIGGER_HOOKS {
            let sample = trigger.sample("c1");
            assert_eq!(sample["companyId"], "c1");
            for field in trigger.fields() {
                if field.ends_with(".*") || field.starts_with("causedBy.") {
                    continue;
                }
                assert!(
                    path(&field).lookup(&sample).is_some(),
                    "{}: sample lacks {field}",
                    trigger.hook
                );
            }
            for default in [trigger.default_issue, trigger.default_agent]
                .into_iter()
                .flatten()
            {
                assert!(path(default).lookup(&sample).is_some(), "{}", trigger.hook);
                assert!(trigger.knows(&path(default)));
            }
        }
    }
}
