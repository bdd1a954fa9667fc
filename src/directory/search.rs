//! Searching the directory: the query as sent (page and API share it), validated into
//! [`Filters`], run against the directory's index (words, filters, facet counts, order) and
//! the page's cards read from the store; a query that is a handle or an
//! address resolves that actor on the fly.

use serde::{Deserialize, Serialize};

use super::index::Facets;
use super::model::{clip, Entry, Kind};
use super::store;
use super::sync::draft_from_actor;
use crate::error::{Error, Result};
use crate::federation::remote;
use crate::state::AppState;
use crate::storage::{now_ms, search_words};
use crate::validate::FieldErrors;

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words a query may have.
pub const MAX_QUERY_WORDS: usize = 12;
/// Results per page.
pub const PER_PAGE: i64 = 20;
/// The last page one can ask for.
pub const MAX_PAGE: i64 = 500;

/// The search as sent: `?q=&kind=&industry=&skill=&city=&country=&space=&hiring=&collaborate=&from=&to=&page=`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub skill: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub space: String,
    #[serde(default)]
    pub hiring: String,
    #[serde(default)]
    pub collaborate: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: String,
}

/// A validated search.
#[derive(Debug, Default, Clone)]
pub struct Filters {
    /// Words every result must contain (as prefixes), from the query text.
    pub words: Vec<String>,
    pub kind: Option<Kind>,
    pub industry: Option<String>,
    pub skill: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// The origin server, `host[:port]`.
    pub space: Option<String>,
    pub hiring: bool,
    pub collaborate: bool,
    /// Events overlapping this range (Unix ms, inclusive).
    pub from: Option<i64>,
    pub to: Option<i64>,
}

fn flag(v: &str) -> Result<bool, String> {
    match v.trim() {
        "" | "0" | "false" | "off" | "no" => Ok(false),
        "1" | "true" | "on" | "yes" => Ok(true),
        _ => Err("must be true or false".into()),
    }
}

fn facet(v: &str, max: usize) -> Result<Option<String>, String> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

fn day(v: &str, end: bool) -> Result<Option<i64>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let date = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| "must be a date such as 2026-12-01".to_string())?;
    let time = if end {
        date.and_hms_milli_opt(23, 59, 59, 999)
    } else {
        date.and_hms_opt(0, 0, 0)
    }
    .ok_or("must be a date such as 2026-12-01")?;
    Ok(Some(time.and_utc().timestamp_millis()))
}

