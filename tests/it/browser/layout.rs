//! Every main page, signed in and signed out, at a phone's width (390 px) and a desktop's
//! (1280 px): nothing scrolls sideways (`scrollWidth <= innerWidth`), and axe-core finds no
//! serious or critical accessibility violation; at 1280 px the header is one row. On the demo
//! space, so pages have content.
//!
//! axe-core comes from npm, pinned in tests/axe (`npm ci` there; `.ci/run` does it). Without
//! it the test fails when browser tests are required and is skipped loudly otherwise.

use std::path::PathBuf;

use anyhow::{anyhow, ensure, Result};
use serde_json::{json, Value};

use super::webdriver::Browser;
use crate::support::{fresh_database, Instance};

const TEST: &str = "main_pages_fit_narrow_and_wide_screens_and_pass_axe";
const WIDTHS: [u32; 2] = [390, 1280];

fn axe_source() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(path).ok()
}

#[tokio::test]
async fn main_pages_fit_narrow_and_wide_screens_and_pass_axe() {
    let Some(axe) = axe_source() else {
        if super::demand() == super::Demand::Required {
            panic!("{TEST}: axe-core is missing; run `npm ci` in tests/axe");
        }
        eprintln!("SKIPPED {TEST}: axe-core is not installed (run `npm ci` in tests/axe)");
        return;
    };
    let Some(browser) = super::launch(TEST).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let inst = Instance::start(&fresh_database(dir.path()).await, &[]).await;
    let report = guildhall::admin::seed::seed_demo(&inst.state.db, &inst.state.config, false)
        .await
        .expect("the demo space");
    let password = report
        .split("with the password: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the demo password")
        .to_string();
    super::run_scenario(TEST, &browser, check(&inst, &browser, &axe, &password)).await;
    inst.stop().await;
}

/// The address of the first link matching `css` on the page at `url`.
async fn first_link(b: &Browser, url: &str, css: &str) -> Result<String> {
    b.goto(url).await?;
    let href = b.find(css).await?.attribute("href").await?;
    ensure!(!href.is_empty(), "no link {css} on {url}");
    Ok(href)
}

async fn check(inst: &Instance, b: &Browser, axe: &str, password: &str) -> Result<()> {
    let app = &inst.app;
    b.goto(&app.url("/login")).await?;
    b.fill("#login-form #login", "marta").await?;
    b.fill("#login-form #password", password).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_for_text(".account-nav .chip", "@marta").await?;

    let task = first_link(b, &app.url("/projects/relaunch"), "a[href*='/tasks/']").await?;
    let post = first_link(b, &app.url("/feed"), "a[href^='/posts/']").await?;
    let mut signed_in: Vec<String> = [
        "/home",
        "/feed",
        "/members",
        "/members/ada",
        "/companies",
        "/companies/azulejo",
        "/companies/azulejo/members",
        "/projects",
        "/projects/relaunch",
        "/events",
        "/events/demo-rust-coffee",
        "/events/new",
        "/directory",
        "/directory?q=rust",
        "/network",
        "/messages",
        "/notifications",
        "/settings/profile",
        "/admin",
        "/admin/peers",
        "/admin/domains",
        "/admin/deliveries",
        "/admin/members",
        "/admin/reports",
        "/admin/audit",
        "/admin/mail",
        "/admin/blocklists",
        "/admin/trusted-spaces",
        "/resources",
        "/resources/new",
        "/bookings",
        "/visits",
        "/companies/new",
        "/settings/email",
        "/settings/two-factor",
        "/settings/calendar",
        "/settings/blocks",
        "/settings/delete",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    signed_in.push(task);
    signed_in.push(post);

    let mut problems = Vec::new();
    for path in &signed_in {
        check_page(b, &app.url(path), axe, &mut problems).await?;
    }
    b.set_window_size(1280, 1000).await?;
    b.goto(&app.url("/home")).await?;
    b.click(".account-nav form[action=\"/logout\"] button[type=submit]")
        .await?;
    b.wait_for_text(".account-nav", "Sign in").await?;
    for path in [
        "/",
        "/members",
        "/directory",
        "/events",
        "/login",
        "/signup",
    ] {
        check_page(b, &app.url(path), axe, &mut problems).await?;
    }
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

async fn check_page(b: &Browser, url: &str, axe: &str, problems: &mut Vec<String>) -> Result<()> {
    for width in WIDTHS {
        b.set_window_size(width, 900).await?;
        b.goto(url).await?;
        let sizes = b
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                json!([]),
            )
            .await?;
        let (scroll, inner) = (
            sizes[0].as_i64().unwrap_or(0),
            sizes[1].as_i64().unwrap_or(0),
        );
        if scroll > inner || inner == 0 {
            problems.push(format!(
                "{url} at {width} px scrolls sideways: {scroll} px wide in {inner} px"
            ));
        }
        // On a wide screen the header is one row: the brand, every menu entry and the
        // account links share a line (their vertical centres within a few pixels).
        if width >= 1280 {
            let centres = b
                .execute(
                    "return Array.from(document.querySelectorAll(
                        '.topbar .brand, .topbar .nav a, .topbar .account-nav > *'))
                        .filter(e => e.offsetParent !== null)
                        .map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; });",
                    json!([]),
                )
                .await?;
            let centres: Vec<f64> = centres
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            let (low, high) = centres
                .iter()
                .fold((f64::MAX, f64::MIN), |(l, h), c| (l.min(*c), h.max(*c)));
            if centres.is_empty() || high - low > 8.0 {
                problems.push(format!(
                    "{url} at {width} px: the header is not one row (centres {centres:?})"
                ));
            }
        }
    }
    // axe at the narrow width (the menu folded) and the wide one (everything shown).
    for width in WIDTHS {
        b.set_window_size(width, 900).await?;
        b.goto(url).await?;
        for v in axe_violations(b, axe).await? {
            problems.push(format!("{url} at {width} px: {v}"));
        }
    }
    Ok(())
}

/// The serious and critical violations axe finds on the current page, one line each.
async fn axe_violations(b: &Browser, axe: &str) -> Result<Vec<String>> {
    // WebDriver scripts are not subject to the page's Content-Security-Policy.
    b.execute(&format!("{axe}\n;return true;"), json!([]))
        .await?;
    let result = b
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))
                }))))
                .catch(e => done({ error: String(e) }));",
            json!([]),
        )
        .await?;
    if let Some(e) = result.get("error") {
        return Err(anyhow!("axe failed: {e}"));
    }
    let Some(violations) = result.as_array() else {
        return Err(anyhow!("axe gave no list of violations: {result}"));
    };
    Ok(violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v: &Value| {
            format!(
                "axe {} ({}): {} at {}",
                v["id"].as_str().unwrap_or_default(),
                v["impact"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default(),
                v["nodes"]
            )
        })
        .collect())
}
