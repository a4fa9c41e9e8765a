//! The module host's hook-delivery operations: each module's delivery in its view, and its
//! dead letters (listed, replayed).

use super::{ModuleHost, ModuleOpError};
use crate::delivery_view::delivery_view;
use crate::executor::DeliveryStatus;
use crate::manifest::DeliveryMode;
use crate::module_view::ModuleView;
use paperclip_core::hooks::hook_dead_letters::{self, DeadLetter, DeadLetterState};

/// What a module view's delivery is worked out from, taken while the host's state is locked.
pub(super) struct DeliverySource {
    pub mode: DeliveryMode,
    pub catch_up: bool,
    pub live: Option<DeliveryStatus>,
}

impl ModuleHost {
    /// Fills each view's `delivery` (modules with hooks) from the database, outside the host's
    /// lock. A database error leaves it `null`.
    pub(super) fn add_delivery(
        &self,
        views: Vec<(ModuleView, Option<DeliverySource>)>,
    ) -> Vec<ModuleView> {
        let mut conn = self.core.db().conn().ok();
        let leases = if self.cluster.is_coordinated() {
            self.work_leases()
                .map_err(|error| tracing::warn!(%error, "module leases not read"))
                .ok()
        } else {
            None
        };
        views
            .into_iter()
            .map(|(mut view, source)| {
                if let (Some(work), Some(leases)) = (view.work.take(), leases.as_deref()) {
                    view.work = Some(self.work_lease_view(&view.id, work.services, Some(leases)));
                }
                if let (Some(source), Some(conn)) = (source, conn.as_mut()) {
                    view.delivery = delivery_view(
                        conn,
                        &view.id,
                        source.mode,
                        source.catch_up,
                        source.live.as_ref(),
                    )
                    .map_err(|error| tracing::warn!(module = %view.id, %error, "delivery view"))
                    .ok()
                    .map(Box::new);
                }
                view
            })
            .collect()
    }

    /// The module's failed hook events (dead and still retrying), oldest first.
    pub fn dead_letters(&self, id: &str) -> Result<Vec<DeadLetter>, ModuleOpError> {
        self.folder_for_op(id)?;
        self.with_conn(|conn| hook_dead_letters::list(conn, id, None))
            .map_err(ModuleOpError::Database)
    }

    /// Replays a dead letter of the module: its attempts start again (at once when the module
    /// runs, else when it is next enabled). Refused for an event still being retried.
    pub fn replay_dead_letter(
        &self,
        id: &str,
        event_id: &str,
    ) -> Result<DeadLetter, ModuleOpError> {
        let _op = self.ops.lock();
        self.folder_for_op(id)?;
        let missing = || ModuleOpError::NoSuchDeadLetter {
            module: id.to_string(),
            event_id: event_id.to_string(),
        };
        let letter = self
            .with_conn(|conn| hook_dead_letters::get(conn, id, event_id))
            .map_err(ModuleOpError::Database)?
            .ok_or_else(missing)?;
        if letter.state != DeadLetterState::Dead {
            return Err(ModuleOpError::StillRetrying {
                event_id: event_id.to_string(),
                attempts: letter.attempts,
            });
        }
        let rearmed = self
            .with_conn(|conn| hook_dead_letters::rearm(conn, id, event_id))
            .map_err(ModuleOpError::Database)?
            .ok_or_else(missing)?;
        let state = self.state.lock();
        let delivery = state
            .owner(id)
            .and_then(|record| record.runtime.as_ref())
            .and_then(|runtime| runtime.executor.delivery().cloned());
        drop(state);
        if let Some(delivery) = delivery {
            delivery.replay(&rearmed);
        }
        Ok(rearmed)
    }
}

/// The view of a dead letter in the admin API.
pub fn dead_letter_json(letter: &DeadLetter) -> serde_json::Value {
    let payload: serde_json::Value =
        serde_json::from_str(&letter.event.payload).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "eventId": letter.event.event_id,
        "seq": letter.event.seq,
        "hook": letter.event.hook.as_str(),
        "payload": payload,
        "state": letter.state.as_str(),
        "attempts": letter.attempts,
        "lastError": letter.last_error,
        "firstFailedAt": letter.first_failed_at.and_utc().to_rfc3339(),
        "lastFailedAt": letter.last_failed_at.and_utc().to_rfc3339(),
    })
}
