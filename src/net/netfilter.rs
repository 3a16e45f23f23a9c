// SPDX-License-Identifier: GPL-2.0
//! Netfilter hooks on IPv6 receive, registered per network namespace where the feature wants
//! them.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{ffi, new_mutex, prelude::*, sync::Mutex};

use crate::{
    net::{
        device::NetDevice,
        pernet::{Net, PerNetData, PerNetId},
        rx::RxPacket,
        sys,
    },
    sync::rcu,
};

/// What becomes of a packet after a hook.
pub(crate) enum Verdict {
    /// On to the next hook and the stack.
    Accept,
    /// Freed by netfilter.
    Drop,
}

/// A hook function on IPv6 `PRE_ROUTING`, registered per network namespace through a
/// [`PerNetHook`].
pub(crate) trait RxHook: 'static {
    /// The hook's description: `HookOps::pre_routing::<Self>()`, in a `static`.
    fn ops() -> &'static HookOps;
    /// The id slot of its per-namespace registration (one `static` per hook).
    fn pernet_id() -> &'static PerNetId;
    /// Looks at (and may change) `pkt`, received on `ingress` in `net`, inside the RCU
    /// read-side critical section `guard`.
    fn hook(net: &Net, ingress: &NetDevice, pkt: &mut RxPacket<'_>, guard: &rcu::Guard) -> Verdict;
}

/// A hook description, shareable by all network namespaces (as the kernel's own static ops).
#[repr(transparent)]
pub(crate) struct HookOps(sys::nf_hook_ops);

// SAFETY: Immutable after construction; the kernel only reads it.
unsafe impl Sync for HookOps {}

impl HookOps {
    /// `H` on IPv6 `PRE_ROUTING`, first in line (`NF_IP6_PRI_FIRST`): where the kernel's own
    /// Hop-by-Hop handler has just run, before connection tracking and NAT.
    pub(crate) const fn pre_routing<H: RxHook>() -> Self {
        // SAFETY: All-zeroes is a valid `nf_hook_ops` (no callback, no device).
        let mut ops: sys::nf_hook_ops = unsafe { core::mem::zeroed() };
        ops.hook = Some(hook_callback::<H>);
        ops.pf = sys::IOAM_RS_NFPROTO_IPV6;
        ops.hooknum = sys::IOAM_RS_NF_INET_PRE_ROUTING;
        ops.priority = sys::IOAM_RS_NF_IP6_PRI_FIRST;
        Self(ops)
    }
}

/// `ops` registered in one network namespace; unregistered on drop (which waits for the hook's
/// running calls to end).
///
/// # Invariants
///
/// `ops` is registered in `net`, which outlives the registration.
struct NetHook {
    net: NonNull<sys::net>,
    ops: &'static HookOps,
}

// SAFETY: Registration and unregistration may happen on any thread.
unsafe impl Send for NetHook {}
// SAFETY: `&NetHook` exposes nothing.
unsafe impl Sync for NetHook {}

impl NetHook {
    /// Registers `ops` in `net`.
    ///
    /// # Safety
    ///
    /// `net` is alive, and the result is dropped before it goes away.
    unsafe fn register(net: NonNull<sys::net>, ops: &'static HookOps) -> Result<Self> {
        // SAFETY: `net` is alive (the function's requirement); `ops` is `'static`.
        kernel::error::to_result(unsafe { sys::nf_register_net_hook(net.as_ptr(), &ops.0) })?;
        // INVARIANT: Registered above; the caller drops it before `net` goes away.
        Ok(Self { net, ops })
    }
}

impl Drop for NetHook {
    fn drop(&mut self) {
        // SAFETY: Registered in `net`, which is still alive (type invariant).
        unsafe { sys::nf_unregister_net_hook(self.net.as_ptr(), &self.ops.0) };
    }
}

/// Whether `H` is registered in a network namespace.
enum Slot {
    Off,
    /// Registered; dropping it unregisters.
    On {
        _registration: NetHook,
    },
    /// The namespace is going away: never registered again.
    Gone,
}

