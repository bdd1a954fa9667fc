//! `guildhall admin domain block|silence|allow|unblock|list` and
//! `guildhall admin federation-mode open|allowlist`: the domain rules of the admin page, from
//! the terminal. The rules themselves live in `federation::policy`.

use crate::admin::users::describe;
use crate::config::Config;
use crate::error::Error;
use crate::federation::policy::{self, DomainName, FederationMode, Policy, RuleForm};
use crate::storage::Db;
use crate::validate::FieldErrors;

/// Sets the rule for `domain`; returns what happened, in one sentence.
pub async fn set_rule(
    db: &Db,
    config: &Config,
    domain: &str,
    policy: Policy,
    reason: &str,
) -> anyhow::Result<String> {
    let form = RuleForm {
        domain: domain.to_string(),
        policy: policy.as_str().to_string(),
        reason: reason.to_string(),
    };
    let rule = form
        .validate(&config.domain)
        .map_err(|errors| explain(domain, errors))?;
    let outcome = crate::hub::blocks::set_rule(db, &rule.domain, rule.policy, &rule.reason)
        .await
        .map_err(describe)?;
    let mode = policy::federation_mode(db).await.map_err(describe)?;
    let mut message = outcome.summary(mode);
    if outcome.replaced {
        message.push_str(" (The earlier rule for this domain was replaced.)");
    }
    Ok(message)
}

/// Removes whatever rule `domain` has; an error when it has none.
pub async fn unblock(db: &Db, domain: &str) -> anyhow::Result<String> {
    let name = DomainName::parse(domain)
        .map_err(|message| explain(domain, FieldErrors::single("domain", message)))?;
    if policy::remove(db, name.as_str()).await.map_err(describe)? {
        Ok(format!("The rule for {name} is removed."))
    } else {
        anyhow::bail!("there is no rule for {name}")
    }
}

/// The rules as a table, with the federation mode on top.
pub async fn list(db: &Db) -> anyhow::Result<String> {
    let rules = policy::list(db).await.map_err(describe)?;
    let mode = policy::federation_mode(db).await.map_err(describe)?;
    let mut out = format!("federation mode: {}\n", mode.as_str());
    if rules.is_empty() {
        out.push_str("no domain rules");
        return Ok(out);
    }
    let width = rules
        .iter()
        .map(|r| r.domain.len())
        .max()
        .unwrap_or(0)
        .max("DOMAIN".len());
    out.push_str(&format!(
        "{:width$}  {:7}  {:10}  REASON",
        "DOMAIN", "POLICY", "ADDED"
    ));
    for r in &rules {
        let added = chrono::DateTime::from_timestamp_millis(r.created_at)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let line = format!(
            "{:width$}  {:7}  {:10}  {}",
            r.domain,
            r.policy.as_str(),
            added,
            r.reason
        );
        out.push('\n');
        out.push_str(line.trim_end());
    }
    Ok(out)
}

/// Switches the federation mode; returns what it now means.
pub async fn set_mode(db: &Db, mode: &str) -> anyhow::Result<String> {
    let mode = FederationMode::parse(mode).map_err(|m| anyhow::anyhow!("MODE {m}"))?;
    policy::set_federation_mode(db, mode)
        .await
        .map_err(|e| match e {
            Error::Conflict(_) => anyhow::anyhow!(
                "the space is not set up yet: create it first (admin create-user --admin)"
            ),
            other => describe(other),
        })?;
    let allowed = policy::allowed_count(db).await.map_err(describe)?;
    Ok(mode.explain(allowed))
}

/// Validation messages for the terminal: the domain as typed, then what is wrong with it.
fn explain(raw: &str, errors: FieldErrors) -> anyhow::Error {
    let parts: Vec<String> = errors
        .0
        .iter()
        .map(|e| match e.field.as_str() {
            "domain" => format!("domain {raw:?} {}", e.message),
            other => format!("--{other} {}", e.message),
        })
        .collect();
    anyhow::anyhow!("{}", parts.join("; "))
}
