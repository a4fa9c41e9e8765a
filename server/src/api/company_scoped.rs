//! The five CRUD routes of an entity that belongs to a company (agents, goals, projects,
//! issues): `GET|POST /companies/{companyId}/<collection>` and `GET|PATCH|DELETE
//! /<collection>/{id}`, each a thin call of the entity's core function.

use super::api_error::ApiError;
use super::auth::Actor;
use super::json_body::JsonBody;
use super::list_query::ListQuery;
use crate::core::paging::{Page, PageRequest};
use crate::core::CoreError;
use crate::db::DbConnection;
use crate::hooks::PendingHooks;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// What a core function answers.
type CoreResult<T> = Result<T, CoreError>;

/// The core functions behind one company-scoped collection; `Item` is what every route answers
/// with (`delete` answers 204 without a body).
pub(super) struct CompanyScoped<Item, Filter, New, Patch> {
    /// The path segment: `goals` serves `/companies/{companyId}/goals` and `/goals/{id}`.
    pub collection: &'static str,
    pub list: fn(&mut DbConnection, &str, &Filter, PageRequest) -> CoreResult<Page<Item>>,
    pub create: fn(&mut DbConnection, &mut PendingHooks, &str, &str, New) -> CoreResult<Item>,
    pub get: fn(&mut DbConnection, &str) -> CoreResult<Item>,
    pub update: fn(&mut DbConnection, &mut PendingHooks, &str, &str, Patch) -> CoreResult<Item>,
    pub delete: fn(&mut DbConnection, &mut PendingHooks, &str, &str) -> CoreResult<Item>,
}

impl<Item, Filter, New, Patch> CompanyScoped<Item, Filter, New, Patch>
where
    Item: Serialize + Send + 'static,
    Filter: DeserializeOwned + Send + 'static,
    New: DeserializeOwned + Send + 'static,
    Patch: DeserializeOwned + Send + 'static,
{
    /// Registers the five routes.
    pub fn configure(self, cfg: &mut web::ServiceConfig) {
        let CompanyScoped {
            collection,
            list,
            create,
            get,
            update,
            delete,
        } = self;
        let in_company = format!("/companies/{{companyId}}/{collection}");
        let one = format!("/{collection}/{{id}}");
        cfg.route(
            &in_company,
            web::get().to(
                move |state: web::Data<AppState>,
                      company_id: web::Path<String>,
                      query: ListQuery<Filter>| async move {
                    let company_id = company_id.into_inner();
                    let page = state
                        .core
                        .read(move |c| list(c, &company_id, &query.filter, query.page))
                        .await?;
                    Ok::<_, ApiError>(HttpResponse::Ok().json(page))
                },
            ),
        )
        .route(
            &in_company,
            web::post().to(
                move |state: web::Data<AppState>,
                      actor: Actor,
                      company_id: web::Path<String>,
                      body: JsonBody<New>| async move {
                    let company_id = company_id.into_inner();
                    let created = state
                        .core
                        .write(move |c, hooks| create(c, hooks, &actor.0, &company_id, body.0))
                        .await?;
                    Ok::<_, ApiError>(HttpResponse::Created().json(created))
                },
            ),
        )
        .route(
            &one,
            web::get().to(
                move |state: web::Data<AppState>, id: web::Path<String>| async move {
                    let id = id.into_inner();
                    let found = state.core.read(move |c| get(c, &id)).await?;
                    Ok::<_, ApiError>(HttpResponse::Ok().json(found))
                },
            ),
        )
        .route(
            &one,
            web::patch().to(
                move |state: web::Data<AppState>,
                      actor: Actor,
                      id: web::Path<String>,
                      body: JsonBody<Patch>| async move {
                    let id = id.into_inner();
                    let updated = state
                        .core
                        .write(move |c, hooks| update(c, hooks, &actor.0, &id, body.0))
                        .await?;
                    Ok::<_, ApiError>(HttpResponse::Ok().json(updated))
                },
            ),
        )
        .route(
            &one,
            web::delete().to(
                move |state: web::Data<AppState>, actor: Actor, id: web::Path<String>| async move {
                    let id = id.into_inner();
                    state
                        .core
                        .write(move |c, hooks| delete(c, hooks, &actor.0, &id))
                        .await?;
                    Ok::<_, ApiError>(HttpResponse::NoContent().finish())
                },
            ),
        );
    }
}
