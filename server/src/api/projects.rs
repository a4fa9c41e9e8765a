//! `/api/companies/{companyId}/projects` and `/api/projects/{id}`.

use super::company_scoped::CompanyScoped;
use crate::core::project;
use actix_web::web;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    CompanyScoped {
        collection: "projects",
        list: project::list,
        create: |c, _, actor, company_id, input| project::create(c, actor, company_id, input),
        get: project::get,
        update: |c, _, actor, id, patch| project::update(c, actor, id, patch),
        delete: |c, _, actor, id| project::delete(c, actor, id),
    }
    .configure(cfg);
}
