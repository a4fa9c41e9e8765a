//! Capabilities: what a module may do beyond its own tables — the core writes it may make
//! through the host, and `webhooks` (being called from outside without an API key) — each
//! granted by the operator (`modules.grants.<id>` in the config, or
//! `PUT /api/admin/modules/{id}/grants`).
//!
//! A module lists the capabilities it needs in its manifest, each with the reason shown to the
//! operator:
//!
//! ```json
//! "capabilities": [
//!   { "name": "issues.create", "reason": "creates the follow-up issues your rules describe" },
//!   "agents.pause"
//! ]
//! ```
//!
//! A core write's capability is named after the core method it unlocks ([`crate::Core::call`]);
//! the host refuses such a call, with an error naming the capability, when it was not granted.
//! A module that asks for a capability the operator has not granted does not start
//! (`awaiting_approval`), unless the manifest marks it `"optional": true`: the module then runs
//! without it, and what it unlocks is off until it is granted (at once, no restart):
//!
//! ```json
//! "capabilities": [
//!   { "name": "webhooks", "reason": "receives Stripe payment events", "optional": true }
//! ]
//! ```
//!
//! `webhooks` unlocks the module's inbound webhooks ([`crate::Registrar::webhook`]): without
//! it they answer 404.

use std::fmt;
use std::str::FromStr;

/// One core write a module may be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// `issues.create`: create issues ([`crate::Core::create_issue`]).
    IssuesCreate,
    /// `issues.update`: change an issue's title, description, status, priority, assignee,
    /// project, goal or parent ([`crate::Core::update_issue`]).
    IssuesUpdate,
    /// `agents.pause`: pause an agent ([`crate::Core::pause_agent`]).
    AgentsPause,
    /// `agents.resume`: resume a paused agent ([`crate::Core::resume_agent`]).
    AgentsResume,
    /// `webhooks`: be called from outside, without an API key, at
    /// `POST /webhooks/<module-id>/<key>` for each webhook of the manifest
    /// ([`crate::Registrar::webhook`]). Not a core method.
    Webhooks,
}

impl Capability {
    /// Every capability, in the order documentation and error messages list them.
    pub const ALL: [Capability; 5] = [
        Capability::IssuesCreate,
        Capability::IssuesUpdate,
        Capability::AgentsPause,
        Capability::AgentsResume,
        Capability::Webhooks,
    ];

    /// Its name, also the core method it unlocks, e.g. `issues.create`.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::IssuesCreate => "issues.create",
            Capability::IssuesUpdate => "issues.update",
            Capability::AgentsPause => "agents.pause",
            Capability::AgentsResume => "agents.resume",
            Capability::Webhooks => "webhooks",
        }
    }

    /// What granting it allows, in words for the operator.
    pub fn description(self) -> &'static str {
        match self {
            Capability::IssuesCreate => "create issues in the companies the module is enabled for",
            Capability::IssuesUpdate => {
                "change issues (title, description, status, priority, assignee, project, goal, parent)"
            }
            Capability::AgentsPause => "pause agents",
            Capability::AgentsResume => "resume paused agents",
            Capability::Webhooks => {
                "receive inbound webhooks from outside, without an API key (POST /webhooks/<module-id>/<key>)"
            }
        }
    }

    /// Whether it unlocks a core write (a method of [`crate::Core::call`]).
    pub fn is_core_write(self) -> bool {
        self != Capability::Webhooks
    }

    /// The capability a core method needs, if it is a write.
    pub fn of_method(method: &str) -> Option<Capability> {
        method
            .parse()
            .ok()
            .filter(|capability: &Capability| capability.is_core_write())
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Capability {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "unknown capability `{name}`; capabilities are {}",
                    Capability::ALL.map(Capability::as_str).join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known_ones() {
        for capability in Capability::ALL {
            assert_eq!(capability.as_str().parse::<Capability>(), Ok(capability));
        }
        let err = "issues.delete".parse::<Capability>().unwrap_err();
        assert!(
            err.contains("issues.delete") && err.contains("agents.resume"),
            "{err}"
        );
        assert_eq!(Capability::of_method("issues.list"), None);
        assert_eq!(
            Capability::of_method("agents.pause"),
            Some(Capability::AgentsPause)
        );
        assert_eq!("webhooks".parse(), Ok(Capability::Webhooks));
        assert_eq!(Capability::of_method("webhooks"), None);
    }
}
