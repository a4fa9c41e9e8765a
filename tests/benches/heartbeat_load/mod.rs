//! Heartbeat load of the ingestion benches (`observability_ingest`, `analytics`): concurrent
//! clients posting heartbeats back to back, one per agent, and what one or more phases of that
//! measured.

#![allow(dead_code)] // Each bench uses its own subset.

use paperclip_e2e::bench_support::LatencyStats;
use paperclip_e2e::Value;
use std::time::{Duration, Instant};

/// Heartbeats posted in one or more phases.
#[derive(Default)]
pub struct Phases {
    /// Heartbeats the core accepted.
    pub posted: usize,
    /// Requests that failed.
    pub errors: usize,
    /// Time spent posting.
    pub elapsed: Duration,
    /// Time of each accepted request.
    pub latency: LatencyStats,
}

impl Phases {
    /// Adds another phase.
    pub fn add(&mut self, other: Phases) {
        self.posted += other.posted;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latency.merge(other.latency);
    }

    /// Heartbeats per second.
    pub fn rate(&self) -> f64 {
        self.posted as f64 / self.elapsed.as_secs_f64()
    }
}

/// One client per URL (an agent's heartbeat URL), posting heartbeats back to back for
/// `duration`; `body(worker, n)` is the body of client `worker`'s `n`-th heartbeat (from 1).
pub async fn post_heartbeats(
    urls: &[String],
    duration: Duration,
    body: impl Fn(usize, u64) -> Value,
) -> Phases {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let deadline = started + duration;
    let body = &body;
    let tasks = urls.iter().enumerate().map(|(worker, url)| {
        let client = client.clone();
        let url = url.clone();
        async move {
            let mut latency = LatencyStats::new();
            let mut errors = 0;
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let sent = Instant::now();
                match client.post(&url).json(&body(worker, n)).send().await {
                    Ok(response) if response.status() == reqwest::StatusCode::CREATED => {
                        let _ = response.bytes().await;
                        latency.record(sent.elapsed());
                    }
                    Ok(response) => {
                        errors += 1;
                        if errors <= 3 {
                            let status = response.status();
                            eprintln!(
                                "error {status}: {}",
                                response.text().await.unwrap_or_default()
                            );
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("request failed: {e}");
                        }
                    }
                }
            }
            (latency, errors)
        }
    });
    let outcomes = futures_util::future::join_all(tasks).await;
    let mut phase = Phases {
        elapsed: started.elapsed(),
        ..Phases::default()
    };
    for (latency, errors) in outcomes {
        phase.posted += latency.count();
        phase.errors += errors;
        phase.latency.merge(latency);
    }
    phase
}
