//! Revenue Tracking module, end to end through the real server and module library, on SQLite
//! and PostgreSQL: manual income is validated field by field, listed with filters and paging,
//! and deleted; the P&L over a month of spend recorded through the core's cost-event API (and
//! delivered to the module as `budget:spend_recorded`) and of income matches a computation made
//! here, per day, week and month; Stripe deliveries signed here (an HMAC independent of the
//! SDK's) are recorded once however often they come, refused when the signature is wrong or
//! old, answer 404 when the module is disabled, and work without an API key on a server bound
//! beyond loopback whose `/api` still needs one. Needs `scripts/build-modules.sh` and
//! `cargo build -p paperclip-server -p paperclip-module-runner --bins` first.

mod revenue_support;

use chrono::{Datelike, Duration as Days, NaiveDate, Utc};
use paperclip_e2e::{
    each_backend, json, wait_until, DirectDb, StatusCode, TestServer, Value,
};
use revenue_support::{
    add_income, assert_pnl, assert_refused, expected_pnl, options, pnl, rfc3339, start, BASE, WAIT,
};

/// The income entries of `company` (newest first).
fn income_of(server: &TestServer, company: &str, query: &str) -> Value {
    server.get_ok(&format!("{BASE}/income?companyId={company}{query}"))
}

#[test]
fn manual_income_is_checked_listed_paged_and_deleted() {
    each_backend(|backend| {
        let server = start(backend, options(json!({})));
        let company = server.create_company("Acme");
        let other = server.create_company("Other");

        let first = add_income(
            &server,
            json!({"companyId": company, "amountCents": 125_000, "currency": "usd",
                   "occurredAt": "2026-11-03T10:00:00Z", "description": "Consulting"}),
        );
        assert_eq!(first["currency"], "USD");
        assert_eq!(first["source"], "manual");
        assert_eq!(first["occurredAt"], "2026-11-03T10:00:00.000Z");
        add_income(
            &server,
            json!({"companyId": company, "amountCents": -20_000, "currency": "USD",
                   "occurredAt": "2026-11-05"}),
        );
        add_income(
            &server,
            json!({"companyId": company, "amountCents": 9_900, "currency": "EUR",
                   "occurredAt": "2026-11-07T00:00:00+01:00"}),
        );
        add_income(
            &server,
            json!({"companyId": other, "amountCents": 1, "currency": "USD"}),
        );

        // Bad input names the field and writes nothing.
        let post = |body: Value| server.post(&format!("{BASE}/income"), &body);
        let valid = json!({"companyId": company, "amountCents": 100, "currency": "USD"});
        for (field, value) in [
            ("amountCents", json!(0)),
            ("amountCents", json!(12.5)),
            ("amountCents", json!("100")),
            ("amountCents", json!(2_000_000_000_000_i64)),
            ("currency", json!("dollars")),
            ("occurredAt", json!("yesterday")),
            ("description", json!("x".repeat(501))),
            ("companyId", json!("no-such-company")),
        ] {
            let mut body = valid.clone();
            body[field] = value;
            assert_refused(post(body), field);
        }
        let mut unknown = valid.clone();
        unknown["colour"] = json!("red");
        assert_refused(post(unknown), "colour");
        let mut missing = valid.clone();
        missing.as_object_mut().unwrap().remove("currency");
        assert_refused(post(missing), "currency");
        assert_eq!(income_of(&server, &company, "")["total"], 3);

        // Filters and paging.
        let all = income_of(&server, &company, "");
        let dates: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["occurredAt"].as_str().unwrap())
            .collect();
        assert_eq!(
            dates,
            [
                "2026-11-06T23:00:00.000Z",
                "2026-11-05T00:00:00.000Z",
                "2026-11-03T10:00:00.000Z"
            ]
        );
        assert_eq!(income_of(&server, &company, "&currency=eur")["total"], 1);
        assert_eq!(income_of(&server, &company, "&source=stripe")["total"], 0);
        let window = income_of(&server, &company, "&from=2026-11-04&to=2026-11-06");
        assert_eq!(window["total"], 1);
        assert_eq!(window["items"][0]["amountCents"], -20_000);
        let page = income_of(&server, &company, "&limit=2&offset=2");
        assert_eq!((page["total"].as_i64(), page["limit"].as_i64()), (Some(3), Some(2)));
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["items"][0]["id"], first["id"]);
        for (query, field) in [
            ("&source=paypal", "source"),
            ("&limit=0", "limit"),
            ("&from=soon", "from"),
            ("&companyid=x", "companyid"),
        ] {
            assert_refused(
                server.get(&format!("{BASE}/income?companyId={company}{query}")),
                field,
            );
        }
        assert_refused(server.get(&format!("{BASE}/income")), "companyId");

        // Deleting: a manual entry once, then 404.
        let id = first["id"].as_str().unwrap();
        let (status, _) = server.delete(&format!("{BASE}/income/{id}"));
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, body) = server.delete(&format!("{BASE}/income/{id}"));
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(income_of(&server, &company, "")["total"], 2);

        // The P&L refuses bad parameters, naming them.
        let pnl_query = |query: &str| server.get(&format!("{BASE}/pnl?{query}"));
        let c = &company;
        for (query, field) in [
            (format!("from=2026-11-01&to=2026-12-01"), "companyId"),
            (format!("companyId={c}&to=2026-12-01"), "from"),
            (format!("companyId={c}&from=2026-11-01"), "to"),
            (format!("companyId={c}&from=2026-12-01&to=2026-11-01"), "to"),
            (format!("companyId={c}&from=2026-11-01&to=2026-12-01&granularity=year"), "granularity"),
            (format!("companyId={c}&from=2020-01-01&to=2026-12-01&granularity=day"), "granularity"),
            (format!("companyId={c}&from=2026-11-01&to=2026-13-01"), "to"),
            (format!("companyId={c}&from=2026-11-01&to=2026-12-01&currency=USD"), "currency"),
            (format!("companyId=nope&from=2026-11-01&to=2026-12-01"), "companyId"),
        ] {
            assert_refused(pnl_query(&query), field);
        }
        // The EUR entry is listed apart, never converted.
        let november = pnl(&server, &company, "2026-11-01", "2026-12-01", "month");
        assert_eq!(november["currency"], "USD");
        assert_eq!(november["totals"]["incomeCents"], -20_000);
        assert_eq!(
            november["otherCurrencies"],
            json!([{"currency": "EUR", "incomeCents": 9_900}])
        );
    });
}

