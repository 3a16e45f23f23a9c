// SPDX-License-Identifier: GPL-2.0
//! RCU-protected storage: values readers reach lock-free under a [`Guard`], replaced by
//! writers and freed only after a grace period.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use core::ptr;
use kernel::{
    alloc::{flags::GFP_KERNEL_ACCOUNT, AllocError, KBox},
    prelude::*,
    sync::atomic::{Atomic, Relaxed, Release},
    types::Opaque,
};

use kernel::bindings;

use crate::sync::relaxed;

mod guard;
pub(crate) use guard::{read_lock, Guard};

/// A heap node that can be handed to `call_rcu()`.
///
/// `repr(C)` keeps `head` at offset 0, so the `callback_head` pointer is the node pointer.
#[repr(C)]
struct RcuNode<T> {
    head: Opaque<bindings::callback_head>,
    value: T,
}

/// RCU callback: frees a node retired by [`RcuCell`].
///
/// # Safety
///
/// `head` is the `head` field of a node that came from [`KBox::into_raw`] and that no reader
/// can reach any more (a grace period has elapsed since it was unpublished).
unsafe extern "C" fn free_node<T>(head: *mut bindings::callback_head) {
    // CAST: `RcuNode` is `repr(C)` with `head` first, and `Opaque` is `repr(transparent)`.
    let node = head.cast::<RcuNode<T>>();
    // SAFETY: Per the function's requirements the node is ours alone and came from `KBox`.
    drop(unsafe { KBox::from_raw(node) });
}

/// Error of [`RcuCell::insert`] and [`RcuTable::insert`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InsertError {
    /// The cell already holds a value.
    Occupied,
    /// No memory for the node.
    NoMemory,
}

impl From<AllocError> for InsertError {
    fn from(_: AllocError) -> Self {
        InsertError::NoMemory
    }
}

impl From<InsertError> for Error {
    fn from(e: InsertError) -> Self {
        match e {
            InsertError::Occupied => EEXIST,
            InsertError::NoMemory => ENOMEM,
        }
    }
}

/// An optional `T` that readers get lock-free under RCU.
///
/// Writers may race with each other: publishing uses compare-and-exchange and removal uses
/// exchange, so every node is retired exactly once. A removed value is freed (dropped) after an
/// RCU grace period, from softirq context: `T`'s `Drop` must not sleep.
///
/// # Invariants
///
/// `ptr` is null or points to a live `RcuNode<T>` from [`KBox::into_raw`], owned by this cell.
pub(crate) struct RcuCell<T> {
    ptr: Atomic<*mut RcuNode<T>>,
}

// SAFETY: The cell owns its `T` and hands out only `&T`, so it may move between threads when
// `T: Send`, and be shared when `T` may be shared and sent (the RCU callback drops it elsewhere).
unsafe impl<T: Send> Send for RcuCell<T> {}
// SAFETY: See `Send`; concurrent access goes through atomics and RCU.
unsafe impl<T: Send + Sync> Sync for RcuCell<T> {}

impl<T: Send> RcuCell<T> {
    /// An empty cell.
    pub(crate) const fn new() -> Self {
        // INVARIANT: null.
        Self {
            ptr: Atomic::new(ptr::null_mut()),
        }
    }

    /// The value, valid as long as both the cell borrow and the RCU read lock last.
    pub(crate) fn get<'a>(&'a self, _guard: &'a Guard) -> Option<&'a T> {
        // Read as `rcu_dereference()` reads: inline, ordered by the address dependency.
        let node = relaxed::load(&self.ptr);
        // SAFETY: A non-null `node` is live per the invariant; it is freed only after a grace
        // period that cannot end while `_guard` holds the RCU read lock.
        unsafe { node.as_ref() }.map(|n| &n.value)
    }

    /// Whether the cell holds a value (a snapshot, for writers and dumps).
    pub(crate) fn is_set(&self) -> bool {
        !self.ptr.load(Relaxed).is_null()
    }

