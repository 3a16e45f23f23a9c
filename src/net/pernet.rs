// SPDX-License-Identifier: GPL-2.0
//! Per-network-namespace state.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)

use core::marker::PhantomData;
use kernel::{
    error::from_result,
    ffi,
    prelude::*,
    sync::atomic::{Atomic, Release},
    types::Opaque,
};

use crate::{
    compat,
    net::sys,
    sync::{rcu, relaxed},
};

/// A network namespace.
///
/// # Invariants
///
/// The wrapped `struct net` is alive for the lifetime of any `&Net`.
#[repr(transparent)]
pub(crate) struct Net(Opaque<sys::net>);

impl Net {
    /// # Safety
    ///
    /// `ptr` points to a `struct net` that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut sys::net) -> &'a Self {
        // CAST: `Net` is a `repr(transparent)` wrapper of `struct net`.
        // SAFETY: Per the function's requirements.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::net {
        self.0.get()
    }

    /// Whether `addr` is one of the namespace's own addresses (`ipv6_chk_addr()`, on any
    /// device).
    pub(crate) fn has_address(&self, addr: &[u8; 16]) -> bool {
        let mut a: sys::in6_addr = pin_init::zeroed();
        a.in6_u.u6_addr8 = *addr;
        // SAFETY: The namespace is alive; the address is valid for the call; no device given.
        unsafe { sys::ipv6_chk_addr(self.as_ptr(), &a, core::ptr::null(), 0) != 0 }
    }

    /// Whether a device with index `ifindex` exists in the namespace.
    pub(crate) fn device_exists(&self, ifindex: i32) -> bool {
        let _guard = rcu::read_lock();
        // SAFETY: The namespace is alive; the RCU read lock is held for the lookup.
        !unsafe { sys::dev_get_by_index_rcu(self.as_ptr(), ifindex) }.is_null()
    }

    /// Generation numbers of IPv6 routing: `(routes, addresses)`. The first changes when a
    /// route is added or replaced, a rule changes or an address goes away (never 0); the
    /// second with every address change.
    pub(crate) fn ipv6_routing_generation(&self) -> (u32, u32) {
        // SAFETY: Both are `atomic_t` counters of `struct net` at these offsets (checked below).
        unsafe {
            (
                self.read_field(sys::IOAM_RS_OFFSET_NET_FIB6_SERNUM),
                self.read_field(sys::IOAM_RS_OFFSET_NET_ADDR_GENID),
            )
        }
    }

    /// `net.ipv6.ioam6_id` and `net.ipv6.ioam6_id_wide`.
    pub(crate) fn ioam_node_ids(&self) -> (u32, u64) {
        // SAFETY: A `u32` and a `u64` of `struct net` at these offsets (checked below).
        unsafe {
            (
                self.read_field(sys::IOAM_RS_OFFSET_NET_IOAM6_ID),
                self.read_field(sys::IOAM_RS_OFFSET_NET_IOAM6_ID_WIDE),
            )
        }
    }

    /// Reads the field at byte `offset` of `struct net` once (`READ_ONCE()`: sysctl writers
    /// and counters change these at any time). Read by offset because bindgen's `struct net`
    /// has the wrong layout; the C compiler gives the offsets.
    ///
    /// # Safety
    ///
    /// A field of type `T` (or an `atomic_t` for a `u32`) lies at `offset` in `struct net`.
    unsafe fn read_field<T: Copy>(&self, offset: usize) -> T {
        // SAFETY: The namespace is alive (type invariant) and holds an aligned `T` at `offset`
        // (the function's requirements; C aligns fields for their type).
        unsafe { sys::read_once(self.as_ptr().cast::<u8>().add(offset).cast::<T>()) }
    }
}

