//! Actions of a rule, run in order when it fires. Every text field is a [`Template`].
//!
//! | `type` | fields | capability |
//! |---|---|---|
//! | `create_issue` | `title` (required), `description`, `status`, `priority`, `assigneeAgentId`, `projectId`, `goalId`, `parentId` — the issue is created in the rule's company | `issues.create` |
//! | `update_issue` | `issueId` (default `{{issue.id}}`, the trigger's issue), and at least one of `status`, `priority`, `assigneeAgentId` (`null` unassigns) | `issues.update` |
//! | `pause_agent` | `agentId` (default the trigger's agent: `{{agent.id}}` or `{{agentId}}`) | `agents.pause` |
//! | `resume_agent` | `agentId` (same default) | `agents.resume` |
//!
//! Defaults are filled in when the rule is saved, so a stored rule shows what it acts on.
//! [`Action::plan`] renders an action for one event into a [`Write`]: what it will ask the core
//! to do.

use crate::invalid::Invalid;
use crate::json_fields::Fields;
use crate::planned_write::Write;
use crate::template::Template;
use crate::trigger_hooks::TriggerHook;
use module_sdk::{Capability, IssuePatch, NewIssue};
use serde::Serialize;
use serde_json::Value;

/// Issue statuses the core accepts (a literal `status` is checked against them when a rule is
/// saved; a templated one by the core when it runs).
pub const ISSUE_STATUSES: &[&str] = &[
    "backlog",
    "todo",
    "in_progress",
    "in_review",
    "done",
    "cancelled",
];
/// Issue priorities the core accepts.
pub const ISSUE_PRIORITIES: &[&str] = &["low", "medium", "high", "urgent"];
/// Longest literal issue title the core accepts.
pub const MAX_TITLE_CHARS: usize = 500;
/// The action types, in documentation order, each with the capability its write needs.
pub const ACTION_TYPES: [(&str, Capability); 4] = [
    ("create_issue", Capability::IssuesCreate),
    ("update_issue", Capability::IssuesUpdate),
    ("pause_agent", Capability::AgentsPause),
    ("resume_agent", Capability::AgentsResume),
];

/// One action of a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Action {
    /// Creates an issue in the rule's company.
    CreateIssue {
        /// Title (required).
        title: Template,
        /// Description.
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<Template>,
        /// Status (the core's default `todo` when absent).
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<Template>,
        /// Priority (the core's default `medium` when absent).
        #[serde(skip_serializing_if = "Option::is_none")]
        priority: Option<Template>,
        /// Assignee.
        #[serde(skip_serializing_if = "Option::is_none")]
        assignee_agent_id: Option<Template>,
        /// Project.
        #[serde(skip_serializing_if = "Option::is_none")]
        project_id: Option<Template>,
        /// Goal.
        #[serde(skip_serializing_if = "Option::is_none")]
        goal_id: Option<Template>,
        /// Parent issue (e.g. `{{issue.id}}`: the follow-up is a sub-issue of the trigger's).
        #[serde(skip_serializing_if = "Option::is_none")]
        parent_id: Option<Template>,
    },
    /// Changes an issue's status, priority or assignee.
    UpdateIssue {
        /// The issue.
        issue_id: Template,
        /// New status.
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<Template>,
        /// New priority.
        #[serde(skip_serializing_if = "Option::is_none")]
        priority: Option<Template>,
        /// New assignee; `Some(None)` (`null`) unassigns.
        #[serde(skip_serializing_if = "Option::is_none")]
        assignee_agent_id: Option<Option<Template>>,
    },
    /// Pauses an agent.
    PauseAgent {
        /// The agent.
        agent_id: Template,
    },
    /// Resumes a paused agent.
    ResumeAgent {
        /// The agent.
        agent_id: Template,
    },
}

