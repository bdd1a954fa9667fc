//! Domain policy: which remote servers this space talks to. An administrator blocks a domain
//! (reject everything from it and send nothing to it), silences it (accept, but hide from
//! public views), or runs the space in allowlist mode (only listed domains federate). A rule for
//! a domain covers its subdomains.
//!
//! The decisions live here; the SQL of `domain_policies` and of the space's federation mode
//! in `store`.

mod cache;
mod store;

pub use cache::DecisionCache;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::link::RemoteUrl;
use super::{delivery, follows};
use crate::error::{Error, Result};
use crate::storage::{now_ms, Db, Tx};
use crate::validate::{self, FieldErrors};

/// What the policy says about a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Silence,
    Block,
}

/// The host part of `host[:port]`, lower-cased, without a trailing dot.
pub fn normalize_host(host: &str) -> String {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    match h.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') => {
            name.to_string()
        }
        _ => h,
    }
}

/// The host itself and each parent domain: `a.b.example` → `a.b.example`, `b.example`,
/// `example`.
pub(crate) fn candidates(host: &str) -> Vec<String> {
    let mut out = vec![host.to_string()];
    let mut rest = host;
    while let Some((_, parent)) = rest.split_once('.') {
        out.push(parent.to_string());
        rest = parent;
    }
    out
}

/// [`decide`] through the instance's [`DecisionCache`]: what the inbox, the deliveries and
/// signed fetches ask, once per host and second at most while the rules do not change.
pub async fn decide_cached(ctx: &super::Context, host: &str) -> Result<Decision> {
    let host = normalize_host(host);
    if let Some(decision) = ctx.decisions.get(&host) {
        return Ok(decision);
    }
    let read_at = std::time::Instant::now();
    let decision = decide(&ctx.db, &host).await?;
    ctx.decisions.put(host, decision, read_at);
    Ok(decision)
}

/// Every rule and the federation mode, as one value: what the directory's searches hide.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<DomainRule>,
    pub mode: FederationMode,
}

/// [`list`] and [`federation_mode`] through the instance's [`DecisionCache`]: read at most
/// once a second while the rules do not change (every directory search asks).
pub async fn rules_cached(ctx: &super::Context) -> Result<Arc<RuleSet>> {
    if let Some(set) = ctx.decisions.rules() {
        return Ok(set);
    }
    let read_at = std::time::Instant::now();
    let (rules, mode) = tokio::try_join!(list(&ctx.db), federation_mode(&ctx.db))?;
    let set = Arc::new(RuleSet { rules, mode });
    ctx.decisions.put_rules(set.clone(), read_at);
    Ok(set)
}

/// Decides for a host (`host` or `host:port`), in one query: the rules for the host and each
/// parent domain, and the space's federation mode. A block anywhere up the chain wins; in
/// allowlist mode a host federates only when it or a parent is allowed.
pub async fn decide(db: &Db, host: &str) -> Result<Decision> {
    let host = normalize_host(host);
    let names = candidates(&host);
    let values = store::policies_for(db, &names).await?;
    let mut block = false;
    let mut silence = false;
    let mut allow = false;
    let mut allowlist = false;
    for value in &values {
        match value.as_str() {
            "block" => block = true,
            "silence" => silence = true,
            "allow" => allow = true,
            "mode:allowlist" => allowlist = true,
            _ => {}
        }
    }
    if block || (allowlist && !allow) {
        return Ok(Decision::Block);
    }
    Ok(if silence {
        Decision::Silence
    } else {
        Decision::Allow
    })
}

/// The authority of a URL (`host`, or `host:port` when a port is given), lower-cased: what
/// names one server. Development instances differ only by port, so identity checks use this;
/// policy rules (which ignore ports) use [`host_of`]. `None` for anything but an http(s)
/// address with a host (see [`RemoteUrl`]): an id in another scheme names no server.
pub fn authority_of(url: &str) -> Option<String> {
    RemoteUrl::parse(url, true)
        .ok()
        .map(|u| u.authority().to_string())
}

