//! The checks of a rule that need the database, made before it is stored: its company exists
//! and the module is enabled for it (an operator restricts a module to some companies with
//! `PUT /api/admin/modules/workflows/companies`), and every id an action gives literally
//! (not as a template) names an agent, issue, project or goal of that company.

use crate::invalid::Invalid;
use crate::rule_input::RuleDraft;
use module_sdk::{params, ModuleContext, Result};

/// `Ok(Err(invalid))` names the first problem; `Err` is a failure to check.
pub fn check(ctx: &ModuleContext, draft: &RuleDraft) -> Result<std::result::Result<(), Invalid>> {
    let company = &draft.company_id;
    let exists = ctx
        .db()
        .query_opt("SELECT id FROM companies WHERE id = $1", &params![company])?
        .is_some();
    if !exists {
        return Ok(Err(Invalid::new(
            "companyId",
            format!("no company `{company}`"),
        )));
    }
    if !ctx.core().enabled_for(company)? {
        return Ok(Err(Invalid::new(
            "companyId",
            format!(
                "the workflows module is not enabled for company `{company}` (an operator enables it with PUT /api/admin/modules/workflows/companies)"
            ),
        )));
    }
    for (i, action) in draft.actions.iter().enumerate() {
        for (field, entity, template) in action.references() {
            if !template.is_literal() {
                continue;
            }
            let id = template.as_str();
            let table = match entity {
                "agent" => "agents",
                "issue" => "issues",
                "project" => "projects",
                _ => "goals",
            };
            // `table` is one of the four names above; the id is a parameter.
            let owner = ctx.db().query_opt(
                &format!("SELECT company_id FROM {table} WHERE id = $1"),
                &params![id],
            )?;
            let path = format!("actions[{i}].{field}");
            match owner {
                None => return Ok(Err(Invalid::new(path, format!("no {entity} `{id}`")))),
                Some(row) if row.get::<String>("company_id")? != *company => {
                    return Ok(Err(Invalid::new(
                        path,
                        format!("{entity} `{id}` belongs to another company than the rule"),
                    )))
                }
                Some(_) => {}
            }
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule_input::parse_new;
    use module_sdk::testing::TestHost;
    use serde_json::json;

    fn draft(actions: serde_json::Value) -> RuleDraft {
        parse_new(&json!({
            "companyId": "c1", "name": "n",
            "trigger": {"hook": "issue:created"}, "actions": actions
        }))
        .unwrap()
    }

    #[test]
    fn the_company_must_exist_and_be_enabled() {
        let host = TestHost::new("workflows");
        let ctx = host.context(json!({}));
        let rule = draft(json!([{"type": "update_issue", "status": "todo"}]));
        let err = check(&ctx, &rule).unwrap().unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.message.as_str()),
            ("companyId", "no company `c1`")
        );

        host.answer_queries(json!([{"id": "c1"}]));
        host.answer_core(json!(false));
        let err = check(&ctx, &rule).unwrap().unwrap_err();
        assert!(
            err.message.contains("not enabled for company `c1`"),
            "{err}"
        );

        host.answer_core(json!(true));
        assert_eq!(check(&ctx, &rule).unwrap(), Ok(()));
    }

    #[test]
    fn literal_ids_must_belong_to_the_company() {
        let host = TestHost::new("workflows");
        let ctx = host.context(json!({}));
        host.answer_core(json!(true));
        // Every query answers this row: the company exists, and the agent is of company c2.
        host.answer_queries(json!([{"id": "c1", "company_id": "c2"}]));
        let rule = draft(json!([
            {"type": "update_issue", "status": "todo"},
            {"type": "pause_agent", "agentId": "a-other"}
        ]));
        let err = check(&ctx, &rule).unwrap().unwrap_err();
        assert_eq!(err.field, "actions[1].agentId");
        assert!(err.message.contains("another company"), "{err}");
        assert!(host
            .calls()
            .iter()
            .any(|c| c == r#"query 0 SELECT company_id FROM agents WHERE id = $1 ["a-other"]"#));
    }
}
