//! Importing a validated template as a new company, in the caller's single write transaction:
//! the company, then agents (managers before their reports), goals (parents before
//! children), projects and issues (numbered in template order), each with its activity row,
//! and the core's hooks queued for after the commit. Any error rolls everything back.
//!
//! Rows go in with multi-row `INSERT`s, a few thousand rows per statement, so a template of
//! thousands of entities costs a handful of round trips instead of one per row.

use super::import_rows::{
    insert_rows, ActivityInsert, AgentInsert, GoalInsert, IssueInsert, ProjectInsert,
    ACTIVITY_COLUMNS, AGENT_COLUMNS, GOAL_COLUMNS, ISSUE_COLUMNS, PROJECT_COLUMNS,
};
use super::template_format::CompanyTemplate;
use super::template_validate::ValidTemplate;
use super::topo_order::parents_first;
use crate::core::agent::{self, Agent, AgentRow};
use crate::core::budget::current_month;
use crate::core::company::{self, NewCompany};
use crate::core::goal::{Goal, GoalRow};
use crate::core::issue::{Issue, IssueRow};
use crate::core::project::{self, ProjectRow};
use crate::core::validate::new_id;
use crate::core::CoreError;
use crate::db::schema::{activity, agents, companies, goals, issues, projects};
use crate::db::{now, DbConnection};
use crate::hooks::{Hook, PendingHooks};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// Bind parameters per statement: below SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_BIND_PARAMS: usize = 30_000;

/// Status of an imported goal without one (as the core's goal creation).
const DEFAULT_GOAL_STATUS: &str = "planned";
/// Status of an imported issue without one.
const DEFAULT_ISSUE_STATUS: &str = "todo";
/// Priority of an imported issue without one.
const DEFAULT_ISSUE_PRIORITY: &str = "medium";

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Recorded as the actor of every activity row (`user`, `api-key:0`, `cli`, …).
    pub actor: String,
    /// The new company's name; the template's name when `None`.
    pub company_name: Option<String>,
}

/// The result of an import: the new company and the id each ref became.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportOutcome {
    /// The new company.
    pub company_id: String,
    /// Ref → id, per kind.
    pub refs: RefIds,
}

/// Ref → id maps of an import (issues only for those with a `ref`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RefIds {
    /// Agents.
    pub agents: BTreeMap<String, String>,
    /// Goals.
    pub goals: BTreeMap<String, String>,
    /// Projects.
    pub projects: BTreeMap<String, String>,
    /// Issues that have a `ref`.
    pub issues: BTreeMap<String, String>,
}

/// Imports `template` as a new company inside the caller's write transaction (use
/// [`crate::core::Core::write`]), queueing `agent:created`, `goal:created` (+
/// `goal:completed`), `issue:created` and `issue:assigned` on `hooks`. `progress` is called
/// with the number of entities inserted so far (out of [`CompanyTemplate::entity_count`]).
pub fn import_template(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    template: &ValidTemplate,
    options: &ImportOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<ImportOutcome, CoreError> {
    let t = template.template();
    let company = company::create(
        conn,
        &options.actor,
        NewCompany {
            name: options
                .company_name
                .clone()
                .unwrap_or_else(|| t.name.clone()),
            description: t.description.clone(),
            issue_prefix: None,
        },
    )?;
    let mut import = Import {
        company_id: company.id.clone(),
        issue_prefix: company.issue_prefix.clone(),
        actor: options.actor.clone(),
        ts: now(),
        activity: Vec::with_capacity(t.entity_count() + 1),
        done: 0,
        refs: RefIds::default(),
    };
    let agents = import.agents(conn, hooks, t, progress)?;
    let goals = import.goals(conn, hooks, t, &agents, progress)?;
    let projects = import.projects(conn, t, &goals, progress)?;
    import.issues(conn, hooks, t, &agents, &goals, &projects, progress)?;
    import.activity.push(ActivityInsert {
        id: new_id(),
        company_id: import.company_id.clone(),
        actor: import.actor.clone(),
        action: "company.imported".to_string(),
        entity_type: "company".to_string(),
        entity_id: import.company_id.clone(),
        details: json!({
            "template": t.id,
            "version": t.version,
            "agents": t.agents.len(),
            "goals": t.goals.len(),
            "projects": t.projects.len(),
            "issues": t.issues.len(),
        })
        .to_string(),
        created_at: import.ts,
    });
    for chunk in import.activity.chunks(chunk_rows(ACTIVITY_COLUMNS)) {
        insert_rows!(conn, activity::table, chunk)?;
    }
    Ok(ImportOutcome {
        company_id: import.company_id,
        refs: import.refs,
    })
}

/// Rows per multi-row `INSERT` for a table of `columns` columns.
fn chunk_rows(columns: usize) -> usize {
    MAX_BIND_PARAMS / columns
}

/// A trimmed text; blank becomes `None` (as the core stores optional texts).
fn optional(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
}

/// Ref → index in the template list.
fn index_of<'a>(refs: impl Iterator<Item = &'a str>) -> HashMap<&'a str, usize> {
    refs.enumerate().map(|(i, r)| (r, i)).collect()
}

