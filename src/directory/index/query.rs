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

    /// Adds the counts of another part of the same search.
    fn add(&mut self, other: &Tally) {
        for (mine, theirs) in [
            (&mut self.industry, &other.industry),
            (&mut self.skill, &other.skill),
            (&mut self.city, &other.city),
            (&mut self.country, &other.country),
            (&mut self.space, &other.space),
        ] {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        for (a, b) in self.kind.iter_mut().zip(other.kind) {
            *a += b;
        }
        self.hiring += other.hiring;
        self.collaborate += other.collaborate;
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

/// A search resolved against the index's values, shared by the parts of a scan.
struct Query<'a> {
    f: &'a Filters,
    kind: Option<u8>,
    industry: Want,
    skill: Want,
    city: Want,
    country: Want,
    space: Want,
    /// Per host number: whether its remote entries are hidden.
    hidden: Vec<bool>,
    /// With words: what they match.
    ranker: Option<Ranker>,
    /// How many results to keep (`offset + limit`).
    keep: usize,
}

/// What a scan of some slots found.
struct Part {
    tally: Tally,
    best: Best,
    total: i64,
}

/// Below this many entries a search scans on one thread; above, the slots are split in two
/// halves scanned side by side (the scan is most of a search's time at 100,000 entries).
const SPLIT_FROM: usize = 20_000;

impl Index {
    /// Searches the index; `vis` hides remote entries of hidden domains. Returns the `limit`
    /// results after `offset`: newest change first, or best match first when there are words.
    pub fn search(&self, f: &Filters, vis: &Visibility, offset: usize, limit: usize) -> Found {
        let d = &self.dict;
        let q = Query {
            f,
            kind: f.kind.map(Kind::position),
            industry: Want::of(&d.industry, f.industry.as_deref().map(facet_key)),
            skill: Want::of(&d.skill, f.skill.as_deref().map(facet_key)),
            city: Want::of(&d.city, f.city.as_deref().map(facet_key)),
            country: Want::of(&d.country, f.country.as_ref().map(|c| c.to_uppercase())),
            space: Want::of(&d.space, f.space.as_ref().map(|s| s.to_ascii_lowercase())),
            hidden: (0..d.host.len() as u32)
                .map(|h| vis.hides(d.host.key(h)))
                .collect(),
            // With words, only the entries that have them all are considered at all.
            ranker: (!f.words.is_empty()).then(|| Ranker::new(&d.words, &f.words)),
            // Only the best `offset + limit` results are kept as they are found, so a search
            // that matches most entries never holds (or sorts) a list of all of them.
            keep: offset.saturating_add(limit),
        };
        let len = if q.ranker.as_ref().is_some_and(Ranker::matches_nothing) {
            0
        } else {
            self.len()
        };
        let Part { tally, best, total } = if self.unfiltered(&q) {
            self.browse(&q)
        } else if len < SPLIT_FROM {
            self.scan(&q, 0..len)
        } else {
            let mid = len / 2;
            let (mut first, second) = std::thread::scope(|scope| {
                // A thread the system cannot start leaves the second half to this one.
                let second = std::thread::Builder::new()
                    .name("directory-scan".into())
                    .spawn_scoped(scope, || self.scan(&q, mid..len));
                let first = self.scan(&q, 0..mid);
                let second = match second {
                    Ok(handle) => handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                    Err(_) => self.scan(&q, mid..len),
                };
                (first, second)
            });
            first.tally.add(&second.tally);
            first.best.merge(second.best);
            first.total += second.total;
            first
        };
        let ids = best
            .into_descending()
            .into_iter()
            .skip(offset)
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

impl Index {
    /// Whether a search has no words and no filters, and hides no entry: every entry is a
    /// result (the directory's first page, its most asked search).
    fn unfiltered(&self, q: &Query) -> bool {
        let f = q.f;
        q.ranker.is_none()
            && q.kind.is_none()
            && [q.industry, q.skill, q.city, q.country, q.space]
                .iter()
                .all(|w| *w == Want::Any)
            && !f.hiring
            && !f.collaborate
            && f.from.is_none()
            && f.to.is_none()
            && !q
                .hidden
                .iter()
                .enumerate()
                .any(|(host, &hidden)| hidden && self.dict.host.in_use(host as u32))
    }

    /// An unfiltered search: its counts are the index's own (kept as entries come and go),
    /// so only the order is a pass, over two columns.
    fn browse(&self, q: &Query) -> Part {
        let d = &self.dict;
        let mut best = Best::new(q.keep);
        // Newest last, mostly (entries are appended as they change): from the end, the bar of
        // `best` rises at once and most entries are turned away by one comparison.
        for (updated_at, id) in self.updated_at.iter().zip(&self.id).rev() {
            best.offer((0, *updated_at, *id));
        }
        Part {
            tally: Tally {
                kind: self.kinds,
                industry: d.industry.counts(),
                skill: d.skill.counts(),
                city: d.city.counts(),
                country: d.country.counts(),
                space: d.space.counts(),
                hiring: self.hiring,
                collaborate: self.collaborate,
            },
            best,
            total: self.len() as i64,
        }
    }

    /// Scans the slots `slots`: an entry that fails no facet filter is a result and counts for
    /// every facet; one that fails exactly one filter counts only for that filter's facet; one
    /// that fails two counts for nothing.
    fn scan(&self, q: &Query, slots: std::ops::Range<usize>) -> Part {
        let f = q.f;
        let mut part = Part {
            tally: Tally::new(self),
            best: Best::new(q.keep),
            total: 0,
        };
        // From the end, for the reason given in `browse`.
        for slot in slots.rev() {
            if self.flags[slot] & flag::LOCAL == 0 && q.hidden[self.host[slot] as usize] {
                continue;
            }
            if let Some(r) = &q.ranker {
                if !r.may_match(&self.sketches[slot]) || !r.matches(self.words_of(slot).0) {
                    continue;
                }
            }
            if f.from.is_some() || f.to.is_some() {
                let Some(starts) = self.starts_at[slot] else {
                    continue;
                };
                if f.from
                    .is_some_and(|from| self.ends_at[slot].unwrap_or(starts) < from)
                    || f.to.is_some_and(|to| starts > to)
                {
                    continue;
                }
            }
            let flags = self.flags[slot];
            let mut failed = 0u8;
            if q.kind.is_some_and(|k| k != self.kind[slot]) {
                failed |= KIND;
            }
            if q.industry.fails(self.industry[slot]) {
                failed |= INDUSTRY;
            }
            if q.skill != Want::Any && !self.skills_of(slot).iter().any(|&k| !q.skill.fails(k)) {
                failed |= SKILL;
            }
            if q.city.fails(self.city[slot]) {
                failed |= CITY;
            }
            if q.country.fails(self.country[slot]) {
                failed |= COUNTRY;
            }
            if q.space.fails(self.space[slot]) {
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
                    part.tally.count(self, slot, u8::MAX);
                    part.total += 1;
                    // Best match first when there are words, then (and otherwise) the newest
                    // change.
                    let score = q.ranker.as_ref().map_or(0, |r| {
                        let (words, ends) = self.words_of(slot);
                        r.score(words, ends)
                    });
                    part.best
                        .offer((score, self.updated_at[slot], self.id[slot]));
                }
                1 => part.tally.count(self, slot, failed),
                _ => {}
            }
        }
        part
    }
}

/// A result's order: score, change time, id; greater first.
type Key = (u32, i64, i64);

/// The `k` greatest keys offered. Keys go to a buffer; when it holds `2k`, the `k` greatest
/// are selected (linear time) and the rest dropped, and the least kept becomes the bar a key
/// must pass to be buffered at all. Each key costs a comparison, whatever the order keys come
/// in (a heap sifts on every key that beats its least, which is every key when they come
/// oldest first, as the entries of a browse mostly do).
struct Best {
    k: usize,
    keys: Vec<Key>,
    /// The least of the `k` greatest seen so far, once `k` were kept.
    bar: Option<Key>,
}

impl Best {
    fn new(k: usize) -> Self {
        Best {
            k,
            keys: Vec::with_capacity(2 * k.min(1024)),
            bar: None,
        }
    }

    fn offer(&mut self, key: Key) {
        if self.k == 0 || self.bar.is_some_and(|bar| key <= bar) {
            return;
        }
        self.keys.push(key);
        if self.keys.len() >= 2 * self.k {
            self.keep_greatest();
        }
    }

    /// Keeps the `k` greatest keys buffered, and raises the bar to the least of them.
    fn keep_greatest(&mut self) {
        if self.keys.len() > self.k {
            self.keys
                .select_nth_unstable_by(self.k - 1, |a, b| b.cmp(a));
            self.keys.truncate(self.k);
            // After the selection, the `k`th greatest is at `k - 1` and the greater before it.
            self.bar = Some(self.keys[self.k - 1]);
        }
    }

    /// Offers every key another part kept.
    fn merge(&mut self, other: Best) {
        for key in other.keys {
            self.offer(key);
        }
    }

    /// The keys kept, greatest first.
    fn into_descending(mut self) -> Vec<Key> {
        self.keep_greatest();
        self.keys.sort_unstable_by(|a, b| b.cmp(a));
        self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::SliceRandom;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn best_keeps_the_greatest_whatever_the_order() {
        let mut rng = StdRng::seed_from_u64(7);
        let keys: Vec<Key> = (0..1000)
            .map(|i| ((i % 7) as u32, (i % 13) as i64, i as i64))
            .collect();
        let mut shuffled = keys.clone();
        shuffled.shuffle(&mut rng);
        let mut descending = keys.clone();
        descending.sort_unstable_by(|a, b| b.cmp(a));
        let mut ascending = descending.clone();
        ascending.reverse();
        for k in [0, 1, 2, 20, 60, 999, 1000, 5000] {
            let expected: Vec<Key> = descending.iter().take(k).copied().collect();
            for order in [&keys, &shuffled, &ascending, &descending] {
                let mut best = Best::new(k);
                // Offered in two parts, merged as a split scan does.
                let (a, b) = order.split_at(order.len() / 3);
                let mut other = Best::new(k);
                a.iter().for_each(|&key| best.offer(key));
                b.iter().for_each(|&key| other.offer(key));
                best.merge(other);
                assert_eq!(best.into_descending(), expected, "k = {k}");
            }
        }
    }
}
