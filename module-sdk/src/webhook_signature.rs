//! Verifying who sent a webhook: HMAC-SHA256 signature schemes with a timestamp tolerance.
//!
//! The host serves a module's webhooks without an API key (a payment provider cannot send one),
//! so **the module must check the sender's signature itself** before trusting a delivery. Most
//! providers sign the raw body (often with a timestamp) with a shared secret using HMAC-SHA256,
//! written in hex. Stripe's scheme is the reference case:
//!
//! - header `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` (other schemes such as
//!   `v0` are ignored; several `v1` appear while a secret is being rolled);
//! - signed payload `"{t}.{raw body}"`, key the endpoint secret (`whsec_…`, its bytes as written);
//! - a delivery is accepted when any `v1` matches (compared in constant time) and `t` is within
//!   the tolerance of now (default [`DEFAULT_TOLERANCE`], 300 s), which bounds replays.
//!
//! ```
//! use module_sdk::webhook_signature::{
//!     sign_stripe_payload, verify_stripe_signature, SignatureError, DEFAULT_TOLERANCE,
//! };
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//!
//! let secret = "whsec_test";
//! let body = br#"{"id":"evt_1","type":"invoice.paid"}"#;
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let header = sign_stripe_payload(body, secret, 1_700_000_000);
//!
//! assert_eq!(verify_stripe_signature(Some(&header), body, secret, DEFAULT_TOLERANCE, now), Ok(1_700_000_000));
//! assert_eq!(
//!     verify_stripe_signature(Some(&header), b"{}", secret, DEFAULT_TOLERANCE, now),
//!     Err(SignatureError::NoMatchingSignature)
//! );
//! let later = now + Duration::from_secs(301);
//! assert!(matches!(
//!     verify_stripe_signature(Some(&header), body, secret, DEFAULT_TOLERANCE, later),
//!     Err(SignatureError::TimestampOutsideTolerance { .. })
//! ));
//! assert_eq!(
//!     verify_stripe_signature(None, body, secret, DEFAULT_TOLERANCE, now),
//!     Err(SignatureError::MissingHeader)
//! );
//! # let _ = SystemTime::now();
//! ```
//!
//! Other schemes build on [`verify_hmac_sha256_hex`] (one hex signature over bytes you
//! assemble) and [`check_timestamp`].

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How far a signed timestamp may be from now, either way, by default: 300 s (Stripe's).
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The header Stripe signs its deliveries in (lower case, as [`crate::Request::header`] takes
/// any case).
pub const STRIPE_SIGNATURE_HEADER: &str = "stripe-signature";

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery's signature was not accepted. Answer it with 400 (or 401); its text names the
/// problem without revealing the expected signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// The request has no signature header.
    MissingHeader,
    /// The header is not in the scheme's format (what is wrong is said).
    Malformed(String),
    /// No signature in the header matches the payload under the secret.
    NoMatchingSignature,
    /// The signature matches but the signed timestamp is too far from now (a replay, or a
    /// clock far off).
    TimestampOutsideTolerance {
        /// The signed timestamp, Unix seconds.
        timestamp: i64,
        /// Now, Unix seconds.
        now: i64,
        /// The tolerance, seconds.
        tolerance_secs: u64,
    },
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::MissingHeader => f.write_str("the signature header is missing"),
            SignatureError::Malformed(why) => write!(f, "the signature header is malformed: {why}"),
            SignatureError::NoMatchingSignature => {
                f.write_str("no signature in the header matches the payload")
            }
            SignatureError::TimestampOutsideTolerance {
                timestamp,
                now,
                tolerance_secs,
            } => write!(
                f,
                "the signed timestamp {timestamp} is {} s from now ({now}), more than the tolerance of {tolerance_secs} s",
                timestamp.abs_diff(*now)
            ),
        }
    }
}

impl std::error::Error for SignatureError {}

impl From<SignatureError> for crate::Error {
    /// A signature problem is bad input: a route or webhook handler answering `Err` with it
    /// answers 400.
    fn from(e: SignatureError) -> Self {
        crate::Error::bad_request(e)
    }
}

/// The lower-case hex HMAC-SHA256 of `message` under `secret`.
///
/// ```
/// // RFC 4231, test case 2.
/// assert_eq!(
///     module_sdk::webhook_signature::hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
///     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
/// );
/// ```
pub fn hmac_sha256_hex(secret: &[u8], message: &[u8]) -> String {
    hex::encode(mac(secret, message).finalize().into_bytes())
}

/// Whether `signature_hex` (either case) is the HMAC-SHA256 of `message` under `secret`,
/// compared in constant time. A signature that is not hex, or not 32 bytes, does not match.
pub fn verify_hmac_sha256_hex(secret: &[u8], message: &[u8], signature_hex: &str) -> bool {
    match hex::decode(signature_hex.trim()) {
        Ok(signature) => mac(secret, message).verify_slice(&signature).is_ok(),
        Err(_) => false,
    }
}

