//! Short lists of numbers, one per slot (an entry's skills, its ranked words), kept one after
//! the other in a single vector, so a pass over the slots reads them front to back instead of
//! following a pointer per entry.

/// Where one list is: (start, length).
pub(super) type Span = (u32, u32);

/// Replaced lists leave garbage behind; it is squeezed out once it is most of the vector.
#[derive(Debug, Default)]
pub(super) struct Arena {
    items: Vec<u32>,
    garbage: usize,
}

impl Arena {
    pub fn push(&mut self, items: &[u32]) -> Span {
        let span = (self.items.len() as u32, items.len() as u32);
        self.items.extend_from_slice(items);
        span
    }

    pub fn get(&self, (start, len): Span) -> &[u32] {
        &self.items[start as usize..(start + len) as usize]
    }

    /// The list at `span` is no longer used.
    pub fn release(&mut self, (_, len): Span) {
        self.garbage += len as usize;
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Writes the lists again without the released ones, when those are most of it. `spans`
    /// must be every span still in use; each is moved to where its list now is.
    pub fn compact<'a>(&mut self, spans: impl Iterator<Item = &'a mut Span>) {
        if self.garbage < 4096 || self.garbage * 2 < self.items.len() {
            return;
        }
        let mut items = Vec::with_capacity(self.items.len() - self.garbage);
        for span in spans {
            let list = self.get(*span);
            *span = (items.len() as u32, span.1);
            items.extend_from_slice(list);
        }
        self.items = items;
        self.garbage = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_keeps_every_live_list() {
        let mut arena = Arena::default();
        let mut spans: Vec<Span> = (0..3000u32).map(|i| arena.push(&[i, i + 1])).collect();
        for (i, span) in spans.iter_mut().enumerate() {
            arena.release(*span);
            *span = arena.push(&[i as u32 * 10]);
        }
        arena.compact(spans.iter_mut());
        assert_eq!(arena.len(), 3000, "only the live lists are left");
        for (i, span) in spans.iter().enumerate() {
            assert_eq!(arena.get(*span), &[i as u32 * 10]);
        }
    }
}
