//! Waiting for something asynchronous (a hook delivered, a module started) in a test.

use std::time::{Duration, Instant};

/// Polls `probe` every 25 ms until it returns `Some`, and returns that value.
///
/// # Panics
/// After `timeout`, naming `what`.
pub fn wait_until<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}
