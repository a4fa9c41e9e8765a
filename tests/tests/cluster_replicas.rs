//! Several replicas of the real server on one PostgreSQL database (issue 17), each a
//! `paperclipai` process with its own modules folder: module state changed through one replica
//! applies on the others (`LISTEN/NOTIFY`), a store install on one is laid out and loaded by
//! the others, a module's service runs on one replica at a time and moves when that replica is
//! killed, and each hook event reaches an at-least-once module once across the replicas — none
//! missing after the delivery's owner is killed mid-burst. And: a second server on one SQLite
//! data directory is refused. The PostgreSQL tests are skipped when
//! `PAPERCLIP_TEST_DATABASE_URL` is not set.

mod modules_support;
mod store_support;

use modules_support::wait_for_status;
use paperclip_e2e::{find_bundle, wait_until, ServerOptions, TestBackend, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};
use store_support::{module_entry, Store};

/// The lease time of these tests (a dead replica's work moves within it).
const LEASE_MS: u64 = 2000;

/// How long a change made through one replica may take to show on another (the issue's goal
/// is 1 s; 2 s leaves room for a loaded CI machine).
const PROPAGATION: Duration = Duration::from_secs(2);

fn options(extra: Value) -> ServerOptions {
    // Small pools: three replicas per test, two tests at a time, on one PostgreSQL server.
    let mut config = json!({
        "cluster": { "leaseMs": LEASE_MS },
        "database": { "poolSize": 4 },
    });
    if let (Some(config), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            config.insert(key.clone(), value.clone());
        }
    }
    ServerOptions::new()
        .config(config)
        .module("replica-probe")
        .trust_dev_signing_key()
}

/// Replicas on one database, stopped last-first (the first one owns the test database, which
/// is dropped with it).
struct Replicas(Vec<TestServer>);

impl Drop for Replicas {
    fn drop(&mut self) {
        while let Some(replica) = self.0.pop() {
            drop(replica);
        }
    }
}

impl std::ops::Deref for Replicas {
    type Target = Vec<TestServer>;
    fn deref(&self) -> &Vec<TestServer> {
        &self.0
    }
}

impl std::ops::DerefMut for Replicas {
    fn deref_mut(&mut self) -> &mut Vec<TestServer> {
        &mut self.0
    }
}

/// Three replicas on one fresh PostgreSQL database: the first creates it, the others join it.
fn three_replicas(admin_url: &str, extra: Value) -> Replicas {
    let first = TestServer::start(
        TestBackend::Postgres {
            admin_url: admin_url.to_string(),
        },
        options(extra.clone()),
    );
    let url = first.database_url().expect("a database").to_string();
    let mut replicas = vec![first];
    for _ in 0..2 {
        replicas.push(TestServer::start(
            TestBackend::Sqlite,
            options(extra.clone()).env("DATABASE_URL", url.clone()),
        ));
    }
    Replicas(replicas)
}

fn replica_id(server: &TestServer) -> String {
    let health = server.get_ok("/api/health");
    assert_eq!(health["database"], "postgres", "{health}");
    health["replica"]
        .as_str()
        .expect("a replica id")
        .to_string()
}

/// Waits until `probe` holds on `server`, returning how long it took.
fn within(what: &str, limit: Duration, mut probe: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    wait_until(what, limit, || probe().then_some(()));
    started.elapsed()
}

fn ping(server: &TestServer) -> (StatusCode, Value) {
    server.get("/api/modules/replica-probe/ping")
}

