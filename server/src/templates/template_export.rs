//! Exporting a company as a template: its agents, goals, projects and issues in creation
//! order (issues by number), with refs generated from names. Nothing else goes into the
//! document (no ids, no timestamps, no run-time state such as agent status, spend or
//! heartbeats), so the same company always exports to the same JSON, and exporting a company
//! imported from an export gives that export back, apart from the company's name.

use super::ref_names::{slugify, RefNamer};
use super::template_format::{
    CompanyTemplate, TemplateAgent, TemplateGoal, TemplateIssue, TemplateProject,
};
use crate::core::agent::AgentRow;
use crate::core::company;
use crate::core::goal::GoalRow;
use crate::core::issue::IssueRow;
use crate::core::project::ProjectRow;
use crate::core::CoreError;
use crate::db::schema::{agents, goals, issues, projects};
use crate::db::DbConnection;
use diesel::prelude::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Version written into exported templates.
pub const EXPORT_VERSION: &str = "1.0.0";

/// Exports company `company_id` as a template (`NotFound` when it does not exist).
pub fn export_company(
    conn: &mut DbConnection,
    company_id: &str,
) -> Result<CompanyTemplate, CoreError> {
    let company = company::get_row(conn, company_id)?;
    let mut agent_rows: Vec<AgentRow> = agents::table
        .filter(agents::company_id.eq(company_id))
        .select(AgentRow::as_select())
        .load(conn)?;
    let mut goal_rows: Vec<GoalRow> = goals::table
        .filter(goals::company_id.eq(company_id))
        .select(GoalRow::as_select())
        .load(conn)?;
    let mut project_rows: Vec<ProjectRow> = projects::table
        .filter(projects::company_id.eq(company_id))
        .select(ProjectRow::as_select())
        .load(conn)?;
    let mut issue_rows: Vec<IssueRow> = issues::table
        .filter(issues::company_id.eq(company_id))
        .select(IssueRow::as_select())
        .load(conn)?;
    // Sorted here rather than in SQL: byte order of the ids must not depend on a database
    // collation. Ids sort in creation order, which breaks ties between rows created in the
    // same millisecond (all rows of one import).
    agent_rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    goal_rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    project_rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    issue_rows.sort_by(|a, b| (a.number, &a.id).cmp(&(b.number, &b.id)));

    let agent_refs = name_refs(agent_rows.iter().map(|a| (&a.id, a.name.as_str())), "agent");
    let goal_refs = name_refs(goal_rows.iter().map(|g| (&g.id, g.title.as_str())), "goal");
    let project_refs = name_refs(
        project_rows.iter().map(|p| (&p.id, p.name.as_str())),
        "project",
    );
    // Only issues that are someone's parent need a ref.
    let parents: HashSet<&str> = issue_rows
        .iter()
        .filter_map(|i| i.parent_id.as_deref())
        .collect();
    let issue_refs = name_refs(
        issue_rows
            .iter()
            .filter(|i| parents.contains(i.id.as_str()))
            .map(|i| (&i.id, i.title.as_str())),
        "issue",
    );
    let lookup = |refs: &HashMap<String, String>, id: &Option<String>| {
        id.as_ref().and_then(|id| refs.get(id)).cloned()
    };

    let agents = agent_rows
        .iter()
        .map(|a| TemplateAgent {
            reference: agent_refs[&a.id].clone(),
            name: a.name.clone(),
            role: Some(a.role.clone()),
            title: a.title.clone(),
            reports_to: lookup(&agent_refs, &a.reports_to),
            budget_cents: Some(a.budget_monthly_cents),
            metadata: match serde_json::from_str(&a.metadata) {
                Ok(Value::Object(map)) if !map.is_empty() => Some(map),
                _ => None,
            },
        })
        .collect();
    let goals = goal_rows
        .iter()
        .map(|g| TemplateGoal {
            reference: goal_refs[&g.id].clone(),
            title: g.title.clone(),
            description: g.description.clone(),
            level: g.level.clone(),
            status: Some(g.status.clone()),
            parent_ref: lookup(&goal_refs, &g.parent_id),
            owner_ref: lookup(&agent_refs, &g.owner_agent_id),
        })
        .collect();
    let projects = project_rows
        .iter()
        .map(|p| TemplateProject {
            reference: project_refs[&p.id].clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            status: Some(p.status.clone()),
            goal_ref: lookup(&goal_refs, &p.goal_id),
        })
        .collect();
    let issues = issue_rows
        .iter()
        .map(|i| TemplateIssue {
            reference: issue_refs.get(&i.id).cloned(),
            title: i.title.clone(),
            description: i.description.clone(),
            status: Some(i.status.clone()),
            priority: Some(i.priority.clone()),
            parent_ref: lookup(&issue_refs, &i.parent_id),
            project_ref: lookup(&project_refs, &i.project_id),
            assignee_ref: lookup(&agent_refs, &i.assignee_agent_id),
            goal_ref: lookup(&goal_refs, &i.goal_id),
        })
        .collect();

    let mut id = slugify(&company.name);
    if id.is_empty() {
        id = "company".to_string();
    }
    Ok(CompanyTemplate {
        schema: None,
        id,
        name: company.name,
        description: company.description,
        version: Some(EXPORT_VERSION.to_string()),
        author: None,
        agents,
        goals,
        projects,
        issues,
    })
}

/// Id → generated ref, for entities given in document order.
fn name_refs<'a>(
    entities: impl Iterator<Item = (&'a String, &'a str)>,
    fallback: &str,
) -> HashMap<String, String> {
    let mut namer = RefNamer::new();
    entities
        .map(|(id, name)| (id.clone(), namer.assign(name, fallback)))
        .collect()
}