impl Action {
    /// Reads an action at `path` of a body, for a rule triggered by `trigger`.
    pub fn parse(trigger: &TriggerHook, value: &Value, path: &str) -> Result<Action, Invalid> {
        let fields = Fields::of(value, path)?;
        let types = ACTION_TYPES.map(|(kind, _)| kind).join(", ");
        let kind = fields.req_str("type", &types)?;
        let read = Reader {
            trigger,
            fields: &fields,
        };
        match kind {
            "create_issue" => {
                fields.only(&[
                    "type",
                    "title",
                    "description",
                    "status",
                    "priority",
                    "assigneeAgentId",
                    "projectId",
                    "goalId",
                    "parentId",
                ])?;
                let title = read.template("title")?.ok_or_else(|| {
                    Invalid::new(fields.path("title"), "is required for create_issue")
                })?;
                if title.is_literal() && title.as_str().chars().count() > MAX_TITLE_CHARS {
                    return Err(Invalid::new(
                        fields.path("title"),
                        format!("is longer than {MAX_TITLE_CHARS} characters"),
                    ));
                }
                Ok(Action::CreateIssue {
                    title,
                    description: read.template("description")?,
                    status: read.one_of("status", ISSUE_STATUSES)?,
                    priority: read.one_of("priority", ISSUE_PRIORITIES)?,
                    assignee_agent_id: read.template("assigneeAgentId")?,
                    project_id: read.template("projectId")?,
                    goal_id: read.template("goalId")?,
                    parent_id: read.template("parentId")?,
                })
            }
            "update_issue" => {
                fields.only(&["type", "issueId", "status", "priority", "assigneeAgentId"])?;
                let issue_id = read.target("issueId", trigger.default_issue, "issue")?;
                let status = read.one_of("status", ISSUE_STATUSES)?;
                let priority = read.one_of("priority", ISSUE_PRIORITIES)?;
                let assignee_agent_id = match fields.get("assigneeAgentId") {
                    None => None,
                    Some(Value::Null) => Some(None),
                    Some(_) => Some(read.template("assigneeAgentId")?),
                };
                if status.is_none() && priority.is_none() && assignee_agent_id.is_none() {
                    return Err(Invalid::new(
                        path,
                        "update_issue needs at least one of status, priority, assigneeAgentId",
                    ));
                }
                Ok(Action::UpdateIssue {
                    issue_id,
                    status,
                    priority,
                    assignee_agent_id,
                })
            }
            "pause_agent" | "resume_agent" => {
                fields.only(&["type", "agentId"])?;
                let agent_id = read.target("agentId", trigger.default_agent, "agent")?;
                Ok(if kind == "pause_agent" {
                    Action::PauseAgent { agent_id }
                } else {
                    Action::ResumeAgent { agent_id }
                })
            }
            other => Err(Invalid::new(
                fields.path("type"),
                format!("unknown action type `{other}`; use one of {types}"),
            )),
        }
    }

