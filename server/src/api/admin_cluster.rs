//! `GET /api/admin/cluster`: this replica, every replica on the database (heartbeat, address,
//! version) and who holds each module's lease — the replica running that module's services and
//! at-least-once hook delivery.

use super::admin_modules::{run_op, AdminError};
use crate::module_host::ModuleOpError;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use paperclip_core::cluster::replicas;
use paperclip_core::db::to_rfc3339;
use serde_json::{json, Value};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/cluster", web::get().to(cluster));
}

async fn cluster(state: web::Data<AppState>) -> Result<HttpResponse, AdminError> {
    let db = state.core.db().clone();
    run_op(&state, move |host| {
        let me = host.cluster().replica_id().to_string();
        let mut conn = db
            .conn()
            .map_err(|e| ModuleOpError::Database(e.to_string()))?;
        let rows =
            replicas::list(&mut conn).map_err(|e| ModuleOpError::Database(e.to_string()))?;
        let leases = host.work_leases()?;
        let replicas: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "replicaId": r.replica_id,
                    "thisReplica": r.replica_id == me,
                    "host": r.host,
                    "pid": r.pid,
                    "address": r.address,
                    "version": r.version,
                    "startedAt": to_rfc3339(&r.started_at),
                    "heartbeatAt": to_rfc3339(&r.heartbeat_at),
                    "moduleLeases": leases.iter().filter(|(_, l)| l.holder == r.replica_id).map(|(id, _)| id.clone()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let leases: Vec<Value> = leases
            .iter()
            .map(|(id, lease)| {
                json!({
                    "moduleId": id,
                    "holder": lease.holder,
                    "acquiredAt": to_rfc3339(&lease.acquired_at),
                    "expiresAt": to_rfc3339(&lease.expires_at),
                })
            })
            .collect();
        Ok(json!({
            "replica": me,
            "coordinated": host.cluster().is_coordinated(),
            "leaseMs": host.cluster().lease_ttl().as_millis() as u64,
            "replicas": replicas,
            "leases": leases,
        }))
    })
    .await
}
