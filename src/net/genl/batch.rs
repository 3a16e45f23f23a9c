// SPDX-License-Identifier: GPL-2.0
//! Events batched into multicast messages: each CPU appends to its own message, which goes out
//! when the next event would not fit, or from a timer armed when an event finds no timer
//! pending. Lock-free: a CPU takes its message out of its slot to append and puts it back, the
//! timer takes each out to send, so the packet path shares no lock with other CPUs or with
//! process context.

use core::ptr::NonNull;
use kernel::{
    ffi,
    prelude::*,
    static_lock_class,
    sync::atomic::{Atomic, Full, Relaxed},
    time::Jiffies,
};

use super::{multicast, new_message, new_message_gfp, EventGroup, EventSender};
use crate::{
    net::{netlink::Msg, pernet::Net, sys},
    sync::{
        percpu::{BhOff, PerCpuCounters, PerCpuShared},
        rcu, relaxed,
        timer::{HasTimer, Timer, TimerCallback},
    },
    wire::nla,
};

/// What [`Batches`] counts, indexes of its counters.
#[derive(Clone, Copy)]
pub(crate) enum BatchCount {
    /// Events delivered in a message.
    Sent = 0,
    /// Messages delivered.
    Messages = 1,
    /// Events lost: no memory for a message, an event that did not fit, bottom halves on, or a
    /// message not delivered (a listener's buffer full, or nobody listening any more).
    Failed = 2,
}

/// Netlink attribute header, as `NLA_HDRLEN`.
const NLA_HDRLEN: usize = 4;

/// Attribute room of a batch message: what a 32 KiB head holds after the headers. One message
/// amortises its allocation, multicast and the listener's wake-up and read over a hundred events
/// and more. Such a head is an order-3 allocation: tried without dipping into reserves and
/// without a warning, and when it fails the message takes an 8 KiB head (a slab object), as
/// the kernel's own netlink dumps fall back.
const BATCH_ROOM: usize =
    sys::IOAM_RS_SKB_32K_ROOM - sys::IOAM_RS_NLMSG_HDRLEN - sys::IOAM_RS_GENL_HDRLEN;
/// Attribute room of a batch message with an 8 KiB head.
const BATCH_ROOM_FALLBACK: usize =
    sys::IOAM_RS_SKB_8K_ROOM - sys::IOAM_RS_NLMSG_HDRLEN - sys::IOAM_RS_GENL_HDRLEN;

// Readers size their buffers by the contract's maximum.
const _: () = assert!(sys::IOAM_RS_SKB_32K_ROOM <= crate::uapi::EXPORT_MESSAGE_MAX);

/// What a batch message keeps in its `skb->cb` while it is built (netlink uses the control
/// buffer only once the message is sent).
#[repr(C)]
struct BatchCb {
    /// The generic netlink header `genlmsg_put()` returned, for `genlmsg_end()`.
    hdr: *mut ffi::c_void,
    /// Events in the message.
    events: u32,
}

const _: () = assert!(size_of::<BatchCb>() <= sys::IOAM_RS_SKB_CB_SIZE);
const _: () = assert!(sys::IOAM_RS_OFFSET_SKB_CB % align_of::<BatchCb>() == 0);

/// The control buffer of `skb`, as a batch message's.
///
/// # Safety
///
/// `skb` is a live message that only the caller uses.
unsafe fn batch_cb(skb: *mut sys::sk_buff) -> *mut BatchCb {
    // SAFETY: `cb` is inside `*skb`, at an offset aligned for `BatchCb`, and big enough.
    unsafe {
        skb.cast::<u8>()
            .add(sys::IOAM_RS_OFFSET_SKB_CB)
            .cast::<BatchCb>()
    }
}

/// One CPU's message being filled, or null.
///
/// # Invariants
///
/// `skb` is null or a batch message built by [`Batches::append`] (its generic netlink header
/// put, its [`BatchCb`] filled), owned by the slot.
pub(crate) struct Slot {
    skb: Atomic<*mut sys::sk_buff>,
}

// SAFETY: All zeroes is a null pointer: an empty slot.
unsafe impl Zeroable for Slot {}

/// Per-CPU batches of events for one group in one network namespace, as messages of command
/// `cmd`, each event a nested attribute numbered by its kind. A message waits at most `delay`
/// (plus the timer's slack) after the event that armed the flush timer.
///
/// # Invariants
///
/// `net` is the network namespace this value belongs to (part of its per-namespace state), so
/// it outlives it. `timer` is the first field: dropped first, it stops before the rest goes.
#[pin_data(PinnedDrop)]
pub(crate) struct Batches {
    #[pin]
    timer: Timer<Batches>,
    slots: PerCpuShared<Slot>,
    counts: PerCpuCounters<3>,
    /// Whether the timer is armed: appending arms it only when it is not.
    armed: Atomic<bool>,
    delay: Jiffies,
    group: &'static EventGroup,
    cmd: u8,
    net: NonNull<sys::net>,
}