    fn alloc(value: T) -> Result<*mut RcuNode<T>, AllocError> {
        let node = KBox::new(
            RcuNode {
                head: Opaque::uninit(),
                value,
            },
            // Values are made for user requests: charged to the caller's memory cgroup.
            GFP_KERNEL_ACCOUNT,
        )?;
        Ok(KBox::into_raw(node))
    }

    /// Publishes `value` if the cell is empty. Allocates (may sleep): not under the RCU read
    /// lock; see [`Self::insert_with`].
    pub(crate) fn insert(&self, value: T) -> Result<(), InsertError> {
        if self.is_set() {
            return Err(InsertError::Occupied);
        }
        self.insert_with(RcuValue::new(value)?)
    }

    /// Publishes a value allocated beforehand if the cell is empty (else it is freed). Does not
    /// allocate: callable under the RCU read lock.
    pub(crate) fn insert_with(&self, value: RcuValue<T>) -> Result<(), InsertError> {
        let node = value.into_raw();
        match self.ptr.cmpxchg(ptr::null_mut(), node, Release) {
            // INVARIANT: the cell now owns `node`.
            Ok(_) => Ok(()),
            Err(_) => {
                // SAFETY: `node` was never published, so it is still ours alone.
                drop(unsafe { KBox::from_raw(node) });
                Err(InsertError::Occupied)
            }
        }
    }

    /// Publishes `value` in place of the current one, which is freed after a grace period.
    /// Allocates (may sleep): not under the RCU read lock; see [`Self::replace_with`].
    pub(crate) fn replace(&self, value: T) -> Result<(), AllocError> {
        self.replace_with(RcuValue::new(value)?);
        Ok(())
    }

    /// Publishes a value allocated beforehand, in place of the current one (which is freed
    /// after a grace period). Does not allocate: callable under the RCU read lock.
    pub(crate) fn replace_with(&self, value: RcuValue<T>) {
        let node = value.into_raw();
        // INVARIANT: the cell now owns `node`; the old node goes to `retire`.
        let old = self.ptr.xchg(node, Release);
        Self::retire(old);
    }

    /// Empties the cell; the old value, if any, is freed after a grace period.
    pub(crate) fn take(&self) -> bool {
        // INVARIANT: null; the old node goes to `retire`.
        let old = self.ptr.xchg(ptr::null_mut(), Relaxed);
        Self::retire(old)
    }

    fn retire(node: *mut RcuNode<T>) -> bool {
        if node.is_null() {
            return false;
        }
        // SAFETY: `node` was unpublished by the exchange that returned it, so this is its only
        // retirement; `call_rcu` runs `free_node` once all current readers are done. The module
        // waits for pending callbacks (`rcu_barrier`) before its code goes away.
        unsafe { bindings::call_rcu((*node).head.get(), Some(free_node::<T>)) };
        true
    }
}

/// A value allocated for an [`RcuCell`], not published yet.
///
/// # Invariants
///
/// `node` comes from [`KBox::into_raw`] and is owned by this object.
pub(crate) struct RcuValue<T: Send> {
    node: *mut RcuNode<T>,
}

impl<T: Send> RcuValue<T> {
    /// Allocates `value` (may sleep).
    pub(crate) fn new(value: T) -> Result<Self, AllocError> {
        // INVARIANT: a fresh node, ours alone.
        Ok(Self {
            node: RcuCell::alloc(value)?,
        })
    }

    fn into_raw(self) -> *mut RcuNode<T> {
        let node = self.node;
        core::mem::forget(self);
        node
    }
}

impl<T: Send> Drop for RcuValue<T> {
    fn drop(&mut self) {
        // SAFETY: Never published, so still ours alone (type invariant).
        drop(unsafe { KBox::from_raw(self.node) });
    }
}

impl<T> Drop for RcuCell<T> {
    fn drop(&mut self) {
        let node = *self.ptr.get_mut();
        if !node.is_null() {
            // SAFETY: `&mut self` proves no borrow from `get` is alive (they borrow the cell),
            // and the node is owned by the cell per the invariant.
            drop(unsafe { KBox::from_raw(node) });
        }
    }
}

