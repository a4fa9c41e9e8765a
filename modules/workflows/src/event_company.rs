//! The company an event belongs to: a rule fires only for events of its own company.
//!
//! Looked up, in order, at the payload's top-level `companyId`, then `issue.companyId`,
//! `agent.companyId`, `goal.companyId`, `project.companyId`, `company.id`; an event that names
//! only an agent (`agentId`, from a core that does not send `companyId` with heartbeats and
//! budget events) is resolved through the agent. Before rules see the payload, its
//! `companyId` is filled in, so conditions and templates can always use it.

use module_sdk::{ModuleContext, Result};
use serde_json::{json, Value};

/// Entities whose `companyId` names the event's company.
const ENTITIES: [&str; 4] = ["issue", "agent", "goal", "project"];

/// The company named in `payload`, without asking the core.
pub fn company_of(payload: &Value) -> Option<String> {
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    text(&payload["companyId"])
        .or_else(|| {
            ENTITIES
                .iter()
                .find_map(|e| text(&payload[*e]["companyId"]))
        })
        .or_else(|| text(&payload["company"]["id"]))
}

/// The company of `payload`, asking the core for the agent's when the payload names only an
/// agent. `None`: the event belongs to no company (or its agent is gone), and no rule fires.
pub fn resolve(ctx: &ModuleContext, payload: &Value) -> Result<Option<String>> {
    if let Some(company) = company_of(payload) {
        return Ok(Some(company));
    }
    let Some(agent_id) = payload["agentId"].as_str() else {
        return Ok(None);
    };
    match ctx.core().agent(agent_id) {
        Ok(agent) => Ok(agent.map(|a| a.company_id)),
        Err(e) => {
            // Refused (e.g. a company the module is not enabled for) or gone: no rule fires.
            ctx.log().warn(format!(
                "cannot find the company of agent `{agent_id}`: {e}"
            ));
            Ok(None)
        }
    }
}

/// Sets the payload's top-level `companyId` when the core did not.
pub fn fill_in(payload: &mut Value, company_id: &str) {
    if let Value::Object(map) = payload {
        if !map.get("companyId").is_some_and(Value::is_string) {
            map.insert("companyId".into(), json!(company_id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::TestHost;

    #[test]
    fn the_company_is_found_where_each_hook_puts_it() {
        assert_eq!(
            company_of(&json!({"companyId": "c0", "issue": {"companyId": "c1"}})).as_deref(),
            Some("c0")
        );
        assert_eq!(
            company_of(&json!({"issue": {"companyId": "c1"}})).as_deref(),
            Some("c1")
        );
        assert_eq!(
            company_of(&json!({"agent": {"companyId": "c2"}})).as_deref(),
            Some("c2")
        );
        assert_eq!(
            company_of(&json!({"goal": {"companyId": "c3"}})).as_deref(),
            Some("c3")
        );
        assert_eq!(
            company_of(&json!({"project": {"companyId": "c4"}})).as_deref(),
            Some("c4")
        );
        assert_eq!(
            company_of(&json!({"company": {"id": "c5"}})).as_deref(),
            Some("c5")
        );
        assert_eq!(company_of(&json!({"port": 3000})), None);
        assert_eq!(company_of(&json!({"companyId": ""})), None);
    }

    #[test]
    fn an_agent_only_payload_asks_the_core() {
        let host = TestHost::new("workflows");
        let ctx = host.context(json!({}));
        host.answer_core(json!({
            "id": "a1", "companyId": "c9", "name": "Ada", "role": "engineer", "status": "active",
            "budgetMonthlyCents": 0, "spentMonthlyCents": 0, "metadata": {},
            "createdAt": "t", "updatedAt": "t"
        }));
        let mut payload = json!({"agentId": "a1", "percent": 90});
        let company = resolve(&ctx, &payload).unwrap().unwrap();
        assert_eq!(company, "c9");
        assert_eq!(host.calls(), [r#"core agents.get {"id":"a1"}"#]);
        fill_in(&mut payload, &company);
        assert_eq!(payload["companyId"], "c9");
        host.answer_core(Value::Null);
        assert_eq!(resolve(&ctx, &json!({"agentId": "gone"})).unwrap(), None);
        assert_eq!(resolve(&ctx, &json!({"port": 1})).unwrap(), None);
    }
}