// The fields `Net` reads by offset have the sizes it reads them with.
const _: () = {
    use core::mem::size_of;
    assert!(sys::IOAM_RS_SIZE_NET_FIB6_SERNUM == size_of::<u32>());
    assert!(sys::IOAM_RS_SIZE_NET_ADDR_GENID == size_of::<u32>());
    assert!(sys::IOAM_RS_SIZE_NET_IOAM6_ID == size_of::<u32>());
    assert!(sys::IOAM_RS_SIZE_NET_IOAM6_ID_WIDE == size_of::<u64>());
    assert!(sys::IOAM_RS_SIZE_NET_GEN == size_of::<*const u8>());
};

/// State kept for every network namespace while a [`Registration`] is live.
pub(crate) trait PerNetData: Sized + Send + Sync + 'static {
    /// The id slot the kernel assigns to this state (one `static` per type).
    fn id() -> &'static PerNetId;
    /// Initialises the state of a new namespace, `net`.
    fn init(net: &Net) -> impl PinInit<Self, Error>;
    /// Called when the namespace goes away, before the state is dropped.
    fn exit(&self);
}

/// The kernel's id for a per-namespace state type, and whether it is registered.
///
/// # Invariants
///
/// `published` is 0, or the id of a registered `pernet_operations` whose per-namespace data has
/// the type the id is used with (the kernel never assigns 0: the first slots of a namespace's
/// `net_generic` hold its own header).
pub(crate) struct PerNetId {
    /// Where the kernel writes the id when registering.
    id: Opaque<ffi::c_uint>,
    /// The id once registered, for readers on the packet path: one inline load, the slot's
    /// reads ordered after it by their address dependency.
    published: Atomic<u32>,
}

// SAFETY: The kernel writes `id` once during registration, before `published` is set (with
// release ordering); afterwards it is only read.
unsafe impl Sync for PerNetId {}

impl PerNetId {
    /// An unregistered id.
    pub(crate) const fn new() -> Self {
        Self {
            id: Opaque::zeroed(),
            published: Atomic::new(0),
        }
    }
}

/// The state of type `T` of `net`, or `None` when `T` is not registered.
///
/// `net_generic()`, inline: the namespace's array of states (`net->gen`) is replaced, under
/// RCU, when a registration needs more slots; the states it points to stay where they are
/// for the namespace's life, so the result outlives `guard`.
pub(crate) fn get<'n, T: PerNetData>(net: &'n Net, guard: &rcu::Guard) -> Option<&'n T> {
    let id = relaxed::load(&T::id().published);
    if id == 0 {
        return None;
    }
    // SAFETY: `id` is registered (type invariant of `PerNetId`).
    let slot = unsafe { slot_of::<T>(net, id, guard) };
    // SAFETY: The slot of a live registration holds a `T` initialised by `init_callback` that is
    // only dropped by `exit_callback`, when the namespace itself goes away, so it outlives `net`.
    unsafe { slot.as_ref() }
}

/// Where `net` keeps the state of the `pernet_operations` with id `id` (`net_generic()`).
///
/// # Safety
///
/// `id` is the id of a registered `pernet_operations` (its slot exists in every namespace).
unsafe fn slot_of<T>(net: &Net, id: u32, _guard: &rcu::Guard) -> *mut T {
    // SAFETY: `net` is alive (type invariant of `Net`) and `gen` is an RCU-published pointer to
    // its `struct net_generic`, read as `rcu_dereference()` reads it, under `_guard`.
    let generic: *const u8 = unsafe { net.read_field(sys::IOAM_RS_OFFSET_NET_GEN) };
    // SAFETY: Per the function's requirements the array has the slot, a pointer at `ptr[id]`;
    // the array stays alive under `_guard`.
    unsafe {
        generic
            .add(sys::IOAM_RS_OFFSET_NET_GENERIC_PTR)
            .cast::<*mut T>()
            .add(id as usize)
            .read()
    }
}

/// [`get`] for process context: the lookup's RCU read-side section is its own, closed before
/// this returns, so the caller may sleep while it uses the state (a guard made in the caller's
/// expression would live until the end of its statement, `if let` block included).
pub(crate) fn lookup<T: PerNetData>(net: &Net) -> Option<&T> {
    get(net, &rcu::read_lock())
}

