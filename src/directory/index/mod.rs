//! The directory's index: every live entry's facets and words in compact form, in memory, so
//! a search matches its words, filters, counts its facets and orders its results in one pass,
//! the same way on every backend. The database stays the source of truth: the index is built
//! from the rows' normalised words and facets, the cards come from the rows, and the index
//! follows the entries' change numbers (`seq`), pulling what changed since it last looked
//! before each search, so several processes on one database each keep their own and agree.
//!
//! - `values`: facet values, labels and words, numbered;
//! - `query`: a search over the index (words, filters, facet counts, order, one page of ids);
//! - `rank`: which entries a search's words match, and how they are ordered.

mod arena;
mod query;
mod rank;
mod values;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use serde::Deserialize;

pub use query::{FacetCount, Facets, Found};

use super::model::{facet_key, Kind};
use super::store;
use crate::error::{Error, Result};
use crate::storage::{json_list, Db};
use arena::{Arena, Span};
use rank::Sketch;
use values::{Labels, Values, Vocabulary, NONE};

/// An entry as the index reads it from the database: one JSON array per row, its values in
/// the order of these fields (`store::index_sources`).
#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub id: i64,
    pub seq: i64,
    #[serde(deserialize_with = "flag_of_int")]
    pub deleted: bool,
    pub kind: Kind,
    #[serde(deserialize_with = "flag_of_int")]
    pub local: bool,
    pub origin: String,
    pub origin_host: String,
    pub industry_key: String,
    pub industry: String,
    pub city_key: String,
    pub city: String,
    pub country: String,
    pub space_name: String,
    #[serde(deserialize_with = "flag_of_int")]
    pub hiring: bool,
    #[serde(deserialize_with = "flag_of_int")]
    pub open_to_collaborate: bool,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub updated_at: i64,
    /// The skills as stored: a JSON list of labels.
    pub skills: String,
    /// The normalised words of the ranked fields: name and handle; skills and industry;
    /// place and space.
    pub name_words: String,
    pub skill_words: String,
    pub place_words: String,
    /// The normalised words of the description: matched, ranked below the other fields.
    pub summary_words: String,
}

/// A flag stored as an integer column (0 or 1).
fn flag_of_int<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    Ok(i64::deserialize(d)? != 0)
}

/// A facet value of one entry: its key and the label it writes it with.
#[derive(Debug, Clone, Copy)]
struct Value {
    key: u32,
    label: u32,
}

/// Flags of an entry, one bit each.
mod flag {
    pub const LOCAL: u8 = 1;
    pub const HIRING: u8 = 1 << 1;
    pub const COLLABORATE: u8 = 1 << 2;
}

/// What only ranking and bookkeeping read of an entry.
#[derive(Debug)]
struct Cold {
    labels: [u32; 3],
    skill_labels: Box<[u32]>,
    /// Word numbers of the entry, one after the other, in `Index::words`: the ranked fields,
    /// then the description's words that none of them has.
    words: Span,
    /// Where the name's, the skills' and the place's words end in `words`.
    ends: [u16; 3],
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

/// Hashes entry ids (our own integer keys, not input anyone chooses) with one
/// multiplication: a search with words looks up every match, thousands at a time.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i64(&mut self, id: i64) {
        self.0 = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The live entries, one slot each, column by column: a search reads only the columns of
/// its filters and facets, close together, front to back.
#[derive(Debug, Default)]
pub struct Index {
    id: Vec<i64>,
    updated_at: Vec<i64>,
    starts_at: Vec<Option<i64>>,
    ends_at: Vec<Option<i64>>,
    /// Position in [`Kind::ALL`].
    kind: Vec<u8>,
    flags: Vec<u8>,
    /// The beginnings of every word of the slot (`rank::Sketch`): most entries fail a
    /// search's words on this alone.
    sketches: Vec<Sketch>,
    host: Vec<u32>,
    industry: Vec<u32>,
    city: Vec<u32>,
    country: Vec<u32>,
    space: Vec<u32>,
    /// Where each slot's skill keys are in `skill_keys`.
    skills: Vec<Span>,
    skill_keys: Arena,
    cold: Vec<Cold>,
    /// The words of every slot (see `Cold::words`).
    words: Arena,
    /// Slot by entry id. A map rather than a vector indexed by id: on PostgreSQL every upsert
    /// of an existing entry uses up a sequence number, so ids grow faster than entries.
    slot_of: HashMap<i64, u32, BuildHasherDefault<IdHasher>>,
    dict: Dictionaries,
    /// Live entries of each kind (by position in [`Kind::ALL`]), hiring, open to
    /// collaborate: with the dictionaries' uses, the counts of a search without filters.
    kinds: [i64; Kind::ALL.len()],
    hiring: i64,
    collaborate: i64,
    /// The highest change number applied.
    seq: i64,
}

impl Index {
    /// Live entries held.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    /// The highest change number applied.
    pub fn seq(&self) -> i64 {
        self.seq
    }

