//! `GET /metrics`: the Prometheus text exposition format (version 0.0.4), for a scraper.
//!
//! Counters come from the running totals (`mod_observability_usage_totals`,
//! `mod_observability_issue_status_counts`), which retention never prunes, so they only go up;
//! gauges come from the core's `agents` table and the alert rules. The same text is served on
//! the module's own listener when `enablePrometheus` is set (see [`crate::prometheus_listener`]).

use crate::alerts::fired_alerts;
use crate::Observability;
use module_sdk::{ModuleContext, Request, Response, Result};
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
    Ok(out.text)
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