/// The host of an http(s) URL, normalised, or `None` when it is not one.
pub fn host_of(url: &str) -> Option<String> {
    RemoteUrl::parse(url, true)
        .ok()
        .map(|u| u.host().to_string())
}

// --- rules: what administrators set ---------------------------------------------------------

/// What a rule does to a domain and its subdomains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Reject everything from it, send nothing to it, fetch nothing from it.
    Block,
    /// Federate, but keep its actors out of public views.
    Silence,
    /// Listed as a partner: in allowlist mode only these domains federate.
    Allow,
}

impl Policy {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "block" => Ok(Policy::Block),
            "silence" => Ok(Policy::Silence),
            "allow" => Ok(Policy::Allow),
            "" => Err("is required: block, silence or allow".into()),
            _ => Err("must be block, silence or allow".into()),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Policy::Block => "block",
            Policy::Silence => "silence",
            Policy::Allow => "allow",
        }
    }

    /// A capitalised word for pages.
    pub fn label(&self) -> &'static str {
        match self {
            Policy::Block => "Block",
            Policy::Silence => "Silence",
            Policy::Allow => "Allow",
        }
    }

    /// The past participle, for messages: "blocked", "silenced", "allowed".
    pub fn done(&self) -> &'static str {
        match self {
            Policy::Block => "blocked",
            Policy::Silence => "silenced",
            Policy::Allow => "allowed",
        }
    }
}

/// Whom the space federates with: everyone not blocked, or only allowed domains.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FederationMode {
    #[default]
    Open,
    Allowlist,
}

impl FederationMode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(FederationMode::Open),
            "allowlist" => Ok(FederationMode::Allowlist),
            _ => Err("must be open or allowlist".into()),
        }
    }

    /// What the mode means given how many domains are allowed, for notices and the terminal.
    pub fn explain(&self, allowed: i64) -> String {
        match (self, allowed) {
            (FederationMode::Open, _) => {
                "Federation is open: every domain that is not blocked federates.".to_string()
            }
            (FederationMode::Allowlist, 0) => "Allowlist mode is on, but no domain is allowed \
                 yet: this space federates with nobody until you allow some."
                .to_string(),
            (FederationMode::Allowlist, 1) => "Allowlist mode is on: only the one allowed \
                 domain and its subdomains federate."
                .to_string(),
            (FederationMode::Allowlist, n) => format!(
                "Allowlist mode is on: only the {n} allowed domains and their subdomains \
                 federate."
            ),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            FederationMode::Open => "open",
            FederationMode::Allowlist => "allowlist",
        }
    }
}

/// A domain a rule names: a lower-case host name with at least one dot, no scheme, path,
/// port or `*.` (a rule covers subdomains anyway). International names are stored as
/// punycode (`xn--…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(raw: &str) -> Result<DomainName, String> {
        let t = raw.trim();
        if t.is_empty() {
            return Err("is required".into());
        }
        if t.contains("://") {
            return Err("must be a domain name only, without http:// or https://".into());
        }
        if t.contains('@') {
            return Err(
                "must be a domain name, not an account: write the part after the last @".into(),
            );
        }
        if t.contains(['/', '?', '#']) {
            return Err("must be a domain name only, without a path".into());
        }
        if t.starts_with("*.") {
            return Err("must be written without *.: a rule covers every subdomain".into());
        }
        if t.contains(':') || t.starts_with('[') {
            return Err("must be a domain name without a port".into());
        }
        let t = t.strip_suffix('.').unwrap_or(t);
        let name = if t.is_ascii() {
            t.to_ascii_lowercase()
        } else {
            match url::Host::parse(t) {
                Ok(url::Host::Domain(d)) => d,
                _ => return Err("is not a valid domain name".into()),
            }
        };
        if name.parse::<std::net::IpAddr>().is_ok() {
            return Err("must be a domain name, not an IP address".into());
        }
        if name.len() > 253 {
            return Err("must be at most 253 characters".into());
        }
        if !name.contains('.') {
            return Err("must have at least one dot, such as social.example".into());
        }
        for label in name.split('.') {
            let valid = !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                return Err(
                    "is not a valid domain name: each part between dots has 1 to 63 \
                            letters, digits or hyphens and does not start or end with a hyphen"
                        .into(),
                );
            }
        }
        if name
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
        {
            return Err("must be a domain name, not an IP address".into());
        }
        Ok(DomainName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a rule for this domain applies to `host` (the domain itself or a subdomain).
    pub fn covers(&self, host: &str) -> bool {
        covers(&self.0, &normalize_host(host))
    }
}

