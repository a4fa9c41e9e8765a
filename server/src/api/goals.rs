//! `/api/companies/{companyId}/goals` and `/api/goals/{id}`.

use super::company_scoped::CompanyScoped;
use crate::core::goal;
use actix_web::web;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    CompanyScoped {
        collection: "goals",
        list: goal::list,
        create: goal::create,
        get: goal::get,
        update: goal::update,
        delete: |c, _, actor, id| goal::delete(c, actor, id),
    }
    .configure(cfg);
}
