//! Core writes and the company scope, over the host's `core_call`.
//!
//! | method                  | arguments (JSON object)                                                   | answer   |
//! |-------------------------|---------------------------------------------------------------------------|----------|
//! | `issues.create`         | `{companyId, title, description?, status?, priority?, assigneeAgentId?, projectId?, goalId?, parentId?}` | the issue |
//! | `issues.update`         | `{id, title?, description?, status?, priority?, assigneeAgentId?, projectId?, goalId?, parentId?}` (`null` clears) | the issue |
//! | `agents.pause`          | `{id}`                                                                    | the agent |
//! | `agents.resume`         | `{id}`                                                                    | the agent |
//! | `module.companies`      | `{}`                                                                      | `{"mode":"all"}` or `{"mode":"only","companyIds":[…]}` |
//! | `module.enabledFor`     | `{companyId}`                                                             | `true` / `false` |
//!
//! A write runs through the same core service as the REST API (same validation and errors, one
//! transaction, hooks after the commit) and is logged in the activity with the actor
//! `module:<id>`. It needs the [`Capability`](crate::Capability) of the same name, granted by
//! the operator, and a company the module is enabled for; otherwise it is refused with an error
//! naming what is missing.
//!
//! **Causation.** Events a module's write emits carry `causedBy: {eventId, depth, module}`:
//! the event the module was handling when it wrote (if any) and how many module writes led to
//! it. A write whose chain would be deeper than `modules.maxCausationDepth` (default 4) is
//! refused, so two rules that trigger each other stop. The host tracks this itself: a module
//! that writes while handling a hook gets that hook's event as the cause (write-capable modules
//! receive hook events one at a time for that reason).

use crate::core_api::Core;
use crate::entities::{Agent, Issue};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A new issue, as `issues.create` takes it (`POST /api/companies/{id}/issues`'s body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewIssue {
    /// Title (required, at most 500 characters).
    pub title: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `backlog`, `todo` (default), `in_progress`, `in_review`, `done`, `cancelled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `low`, `medium` (default), `high`, `critical`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Assignee (an agent of the same company).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_agent_id: Option<String>,
    /// Project of the same company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Goal of the same company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal_id: Option<String>,
    /// Parent issue of the same company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
}

/// Changes to an issue, as `issues.update` takes them: absent fields are kept; for the
/// optional references, `Some(None)` clears.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuePatch {
    /// New title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New description (`Some(None)` clears).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// New priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// New assignee (`Some(None)` unassigns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_agent_id: Option<Option<String>>,
    /// New project (`Some(None)` clears).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<Option<String>>,
    /// New goal (`Some(None)` clears).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal_id: Option<Option<String>>,
    /// New parent (`Some(None)` clears).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Option<String>>,
}

/// The companies a module is enabled for (`PUT /api/admin/modules/{id}/companies`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "camelCase")]
pub enum CompanyScope {
    /// Every company.
    All,
    /// Only these companies.
    #[serde(rename_all = "camelCase")]
    Only {
        /// The companies' ids.
        company_ids: Vec<String>,
    },
}

impl CompanyScope {
    /// Whether the module is enabled for `company_id`.
    pub fn includes(&self, company_id: &str) -> bool {
        match self {
            CompanyScope::All => true,
            CompanyScope::Only { company_ids } => company_ids.iter().any(|id| id == company_id),
        }
    }
}

impl Core<'_> {
    /// Creates an issue in `company_id` (capability `issues.create`).
    pub fn create_issue(&self, company_id: &str, issue: &NewIssue) -> Result<Issue> {
        let mut args = serde_json::to_value(issue)?;
        args["companyId"] = json!(company_id);
        self.call_as("issues.create", &args)
    }

    /// Changes the issue `id` (capability `issues.update`).
    pub fn update_issue(&self, id: &str, patch: &IssuePatch) -> Result<Issue> {
        let mut args = serde_json::to_value(patch)?;
        args["id"] = json!(id);
        self.call_as("issues.update", &args)
    }

    /// Pauses the agent `id` (capability `agents.pause`); pausing a paused agent changes
    /// nothing.
    pub fn pause_agent(&self, id: &str) -> Result<Agent> {
        self.call_as("agents.pause", &json!({ "id": id }))
    }

    /// Resumes the paused agent `id`: its status becomes `active` (capability
    /// `agents.resume`); resuming an agent that is not paused changes nothing.
    pub fn resume_agent(&self, id: &str) -> Result<Agent> {
        self.call_as("agents.resume", &json!({ "id": id }))
    }

    /// The companies this module is enabled for. Routes use it (or
    /// [`Core::enabled_for`]) to answer only for those; hooks of other companies are never
    /// delivered and core calls about them are refused.
    pub fn company_scope(&self) -> Result<CompanyScope> {
        self.call_as("module.companies", &Value::Object(Default::default()))
    }

    /// Whether this module is enabled for `company_id`.
    pub fn enabled_for(&self, company_id: &str) -> Result<bool> {
        self.call_as("module.enabledFor", &json!({ "companyId": company_id }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestHost;

    #[test]
    fn writes_call_the_documented_methods_with_camel_case_arguments() {
        let host = TestHost::default();
        let ctx = host.context(json!({}));
        let issue = json!({
            "id": "i1", "companyId": "c1", "identifier": "PC-1", "title": "Follow up",
            "status": "todo", "priority": "high", "createdAt": "t", "updatedAt": "t"
        });
        host.answer_core(issue.clone());
        let created = ctx
            .core()
            .create_issue(
                "c1",
                &NewIssue {
                    title: "Follow up".into(),
                    priority: Some("high".into()),
                    ..NewIssue::default()
                },
            )
            .unwrap();
        assert_eq!(created.identifier, "PC-1");
        host.answer_core(issue);
        ctx.core()
            .update_issue(
                "i1",
                &IssuePatch {
                    status: Some("done".into()),
                    assignee_agent_id: Some(None),
                    ..IssuePatch::default()
                },
            )
            .unwrap();
        host.answer_core(json!({"mode": "only", "companyIds": ["c1"]}));
        let scope = ctx.core().company_scope().unwrap();
        assert!(scope.includes("c1") && !scope.includes("c2"));
        host.answer_core(json!(true));
        assert!(ctx.core().enabled_for("c1").unwrap());
        assert_eq!(
            host.calls(),
            [
                r#"core issues.create {"companyId":"c1","priority":"high","title":"Follow up"}"#,
                r#"core issues.update {"assigneeAgentId":null,"id":"i1","status":"done"}"#,
                "core module.companies {}",
                r#"core module.enabledFor {"companyId":"c1"}"#,
            ]
        );
    }

    #[test]
    fn the_scope_reads_both_modes() {
        let all: CompanyScope = serde_json::from_value(json!({"mode": "all"})).unwrap();
        assert!(all.includes("anything"));
        let only: CompanyScope =
            serde_json::from_value(json!({"mode": "only", "companyIds": ["a"]})).unwrap();
        assert_eq!(
            only,
            CompanyScope::Only {
                company_ids: vec!["a".into()]
            }
        );
    }
}
