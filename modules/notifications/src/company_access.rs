//! Which companies the module serves. The operator may enable it for some companies only
//! (`PUT /api/admin/modules/notifications/companies`): the host then delivers no hook of the
//! others and refuses core calls about them, and the module's routes refuse them too — a
//! channel cannot be created, read, changed, tested or listed for such a company, and its
//! queued messages are not sent.
//!
//! A host without per-company enablement (it does not know the core methods `module.companies`
//! and `module.enabledFor`) serves every company.

use crate::field_error::FieldError;
use module_sdk::{params, CompanyScope, Error, ModuleContext, Result};

/// The companies a listing covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Companies {
    /// Every company.
    All,
    /// These companies only (possibly none).
    Only(Vec<String>),
}

impl Companies {
    /// Whether `company_id` is among them.
    pub fn includes(&self, company_id: &str) -> bool {
        match self {
            Companies::All => true,
            Companies::Only(ids) => ids.iter().any(|id| id == company_id),
        }
    }
}

/// Whether `error` is an older host's answer to a core method it does not have.
fn is_unknown_method(error: &Error) -> bool {
    error.message().contains("unknown core method `module.")
}

/// The companies the module is enabled for.
pub fn enabled_companies(ctx: &ModuleContext) -> Result<Companies> {
    match ctx.core().company_scope() {
        Ok(CompanyScope::All) => Ok(Companies::All),
        Ok(CompanyScope::Only { company_ids }) => Ok(Companies::Only(company_ids)),
        Err(e) if is_unknown_method(&e) => Ok(Companies::All),
        Err(e) => Err(e),
    }
}

/// Whether the module is enabled for `company_id`.
pub fn enabled_for(ctx: &ModuleContext, company_id: &str) -> Result<bool> {
    match ctx.core().enabled_for(company_id) {
        Ok(enabled) => Ok(enabled),
        Err(e) if is_unknown_method(&e) => Ok(true),
        Err(e) => Err(e),
    }
}

/// What a request naming `company_id` may see: `Err` with a 400 when no such company exists,
/// a 403 when the module is not enabled for it.
pub fn check_company(
    ctx: &ModuleContext,
    company_id: &str,
    field: &str,
) -> Result<std::result::Result<(), FieldError>> {
    let exists = ctx
        .db()
        .query_opt(
            "SELECT id FROM companies WHERE id = $1",
            &params![company_id],
        )?
        .is_some();
    if !exists {
        return Ok(Err(FieldError::new(
            field,
            format!("names no company (`{company_id}`)"),
        )));
    }
    if !enabled_for(ctx, company_id)? {
        return Ok(Err(not_enabled(company_id, field)));
    }
    Ok(Ok(()))
}

/// The 403 for a company the module is not enabled for.
pub fn not_enabled(company_id: &str, field: &str) -> FieldError {
    FieldError::forbidden(
        field,
        format!(
            "the notifications module is not enabled for company `{company_id}` \
             (PUT /api/admin/modules/notifications/companies)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::TestHost;
    use serde_json::json;

    #[test]
    fn the_scope_is_read_from_the_host() {
        let host = TestHost::new("notifications");
        let ctx = host.context(json!({}));
        host.answer_core(json!({"mode": "only", "companyIds": ["c1"]}));
        let only = enabled_companies(&ctx).unwrap();
        assert!(only.includes("c1") && !only.includes("c2"));
        host.answer_core(json!(false));
        assert!(!enabled_for(&ctx, "c2").unwrap());
        assert_eq!(not_enabled("c2", "companyId").status, 403);
    }

    #[test]
    fn an_unknown_method_error_means_every_company() {
        let known = Error::msg("unknown core method `module.companies`; the core offers …");
        assert!(is_unknown_method(&known));
        assert!(!is_unknown_method(&Error::msg("database is locked")));
        assert!(Companies::All.includes("anything"));
        assert!(!Companies::Only(vec![]).includes("c1"));
    }
}
