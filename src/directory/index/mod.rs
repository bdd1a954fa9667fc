//! The directory's facet index: every live entry's facets and ranked words in compact form,
//! in memory, so a search filters, counts its facets and orders its results in one pass
//! instead of eight grouped SQL counts. The database stays the source of truth: the full-text
//! match comes from FTS5 or `tsvector`, the cards from the rows, and the index follows the
//! entries' change numbers (`seq`), pulling what changed since it last looked before each
//! search, so several processes on one database each keep their own and agree.
//!
//! - `values`: facet values, labels and words, numbered;
//! - `query`: a search over the index (filters, facet counts, order, one page of ids);
//! - `rank`: how full-text results are ordered.

mod query;
mod rank;
mod values;

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

pub use query::{FacetCount, Facets, Found, FACET_VALUES};

use super::model::{facet_key, Kind};
use super::store;
use crate::error::{Error, Result};
use crate::storage::{json_list, Db};
use values::{Labels, Values, Vocabulary, NONE};

/// An entry as the index reads it from the database.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: i64,
    pub seq: i64,
    pub deleted: bool,
    pub kind: Kind,
    pub local: bool,
    pub origin: String,
    pub origin_host: String,
    pub industry_key: String,
    pub industry: String,
    pub city_key: String,
    pub city: String,
    pub country: String,
    pub space_name: String,
    pub hiring: bool,
    pub open_to_collaborate: bool,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub updated_at: i64,
    /// The skills as stored: a JSON list of labels.
    pub skills: String,
    /// The normalised words of the name and handle; skills and industry; place and space.
    pub words: [String; 3],
}

/// A facet value of one entry: its key and the label it writes it with.
#[derive(Debug, Clone, Copy)]
struct Value {
    key: u32,
    label: u32,
}

/// One live entry, compactly.
#[derive(Debug)]
struct Row {
    id: i64,
    updated_at: i64,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    kind: Kind,
    local: bool,
    hiring: bool,
    collaborate: bool,
    host: u32,
    industry: Value,
    city: Value,
    country: u32,
    space: Value,
    skills: Box<[Value]>,
    /// Word numbers of the ranked fields, one after the other.
    words: Box<[u32]>,
    /// Where the name's words end, and where the skills' words end, in `words`.
    ends: [u16; 2],
}

/// The facet values of every kind the index counts.
#[derive(Debug, Default)]
struct Dictionaries {
    labels: Labels,
    industry: Values,
    city: Values,
    country: Values,
    space: Values,
    skill: Values,
    host: Values,
    words: Vocabulary,
}

/// The live entries, in no order, found by id.
#[derive(Debug, Default)]
pub struct Index {
    rows: Vec<Row>,
    slot_of: HashMap<i64, usize>,
    dict: Dictionaries,
    /// The highest change number applied.
    seq: i64,
}

impl Index {
    /// Live entries held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The highest change number applied.
    pub fn seq(&self) -> i64 {
        self.seq
    }

    /// Applies a change read from the database: a removed entry leaves, any other replaces
    /// what the index had of it.
    pub fn apply(&mut self, s: &Source) {
        self.seq = self.seq.max(s.seq);
        if s.deleted {
            self.remove(s.id);
            return;
        }
        let row = self.row_of(s);
        match self.slot_of.get(&s.id) {
            Some(&slot) => {
                let old = std::mem::replace(&mut self.rows[slot], row);
                self.release(&old);
            }
            None => {
                self.slot_of.insert(s.id, self.rows.len());
                self.rows.push(row);
            }
        }
    }

    fn remove(&mut self, id: i64) {
        let Some(slot) = self.slot_of.remove(&id) else {
            return;
        };
        let row = self.rows.swap_remove(slot);
        self.release(&row);
        if let Some(moved) = self.rows.get(slot) {
            self.slot_of.insert(moved.id, slot);
        }
    }

