//! The order of full-text results, the same on every backend. The engine (FTS5 or
//! `tsvector`) says which entries match; this says which match best:
//!
//! 1. each query word scores by the best field it occurs in: the name or handle 8, skills or
//!    industry 4, place or space 2, only the description 1; a whole word scores one more than
//!    a prefix of a longer one; the words' scores add up;
//! 2. then shorter names (fewer words) first: "Rust" before "Rust Lisbon Collective";
//! 3. then the newest change, then the newest entry.

use super::values::Vocabulary;

/// What a query word matches, as word numbers.
struct Word {
    /// One bit per word of the vocabulary: set when it starts with the query word.
    prefixes: Vec<u64>,
    exact: Option<u32>,
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
/// A word found only in the description (which the index does not keep).
const ELSEWHERE: u32 = 1;

impl Ranker {
    pub fn new(vocabulary: &Vocabulary, words: &[String]) -> Self {
        let blocks = vocabulary.len().div_ceil(64);
        let words = words
            .iter()
            .map(|w| {
                let (ids, exact) = vocabulary.starting_with(w);
                let mut prefixes = vec![0u64; blocks];
                for id in ids {
                    prefixes[id as usize / 64] |= 1 << (id % 64);
                }
                Word { prefixes, exact }
            })
            .collect();
        Ranker { words }
    }

    /// A larger score is a better match, for an entry whose ranked fields have `words`, the
    /// name's ending at `ends[0]` and the skills' at `ends[1]`.
    pub fn score(&self, words: &[u32], ends: [u16; 2]) -> u32 {
        let mut sum = 0u32;
        for word in &self.words {
            let mut best = 2 * ELSEWHERE;
            for (pos, &id) in words.iter().enumerate() {
                if !word.matches(id) {
                    continue;
                }
                let field = if pos < ends[0] as usize {
                    0
                } else if pos < ends[1] as usize {
                    1
                } else {
                    2
                };
                let score = 2 * WEIGHTS[field] + u32::from(word.exact == Some(id));
                best = best.max(score);
            }
            sum += best;
        }
        let name_words = u32::from(ends[0]).min(255);
        (sum << 8) | (255 - name_words)
    }
}
