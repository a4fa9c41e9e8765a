//! A request's company: it must exist, and the module must serve it. The operator may enable
//! the module for some companies only (`PUT /api/admin/modules/revenue/companies`); the host
//! then delivers no spend of the others, and the module's routes and webhook refuse them.

use crate::invalid::Invalid;
use module_sdk::{params, ModuleContext, Result};

/// `Ok(Err(…))` with a 400 when `company_id` names no company, a 403 when the module does not
/// serve it; `field` is what the answer names.
pub fn check(
    ctx: &ModuleContext,
    company_id: &str,
    field: &str,
) -> Result<std::result::Result<(), Invalid>> {
    let exists = ctx
        .db()
        .query_opt(
            "SELECT id FROM companies WHERE id = $1",
            &params![company_id],
        )?
        .is_some();
    if !exists {
        return Ok(Err(Invalid::field(
            field,
            format!("names no company (`{company_id}`)"),
        )));
    }
    if !ctx.core().enabled_for(company_id)? {
        return Ok(Err(Invalid::forbidden(
            field,
            format!(
                "the revenue module is not enabled for company `{company_id}` \
                 (PUT /api/admin/modules/revenue/companies)"
            ),
        )));
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::TestHost;
    use serde_json::json;

    #[test]
    fn unknown_and_unserved_companies_are_refused() {
        let host = TestHost::new("revenue");
        let ctx = host.context(json!({}));
        host.answer_queries(json!([]));
        let unknown = check(&ctx, "c9", "companyId").unwrap().unwrap_err();
        assert_eq!((unknown.status, unknown.field.as_str()), (400, "companyId"));
        host.answer_queries(json!([{"id": "c1"}]));
        host.answer_core(json!(false));
        let unserved = check(&ctx, "c1", "companyId").unwrap().unwrap_err();
        assert_eq!(unserved.status, 403);
        assert!(
            unserved.message.contains("not enabled"),
            "{}",
            unserved.message
        );
    }
}
