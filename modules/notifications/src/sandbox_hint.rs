//! What a send error means at the `process` isolation level. There the module runs in a
//! sandboxed child with an empty environment whose filesystem rules leave it only its bundle
//! and the system libraries: outbound connections work, but `/etc/hosts` and
//! `/etc/resolv.conf` cannot be read, so host names do not resolve (IP addresses do), and
//! `$NAME` secrets come from the config's `secrets` only (see [`crate::secret`]). A name
//! resolution failure there gets a hint saying so instead of a bare resolver error.

/// Whether this process looks like the `process` level's child: its environment is empty
/// (the host starts the child with none; a server process always has some).
pub fn sandboxed() -> bool {
    std::env::vars_os().next().is_none()
}

/// `error`, with the sandbox's explanation when it is a name resolution failure in the sandbox.
pub fn explain(error: String, sandboxed: bool) -> String {
    let lowered = error.to_ascii_lowercase();
    let resolution = [
        "lookup address",
        "name resolution",
        "host not found",
        "resolve",
    ]
    .iter()
    .any(|needle| lowered.contains(needle));
    if sandboxed && resolution {
        format!(
            "{error} (the module runs at the process isolation level, whose sandbox cannot read \
             /etc/hosts or /etc/resolv.conf: host names do not resolve there; use an IP address \
             or run the module at the threaded level with modules.isolation.notifications)"
        )
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_resolution_failures_in_the_sandbox_get_the_hint() {
        let failure = "request failed: io: failed to lookup address information".to_string();
        assert!(explain(failure.clone(), true).contains("process isolation level"));
        assert_eq!(explain(failure.clone(), false), failure);
        assert_eq!(explain("HTTP 500".into(), true), "HTTP 500");
        assert!(!sandboxed(), "tests run with an environment");
    }
}
