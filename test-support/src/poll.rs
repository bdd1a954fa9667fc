//! Bounded polling: wait for something to happen, against a deadline, never a fixed sleep.

use std::future::Future;
use std::time::{Duration, Instant};

/// What one poll of [`eventually`] saw: done with a value, or not yet (with what it saw, for
/// the failure message).
pub trait Outcome<T> {
    fn into_outcome(self) -> Result<T, Option<String>>;
}

/// `None`: not yet.
impl<T> Outcome<T> for Option<T> {
    fn into_outcome(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

/// `Err(seen)`: not yet, and `seen` is what the check found instead.
impl<T> Outcome<T> for Result<T, String> {
    fn into_outcome(self) -> Result<T, Option<String>> {
        self.map_err(Some)
    }
}

/// Polls `check` every `every` until it answers `Some` or `Ok`, for at most `within`; on
/// timeout the test fails with `what` and, when `check` said, what it last saw (its `Err`).
pub async fn eventually<T, O, F, Fut>(
    what: &str,
    within: Duration,
    every: Duration,
    mut check: F,
) -> T
where
    O: Outcome<T>,
    F: FnMut() -> Fut,
    Fut: Future<Output = O>,
{
    let deadline = Instant::now() + within;
    loop {
        match check().await.into_outcome() {
            Ok(v) => return v,
            Err(seen) if Instant::now() >= deadline => match seen {
                Some(seen) => {
                    panic!("timed out after {within:?} waiting for {what}; last seen: {seen}")
                }
                None => panic!("timed out waiting for {what}"),
            },
            Err(_) => tokio::time::sleep(every).await,
        }
    }
}

/// How long [`eventually_exactly`] keeps watching once the count is reached: a duplicate sent
/// late (a retry, a second queued row) arrives well within it.
pub const SETTLE: Duration = Duration::from_millis(1500);

/// Waits (at most 20 seconds) until `count` gives `n`, then keeps watching for [`SETTLE`]: the
/// test fails if the count ever goes past `n`, so something arriving twice, or arriving where it
/// must not, is caught even when it comes after the expected ones.
pub async fn eventually_exactly<F, Fut>(n: usize, what: &str, mut count: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = usize>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = count().await;
        assert!(got <= n, "{what}: {got}, expected exactly {n}");
        if got == n {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {got} of {n}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let until = Instant::now() + SETTLE;
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let got = count().await;
        assert_eq!(got, n, "{what}: {got} after it had reached {n}");
    }
}
