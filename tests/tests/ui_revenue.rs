//! The Revenue page and the margin widget in headless Chromium: the widget shows this month's
//! margin from real income and spend; the page draws the P&L chart and table, records income
//! from its form (a refused currency shows the error naming the field), lists and deletes it —
//! with no console error beyond the one 400 the refused entry caused.

mod modules_support;
mod revenue_support;
mod ui_support;
mod webhooks_support;

use chrono::Utc;
use paperclip_e2e::{json, wait_until, TestBackend, TestServer};
use revenue_support::{add_income, options, BASE, WAIT};
use ui_support::{artifacts_dir, digits, Browser};

const WIDGET: &str = "[data-module='revenue'][data-widget='monthly-margin']";
const MODULE_LINK: &str = "a.nav-link[data-module-page='revenue/revenue']";

#[test]
fn the_revenue_page_and_widget_show_the_pnl_and_record_income() {
    let server = TestServer::start(TestBackend::Sqlite, options(json!({})));
    let company = server.create_company("Browser Co");
    let agent = server.create_agent(&company, json!({"name": "Ada"}));
    add_income(
        &server,
        json!({"companyId": company, "amountCents": 50_000, "currency": "USD",
               "description": "First customer"}),
    );
    server.create(
        &format!("/api/companies/{company}/cost-events"),
        &json!({"agentId": agent, "amountCents": 1_234}),
    );
    let month_start = Utc::now().format("%Y-%m-01").to_string();
    wait_until("the spend in the P&L", WAIT, || {
        let pnl = server.get_ok(&format!(
            "{BASE}/pnl?companyId={company}&from={month_start}&to=2100-01-01&granularity=month"
        ));
        (pnl["totals"]["costCents"] == 1_234).then_some(())
    });
    let Some(browser) = Browser::start("ui_revenue", server.base_url()) else {
        return;
    };

    // The dashboard widget: this month's margin, 500.00 − 12.34.
    browser.open("/");
    let margin = browser.wait_for_css(&format!("{WIDGET} #rev-widget-margin"));
    assert_eq!(digits(&margin), "48766", "{margin}");
    assert!(margin.contains("USD"), "{margin}");
    let detail = browser.wait_for_css(&format!("{WIDGET} #rev-widget-detail"));
    assert!(
        detail.contains("income") && detail.contains("cost"),
        "{detail}"
    );

    // The page: a chart with a labelled money axis, and a table of 30 days with the totals.
    browser.click(MODULE_LINK);
    browser.wait_for_css("#rev-chart");
    browser.wait_for_text("#rev-chart", "USD");
    assert_eq!(browser.count("#rev-table tbody tr.rev-period"), 30);
    assert_eq!(browser.count("#rev-chart rect.rev-bar-income"), 30);
    let totals = browser.wait_for_css("#rev-totals");
    assert!(
        totals.contains("48,766") || digits(&totals).ends_with("48766"),
        "{totals}"
    );
    // Time runs left to right: the first x label is the earliest day.
    let labels = browser.texts("#rev-chart text.rev-x-label");
    assert!(labels.len() >= 2, "{labels:?}");
    assert!(labels.first() < labels.last(), "{labels:?}");
    browser.wait_for_text(".rev-entry", "First customer");
    browser.screenshot(&artifacts_dir().join("revenue.png"));

    // A refused entry names the field; a good one is listed and counted.
    browser.fill("input[name='amount']", "25.50");
    browser.fill("input[name='currency']", "dollars");
    browser.click("#rev-save");
    browser.wait_for_text("#rev-form-error", "currency");
    browser.fill("input[name='currency']", "usd");
    browser.fill("input[name='description']", "Second customer");
    browser.click("#rev-save");
    browser.wait_for(
        "the second entry listed",
        "return [...document.querySelectorAll('.rev-entry')].some((row) => row.textContent.includes('Second customer'));",
    );
    let entries = server.items(&format!("{BASE}/income?companyId={company}"));
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries
        .iter()
        .any(|e| e["amountCents"] == 2_550 && e["currency"] == "USD"));
    wait_until("the new totals on the page", WAIT, || {
        let totals = browser.texts("#rev-totals");
        totals
            .first()
            .is_some_and(|t| digits(t).ends_with("51316"))
            .then_some(())
    });

    // Deleting a manual entry.
    browser.click(".rev-entry .rev-delete");
    wait_until("one entry left", WAIT, || {
        (server
            .items(&format!("{BASE}/income?companyId={company}"))
            .len()
            == 1)
            .then_some(())
    });
    browser.wait_for(
        "one entry row",
        "return document.querySelectorAll('.rev-entry').length === 1;",
    );

    browser.assert_no_console_errors(&["the server responded with a status of 400"]);
}
