//! `GET /metrics`: the Prometheus text exposition format (version 0.0.4), for a scraper.
//!
//! Counters come from the running totals (`mod_observability_usage_totals`,
//! `mod_observability_issue_status_counts`), which retention never prunes, so they only go up;
//! gauges come from the core's `agents` table, the alert rules and the host's hook delivery
//! (the core call `hooks.delivery`: outbox size, and per module its lag, the age of its oldest
//! undelivered event, events being retried and dead letters). The same text is served on
//! the module's own listener when `enablePrometheus` is set (see [`crate::prometheus_listener`]).

use crate::alerts::fired_alerts;
use crate::Observability;
use module_sdk::{ModuleContext, Request, Response, Result};
use serde::Deserialize;
use serde_json::json;
use std::fmt::{Display, Write};

/// The content type Prometheus expects for the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Handles `GET /metrics`.
pub fn get_metrics(_m: &Observability, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let text = render(ctx)?;
    Ok(Response {
        status: 200,
        headers: vec![("content-type".into(), CONTENT_TYPE.into())],
        body: text.into_bytes(),
    })
}

/// The whole exposition: every family with its `# HELP` and `# TYPE` lines, then its samples.
pub fn render(ctx: &ModuleContext) -> Result<String> {
    let db = ctx.db();
    let totals = db.query(
        "SELECT agent_id, model, tokens_total, cost_cents_total, heartbeats_total, \
         latency_ms_sum, latency_count FROM mod_observability_usage_totals \
         ORDER BY agent_id, model",
        &[],
    )?;
    let agents = db.query(
        "SELECT id, company_id, budget_monthly_cents, spent_monthly_cents FROM agents ORDER BY id",
        &[],
    )?;
    let issue_counts = db.query(
        "SELECT company_id, status, transitions FROM mod_observability_issue_status_counts \
         ORDER BY company_id, status",
        &[],
    )?;
    let firing = fired_alerts(ctx, None)?.len();
    let delivery: HookDelivery = ctx.core().call_as("hooks.delivery", &json!({}))?;

    let mut out = Exposition::default();
    let usage_counters = [
        (
            "paperclip_tokens_total",
            "tokens_total",
            "Tokens used, as reported by agent heartbeats.",
        ),
        (
            "paperclip_cost_cents_total",
            "cost_cents_total",
            "Cost in cents, as reported by agent heartbeats.",
        ),
        (
            "paperclip_heartbeats_total",
            "heartbeats_total",
            "Agent heartbeats that reported token usage.",
        ),
    ];
    for (family, column, help) in usage_counters {
        out.family(family, "counter", help);
        for row in &totals {
            let (agent, model) = (row.get::<String>("agent_id")?, row.get::<String>("model")?);
            out.sample(
                family,
                &[("agent_id", &agent), ("model", &model)],
                row.get::<i64>(column)?,
            );
        }
    }

    let latency = "paperclip_heartbeat_latency_milliseconds";
    out.family(
        latency,
        "summary",
        "Latency reported by agent heartbeats, in milliseconds.",
    );
    for row in &totals {
        let (agent, model) = (row.get::<String>("agent_id")?, row.get::<String>("model")?);
        let labels = [("agent_id", agent.as_str()), ("model", model.as_str())];
        out.sample(
            &format!("{latency}_sum"),
            &labels,
            row.get::<i64>("latency_ms_sum")?,
        );
        out.sample(
            &format!("{latency}_count"),
            &labels,
            row.get::<i64>("latency_count")?,
        );
    }

    let budget_gauges = [
        (
            "paperclip_agent_budget_cents",
            "budget_monthly_cents",
            "Monthly budget of the agent, in cents.",
        ),
        (
            "paperclip_agent_spent_cents",
            "spent_monthly_cents",
            "Spend of the agent this month, in cents.",
        ),
    ];
    for (family, column, help) in budget_gauges {
        out.family(family, "gauge", help);
        for row in &agents {
            let (agent, company) = (row.get::<String>("id")?, row.get::<String>("company_id")?);
            out.sample(
                family,
                &[("agent_id", &agent), ("company_id", &company)],
                row.get::<i64>(column)?,
            );
        }
    }

    let transitions = "paperclip_issue_status_changes_total";
    out.family(
        transitions,
        "counter",
        "Issues moved into a status, per company and new status.",
    );
    for row in &issue_counts {
        let (company, status) = (
            row.get::<String>("company_id")?,
            row.get::<String>("status")?,
        );
        out.sample(
            transitions,
            &[("company_id", &company), ("status", &status)],
            row.get::<i64>("transitions")?,
        );
    }

    out.family(
        "paperclip_alerts_firing",
        "gauge",
        "Alerts firing now (rule and agent pairs), see GET /api/modules/observability/alerts.",
    );
    out.sample("paperclip_alerts_firing", &[], firing);

    render_delivery(&mut out, &delivery);
    Ok(out.text)
}

