//! A domain rule set by an administrator, with what each layer clears when it is a block: the
//! directory forgets the domain's entries, the floor ends follows with it and fails its queued
//! deliveries, all in one transaction.

use crate::directory;
use crate::error::Result;
use crate::federation::policy::{self, DomainName, Policy, SetOutcome};
use crate::storage::Db;

/// Sets the rule for a domain, replacing any rule it had. A block also clears, in the same
/// transaction, the directory's entries of the domain and what the floor shares with it (see
/// [`policy::apply_block`]).
pub async fn set_rule(
    db: &Db,
    domain: &DomainName,
    policy: Policy,
    reason: &str,
) -> Result<SetOutcome> {
    let mut tx = db.begin_write().await?;
    if policy == Policy::Block {
        // The directory forgets the domain's entries in the same transaction.
        directory::sync::remove_blocked(db, &mut tx, domain.as_str()).await?;
    }
    let outcome = policy::set_in(&mut tx, domain, policy, reason).await?;
    tx.commit().await?;
    Ok(outcome)
}
