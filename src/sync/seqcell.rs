// SPDX-License-Identifier: GPL-2.0
//! A small value shared by packet-path readers and writers without a lock: a sequence
//! counter around a few words (the kernel's `seqcount` pattern), where a writer that finds
//! another one at work gives up instead of waiting. For caches: a reader that races a
//! writer gets nothing, never a torn value, and a lost write is only a cache miss.

use crate::sync::{
    barrier::{smp_rmb, smp_wmb},
    relaxed,
};
use kernel::sync::atomic::{Atomic, Relaxed, Release};

/// `N` words, read and written whole.
///
/// # Invariants
///
/// `seq` is odd exactly while one writer updates `words`, and that writer is the only one
/// (it made `seq` odd with a compare-and-exchange).
pub(crate) struct SeqCell<const N: usize> {
    seq: Atomic<u32>,
    words: [Atomic<u32>; N],
}

impl<const N: usize> SeqCell<N> {
    /// A cell holding `initial`.
    pub(crate) fn new(initial: [u32; N]) -> Self {
        Self {
            seq: Atomic::new(0),
            words: initial.map(Atomic::new),
        }
    }

    /// The value, or `None` while a writer is at work.
    pub(crate) fn read(&self) -> Option<[u32; N]> {
        // `read_seqcount_begin()`: the count, then the words.
        let before = relaxed::load(&self.seq);
        if before & 1 != 0 {
            return None;
        }
        smp_rmb();
        let value = core::array::from_fn(|i| relaxed::load(&self.words[i]));
        // The words are read before `seq` is read again.
        smp_rmb();
        (relaxed::load(&self.seq) == before).then_some(value)
    }

    /// Stores `value`, unless another writer is at work (then the value is dropped).
    pub(crate) fn try_write(&self, value: [u32; N]) {
        let before = self.seq.load(Relaxed);
        if before & 1 != 0
            || self
                .seq
                .cmpxchg(before, before.wrapping_add(1), Relaxed)
                .is_err()
        {
            return;
        }
        // Readers see the odd count before any new word.
        smp_wmb();
        for (word, v) in self.words.iter().zip(value) {
            word.store(v, Relaxed);
        }
        // INVARIANT: the count is even again once the words are written.
        self.seq.store(before.wrapping_add(2), Release);
    }
}