/// Looks up a ref the validation has already resolved.
fn resolve<'a>(
    map: &HashMap<&str, usize>,
    ids: &'a [String],
    r: &Option<String>,
) -> Option<&'a String> {
    r.as_deref().and_then(|r| map.get(r)).map(|&i| &ids[i])
}

/// State of one import.
struct Import {
    company_id: String,
    issue_prefix: String,
    actor: String,
    ts: NaiveDateTime,
    activity: Vec<ActivityInsert>,
    done: usize,
    refs: RefIds,
}

/// Ids of the imported entities in template order, with their refs' positions.
struct Imported<'a> {
    ids: Vec<String>,
    index: HashMap<&'a str, usize>,
    /// The JSON views in template order, kept where later hooks need them (agents, for
    /// `issue:assigned {issue, agent}`).
    views: Option<Vec<Agent>>,
}

impl Import {
    fn log(&mut self, action: &str, entity_type: &str, entity_id: &str, details: Value) {
        self.activity.push(ActivityInsert {
            id: new_id(),
            company_id: self.company_id.clone(),
            actor: self.actor.clone(),
            action: action.to_string(),
            entity_type: entity_type.to_string(),
            entity_id: entity_id.to_string(),
            details: details.to_string(),
            created_at: self.ts,
        });
    }

    fn advance(&mut self, rows: usize, progress: &mut dyn FnMut(usize)) {
        self.done += rows;
        progress(self.done);
    }

    fn agents<'t>(
        &mut self,
        conn: &mut DbConnection,
        hooks: &mut PendingHooks,
        t: &'t CompanyTemplate,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Imported<'t>, CoreError> {
        // Ids are made in template order: the core's ids sort in creation order, so listing
        // by (created_at, id) — and exporting — gives the template's order back.
        let ids: Vec<String> = t.agents.iter().map(|_| new_id()).collect();
        let index = index_of(t.agents.iter().map(|a| a.reference.as_str()));
        let month = current_month();
        let rows: Vec<AgentRow> = t
            .agents
            .iter()
            .zip(&ids)
            .map(|(a, id)| AgentRow {
                id: id.clone(),
                company_id: self.company_id.clone(),
                name: a.name.trim().to_string(),
                role: optional(&a.role).unwrap_or_else(|| agent::DEFAULT_ROLE.to_string()),
                title: optional(&a.title),
                status: "idle".to_string(),
                reports_to: resolve(&index, &ids, &a.reports_to).cloned(),
                budget_monthly_cents: a.budget_cents.unwrap_or(0),
                spent_monthly_cents: 0,
                spend_month: month.clone(),
                budget_alerts_sent: 0,
                metadata: Value::Object(a.metadata.clone().unwrap_or_default()).to_string(),
                last_heartbeat_at: None,
                created_at: self.ts,
                updated_at: self.ts,
            })
            .collect();
        let parents: Vec<Option<usize>> = t
            .agents
            .iter()
            .map(|a| a.reports_to.as_deref().and_then(|r| index.get(r).copied()))
            .collect();
        let order = parents_first(&parents);
        for chunk in order.chunks(chunk_rows(AGENT_COLUMNS)) {
            let batch: Vec<AgentInsert<'_>> =
                chunk.iter().map(|&i| AgentInsert::from(&rows[i])).collect();
            insert_rows!(conn, agents::table, &batch)?;
            self.advance(batch.len(), progress);
        }
        for &i in &order {
            let row = &rows[i];
            self.log(
                "agent.created",
                "agent",
                &row.id,
                json!({ "name": row.name, "role": row.role, "reportsTo": row.reports_to, "template": t.id }),
            );
        }
        for (a, id) in t.agents.iter().zip(&ids) {
            self.refs.agents.insert(a.reference.clone(), id.clone());
        }
        let views: Vec<Agent> = rows.into_iter().map(Agent::from).collect();
        for &i in &order {
            hooks.push(Hook::AgentCreated, json!({ "agent": &views[i] }));
        }
        Ok(Imported {
            ids,
            index,
            views: Some(views),
        })
    }

