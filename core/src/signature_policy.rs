//! `modules.signatures`: what the module host does with a bundle that is not signed by a
//! trusted key, or whose files changed after signing. `auto` (the default) is resolved when
//! the server starts, from the address it binds: `warn` on loopback, `required` beyond it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// The policy as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignaturePolicy {
    /// `warn` when the server binds a loopback address, `required` when it binds beyond it
    /// (and `warn` for commands that run no listener, such as `db migrate`).
    #[default]
    Auto,
    /// Only bundles signed by a key in `modules.trustedKeys`, with every file as signed, are
    /// installed and loaded.
    Required,
    /// Every bundle loads; an unsigned, untrusted or changed one is reported (module view,
    /// Modules page, log).
    Warn,
    /// Signatures are not checked.
    Off,
}

/// The policy in force: [`SignaturePolicy`] with `auto` resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureEnforcement {
    /// Refuse unsigned, untrusted and changed bundles.
    Required,
    /// Load them, and say so.
    Warn,
    /// Do not check.
    Off,
}

impl SignaturePolicy {
    /// The policy in force for a server bound to `bind`.
    pub fn for_bind(self, bind: IpAddr) -> SignatureEnforcement {
        match self {
            SignaturePolicy::Auto if bind.is_loopback() => SignatureEnforcement::Warn,
            SignaturePolicy::Auto => SignatureEnforcement::Required,
            other => other.without_listener(),
        }
    }

    /// The policy in force for a command that serves nothing on the network (`auto` → `warn`).
    pub fn without_listener(self) -> SignatureEnforcement {
        match self {
            SignaturePolicy::Auto | SignaturePolicy::Warn => SignatureEnforcement::Warn,
            SignaturePolicy::Required => SignatureEnforcement::Required,
            SignaturePolicy::Off => SignatureEnforcement::Off,
        }
    }
}

impl SignatureEnforcement {
    /// The name used in configs and the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureEnforcement::Required => "required",
            SignatureEnforcement::Warn => "warn",
            SignatureEnforcement::Off => "off",
        }
    }
}

impl fmt::Display for SignatureEnforcement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_the_bind_address() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let v6_loopback: IpAddr = "::1".parse().unwrap();
        let everywhere: IpAddr = "0.0.0.0".parse().unwrap();
        assert_eq!(
            SignaturePolicy::Auto.for_bind(loopback),
            SignatureEnforcement::Warn
        );
        assert_eq!(
            SignaturePolicy::Auto.for_bind(v6_loopback),
            SignatureEnforcement::Warn
        );
        assert_eq!(
            SignaturePolicy::Auto.for_bind(everywhere),
            SignatureEnforcement::Required
        );
        assert_eq!(
            SignaturePolicy::Off.for_bind(everywhere),
            SignatureEnforcement::Off
        );
        assert_eq!(
            SignaturePolicy::Required.for_bind(loopback),
            SignatureEnforcement::Required
        );
        assert_eq!(
            SignaturePolicy::Auto.without_listener(),
            SignatureEnforcement::Warn
        );
    }

    #[test]
    fn names_parse_and_unknown_ones_are_refused() {
        let policy: SignaturePolicy = serde_json::from_str("\"required\"").unwrap();
        assert_eq!(policy, SignaturePolicy::Required);
        let err = serde_json::from_str::<SignaturePolicy>("\"strict\"").unwrap_err();
        assert!(
            err.to_string().contains("auto, required, warn, off")
                || err.to_string().contains("`auto`"),
            "{err}"
        );
    }
}
