// SPDX-License-Identifier: GPL-2.0
//! Whether any socket may listen to the module's multicast groups: a hint read before the
//! kernel is asked (`genl_has_listeners()`, a call per group and event), so that a node nobody
//! listens to builds no event and pays a few loads per trace.
//!
//! The kernel tells a family of a join (`bind`) before the socket is a member, and of a leave
//! (`unbind`) also for a group the socket never joined: no count can be kept from them. So a
//! join turns the hint on at once, and an event that asks the kernel and finds no listener
//! turns it off, unless a socket joined within the last second (its membership may not show
//! yet). Once off, the first event of each jiffy asks the kernel anyway: a join whose
//! membership showed later than that has its events within a jiffy or two (an answer given
//! just before the membership showed may hold for the rest of the next jiffy).

use kernel::{
    sync::atomic::{Atomic, Full, Relaxed, Release},
    time::{msecs_to_jiffies, Jiffies},
};

use crate::sync::{clock, relaxed};

/// No socket has joined since the module was loaded: no event can have a listener.
const NEVER: u32 = 0;
/// A socket joined less than a second ago, or the last answer found a listener: every event
/// asks the kernel.
const JOINED: u32 = 1;
/// An event found no listener: the first event of each jiffy asks the kernel.
const QUIET: u32 = 2;

static STATE: Atomic<u32> = Atomic::new(NEVER);
/// When (jiffies) a socket last joined.
static JOINED_AT: Atomic<Jiffies> = Atomic::new(0);
/// When (jiffies) an event last asked the kernel and found no listener.
static LOOKED_AT: Atomic<Jiffies> = Atomic::new(0);

/// How long after a join the hint stays on without a listener to be seen.
const JOIN_SETTLE_MS: u32 = 1000;

/// A socket is joining one of the module's groups (the family's `bind`, process context).
pub(super) fn joining() {
    JOINED_AT.store(clock::jiffies(), Relaxed);
    // Release: whoever reads this state from here reads that time or a later one.
    STATE.store(JOINED, Release);
}

/// Whether an event should ask the kernel for listeners.
#[inline]
pub(crate) fn may_listen() -> bool {
    match relaxed::load(&STATE) {
        NEVER => false,
        JOINED => true,
        _ => clock::jiffies() != relaxed::load(&LOOKED_AT),
    }
}

/// What an event found when it asked the kernel: whether any of the module's groups has a
/// listener. Inline for the usual answer while someone listens.
#[inline]
pub(super) fn heard(listening: bool) {
    let state = relaxed::load(&STATE);
    if listening && state == JOINED {
        return;
    }
    changed(listening, state);
}

/// [`heard`] when the answer may change the state (`state`, as read).
#[cold]
#[inline(never)]
fn changed(listening: bool, state: u32) {
    if listening {
        STATE.store(JOINED, Relaxed);
        return;
    }
    let now = clock::jiffies();
    // Before the state: a CPU that sees `QUIET` with an older time only asks once more. Not
    // written again in the same jiffy (a line every CPU reads).
    if relaxed::load(&LOOKED_AT) != now {
        LOOKED_AT.store(now, Relaxed);
    }
    if state == JOINED
        && !settling(now)
        && STATE.cmpxchg(JOINED, QUIET, Full).is_ok()
        && settling(now)
    {
        // A socket joined meanwhile: its membership may not show yet.
        STATE.store(JOINED, Relaxed);
    }
}

/// Whether a socket joined less than a second before `now`. After the exchange (fully
/// ordered), it sees the time of a join whose release store the exchange read; a join it
/// misses is seen by the next jiffy's first event.
fn settling(now: Jiffies) -> bool {
    // Unsigned, so that it holds across a wrap of jiffies.
    now.wrapping_sub(relaxed::load(&JOINED_AT)) < msecs_to_jiffies(JOIN_SETTLE_MS)
}