    fn slot(&self, id: i64) -> Option<usize> {
        self.slot_of.get(&id).map(|&slot| slot as usize)
    }

    /// The skill keys of a slot.
    fn skills_of(&self, slot: usize) -> &[u32] {
        self.skill_keys.get(self.skills[slot])
    }

    /// The words of a slot, and where its name's, skills' and place's words end.
    fn words_of(&self, slot: usize) -> (&[u32], [u16; 3]) {
        let cold = &self.cold[slot];
        (self.words.get(cold.words), cold.ends)
    }

    /// Applies a change read from the database: a removed entry leaves, any other replaces
    /// what the index had of it.
    pub fn apply(&mut self, s: &Source) {
        self.seq = self.seq.max(s.seq);
        if let Some(slot) = self.slot(s.id) {
            self.release(slot);
            self.swap_remove(slot);
        }
        if !s.deleted {
            self.push(s);
        }
        self.skill_keys.compact(self.skills.iter_mut());
        self.words
            .compact(self.cold.iter_mut().map(|c| &mut c.words));
    }

    /// Numbers an entry's values and adds it in a new slot.
    fn push(&mut self, s: &Source) {
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
        let mut words: Vec<u32> = Vec::new();
        let mut ends = [0u16; 3];
        let mut sketch = Sketch::default();
        for (field, text) in [&s.name_words, &s.skill_words, &s.place_words]
            .into_iter()
            .enumerate()
        {
            for word in text.split(' ').filter(|w| !w.is_empty()) {
                sketch.add(word);
                words.push(d.words.id(word));
            }
            ends[field] = words.len().min(u16::MAX as usize) as u16;
        }
        // The description adds each word once, and only those the ranked fields lack.
        let mut ranked = words.clone();
        ranked.sort_unstable();
        let mut described: Vec<u32> = Vec::new();
        for word in s.summary_words.split(' ').filter(|w| !w.is_empty()) {
            sketch.add(word);
            described.push(d.words.id(word));
        }
        described.sort_unstable();
        described.dedup();
        words.extend(
            described
                .into_iter()
                .filter(|id| ranked.binary_search(id).is_err()),
        );
        words.truncate(u16::MAX as usize);
        let mut flags = 0;
        for (on, bit) in [
            (s.local, flag::LOCAL),
            (s.hiring, flag::HIRING),
            (s.open_to_collaborate, flag::COLLABORATE),
        ] {
            if on {
                flags |= bit;
            }
        }
        self.slot_of.insert(s.id, self.id.len() as u32);
        self.id.push(s.id);
        self.updated_at.push(s.updated_at);
        self.starts_at.push(s.starts_at);
        self.ends_at.push(s.ends_at);
        self.kind.push(s.kind.position());
        self.flags.push(flags);
        self.sketches.push(sketch);
        self.host.push(d.host.add(&s.origin_host, NONE));
        self.industry.push(industry.key);
        self.city.push(city.key);
        self.country.push(d.country.add(&s.country, NONE));
        self.space.push(space.key);
        let keys: Vec<u32> = skills.iter().map(|v| v.key).collect();
        self.skills.push(self.skill_keys.push(&keys));
        self.cold.push(Cold {
            labels: [industry.label, city.label, space.label],
            skill_labels: skills.iter().map(|v| v.label).collect(),
            words: self.words.push(&words),
            ends,
        });
        self.count(s.kind.position(), flags, 1);
    }

