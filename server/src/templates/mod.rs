//! Company templates: code-free JSON packages (agents in an org chart, a goal tree, projects,
//! issues) that bootstrap a company, and the export of a running company as one.
//!
//! - [`template_format`]: the document's serde types; [`template_schema`]: its JSON Schema
//!   (`templates/company-template.schema.json`, embedded).
//! - [`validate_json`] / [`validate_value`]: every problem (schema, duplicate/dangling refs,
//!   cycles) with its JSON path, before anything is written; a [`ValidTemplate`] otherwise.
//! - [`import_template`]: one write transaction, multi-row inserts, activity for every entity,
//!   hooks queued for after the commit.
//! - [`export_company`]: the company as a template, refs generated from names, stable order.
//!
//! ```no_run
//! # use paperclip::core::Core;
//! # use paperclip::templates::{import_template, validate_json, ImportOptions};
//! # fn demo(core: &Core, bytes: &[u8]) -> anyhow::Result<()> {
//! let template = validate_json(bytes).map_err(|problems| {
//!     anyhow::anyhow!("{} problem(s), first: {}", problems.len(), problems[0])
//! })?;
//! let options = ImportOptions { actor: "cli".into(), company_name: None };
//! let outcome = core.write_blocking(|conn, hooks| {
//!     import_template(conn, hooks, &template, &options, &mut |_done| {})
//! })?;
//! println!("company {}", outcome.company_id);
//! # Ok(()) }
//! ```

mod import_rows;
pub mod problem;
pub mod ref_checks;
pub mod ref_names;
pub mod template_export;
pub mod template_format;
pub mod template_import;
pub mod template_schema;
pub mod template_validate;
pub mod topo_order;

pub use problem::Problem;
pub use template_export::export_company;
pub use template_format::{
    CompanyTemplate, TemplateAgent, TemplateGoal, TemplateIssue, TemplateProject,
};
pub use template_import::{import_template, ImportOptions, ImportOutcome, RefIds};
pub use template_validate::{validate_json, validate_template, validate_value, ValidTemplate};