impl std::fmt::Display for DomainName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `host` is `domain` or one of its subdomains (both already normalised).
fn covers(domain: &str, host: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// One stored rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainRule {
    pub domain: String,
    pub policy: Policy,
    pub reason: String,
    pub created_at: i64,
}

/// A rule as typed into the page, sent to the API or given on the command line.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub policy: String,
    #[serde(default)]
    pub reason: String,
}

/// A rule that passed validation.
#[derive(Debug, Clone)]
pub struct ValidRule {
    pub domain: DomainName,
    pub policy: Policy,
    pub reason: String,
}

/// Longest reason kept with a rule.
pub const MAX_REASON: usize = 500;

impl RuleForm {
    /// Checks the rule. `own_domain` is this space's configured domain (`host[:port]`): a
    /// block or silence that covers it is refused, since it would cut the space off from itself.
    pub fn validate(&self, own_domain: &str) -> Result<ValidRule, FieldErrors> {
        let mut errors = FieldErrors::new();
        let domain = errors.check("domain", DomainName::parse(&self.domain));
        let policy = errors.check("policy", Policy::parse(&self.policy));
        let reason = errors.check("reason", validate::line(&self.reason, MAX_REASON, false));
        if let (Some(d), Some(p)) = (&domain, policy) {
            if p != Policy::Allow && d.covers(own_domain) {
                errors.add(
                    "domain",
                    format!(
                        "covers this space's own domain ({}); a space cannot {} itself",
                        normalize_host(own_domain),
                        p.as_str()
                    ),
                );
            }
        }
        match (domain, policy, reason) {
            (Some(domain), Some(policy), Some(reason)) if errors.is_empty() => Ok(ValidRule {
                domain,
                policy,
                reason,
            }),
            _ => Err(errors),
        }
    }
}

/// What setting a rule changed.
#[derive(Debug, Clone, Serialize)]
pub struct SetOutcome {
    pub rule: DomainRule,
    /// Whether a rule for this domain existed before and was replaced.
    pub replaced: bool,
    pub effects: BlockEffects,
}

impl SetOutcome {
    /// One sentence for a notice or the terminal: "spam.example is now blocked (2 follows
    /// removed)." `mode` adds a hint when an allow rule has no effect yet.
    pub fn summary(&self, mode: FederationMode) -> String {
        let mut s = format!("{} is now {}", self.rule.domain, self.rule.policy.done());
        let effects = self.effects.describe();
        if !effects.is_empty() {
            s.push_str(&format!(" ({effects})"));
        }
        s.push('.');
        if self.rule.policy == Policy::Allow && mode == FederationMode::Open {
            s.push_str(" Allow rules take effect only in allowlist mode.");
        }
        s
    }
}

/// What a block cleared at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BlockEffects {
    /// Follow relations in either direction with actors of the domain.
    pub follows_removed: u64,
    /// Queued deliveries to the domain, now failed with `blocked`.
    pub deliveries_failed: u64,
}

impl BlockEffects {
    /// "2 follows removed, 1 queued delivery cancelled", or "" when nothing changed.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.follows_removed > 0 {
            parts.push(format!(
                "{} follow{} removed",
                self.follows_removed,
                if self.follows_removed == 1 { "" } else { "s" }
            ));
        }
        if self.deliveries_failed > 0 {
            parts.push(format!(
                "{} queued deliver{} cancelled",
                self.deliveries_failed,
                if self.deliveries_failed == 1 {
                    "y"
                } else {
                    "ies"
                }
            ));
        }
        parts.join(", ")
    }
}

