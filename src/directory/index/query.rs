//! A search over the index: which entries have the search's words and pass its filters, how many of them have each facet value (every facet counted without its own
//! filter, so its other values still show), and one page of them in order.
//!
//! One pass does it all: an entry that fails no facet filter is a result and counts for every
//! facet; one that fails exactly one filter counts only for that filter's facet; one that
//! fails two counts for nothing.

use serde::Serialize;

use super::rank::Ranker;
use super::values::{Values, NONE};
use super::{flag, Index};
use crate::directory::model::{facet_key, Kind};
use crate::directory::search::Filters;
use crate::directory::store::Visibility;

/// Values shown per facet.
const FACET_VALUES: usize = 12;

/// One value of a facet and how many results have it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FacetCount {
    /// What to filter by.
    pub value: String,
    /// How to show it.
    pub label: String,
    pub count: i64,
}

/// Counts per facet over the results, each facet ignoring its own filter.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Facets {
    pub kind: Vec<FacetCount>,
    pub industry: Vec<FacetCount>,
    pub skill: Vec<FacetCount>,
    pub city: Vec<FacetCount>,
    pub country: Vec<FacetCount>,
    pub space: Vec<FacetCount>,
    pub hiring: i64,
    pub collaborate: i64,
}

/// What a search found: how many, the ids of the page asked for (in order) and the counts.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub total: i64,
    pub ids: Vec<i64>,
    pub facets: Facets,
}

// The facet filters, one bit each.
const KIND: u8 = 1;
const INDUSTRY: u8 = 1 << 1;
const SKILL: u8 = 1 << 2;
const CITY: u8 = 1 << 3;
const COUNTRY: u8 = 1 << 4;
const SPACE: u8 = 1 << 5;
const HIRING: u8 = 1 << 6;
const COLLABORATE: u8 = 1 << 7;

/// A facet filter resolved against the index's values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Any,
    /// A value some entry has had.
    Key(u32),
    /// A value no entry has: nothing passes.
    Unknown,
}

impl Want {
    fn of(values: &Values, key: Option<String>) -> Want {
        match key {
            None => Want::Any,
            Some(k) => values.find(&k).map(Want::Key).unwrap_or(Want::Unknown),
        }
    }

    fn fails(self, key: u32) -> bool {
        match self {
            Want::Any => false,
            Want::Key(k) => k != key,
            Want::Unknown => true,
        }
    }
}

/// Per-value tallies of one search.
struct Tally {
    kind: [i64; Kind::ALL.len()],
    industry: Vec<i64>,
    skill: Vec<i64>,
    city: Vec<i64>,
    country: Vec<i64>,
    space: Vec<i64>,
    hiring: i64,
    collaborate: i64,
}

impl Tally {
    fn new(index: &Index) -> Self {
        let d = &index.dict;
        Tally {
            kind: [0; Kind::ALL.len()],
            industry: vec![0; d.industry.len()],
            skill: vec![0; d.skill.len()],
            city: vec![0; d.city.len()],
            country: vec![0; d.country.len()],
            space: vec![0; d.space.len()],
            hiring: 0,
            collaborate: 0,
        }
    }

    /// Counts the entry in `slot` for the facets in `facets` (bits).
    fn count(&mut self, index: &Index, slot: usize, facets: u8) {
        if facets & KIND != 0 {
            self.kind[index.kind[slot] as usize] += 1;
        }
        if facets & INDUSTRY != 0 {
            self.industry[index.industry[slot] as usize] += 1;
        }
        if facets & SKILL != 0 {
            for &key in index.skills_of(slot) {
                self.skill[key as usize] += 1;
            }
        }
        if facets & CITY != 0 {
            self.city[index.city[slot] as usize] += 1;
        }
        if facets & COUNTRY != 0 {
            self.country[index.country[slot] as usize] += 1;
        }
        if facets & SPACE != 0 {
            self.space[index.space[slot] as usize] += 1;
        }
        let flags = index.flags[slot];
        if facets & HIRING != 0 && flags & flag::HIRING != 0 {
            self.hiring += 1;
        }
        if facets & COLLABORATE != 0 && flags & flag::COLLABORATE != 0 {
            self.collaborate += 1;
        }
    }
}

/// The most frequent values, ties by value, the empty value left out.
fn top(counts: &[i64], values: &Values, index: &Index) -> Vec<FacetCount> {
    let mut found: Vec<(i64, &str, u32)> = counts
        .iter()
        .enumerate()
        .filter(|&(id, &n)| n > 0 && id as u32 != NONE)
        .map(|(id, &n)| (n, values.key(id as u32), id as u32))
        .collect();
    found.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    found
        .into_iter()
        .take(FACET_VALUES)
        .map(|(n, key, id)| FacetCount {
            value: key.to_string(),
            label: values.label(id, &index.dict.labels).to_string(),
            count: n,
        })
        .collect()
}