/// A deterministic amount for the `i`-th item (no randomness: a failure reproduces).
fn amount(i: i64, base: i64) -> i64 {
    base + (i * 7919) % 997
}

#[test]
fn the_pnl_over_a_month_of_spend_and_income_matches_an_independent_computation() {
    each_backend(|backend| {
        let server = start(backend, options(json!({})));
        let company = server.create_company("Month Co");
        let agents: Vec<String> = ["Ada", "Bob", "Cy"]
            .iter()
            .map(|name| server.create_agent(&company, json!({ "name": name })))
            .collect();
        let mut db = DirectDb::open(&server);

        // The month before this one (UTC), whole.
        let today = Utc::now().date_naive();
        let this_month = today.with_day(1).unwrap();
        let month = (this_month - Days::days(1)).with_day(1).unwrap();
        let days: Vec<NaiveDate> = month.iter_days().take_while(|d| *d < this_month).collect();
        let midnight =
            |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis();

        // Spend, recorded through the core: each day's cost events are posted, the module's rows
        // for them waited for (the hook is delivered after the commit), then moved to a time of
        // that day — the core records spend at the current time only.
        let mut costs: Vec<(i64, i64)> = Vec::new();
        let mut n = 0;
        for (k, day) in days.iter().enumerate() {
            let marker = Utc::now().timestamp_millis() - 5_000;
            let events = 1 + k % 3;
            let mut total = 0;
            for e in 0..events {
                n += 1;
                let cents = amount(n, 50);
                total += cents;
                server.create(
                    &format!("/api/companies/{company}/cost-events"),
                    &json!({"agentId": agents[(k + e) % agents.len()], "amountCents": cents}),
                );
            }
            let fresh = format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM mod_revenue_costs \
                 WHERE company_id = '{company}' AND occurred_at >= {marker}"
            );
            wait_until(&format!("{events} cost rows of day {day}"), WAIT, || {
                (db.count(&fresh) == events as i64).then_some(())
            });
            // The first day at its first millisecond, the last at its last, others in between.
            let at = match k {
                0 => midnight(*day),
                k if k == days.len() - 1 => midnight(*day) + 86_400_000 - 1,
                k => midnight(*day) + (k as i64 * 3_600_000 * 5) % 86_400_000,
            };
            db.run(&format!(
                "UPDATE mod_revenue_costs SET occurred_at = {at} \
                 WHERE company_id = '{company}' AND occurred_at >= {marker}"
            ))
            .expect("move the day's costs");
            costs.push((at, total));
        }

        // Income: manual entries across the month, some negative, and just outside it.
        let mut income: Vec<(i64, i64)> = Vec::new();
        for (k, day) in days.iter().enumerate().filter(|(k, _)| k % 2 == 0) {
            let at = midnight(*day) + (k as i64 * 3_600_000 * 7) % 86_400_000;
            let cents = if k % 6 == 4 { -amount(k as i64, 100) } else { amount(k as i64, 3_000) };
            add_income(
                &server,
                json!({"companyId": company, "amountCents": cents, "currency": "USD",
                       "occurredAt": rfc3339(at)}),
            );
            income.push((at, cents));
        }
        for at in [midnight(month) - 1, midnight(this_month)] {
            add_income(
                &server,
                json!({"companyId": company, "amountCents": 777_777, "currency": "USD",
                       "occurredAt": rfc3339(at)}),
            );
        }
        // Spend now (this month) stays out of last month's P&L.
        server.create(
            &format!("/api/companies/{company}/cost-events"),
            &json!({"agentId": agents[0], "amountCents": 4_321}),
        );

        let (from, to) = (month.to_string(), this_month.to_string());
        for granularity in ["day", "week", "month"] {
            let answer = pnl(&server, &company, &from, &to, granularity);
            assert_eq!(answer["granularity"], granularity);
            assert_eq!(answer["from"], rfc3339(midnight(month)));
            let expected = expected_pnl(month, this_month, granularity, &income, &costs);
            assert_pnl(&answer, &expected);
        }
        // A range starting mid-week: the first week is cut to it.
        let mid = month + Days::days(10);
        let answer = pnl(&server, &company, &mid.to_string(), &to, "week");
        assert_eq!(answer["periods"][0]["start"], rfc3339(midnight(mid)));
        assert_pnl(
            &answer,
            &expected_pnl(mid, this_month, "week", &income, &costs),
        );
        // This month: the spend made now, as the dashboard widget asks for it.
        let next_month = (this_month + Days::days(32)).with_day(1).unwrap();
        let current = wait_until("this month's spend", WAIT, || {
            let answer = pnl(&server, &company, &to, &next_month.to_string(), "month");
            (answer["totals"]["costCents"] == 4_321).then_some(answer)
        });
        assert_eq!(current["totals"]["incomeCents"], 777_777);
        assert_eq!(current["periods"].as_array().unwrap().len(), 1);
    });
}
