//! Rules in `mod_workflows_rules`: insert, update, delete, read. Conditions and actions are
//! stored as the JSON the API shows (defaults filled in), and parsed again when read.

use crate::clock;
use crate::rule::{Rule, COLUMNS};
use crate::rule_input::RuleDraft;
use crate::served_companies::Companies;
use crate::sql_filter::Where;
use module_sdk::{params, Hook, ModuleContext, Result};

/// Filters of a rule list.
#[derive(Debug, Clone)]
pub struct RuleFilter {
    /// Only these companies' rules.
    pub companies: Companies,
    /// Only rules triggered by this hook.
    pub hook: Option<Hook>,
    /// Only enabled (or disabled) rules.
    pub enabled: Option<bool>,
}

fn json_text<T: serde::Serialize>(value: &T) -> Result<String> {
    Ok(serde_json::to_string(value)?)
}

/// Stores a new rule; returns it with its id and times.
pub fn insert(ctx: &ModuleContext, draft: RuleDraft) -> Result<Rule> {
    let now = clock::now_ms();
    let rule = Rule {
        id: uuid::Uuid::now_v7().to_string(),
        company_id: draft.company_id,
        name: draft.name,
        description: draft.description,
        enabled: draft.enabled,
        trigger: draft.trigger,
        actions: draft.actions,
        created_at: now,
        updated_at: now,
    };
    ctx.db().execute(
        "INSERT INTO mod_workflows_rules \
         (id, company_id, name, description, hook, conditions, actions, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &params![
            rule.id,
            rule.company_id,
            rule.name,
            rule.description,
            rule.trigger.hook.as_str(),
            json_text(&rule.trigger.conditions)?,
            json_text(&rule.actions)?,
            rule.enabled,
            rule.created_at,
            rule.updated_at,
        ],
    )?;
    Ok(rule)
}

/// Replaces the rule `id` by `draft` (same company); `None` when there is no such rule.
pub fn update(ctx: &ModuleContext, id: &str, draft: RuleDraft) -> Result<Option<Rule>> {
    let now = clock::now_ms();
    let changed = ctx.db().execute(
        "UPDATE mod_workflows_rules SET name = $1, description = $2, hook = $3, conditions = $4, \
         actions = $5, enabled = $6, updated_at = $7 WHERE id = $8",
        &params![
            draft.name,
            draft.description,
            draft.trigger.hook.as_str(),
            json_text(&draft.trigger.conditions)?,
            json_text(&draft.actions)?,
            draft.enabled,
            now,
            id,
        ],
    )?;
    if changed == 0 {
        return Ok(None);
    }
    get(ctx, id)
}

/// Deletes the rule `id` and its runs; whether it existed.
pub fn delete(ctx: &ModuleContext, id: &str) -> Result<bool> {
    // The runs' foreign key cascades too; deleting them first keeps that true on a SQLite
    // connection without foreign-key enforcement.
    ctx.db().transaction(|tx| {
        tx.execute(
            "DELETE FROM mod_workflows_runs WHERE rule_id = $1",
            &params![id],
        )?;
        Ok(tx.execute(
            "DELETE FROM mod_workflows_rules WHERE id = $1",
            &params![id],
        )? > 0)
    })
}

/// The rule `id`.
pub fn get(ctx: &ModuleContext, id: &str) -> Result<Option<Rule>> {
    ctx.db()
        .query_opt(
            &format!("SELECT {COLUMNS} FROM mod_workflows_rules WHERE id = $1"),
            &params![id],
        )?
        .map(|row| Rule::from_row(&row))
        .transpose()
}