/// A registered `pernet_operations` for `T`; unregisters (running `exit` for every namespace)
/// on drop.
///
/// # Invariants
///
/// `ops` is registered with the kernel for the whole life of the registration.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: PerNetData> {
    #[pin]
    ops: Opaque<sys::pernet_operations>,
    _t: PhantomData<T>,
}

// SAFETY: The kernel accesses `ops` under its own pernet lock; we never touch it after registration.
unsafe impl<T: PerNetData> Send for Registration<T> {}
// SAFETY: As for `Send`; `&Registration` exposes nothing.
unsafe impl<T: PerNetData> Sync for Registration<T> {}

impl<T: PerNetData> Registration<T> {
    /// Registers `T`: `T::init` runs for every existing and future network namespace.
    pub(crate) fn register() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            ops <- Opaque::try_ffi_init(|ops: *mut sys::pernet_operations| -> Result {
                // SAFETY: `ops` is valid for writes; all-zeroes is a valid `pernet_operations`.
                unsafe { ops.write(pin_init::zeroed()) };
                let id = T::id();
                // SAFETY: `ops` was just initialised and is not registered yet.
                unsafe {
                    (*ops).init = Some(init_callback::<T>);
                    (*ops).exit = Some(exit_callback::<T>);
                    (*ops).id = id.id.get();
                    (*ops).size = core::mem::size_of::<T>();
                }
                // SAFETY: `ops` is pinned and outlives the registration (unregistered on drop).
                kernel::error::to_result(unsafe { sys::register_pernet_subsys(ops) })?;
                // SAFETY: Registered: the kernel has written the id and no longer changes it.
                let assigned = unsafe { *id.id.get() };
                // INVARIANT: registered, and the kernel's ids are never 0.
                id.published.store(assigned, Release);
                Ok(())
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: PerNetData> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        T::id().published.store(0, Release);
        // SAFETY: `ops` was registered by `register` (type invariant).
        unsafe { sys::unregister_pernet_subsys(self.ops.get()) };
    }
}

/// # Safety
///
/// Called by the kernel for a new namespace, with the id slot of `T` allocated and zeroed.
unsafe extern "C" fn init_callback<T: PerNetData>(net: *mut sys::net) -> ffi::c_int {
    // The id is written before any init callback runs, but not published yet when the
    // callback runs for existing namespaces during registration; read the slot directly.
    // SAFETY: The kernel wrote the id before calling us.
    let id = unsafe { *T::id().id.get() };
    // SAFETY: The kernel passes a live namespace, which outlives this call.
    let net = unsafe { Net::from_raw(net) };
    // SAFETY: `id` is being registered: its slot exists and holds `size_of::<T>()` zeroed
    // bytes. The read-side section ends with the statement, before `init` may sleep.
    let slot = unsafe { slot_of::<T>(net, id, &rcu::read_lock()) };
    // SAFETY: `slot` is valid for writes and is never moved (it lives as long as the namespace).
    let init = unsafe { compat::pin_init_raw(slot, T::init(net)) };
    from_result(|| init.map(|()| 0))
}

/// # Safety
///
/// Called by the kernel when a namespace whose slot `init_callback` filled goes away.
unsafe extern "C" fn exit_callback<T: PerNetData>(net: *mut sys::net) {
    // SAFETY: The id was written before any callback.
    let id = unsafe { *T::id().id.get() };
    // SAFETY: The kernel passes a live namespace, which outlives this call.
    let net = unsafe { Net::from_raw(net) };
    // SAFETY: `id` is registered; `init_callback` initialised this slot, and the kernel calls
    // exit once. The read-side section ends with the statement.
    let slot = unsafe { slot_of::<T>(net, id, &rcu::read_lock()) };
    // SAFETY: As above; the kernel frees the memory itself afterwards.
    unsafe {
        (*slot).exit();
        core::ptr::drop_in_place(slot);
    }
}
