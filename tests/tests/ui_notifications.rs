//! The Notifications page in headless Chromium: create a channel through the form (a bad one
//! first: the server's error is shown), send a test message, see a delivery of a real event,
//! disable the channel from its row and delete it — with no console error. Needs the
//! notifications bundle (`scripts/build-modules.sh`) and Chromium (`scripts/install-test-browser.sh`).

mod notifications_support;
mod ui_support;

use notifications_support::http_sink::HttpSink;
use notifications_support::{create_issue, get, start, WAIT};
use paperclip_e2e::{json, wait_until, TestBackend};
use ui_support::{artifacts_dir, Browser};

const PAGE: &str = ".module-page-slot .pc-nt";

#[test]
fn a_channel_is_created_tested_and_its_deliveries_shown_from_the_page() {
    let sink = HttpSink::start();
    let server = start(TestBackend::Sqlite, json!({}), json!({}), &[]);
    let company = server.create_company("Acme");
    let Some(browser) = Browser::start("ui_notifications", server.base_url()) else {
        return;
    };

    browser.open("/m/notifications/notifications");
    browser.wait_for_text(&format!("{PAGE} h2"), "Notifications");
    browser.wait_for_text(PAGE, "No channels yet");

    // The form: a bad URL first — the server's error naming the field is shown, nothing saved.
    browser.click(&format!("{PAGE} button[data-action='new']"));
    browser.fill(&format!("{PAGE} input[name='name']"), "Ops hook");
    browser.choose(&format!("{PAGE} select[name='kind']"), "webhook");
    browser.fill(&format!("{PAGE} input[name='url']"), "ftp://nowhere");
    // A new channel starts with issue:status_changed ticked: swap it for issue:created.
    browser.click(&format!(
        "{PAGE} input[name='hook'][value='issue:status_changed']"
    ));
    browser.click(&format!("{PAGE} input[name='hook'][value='issue:created']"));
    browser.click(&format!("{PAGE} button[data-action='save']"));
    browser.wait_for_text(&format!("{PAGE} .pc-nt-form-error"), "`url`");
    assert_eq!(get(&server, "/channels")["items"], json!([]));

    browser.fill(&format!("{PAGE} input[name='url']"), &sink.url("/ops"));
    browser.click(&format!("{PAGE} button[data-action='add-filter']"));
    browser.fill(
        &format!("{PAGE} input[name='filterPath']"),
        "issue.priority",
    );
    browser.choose(&format!("{PAGE} select[name='filterOp']"), "in");
    browser.fill(
        &format!("{PAGE} input[name='filterValue']"),
        r#"["high","urgent"]"#,
    );
    browser.fill(
        &format!("{PAGE} textarea[name='template']"),
        "{{issue.identifier}} needs eyes: {{issue.title}}",
    );
    browser.screenshot(&artifacts_dir().join("notifications-form.png"));
    browser.click(&format!("{PAGE} button[data-action='save']"));
    browser.wait_for_text(&format!("{PAGE} .pc-nt-notice"), "Channel created.");
    let row = browser.wait_for_text(&format!("{PAGE} tr[data-channel-id]"), "Ops hook");
    assert!(
        row.contains("webhook") && row.contains("issue:created"),
        "{row}"
    );
    assert!(
        row.contains(r#"issue.priority in ["high","urgent"]"#),
        "{row}"
    );
    let channels = get(&server, &format!("/channels?companyId={company}"))["items"].clone();
    assert_eq!(channels[0]["url"], "***");
    assert_eq!(channels[0]["hooks"], json!(["issue:created"]));
    assert_eq!(
        channels[0]["filters"][0]["value"],
        json!(["high", "urgent"])
    );

    // A test message, from the row.
    browser.click(&format!(
        "{PAGE} tr[data-channel-id] button[data-action='test']"
    ));
    browser.wait_for_text(
        &format!("{PAGE} .pc-nt-notice"),
        "Test message sent to Ops hook",
    );
    assert_eq!(sink.received_at("/ops")[0].body["hook"], "test");

    // A real event: only the high-priority issue passes the filter; its delivery shows up.
    server.create(
        &format!("/api/companies/{company}/issues"),
        &json!({"title": "Routine", "priority": "low"}),
    );
    let urgent = server.create(
        &format!("/api/companies/{company}/issues"),
        &json!({"title": "Database down", "priority": "urgent"}),
    );
    let identifier = urgent["identifier"].as_str().unwrap().to_string();
    sink.wait_for("/ops", 2, WAIT);
    browser.click(&format!("{PAGE} button[data-action='refresh']"));
    let delivery = browser.wait_for_text(
        &format!("{PAGE} tr[data-delivery-id]"),
        &format!("{identifier} needs eyes: Database down"),
    );
    assert!(
        delivery.contains("sent") && delivery.contains("issue:created"),
        "{delivery}"
    );
    assert_eq!(browser.count(&format!("{PAGE} tr[data-delivery-id]")), 1);
    browser.screenshot(&artifacts_dir().join("notifications.png"));

    // Disabled from its row: the next event queues nothing.
    browser.click(&format!("{PAGE} tr[data-channel-id] input[name='toggle']"));
    browser.wait_for_text(&format!("{PAGE} .pc-nt-notice"), "Ops hook disabled.");
    wait_until("the channel disabled", WAIT, || {
        (get(&server, "/channels")["items"][0]["enabled"] == false).then_some(())
    });

    // Edit: the form comes back filled, the URL masked; saving keeps it.
    browser.click(&format!(
        "{PAGE} tr[data-channel-id] button[data-action='edit']"
    ));
    let url = browser.eval(&format!(
        "return document.querySelector(\"{PAGE} input[name='url']\").value;"
    ));
    assert_eq!(url, "***");
    browser.fill(&format!("{PAGE} input[name='name']"), "Ops hook (paused)");
    browser.click(&format!("{PAGE} button[data-action='save']"));
    browser.wait_for_text(&format!("{PAGE} .pc-nt-notice"), "Channel saved.");
    browser.wait_for_text(&format!("{PAGE} tr[data-channel-id]"), "Ops hook (paused)");
    create_issue(&server, &company, "Ignored while disabled");

    // Delete (confirmed).
    browser.eval("window.confirm = () => true; return true;");
    browser.click(&format!(
        "{PAGE} tr[data-channel-id] button[data-action='delete']"
    ));
    browser.wait_for_text(PAGE, "No channels yet");
    assert_eq!(get(&server, "/channels")["items"], json!([]));
    assert_eq!(sink.received_at("/ops").len(), 2);

    // The only console message: Chromium's note on the refused (400) bad channel above.
    browser.assert_no_console_errors(&["400 (Bad Request)"]);
}