/// The rules matching `filter`, oldest first.
pub fn list(ctx: &ModuleContext, filter: &RuleFilter) -> Result<Vec<Rule>> {
    if filter.companies == Companies::Only(Vec::new()) {
        return Ok(Vec::new()); // The module serves no company.
    }
    let mut filter_sql = Where::default();
    if let Companies::Only(ids) = &filter.companies {
        filter_sql.one_of("company_id", ids);
    }
    if let Some(hook) = filter.hook {
        filter_sql.eq("hook", hook.as_str());
    }
    if let Some(enabled) = filter.enabled {
        filter_sql.eq("enabled", enabled);
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM mod_workflows_rules{} ORDER BY created_at, id",
        filter_sql.sql()
    );
    ctx.db()
        .query(&sql, &filter_sql.args)?
        .iter()
        .map(Rule::from_row)
        .collect()
}

/// The enabled rules of `company_id` triggered by `hook`, oldest first: what an event fires.
/// A rule that cannot be read is left out and logged, so it does not hold up the others.
pub fn firing(ctx: &ModuleContext, hook: Hook, company_id: &str) -> Result<Vec<Rule>> {
    let rows = ctx.db().query(
        &format!(
            "SELECT {COLUMNS} FROM mod_workflows_rules \
             WHERE hook = $1 AND company_id = $2 AND enabled = $3 ORDER BY created_at, id"
        ),
        &params![hook.as_str(), company_id, true],
    )?;
    let mut rules = Vec::with_capacity(rows.len());
    for row in &rows {
        match Rule::from_row(row) {
            Ok(rule) => rules.push(rule),
            Err(e) => ctx.log().warn(format!("skipping a rule: {e}")),
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule_input::parse_new;
    use module_sdk::testing::TestHost;
    use serde_json::json;

    #[test]
    fn rules_are_stored_as_the_api_shows_them() {
        let host = TestHost::new("workflows");
        let ctx = host.context(json!({}));
        let draft = parse_new(&json!({
            "companyId": "c1", "name": "Pause at 90 %",
            "trigger": {"hook": "budget:threshold_crossed", "conditions": [{"field": "percent", "operator": "gte", "value": 90}]},
            "actions": [{"type": "pause_agent"}]
        }))
        .unwrap();
        let rule = insert(&ctx, draft).unwrap();
        let calls = host.calls();
        assert_eq!(calls.len(), 1);
        assert!(
            calls[0].starts_with("execute 0 INSERT INTO mod_workflows_rules"),
            "{}",
            calls[0]
        );
        assert!(
            calls[0].contains(&format!(
                r#"["{}","c1","Pause at 90 %",null,"budget:threshold_crossed","[{{\"field\":\"percent\",\"operator\":\"gte\",\"value\":90}}]","[{{\"type\":\"pause_agent\",\"agentId\":\"{{{{agentId}}}}\"}}]",true,"#,
                rule.id
            )),
            "{}",
            calls[0]
        );
    }

    #[test]
    fn list_filters_become_parameters() {
        let host = TestHost::new("workflows");
        let ctx = host.context(json!({}));
        let filter = RuleFilter {
            companies: Companies::Only(vec!["c1".into()]),
            hook: Some(Hook::IssueCreated),
            enabled: Some(false),
        };
        assert!(list(&ctx, &filter).unwrap().is_empty());
        assert_eq!(
            host.calls(),
            [format!(
                r#"query 0 SELECT {COLUMNS} FROM mod_workflows_rules WHERE company_id IN ($1) AND hook = $2 AND enabled = $3 ORDER BY created_at, id ["c1","issue:created",false]"#
            )]
        );
    }

    #[test]
    fn an_unreadable_rule_does_not_stop_the_others() {
        let host = TestHost::new("workflows");
        let ctx = host.context(json!({}));
        host.answer_queries(json!([{
            "id": "r1", "company_id": "c1", "name": "n", "description": null, "hook": "issue:created",
            "conditions": "[]", "actions": "not json", "enabled": 1, "created_at": 0, "updated_at": 0
        }]));
        assert!(firing(&ctx, Hook::IssueCreated, "c1").unwrap().is_empty());
        assert!(host.logs()[0].1.contains("stored rule `r1` is unreadable"));
    }
}
