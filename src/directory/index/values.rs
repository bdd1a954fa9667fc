//! Numbered strings of the index: facet values (each key once, with the labels entries write
//! it with and how many live entries use each label), labels, and the words of the ranked
//! fields.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

/// The number of the empty value: an entry without one.
pub(super) const NONE: u32 = 0;

/// Every label written by an entry, numbered once.
#[derive(Debug, Default)]
pub(super) struct Labels {
    ids: HashMap<Box<str>, u32>,
    texts: Vec<Box<str>>,
}

impl Labels {
    pub fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.ids.insert(text.into(), id);
        self.texts.push(text.into());
        id
    }

    pub fn text(&self, id: u32) -> &str {
        self.texts.get(id as usize).map(|t| &**t).unwrap_or("")
    }
}

/// The values of one facet: a key per distinct value (what filters compare), and for each the
/// labels live entries give it, so a count can show the one SQL's `MIN(label)` would.
#[derive(Debug)]
pub(super) struct Values {
    ids: HashMap<Box<str>, u32>,
    keys: Vec<Box<str>>,
    /// Per key: (label, live entries writing it that way).
    uses: Vec<Vec<(u32, u32)>>,
}

impl Default for Values {
    fn default() -> Self {
        let mut ids = HashMap::new();
        ids.insert(Box::<str>::from(""), NONE);
        Values {
            ids,
            keys: vec!["".into()],
            uses: vec![Vec::new()],
        }
    }
}

impl Values {
    /// The number of `key` (made when new), with one more live use of `label`.
    pub fn add(&mut self, key: &str, label: u32) -> u32 {
        if key.is_empty() {
            return NONE;
        }
        let id = match self.ids.get(key) {
            Some(&id) => id,
            None => {
                let id = self.keys.len() as u32;
                self.ids.insert(key.into(), id);
                self.keys.push(key.into());
                self.uses.push(Vec::new());
                id
            }
        };
        let uses = &mut self.uses[id as usize];
        match uses.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => uses.push((label, 1)),
        }
        id
    }

    /// One use of `label` for `id` fewer. Keys stay numbered (an entry may use them again).
    pub fn release(&mut self, id: u32, label: u32) {
        if let Some(uses) = self.uses.get_mut(id as usize) {
            if let Some(i) = uses.iter().position(|(l, _)| *l == label) {
                uses[i].1 -= 1;
                if uses[i].1 == 0 {
                    uses.swap_remove(i);
                }
            }
        }
    }

    /// The number of `key`, when some entry ever had it.
    pub fn find(&self, key: &str) -> Option<u32> {
        self.ids.get(key).copied()
    }

    pub fn key(&self, id: u32) -> &str {
        self.keys.get(id as usize).map(|k| &**k).unwrap_or("")
    }

    /// The smallest label live entries give `id`, or its key when none does.
    pub fn label<'a>(&'a self, id: u32, labels: &'a Labels) -> &'a str {
        self.uses
            .get(id as usize)
            .and_then(|uses| uses.iter().map(|(l, _)| labels.text(*l)).min())
            .unwrap_or_else(|| self.key(id))
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// How many live entries have each value, by number.
    pub fn counts(&self) -> Vec<i64> {
        self.uses
            .iter()
            .map(|uses| uses.iter().map(|&(_, n)| i64::from(n)).sum())
            .collect()
    }

    /// Whether some live entry has the value `id`.
    pub fn in_use(&self, id: u32) -> bool {
        self.uses
            .get(id as usize)
            .is_some_and(|uses| !uses.is_empty())
    }
}

/// The words of the ranked fields, numbered once and kept in order, so the words a prefix
/// matches are one range.
#[derive(Debug, Default)]
pub(super) struct Vocabulary {
    ids: BTreeMap<Box<str>, u32>,
}

impl Vocabulary {
    pub fn id(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(word.into(), id);
        id
    }

    /// The words that start with `prefix`, and the one that is `prefix` itself.
    pub fn starting_with(&self, prefix: &str) -> (Vec<u32>, Option<u32>) {
        let mut all = Vec::new();
        let mut exact = None;
        for (word, &id) in self
            .ids
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
        {
            if !word.starts_with(prefix) {
                break;
            }
            if &**word == prefix {
                exact = Some(id);
            }
            all.push(id);
        }
        (all, exact)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_live_uses() {
        let mut labels = Labels::default();
        let mut v = Values::default();
        let lower = labels.id("lisbon");
        let upper = labels.id("Lisbon");
        let a = v.add("lisbon", lower);
        let b = v.add("lisbon", upper);
        assert_eq!(a, b);
        assert_eq!(v.label(a, &labels), "Lisbon", "the smallest, as MIN would");
        v.release(a, upper);
        assert_eq!(v.label(a, &labels), "lisbon");
        v.release(a, lower);
        assert_eq!(v.label(a, &labels), "lisbon", "the key when nobody uses it");
        assert_eq!(v.add("", upper), NONE);
        assert_eq!(v.find("porto"), None);
    }

    #[test]
    fn prefixes_are_ranges() {
        let mut w = Vocabulary::default();
        let rust = w.id("rust");
        let rustbelt = w.id("rustbelt");
        w.id("ruby");
        w.id("trust");
        let (all, exact) = w.starting_with("rust");
        assert_eq!(all.len(), 2);
        assert!(all.contains(&rust) && all.contains(&rustbelt));
        assert_eq!(exact, Some(rust));
        assert_eq!(w.starting_with("ru").0.len(), 3);
        assert_eq!(w.starting_with("x"), (Vec::new(), None));
    }
}