    /// Its `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::CreateIssue { .. } => "create_issue",
            Action::UpdateIssue { .. } => "update_issue",
            Action::PauseAgent { .. } => "pause_agent",
            Action::ResumeAgent { .. } => "resume_agent",
        }
    }

    /// The fields that name a core entity (the id fields), with their name in the body and
    /// the kind of entity: literal ones are checked to exist in the rule's company.
    pub fn references(&self) -> Vec<(&'static str, &'static str, &Template)> {
        let candidates: Vec<(&'static str, &'static str, Option<&Template>)> = match self {
            Action::CreateIssue {
                assignee_agent_id,
                project_id,
                goal_id,
                parent_id,
                ..
            } => vec![
                ("assigneeAgentId", "agent", assignee_agent_id.as_ref()),
                ("projectId", "project", project_id.as_ref()),
                ("goalId", "goal", goal_id.as_ref()),
                ("parentId", "issue", parent_id.as_ref()),
            ],
            Action::UpdateIssue {
                issue_id,
                assignee_agent_id,
                ..
            } => vec![
                ("issueId", "issue", Some(issue_id)),
                (
                    "assigneeAgentId",
                    "agent",
                    assignee_agent_id.as_ref().and_then(Option::as_ref),
                ),
            ],
            Action::PauseAgent { agent_id } | Action::ResumeAgent { agent_id } => {
                vec![("agentId", "agent", Some(agent_id))]
            }
        };
        candidates
            .into_iter()
            .filter_map(|(name, entity, t)| t.map(|t| (name, entity, t)))
            .collect()
    }

    /// Renders the action for one event of `company_id` into the write it asks for; an error
    /// says what could not be rendered (e.g. an empty title or target).
    pub fn plan(&self, company_id: &str, payload: &Value) -> Result<Write, String> {
        let opt = |t: &Option<Template>| {
            t.as_ref()
                .map(|t| t.render(payload))
                .filter(|text| !text.is_empty())
        };
        match self {
            Action::CreateIssue {
                title,
                description,
                status,
                priority,
                assignee_agent_id,
                project_id,
                goal_id,
                parent_id,
            } => {
                let rendered = title.render(payload);
                if rendered.trim().is_empty() {
                    return Err(format!("the title `{}` rendered empty", title.as_str()));
                }
                Ok(Write::CreateIssue {
                    company_id: company_id.to_owned(),
                    issue: NewIssue {
                        title: rendered,
                        description: opt(description),
                        status: opt(status),
                        priority: opt(priority),
                        assignee_agent_id: opt(assignee_agent_id),
                        project_id: opt(project_id),
                        goal_id: opt(goal_id),
                        parent_id: opt(parent_id),
                    },
                })
            }
            Action::UpdateIssue {
                issue_id,
                status,
                priority,
                assignee_agent_id,
            } => Ok(Write::UpdateIssue {
                id: target(issue_id, "issueId", payload)?,
                patch: IssuePatch {
                    status: opt(status),
                    priority: opt(priority),
                    // Rendered empty (the field is null in the event): unassign.
                    assignee_agent_id: assignee_agent_id.as_ref().map(opt),
                    ..IssuePatch::default()
                },
            }),
            Action::PauseAgent { agent_id } => Ok(Write::PauseAgent {
                id: target(agent_id, "agentId", payload)?,
            }),
            Action::ResumeAgent { agent_id } => Ok(Write::ResumeAgent {
                id: target(agent_id, "agentId", payload)?,
            }),
        }
    }
}

/// A rendered target id; empty is an error naming the field and its template.
fn target(template: &Template, name: &str, payload: &Value) -> Result<String, String> {
    let id = template.render(payload);
    if id.trim().is_empty() {
        Err(format!(
            "{name} `{}` rendered empty: the event has no such value",
            template.as_str()
        ))
    } else {
        Ok(id)
    }
}

/// Reads the template fields of one action.
struct Reader<'a> {
    trigger: &'a TriggerHook,
    fields: &'a Fields<'a>,
}

