//! The Analytics page and dashboard widget in headless Chromium, over real activity (heartbeats
//! with costs, an issue moved through in_progress to done, a goal completed): the widget shows
//! the week's spend, the page its charts with labelled units and the per-agent tables — with no
//! console error.
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server -p
//! paperclip-module-runner --bins` first.

mod analytics_support;
mod ui_support;

use analytics_support::{get, options, wait_active, WAIT};
use paperclip_e2e::{json, wait_until, StatusCode, TestBackend, TestServer};
use ui_support::{artifacts_dir, Browser};

const WIDGET: &str = "[data-module='analytics'][data-widget='analytics-burn-rate']";

#[test]
fn the_analytics_page_and_widget_render_the_series() {
    let server = TestServer::start(TestBackend::Sqlite, options());
    wait_active(&server);
    let company = server.create_company("Chart Co");
    let ada = server.create_agent(&company, json!({"name": "Ada"}));
    let bob = server.create_agent(&company, json!({"name": "Bob"}));
    for (agent, cost) in [(&ada, 125), (&bob, 75), (&ada, 50)] {
        server.create(
            &format!("/api/agents/{agent}/heartbeat"),
            &json!({"meta": {"costCents": cost}}),
        );
    }
    let issue = server.create_issue(
        &company,
        json!({"title": "Chart it", "assigneeAgentId": ada}),
    );
    for status in ["in_progress", "done"] {
        let (code, body) =
            server.patch(&format!("/api/issues/{issue}"), &json!({"status": status}));
        assert_eq!(code, StatusCode::OK, "{body}");
    }
    let goal = server.create_goal(&company, json!({"title": "Launch", "level": "company"}));
    server.patch(
        &format!("/api/goals/{goal}"),
        &json!({"status": "completed"}),
    );
    wait_until("the module to count the activity", WAIT, || {
        let v = get(&server, &format!("/velocity?companyId={company}"));
        let burn = get(&server, &format!("/burn-rate?companyId={company}"));
        (v["issuesDone"] == 1 && v["goalsCompleted"] == 1 && burn["totalCents"] == 250)
            .then_some(())
    });

    let Some(browser) = Browser::start("ui_analytics", server.base_url()) else {
        return;
    };

    // The dashboard widget: the week's spend and its chart.
    browser.open("/");
    let spend = browser.wait_for_text(&format!("{WIDGET} .pc-an-card"), "$2.50");
    assert!(spend.contains("spend, 7 days"), "{spend}");
    browser.wait_for_css(&format!("{WIDGET} #an-widget-chart rect.pc-an-bar"));
    assert_eq!(
        browser.count(&format!("{WIDGET} #an-widget-chart rect.pc-an-bar")),
        7,
        "one bar per day of the week"
    );

    // The page, from the sidebar.
    browser.click("a.nav-link[data-module-page='analytics/analytics']");
    browser.wait_for_text("#an-cards", "$2.50");
    let cards = browser.texts("#an-cards .pc-an-card");
    assert!(
        cards
            .iter()
            .any(|c| c.contains("issues done") && c.contains('1')),
        "{cards:?}"
    );
    assert!(
        cards
            .iter()
            .any(|c| c.contains("goals completed") && c.contains('1')),
        "{cards:?}"
    );
    // Charts: one bar per day for 30 days, oldest left, units on the axes.
    assert_eq!(browser.count("#an-burn-chart rect.pc-an-bar"), 30);
    browser.wait_for_text("#an-burn-chart .pc-an-unit", "Spend per day (USD)");
    browser.wait_for_text(
        "#an-utilisation-chart .pc-an-unit",
        "Utilisation (% of hours)",
    );
    browser.wait_for_text("#an-velocity-chart .pc-an-unit", "Count per week");
    browser.wait_for_text(
        "#an-cycle-chart .pc-an-unit",
        "Cycle time in_progress → done (hours)",
    );
    let first =
        browser.eval("return document.querySelector('#an-burn-chart .pc-an-first').textContent");
    let last =
        browser.eval("return document.querySelector('#an-burn-chart .pc-an-last').textContent");
    assert!(
        first.as_str().unwrap() < last.as_str().unwrap(),
        "time runs left to right: {first} … {last}"
    );
    let today_bar = browser.eval(
        "const bars = document.querySelectorAll('#an-burn-chart rect.pc-an-bar'); \
         return bars[bars.length - 1].querySelector('title').textContent",
    );
    assert!(today_bar.as_str().unwrap().contains("$2.50"), "{today_bar}");
    let spenders = browser.texts("#an-burn .pc-an-agent-spend");
    assert_eq!(spenders.len(), 2, "{spenders:?}");
    assert!(
        spenders[0].contains("Ada") && spenders[0].contains("$1.75"),
        "{spenders:?}"
    );
    assert_eq!(browser.count("#an-agents .pc-an-recent-row"), 2);
    browser.screenshot(&artifacts_dir().join("analytics.png"));

    // One agent: the series narrow to it.
    browser.choose("#an-agent", &bob);
    browser.wait_for_text("#an-cards", "$0.75");

    browser.assert_no_console_errors(&[]);
}