/// The answer of the core call `hooks.delivery` (the fields the exposition uses).
#[derive(Debug, Deserialize)]
struct HookDelivery {
    outbox: Outbox,
    modules: Vec<ModuleDelivery>,
}

#[derive(Debug, Deserialize)]
struct Outbox {
    size: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModuleDelivery {
    module_id: String,
    lag_events: i64,
    /// `null` when nothing is waiting.
    oldest_undelivered_age_seconds: Option<f64>,
    retrying: i64,
    dead_letters: i64,
}

/// How a per-module gauge reads its value.
type ModuleGauge = fn(&ModuleDelivery) -> f64;

/// The hook delivery gauges: the outbox, then each module's delivery (by module id).
fn render_delivery(out: &mut Exposition, delivery: &HookDelivery) {
    out.family(
        "paperclip_hook_outbox_events",
        "gauge",
        "Hook events kept in the core's outbox.",
    );
    out.sample("paperclip_hook_outbox_events", &[], delivery.outbox.size);

    let per_module: [(&str, &str, ModuleGauge); 4] = [
        (
            "paperclip_module_hook_lag_events",
            "Hook events committed but not yet delivered to the module.",
            |d| d.lag_events as f64,
        ),
        (
            "paperclip_module_hook_oldest_undelivered_seconds",
            "Age of the oldest hook event not yet delivered to the module, in seconds (0 when none).",
            |d| d.oldest_undelivered_age_seconds.unwrap_or(0.0),
        ),
        (
            "paperclip_module_hook_dead_letters",
            "Hook events the module failed too often, kept as dead letters.",
            |d| d.dead_letters as f64,
        ),
        (
            "paperclip_module_hook_retrying",
            "Hook events that failed in the module and wait for another attempt.",
            |d| d.retrying as f64,
        ),
    ];
    for (family, help, value) in per_module {
        out.family(family, "gauge", help);
        for module in &delivery.modules {
            out.sample(family, &[("module", &module.module_id)], value(module));
        }
    }
}

/// Builds exposition text line by line.
#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    /// Starts a metric family: its `# HELP` and `# TYPE` lines.
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        // Writing to a String cannot fail.
        let _ = writeln!(self.text, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// One sample line: `name{label="value",…} value`.
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.text.push_str(name);
        if !labels.is_empty() {
            let labels: Vec<String> = labels
                .iter()
                .map(|(label, value)| format!("{label}=\"{}\"", escape_label_value(value)))
                .collect();
            let _ = write!(self.text, "{{{}}}", labels.join(","));
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// Escapes a label value: backslash, double quote and line feed, as the format requires.
/// Model names come from agents, so they may hold any of these.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes `# HELP` text: backslash and line feed (double quotes stay as they are).
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_newline() {
        assert_eq!(escape_label_value("a\\b \"c\"\nd"), "a\\\\b \\\"c\\\"\\nd");
        assert_eq!(escape_help("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");
    }

    #[test]
    fn hook_delivery_gauges_have_one_sample_per_module() {
        let delivery: HookDelivery = serde_json::from_value(serde_json::json!({
            "outbox": {"size": 12, "newestSeq": 40},
            "modules": [
                {"moduleId": "a", "state": "active", "retainsEvents": true, "cursor": 38,
                 "lagEvents": 2, "oldestUndeliveredAgeSeconds": 1.5, "retrying": 1, "deadLetters": 3},
                {"moduleId": "b", "state": "paused", "retainsEvents": false, "cursor": 40,
                 "lagEvents": 0, "oldestUndeliveredAgeSeconds": null, "retrying": 0, "deadLetters": 0}
            ]
        }))
        .unwrap();
        let mut out = Exposition::default();
        render_delivery(&mut out, &delivery);
        for line in [
            "# TYPE paperclip_hook_outbox_events gauge",
            "paperclip_hook_outbox_events 12",
            "paperclip_module_hook_lag_events{module=\"a\"} 2",
            "paperclip_module_hook_oldest_undelivered_seconds{module=\"a\"} 1.5",
            "paperclip_module_hook_oldest_undelivered_seconds{module=\"b\"} 0",
            "paperclip_module_hook_dead_letters{module=\"a\"} 3",
            "paperclip_module_hook_retrying{module=\"a\"} 1",
            "# TYPE paperclip_module_hook_retrying gauge",
        ] {
            assert!(
                out.text.lines().any(|l| l == line),
                "{line} in\n{}",
                out.text
            );
        }
    }

    #[test]
    fn families_and_samples_follow_the_text_format() {
        let mut out = Exposition::default();
        out.family("x_total", "counter", "An example.");
        out.sample("x_total", &[("agent_id", "a1"), ("model", "m\"1")], 5);
        out.sample("x_up", &[], 1.5);
        assert_eq!(
            out.text,
            "# HELP x_total An example.\n# TYPE x_total counter\n\
             x_total{agent_id=\"a1\",model=\"m\\\"1\"} 5\nx_up 1.5\n"
        );
    }
}
