//! Checking a bundle's signature before its library is opened — at start, on rescan, on
//! enable: every load. The signature must hold for a key in `modules.trustedKeys` and every
//! file of the bundle must be the one signed (`paperclip_bundle_signing` does the checking);
//! this file applies `modules.signatures` to the outcome: under `required` a bundle that is
//! not verified is refused (status `unverified`, the reason naming the file), under `warn` it
//! loads and its view says what is wrong, under `off` nothing is read.

use super::module_status::{ModuleStatus, StatusReason};
use paperclip_bundle_signing::{verify_folder, TrustedKeys, Verification, VerificationState};
use paperclip_core::signature_policy::SignatureEnforcement;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, Instant};

/// The outcome of checking one bundle folder under the policy in force.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// The policy it was checked under.
    pub enforcement: SignatureEnforcement,
    /// What verification found (`None` under `off`: nothing was checked).
    pub verification: Option<Verification>,
    /// How long it took (reading and hashing every file of the bundle).
    pub took: Duration,
}

/// A module's signature as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureView {
    /// `verified`, `unsigned`, `untrusted`, `invalid`, or `unchecked` (policy `off`).
    pub state: String,
    /// The key the bundle's signature file names.
    pub key_id: Option<String>,
    /// What is wrong, naming the file (`null` when verified or unchecked).
    pub problem: Option<String>,
    /// The policy in force (`required`, `warn`, `off`).
    pub policy: SignatureEnforcement,
}

impl SignatureCheck {
    /// Checks the bundle in `dir` (nothing is read under `off`).
    pub fn run(
        dir: &Path,
        enforcement: SignatureEnforcement,
        trusted: &TrustedKeys,
    ) -> SignatureCheck {
        let started = Instant::now();
        let verification =
            (enforcement != SignatureEnforcement::Off).then(|| verify_folder(dir, trusted));
        SignatureCheck {
            enforcement,
            verification,
            took: started.elapsed(),
        }
    }

    /// Whether the bundle is verified.
    pub fn is_verified(&self) -> bool {
        self.verification
            .as_ref()
            .is_some_and(|v| v.state == VerificationState::Verified)
    }

    /// What is wrong, when something is (never under `off`).
    pub fn problem(&self) -> Option<String> {
        self.verification.as_ref().and_then(Verification::problem)
    }

    /// Why the module may not load: under `required`, anything but a verified bundle.
    pub fn refusal(&self) -> Option<StatusReason> {
        if self.enforcement != SignatureEnforcement::Required || self.is_verified() {
            return None;
        }
        let problem = self.problem().unwrap_or_else(|| "not verified".to_string());
        Some(StatusReason::new(
            ModuleStatus::Unverified,
            format!("{problem}; modules.signatures is required"),
        ))
    }

    /// The admin view of this check.
    pub fn view(&self) -> SignatureView {
        SignatureView {
            state: self
                .verification
                .as_ref()
                .map_or("unchecked", |v| v.state.as_str())
                .to_string(),
            key_id: self.verification.as_ref().and_then(|v| v.key_id.clone()),
            problem: self.problem(),
            policy: self.enforcement,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paperclip_bundle_signing::{sign_folder, SecretKey};

    fn bundle() -> (tempfile::TempDir, TrustedKeys) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("paperclip.module.json"),
            r#"{"id": "m", "name": "M", "version": "1.0.0", "library": "m"}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("libm.so"), b"code").unwrap();
        let key = SecretKey::generate().unwrap();
        sign_folder(dir.path(), &key).unwrap();
        (dir, TrustedKeys::from_keys([key.public_key()]))
    }

    #[test]
    fn required_refuses_what_is_not_verified_and_warn_reports_it() {
        let (dir, trusted) = bundle();
        let verified = SignatureCheck::run(dir.path(), SignatureEnforcement::Required, &trusted);
        assert!(verified.refusal().is_none());
        assert_eq!(verified.view().state, "verified");

        let stranger = TrustedKeys::default();
        let refused = SignatureCheck::run(dir.path(), SignatureEnforcement::Required, &stranger);
        let reason = refused.refusal().unwrap();
        assert_eq!(reason.status, ModuleStatus::Unverified);
        assert!(
            reason.reason.contains("not in modules.trustedKeys"),
            "{reason}"
        );
        assert!(
            reason.reason.ends_with("modules.signatures is required"),
            "{reason}"
        );

        let warned = SignatureCheck::run(dir.path(), SignatureEnforcement::Warn, &stranger);
        assert!(warned.refusal().is_none());
        let view = warned.view();
        assert_eq!(view.state, "untrusted");
        assert!(view.key_id.is_some() && view.problem.is_some(), "{view:?}");

        let off = SignatureCheck::run(dir.path(), SignatureEnforcement::Off, &stranger);
        assert!(off.refusal().is_none());
        assert_eq!(off.view().state, "unchecked");
        assert_eq!(off.view().problem, None);
    }
}
