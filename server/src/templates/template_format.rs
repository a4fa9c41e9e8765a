//! The company template document: the serde types of the JSON format described by
//! `templates/company-template.schema.json`.
//!
//! Entities refer to each other by `ref` strings (`reportsTo`, `parentRef`, `ownerRef`,
//! `goalRef`, `projectRef`, `assigneeRef`), never by ids; import maps refs to fresh ids and
//! export generates refs from names. Optional fields are left out when serializing, and the
//! field order below is the order of the exported JSON, so that a given company always
//! exports to the same bytes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A whole template: the company plus its agents, goals, projects and issues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompanyTemplate {
    /// The JSON Schema the document declares (for editors); ignored on import.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Identifier of the template, e.g. `startup-in-a-box`.
    pub id: String,
    /// Name; the imported company's name unless overridden.
    pub name: String,
    /// Description; the imported company's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Semantic version of the template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Who wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The agents (org chart through `reportsTo`).
    #[serde(default)]
    pub agents: Vec<TemplateAgent>,
    /// The goals (a tree through `parentRef`).
    #[serde(default)]
    pub goals: Vec<TemplateGoal>,
    /// The projects.
    #[serde(default)]
    pub projects: Vec<TemplateProject>,
    /// The issues, in the order their identifiers are numbered.
    #[serde(default)]
    pub issues: Vec<TemplateIssue>,
}

/// An agent of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateAgent {
    /// Reference name, unique among the agents.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Display name.
    pub name: String,
    /// Role (free text); `general` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `ref` of the manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports_to: Option<String>,
    /// Monthly budget in cents (0 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_cents: Option<i64>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// A goal of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateGoal {
    /// Reference name, unique among the goals.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `company`, `team` or `agent`.
    pub level: String,
    /// `planned` (default), `active`, `completed` or `cancelled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `ref` of the parent goal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_ref: Option<String>,
    /// `ref` of the owning agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_ref: Option<String>,
}

/// A project of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateProject {
    /// Reference name, unique among the projects.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `planned`, `active` (default), `completed` or `archived`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `ref` of the goal the project serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal_ref: Option<String>,
}

/// An issue of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateIssue {
    /// Reference name, needed only when another issue is its child (`parentRef`).
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `backlog`, `todo` (default), `in_progress`, `in_review`, `done` or `cancelled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `low`, `medium` (default), `high` or `urgent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// `ref` of the parent issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_ref: Option<String>,
    /// `ref` of the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_ref: Option<String>,
    /// `ref` of the assigned agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_ref: Option<String>,
    /// `ref` of the goal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal_ref: Option<String>,
}

impl CompanyTemplate {
    /// How many entities an import creates (agents + goals + projects + issues), for progress.
    pub fn entity_count(&self) -> usize {
        self.agents.len() + self.goals.len() + self.projects.len() + self.issues.len()
    }
}
