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

/// The beginnings of an entry's words, as bits: one of 64 for each word's first two letters,
/// and two of 256 for its first three. A query word whose bits an entry lacks is the start of
/// none of its words, so most entries fail a search's words here, without their words being
/// read (with only the two-letter bits, about a quarter of the entries passed a common word's
/// test and had their words read; with the three-letter ones too, a few in a hundred).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Sketch([u64; 5]);

impl Sketch {
    /// The bits of one word (none for a word of one letter).
    pub fn of(word: &str) -> Sketch {
        let mut bits = Sketch::default();
        let mut chars = word.chars();
        let (Some(a), Some(b)) = (chars.next(), chars.next()) else {
            return bits;
        };
        let two = (u64::from(a) << 32 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        bits.0[0] = 1 << (two >> 58);
        if let Some(c) = chars.next() {
            let three = (two ^ u64::from(c)).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
            for bit in [three >> 56, (three >> 48) & 0xFF] {
                bits.0[1 + (bit / 64) as usize] |= 1 << (bit % 64);
            }
        }
        bits
    }

    /// Adds a word's bits.
    pub fn add(&mut self, word: &str) {
        let other = Sketch::of(word);
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine |= theirs;
        }
    }

    /// Whether every bit of `word` is here.
    fn covers(&self, word: &Sketch) -> bool {
        self.0
            .iter()
            .zip(&word.0)
            .all(|(mine, theirs)| mine & theirs == *theirs)
    }
}

/// What a query word matches, as word numbers.
struct Word {
    /// One bit per word of the vocabulary: set when it starts with the query word.
    prefixes: Vec<u64>,
    exact: Option<u32>,
    /// Its [`Sketch`] (empty for one letter: every entry may match).
    sketch: Sketch,
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
                    sketch: Sketch::of(w),
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

    /// Whether an entry whose words have this `sketch` may have every query word: when not,
    /// it has not.
    pub fn may_match(&self, sketch: &Sketch) -> bool {
        self.words.iter().all(|w| sketch.covers(&w.sketch))
    }

    /// Whether an entry with these `words` has every query word.
    pub fn matches(&self, words: &[u32]) -> bool {
        self.words
            .iter()
            .all(|w| words.iter().any(|&id| w.matches(id)))
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
    fn sketches_tell_apart_beginnings() {
        assert_eq!(Sketch::of("r"), Sketch::default(), "one letter: no bit");
        assert_eq!(Sketch::of("rust"), Sketch::of("rus"));
        assert_ne!(Sketch::of("rust"), Sketch::of("ru"));
        assert_ne!(Sketch::of("rust"), Sketch::of("rub"));
        assert_ne!(Sketch::of("rust"), Sketch::of("ur"));
        assert_eq!(Sketch::of("zürich"), Sketch::of("zür"));
        let ru = Sketch::of("ru");
        assert_eq!(ru.0.iter().map(|b| b.count_ones()).sum::<u32>(), 1);
        let mut entry = Sketch::default();
        entry.add("rustacean");
        entry.add("lisbon");
        for word in [
            "r",
            "ru",
            "rus",
            "rust",
            "rustacean",
            "li",
            "lis",
            "lisbonne",
        ] {
            assert!(entry.covers(&Sketch::of(word)), "{word}");
        }
        assert!(!entry.covers(&Sketch::of("go")));
    }
}
