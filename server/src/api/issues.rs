//! `/api/companies/{companyId}/issues` and `/api/issues/{id}`.

use super::company_scoped::CompanyScoped;
use crate::core::issue;
use actix_web::web;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    CompanyScoped {
        collection: "issues",
        list: issue::list,
        create: issue::create,
        get: issue::get,
        update: issue::update,
        delete: |c, _, actor, id| issue::delete(c, actor, id),
    }
    .configure(cfg);
}