// SAFETY: `net` outlives the value (type invariant) and is only passed to the kernel; the slots
// and counters are per-CPU and atomic.
unsafe impl Send for Batches {}
// SAFETY: See `Send`.
unsafe impl Sync for Batches {}

// SAFETY: `timer` is a `Timer<Batches>` and the first field declared.
unsafe impl HasTimer for Batches {
    const OFFSET: usize = core::mem::offset_of!(Batches, timer);
}

impl TimerCallback for Batches {
    fn run(&self) {
        // Cleared first: an event batched from here on arms the timer again.
        self.armed.store(false, Relaxed);
        self.flush();
    }
}

impl Batches {
    /// Empty batches for `group` in `net`, which this value must not outlive (it belongs to
    /// `net`'s per-namespace state), flushed `delay` after an event arms the timer. Allocates
    /// (may sleep).
    pub(crate) fn new(
        net: &Net,
        group: &'static EventGroup,
        cmd: u8,
        delay: Jiffies,
    ) -> impl PinInit<Self, Error> {
        let net = NonNull::new(net.as_ptr());
        // INVARIANT: The caller keeps the value within `net`'s state; `timer` comes first.
        try_pin_init!(Self {
            timer <- Timer::new(c"ioam_rs::batches", static_lock_class!()),
            slots: PerCpuShared::new()?,
            counts: PerCpuCounters::new()?,
            armed: Atomic::new(false),
            delay,
            group,
            cmd,
            net: net.ok_or(EINVAL)?,
        }? Error)
    }

    /// Counter `what`, summed over the CPUs.
    pub(crate) fn count(&self, what: BatchCount) -> u64 {
        self.counts.sum(what as usize)
    }

    fn add(&self, what: BatchCount, n: u32) {
        self.counts.add(what as usize, u64::from(n));
    }

    /// Counts the `events` of a message by what became of it.
    fn counted(&self, events: u32, result: Result) {
        if result.is_ok() {
            self.add(BatchCount::Sent, events);
            self.add(BatchCount::Messages, 1);
        } else {
            self.add(BatchCount::Failed, events);
        }
    }