/// The place of `H` in one network namespace, that namespace's data of a
/// `pernet::Registration<PerNetHook<H>>`: `H` is registered there only while the feature asks
/// for it ([`PerNetHook::set`]), and unregistered at the latest when the namespace goes.
///
/// # Invariants
///
/// `net` is the namespace whose data this is: it is alive until [`PerNetData::exit`], after
/// which `slot` is [`Slot::Gone`].
#[pin_data]
pub(crate) struct PerNetHook<H: RxHook> {
    net: NonNull<sys::net>,
    /// Taken in process context only (the feature's configuration changes, namespace exit).
    #[pin]
    slot: Mutex<Slot>,
    _h: PhantomData<fn() -> H>,
}

// SAFETY: `net` is only used to register and unregister, which may happen on any thread; the
// rest is under the mutex.
unsafe impl<H: RxHook> Send for PerNetHook<H> {}
// SAFETY: As for `Send`.
unsafe impl<H: RxHook> Sync for PerNetHook<H> {}

impl<H: RxHook> PerNetHook<H> {
    /// Registers `H` in this namespace (`on`) or takes it down; nothing when it already is so.
    /// Taking it down waits for the hook's running calls to end, so it may sleep.
    pub(crate) fn set(&self, on: bool) -> Result {
        let mut slot = self.slot.lock();
        match (&*slot, on) {
            (Slot::Off, true) => {
                // SAFETY: `net` is alive while the slot is not `Gone` (type invariant); the
                // registration lives in the slot, which `exit` empties before `net` goes.
                let hook = unsafe { NetHook::register(self.net, H::ops()) }?;
                *slot = Slot::On {
                    _registration: hook,
                };
            }
            (Slot::On { .. }, false) => *slot = Slot::Off,
            (Slot::Gone, true) => return Err(ENODEV),
            _ => {}
        }
        Ok(())
    }
}

impl<H: RxHook> PerNetData for PerNetHook<H> {
    fn id() -> &'static PerNetId {
        H::pernet_id()
    }

    fn init(net: &Net) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            net: NonNull::new(net.as_ptr()).ok_or(EINVAL)?,
            slot <- new_mutex!(Slot::Off, "ioam_rs::PerNetHook"),
            _h: PhantomData,
        })
    }

    fn exit(&self) {
        // INVARIANT: Unregistered (dropped) before the namespace goes; never registered again.
        *self.slot.lock() = Slot::Gone;
    }
}

/// # Safety
///
/// Called by netfilter on IPv6 receive with a valid `skb` and `state`, under RCU.
unsafe extern "C" fn hook_callback<H: RxHook>(
    _priv: *mut ffi::c_void,
    skb: *mut sys::sk_buff,
    state: *const sys::nf_hook_state,
) -> ffi::c_uint {
    // SAFETY: `state` is valid for the call; its namespace and input device are alive.
    let (net, dev) = unsafe { ((*state).net, (*state).in_) };
    let (Some(skb), false, false) = (NonNull::new(skb), net.is_null(), dev.is_null()) else {
        return sys::IOAM_RS_NF_ACCEPT;
    };
    // SAFETY: As above, for the duration of the call.
    let (net, dev) = unsafe { (Net::from_raw(net), NetDevice::from_raw(dev)) };
    // SAFETY: Netfilter lends us the packet, network header set, under RCU, for this call.
    let mut pkt = unsafe { RxPacket::from_raw(skb) };
    // SAFETY: `nf_hook()` runs the hooks inside its RCU read-side critical section, which
    // outlasts this call.
    let guard = unsafe { rcu::Guard::held() };
    match H::hook(net, dev, &mut pkt, &guard) {
        Verdict::Accept => sys::IOAM_RS_NF_ACCEPT,
        Verdict::Drop => sys::IOAM_RS_NF_DROP,
    }
}
