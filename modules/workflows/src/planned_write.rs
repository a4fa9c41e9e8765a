//! A rendered action: the core write it asks for, with everything filled in from the event.
//! [`Write::execute`] makes it through the host (needing the capability of the same name); a
//! dry run only [`Write::describe`]s it.

use module_sdk::{Capability, Core, IssuePatch, NewIssue, Result};
use serde_json::{json, Value};

/// One core write.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// `issues.create` in a company.
    CreateIssue {
        /// The rule's company.
        company_id: String,
        /// The issue.
        issue: NewIssue,
    },
    /// `issues.update`.
    UpdateIssue {
        /// The issue.
        id: String,
        /// What changes.
        patch: IssuePatch,
    },
    /// `agents.pause`.
    PauseAgent {
        /// The agent.
        id: String,
    },
    /// `agents.resume`.
    ResumeAgent {
        /// The agent.
        id: String,
    },
}

impl Write {
    /// The capability the host checks for it.
    pub fn capability(&self) -> Capability {
        match self {
            Write::CreateIssue { .. } => Capability::IssuesCreate,
            Write::UpdateIssue { .. } => Capability::IssuesUpdate,
            Write::PauseAgent { .. } => Capability::AgentsPause,
            Write::ResumeAgent { .. } => Capability::AgentsResume,
        }
    }

    /// What it would do, as JSON (dry runs): the core method and its arguments.
    pub fn describe(&self) -> Value {
        let (args, target) = match self {
            Write::CreateIssue { company_id, issue } => {
                let mut args = serde_json::to_value(issue).unwrap_or_default();
                args["companyId"] = json!(company_id);
                (args, None)
            }
            Write::UpdateIssue { id, patch } => (
                serde_json::to_value(patch).unwrap_or_default(),
                Some(("issueId", id)),
            ),
            Write::PauseAgent { id } | Write::ResumeAgent { id } => {
                (json!({}), Some(("agentId", id)))
            }
        };
        let mut described = json!({ "method": self.capability().as_str(), "args": args });
        if let Some((key, id)) = target {
            described["args"][key] = json!(id);
        }
        described
    }

    /// Makes the write through the host; the answer says what it created or changed.
    pub fn execute(&self, core: &Core<'_>) -> Result<Value> {
        Ok(match self {
            Write::CreateIssue { company_id, issue } => {
                let created = core.create_issue(company_id, issue)?;
                json!({ "issueId": created.id, "identifier": created.identifier, "title": created.title })
            }
            Write::UpdateIssue { id, patch } => {
                let updated = core.update_issue(id, patch)?;
                json!({
                    "issueId": updated.id, "identifier": updated.identifier,
                    "status": updated.status, "priority": updated.priority,
                    "assigneeAgentId": updated.assignee_agent_id
                })
            }
            Write::PauseAgent { id } => {
                let agent = core.pause_agent(id)?;
                json!({ "agentId": agent.id, "name": agent.name, "status": agent.status })
            }
            Write::ResumeAgent { id } => {
                let agent = core.resume_agent(id)?;
                json!({ "agentId": agent.id, "name": agent.name, "status": agent.status })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::TestHost;

    #[test]
    fn each_write_calls_its_capability_method() {
        let host = TestHost::new("workflows");
        let ctx = host.context(json!({}));
        let core = ctx.core();
        host.answer_core(json!({
            "id": "i2", "companyId": "c1", "identifier": "PC-2", "title": "Follow up",
            "status": "todo", "priority": "medium", "createdAt": "t", "updatedAt": "t"
        }));
        let create = Write::CreateIssue {
            company_id: "c1".into(),
            issue: NewIssue {
                title: "Follow up".into(),
                ..NewIssue::default()
            },
        };
        assert_eq!(
            create.execute(&core).unwrap(),
            json!({"issueId": "i2", "identifier": "PC-2", "title": "Follow up"})
        );
        let update = Write::UpdateIssue {
            id: "i1".into(),
            patch: IssuePatch {
                status: Some("in_progress".into()),
                ..IssuePatch::default()
            },
        };
        assert_eq!(update.execute(&core).unwrap()["status"], "todo");
        host.answer_core(json!({
            "id": "a1", "companyId": "c1", "name": "Ada", "role": "engineer", "status": "paused",
            "budgetMonthlyCents": 0, "spentMonthlyCents": 0, "metadata": {},
            "createdAt": "t", "updatedAt": "t"
        }));
        let pause = Write::PauseAgent { id: "a1".into() };
        assert_eq!(
            pause.execute(&core).unwrap(),
            json!({"agentId": "a1", "name": "Ada", "status": "paused"})
        );
        Write::ResumeAgent { id: "a1".into() }
            .execute(&core)
            .unwrap();
        assert_eq!(
            host.calls(),
            [
                r#"core issues.create {"companyId":"c1","title":"Follow up"}"#,
                r#"core issues.update {"id":"i1","status":"in_progress"}"#,
                r#"core agents.pause {"id":"a1"}"#,
                r#"core agents.resume {"id":"a1"}"#,
            ]
        );
        assert_eq!(pause.capability(), Capability::AgentsPause);
        assert_eq!(
            update.describe(),
            json!({"method": "issues.update", "args": {"issueId": "i1", "status": "in_progress"}})
        );
        assert_eq!(
            create.describe(),
            json!({"method": "issues.create", "args": {"companyId": "c1", "title": "Follow up"}})
        );
    }
}