    fn goals<'t>(
        &mut self,
        conn: &mut DbConnection,
        hooks: &mut PendingHooks,
        t: &'t CompanyTemplate,
        agents: &Imported<'_>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Imported<'t>, CoreError> {
        let ids: Vec<String> = t.goals.iter().map(|_| new_id()).collect();
        let index = index_of(t.goals.iter().map(|g| g.reference.as_str()));
        let rows: Vec<GoalRow> = t
            .goals
            .iter()
            .zip(&ids)
            .map(|(g, id)| GoalRow {
                id: id.clone(),
                company_id: self.company_id.clone(),
                title: g.title.trim().to_string(),
                description: optional(&g.description),
                level: g.level.clone(),
                status: g
                    .status
                    .clone()
                    .unwrap_or_else(|| DEFAULT_GOAL_STATUS.to_string()),
                parent_id: resolve(&index, &ids, &g.parent_ref).cloned(),
                owner_agent_id: resolve(&agents.index, &agents.ids, &g.owner_ref).cloned(),
                created_at: self.ts,
                updated_at: self.ts,
            })
            .collect();
        let parents: Vec<Option<usize>> = t
            .goals
            .iter()
            .map(|g| g.parent_ref.as_deref().and_then(|r| index.get(r).copied()))
            .collect();
        let order = parents_first(&parents);
        for chunk in order.chunks(chunk_rows(GOAL_COLUMNS)) {
            let batch: Vec<GoalInsert<'_>> =
                chunk.iter().map(|&i| GoalInsert::from(&rows[i])).collect();
            insert_rows!(conn, goals::table, &batch)?;
            self.advance(batch.len(), progress);
        }
        for &i in &order {
            let row = &rows[i];
            self.log(
                "goal.created",
                "goal",
                &row.id,
                json!({ "title": row.title, "level": row.level, "template": t.id }),
            );
            let goal = Goal::from(row.clone());
            hooks.push(Hook::GoalCreated, json!({ "goal": &goal }));
            if goal.status == "completed" {
                hooks.push(Hook::GoalCompleted, json!({ "goal": &goal }));
            }
        }
        for (g, id) in t.goals.iter().zip(&ids) {
            self.refs.goals.insert(g.reference.clone(), id.clone());
        }
        Ok(Imported {
            ids,
            index,
            views: None,
        })
    }

