//! `/api/companies/{companyId}/agents` and `/api/agents/{id}`.

use super::company_scoped::CompanyScoped;
use crate::core::agent;
use actix_web::web;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    CompanyScoped {
        collection: "agents",
        list: agent::list,
        create: agent::create,
        get: agent::get,
        update: agent::update,
        delete: agent::delete,
    }
    .configure(cfg);
}