/// Every rule, by domain.
pub async fn list(db: &Db) -> Result<Vec<DomainRule>> {
    store::list(db).await
}

/// How many domains are allowed (what allowlist mode federates with).
pub async fn allowed_count(db: &Db) -> Result<i64> {
    store::allowed_count(db).await
}

/// Sets the rule for a domain, replacing any rule it had; a block also clears, in the same
/// transaction, what the floor shares with the domain (see [`apply_block`]). This is the
/// floor's part only: administrators' pages, API and CLI go through the composition layer
/// (`hub::blocks::set_rule`), which also lets the features react in that transaction.
pub async fn set(db: &Db, domain: &DomainName, policy: Policy, reason: &str) -> Result<SetOutcome> {
    let mut tx = db.begin_write().await?;
    let outcome = set_in(&mut tx, domain, policy, reason).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// [`set`] inside the caller's transaction.
pub async fn set_in(
    tx: &mut Tx,
    domain: &DomainName,
    policy: Policy,
    reason: &str,
) -> Result<SetOutcome> {
    let now = now_ms();
    let replaced = store::upsert(tx, domain.as_str(), policy, reason, now).await?;
    let effects = if policy == Policy::Block {
        apply_block(tx, domain).await?
    } else {
        BlockEffects::default()
    };
    Ok(SetOutcome {
        rule: DomainRule {
            domain: domain.to_string(),
            policy,
            reason: reason.to_string(),
            created_at: now,
        },
        replaced,
        effects,
    })
}

/// Removes the rule for a domain; `false` when there was none.
pub async fn remove(db: &Db, domain: &str) -> Result<bool> {
    store::remove(db, &normalize_host(domain)).await
}

/// [`remove`] inside the caller's transaction.
pub async fn remove_in(tx: &mut Tx, domain: &str) -> Result<bool> {
    store::remove_tx(tx, &normalize_host(domain)).await
}

/// The space's federation mode; `open` before the space is set up.
pub async fn federation_mode(db: &Db) -> Result<FederationMode> {
    Ok(match store::federation_mode(db).await? {
        Some(m) => FederationMode::parse(&m).map_err(|e| anyhow::anyhow!("stored mode {e}"))?,
        None => FederationMode::Open,
    })
}

/// Switches the federation mode; a conflict before the space is set up.
pub async fn set_federation_mode(db: &Db, mode: FederationMode) -> Result<()> {
    if !store::set_federation_mode(db, mode.as_str(), now_ms()).await? {
        return Err(Error::Conflict("The space is not set up yet.".into()));
    }
    Ok(())
}

/// Clears what the space shares with a blocked domain and its subdomains: follow relations
/// in either direction end, and deliveries still queued for its hosts fail with `blocked`.
/// Hosts are compared exactly in Rust after a coarse `LIKE` filter, so `notexample.org` is
/// never caught by a block of `example.org`.
pub async fn apply_block(tx: &mut Tx, domain: &DomainName) -> Result<BlockEffects> {
    let pattern = format!("%{}%", domain.as_str());
    let hit = |uri: &str| host_of(uri).is_some_and(|h| covers(domain.as_str(), &h));
    let doomed: Vec<i64> = follows::store::follows_like(tx, &pattern)
        .await?
        .into_iter()
        .filter(|(_, follower, followee)| hit(follower) || hit(followee))
        .map(|(id, _, _)| id)
        .collect();
    let follows_removed = follows::store::delete_follows(tx, &doomed).await?;

    let mut deliveries_failed = 0;
    for host in delivery::store::queued_hosts_like(tx, &pattern)
        .await?
        .iter()
        .filter(|h| covers(domain.as_str(), &normalize_host(h)))
    {
        deliveries_failed += delivery::store::fail_blocked(tx, host).await?;
    }
    Ok(BlockEffects {
        follows_removed,
        deliveries_failed,
    })
}

#[cfg(test)]
mod tests;