    /// Adds `by` (1 or -1) to the counts of an entry of kind `kind` with `flags`.
    fn count(&mut self, kind: u8, flags: u8, by: i64) {
        self.kinds[kind as usize] += by;
        if flags & flag::HIRING != 0 {
            self.hiring += by;
        }
        if flags & flag::COLLABORATE != 0 {
            self.collaborate += by;
        }
    }

    /// Empties a slot by moving the last one into it.
    fn swap_remove(&mut self, slot: usize) {
        self.count(self.kind[slot], self.flags[slot], -1);
        let id = self.id.swap_remove(slot);
        self.slot_of.remove(&id);
        self.updated_at.swap_remove(slot);
        self.starts_at.swap_remove(slot);
        self.ends_at.swap_remove(slot);
        self.kind.swap_remove(slot);
        self.flags.swap_remove(slot);
        self.sketches.swap_remove(slot);
        self.host.swap_remove(slot);
        self.industry.swap_remove(slot);
        self.city.swap_remove(slot);
        self.country.swap_remove(slot);
        self.space.swap_remove(slot);
        self.skill_keys.release(self.skills.swap_remove(slot));
        self.words.release(self.cold.swap_remove(slot).words);
        if let Some(&moved) = self.id.get(slot) {
            self.slot_of.insert(moved, slot as u32);
        }
    }

    /// Gives back the uses a slot's values counted.
    fn release(&mut self, slot: usize) {
        let cold = &self.cold[slot];
        let d = &mut self.dict;
        d.industry.release(self.industry[slot], cold.labels[0]);
        d.city.release(self.city[slot], cold.labels[1]);
        d.space.release(self.space[slot], cold.labels[2]);
        d.country.release(self.country[slot], NONE);
        d.host.release(self.host[slot], NONE);
        let keys = self.skill_keys.get(self.skills[slot]);
        for (key, label) in keys.iter().zip(cold.skill_labels.iter()) {
            d.skill.release(*key, *label);
        }
    }
}

/// Entries read per statement.
const CHUNK: i64 = 5_000;

/// How long the index may go without looking before it reads everything again: removed
/// entries are purged after `KEEP_REMOVED_MS`, and one purged before the index saw its
/// removal would otherwise stay.
const RELOAD_AFTER: Duration = Duration::from_millis(KEEP_REMOVED_MS as u64 / 2);

/// Removed remote entries are forgotten (purged by the sync rounds) after this long.
pub(crate) const KEEP_REMOVED_MS: i64 = 7 * 86_400_000;

/// The index of one process, brought up to date before each search.
#[derive(Default)]
pub struct Shared {
    index: RwLock<Index>,
    /// One refresh at a time; and when the last one finished.
    refresh: tokio::sync::Mutex<Option<Instant>>,
}

impl Shared {
    /// Brings the index up to the directory's highest change number: the changes since the
    /// last look, or everything when it never looked or looked too long ago. Entries are read
    /// and applied [`CHUNK`] at a time, so a full read never holds them all twice.
    pub async fn refresh(&self, db: &Db) -> Result<()> {
        let generation = store::generation(db).await?;
        let mut last = self.refresh.lock().await;
        let fresh = last.is_some_and(|t| t.elapsed() < RELOAD_AFTER);
        if fresh {
            let mut seq = self.read(|i| i.seq)?;
            while seq < generation {
                let changes = store::index_sources(db, seq, CHUNK).await?;
                let mut index = self.index.write().map_err(poisoned)?;
                for s in &changes {
                    index.apply(s);
                }
                if (changes.len() as i64) < CHUNK {
                    index.seq = index.seq.max(generation);
                }
                seq = index.seq;
            }
        } else {
            // Everything as of now (removed entries are skipped); changes after `generation`
            // are read again next time, which applying twice does not mind.
            let started = Instant::now();
            let mut fresh = Index::default();
            loop {
                let chunk = store::index_sources(db, fresh.seq, CHUNK).await?;
                for s in &chunk {
                    fresh.apply(s);
                }
                if (chunk.len() as i64) < CHUNK {
                    break;
                }
            }
            fresh.seq = fresh.seq.max(generation);
            tracing::info!(
                entries = fresh.len(),
                ms = started.elapsed().as_millis() as u64,
                "directory index loaded"
            );
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