impl Index {
    /// Searches the index; `vis` hides remote entries of hidden domains. Returns the `limit`
    /// results after `offset`: newest change first, or best match first when there are words.
    pub fn search(&self, f: &Filters, vis: &Visibility, offset: usize, limit: usize) -> Found {
        let d = &self.dict;
        let kind = f.kind.map(Kind::position);
        let industry = Want::of(&d.industry, f.industry.as_deref().map(facet_key));
        let skill = Want::of(&d.skill, f.skill.as_deref().map(facet_key));
        let city = Want::of(&d.city, f.city.as_deref().map(facet_key));
        let country = Want::of(&d.country, f.country.as_ref().map(|c| c.to_uppercase()));
        let space = Want::of(&d.space, f.space.as_ref().map(|s| s.to_ascii_lowercase()));
        let hidden: Vec<bool> = (0..d.host.len() as u32)
            .map(|h| vis.hides(d.host.key(h)))
            .collect();

        // With words, only the entries that have them all are considered at all.
        let ranker = (!f.words.is_empty()).then(|| Ranker::new(&d.words, &f.words));
        let mut tally = Tally::new(self);
        let mut results: Vec<usize> = Vec::new();
        let mut consider = |slot: usize| {
            if self.flags[slot] & flag::LOCAL == 0 && hidden[self.host[slot] as usize] {
                return;
            }
            if let Some(r) = &ranker {
                if !r.matches(self.grams[slot], self.words.get(self.cold[slot].words)) {
                    return;
                }
            }
            if f.from.is_some() || f.to.is_some() {
                let Some(starts) = self.starts_at[slot] else {
                    return;
                };
                if f.from
                    .is_some_and(|from| self.ends_at[slot].unwrap_or(starts) < from)
                    || f.to.is_some_and(|to| starts > to)
                {
                    return;
                }
            }
            let flags = self.flags[slot];
            let mut failed = 0u8;
            if kind.is_some_and(|k| k != self.kind[slot]) {
                failed |= KIND;
            }
            if industry.fails(self.industry[slot]) {
                failed |= INDUSTRY;
            }
            if skill != Want::Any && !self.skills_of(slot).iter().any(|&k| !skill.fails(k)) {
                failed |= SKILL;
            }
            if city.fails(self.city[slot]) {
                failed |= CITY;
            }
            if country.fails(self.country[slot]) {
                failed |= COUNTRY;
            }
            if space.fails(self.space[slot]) {
                failed |= SPACE;
            }
            if f.hiring && flags & flag::HIRING == 0 {
                failed |= HIRING;
            }
            if f.collaborate && flags & flag::COLLABORATE == 0 {
                failed |= COLLABORATE;
            }
            match failed.count_ones() {
                0 => {
                    tally.count(self, slot, u8::MAX);
                    results.push(slot);
                }
                1 => tally.count(self, slot, failed),
                _ => {}
            }
        };
        if !ranker.as_ref().is_some_and(Ranker::matches_nothing) {
            (0..self.len()).for_each(&mut consider);
        }

        let total = results.len() as i64;
        // Best match first when there are words, then (and otherwise) the newest change.
        let mut keyed: Vec<(u32, i64, i64)> = results
            .iter()
            .map(|&slot| {
                let score = ranker.as_ref().map_or(0, |r| {
                    let (words, ends) = self.words_of(slot);
                    r.score(words, ends)
                });
                (score, self.updated_at[slot], self.id[slot])
            })
            .collect();
        let ids = page(&mut keyed, offset, limit, |a, b| b.cmp(a))
            .iter()
            .map(|k| k.2)
            .collect();

        let mut kinds: Vec<FacetCount> = Kind::ALL
            .iter()
            .zip(tally.kind)
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| FacetCount {
                value: k.as_str().to_string(),
                label: k.label().to_string(),
                count: n,
            })
            .collect();
        kinds.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        Found {
            total,
            ids,
            facets: Facets {
                kind: kinds,
                industry: top(&tally.industry, &d.industry, self),
                skill: top(&tally.skill, &d.skill, self),
                city: top(&tally.city, &d.city, self),
                country: top(&tally.country, &d.country, self),
                space: top(&tally.space, &d.space, self),
                hiring: tally.hiring,
                collaborate: tally.collaborate,
            },
        }
    }
}

/// The `limit` items after `offset` in the order `cmp`, sorting only as much as that needs.
fn page<T: Copy>(
    items: &mut [T],
    offset: usize,
    limit: usize,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> &[T] {
    let end = offset.saturating_add(limit).min(items.len());
    if offset >= end {
        return &[];
    }
    if end < items.len() {
        items.select_nth_unstable_by(end - 1, &cmp);
    }
    let head = &mut items[..end];
    head.sort_unstable_by(&cmp);
    &head[offset..]
}
