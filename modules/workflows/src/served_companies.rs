//! The companies a list route may show. An operator may enable the module for some companies
//! only (`PUT /api/admin/modules/workflows/companies`); the module then serves no other: a list
//! asked for another company (`?companyId=`) is refused with a 403 naming it, and a list
//! without `companyId` covers the companies it serves. (A rule of another company can still be
//! read, switched off or deleted by its id.)

use module_sdk::{CompanyScope, ModuleContext, Request, Response, Result};
use serde_json::json;

/// Which companies' rows a list holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Companies {
    /// Every company.
    All,
    /// These companies only (none: an empty list).
    Only(Vec<String>),
}

/// The companies of a list request: its `companyId` (refused when not served), else every
/// company served. `Ok(Err(response))` is the 403 to answer.
pub fn of_request(
    ctx: &ModuleContext,
    req: &Request,
) -> Result<std::result::Result<Companies, Response>> {
    if let Some(company) = req.query("companyId").filter(|c| !c.trim().is_empty()) {
        if !ctx.core().enabled_for(&company)? {
            return Ok(Err(Response::json(
                403,
                &json!({
                    "error": format!("companyId: the workflows module is not enabled for company `{company}`"),
                    "field": "companyId"
                }),
            )));
        }
        return Ok(Ok(Companies::Only(vec![company])));
    }
    Ok(Ok(match ctx.core().company_scope()? {
        CompanyScope::All => Companies::All,
        CompanyScope::Only { company_ids } => Companies::Only(company_ids),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::TestHost;

    #[test]
    fn a_company_not_served_is_refused_and_no_company_means_those_served() {
        let host = TestHost::new("workflows");
        let ctx = host.context(json!({}));
        host.answer_core(json!(false));
        let refused = of_request(
            &ctx,
            &Request::new("GET", "/rules").with_query("companyId=c2"),
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(refused.status, 403);
        assert_eq!(refused.body_json().unwrap()["field"], "companyId");
        host.answer_core(json!(true));
        assert_eq!(
            of_request(
                &ctx,
                &Request::new("GET", "/rules").with_query("companyId=c1")
            )
            .unwrap(),
            Ok(Companies::Only(vec!["c1".into()]))
        );
        host.answer_core(json!({"mode": "only", "companyIds": ["c1", "c3"]}));
        assert_eq!(
            of_request(&ctx, &Request::new("GET", "/rules")).unwrap(),
            Ok(Companies::Only(vec!["c1".into(), "c3".into()]))
        );
        host.answer_core(json!({"mode": "all"}));
        assert_eq!(
            of_request(&ctx, &Request::new("GET", "/rules")).unwrap(),
            Ok(Companies::All)
        );
    }
}