impl SearchParams {
    /// Validates the search; every problem is reported at once, as 422.
    pub fn validate(&self) -> Result<(Filters, i64), FieldErrors> {
        let mut errors = FieldErrors::new();
        let q = self.q.trim();
        let mut words = Vec::new();
        if q.chars().count() > MAX_QUERY_CHARS {
            errors.add("q", format!("must be at most {MAX_QUERY_CHARS} characters"));
        } else if !is_address(q) {
            for w in search_words(q) {
                if !words.contains(&w) {
                    words.push(w);
                }
            }
            if words.len() > MAX_QUERY_WORDS {
                errors.add("q", format!("must have at most {MAX_QUERY_WORDS} words"));
            }
        }
        let kind = match self.kind.trim() {
            "" => None,
            k => match Kind::parse(k) {
                Some(k) => Some(k),
                None => {
                    errors.add("kind", "must be company, person, project, space or event");
                    None
                }
            },
        };
        let industry = errors.check("industry", facet(&self.industry, 80));
        let skill = errors.check("skill", facet(&self.skill, 60));
        let city = errors.check("city", facet(&self.city, 80));
        let country = errors.check(
            "country",
            facet(&self.country, 2).and_then(|c| {
                if c.as_deref()
                    .is_some_and(|c| !c.chars().all(|ch| ch.is_ascii_alphabetic()))
                {
                    Err("must be a two-letter country code".into())
                } else {
                    Ok(c)
                }
            }),
        );
        let space = errors.check("space", facet(&self.space, 255));
        let hiring = errors.check("hiring", flag(&self.hiring));
        let collaborate = errors.check("collaborate", flag(&self.collaborate));
        let from = errors.check("from", day(&self.from, false));
        let to = errors.check("to", day(&self.to, true));
        let page = match self.page.trim() {
            "" => Some(1),
            p => match p.parse::<i64>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => Some(n),
                _ => {
                    errors.add("page", format!("must be a number from 1 to {MAX_PAGE}"));
                    None
                }
            },
        };
        if let (Some(Some(f)), Some(Some(t))) = (from, to) {
            if f > t {
                errors.add("to", "must not be before from");
            }
        }
        errors.into_result()?;
        Ok((
            Filters {
                words,
                kind,
                industry: industry.flatten(),
                skill: skill.flatten(),
                city: city.flatten(),
                country: country.flatten(),
                space: space.flatten(),
                hiring: hiring.unwrap_or(false),
                collaborate: collaborate.unwrap_or(false),
                from: from.flatten(),
                to: to.flatten(),
            },
            page.unwrap_or(1),
        ))
    }

    /// This search with one parameter changed (empty removes it) and the page reset: for the
    /// page's facet links.
    pub fn with(&self, key: &str, value: &str) -> String {
        let mut p = self.clone();
        p.page = String::new();
        match key {
            "kind" => p.kind = value.into(),
            "industry" => p.industry = value.into(),
            "skill" => p.skill = value.into(),
            "city" => p.city = value.into(),
            "country" => p.country = value.into(),
            "space" => p.space = value.into(),
            "hiring" => p.hiring = value.into(),
            "collaborate" => p.collaborate = value.into(),
            "page" => p.page = value.into(),
            _ => {}
        }
        p.query_string()
    }

    pub fn query_string(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("kind", &self.kind),
            ("industry", &self.industry),
            ("skill", &self.skill),
            ("city", &self.city),
            ("country", &self.country),
            ("space", &self.space),
            ("hiring", &self.hiring),
            ("collaborate", &self.collaborate),
            ("from", &self.from),
            ("to", &self.to),
            ("page", &self.page),
        ] {
            if !v.trim().is_empty() {
                s.append_pair(k, v.trim());
            }
        }
        format!("?{}", s.finish())
    }
}

/// Whether the query names one actor: `@name@host`, `name@host` or an http(s) address.
pub fn is_address(q: &str) -> bool {
    let q = q.trim();
    if q.starts_with("https://") || q.starts_with("http://") {
        return !q.contains(char::is_whitespace);
    }
    let acct = q.trim_start_matches('@');
    matches!(acct.split_once('@'), Some((n, h)) if !n.is_empty() && !h.is_empty()
        && !h.contains('@') && !acct.contains(char::is_whitespace) && h.contains('.'))
}

/// What a search found.
#[derive(Debug, Serialize)]
pub struct Results {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub entries: Vec<Entry>,
    pub facets: Facets,
    /// The actor a handle or address query named, when it could be resolved.
    pub resolved: Option<Entry>,
    /// Why it could not be, when it could not.
    pub resolve_error: Option<String>,
}

/// Runs a search. Only signed-in members make this space fetch remote addresses (as on
/// Mastodon), so anonymous visitors cannot make it send requests elsewhere.
pub async fn run(state: &AppState, params: &SearchParams, signed_in: bool) -> Result<Results> {
    let (filters, page) = params.validate().map_err(Error::Invalid)?;
    super::local::ensure_fresh(state).await?;
    let (resolved, resolve_error) = if is_address(&params.q) {
        match resolve(state, params.q.trim(), signed_in).await {
            Ok(e) => (e, None),
            Err(message) => (None, Some(message)),
        }
    } else {
        (None, None)
    };
    // The domain rules and bringing the index up to date are independent reads.
    let (vis, ()) = tokio::try_join!(
        store::visibility(state),
        state.directory.index.refresh(&state.db)
    )?;
    let offset = ((page - 1) * PER_PAGE) as usize;
    let found = state
        .directory
        .index
        .read(|index| index.search(&filters, &vis, offset, PER_PAGE as usize))?;
    let entries = store::entries_by_ids(&state.db, &found.ids).await?;
    Ok(Results {
        total: found.total,
        page,
        per_page: PER_PAGE,
        entries,
        facets: found.facets,
        resolved,
        resolve_error,
    })
}

