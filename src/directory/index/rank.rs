//! Which entries a search's words match, and in what order, the same on every backend:
//!
//! - an entry matches when each query word is the start of one of its words (name, handle,
//!   skills, industry, place, space or description);
//! - each query word scores by the best field it occurs in: the name or handle 8, skills or
//!   industry 4, place or space 2, only the description 1; a whole word scores one more than
//!   a prefix of a longer one; the words' scores add up;
//! - then shorter names (fewer words) first: "Rust" before "Rust Lisbon Collective";
//! - then the newest change, then the newest entry.

use super::values::Vocabulary;

/// One bit for the first two letters of a word (none for a word of one letter): an entry
/// keeps the bits of all its words, so a query word whose bit it lacks cannot match it.
pub(super) fn gram(word: &str) -> u64 {
    let mut chars = word.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) => {
            let h = ((a as u64) << 32 | b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            1 << (h >> 58)
        }
        _ => 0,
    }
}

/// What a query word matches, as word numbers.
struct Word {
    /// One bit per word of the vocabulary: set when it starts with the query word.
    prefixes: Vec<u64>,
    exact: Option<u32>,
    /// Its [`gram`] (0 for one letter: every entry may match).
    gram: u64,
    /// Whether some word of the vocabulary starts with it.
    known: bool,
}

impl Word {
    fn matches(&self, id: u32) -> bool {
        self.prefixes
            .get(id as usize / 64)
            .is_some_and(|bits| bits & (1 << (id % 64)) != 0)
    }
}

pub(super) struct Ranker {
    words: Vec<Word>,
}

/// Field weights, best first: name and handle, skills and industry, place and space.
const WEIGHTS: [u32; 3] = [8, 4, 2];
/// A word found only in the description.
const ELSEWHERE: u32 = 1;

impl Ranker {
    pub fn new(vocabulary: &Vocabulary, words: &[String]) -> Self {
        let blocks = vocabulary.len().div_ceil(64);
        let words = words
            .iter()
            .map(|w| {
                let (ids, exact) = vocabulary.starting_with(w);
                let mut prefixes = vec![0u64; blocks];
                for &id in &ids {
                    prefixes[id as usize / 64] |= 1 << (id % 64);
                }
                Word {
                    prefixes,
                    exact,
                    gram: gram(w),
                    known: !ids.is_empty(),
                }
            })
            .collect();
        Ranker { words }
    }

    /// Whether no entry can match: some query word starts no known word.
    pub fn matches_nothing(&self) -> bool {
        self.words.iter().any(|w| !w.known)
    }

    /// Whether an entry with these `grams` and `words` has every query word.
    pub fn matches(&self, grams: u64, words: &[u32]) -> bool {
        self.words
            .iter()
            .all(|w| grams & w.gram == w.gram && words.iter().any(|&id| w.matches(id)))
    }

    /// A larger score is a better match, for a matching entry whose words are `words`, the
    /// name's ending at `ends[0]`, the skills' at `ends[1]` and the place's at `ends[2]`.
    pub fn score(&self, words: &[u32], ends: [u16; 3]) -> u32 {
        let mut sum = 0u32;
        for word in &self.words {
            let mut best = 0;
            for (pos, &id) in words.iter().enumerate() {
                if !word.matches(id) {
                    continue;
                }
                let weight = if pos < ends[0] as usize {
                    WEIGHTS[0]
                } else if pos < ends[1] as usize {
                    WEIGHTS[1]
                } else if pos < ends[2] as usize {
                    WEIGHTS[2]
                } else {
                    ELSEWHERE
                };
                let score = 2 * weight + u32::from(word.exact == Some(id));
                best = best.max(score);
            }
            sum += best;
        }
        let name_words = u32::from(ends[0]).min(255);
        (sum << 8) | (255 - name_words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_tell_apart_first_letters() {
        assert_eq!(gram("r"), 0, "one letter: no bit");
        assert_eq!(gram("rust"), gram("ru"));
        assert_eq!(gram("rust").count_ones(), 1);
        assert_ne!(gram("rust"), gram("ur"));
        assert_eq!(gram("zürich"), gram("zü"));
    }
}