    fn projects<'t>(
        &mut self,
        conn: &mut DbConnection,
        t: &'t CompanyTemplate,
        goals: &Imported<'_>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Imported<'t>, CoreError> {
        let ids: Vec<String> = t.projects.iter().map(|_| new_id()).collect();
        let index = index_of(t.projects.iter().map(|p| p.reference.as_str()));
        let rows: Vec<ProjectRow> = t
            .projects
            .iter()
            .zip(&ids)
            .map(|(p, id)| ProjectRow {
                id: id.clone(),
                company_id: self.company_id.clone(),
                name: p.name.trim().to_string(),
                description: optional(&p.description),
                status: p
                    .status
                    .clone()
                    .unwrap_or_else(|| project::DEFAULT_STATUS.to_string()),
                goal_id: resolve(&goals.index, &goals.ids, &p.goal_ref).cloned(),
                created_at: self.ts,
                updated_at: self.ts,
            })
            .collect();
        for chunk in rows.chunks(chunk_rows(PROJECT_COLUMNS)) {
            let batch: Vec<ProjectInsert<'_>> = chunk.iter().map(ProjectInsert::from).collect();
            insert_rows!(conn, projects::table, &batch)?;
            self.advance(batch.len(), progress);
        }
        for row in &rows {
            self.log(
                "project.created",
                "project",
                &row.id,
                json!({ "name": row.name, "template": t.id }),
            );
        }
        for (p, id) in t.projects.iter().zip(&ids) {
            self.refs.projects.insert(p.reference.clone(), id.clone());
        }
        Ok(Imported {
            ids,
            index,
            views: None,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn issues(
        &mut self,
        conn: &mut DbConnection,
        hooks: &mut PendingHooks,
        t: &CompanyTemplate,
        agents: &Imported<'_>,
        goals: &Imported<'_>,
        projects: &Imported<'_>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<(), CoreError> {
        let ids: Vec<String> = t.issues.iter().map(|_| new_id()).collect();
        // Issue refs are optional: map each ref to its position in the full list.
        let positions: HashMap<&str, usize> = t
            .issues
            .iter()
            .enumerate()
            .filter_map(|(at, i)| i.reference.as_deref().map(|r| (r, at)))
            .collect();
        let rows: Vec<IssueRow> = t
            .issues
            .iter()
            .zip(&ids)
            .enumerate()
            .map(|(at, (i, id))| {
                let number = at as i64 + 1;
                IssueRow {
                    id: id.clone(),
                    company_id: self.company_id.clone(),
                    number,
                    identifier: format!("{}-{number}", self.issue_prefix),
                    title: i.title.trim().to_string(),
                    description: optional(&i.description),
                    status: i
                        .status
                        .clone()
                        .unwrap_or_else(|| DEFAULT_ISSUE_STATUS.to_string()),
                    priority: i
                        .priority
                        .clone()
                        .unwrap_or_else(|| DEFAULT_ISSUE_PRIORITY.to_string()),
                    assignee_agent_id: resolve(&agents.index, &agents.ids, &i.assignee_ref)
                        .cloned(),
                    project_id: resolve(&projects.index, &projects.ids, &i.project_ref).cloned(),
                    goal_id: resolve(&goals.index, &goals.ids, &i.goal_ref).cloned(),
                    parent_id: resolve(&positions, &ids, &i.parent_ref).cloned(),
                    created_at: self.ts,
                    updated_at: self.ts,
                }
            })
            .collect();
        let parents: Vec<Option<usize>> = t
            .issues
            .iter()
            .map(|i| {
                i.parent_ref
                    .as_deref()
                    .and_then(|r| positions.get(r).copied())
            })
            .collect();
        let order = parents_first(&parents);
        for chunk in order.chunks(chunk_rows(ISSUE_COLUMNS)) {
            let batch: Vec<IssueInsert<'_>> =
                chunk.iter().map(|&i| IssueInsert::from(&rows[i])).collect();
            insert_rows!(conn, issues::table, &batch)?;
            self.advance(batch.len(), progress);
        }
        diesel::update(companies::table.find(&self.company_id))
            .set(companies::issue_counter.eq(rows.len() as i64))
            .execute(conn)?;
        for i in order {
            let row = &rows[i];
            self.log(
                "issue.created",
                "issue",
                &row.id,
                json!({
                    "identifier": row.identifier,
                    "title": row.title,
                    "assigneeAgentId": row.assignee_agent_id,
                    "template": t.id,
                }),
            );
            let issue = Issue::from(row.clone());
            hooks.push(Hook::IssueCreated, json!({ "issue": &issue }));
            let assignee = t.issues[i]
                .assignee_ref
                .as_deref()
                .and_then(|r| agents.index.get(r));
            if let (Some(&at), Some(views)) = (assignee, &agents.views) {
                hooks.push(
                    Hook::IssueAssigned,
                    json!({ "issue": &issue, "agent": &views[at] }),
                );
            }
        }
        for (i, id) in t.issues.iter().zip(&ids) {
            if let Some(r) = &i.reference {
                self.refs.issues.insert(r.clone(), id.clone());
            }
        }
        Ok(())
    }
}
