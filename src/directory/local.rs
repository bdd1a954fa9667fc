//! This space's own entries, derived from its members, companies, projects, public upcoming
//! events and the space itself.
//!
//! Rather than asking every code path that changes a profile, a company or the space to tell
//! the directory, the directory reconciles: before it is read or published it compares a cheap
//! signature of its sources (row counts, change times and how many events are still to come)
//! with the one it last saw, and when it
//! differs it recomputes every local entry and writes only those whose content changed (each
//! with a new change number) and removes those no longer listed. A change made through any
//! path, today's or a future one, reaches the directory the next time it is looked at.

use super::model::{clip, Draft, Kind};
use super::store;
use crate::error::Result;
use crate::federation::urls::Urls;
use crate::state::AppState;
use crate::storage::now_ms;

/// Reconciles local entries when their sources changed since the last look.
pub async fn ensure_fresh(state: &AppState) -> Result<()> {
    let runtime = &state.directory;
    let signature = store::local_sources_signature(&state.db, now_ms()).await?;
    if runtime.last_signature().as_deref() == Some(signature.as_str()) {
        return Ok(());
    }
    let _one_at_a_time = runtime.reconcile_lock.lock().await;
    if runtime.last_signature().as_deref() == Some(signature.as_str()) {
        return Ok(());
    }
    let changed = reconcile(state).await?;
    if changed > 0 {
        tracing::debug!(changed, "local directory entries updated");
    }
    runtime.set_signature(signature);
    Ok(())
}

/// What the space lists now: every entry it should publish.
pub async fn listed(state: &AppState) -> Result<Vec<Draft>> {
    let Some(space) = crate::spaces::store::get(&state.db).await? else {
        return Ok(Vec::new());
    };
    if !store::publishing(&state.db).await? {
        return Ok(Vec::new());
    }
    let urls = Urls::new(&state.config);
    let origin = urls.domain().to_string();
    let country = space.country.to_uppercase();
    let mut out = Vec::new();
    out.push(Draft {
        uri: urls.space(),
        kind: Kind::Space,
        origin: origin.clone(),
        // The space is found by its domain (WebFinger on the bare domain, FEP-d556).
        handle: urls.domain().to_string(),
        name: space.name.clone(),
        summary: space.description.clone(),
        url: urls.space(),
        icon_url: String::new(),
        industry: String::new(),
        skills: Vec::new(),
        city: space.city.clone(),
        country: country.clone(),
        space_name: space.name.clone(),
        hiring: false,
        open_to_collaborate: false,
        starts_at: None,
        ends_at: None,
    });
    for a in crate::accounts::store::discoverable(&state.db).await? {
        let uri = urls.member(&a.handle);
        out.push(Draft {
            url: uri.clone(),
            uri,
            kind: Kind::Person,
            origin: origin.clone(),
            handle: format!("@{}@{}", a.handle, urls.domain()),
            name: a.name().to_string(),
            summary: a.bio.clone(),
            icon_url: a
                .avatar_key
                .as_ref()
                .map(|k| urls.media(k))
                .unwrap_or_default(),
            industry: String::new(),
            skills: a.skills.clone(),
            city: space.city.clone(),
            country: country.clone(),
            space_name: space.name.clone(),
            hiring: false,
            open_to_collaborate: false,
            starts_at: None,
            ends_at: None,
        });
    }
    let companies = crate::companies::store::all(&state.db).await?;
    // A company without a place of its own is where the space is.
    let place_of = |c: &crate::companies::Company| {
        if c.city.is_empty() && c.country.is_empty() {
            (space.city.clone(), country.clone())
        } else {
            (c.city.clone(), c.country.to_uppercase())
        }
    };
    for c in companies.iter().filter(|c| c.discoverable) {
        let uri = urls.company(&c.handle);
        let (city, company_country) = place_of(c);
        out.push(Draft {
            url: uri.clone(),
            uri,
            kind: Kind::Company,
            origin: origin.clone(),
            handle: format!("@{}@{}", c.handle, urls.domain()),
            name: c.name.clone(),
            summary: c.description.clone(),
            icon_url: c
                .logo_key
                .as_ref()
                .map(|k| urls.media(k))
                .unwrap_or_default(),
            industry: c.industry.clone(),
            skills: c.skills.clone(),
            city,
            country: company_country,
            space_name: space.name.clone(),
            hiring: c.hiring,
            open_to_collaborate: c.open_to_collaborate,
            starts_at: None,
            ends_at: None,
        });
    }
    // Projects are public `Group` actors with no switch of their own: every one is listed,
    // open or closed. A company's project carries the company's industry, skills and place;
    // a member's project only the space's place (a person's skills are not the project's).
    for p in crate::projects::store::all(&state.db).await? {
        let uri = urls.project(&p.handle);
        let owner = p
            .company_id
            .and_then(|id| companies.iter().find(|c| c.id == id));
        let (industry, skills, (city, project_country)) = match owner {
            Some(c) => (c.industry.clone(), c.skills.clone(), place_of(c)),
            None => (
                String::new(),
                Vec::new(),
                (space.city.clone(), country.clone()),
            ),
        };
        out.push(Draft {
            url: uri.clone(),
            uri,
            kind: Kind::Project,
            origin: origin.clone(),
            handle: format!("@{}@{}", p.handle, urls.domain()),
            name: p.name.clone(),
            summary: clip(&p.summary, SUMMARY_MAX),
            icon_url: String::new(),
            industry,
            skills,
            city,
            country: project_country,
            space_name: space.name.clone(),
            hiring: false,
            open_to_collaborate: !p.closed,
            starts_at: None,
            ends_at: None,
        });
    }
    // Public events that have not ended and are neither cancelled nor deleted. Their place is
    // the event's own: an online event has none.
    for e in crate::events::lists::listable_local(state, now_ms()).await? {
        let event_country = e.country.trim();
        let event_country =
            if event_country.len() == 2 && event_country.chars().all(|c| c.is_ascii_alphabetic()) {
                event_country.to_uppercase()
            } else {
                String::new()
            };
        out.push(Draft {
            uri: e.uri.clone(),
            kind: Kind::Event,
            origin: origin.clone(),
            handle: String::new(),
            name: e.title.clone(),
            summary: clip(&e.source, SUMMARY_MAX),
            url: if e.url.is_empty() {
                e.uri.clone()
            } else {
                e.url.clone()
            },
            icon_url: String::new(),
            industry: String::new(),
            skills: Vec::new(),
            city: clip(e.locality.trim(), 80),
            country: event_country,
            space_name: space.name.clone(),
            hiring: false,
            open_to_collaborate: false,
            starts_at: Some(e.starts_at),
            ends_at: Some(e.ends_at),
        });
    }
    Ok(out)
}