#[test]
fn module_state_and_store_installs_made_through_one_replica_apply_on_every_replica() {
    let Some(TestBackend::Postgres { admin_url }) = TestBackend::postgres_from_env() else {
        eprintln!("skipped: PAPERCLIP_TEST_DATABASE_URL is not set");
        return;
    };
    let store = Store::new();
    let tiny = store.pack(&find_bundle("tiny"));
    store.write_index(
        "index.json",
        vec![module_entry("tiny", "0.1.0", tiny.index_bundle())],
        vec![],
    );
    let replicas = three_replicas(
        &admin_url,
        json!({ "store": { "index": store.index_url() } }),
    );
    let (a, b, c) = (&replicas[0], &replicas[1], &replicas[2]);
    let ids: BTreeSet<String> = replicas.iter().map(replica_id).collect();
    assert_eq!(ids.len(), 3, "each replica has its own id: {ids:?}");
    let cluster = a.get_ok("/api/admin/cluster");
    assert_eq!(cluster["coordinated"], true, "{cluster}");
    assert_eq!(
        cluster["replicas"].as_array().map(Vec::len),
        Some(3),
        "{cluster}"
    );
    for replica in replicas.iter() {
        assert_eq!(ping(replica).0, StatusCode::OK);
    }

    // Disabled through A: B and C stop serving its routes.
    let (status, body) = a.post("/api/admin/modules/replica-probe/disable", &json!({}));
    assert_eq!(status, StatusCode::OK, "{body}");
    for other in [b, c] {
        let took = within(
            "the module's routes 404 on the other replica",
            PROPAGATION,
            || ping(other).0 == StatusCode::NOT_FOUND,
        );
        eprintln!("disable propagated in {took:?}");
        assert_eq!(
            other.get_ok("/api/admin/modules/replica-probe")["enabled"],
            false
        );
    }

    // Enabled through B, configured through B: A and C run it with B's configuration.
    let (status, body) = b.post("/api/admin/modules/replica-probe/enable", &json!({}));
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = b.put(
        "/api/admin/modules/replica-probe/config",
        &json!({ "label": "from-b" }),
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    for other in [a, c] {
        let took = within(
            "B's configuration on the other replica",
            PROPAGATION,
            || {
                let (status, body) = ping(other);
                status == StatusCode::OK && body["label"] == "from-b"
            },
        );
        eprintln!("enable + config propagated in {took:?}");
    }

    // Grants saved through C apply on A (a policy change without a restart).
    let (status, body) = c.put(
        "/api/admin/modules/replica-probe/companies",
        &json!({ "mode": "only", "companyIds": [] }),
    );
    assert_eq!(status, StatusCode::OK, "{body}");
    within("C's company scope on A", PROPAGATION, || {
        a.get_ok("/api/admin/modules/replica-probe")["companies"]["mode"] == "only"
    });

    // Installed from the store through C: stored in the database, laid out, verified and
    // loaded by A and B, which never saw the store.
    let (status, answer) = c.post("/api/store/install", &json!({ "moduleId": "tiny" }));
    assert_eq!(status, StatusCode::OK, "{answer}");
    let on_c = wait_for_status(c, "tiny", "active");
    for other in [a, b] {
        let took = within(
            "the store install active on the other replica",
            PROPAGATION,
            || other.get("/api/admin/modules/tiny").1["status"] == "active",
        );
        eprintln!("store install propagated in {took:?}");
        let view = other.get_ok("/api/admin/modules/tiny");
        assert_eq!(view["version"], "0.1.0", "{view}");
        assert_eq!(
            view["signature"]["state"], on_c["signature"]["state"],
            "verified like on C: {view}"
        );
        assert_eq!(view["signature"]["state"], "verified", "{view}");
        assert_eq!(other.get_ok("/api/modules/tiny/ping")["pong"], true);
    }
}

/// Runs of the probe's service by process id.
fn runs(server: &TestServer) -> HashMap<i64, i64> {
    let body = server.get_ok("/api/modules/replica-probe/runs");
    body["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| (r["pid"].as_i64().unwrap(), r["runs"].as_i64().unwrap()))
        .collect()
}

/// The replica holding the probe's lease, by index into `replicas`.
fn lease_holder(replicas: &[TestServer], alive: &[usize]) -> usize {
    let ids: Vec<String> = replicas
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if alive.contains(&i) {
                replica_id(r)
            } else {
                String::new()
            }
        })
        .collect();
    let asker = &replicas[alive[0]];
    wait_until("a replica holds the probe's lease", PROPAGATION * 3, || {
        let view = asker.get_ok("/api/admin/modules/replica-probe");
        let holder = view["work"]["holder"].as_str()?.to_string();
        ids.iter().position(|id| *id == holder && !id.is_empty())
    })
}

#[test]
fn a_service_runs_on_one_replica_at_a_time_and_moves_when_that_replica_is_killed() {
    let Some(TestBackend::Postgres { admin_url }) = TestBackend::postgres_from_env() else {
        eprintln!("skipped: PAPERCLIP_TEST_DATABASE_URL is not set");
        return;
    };
    let mut replicas = three_replicas(&admin_url, json!({}));
    let pids: Vec<i64> = replicas
        .iter()
        .map(|r| i64::from(r.pid().unwrap()))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let before = runs(&replicas[0]);
    std::thread::sleep(Duration::from_secs(10));
    let after = runs(&replicas[0]);
    let ran: Vec<i64> = pids
        .iter()
        .copied()
        .filter(|pid| after.get(pid).copied().unwrap_or(0) > before.get(pid).copied().unwrap_or(0))
        .collect();
    assert_eq!(
        ran.len(),
        1,
        "over 10 s exactly one replica ran the service: {before:?} → {after:?}"
    );
    let runner = pids.iter().position(|p| *p == ran[0]).unwrap();
    let holder = lease_holder(&replicas, &[0, 1, 2]);
    assert_eq!(
        holder, runner,
        "the lease holder is the replica that runs the service"
    );
    let view = replicas[(runner + 1) % 3].get_ok("/api/admin/modules/replica-probe");
    assert_eq!(view["work"]["services"], json!(["tick"]), "{view}");
    assert_eq!(view["work"]["thisReplica"], false, "{view}");

    // The runner dies without a word: another replica takes the service over within the lease.
    replicas[runner].kill();
    let killed_at = Instant::now();
    let survivors: Vec<usize> = (0..3).filter(|i| *i != runner).collect();
    let asker = &replicas[survivors[0]];
    let baseline = runs(asker);
    let took = within(
        "another replica runs the service",
        Duration::from_millis(LEASE_MS * 3),
        || {
            let now = runs(asker);
            survivors.iter().any(|i| {
                let pid = pids[*i];
                now.get(&pid).copied().unwrap_or(0) > baseline.get(&pid).copied().unwrap_or(0)
            })
        },
    );
    eprintln!(
        "service failover: {:?} after the kill (lease {LEASE_MS} ms)",
        killed_at.elapsed().min(took + Duration::from_millis(50))
    );
    assert!(
        took <= Duration::from_millis(LEASE_MS * 2),
        "taken over within the lease time (+ one renewal): {took:?}"
    );
    let new_holder = lease_holder(&replicas, &survivors);
    assert_ne!(new_holder, runner);
}

