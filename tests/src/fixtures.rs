//! Small fixtures: create core entities through the API and get their ids back, count rows
//! through list endpoints.

use crate::ApiClient;
use reqwest::StatusCode;
use serde_json::{json, Value};

impl ApiClient {
    /// `POST path` with `body`, asserting `201 Created`; returns the created entity.
    ///
    /// # Panics
    /// On any other status, showing the body.
    pub fn create(&self, path: &str, body: &Value) -> Value {
        let (status, created) = self.post(path, body);
        assert_eq!(
            status,
            StatusCode::CREATED,
            "POST {path} {body} answered {created}"
        );
        created
    }

    /// Creates a company named `name`; returns its id.
    pub fn create_company(&self, name: &str) -> String {
        id_of(&self.create("/api/companies", &json!({ "name": name })))
    }

    /// Creates an agent in `company`: `body` over the defaults `{name: "Agent", role:
    /// "engineer"}`; returns its id.
    pub fn create_agent(&self, company: &str, body: Value) -> String {
        let body = with_defaults(json!({"name": "Agent", "role": "engineer"}), body);
        id_of(&self.create(&format!("/api/companies/{company}/agents"), &body))
    }

    /// Creates a goal in `company`: `body` over `{title: "Goal", level: "company"}`; returns
    /// its id.
    pub fn create_goal(&self, company: &str, body: Value) -> String {
        let body = with_defaults(json!({"title": "Goal", "level": "company"}), body);
        id_of(&self.create(&format!("/api/companies/{company}/goals"), &body))
    }

    /// Creates a project in `company`: `body` over `{name: "Project"}`; returns its id.
    pub fn create_project(&self, company: &str, body: Value) -> String {
        let body = with_defaults(json!({"name": "Project"}), body);
        id_of(&self.create(&format!("/api/companies/{company}/projects"), &body))
    }

    /// Creates an issue in `company`: `body` over `{title: "Issue"}`; returns its id.
    pub fn create_issue(&self, company: &str, body: Value) -> String {
        let body = with_defaults(json!({"title": "Issue"}), body);
        id_of(&self.create(&format!("/api/companies/{company}/issues"), &body))
    }

    /// The `total` of a list endpoint (`path` may carry filters).
    ///
    /// # Panics
    /// When the list does not answer `200` with a numeric `total`.
    pub fn total(&self, path: &str) -> i64 {
        let body = self.get_ok(path);
        body["total"]
            .as_i64()
            .unwrap_or_else(|| panic!("GET {path}: no numeric total in {body}"))
    }

    /// The `items` of a list endpoint (`path` may carry filters and paging).
    ///
    /// # Panics
    /// When the list does not answer `200` with an `items` array.
    pub fn items(&self, path: &str) -> Vec<Value> {
        let body = self.get_ok(path);
        body["items"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("GET {path}: no items array in {body}"))
    }

    /// The ids of the `items` of a list endpoint, in list order.
    pub fn item_ids(&self, path: &str) -> Vec<String> {
        self.items(path).iter().map(id_of).collect()
    }

    /// How many activity rows `company` has.
    pub fn activity_total(&self, company: &str) -> i64 {
        self.total(&format!("/api/companies/{company}/activity"))
    }

    /// Every activity row of `company`, newest first (up to 500).
    pub fn activity(&self, company: &str) -> Vec<Value> {
        let body = self.get_ok(&format!("/api/companies/{company}/activity?limit=500"));
        body["items"].as_array().cloned().unwrap_or_default()
    }
}

/// The `id` of a created entity.
fn id_of(entity: &Value) -> String {
    entity["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no string id in {entity}"))
        .to_string()
}

/// `defaults` with every key of `body` (an object) set over it.
fn with_defaults(mut defaults: Value, body: Value) -> Value {
    if let (Some(target), Value::Object(fields)) = (defaults.as_object_mut(), body) {
        target.extend(fields);
    }
    defaults
}