/// Waits until every value retired so far has been freed. Call before module code goes away.
pub(crate) fn barrier() {
    // SAFETY: No requirements; may sleep, and module exit runs in process context.
    unsafe { bindings::rcu_barrier() };
}

const PAGE_BITS: u32 = 8;
const PAGE_SLOTS: usize = 1 << PAGE_BITS;
const PAGES: usize = 1 << (16 - PAGE_BITS);

/// Slots for the ids sharing one high byte.
struct Page<T> {
    slots: [RcuCell<T>; PAGE_SLOTS],
}

/// A map from `u16` to `T` with lock-free lookups under RCU (two loads per lookup).
///
/// Pages of 256 slots are allocated on first use and kept until the table is cleared or
/// dropped.
pub(crate) struct RcuTable<T> {
    pages: [RcuCell<Page<T>>; PAGES],
}

fn split(id: u16) -> (usize, usize) {
    (usize::from(id >> PAGE_BITS), usize::from(id & 0xff))
}

impl<T: Send + Sync> RcuTable<T> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Self {
            pages: [const { RcuCell::new() }; PAGES],
        }
    }

    fn page(&self, high: usize) -> Option<&RcuCell<Page<T>>> {
        self.pages.get(high)
    }

    /// The entry for `id`.
    pub(crate) fn get<'a>(&'a self, id: u16, guard: &'a Guard) -> Option<&'a T> {
        let (high, low) = split(id);
        self.page(high)?.get(guard)?.slots.get(low)?.get(guard)
    }

    /// Adds an entry for `id` if there is none.
    pub(crate) fn insert(&self, id: u16, value: T) -> Result<(), InsertError> {
        let (high, low) = split(id);
        let page = self.page(high).ok_or(InsertError::Occupied)?;
        if !page.is_set() {
            let empty = Page {
                slots: [const { RcuCell::new() }; PAGE_SLOTS],
            };
            match page.insert(empty) {
                Ok(()) | Err(InsertError::Occupied) => {}
                Err(e) => return Err(e),
            }
        }
        // Allocated before the RCU read lock: allocating may sleep.
        let value = RcuValue::new(value)?;
        let guard = read_lock();
        // `page` is set, unless a concurrent `clear` (namespace exit) just retired it.
        let slot = page
            .get(&guard)
            .and_then(|p| p.slots.get(low))
            .ok_or(InsertError::NoMemory)?;
        slot.insert_with(value)
    }

    /// Removes the entry for `id`; it is freed after a grace period. False if there was none.
    pub(crate) fn remove(&self, id: u16) -> bool {
        let (high, low) = split(id);
        let guard = read_lock();
        self.page(high)
            .and_then(|page| page.get(&guard))
            .and_then(|p| p.slots.get(low))
            .is_some_and(RcuCell::take)
    }

    /// Entries with ids from `start` upwards, in id order.
    pub(crate) fn iter_from<'a>(
        &'a self,
        start: u16,
        guard: &'a Guard,
    ) -> impl Iterator<Item = (u16, &'a T)> + 'a {
        let (start_high, start_low) = split(start);
        let used_pages = self
            .pages
            .iter()
            .enumerate()
            .skip(start_high)
            .filter_map(move |(high, page)| Some((high, page.get(guard)?)));
        used_pages.flat_map(move |(high, page)| {
            let first = if high == start_high { start_low } else { 0 };
            page.slots
                .iter()
                .enumerate()
                .skip(first)
                .filter_map(move |(low, slot)| {
                    let id = u16::try_from((high << PAGE_BITS) | low).ok()?;
                    Some((id, slot.get(guard)?))
                })
        })
    }

    /// Removes every entry and page, each freed after a grace period, so that readers still
    /// in flight (a dying network namespace's last packets) never see freed memory.
    pub(crate) fn clear(&self) {
        for page in &self.pages {
            {
                let guard = read_lock();
                if let Some(p) = page.get(&guard) {
                    for slot in &p.slots {
                        slot.take();
                    }
                }
            }
            // The page's slots are empty: retiring it frees nothing a reader can still reach.
            page.take();
        }
    }
}
