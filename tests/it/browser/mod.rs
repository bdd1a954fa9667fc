//! Tests in a real browser: headless Chromium driven through chromedriver (Debian packages
//! `chromium` and `chromium-driver`).
//!
//! Whether they run is decided by [`launch`]:
//! - `GUILDHALL_BROWSER_TESTS=required`: they must run; a missing browser or driver fails the
//!   test (CI sets this).
//! - unset or empty: they run when both programs are installed; otherwise each test prints a
//!   loud "skipped" line to standard error and passes, so `cargo test` works anywhere.
//!
//! On failure, a screenshot and the page source are saved (see [`webdriver::artifacts_dir`]).

mod bookings;
mod events;
mod hostile;
mod journey;
mod layout;
mod projects;
mod reset;
mod social;
mod totp;
mod two_spaces;
mod two_spaces_work;
mod visits;
pub mod webdriver;

use std::io::Write;
use std::path::Path;

use webdriver::Browser;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const GATE_VARIABLE: &str = "GUILDHALL_BROWSER_TESTS";

/// What the gate variable asks for.
#[derive(Debug, PartialEq, Eq)]
enum Demand {
    /// Run when installed, skip loudly otherwise.
    IfInstalled,
    /// Run, or fail.
    Required,
    /// Do not run here: `.ci/run` sets this in its whole-workspace passes and runs the browser
    /// tests in passes of their own, on each backend, away from two hundred other tests
    /// competing for the same cores.
    Skip,
}

fn demand() -> Demand {
    match std::env::var(GATE_VARIABLE) {
        Err(std::env::VarError::NotPresent) => Demand::IfInstalled,
        Ok(v) if v.trim().is_empty() => Demand::IfInstalled,
        Ok(v) if v.trim() == "required" => Demand::Required,
        Ok(v) if v.trim() == "skip" => Demand::Skip,
        Ok(v) => panic!(
            "{GATE_VARIABLE}={v:?} is not understood: leave it unset, or set it to \"required\" or \"skip\""
        ),
        Err(e) => panic!("{GATE_VARIABLE} is not readable: {e}"),
    }
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Starts a browser for `test`, or returns `None` (after saying so on stderr) when browser
/// tests are skipped here. Panics when they are required and cannot run.
pub async fn launch(test: &str) -> Option<Browser> {
    let demand = demand();
    if demand == Demand::Skip {
        let _ = writeln!(
            std::io::stderr().lock(),
            "{test}: not run in this pass ({GATE_VARIABLE}=skip)"
        );
        return None;
    }
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !is_executable(Path::new(p)))
        .collect();
    if !missing.is_empty() {
        let what = missing.join(" and ");
        match demand {
            Demand::Required => panic!(
                "{GATE_VARIABLE}=required, but {what} missing; \
                 install them with `apt-get install -y chromium chromium-driver`"
            ),
            Demand::IfInstalled | Demand::Skip => {
                // Straight to the process's stderr: the test harness would swallow eprintln!
                // output of a passing test.
                let banner = "!".repeat(78);
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "\n{banner}\n!!! {test}: skipped: chromium/chromedriver not installed ({what} missing)\n\
                     !!! install them with `apt-get install -y chromium chromium-driver`;\n\
                     !!! {GATE_VARIABLE}=required turns this skip into a failure\n{banner}"
                );
                return None;
            }
        }
    }
    match Browser::launch(Path::new(CHROMEDRIVER), Path::new(CHROMIUM)).await {
        Ok(browser) => Some(browser),
        // Installed but broken is a failure whatever the gate says: it would hide real trouble.
        Err(e) => panic!("{test}: cannot start the browser: {e:#}"),
    }
}

/// Runs a browser scenario; if it fails, saves a screenshot and the page source before
/// failing the test with the error.
pub async fn run_scenario<F>(test: &str, browser: &Browser, scenario: F)
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    if let Err(e) = scenario.await {
        let saved = browser.save_artifacts(test).await;
        panic!("{test} failed: {e:#}\n({saved})");
    }
}
