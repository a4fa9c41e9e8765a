//! Core services for modules: the host side of `core_call(method, args)`. Reads, the module's
//! company scope, and (in [`module_writes`]) the core writes a module was granted.
//!
//! | method           | arguments (JSON object)                                                           |
//! |------------------|-----------------------------------------------------------------------------------|
//! | `companies.get`  | `{id}`                                                                            |
//! | `companies.list` | `{limit?, offset?}`                                                               |
//! | `agents.get`     | `{id}`                                                                            |
//! | `agents.list`    | `{companyId?, status?, reportsTo?, limit?, offset?}`                              |
//! | `goals.get`      | `{id}`                                                                            |
//! | `goals.list`     | `{companyId?, level?, status?, parentId?, limit?, offset?}`                       |
//! | `projects.get`   | `{id}`                                                                            |
//! | `projects.list`  | `{companyId?, status?, goalId?, limit?, offset?}`                                 |
//! | `issues.get`     | `{id}`                                                                            |
//! | `issues.list`    | `{companyId?, status?, priority?, assigneeAgentId?, projectId?, goalId?, limit?, offset?}` |
//! | `activity.list`  | `{companyId?, entityType?, entityId?, action?, limit?, offset?}`                  |
//! | `hooks.delivery` | `{}`: the hook outbox's size and each module's delivery ([`delivery_status`])     |
//! | `module.companies` | `{}`: the companies the module serves, `{"mode":"all"}` or `{"mode":"only","companyIds":[…]}` |
//! | `module.enabledFor` | `{companyId}`: whether the module serves that company                          |
//! | `issues.create`  | `{companyId, title, …}` (the REST body), capability `issues.create`                |
//! | `issues.update`  | `{id, …patch}` (the REST patch), capability `issues.update`                        |
//! | `agents.pause`   | `{id}`, capability `agents.pause`                                                   |
//! | `agents.resume`  | `{id}`, capability `agents.resume`                                                  |
//!
//! Each entity is the same JSON object the REST API returns for it. A `get` answers `null` when
//! nothing has that id; a `list` answers an array (the REST page's `items`) in the REST API's
//! order, at most `limit` entries (default and maximum 500) after skipping `offset`. Without
//! `companyId` a list covers every company, company after company (companies by name).
//! Unknown arguments and bad filter values are errors naming them.
//!
//! A module serving only some companies (`PUT /api/admin/modules/{id}/companies`) is refused
//! a `get` of another company's entity and a `list` naming another company; a `list` without
//! `companyId` covers the companies it serves. Writes need their capability granted
//! ([`ModulePolicy`]) and are refused past `modules.maxCausationDepth`. `hooks.delivery` is the
//! one method about the server rather than the domain (the outbox and each module's delivery
//! lag, for monitoring modules).

use crate::module_policy::{ModulePolicy, PolicyRefusal};
use module_sdk::Capability;
use paperclip_core::core::paging::{Page, PageRequest, MAX_LIMIT};
use paperclip_core::core::{activity, agent, company, goal, issue, project, Core, CoreError};
use paperclip_core::db::DbConnection;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// Every method [`call_core`] knows, in the order error messages list them.
pub const CORE_METHODS: &[&str] = &[
    "companies.get",
    "companies.list",
    "agents.get",
    "agents.list",
    "goals.get",
    "goals.list",
    "projects.get",
    "projects.list",
    "issues.get",
    "issues.list",
    "activity.list",
    "hooks.delivery",
    "module.companies",
    "module.enabledFor",
    "issues.create",
    "issues.update",
    "agents.pause",
    "agents.resume",
];

/// Why a core call gave no result.
#[derive(Debug, thiserror::Error)]
pub enum CoreCallError {
    /// The method is not one of [`CORE_METHODS`].
    #[error("unknown core method `{method}`; the core offers {}", CORE_METHODS.join(", "))]
    UnknownMethod {
        /// The method asked for.
        method: String,
    },
    /// The arguments are malformed, unknown or invalid.
    #[error("{method}: {message}")]
    BadArguments {
        /// The method called.
        method: String,
        /// What is wrong, naming the argument.
        message: String,
    },
    /// The module's policy refused the call (capability, company, causation depth).
    #[error("{method}: {refusal}")]
    Refused {
        /// The method called.
        method: String,
        /// Why.
        refusal: PolicyRefusal,
    },
    /// The core failed (company not found, database unavailable, …).
    #[error("{method}: {source}")]
    Core {
        /// The method called.
        method: String,
        /// The core's error.
        source: CoreError,
    },
}

/// Runs the core method `method` with JSON arguments `args_json` (an object; empty text means
/// no arguments) for the module of `policy`, and returns its JSON result. Blocking: call it
/// from a blocking thread (module calls arrive on one).
pub fn call_core(
    core: &Core,
    policy: &ModulePolicy,
    method: &str,
    args_json: &str,
) -> Result<Value, CoreCallError> {
    if !CORE_METHODS.contains(&method) {
        return Err(CoreCallError::UnknownMethod {
            method: method.to_string(),
        });
    }
    let call = Call {
        method,
        args: parse_arguments(method, args_json)?,
        policy,
    };
    if let Some(capability) = Capability::of_method(method) {
        return call.write(core, policy, capability);
    }
    let mut conn = core.db().conn().map_err(|e| call.core_error(e.into()))?;
    call.dispatch(&mut conn)
}

