//! The `delivery` service: sends what is due, every `deliveryIntervalMs`.
//!
//! A run reads at most `maxSendsPerRun` pending deliveries whose time has come (the longest
//! waiting first), groups them by channel, and sends with up to `sendConcurrency` threads, each
//! taking one channel's deliveries in order, so a slow sink holds up only its own channel. Each
//! send has the `sendTimeoutSeconds` limit; a run starts no send that could end past
//! [`RUN_BUDGET`], well within the host's time limit for a service run (60 s). A failed send is
//! retried with exponential backoff (see [`crate::backoff`]); once one of a channel's sends
//! failed, its other deliveries wait for the next run instead of failing behind it. After
//! `maxAttempts` a delivery is `failed` with its last error.
//!
//! A delivery is given up at once (`failed`, no send) when its company is one the module is no
//! longer enabled for, or its channel was disabled since it was queued. The host never runs the
//! service twice at once, so a delivery is never sent by two runs; a crash between a send and its
//! record sends it again (at least once).

use crate::backoff::{self, AfterFailure};
use crate::channel::Channel;
use crate::channel_store;
use crate::clock;
use crate::company_access::{self, Companies};
use crate::delivery::DueDelivery;
use crate::delivery_store::{self, Outcome};
use crate::outgoing::Outgoing;
use crate::Notifications;
use module_sdk::{Error, ModuleContext, Result};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The longest a run keeps starting sends.
pub const RUN_BUDGET: Duration = Duration::from_secs(40);

/// One channel's share of a run.
struct ChannelWork {
    channel: Option<Channel>,
    deliveries: Vec<DueDelivery>,
}

/// One run of the service.
pub fn run(m: &Notifications, ctx: &ModuleContext) -> Result<()> {
    let started = Instant::now();
    let due = delivery_store::due(ctx, clock::now_ms(), m.config.max_sends_per_run)?;
    if due.is_empty() {
        return Ok(());
    }
    let companies = company_access::enabled_companies(ctx)?;
    let mut by_channel: BTreeMap<String, Vec<DueDelivery>> = BTreeMap::new();
    for delivery in due {
        by_channel
            .entry(delivery.channel_id.clone())
            .or_default()
            .push(delivery);
    }
    let mut work = VecDeque::new();
    for (channel_id, deliveries) in by_channel {
        work.push_back(ChannelWork {
            channel: channel_store::get(ctx, &channel_id)?,
            deliveries,
        });
    }
    let threads = (m.config.send_concurrency.max(1) as usize).min(work.len());
    let work = Mutex::new(work);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(next) = work
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front()
                {
                    if let Err(e) = send_channel(m, ctx, &companies, next, started) {
                        first_error
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .get_or_insert(e);
                    }
                }
            });
        }
    });
    match first_error
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
    {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Sends one channel's due deliveries in order, until one fails or the run's budget is spent.
fn send_channel(
    m: &Notifications,
    ctx: &ModuleContext,
    companies: &Companies,
    work: ChannelWork,
    started: Instant,
) -> Result<()> {
    for delivery in work.deliveries {
        if started.elapsed() + m.sender.timeout() > RUN_BUDGET {
            return Ok(());
        }
        let attempts = delivery.attempts + 1;
        let outcome = attempt(m, companies, work.channel.as_ref(), &delivery, attempts);
        delivery_store::record(ctx, &delivery.id, attempts, &outcome, clock::now_ms())?;
        match &outcome {
            Outcome::Sent => {}
            Outcome::Retry { error, .. } => {
                ctx.log().info(format!(
                    "delivery {} to channel {} failed (attempt {attempts}), will retry: {error}",
                    delivery.id, delivery.channel_id
                ));
                return Ok(());
            }
            Outcome::Failed { error } => {
                ctx.log().warn(format!(
                    "delivery {} to channel {} failed for good after {attempts} attempts: {error}",
                    delivery.id, delivery.channel_id
                ));
            }
        }
    }
    Ok(())
}

/// Tries one delivery (or gives it up without sending) and says what became of it.
fn attempt(
    m: &Notifications,
    companies: &Companies,
    channel: Option<&Channel>,
    delivery: &DueDelivery,
    attempts: i64,
) -> Outcome {
    let Some(channel) = channel else {
        return Outcome::Failed {
            error: "the channel no longer exists".into(),
        };
    };
    if !companies.includes(&delivery.company_id) {
        return Outcome::Failed {
            error: format!(
                "not sent: the module is not enabled for company `{}`",
                delivery.company_id
            ),
        };
    }
    if !channel.enabled {
        return Outcome::Failed {
            error: "not sent: the channel was disabled".into(),
        };
    }
    let payload: Value = serde_json::from_str(&delivery.payload).unwrap_or(Value::Null);
    let out = Outgoing {
        hook: &delivery.hook,
        event_id: &delivery.event_id,
        company_id: &delivery.company_id,
        subject: delivery
            .subject
            .as_deref()
            .unwrap_or("[Paperclip] notification"),
        message: &delivery.message,
        payload: &payload,
    };
    match m.sender.send(channel, &out) {
        Ok(()) => Outcome::Sent,
        Err(error) => match backoff::after_failure(&m.config, attempts) {
            AfterFailure::RetryIn(ms) => Outcome::Retry {
                error,
                next_attempt_at: clock::now_ms() + ms,
            },
            AfterFailure::GiveUp => Outcome::Failed { error },
        },
    }
}