    /// Appends an event of kind `kind`, with at most `payload` bytes of attributes that `fill`
    /// writes, to this CPU's message (`sender` from [`super::listeners`], for this value's
    /// group); a failure is counted. From bottom halves (the receive path); with them on, the
    /// event is lost and counted.
    pub(crate) fn append(
        &self,
        sender: &EventSender<'_>,
        kind: u16,
        payload: usize,
        fill: impl FnOnce(&mut nla::Writer<'_>) -> Result<(), nla::Full>,
    ) {
        let appended = BhOff::with(|bh| self.append_local(bh, sender, kind, payload, fill));
        if !matches!(appended, Some(Ok(()))) {
            self.add(BatchCount::Failed, 1);
            return;
        }
        if !self.armed.load(Relaxed) && !self.armed.xchg(true, Full) {
            Timer::arm(self, self.delay);
        }
    }

    fn append_local(
        &self,
        bh: &BhOff,
        sender: &EventSender<'_>,
        kind: u16,
        payload: usize,
        fill: impl FnOnce(&mut nla::Writer<'_>) -> Result<(), nla::Full>,
    ) -> Result {
        let need = payload.checked_add(NLA_HDRLEN).ok_or(EMSGSIZE)?;
        let slot = self.slots.local(bh);
        let mut skb = slot.skb.xchg(core::ptr::null_mut(), Full);
        // SAFETY: A non-null `skb` from the slot is a batch message, now ours (invariant).
        if !skb.is_null() && (unsafe { sys::ioam_rs_skb_tailroom(skb) } as usize) < need {
            // SAFETY: As above; handed over.
            unsafe { self.send(sender.family, skb) };
            skb = core::ptr::null_mut();
        }
        if skb.is_null() {
            skb = self.start(sender.family, need)?;
        }
        // SAFETY: `skb` is a batch message that only this call uses until it is put back.
        let appended = unsafe { Self::append_to(skb, kind, payload, fill) };
        // INVARIANT: `skb` is a batch message, handed to the slot.
        let displaced = slot.skb.xchg(skb, Full);
        if !displaced.is_null() {
            // Only this CPU's bottom half puts messages here, one at a time: not expected, but
            // nothing is lost if it happens.
            // SAFETY: A message from the slot, now ours.
            unsafe { self.send(sender.family, displaced) };
        }
        appended
    }

    /// A new batch message with room for `need` bytes of attributes, or an error.
    fn start(&self, family: *mut sys::genl_family, need: usize) -> Result<*mut sys::sk_buff> {
        // SAFETY: `family` is registered (the caller's sender holds the RCU read lock that
        // keeps it so); `GFP_NOWAIT` never sleeps.
        let big = unsafe {
            new_message_gfp(family, self.cmd, BATCH_ROOM, sys::IOAM_RS_GFP_NOWAIT_NOWARN)
        };
        let (skb, hdr) = big.or_else(|_| {
            // SAFETY: As above; `new_message` allocates with `GFP_ATOMIC`.
            unsafe { new_message(family, self.cmd, BATCH_ROOM_FALLBACK) }
        })?;
        // SAFETY: `skb` is a new message we own.
        if (unsafe { sys::ioam_rs_skb_tailroom(skb) } as usize) < need {
            // SAFETY: Ours, never handed over.
            unsafe { sys::ioam_rs_nlmsg_free(skb) };
            return Err(EMSGSIZE);
        }
        // SAFETY: `skb` is ours; its control buffer is unused until it is sent.
        unsafe { batch_cb(skb).write(BatchCb { hdr, events: 0 }) };
        Ok(skb)
    }

    /// Appends one event, a nest of kind `kind` holding the at most `payload` bytes of
    /// attributes that `fill` writes, to batch message `skb`; on error the message is left as
    /// it was.
    ///
    /// # Safety
    ///
    /// `skb` is a batch message that only the caller uses.
    unsafe fn append_to(
        skb: *mut sys::sk_buff,
        kind: u16,
        payload: usize,
        fill: impl FnOnce(&mut nla::Writer<'_>) -> Result<(), nla::Full>,
    ) -> Result {
        // SAFETY: `skb` is a message being built (its header put), the caller's alone.
        let mut msg = unsafe { Msg::from_raw(skb) };
        msg.append(payload.saturating_add(NLA_HDRLEN), |w| w.nest(kind, fill))?;
        // SAFETY: As above; the control buffer is a `BatchCb` (slot invariant).
        unsafe {
            let cb = batch_cb(skb);
            (*cb).events = (*cb).events.wrapping_add(1);
        }
        Ok(())
    }

    /// Sends every CPU's message (from any CPU, in any context but hard interrupts). With the
    /// family gone, the messages are dropped and counted.
    fn flush(&self) {
        let guard = rcu::read_lock();
        // Read as `rcu_dereference()` reads: inline, ordered by the address dependency.
        let family = relaxed::load(&self.group.family);
        self.slots.for_each(|slot| {
            let skb = slot.skb.xchg(core::ptr::null_mut(), Full);
            if skb.is_null() {
                return;
            }
            if family.is_null() {
                // SAFETY: A batch message from the slot, now ours; its control buffer is a
                // `BatchCb`.
                let events = unsafe { (*batch_cb(skb)).events };
                // SAFETY: Ours, never handed over.
                unsafe { sys::ioam_rs_nlmsg_free(skb) };
                self.counted(events, Err(ESRCH));
            } else {
                // SAFETY: As above; `family` stays registered while `guard` holds the RCU read
                // lock (invariant of `EventGroup`).
                unsafe { self.send(family, skb) };
            }
        });
        drop(guard);
    }

    /// Ends, multicasts and counts batch message `skb`.
    ///
    /// # Safety
    ///
    /// `skb` is a batch message that the caller owns and hands over; `family` is this value's
    /// group's family, registered for the call.
    unsafe fn send(&self, family: *mut sys::genl_family, skb: *mut sys::sk_buff) {
        // SAFETY: A batch message: its control buffer is a `BatchCb`.
        let BatchCb { hdr, events } = unsafe { batch_cb(skb).read() };
        // SAFETY: `skb` is handed over with its header `hdr` (from `new_message`); `family` is
        // registered for the call (the caller's contract); `net` is alive (type invariant).
        let result = unsafe { multicast(family, self.net.as_ptr(), self.group.index, skb, hdr) };
        self.counted(events, result);
    }
}

#[pinned_drop]
impl PinnedDrop for Batches {
    fn drop(self: Pin<&mut Self>) {
        // Nobody appends any more; once the timer is stopped, what is left goes unsent.
        self.timer.shut_down();
        self.slots.for_each(|slot| {
            let skb = slot.skb.xchg(core::ptr::null_mut(), Full);
            if !skb.is_null() {
                // SAFETY: A batch message from the slot, now ours, never handed over.
                unsafe { sys::ioam_rs_nlmsg_free(skb) };
            }
        });
    }
}