    fn row_of(&mut self, s: &Source) -> Row {
        let d = &mut self.dict;
        let mut value = |values: fn(&mut Dictionaries) -> &mut Values, key: &str, label: &str| {
            let label = d.labels.id(label);
            Value {
                key: values(d).add(key, label),
                label,
            }
        };
        let industry = value(|d| &mut d.industry, &s.industry_key, &s.industry);
        let city = value(|d| &mut d.city, &s.city_key, &s.city);
        let space = value(|d| &mut d.space, &s.origin, &s.space_name);
        let mut skills: Vec<Value> = Vec::new();
        for label in json_list(&s.skills) {
            let key = facet_key(&label);
            if key.is_empty() || skills.iter().any(|v| d.skill.key(v.key) == key) {
                continue;
            }
            let label = d.labels.id(label.trim());
            skills.push(Value {
                key: d.skill.add(&key, label),
                label,
            });
        }
        let country = d.country.add(&s.country, NONE);
        let host = d.host.add(&s.origin_host, NONE);
        let mut words = Vec::new();
        let mut ends = [0u16; 2];
        for (field, text) in s.words.iter().enumerate() {
            for word in text.split(' ').filter(|w| !w.is_empty()) {
                if words.len() >= u16::MAX as usize {
                    break;
                }
                words.push(d.words.id(word));
            }
            if field < 2 {
                ends[field] = words.len() as u16;
            }
        }
        Row {
            id: s.id,
            updated_at: s.updated_at,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            kind: s.kind,
            local: s.local,
            hiring: s.hiring,
            collaborate: s.open_to_collaborate,
            host,
            industry,
            city,
            country,
            space,
            skills: skills.into(),
            words: words.into(),
            ends,
        }
    }

    /// Gives back the uses a row's values counted.
    fn release(&mut self, row: &Row) {
        let d = &mut self.dict;
        d.industry.release(row.industry.key, row.industry.label);
        d.city.release(row.city.key, row.city.label);
        d.space.release(row.space.key, row.space.label);
        d.country.release(row.country, NONE);
        d.host.release(row.host, NONE);
        for v in row.skills.iter() {
            d.skill.release(v.key, v.label);
        }
    }
}

/// How long the index may go without looking before it reads everything again: removed
/// entries are purged after `KEEP_REMOVED_MS`, and one purged before the index saw its
/// removal would otherwise stay.
const RELOAD_AFTER: Duration = Duration::from_millis(super::sync::KEEP_REMOVED_MS as u64 / 2);

/// The index of one process, brought up to date before each search.
#[derive(Default)]
pub struct Shared {
    index: RwLock<Index>,
    /// One refresh at a time; and when the last one finished.
    refresh: tokio::sync::Mutex<Option<Instant>>,
}

impl Shared {
    /// Brings the index up to the directory's highest change number: the changes since the
    /// last look, or everything when it never looked or looked too long ago.
    pub async fn refresh(&self, db: &Db) -> Result<()> {
        let generation = store::generation(db).await?;
        let mut last = self.refresh.lock().await;
        let fresh = last.is_some_and(|t| t.elapsed() < RELOAD_AFTER);
        if fresh {
            let seq = self.read(|i| i.seq)?;
            if seq < generation {
                let changes = store::index_sources(db, seq, false).await?;
                let mut index = self.index.write().map_err(poisoned)?;
                for s in &changes {
                    index.apply(s);
                }
                index.seq = index.seq.max(generation);
            }
        } else {
            // Everything live as of now; changes after `generation` are read again next
            // time, which applying twice does not mind.
            let sources = store::index_sources(db, 0, true).await?;
            let mut fresh = Index::default();
            for s in &sources {
                fresh.apply(s);
            }
            fresh.seq = generation;
            *self.index.write().map_err(poisoned)? = fresh;
        }
        *last = Some(Instant::now());
        Ok(())
    }

    /// Reads the index.
    pub fn read<T>(&self, f: impl FnOnce(&Index) -> T) -> Result<T> {
        let index = self.index.read().map_err(poisoned)?;
        Ok(f(&index))
    }
}

fn poisoned<T>(_: T) -> Error {
    Error::Internal(anyhow::anyhow!("the directory index lock is poisoned"))
}

#[cfg(test)]
pub(super) mod tests;
