// SPDX-License-Identifier: GPL-2.0
//! Netfilter hooks on IPv6 receive and at the egress, registered per network namespace where
//! the feature wants them.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    alloc::flags::GFP_KERNEL,
    ffi, impl_has_work, new_mutex, new_work,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        Arc, Mutex,
    },
    workqueue::{Work, WorkItem},
};

use crate::{
    net::{
        device::NetDevice,
        pernet::{Net, PerNetData, PerNetId},
        rx::RxPacket,
        sys,
    },
    sync::{rcu, relaxed, workqueue},
};

/// What becomes of a packet after a hook.
pub(crate) enum Verdict {
    /// On to the next hook and the stack.
    Accept,
    /// Freed by netfilter.
    Drop,
}

/// A feature's hooks, registered together per network namespace ([`PerNetHook`],
/// [`LazyNetHook`]).
pub(crate) trait NetHooks: 'static {
    /// The hooks (`HookOps::pre_routing::<H>()`, ...), in a `static`.
    fn ops() -> &'static [HookOps];
    /// The id slot of their per-namespace registration (one `static` per feature).
    fn pernet_id() -> &'static PerNetId;
}

/// A hook function on IPv6 `PRE_ROUTING`.
pub(crate) trait RxHook: NetHooks {
    /// Looks at (and may change) `pkt`, received on `ingress` in `net`, inside the RCU
    /// read-side critical section `guard`.
    fn hook(net: &Net, ingress: &NetDevice, pkt: &mut RxPacket<'_>, guard: &rcu::Guard) -> Verdict;
}

/// A hook function at the end of IPv6 `POST_ROUTING`.
pub(crate) trait EgressHook: 'static {
    /// Looks at (and may change) `pkt`, about to leave by `egress` in `net`, inside the RCU
    /// read-side critical section `guard`.
    fn hook(net: &Net, egress: &NetDevice, pkt: &mut RxPacket<'_>, guard: &rcu::Guard) -> Verdict;
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

    /// `H` on IPv6 `POST_ROUTING`, last in line (`NF_IP6_PRI_LAST`): after NAT and every
    /// other hook, as close to transmission as netfilter gets.
    pub(crate) const fn post_routing<H: EgressHook>() -> Self {
        // SAFETY: All-zeroes is a valid `nf_hook_ops` (no callback, no device).
        let mut ops: sys::nf_hook_ops = unsafe { core::mem::zeroed() };
        ops.hook = Some(egress_callback::<H>);
        ops.pf = sys::IOAM_RS_NFPROTO_IPV6;
        ops.hooknum = sys::IOAM_RS_NF_INET_POST_ROUTING;
        ops.priority = sys::IOAM_RS_NF_IP6_PRI_LAST;
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
    ops: &'static [HookOps],
    /// `ops.len()`.
    count: u32,
}

// SAFETY: Registration and unregistration may happen on any thread.
unsafe impl Send for NetHook {}
// SAFETY: `&NetHook` exposes nothing.
unsafe impl Sync for NetHook {}

impl NetHook {
    /// Registers `ops` in `net`, all or none.
    ///
    /// # Safety
    ///
    /// `net` is alive, and the result is dropped before it goes away.
    unsafe fn register(net: NonNull<sys::net>, ops: &'static [HookOps]) -> Result<Self> {
        let count = u32::try_from(ops.len()).map_err(|_| EINVAL)?;
        // SAFETY: `net` is alive (the function's requirement); `ops` is `'static`, an array
        // of `nf_hook_ops` (`HookOps` is transparent); on failure none stays registered.
        kernel::error::to_result(unsafe {
            sys::nf_register_net_hooks(net.as_ptr(), ops.as_ptr().cast(), count)
        })?;
        // INVARIANT: Registered above; the caller drops it before `net` goes away.
        Ok(Self { net, ops, count })
    }
}

impl Drop for NetHook {
    fn drop(&mut self) {
        let (net, ops) = (self.net.as_ptr(), self.ops.as_ptr().cast());
        // SAFETY: Registered in `net`, which is still alive (type invariant).
        unsafe { sys::nf_unregister_net_hooks(net, ops, self.count) };
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
pub(crate) struct PerNetHook<H: NetHooks> {
    net: NonNull<sys::net>,
    /// Taken in process context only (the feature's configuration changes, namespace exit).
    #[pin]
    slot: Mutex<Slot>,
    _h: PhantomData<fn() -> H>,
}

// SAFETY: `net` is only used to register and unregister, which may happen on any thread; the
// rest is under the mutex.
unsafe impl<H: NetHooks> Send for PerNetHook<H> {}
// SAFETY: As for `Send`.
unsafe impl<H: NetHooks> Sync for PerNetHook<H> {}

impl<H: NetHooks> PerNetHook<H> {
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

impl<H: NetHooks> PerNetData for PerNetHook<H> {
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

/// The place of `H` in one network namespace where it is registered only once the packet path
/// asks for it ([`LazyNetHook::request`], from any context): a work item registers it, the
/// feature takes it down ([`LazyNetHook::take_down`]), and it goes at the latest with the
/// namespace. Until asked, the namespace's packets do not pay for a hook they need not run.
#[pin_data]
pub(crate) struct LazyNetHook<H: NetHooks> {
    inner: Arc<LazyInner<H>>,
}

/// # Invariants
///
/// `net` is the namespace whose data the owning [`LazyNetHook`] is: alive while `slot` is not
/// [`Slot::Gone`] (the namespace's exit makes it so first).
#[pin_data]
struct LazyInner<H: NetHooks> {
    net: NonNull<sys::net>,
    /// Asked for since the last take-down: the packet path asks once; changed under `slot`'s
    /// lock but for the packet path's first store.
    requested: Atomic<bool>,
    /// Taken in process context only (the work item, the feature, namespace exit).
    #[pin]
    slot: Mutex<Slot>,
    #[pin]
    work: Work<LazyInner<H>>,
    _h: PhantomData<fn() -> H>,
}

// SAFETY: `net` is only used to register and unregister, which may happen on any thread, while
// the namespace is alive (type invariant); the rest is atomic or under the mutex.
unsafe impl<H: NetHooks> Send for LazyInner<H> {}
// SAFETY: As for `Send`.
unsafe impl<H: NetHooks> Sync for LazyInner<H> {}

impl_has_work! {
    impl{H: NetHooks} HasWork<LazyInner<H>> for LazyInner<H> { self.work }
}

impl<H: NetHooks> WorkItem for LazyInner<H> {
    type Pointer = Arc<Self>;

    fn run(this: Arc<Self>) {
        let mut slot = this.slot.lock();
        // Taken down (or the namespace gone) since the request: nothing to do.
        if !relaxed::load(&this.requested) || !matches!(*slot, Slot::Off) {
            return;
        }
        // SAFETY: The slot is not `Gone`, so `net` is alive (type invariant); the registration
        // lives in the slot, which the namespace's exit empties first.
        match unsafe { NetHook::register(this.net, H::ops()) } {
            Ok(hook) => {
                *slot = Slot::On {
                    _registration: hook,
                }
            }
            // A later packet asks again.
            Err(_) => this.requested.store(false, Relaxed),
        }
    }
}

impl<H: NetHooks> LazyNetHook<H> {
    /// Asks for `H` in this namespace, from any context: registered soon by a work item.
    /// Nothing when already asked for.
    #[inline]
    pub(crate) fn request(&self) {
        if relaxed::load(&self.inner.requested) {
            return;
        }
        self.inner.requested.store(true, Relaxed);
        // Already queued: that run registers it.
        let _ = workqueue::system_dfl().enqueue(self.inner.clone());
    }

    /// Takes `H` down in this namespace (waiting for its running calls to end: may sleep); a
    /// later request registers it again.
    pub(crate) fn take_down(&self) {
        let mut slot = self.inner.slot.lock();
        self.inner.requested.store(false, Relaxed);
        if matches!(*slot, Slot::On { .. }) {
            *slot = Slot::Off;
        }
    }
}

impl<H: NetHooks> PerNetData for LazyNetHook<H> {
    fn id() -> &'static PerNetId {
        H::pernet_id()
    }

    fn init(net: &Net) -> impl PinInit<Self, Error> {
        let net = NonNull::new(net.as_ptr()).ok_or(EINVAL);
        try_pin_init!(Self {
            inner: Arc::pin_init(
                try_pin_init!(LazyInner {
                    net: net?,
                    requested: Atomic::new(false),
                    slot <- new_mutex!(Slot::Off, "ioam_rs::LazyNetHook"),
                    work <- new_work!("ioam_rs::LazyNetHook::work"),
                    _h: PhantomData,
                }),
                GFP_KERNEL,
            )?,
        })
    }

    fn exit(&self) {
        // INVARIANT: Unregistered (dropped) before the namespace goes; never registered again.
        *self.inner.slot.lock() = Slot::Gone;
        // A queued or running work item ends before the namespace (and perhaps the module)
        // goes; it finds the slot gone. Nobody asks any more: the packet path that asks runs
        // in hooks unregistered before this exit.
        // SAFETY: `work` is a field of a live, pinned `LazyInner`.
        unsafe { sys::flush_work(Work::raw_get(&self.inner.work).cast()) };
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
    // SAFETY: `state` is valid for the call.
    let (net, dev) = unsafe { ((*state).net, (*state).in_) };
    // SAFETY: As the function's requirements; `dev` is the state's input device.
    unsafe { run_hook(skb, net, dev, H::hook) }
}

/// # Safety
///
/// Called by netfilter at IPv6 `POST_ROUTING` with a valid `skb` and `state`, under RCU.
unsafe extern "C" fn egress_callback<H: EgressHook>(
    _priv: *mut ffi::c_void,
    skb: *mut sys::sk_buff,
    state: *const sys::nf_hook_state,
) -> ffi::c_uint {
    // SAFETY: `state` is valid for the call.
    let (net, dev) = unsafe { ((*state).net, (*state).out) };
    // SAFETY: As the function's requirements; `dev` is the state's output device.
    unsafe { run_hook(skb, net, dev, H::hook) }
}

/// Runs `hook` on a netfilter hook's packet `skb`, in `net`, through `dev`; accepts the
/// packet when any is null.
///
/// # Safety
///
/// Called from a netfilter hook function with its valid `skb` (network header set), the
/// state's namespace and one of its devices (alive for the call, or null), inside the RCU
/// read-side critical section `nf_hook()` holds.
#[inline(always)]
unsafe fn run_hook(
    skb: *mut sys::sk_buff,
    net: *mut sys::net,
    dev: *mut sys::net_device,
    hook: impl FnOnce(&Net, &NetDevice, &mut RxPacket<'_>, &rcu::Guard) -> Verdict,
) -> ffi::c_uint {
    let (Some(skb), false, false) = (NonNull::new(skb), net.is_null(), dev.is_null()) else {
        return sys::IOAM_RS_NF_ACCEPT;
    };
    // SAFETY: Alive for the duration of the call (the function's requirements).
    let (net, dev) = unsafe { (Net::from_raw(net), NetDevice::from_raw(dev)) };
    // SAFETY: Netfilter lends us the packet, network header set, under RCU, for this call.
    let mut pkt = unsafe { RxPacket::from_raw(skb) };
    // SAFETY: `nf_hook()` runs the hooks inside its RCU read-side critical section, which
    // outlasts this call.
    let guard = unsafe { rcu::Guard::held() };
    match hook(net, dev, &mut pkt, &guard) {
        Verdict::Accept => sys::IOAM_RS_NF_ACCEPT,
        Verdict::Drop => sys::IOAM_RS_NF_DROP,
    }
}
