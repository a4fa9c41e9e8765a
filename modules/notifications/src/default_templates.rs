//! The message of each hook when a channel sets no template. Placeholders are paths into the
//! event's context (see [`crate::event`]): the payload, plus `agent` for the hooks whose
//! payload names only an `agentId`.

use module_sdk::Hook;

/// The default template of `hook`.
pub const fn default_template(hook: Hook) -> &'static str {
    match hook {
        Hook::ServerStarted => "Paperclip server started on port {{port}}",
        Hook::AgentCreated => "Agent {{agent.name}} ({{agent.role}}) was created",
        Hook::AgentUpdated => "Agent {{agent.name}} was updated",
        Hook::AgentDeleted => "Agent {{agent.name}} was deleted",
        Hook::AgentHeartbeat => "Agent {{agent.name}} checked in",
        Hook::AgentStatusChanged => "Agent {{agent.name}} is now {{to}} (was {{from}})",
        Hook::IssueCreated => "{{issue.identifier}} created: {{issue.title}}",
        Hook::IssueStatusChanged => "{{issue.identifier}} {{issue.title}} is now {{to}} (was {{from}})",
        Hook::IssueAssigned => "{{issue.identifier}} {{issue.title}} was assigned to {{agent.name}}",
        Hook::GoalCreated => "Goal created: {{goal.title}}",
        Hook::GoalCompleted => "Goal completed: {{goal.title}}",
        Hook::BudgetSpendRecorded => {
            "Agent {{agent.name}} spent {{amount}} cents ({{total}} cents this month)"
        }
        Hook::BudgetThresholdCrossed => {
            "Agent {{agent.name}} reached {{percent}}% of its monthly budget ({{spent}} of {{budget}} cents)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Template;
    use serde_json::json;

    #[test]
    fn every_default_parses_and_reads_well() {
        for hook in Hook::ALL {
            Template::parse(default_template(hook)).unwrap();
        }
        let context = json!({
            "issue": {"identifier": "PC-7", "title": "Ship it"}, "from": "todo", "to": "done"
        });
        let t = Template::parse(default_template(Hook::IssueStatusChanged)).unwrap();
        assert_eq!(t.render(&context), "PC-7 Ship it is now done (was todo)");
    }
}
