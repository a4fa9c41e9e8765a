//! When a crashed module process is started again: after an exponential backoff (100 ms,
//! doubling up to 10 s), unless it crashed too often lately (5 times within 60 s), in which case
//! the module is given up until it is enabled anew.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The restart rules of module processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Wait before the first restart after a quiet period. Default 100 ms.
    pub initial_backoff: Duration,
    /// Longest wait between restarts. Default 10 s.
    pub max_backoff: Duration,
    /// Crashes within [`RestartPolicy::window`] after which the module is given up. Default 5.
    pub max_crashes: u32,
    /// The period crashes are counted in. Default 60 s.
    pub window: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            max_crashes: 5,
            window: Duration::from_secs(60),
        }
    }
}

impl RestartPolicy {
    /// The wait before restarting after the `crash_count`-th crash of the window (1 = first).
    pub fn backoff(&self, crash_count: u32) -> Duration {
        let doublings = crash_count.saturating_sub(1).min(30);
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

/// What to do after a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashVerdict {
    /// Start the child again after this wait.
    RestartAfter(Duration),
    /// Too many crashes within the window: this many.
    GiveUp(u32),
}

/// The recent crashes of one module's process.
#[derive(Debug, Default)]
pub struct CrashHistory {
    times: VecDeque<Instant>,
}

impl CrashHistory {
    /// Records a crash at `now` and says what to do.
    pub fn record(&mut self, now: Instant, policy: &RestartPolicy) -> CrashVerdict {
        while self
            .times
            .front()
            .is_some_and(|&t| now.duration_since(t) > policy.window)
        {
            self.times.pop_front();
        }
        self.times.push_back(now);
        let count = self.times.len() as u32;
        if count >= policy.max_crashes {
            CrashVerdict::GiveUp(count)
        } else {
            CrashVerdict::RestartAfter(policy.backoff(count))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_cap() {
        let policy = RestartPolicy::default();
        let waits: Vec<_> = (1..=9).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000]);
    }

    #[test]
    fn the_fifth_crash_within_a_minute_gives_up() {
        let policy = RestartPolicy::default();
        let mut history = CrashHistory::default();
        let start = Instant::now();
        let verdicts: Vec<_> = (0..5)
            .map(|i| history.record(start + Duration::from_secs(i), &policy))
            .collect();
        assert_eq!(
            verdicts[..4],
            [100, 200, 400, 800].map(|ms| CrashVerdict::RestartAfter(Duration::from_millis(ms)))
        );
        assert_eq!(verdicts[4], CrashVerdict::GiveUp(5));
    }

    #[test]
    fn old_crashes_are_forgotten() {
        let policy = RestartPolicy::default();
        let mut history = CrashHistory::default();
        let start = Instant::now();
        for i in 0..4 {
            history.record(start + Duration::from_secs(i), &policy);
        }
        let later = start + Duration::from_secs(120);
        assert_eq!(
            history.record(later, &policy),
            CrashVerdict::RestartAfter(Duration::from_millis(100))
        );
    }
}