/// The issue ids of the events the probe received.
fn received_issues(server: &TestServer) -> BTreeSet<String> {
    probe_events(server)["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn probe_events(server: &TestServer) -> Value {
    server.get_ok("/api/modules/replica-probe/events")
}

#[test]
fn each_event_reaches_the_module_once_across_replicas_and_none_is_lost_when_its_owner_dies() {
    let Some(TestBackend::Postgres { admin_url }) = TestBackend::postgres_from_env() else {
        eprintln!("skipped: PAPERCLIP_TEST_DATABASE_URL is not set");
        return;
    };
    let mut replicas = three_replicas(&admin_url, json!({}));
    let company = replicas[0]
        .post("/api/companies", &json!({ "name": "Spread" }))
        .1["id"]
        .as_str()
        .expect("company id")
        .to_string();
    let path = format!("/api/companies/{company}/issues");

    // Core writes spread over the three replicas.
    let mut created = BTreeSet::new();
    for n in 0..60 {
        let (status, body) =
            replicas[n % 3].post(&path, &json!({ "title": format!("spread {n}") }));
        assert_eq!(status, StatusCode::CREATED, "{body}");
        created.insert(body["id"].as_str().expect("issue id").to_string());
    }
    let took = within("every event delivered", Duration::from_secs(10), || {
        received_issues(&replicas[1]) == created
    });
    eprintln!("60 events spread over 3 replicas delivered {took:?} after the last write");
    let events = probe_events(&replicas[2]);
    assert_eq!(
        events["byTwoReplicas"], 0,
        "no event delivered by two replicas: {events}"
    );
    assert_eq!(events["deliveries"], 60, "each delivered once: {events}");

    // The delivery's owner is killed in the middle of a burst written through every replica.
    let owner = lease_holder(&replicas, &[0, 1, 2]);
    let survivors: Vec<usize> = (0..3).filter(|i| *i != owner).collect();
    for n in 0..150 {
        if n == 60 {
            replicas[owner].kill();
        }
        let target = if n >= 60 { survivors[n % 2] } else { n % 3 };
        let (status, body) =
            replicas[target].post(&path, &json!({ "title": format!("burst {n}") }));
        assert_eq!(status, StatusCode::CREATED, "{body}");
        created.insert(body["id"].as_str().expect("issue id").to_string());
    }
    let asker = &replicas[survivors[0]];
    let took = within(
        "every committed event delivered after the failover",
        Duration::from_millis(LEASE_MS * 3 + 10_000),
        || created.is_subset(&received_issues(asker)),
    );
    let events = probe_events(asker);
    eprintln!(
        "after the owner was killed: {} events, {} deliveries, {} by two replicas; all delivered {took:?} after the burst",
        events["events"], events["deliveries"], events["byTwoReplicas"]
    );
    assert_eq!(
        events["events"].as_u64(),
        Some(created.len() as u64),
        "{events}"
    );
}

#[test]
fn a_second_server_on_the_same_sqlite_data_directory_is_refused() {
    let first = TestServer::start(TestBackend::Sqlite, ServerOptions::new());
    let second = TestServer::try_start(
        TestBackend::Sqlite,
        ServerOptions::new().data_dir(first.data_dir()),
    );
    let failure = match second {
        Ok(_) => panic!("a second server started on the same SQLite data directory"),
        Err(failure) => failure,
    };
    assert!(
        failure
            .stderr
            .contains("is already served by another paperclipai (pid "),
        "{}",
        failure.stderr
    );
    assert!(
        failure.stderr.contains("paperclip.db"),
        "{}",
        failure.stderr
    );
    // The first one goes on serving.
    assert_eq!(first.get_ok("/api/health")["status"], "ok");
}