fn mac(secret: &[u8], message: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac
}

/// Checks that `timestamp` (Unix seconds) is at most `tolerance` from `now`, either way.
pub fn check_timestamp(
    timestamp: i64,
    tolerance: Duration,
    now: SystemTime,
) -> Result<(), SignatureError> {
    let now = unix_seconds(now);
    if timestamp.abs_diff(now) > tolerance.as_secs() {
        return Err(SignatureError::TimestampOutsideTolerance {
            timestamp,
            now,
            tolerance_secs: tolerance.as_secs(),
        });
    }
    Ok(())
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// A parsed `Stripe-Signature` header: the timestamp and the `v1` signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeSignatureHeader {
    /// `t`: when Stripe signed, Unix seconds.
    pub timestamp: i64,
    /// Every `v1` value, in order.
    pub v1: Vec<String>,
}

impl StripeSignatureHeader {
    /// Parses `t=…,v1=…[,v1=…]`; unknown schemes (`v0`, …) are skipped. Malformed: an element
    /// without `=`, no `t` or more than one, a `t` that is not an integer, no `v1`.
    pub fn parse(header: &str) -> Result<StripeSignatureHeader, SignatureError> {
        let malformed = |why: &str| SignatureError::Malformed(why.to_string());
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for element in header.split(',') {
            let element = element.trim();
            let (name, value) = element
                .split_once('=')
                .ok_or_else(|| malformed("an element is not `name=value`"))?;
            match name.trim() {
                "t" => {
                    if timestamp.is_some() {
                        return Err(malformed("`t` appears more than once"));
                    }
                    let t = value
                        .trim()
                        .parse::<i64>()
                        .map_err(|_| malformed("`t` is not an integer"))?;
                    timestamp = Some(t);
                }
                "v1" => v1.push(value.trim().to_string()),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or_else(|| malformed("no timestamp `t`"))?;
        if v1.is_empty() {
            return Err(malformed("no `v1` signature"));
        }
        Ok(StripeSignatureHeader { timestamp, v1 })
    }
}

/// Verifies a Stripe-style signed delivery: `header` is the `Stripe-Signature` value
/// (`req.header(STRIPE_SIGNATURE_HEADER)`), `body` the raw body exactly as received, `secret`
/// the endpoint secret. Accepted when any `v1` is the hex HMAC-SHA256 of `"{t}.{body}"`
/// (constant-time comparison) and `t` is within `tolerance` of `now` (checked after the
/// signature, so an unsigned timestamp never says anything). Returns the signed timestamp.
pub fn verify_stripe_signature(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    tolerance: Duration,
    now: SystemTime,
) -> Result<i64, SignatureError> {
    let header = header.ok_or(SignatureError::MissingHeader)?;
    let parsed = StripeSignatureHeader::parse(header)?;
    let signed = stripe_signed_payload(parsed.timestamp, body);
    if !parsed
        .v1
        .iter()
        .any(|signature| verify_hmac_sha256_hex(secret.as_bytes(), &signed, signature))
    {
        return Err(SignatureError::NoMatchingSignature);
    }
    check_timestamp(parsed.timestamp, tolerance, now)?;
    Ok(parsed.timestamp)
}

/// The `Stripe-Signature` value for `body` signed with `secret` at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex>`. For tests and for tools that send webhooks.
pub fn sign_stripe_payload(body: &[u8], secret: &str, timestamp: i64) -> String {
    let signature = hmac_sha256_hex(secret.as_bytes(), &stripe_signed_payload(timestamp, body));
    format!("t={timestamp},v1={signature}")
}

/// `"{t}.{body}"`, the bytes Stripe signs.
fn stripe_signed_payload(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    signed
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_4eC39HqLyjWDarjtT1zdp7dc";
    const T: i64 = 1_700_000_000;

    fn at(seconds: i64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds as u64)
    }

    /// HMAC-SHA256 computed by the textbook construction over `sha2` alone (not the `hmac`
    /// crate the helper uses): H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)).
    fn independent_hmac_hex(key: &[u8], message: &[u8]) -> String {
        use sha2::Digest;
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
        let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
        let inner_hash = Sha256::new()
            .chain_update(&inner)
            .chain_update(message)
            .finalize();
        let outer_hash = Sha256::new()
            .chain_update(&outer)
            .chain_update(inner_hash)
            .finalize();
        outer_hash.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231_and_an_independent_construction() {
        // RFC 4231 test case 1 and 6 (a key longer than the block).
        assert_eq!(
            hmac_sha256_hex(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hmac_sha256_hex(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        for (key, message) in [
            (SECRET.as_bytes(), &b"1700000000.{\"id\":\"evt_1\"}"[..]),
            (&[7u8; 100][..], &b""[..]),
        ] {
            assert_eq!(
                hmac_sha256_hex(key, message),
                independent_hmac_hex(key, message)
            );
        }
    }

    #[test]
    fn generic_verification_takes_either_case_and_refuses_anything_else() {
        let signature = hmac_sha256_hex(b"k", b"m");
        assert!(verify_hmac_sha256_hex(b"k", b"m", &signature));
        assert!(verify_hmac_sha256_hex(
            b"k",
            b"m",
            &signature.to_ascii_uppercase()
        ));
        assert!(!verify_hmac_sha256_hex(b"k", b"m2", &signature));
        assert!(!verify_hmac_sha256_hex(b"k2", b"m", &signature));
        assert!(!verify_hmac_sha256_hex(b"k", b"m", &signature[..62]));
        assert!(!verify_hmac_sha256_hex(b"k", b"m", "zz"));
        assert!(!verify_hmac_sha256_hex(b"k", b"m", ""));
    }

    #[test]
    fn a_stripe_header_signed_independently_is_accepted() {
        let body = br#"{"id":"evt_1","object":"event","type":"invoice.paid"}"#;
        let mut signed = format!("{T}.").into_bytes();
        signed.extend_from_slice(body);
        let header = format!(
            "t={T},v1={}",
            independent_hmac_hex(SECRET.as_bytes(), &signed)
        );
        assert_eq!(sign_stripe_payload(body, SECRET, T), header);
        assert_eq!(
            verify_stripe_signature(Some(&header), body, SECRET, DEFAULT_TOLERANCE, at(T)),
            Ok(T)
        );
        // A body differing in one byte (even only in white space) is refused.
        let mut other = body.to_vec();
        other.push(b' ');
        assert_eq!(
            verify_stripe_signature(Some(&header), &other, SECRET, DEFAULT_TOLERANCE, at(T)),
            Err(SignatureError::NoMatchingSignature)
        );
        assert_eq!(
            verify_stripe_signature(Some(&header), body, "whsec_other", DEFAULT_TOLERANCE, at(T)),
            Err(SignatureError::NoMatchingSignature)
        );
    }

    #[test]
    fn any_v1_may_match_and_other_schemes_are_ignored() {
        let body = b"{}";
        let good = sign_stripe_payload(body, SECRET, T);
        let good_v1 = good.split_once(",v1=").unwrap().1;
        let rolled = format!(
            "t={T}, v0=abc, v1={}, v1={good_v1}",
            hmac_sha256_hex(b"old", b"x")
        );
        assert_eq!(
            verify_stripe_signature(Some(&rolled), body, SECRET, DEFAULT_TOLERANCE, at(T)),
            Ok(T)
        );
        let only_v0 = format!("t={T},v0={good_v1}");
        assert_eq!(
            verify_stripe_signature(Some(&only_v0), body, SECRET, DEFAULT_TOLERANCE, at(T)),
            Err(SignatureError::Malformed("no `v1` signature".into()))
        );
    }

    #[test]
    fn the_timestamp_must_be_within_the_tolerance_either_way() {
        let body = b"{}";
        let header = sign_stripe_payload(body, SECRET, T);
        let verify = |now: i64, tolerance: u64| {
            verify_stripe_signature(
                Some(&header),
                body,
                SECRET,
                Duration::from_secs(tolerance),
                at(now),
            )
        };
        assert_eq!(verify(T + 300, 300), Ok(T));
        assert_eq!(verify(T - 300, 300), Ok(T));
        assert_eq!(
            verify(T + 301, 300),
            Err(SignatureError::TimestampOutsideTolerance {
                timestamp: T,
                now: T + 301,
                tolerance_secs: 300
            })
        );
        assert!(verify(T - 301, 300).is_err());
        assert_eq!(verify(T + 3600, 7200), Ok(T));
        let message = verify(T + 301, 300).unwrap_err().to_string();
        assert_eq!(
            message,
            "the signed timestamp 1700000000 is 301 s from now (1700000301), more than the tolerance of 300 s"
        );
        // A bad signature is reported as such even when the timestamp is stale too.
        let forged = format!("t={},v1={}", T - 10_000, "00".repeat(32));
        assert_eq!(
            verify_stripe_signature(Some(&forged), body, SECRET, DEFAULT_TOLERANCE, at(T)),
            Err(SignatureError::NoMatchingSignature)
        );
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let cases = [
            ("", "an element is not `name=value`"),
            ("v1=00", "no timestamp `t`"),
            ("t=abc,v1=00", "`t` is not an integer"),
            ("t=1,t=2,v1=00", "`t` appears more than once"),
            ("t=1", "no `v1` signature"),
            ("t=1,garbage", "an element is not `name=value`"),
        ];
        for (header, why) in cases {
            assert_eq!(
                verify_stripe_signature(Some(header), b"", SECRET, DEFAULT_TOLERANCE, at(T)),
                Err(SignatureError::Malformed(why.into())),
                "{header}"
            );
        }
        assert_eq!(
            SignatureError::MissingHeader.to_string(),
            "the signature header is missing"
        );
        let error: crate::Error = SignatureError::NoMatchingSignature.into();
        assert_eq!(error.kind(), crate::abi::ErrorKind::BadRequest);
    }
}
