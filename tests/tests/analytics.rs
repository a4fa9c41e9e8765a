//! Analytics Dashboard module, end to end on SQLite and PostgreSQL: its series match values
//! computed here, independently, from the activity the test generated.
//!
//! - live activity through the core API (heartbeats with costs, issues moved through
//!   `in_progress` to `done`, goals completed): burn rate, utilisation (per day and over the
//!   last 24 hours) and velocity of today, for the company and for one agent;
//! - three weeks of back-dated activity delivered through the hook outbox (see
//!   `analytics_support`): every daily and weekly bucket of the three series; then the same
//!   events delivered a second time (at-least-once redelivery) change nothing;
//! - bad parameters are 400s naming them, unknown companies and agents 404s.
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server -p
//! paperclip-module-runner --bins` first.

mod analytics_support;

use analytics_support::*;
use paperclip_e2e::{each_backend, json, wait_until, DirectDb, StatusCode, TestServer, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Posts a heartbeat of `agent` with `cost_cents`; returns its time.
fn heartbeat(server: &TestServer, agent: &str, cost_cents: i64) -> i64 {
    let beat = server.create(
        &format!("/api/agents/{agent}/heartbeat"),
        &json!({"meta": {"costCents": cost_cents}}),
    );
    ms(beat["createdAt"].as_str().expect("createdAt"))
}

/// Moves an issue to `status`; returns the time of the change.
fn move_issue(server: &TestServer, issue: &str, status: &str) -> i64 {
    let (code, body) = server.patch(&format!("/api/issues/{issue}"), &json!({"status": status}));
    assert_eq!(code, StatusCode::OK, "{body}");
    ms(body["updatedAt"].as_str().expect("updatedAt"))
}

/// Completes a goal; returns the time.
fn complete_goal(server: &TestServer, goal: &str) -> i64 {
    let (code, body) = server.patch(
        &format!("/api/goals/{goal}"),
        &json!({"status": "completed"}),
    );
    assert_eq!(code, StatusCode::OK, "{body}");
    ms(body["updatedAt"].as_str().expect("updatedAt"))
}

/// Asserts a cycle-time object against `cycles` (milliseconds).
fn assert_cycles(stats: &Value, cycles: &[i64]) {
    assert_eq!(stats["count"], cycles.len(), "{stats}");
    match mean(cycles) {
        Some(m) => assert!(
            (stats["meanMs"].as_f64().unwrap() - m).abs() < 1e-6,
            "{stats} vs mean {m}"
        ),
        None => assert!(stats["meanMs"].is_null(), "{stats}"),
    }
    assert_eq!(stats["p50Ms"], json!(percentile(cycles, 50)), "{stats}");
    assert_eq!(stats["p90Ms"], json!(percentile(cycles, 90)), "{stats}");
}

/// Possible hours of an agent created at `created` within `[from, to)` up to the hour of `now`.
fn possible(created: i64, from: i64, to: i64, now: i64) -> i64 {
    let start = from.max(hour_of(created));
    let end = to.min(hour_of(now) + HOUR_MS);
    ((end - start) / HOUR_MS).max(0)
}

#[test]
fn series_follow_live_activity_through_the_core_api() {
    each_backend(|backend| {
        let server = start(backend);
        let company = server.create_company("Acme");
        let other = server.create_company("Other");
        let mut created = BTreeMap::new();
        let mut agent = |name: &str| {
            let body = server.create(
                &format!("/api/companies/{company}/agents"),
                &json!({"name": name}),
            );
            let id = body["id"].as_str().unwrap().to_string();
            created.insert(id.clone(), ms(body["createdAt"].as_str().unwrap()));
            id
        };
        let ada = agent("Ada");
        let bob = agent("Bob");
        let _cy = agent("Cy"); // never checks in
        let stranger = server.create_agent(&other, json!({"name": "Stranger"}));

        // Heartbeats with costs (each cost is booked as a spend by the core).
        let mut beats: Vec<(String, i64, i64)> = Vec::new();
        for (agent, cost) in [(&ada, 120), (&ada, 30), (&ada, 0), (&bob, 55), (&bob, 45)] {
            beats.push((agent.clone(), heartbeat(&server, agent, cost), cost));
        }
        heartbeat(&server, &stranger, 999);

        // Issues: i1 in progress then done; i2 back to todo and in progress again before done
        // (its cycle starts at the first in_progress); i3 done straight from todo (no cycle);
        // i4 cancelled.
        let issue = |title: &str, assignee: &str| {
            server.create_issue(
                &company,
                json!({"title": title, "assigneeAgentId": assignee}),
            )
        };
        let i1 = issue("One", &ada);
        let i2 = issue("Two", &bob);
        let i3 = issue("Three", &ada);
        let i4 = issue("Four", &bob);
        let i1_start = move_issue(&server, &i1, "in_progress");
        let i2_start = move_issue(&server, &i2, "in_progress");
        move_issue(&server, &i2, "todo");
        move_issue(&server, &i2, "in_progress");
        move_issue(&server, &i4, "in_progress");
        std::thread::sleep(std::time::Duration::from_millis(30));
        let i1_done = move_issue(&server, &i1, "done");
        let i2_done = move_issue(&server, &i2, "done");
        let i3_done = move_issue(&server, &i3, "done");
        move_issue(&server, &i4, "cancelled");
        let cycles = [i1_done - i1_start, i2_done - i2_start];

        let g1 = server.create_goal(&company, json!({"title": "Ship", "level": "company"}));
        let g2 = server.create_goal(
            &company,
            json!({"title": "Learn", "level": "agent", "ownerAgentId": ada}),
        );
        for goal in [&g1, &g2] {
            complete_goal(&server, goal);
        }

        // The hooks are asynchronous: wait until the module counted everything.
        let scope = format!("companyId={company}");
        let velocity = wait_until("the module to count the activity", WAIT, || {
            let v = get(&server, &format!("/velocity?{scope}"));
            let burn = get(&server, &format!("/burn-rate?{scope}"));
            (v["issuesDone"] == 3 && v["goalsCompleted"] == 2 && burn["totalCents"] == 250)
                .then_some(v)
        });

        // Velocity: the current week's bucket holds everything.
        let points = velocity["points"].as_array().unwrap();
        assert_eq!(points.len(), 12, "{velocity}");
        let this_week = points.last().unwrap();
        assert_eq!(ms(this_week["start"].as_str().unwrap()), week_of(i3_done));
        assert_eq!(this_week["issuesDone"], 3);
        assert_eq!(this_week["goalsCompleted"], 2);
        assert_cycles(&this_week["cycleTime"], &cycles);
        assert_cycles(&velocity["cycleTime"], &cycles);
        assert_eq!(velocity["cycleTimeUnit"], "ms");
        let ada_velocity = get(&server, &format!("/velocity?{scope}&agentId={ada}"));
        assert_eq!(ada_velocity["issuesDone"], 2, "{ada_velocity}");
        assert_eq!(ada_velocity["goalsCompleted"], 1, "{ada_velocity}");
        assert_cycles(&ada_velocity["cycleTime"], &cycles[..1]);

        // Burn rate: spend per day (today), per agent, per week.
        let burn = get(&server, &format!("/burn-rate?{scope}"));
        assert_eq!(burn["unit"], "cents");
        let points = burn["points"].as_array().unwrap();
        assert_eq!(points.len(), 30, "the last 30 days, today included: {burn}");
        let mut per_day: BTreeMap<i64, i64> = BTreeMap::new();
        for (_, at, cost) in &beats {
            *per_day.entry(day_of(*at)).or_default() += cost;
        }
        for point in points {
            let start = ms(point["start"].as_str().unwrap());
            assert_eq!(
                point["spendCents"],
                per_day.get(&start).copied().unwrap_or(0),
                "{point}"
            );
        }
        assert_eq!(
            burn["agents"],
            json!([
                {"agentId": ada, "name": "Ada", "spendCents": 150},
                {"agentId": bob, "name": "Bob", "spendCents": 100},
            ])
        );
        let ada_burn = get(&server, &format!("/burn-rate?{scope}&agentId={ada}"));
        assert_eq!(ada_burn["totalCents"], 150);
        assert_eq!(ada_burn["agents"], json!([]));
        let weekly = get(&server, &format!("/burn-rate?{scope}&granularity=week"));
        let last = weekly["points"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(ms(last["start"].as_str().unwrap()), week_of(now_ms()));
        assert_eq!(weekly["totalCents"], 250);

        // Utilisation: today's bucket, per the README's definition, for the company (three
        // agents, one silent) and for Ada; the answer is checked against the hour before and
        // after it (a request may straddle an hour).
        let mut active: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
        for (agent, at, _) in &beats {
            active.entry(agent).or_default().insert(hour_of(*at));
        }
        let today = day_of(now_ms());
        let active_today: usize = active
            .values()
            .map(|hours| hours.iter().filter(|h| day_of(**h) == today).count())
            .sum();
        let before = now_ms();
        let util = get(&server, &format!("/utilisation?{scope}"));
        let after = now_ms();
        let today_point = util["points"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(ms(today_point["start"].as_str().unwrap()), today);
        assert_eq!(today_point["activeHours"], active_today, "{today_point}");
        let possible_at = |now: i64| -> i64 {
            created
                .values()
                .map(|c| possible(*c, today, today + DAY_MS, now))
                .sum()
        };
        let possible_hours = today_point["possibleHours"].as_i64().unwrap();
        assert!(
            [possible_at(before), possible_at(after)].contains(&possible_hours),
            "{today_point}"
        );
        assert_eq!(
            today_point["utilisation"].as_f64().unwrap(),
            active_today as f64 / possible_hours as f64
        );
        assert_eq!(util["unit"], "ratio");

        let before = now_ms();
        let recent = get(&server, &format!("/utilisation/recent?{scope}&hours=24"));
        let after = now_ms();
        let agents = recent["agents"].as_array().unwrap();
        assert_eq!(agents.len(), 3, "{recent}");
        for row in agents {
            let id = row["agentId"].as_str().unwrap();
            let since = |now: i64| hour_of(now) - 23 * HOUR_MS;
            let expected_active = active.get(id).map_or(0, |hours| {
                hours.iter().filter(|h| **h >= since(after)).count()
            });
            assert_eq!(row["activeHours"], expected_active, "{row}");
            let possible_row = row["possibleHours"].as_i64().unwrap();
            let expect = |now: i64| possible(created[id], since(now), hour_of(now) + HOUR_MS, now);
            assert!(
                [expect(before), expect(after)].contains(&possible_row),
                "{row}"
            );
        }
        assert_eq!(
            agents.last().unwrap()["name"],
            "Cy",
            "the silent agent last: {recent}"
        );
        assert_eq!(agents.last().unwrap()["activeHours"], 0);

        // Refusals name what is wrong.
        let bad = StatusCode::BAD_REQUEST;
        refused(&server, "/burn-rate", bad, "`companyId` is required");
        refused(
            &server,
            &format!("/burn-rate?{scope}&granularity=month"),
            bad,
            "`granularity`",
        );
        refused(
            &server,
            &format!("/utilisation?{scope}&from=yesterday"),
            bad,
            "`from`",
        );
        refused(
            &server,
            &format!("/velocity?{scope}&from=2026-03-01&to=2026-02-01"),
            bad,
            "must be before",
        );
        refused(
            &server,
            &format!("/burn-rate?{scope}&from=2020-01-01&to=2026-01-01"),
            bad,
            "at most 400 days",
        );
        refused(
            &server,
            &format!("/velocity?{scope}&agentid={ada}"),
            bad,
            "`agentid`",
        );
        refused(
            &server,
            &format!("/utilisation/recent?{scope}&hours=0"),
            bad,
            "`hours`",
        );
        refused(
            &server,
            &format!("/burn-rate?{scope}&agentId={stranger}"),
            bad,
            "another company",
        );
        refused(
            &server,
            "/burn-rate?companyId=no-such-company",
            StatusCode::NOT_FOUND,
            "no company",
        );
        refused(
            &server,
            &format!("/velocity?{scope}&agentId=no-such-agent"),
            StatusCode::NOT_FOUND,
            "no agent",
        );
        // The other company's spend is its own.
        let other_burn = get(&server, &format!("/burn-rate?companyId={other}"));
        assert_eq!(other_burn["totalCents"], 999);
    });
}

/// Three weeks of back-dated activity of two agents (see the module README for what counts).
struct Backfill {
    events: Vec<OutboxEvent>,
    /// Spend per (agent, day).
    spend: BTreeMap<(String, i64), i64>,
    /// Active hours per agent.
    hours: BTreeMap<String, BTreeSet<i64>>,
    /// (done time, assignee, cycle time if it went through in_progress).
    done: Vec<(i64, String, Option<i64>)>,
    /// (completion time, owner).
    goals: Vec<(i64, Option<String>)>,
}

fn backfill(company: &str, ada: &str, bob: &str, today: i64) -> Backfill {
    let mut b = Backfill {
        events: Vec::new(),
        spend: BTreeMap::new(),
        hours: BTreeMap::new(),
        done: Vec::new(),
        goals: Vec::new(),
    };
    let beat = |b: &mut Backfill, agent: &str, at: i64| {
        b.events.push(heartbeat_event(company, agent, at));
        b.hours
            .entry(agent.to_string())
            .or_default()
            .insert(hour_of(at));
    };
    for k in 1..=21i64 {
        let day = today - k * DAY_MS;
        for h in 0..24i64 {
            let hour = day + h * HOUR_MS;
            if (k + h) % 3 == 0 {
                beat(&mut b, ada, hour + 17 * 60_000);
                if h % 5 == 0 {
                    beat(&mut b, ada, hour + 40 * 60_000);
                }
            }
            if h % (k % 4 + 2) == 0 {
                beat(&mut b, bob, hour + 5 * 60_000);
            }
        }
        // Spend at both edges of the day and in between.
        for (agent, cents, at) in [
            (ada, 100 + k, day + 10 * HOUR_MS),
            (ada, 7, day + DAY_MS - 1),
            (bob, 50 * k, day),
        ] {
            b.events.push(spend_event(company, agent, cents, at));
            *b.spend.entry((agent.to_string(), day)).or_default() += cents;
        }
    }
    for j in 0..12i64 {
        let issue = format!("backfill-issue-{j}-{}", uuid::Uuid::new_v4());
        let assignee = if j % 2 == 0 { ada } else { bob };
        let start = today - j * (DAY_MS + DAY_MS / 2) - 30 * HOUR_MS;
        let end = start + (j + 1) * 3 * HOUR_MS + j * 60_000;
        let mut moves = vec![("todo", "in_progress", start)];
        match j {
            3 => moves.extend([
                ("in_progress", "todo", start + HOUR_MS),
                ("todo", "in_progress", start + 2 * HOUR_MS),
                ("in_progress", "done", end),
            ]),
            5 => moves.push(("in_progress", "cancelled", start + HOUR_MS)),
            7 => moves = vec![("todo", "done", end)],
            _ => moves.push(("in_progress", "done", end)),
        }
        for (from, to, at) in &moves {
            b.events
                .push(issue_event(company, &issue, Some(assignee), from, to, *at));
        }
        match j {
            5 => {}
            7 => b.done.push((end, assignee.to_string(), None)),
            _ => b.done.push((end, assignee.to_string(), Some(end - start))),
        }
    }
    for m in 0..5i64 {
        let at = today - m * 4 * DAY_MS - 5 * HOUR_MS;
        let owner = (m % 2 == 0).then(|| ada.to_string());
        let goal = format!("backfill-goal-{m}-{}", uuid::Uuid::new_v4());
        b.events
            .push(goal_event(company, &goal, owner.as_deref(), at));
        b.goals.push((at, owner));
    }
    b
}

#[test]
fn back_dated_activity_fills_every_bucket_and_a_redelivery_counts_nothing_twice() {
    each_backend(|backend| {
        let mut server = start(backend);
        let company = server.create_company("Backfill Co");
        let ada = server.create_agent(&company, json!({"name": "Ada"}));
        let bob = server.create_agent(&company, json!({"name": "Bob"}));
        let today = day_of(now_ms());
        let data = backfill(&company, &ada, &bob, today);

        server.stop();
        let mut db = DirectDb::open(&server);
        for agent in [&ada, &bob] {
            backdate_agent(&mut db, agent, today - 60 * DAY_MS);
        }
        inject(&mut db, &data.events);
        let seq = newest_seq(&mut db);
        server.restart();
        wait_active(&server);
        wait_delivered(&mut db, seq);

        let from = rfc3339(today - 21 * DAY_MS);
        let to = rfc3339(today);
        let scope = format!("companyId={company}&from={from}&to={to}");

        // Burn rate per day, for the company and for each agent.
        let total: i64 = data.spend.values().sum();
        let burn = wait_until("the back-dated spend counted", WAIT, || {
            let burn = get(&server, &format!("/burn-rate?{scope}"));
            (burn["totalCents"] == total).then_some(burn)
        });
        let points = burn["points"].as_array().unwrap();
        assert_eq!(points.len(), 21, "{burn}");
        for point in points {
            let day = ms(point["start"].as_str().unwrap());
            let expected: i64 = data
                .spend
                .iter()
                .filter(|((_, d), _)| *d == day)
                .map(|(_, c)| c)
                .sum();
            assert_eq!(point["spendCents"], expected, "{point}");
        }
        assert_eq!(
            burn["averagePerDayCents"].as_f64().unwrap(),
            total as f64 / 21.0
        );
        for agent in [&ada, &bob] {
            let agent_burn = get(&server, &format!("/burn-rate?{scope}&agentId={agent}"));
            for point in agent_burn["points"].as_array().unwrap() {
                let day = ms(point["start"].as_str().unwrap());
                let expected = data.spend.get(&(agent.clone(), day)).copied().unwrap_or(0);
                assert_eq!(point["spendCents"], expected, "{agent}: {point}");
            }
        }
        // Per week: the window widens to whole weeks.
        let weekly = get(&server, &format!("/burn-rate?{scope}&granularity=week"));
        assert_eq!(
            ms(weekly["from"].as_str().unwrap()),
            week_of(today - 21 * DAY_MS)
        );
        for point in weekly["points"].as_array().unwrap() {
            let week = ms(point["start"].as_str().unwrap());
            let expected: i64 = data
                .spend
                .iter()
                .filter(|((_, d), _)| week_of(*d) == week)
                .map(|(_, c)| c)
                .sum();
            assert_eq!(point["spendCents"], expected, "{point}");
        }

        // Utilisation per day: active hours / 24 per agent (both existed all along).
        let util = get(&server, &format!("/utilisation?{scope}"));
        for point in util["points"].as_array().unwrap() {
            let day = ms(point["start"].as_str().unwrap());
            let active: usize = data
                .hours
                .values()
                .map(|hours| hours.iter().filter(|h| day_of(**h) == day).count())
                .sum();
            assert_eq!(point["activeHours"], active, "{point}");
            assert_eq!(point["possibleHours"], 48, "{point}");
            assert_eq!(point["utilisation"].as_f64().unwrap(), active as f64 / 48.0);
        }
        let ada_util = get(&server, &format!("/utilisation?{scope}&agentId={ada}"));
        let ada_hours = data.hours[&ada]
            .iter()
            .filter(|h| **h >= today - 21 * DAY_MS)
            .count();
        assert_eq!(ada_util["activeHours"], ada_hours, "{ada_util}");
        assert_eq!(ada_util["possibleHours"], 21 * 24);
        // The last 720 hours (30 days) hold all three weeks: whole days come from the daily
        // buckets, the first and the current day from the hourly ones.
        let recent = get(
            &server,
            &format!("/utilisation/recent?companyId={company}&hours=720"),
        );
        for row in recent["agents"].as_array().unwrap() {
            let id = row["agentId"].as_str().unwrap();
            assert_eq!(row["activeHours"], data.hours[id].len(), "{row}");
        }

        // Velocity per week, for the company and for Bob.
        let velocity_scope = format!(
            "companyId={company}&from={}&to={}",
            rfc3339(today - 28 * DAY_MS),
            rfc3339(today + DAY_MS)
        );
        let check_velocity = |v: &Value, agent: Option<&str>| {
            for point in v["points"].as_array().unwrap() {
                let week = ms(point["start"].as_str().unwrap());
                let done: Vec<&(i64, String, Option<i64>)> = data
                    .done
                    .iter()
                    .filter(|(at, who, _)| week_of(*at) == week && agent.iter().all(|a| *a == who))
                    .collect();
                let cycles: Vec<i64> = done.iter().filter_map(|(_, _, c)| *c).collect();
                let goals = data
                    .goals
                    .iter()
                    .filter(|(at, owner)| {
                        week_of(*at) == week && agent.iter().all(|a| owner.as_deref() == Some(*a))
                    })
                    .count();
                assert_eq!(point["issuesDone"], done.len(), "{point}");
                assert_eq!(point["goalsCompleted"], goals, "{point}");
                assert_cycles(&point["cycleTime"], &cycles);
            }
        };
        let velocity = get(&server, &format!("/velocity?{velocity_scope}"));
        assert_eq!(velocity["issuesDone"], data.done.len(), "{velocity}");
        assert_eq!(velocity["goalsCompleted"], data.goals.len(), "{velocity}");
        check_velocity(&velocity, None);
        let bob_velocity = get(
            &server,
            &format!("/velocity?{velocity_scope}&agentId={bob}"),
        );
        check_velocity(&bob_velocity, Some(&bob));
        let daily = get(
            &server,
            &format!("/velocity?{velocity_scope}&granularity=day"),
        );
        assert_eq!(daily["points"].as_array().unwrap().len(), 29);
        assert_eq!(daily["issuesDone"], data.done.len());

        // Every event delivered again (same eventIds, new outbox rows): nothing changes.
        let answers = |server: &TestServer| -> Vec<Value> {
            [
                format!("/burn-rate?{scope}"),
                format!("/burn-rate?{scope}&granularity=week"),
                format!("/utilisation?{scope}"),
                format!("/velocity?{velocity_scope}"),
            ]
            .iter()
            .map(|path| get(server, path))
            .collect()
        };
        let first = answers(&server);
        server.stop();
        inject(&mut db, &data.events);
        let again = newest_seq(&mut db);
        assert!(again >= seq + data.events.len() as i64);
        server.restart();
        wait_active(&server);
        wait_delivered(&mut db, again);
        assert_eq!(answers(&server), first, "a redelivery changed a series");
    });
}
