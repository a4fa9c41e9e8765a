//! Whose series a request asks for: `companyId` (required) and optionally `agentId`, checked
//! against the core: an unknown company or agent is a 404, an agent of another company a 400,
//! a company the module is not enabled for a 403.

use crate::query_params::optional;
use module_sdk::{params, Agent, Error, ModuleContext, Request, Response, Result};
use serde_json::json;

/// A company, or one agent of it.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The company.
    pub company_id: String,
    /// The agent, when the request names one.
    pub agent: Option<Agent>,
}

impl Scope {
    /// The agent's id, if any.
    pub fn agent_id(&self) -> Option<&str> {
        self.agent.as_ref().map(|a| a.id.as_str())
    }
}

/// The scope of `req`; `Ok(Err(response))` is the 403 or 404 to answer.
pub fn of_request(
    ctx: &ModuleContext,
    req: &Request,
) -> Result<std::result::Result<Scope, Response>> {
    let Some(company_id) = optional(req, "companyId") else {
        return Err(Error::bad_request("`companyId` is required"));
    };
    let known = ctx
        .db()
        .query_opt(
            "SELECT id FROM companies WHERE id = $1",
            &params![company_id],
        )?
        .is_some();
    if !known {
        return Ok(Err(Response::json(
            404,
            &json!({ "error": format!("companyId: no company `{company_id}`"), "field": "companyId" }),
        )));
    }
    if !ctx.core().enabled_for(&company_id)? {
        return Ok(Err(Response::json(
            403,
            &json!({
                "error": format!("companyId: the analytics module is not enabled for company `{company_id}`"),
                "field": "companyId"
            }),
        )));
    }
    let agent = match optional(req, "agentId") {
        None => None,
        Some(agent_id) => match ctx.core().agent(&agent_id)? {
            None => {
                return Ok(Err(Response::json(
                    404,
                    &json!({ "error": format!("agentId: no agent `{agent_id}`"), "field": "agentId" }),
                )))
            }
            Some(agent) if agent.company_id != company_id => {
                return Err(Error::bad_request(format!(
                    "agentId: agent `{agent_id}` belongs to another company than `{company_id}`"
                )))
            }
            Some(agent) => Some(agent),
        },
    };
    Ok(Ok(Scope { company_id, agent }))
}