/// The entry for a handle or address: a local entry when it is one of ours, else the remote
/// actor fetched now (and listed, when it asks to be).
async fn resolve(state: &AppState, q: &str, signed_in: bool) -> Result<Option<Entry>, String> {
    let urls = crate::federation::urls::Urls::new(&state.config);
    // One of ours: only what this space lists.
    let own_handle = if q.starts_with("http") {
        None
    } else {
        q.trim_start_matches('@')
            .rsplit_once('@')
            .filter(|(_, h)| h.eq_ignore_ascii_case(urls.domain()))
            .map(|(n, _)| format!("@{}@{}", n.to_ascii_lowercase(), urls.domain()))
    };
    let own_url = q.starts_with("http")
        && crate::federation::policy::authority_of(q).as_deref() == Some(urls.domain());
    if own_url || own_handle.is_some() {
        let found = match &own_handle {
            Some(h) => store::by_handle(&state.db, h).await,
            None => store::by_uri(&state.db, q).await,
        }
        .map_err(|e| e.to_string())?;
        return found
            .map(Some)
            .ok_or_else(|| "nobody with that address is listed here".to_string());
    }
    if !signed_in {
        return Err("sign in to look up addresses on other servers".into());
    }
    let actor = remote::resolve_handle_or_url(state, q)
        .await
        .map_err(|e| e.to_string())?;
    let doc = remote::document(&state.db, &actor.uri)
        .await
        .map_err(|e| e.to_string())?;
    let doc: serde_json::Value = doc
        .and_then(|d| serde_json::from_str(&d).ok())
        .unwrap_or_default();
    let draft = draft_from_actor(&doc, &actor.host, None, state.config.dev_http)
        .map_err(|e| clip(&e, 200))?;
    let now = now_ms();
    if draft.listed {
        super::sync::apply(state, &actor.host, draft.clone(), now)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(e) = store::by_uri(&state.db, &actor.uri)
            .await
            .map_err(|e| e.to_string())?
        {
            return Ok(Some(e));
        }
    }
    // Not listed: shown for this query only, never stored.
    let d = draft.draft;
    Ok(Some(Entry {
        id: 0,
        uri: d.uri,
        kind: d.kind,
        local: false,
        origin: d.origin,
        handle: d.handle,
        name: d.name,
        summary: d.summary,
        url: d.url,
        icon_url: d.icon_url,
        industry: d.industry,
        skills: d.skills,
        city: d.city,
        country: d.country,
        space_name: d.space_name,
        hiring: d.hiring,
        open_to_collaborate: d.open_to_collaborate,
        starts_at: d.starts_at,
        ends_at: d.ends_at,
        updated_at: now,
        deleted: false,
        seq: 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(is_address("@ada@alpha.example"));
        assert!(is_address("ada@alpha.example"));
        assert!(is_address("https://alpha.example/members/ada"));
        assert!(!is_address("rust lisbon"));
        assert!(!is_address("a@b"));
        assert!(!is_address("rust @ada@alpha.example"));
    }

    #[test]
    fn validation() {
        let p = SearchParams {
            q: "Rust \"AND\" (NEAR*) -lisbon".into(),
            ..Default::default()
        };
        let (f, page) = p.validate().unwrap();
        assert_eq!(f.words, vec!["rust", "and", "near", "lisbon"]);
        assert_eq!(page, 1);
        let long = SearchParams {
            q: "x".repeat(MAX_QUERY_CHARS + 1),
            ..Default::default()
        };
        assert!(long.validate().is_err());
        let bad = SearchParams {
            kind: "robot".into(),
            hiring: "maybe".into(),
            from: "tomorrow".into(),
            page: "0".into(),
            country: "Portugal".into(),
            ..Default::default()
        };
        let errors = bad.validate().unwrap_err();
        for field in ["kind", "hiring", "from", "page", "country"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
    }
}