impl Reader<'_> {
    /// An optional template; present but empty is refused.
    fn template(&self, key: &str) -> Result<Option<Template>, Invalid> {
        let Some(text) = self.fields.opt_str(key)? else {
            return Ok(None);
        };
        let path = self.fields.path(key);
        if text.trim().is_empty() {
            return Err(Invalid::new(
                path,
                "must not be empty (leave it out instead)",
            ));
        }
        let template = Template::parse(text).map_err(|e| Invalid::new(&path, e))?;
        template
            .check(self.trigger)
            .map_err(|e| Invalid::new(&path, e))?;
        Ok(Some(template))
    }

    /// An optional template whose literal value must be one of `allowed`.
    fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<Template>, Invalid> {
        let template = self.template(key)?;
        if let Some(t) = &template {
            if t.is_literal() && !allowed.contains(&t.as_str()) {
                return Err(Invalid::new(
                    self.fields.path(key),
                    format!("`{}` is not one of {}", t.as_str(), allowed.join(", ")),
                ));
            }
        }
        Ok(template)
    }

    /// The entity an action acts on: given, or the trigger's default (`entity` names it in
    /// the error when there is none).
    fn target(&self, key: &str, default: Option<&str>, entity: &str) -> Result<Template, Invalid> {
        if let Some(template) = self.template(key)? {
            return Ok(template);
        }
        default.map(Template::field).ok_or_else(|| {
            Invalid::new(
                self.fields.path(key),
                format!(
                    "is required: `{}` events carry no {entity} to default to",
                    self.trigger.hook
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::Hook;
    use serde_json::json;

    fn parse(hook: Hook, action: Value) -> Result<Action, Invalid> {
        Action::parse(TriggerHook::of(hook).unwrap(), &action, "actions[0]")
    }

    #[test]
    fn defaults_are_filled_in_and_shown() {
        let update = parse(
            Hook::IssueAssigned,
            json!({"type": "update_issue", "status": "in_progress"}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            json!({"type": "update_issue", "issueId": "{{issue.id}}", "status": "in_progress"})
        );
        let pause = parse(Hook::BudgetThresholdCrossed, json!({"type": "pause_agent"})).unwrap();
        assert_eq!(
            serde_json::to_value(&pause).unwrap(),
            json!({"type": "pause_agent", "agentId": "{{agentId}}"})
        );
        let resume = parse(Hook::AgentStatusChanged, json!({"type": "resume_agent"})).unwrap();
        assert_eq!(
            serde_json::to_value(&resume).unwrap(),
            json!({"type": "resume_agent", "agentId": "{{agent.id}}"})
        );
        let unassign = parse(
            Hook::IssueCreated,
            json!({"type": "update_issue", "assigneeAgentId": null}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&unassign).unwrap(),
            json!({"type": "update_issue", "issueId": "{{issue.id}}", "assigneeAgentId": null})
        );
    }

    #[test]
    fn bad_actions_name_the_field() {
        let invalid = |hook, action| parse(hook, action).unwrap_err();
        let err = invalid(Hook::IssueStatusChanged, json!({"type": "create_issue"}));
        assert_eq!(
            (err.field.as_str(), err.message.as_str()),
            ("actions[0].title", "is required for create_issue")
        );
        let err = invalid(Hook::IssueStatusChanged, json!({"type": "send_email"}));
        assert_eq!(err.field, "actions[0].type");
        assert!(
            err.message.contains("unknown action type `send_email`"),
            "{err}"
        );
        assert_eq!(
            invalid(Hook::IssueStatusChanged, json!({"title": "x"})).field,
            "actions[0].type"
        );
        let err = invalid(
            Hook::BudgetThresholdCrossed,
            json!({"type": "update_issue", "status": "done"}),
        );
        assert_eq!(err.field, "actions[0].issueId");
        assert!(err.message.contains("carry no issue"), "{err}");
        assert_eq!(
            invalid(Hook::GoalCompleted, json!({"type": "pause_agent"})).field,
            "actions[0].agentId"
        );
        assert_eq!(
            invalid(Hook::IssueCreated, json!({"type": "update_issue"})).field,
            "actions[0]"
        );
        let err = invalid(
            Hook::IssueCreated,
            json!({"type": "update_issue", "status": "finished"}),
        );
        assert_eq!(err.field, "actions[0].status");
        assert!(err.message.contains("in_progress"), "{err}");
        assert_eq!(
            invalid(
                Hook::IssueCreated,
                json!({"type": "create_issue", "title": "x", "priority": "p0"})
            )
            .field,
            "actions[0].priority"
        );
        assert_eq!(
            invalid(
                Hook::IssueCreated,
                json!({"type": "create_issue", "title": "  "})
            )
            .field,
            "actions[0].title"
        );
        assert_eq!(
            invalid(
                Hook::IssueCreated,
                json!({"type": "create_issue", "title": "x".repeat(501)})
            )
            .field,
            "actions[0].title"
        );
        let err = invalid(
            Hook::BudgetThresholdCrossed,
            json!({"type": "create_issue", "title": "{{issue.title}}"}),
        );
        assert_eq!(err.field, "actions[0].title");
        assert_eq!(
            invalid(
                Hook::IssueCreated,
                json!({"type": "pause_agent", "agentId": "a", "title": "x"})
            )
            .field,
            "actions[0].title"
        );
        assert_eq!(
            invalid(
                Hook::IssueCreated,
                json!({"type": "create_issue", "title": "x", "goalId": 7})
            )
            .field,
            "actions[0].goalId"
        );
    }

    #[test]
    fn plans_render_the_event() {
        let payload = json!({
            "issue": {"id": "i1", "identifier": "PC-7", "title": "Ship it", "assigneeAgentId": null},
            "agentId": "a1"
        });
        let follow_up = parse(Hook::IssueStatusChanged, json!({
            "type": "create_issue",
            "title": "Follow up on {{issue.identifier}}: {{issue.title}}",
            "priority": "high", "parentId": "{{issue.id}}", "assigneeAgentId": "{{issue.assigneeAgentId}}"
        })).unwrap();
        let Write::CreateIssue { company_id, issue } = follow_up.plan("c1", &payload).unwrap()
        else {
            panic!("not a create")
        };
        assert_eq!(company_id, "c1");
        assert_eq!(issue.title, "Follow up on PC-7: Ship it");
        assert_eq!(issue.priority.as_deref(), Some("high"));
        assert_eq!(issue.parent_id.as_deref(), Some("i1"));
        assert_eq!(issue.assignee_agent_id, None);

        let unassign = parse(
            Hook::IssueStatusChanged,
            json!({"type": "update_issue", "assigneeAgentId": "{{issue.assigneeAgentId}}"}),
        )
        .unwrap();
        let Write::UpdateIssue { id, patch } = unassign.plan("c1", &payload).unwrap() else {
            panic!("not an update")
        };
        assert_eq!((id.as_str(), patch.assignee_agent_id), ("i1", Some(None)));

        let pause = parse(
            Hook::IssueStatusChanged,
            json!({"type": "pause_agent", "agentId": "{{issue.assigneeAgentId}}"}),
        )
        .unwrap();
        let err = pause.plan("c1", &payload).unwrap_err();
        assert!(
            err.contains("agentId `{{issue.assigneeAgentId}}` rendered empty"),
            "{err}"
        );
        let empty_title = parse(
            Hook::IssueStatusChanged,
            json!({"type": "create_issue", "title": "{{issue.description}}"}),
        )
        .unwrap();
        assert!(empty_title
            .plan("c1", &payload)
            .unwrap_err()
            .contains("rendered empty"));
    }

    #[test]
    fn literal_references_are_listed() {
        let action = parse(Hook::IssueCreated, json!({"type": "create_issue", "title": "x", "goalId": "g1", "parentId": "{{issue.id}}"})).unwrap();
        let refs: Vec<_> = action
            .references()
            .into_iter()
            .map(|(name, entity, t)| (name, entity, t.as_str().to_owned()))
            .collect();
        assert_eq!(
            refs,
            [
                ("goalId", "goal", "g1".to_owned()),
                ("parentId", "issue", "{{issue.id}}".to_owned())
            ]
        );
    }

    #[test]
    fn each_type_writes_with_the_capability_it_is_listed_with() {
        let trigger = TriggerHook::of(Hook::IssueAssigned).unwrap();
        let sample = trigger.sample("c1");
        for (kind, capability) in ACTION_TYPES {
            let action = parse(
                Hook::IssueAssigned,
                json!({"type": kind, "title": "t", "status": "todo"}),
            )
            .or_else(|_| parse(Hook::IssueAssigned, json!({"type": kind, "status": "todo"})))
            .or_else(|_| parse(Hook::IssueAssigned, json!({"type": kind})))
            .unwrap();
            assert_eq!(action.kind(), kind);
            assert_eq!(
                action.plan("c1", &sample).unwrap().capability(),
                capability,
                "{kind}"
            );
        }
    }
}