/// The longest summary a project or event entry carries (as much as peers keep).
const SUMMARY_MAX: usize = 2000;

/// Brings the stored local entries in line with [`listed`]; returns how many changed.
pub async fn reconcile(state: &AppState) -> Result<usize> {
    let wanted = listed(state).await?;
    let stored = store::local_index(&state.db).await?;
    let stored: std::collections::HashMap<String, (String, bool)> = stored
        .into_iter()
        .map(|(uri, fp, deleted)| (uri, (fp, deleted)))
        .collect();
    let mut writes = Vec::new();
    let mut keep = std::collections::HashSet::new();
    for d in wanted {
        keep.insert(d.uri.clone());
        match stored.get(&d.uri) {
            Some((fp, false)) if *fp == d.fingerprint() => {}
            _ => writes.push(d),
        }
    }
    let mut removals: Vec<&String> = stored
        .iter()
        .filter(|(uri, (_, deleted))| !deleted && !keep.contains(*uri))
        .map(|(uri, _)| uri)
        .collect();
    removals.sort();
    if writes.is_empty() && removals.is_empty() {
        return Ok(0);
    }
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    let mut seq = store::next_seq(&state.db, &mut tx).await?;
    for d in &writes {
        // A remote entry never holds a local address; should one, the local one replaces it.
        store::write(&mut tx, d, true, seq, now, now).await?;
        seq += 1;
    }
    for uri in &removals {
        store::remove(&mut tx, uri, seq, now).await?;
        seq += 1;
    }
    tx.commit().await?;
    Ok(writes.len() + removals.len())
}