/// One call being answered: the method name (for messages), its arguments and the calling
/// module's policy.
struct Call<'a> {
    method: &'a str,
    args: Map<String, Value>,
    policy: &'a ModulePolicy,
}

impl Call<'_> {
    fn dispatch(mut self, conn: &mut DbConnection) -> Result<Value, CoreCallError> {
        match self.method {
            "companies.get" => self.get(conn, company::get),
            "companies.list" => self.list_companies(conn),
            "module.companies" => {
                self.no_more_arguments(&[])?;
                self.to_json(&self.policy.scope())
            }
            "module.enabledFor" => {
                let company_id = self
                    .take_string("companyId")?
                    .ok_or_else(|| self.bad("the argument `companyId` (a string) is required"))?;
                self.no_more_arguments(&["companyId"])?;
                Ok(Value::Bool(self.policy.serves(&company_id)))
            }
            "agents.get" => self.get(conn, agent::get),
            "agents.list" => self.list(conn, agent::list),
            "goals.get" => self.get(conn, goal::get),
            "goals.list" => self.list(conn, goal::list),
            "projects.get" => self.get(conn, project::get),
            "projects.list" => self.list(conn, project::list),
            "issues.get" => self.get(conn, issue::get),
            "issues.list" => self.list(conn, issue::list),
            "activity.list" => self.list(conn, activity_list),
            "hooks.delivery" => {
                self.no_more_arguments(&[])?;
                delivery_status(conn).map_err(|e| self.core_error(e.into()))
            }
            other => Err(CoreCallError::UnknownMethod {
                method: other.to_string(),
            }),
        }
    }

    /// `<entity>.get {id}`: the entity, or `null` when no entity has that id.
    fn get<T: Serialize>(
        mut self,
        conn: &mut DbConnection,
        get: fn(&mut DbConnection, &str) -> Result<T, CoreError>,
    ) -> Result<Value, CoreCallError> {
        let id = self
            .take_string("id")?
            .ok_or_else(|| self.bad("the argument `id` (a string) is required"))?;
        self.no_more_arguments(&["id"])?;
        let entity = match get(conn, &id) {
            Ok(entity) => self.to_json(&entity)?,
            Err(CoreError::NotFound { .. }) => return Ok(Value::Null),
            Err(e) => return Err(self.core_error(e)),
        };
        // A company's own id, or the entity's company.
        let company = entity
            .get("companyId")
            .or_else(|| entity.get("id"))
            .and_then(Value::as_str);
        if let Some(company) = company {
            self.policy
                .check_company(company)
                .map_err(|e| self.refused(e))?;
        }
        Ok(entity)
    }

    /// `companies.list {limit?, offset?}`.
    fn list_companies(mut self, conn: &mut DbConnection) -> Result<Value, CoreCallError> {
        let page = self.take_page()?;
        self.no_more_arguments(&["limit", "offset"])?;
        if self.policy.serves_all() {
            let page = company::list(conn, page).map_err(|e| self.core_error(e))?;
            return self.to_json(&page.items);
        }
        // Only the companies served, paged after filtering.
        let (limit, offset) = page.resolve().map_err(|e| self.core_error(e))?;
        let served: Vec<company::Company> = all_companies(conn)
            .map_err(|e| self.core_error(e))?
            .into_iter()
            .filter(|c| self.policy.serves(&c.id))
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        self.to_json(&served)
    }

    /// `<entity>.list {companyId?, <filters>…, limit?, offset?}`.
    fn list<T: Serialize, F: DeserializeOwned>(
        mut self,
        conn: &mut DbConnection,
        list: ListFn<T, F>,
    ) -> Result<Value, CoreCallError> {
        let company_id = self.take_string("companyId")?;
        let page = self.take_page()?;
        let filter = self.take_filter::<F>()?;
        if let Some(company_id) = &company_id {
            self.policy
                .check_company(company_id)
                .map_err(|e| self.refused(e))?;
        }
        let items = match company_id {
            Some(company_id) => list(conn, &company_id, &filter, page).map(|p| p.items),
            None => list_every_company(conn, self.policy, &filter, page, list),
        }
        .map_err(|e| self.core_error(e))?;
        self.to_json(&items)
    }

    /// Removes a string argument; `null` counts as absent.
    fn take_string(&mut self, name: &str) -> Result<Option<String>, CoreCallError> {
        match self.args.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.bad(format!(
                "the argument `{name}` must be a string, got {other}"
            ))),
        }
    }

    /// Removes an integer argument; `null` counts as absent.
    fn take_integer(&mut self, name: &str) -> Result<Option<i64>, CoreCallError> {
        match self.args.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(other) => Err(self.bad(format!(
                "the argument `{name}` must be an integer, got {other}"
            ))),
        }
    }

    /// Removes `limit` and `offset` and checks them as the REST API does (limit 1..=500,
    /// offset ≥ 0); the default limit is the maximum.
    fn take_page(&mut self) -> Result<PageRequest, CoreCallError> {
        let page = PageRequest {
            limit: Some(self.take_integer("limit")?.unwrap_or(MAX_LIMIT)),
            offset: self.take_integer("offset")?,
        };
        page.resolve().map_err(|e| self.core_error(e))?;
        Ok(page)
    }

    /// Reads the remaining arguments as the list's filter; an unknown one is named.
    fn take_filter<F: DeserializeOwned>(&mut self) -> Result<F, CoreCallError> {
        let rest = Value::Object(std::mem::take(&mut self.args));
        serde_path_to_error::deserialize::<_, F>(rest).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            let Some(unknown) = message.strip_prefix("unknown field") else {
                return self.bad(format!("the argument `{path}`: {message}"));
            };
            // serde lists the filter's fields; `companyId` and the paging arguments are
            // accepted too, so name them as well.
            let message = match unknown.split_once(", expected ") {
                Some((name, expected)) => {
                    let expected = expected.strip_prefix("one of ").unwrap_or(expected);
                    format!(
                        "unknown argument{name}, expected `companyId`, `limit`, `offset`, {expected}"
                    )
                }
                None => format!("unknown argument{unknown}, expected `companyId`, `limit` or `offset`"),
            };
            self.bad(message)
        })
    }

    /// Fails when arguments other than `allowed` were given.
    fn no_more_arguments(&self, allowed: &[&str]) -> Result<(), CoreCallError> {
        match self.args.keys().next() {
            None => Ok(()),
            Some(extra) => Err(self.bad(format!(
                "unknown argument `{extra}`, expected {}",
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    fn to_json<T: Serialize>(&self, value: &T) -> Result<Value, CoreCallError> {
        serde_json::to_value(value)
            .map_err(|e| self.bad(format!("cannot serialize the result: {e}")))
    }

    fn bad(&self, message: impl Into<String>) -> CoreCallError {
        CoreCallError::BadArguments {
            method: self.method.to_string(),
            message: message.into(),
        }
    }

    fn core_error(&self, source: CoreError) -> CoreCallError {
        match source {
            CoreError::Validation { field, message } => self.bad(format!("`{field}`: {message}")),
            source => CoreCallError::Core {
                method: self.method.to_string(),
                source,
            },
        }
    }
}

/// The core's list function of one entity: a company's page of entities matching a filter.
type ListFn<T, F> = fn(&mut DbConnection, &str, &F, PageRequest) -> Result<Page<T>, CoreError>;

/// `activity::list` without the company check the REST handler adds: an unknown company is
/// an error there too, not an empty list.
fn activity_list(
    conn: &mut DbConnection,
    company_id: &str,
    filter: &activity::ActivityFilter,
    page: PageRequest,
) -> Result<Page<activity::Activity>, CoreError> {
    company::ensure_exists(conn, company_id)?;
    activity::list(conn, company_id, filter, page)
}

/// One page over the concatenation of every company's list (companies by name): skips
/// `offset` entries, then takes up to `limit`.
fn list_every_company<T, F>(
    conn: &mut DbConnection,
    policy: &ModulePolicy,
    filter: &F,
    page: PageRequest,
    list: ListFn<T, F>,
) -> Result<Vec<T>, CoreError> {
    let (limit, mut skip) = page.resolve()?;
    let mut items = Vec::new();
    let served = all_companies(conn)?
        .into_iter()
        .map(|c| c.id)
        .filter(|id| policy.serves(id));
    for company_id in served {
        let wanted = limit - items.len() as i64;
        if wanted <= 0 {
            break;
        }
        let request = PageRequest {
            limit: Some(wanted),
            offset: Some(skip),
        };
        let found = list(conn, &company_id, filter, request)?;
        skip = (skip - found.total).max(0);
        items.extend(found.items);
    }
    Ok(items)
}

/// Every company, in the companies list's order.
fn all_companies(conn: &mut DbConnection) -> Result<Vec<company::Company>, CoreError> {
    let mut all = Vec::new();
    loop {
        let page = company::list(
            conn,
            PageRequest {
                limit: Some(MAX_LIMIT),
                offset: Some(all.len() as i64),
            },
        )?;
        let fetched = page.items.len();
        all.extend(page.items);
        if fetched == 0 || all.len() as i64 >= page.total {
            return Ok(all);
        }
    }
}

/// The arguments as a JSON object; empty text and `null` mean none.
fn parse_arguments(method: &str, args_json: &str) -> Result<Map<String, Value>, CoreCallError> {
    let bad = |message: String| CoreCallError::BadArguments {
        method: method.to_string(),
        message,
    };
    if args_json.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str::<Value>(args_json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(bad(format!("arguments must be a JSON object, got {other}"))),
        Err(e) => Err(bad(format!("arguments are not valid JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod write_tests;

mod delivery_status;
mod module_writes;
pub use delivery_status::delivery_status;
pub use module_writes::module_actor;
