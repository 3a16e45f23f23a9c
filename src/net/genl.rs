// SPDX-License-Identifier: GPL-2.0
//! Generic netlink: a family with do and dump commands, attribute access, extended-ack
//! messages and message building.
//!
//! C header: [`include/net/genetlink.h`](srctree/include/net/genetlink.h)

mod batch;
mod listening;

pub(crate) use batch::{BatchCount, Batches};
pub(crate) use listening::may_listen;

use core::{ffi::CStr, marker::PhantomData};
use kernel::{
    error::from_result,
    ffi,
    prelude::*,
    sync::atomic::{Atomic, Release},
    types::Opaque,
    ThisModule,
};

use crate::{
    net::{
        netlink::{fail, Attr, Extack, Msg, PolicyEntry},
        pernet::Net,
        sys,
    },
    sync::{rcu, relaxed},
};

/// The commands of a family: `doit` for requests, `dumpit` for dumps.
///
/// Every command requires `CAP_NET_ADMIN` in the caller's network namespace; the check runs
/// before these are called, and its failure carries an extended-ack message.
pub(crate) trait Handler: 'static {
    /// Handles request `cmd`.
    fn doit(cmd: u8, req: &Request<'_>) -> Result;
    /// Adds the next part of dump `cmd` to `dump`; the dump ends when a call adds nothing.
    fn dumpit(cmd: u8, dump: &mut Dump<'_>) -> Result;
}

/// One command of a family's ops table.
#[repr(transparent)]
pub(crate) struct Op(sys::genl_ops);

impl Op {
    const fn empty(cmd: u8) -> sys::genl_ops {
        // SAFETY: All-zeroes is a valid `genl_ops` (null callbacks and policy).
        let mut op: sys::genl_ops = unsafe { core::mem::zeroed() };
        op.cmd = cmd;
        op
    }

    /// A request command served by `H::doit`.
    pub(crate) const fn doit<H: Handler>(cmd: u8) -> Self {
        let mut op = Self::empty(cmd);
        op.doit = Some(doit_callback::<H>);
        Self(op)
    }

    /// A dump command served by `H::dumpit`.
    pub(crate) const fn dump<H: Handler>(cmd: u8) -> Self {
        let mut op = Self::empty(cmd);
        op.start = Some(dump_start_callback);
        op.dumpit = Some(dumpit_callback::<H>);
        Self(op)
    }
}

/// Static description of a family.
pub(crate) struct FamilySpec<const OPS: usize, const ATTRS: usize> {
    /// Family name.
    pub(crate) name: &'static CStr,
    /// Family version.
    pub(crate) version: u32,
    /// Commands.
    pub(crate) ops: [Op; OPS],
    /// Policy for attributes `0..ATTRS`.
    pub(crate) policy: [PolicyEntry; ATTRS],
    /// The family's multicast groups, which only `CAP_NET_ADMIN` may join: each a name and
    /// where the registered family is published for senders to it, the `i`-th with index `i`.
    pub(crate) groups: [(&'static CStr, &'static EventGroup); GROUPS],
}

/// How many multicast groups a family has.
pub(crate) const GROUPS: usize = 2;

// SAFETY: A `FamilySpec` is immutable; its raw pointers are function pointers and null.
unsafe impl<const OPS: usize, const ATTRS: usize> Sync for FamilySpec<OPS, ATTRS> {}

/// # Safety
///
/// Called by the kernel (`genl_bind()`) when a socket joins one of our families' groups,
/// before it is a member.
unsafe extern "C" fn bind_callback(_group: ffi::c_int) -> ffi::c_int {
    listening::joining();
    0
}

/// A registered generic netlink family; unregistered on drop.
///
/// # Invariants
///
/// `family` is registered with the kernel for the whole life of the registration, and
/// points into the `'static` spec it was built from.
#[pin_data(PinnedDrop)]
pub(crate) struct Family {
    #[pin]
    family: Opaque<sys::genl_family>,
    #[pin]
    mcgrps: Opaque<[sys::genl_multicast_group; GROUPS]>,
    groups: [&'static EventGroup; GROUPS],
}

// SAFETY: The kernel owns the registered family; we only read `id`-like fields it publishes.
unsafe impl Send for Family {}
// SAFETY: See `Send`.
unsafe impl Sync for Family {}

fn copy_name(dst: &mut [ffi::c_char], name: &CStr) -> Result {
    let bytes = name.to_bytes_with_nul();
    let dst = dst.get_mut(..bytes.len()).ok_or(EINVAL)?;
    for (d, s) in dst.iter_mut().zip(bytes) {
        *d = *s as ffi::c_char;
    }
    Ok(())
}

impl Family {
    /// Registers the family described by `spec`.
    pub(crate) fn register<const OPS: usize, const ATTRS: usize>(
        spec: &'static FamilySpec<OPS, ATTRS>,
        module: &'static ThisModule,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(&this in Self {
            mcgrps <- Opaque::try_ffi_init(|g: *mut [sys::genl_multicast_group; GROUPS]| -> Result {
                // SAFETY: `g` is valid for writes; all-zeroes is a valid group.
                unsafe { g.write(pin_init::zeroed()) };
                // SAFETY: `g` was just initialised and is ours alone.
                let g = unsafe { &mut *g };
                for (g, (name, _)) in g.iter_mut().zip(&spec.groups) {
                    copy_name(&mut g.name, name)?;
                    g.flags = sys::IOAM_RS_GENL_MCAST_CAP_NET_ADMIN;
                }
                Ok(())
            }),
            family <- Opaque::try_ffi_init(|f: *mut sys::genl_family| -> Result {
                // SAFETY: `f` is valid for writes; all-zeroes is a valid family.
                unsafe { f.write(pin_init::zeroed()) };
                // SAFETY: `f` was just initialised and is ours alone until registered.
                let fam = unsafe { &mut *f };
                copy_name(&mut fam.name, spec.name)?;
                fam.version = spec.version;
                fam.maxattr = u32::try_from(ATTRS).map_err(|_| EINVAL)?.checked_sub(1).ok_or(EINVAL)?;
                fam.set_netnsok(1);
                fam.set_parallel_ops(1);
                fam.n_ops = u8::try_from(OPS).map_err(|_| EINVAL)?;
                fam.n_mcgrps = GROUPS as u8;
                // CAST: `PolicyEntry` and `Op` are `repr(transparent)` wrappers.
                fam.policy = spec.policy.as_ptr().cast();
                fam.ops = spec.ops.as_ptr().cast();
                // SAFETY: `this` points to the `Family` being initialised; `mcgrps` was
                // initialised above and is pinned with it.
                fam.mcgrps = unsafe { (*this.as_ptr()).mcgrps.get() }.cast();
                fam.bind = Some(bind_callback);
                fam.module = module.as_ptr().cast();
                // Each group is sent to by its index: they must be in that order.
                if (0u32..).zip(&spec.groups).any(|(index, (_, group))| group.index != index) {
                    return Err(EINVAL);
                }
                // SAFETY: `fam` is fully initialised, pinned, and outlives the registration
                // (unregistered on drop); `spec` is `'static`.
                kernel::error::to_result(unsafe { sys::genl_register_family(f) })?;
                for (_, group) in &spec.groups {
                    // INVARIANT (of `EventGroup`): registered, with the group at its index;
                    // withdrawn on drop before unregistering.
                    group.family.store(f, Release);
                }
                Ok(())
            }),
            groups: spec.groups.map(|(_, group)| group),
        })
    }

    /// The family's kernel object, for messages that name it.
    fn raw(&self) -> *mut sys::genl_family {
        self.family.get()
    }
}

#[pinned_drop]
impl PinnedDrop for Family {
    fn drop(self: Pin<&mut Self>) {
        for group in self.groups {
            group.family.store(core::ptr::null_mut(), Release);
        }
        // SAFETY: No requirements; module exit runs in process context. Afterwards no sender
        // can still hold the pointer (they use it only under RCU).
        unsafe { sys::synchronize_rcu() };
        // SAFETY: Registered by `register` (type invariant); unregistering waits for
        // running callbacks to finish.
        unsafe { sys::genl_unregister_family(self.raw()) };
    }
}

/// A request being handled by [`Handler::doit`].
pub(crate) struct Request<'a> {
    skb: *mut sys::sk_buff,
    info: *mut sys::genl_info,
    _p: PhantomData<&'a sys::genl_info>,
}

impl<'a> Request<'a> {
    /// The extended ack of the request.
    pub(crate) fn extack(&self) -> Extack<'a> {
        // SAFETY: `info` is valid while the request is handled, and so is its extack, which only
        // the handler writes.
        unsafe { Extack::from_raw((*self.info).extack) }
    }

    /// The network namespace the request was sent in.
    pub(crate) fn net(&self) -> &'a Net {
        // SAFETY: `info` is valid; the socket holds a reference on its namespace while the
        // request is handled.
        unsafe { Net::from_raw(sys::ioam_rs_genl_info_net(self.info)) }
    }

    /// Attribute `kind`, if present.
    pub(crate) fn attr(&self, kind: u16) -> Option<Attr<'a>> {
        // SAFETY: `info` is valid; `family` points to our family.
        let maxattr = unsafe { (*(*self.info).family).maxattr };
        if u32::from(kind) > maxattr {
            return None;
        }
        // SAFETY: The kernel parsed the attributes into an array of `maxattr + 1` entries, each
        // null or an attribute it validated in the request, which lives while it is handled.
        unsafe { Attr::from_raw(*(*self.info).attrs.add(usize::from(kind))) }
    }

    /// Attribute `kind` as a flag.
    pub(crate) fn flag(&self, kind: u16) -> bool {
        self.attr(kind).is_some()
    }

    /// Attribute `kind` as `u8`: `Ok(None)` if absent, `EINVAL` if of the wrong size.
    pub(crate) fn u8(&self, kind: u16) -> Result<Option<u8>> {
        self.fixed(kind).map(|v| v.map(|[b]: [u8; 1]| b))
    }

    /// Attribute `kind` as `u16`: `Ok(None)` if absent, `EINVAL` if of the wrong size.
    pub(crate) fn u16(&self, kind: u16) -> Result<Option<u16>> {
        self.fixed(kind).map(|v| v.map(u16::from_ne_bytes))
    }

    /// Attribute `kind` as `u32`.
    pub(crate) fn u32(&self, kind: u16) -> Result<Option<u32>> {
        self.fixed(kind).map(|v| v.map(u32::from_ne_bytes))
    }

    /// Attribute `kind` as `u64`.
    pub(crate) fn u64(&self, kind: u16) -> Result<Option<u64>> {
        self.fixed(kind).map(|v| v.map(u64::from_ne_bytes))
    }

    fn fixed<const N: usize>(&self, kind: u16) -> Result<Option<[u8; N]>> {
        let Some(attr) = self.attr(kind) else {
            return Ok(None);
        };
        match attr.array() {
            Some(v) => Ok(Some(v)),
            None => {
                let ack = self.extack();
                ack.bad_attr(&attr);
                Err(fail!(ack, EINVAL, "attribute {} must be {} bytes", kind, N))
            }
        }
    }
}

/// A dump in progress, handled by [`Handler::dumpit`].
pub(crate) struct Dump<'a> {
    skb: *mut sys::sk_buff,
    cb: *mut sys::netlink_callback,
    family: *const sys::genl_family,
    _p: PhantomData<&'a mut sys::netlink_callback>,
}

impl<'a> Dump<'a> {
    /// The network namespace of the dumping socket.
    pub(crate) fn net(&self) -> &'a Net {
        // SAFETY: `cb` is valid during the dump; the socket holds a reference on its namespace.
        unsafe { Net::from_raw(sys::ioam_rs_dump_net(self.cb)) }
    }

    /// The dump's cursor, kept between calls (starts at 0).
    pub(crate) fn cursor(&self) -> u32 {
        // SAFETY: `cb` is valid and ours for the duration of the call.
        let v = unsafe { (*self.cb).__bindgen_anon_1.args[0] };
        u32::try_from(v).unwrap_or(u32::MAX)
    }

    /// Sets the cursor the next call starts from.
    pub(crate) fn set_cursor(&mut self, v: u32) {
        // SAFETY: As in `cursor`.
        unsafe {
            (*self.cb).__bindgen_anon_1.args[0] =
                ffi::c_long::try_from(v).unwrap_or(ffi::c_long::MAX)
        };
    }

    /// Adds one message of command `cmd` filled by `fill`. Returns `Ok(false)`, having added
    /// nothing, when it does not fit in this part of the dump.
    pub(crate) fn add(
        &mut self,
        cmd: u8,
        fill: impl FnOnce(&mut Msg<'_>) -> Result,
    ) -> Result<bool> {
        // SAFETY: `cb` and its request skb are valid during the dump.
        let (portid, seq) = unsafe {
            (
                sys::ioam_rs_dump_portid(self.cb),
                (*(*self.cb).nlh).nlmsg_seq,
            )
        };
        // SAFETY: `skb` is the dump's output buffer and `family` our registered family.
        let hdr = unsafe {
            sys::genlmsg_put(
                self.skb,
                portid,
                seq,
                self.family,
                sys::NLM_F_MULTI as i32,
                cmd,
            )
        };
        if hdr.is_null() {
            return Ok(false);
        }
        // SAFETY: `genlmsg_put` put the header on the dump's skb, which only this callback
        // writes until it returns.
        let mut msg = unsafe { Msg::from_raw(self.skb) };
        match fill(&mut msg) {
            Ok(()) => {
                // SAFETY: `hdr` was returned by `genlmsg_put` on this skb.
                unsafe { sys::ioam_rs_genlmsg_end(self.skb, hdr) };
                Ok(true)
            }
            Err(e) => {
                // SAFETY: As above; removes the partial message.
                unsafe { sys::ioam_rs_genlmsg_cancel(self.skb, hdr) };
                if e == EMSGSIZE {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// Checks `CAP_NET_ADMIN` in the user namespace owning `net`, for the sender of `skb`.
fn net_admin(skb: *const sys::sk_buff, net: &Net, ack: &Extack<'_>) -> Result {
    // SAFETY: `net` is alive; `user_ns` is set for the namespace's whole life.
    let user_ns = unsafe { sys::ioam_rs_net_user_ns(net.as_ptr()) };
    // SAFETY: `skb` is the request being handled; `user_ns` is valid.
    if unsafe { sys::netlink_ns_capable(skb, user_ns, sys::CAP_NET_ADMIN as i32) } {
        Ok(())
    } else {
        Err(fail!(
            ack,
            EPERM,
            "ioam_rs: CAP_NET_ADMIN is required in the network namespace"
        ))
    }
}

/// # Safety
///
/// Called by the kernel for a request to our family, with valid `skb` and `info`.
unsafe extern "C" fn doit_callback<H: Handler>(
    skb: *mut sys::sk_buff,
    info: *mut sys::genl_info,
) -> ffi::c_int {
    let req = Request {
        skb,
        info,
        _p: PhantomData,
    };
    // SAFETY: `info` is valid per the function's requirements.
    let cmd = unsafe { (*(*info).genlhdr).cmd };
    from_result(|| {
        net_admin(req.skb, req.net(), &req.extack())?;
        H::doit(cmd, &req)?;
        Ok(0)
    })
}

/// # Safety
///
/// Called by the kernel at the start of a dump of our family, with a valid `cb`.
unsafe extern "C" fn dump_start_callback(cb: *mut sys::netlink_callback) -> ffi::c_int {
    // SAFETY: `cb` is valid; its `extack` is the request's, valid during this callback.
    let ack = unsafe { Extack::from_raw((*cb).extack) };
    // SAFETY: The dumping socket holds a reference on its namespace.
    let net = unsafe { Net::from_raw(sys::ioam_rs_dump_net(cb)) };
    // SAFETY: `cb->skb` is the request.
    let request = unsafe { (*cb).skb };
    from_result(|| net_admin(request, net, &ack).map(|()| 0))
}

/// # Safety
///
/// Called by the kernel for each part of a dump of our family, with valid `skb` and `cb`.
unsafe extern "C" fn dumpit_callback<H: Handler>(
    skb: *mut sys::sk_buff,
    cb: *mut sys::netlink_callback,
) -> ffi::c_int {
    // SAFETY: `cb` is valid; for generic netlink dumps `data` is the `genl_dumpit_info`
    // that describes the request, with our family and the request's header.
    let (family, cmd) = unsafe {
        let info = &(*(*cb).data.cast::<sys::genl_dumpit_info>()).info;
        (info.family, (*info.genlhdr).cmd)
    };
    let mut dump = Dump {
        skb,
        cb,
        family,
        _p: PhantomData,
    };
    from_result(|| {
        H::dumpit(cmd, &mut dump)?;
        // SAFETY: `skb` is valid; the dump continues while it returns a non-zero length.
        Ok(unsafe { (*skb).len } as ffi::c_int)
    })
}

/// The multicast group of a registered family, for senders in atomic context (the packet path).
///
/// # Invariants
///
/// `family` is null or points to a registered family whose multicast group `index` this is;
/// it is set to null, and an RCU grace period passes, before that family is unregistered.
pub(crate) struct EventGroup {
    family: Atomic<*mut sys::genl_family>,
    index: u32,
}

// SAFETY: Only an atomic pointer, used per the invariant.
unsafe impl Sync for EventGroup {}

impl EventGroup {
    /// The group that will be its family's `index`-th, not registered yet.
    pub(crate) const fn new(index: u32) -> Self {
        Self {
            family: Atomic::new(core::ptr::null_mut()),
            index,
        }
    }

    /// A sender to the group's listeners in `net`, or `None` when there are none. The kernel
    /// keeps one listener set per protocol, not per network namespace: with listeners
    /// elsewhere only, [`EventSender::send`] finds out.
    fn sender<'g>(&self, _guard: &'g rcu::Guard, net: &'g Net) -> Option<EventSender<'g>> {
        // Read as `rcu_dereference()` reads: inline, ordered by the address dependency.
        let family = relaxed::load(&self.family);
        if family.is_null() {
            return None;
        }
        let net_ptr = net.as_ptr();
        // SAFETY: The family is registered and stays so while `_guard` holds the RCU read lock
        // (type invariant); `net` is alive.
        let listening = unsafe { sys::ioam_rs_genl_has_listeners(family, net_ptr, self.index) };
        listening.then_some(EventSender {
            family,
            group: self.index,
            net,
            _guard: core::marker::PhantomData,
        })
    }
}

/// Senders to the listeners in `net` of the module's two groups, `first` and `second` (as
/// [`EventGroup`]'s; both [`GROUPS`], so that finding neither with listeners means nobody
/// listens), `None` for a group without listeners, and for both when no socket may listen
/// ([`may_listen`]): then nothing is built for nobody, and the kernel is not asked.
#[inline]
pub(crate) fn listeners<'g>(
    first: &EventGroup,
    second: &EventGroup,
    guard: &'g rcu::Guard,
    net: &'g Net,
) -> (Option<EventSender<'g>>, Option<EventSender<'g>>) {
    if !may_listen() {
        return (None, None);
    }
    let senders = (first.sender(guard, net), second.sender(guard, net));
    listening::heard(senders.0.is_some() || senders.1.is_some());
    senders
}

/// Sends messages to a group that had listeners, within one RCU read-side section.
pub(crate) struct EventSender<'g> {
    family: *mut sys::genl_family,
    group: u32,
    net: &'g Net,
    _guard: PhantomData<&'g rcu::Guard>,
}

impl EventSender<'_> {
    /// Builds (with `GFP_ATOMIC`: never sleeps) and multicasts one message of command `cmd`,
    /// with room for `payload` bytes of attributes, filled by `fill`. `ESRCH`: nobody in this
    /// network namespace listens (any more); the message is dropped.
    pub(crate) fn send(
        &self,
        cmd: u8,
        payload: usize,
        fill: impl FnOnce(&mut Msg<'_>) -> Result,
    ) -> Result {
        // SAFETY: The family is registered while `self` lives (see `EventGroup::sender`).
        let (skb, hdr) = unsafe { new_message(self.family, cmd, payload) }?;
        // SAFETY: `skb` is our new message with its header put, not yet handed over.
        if let Err(e) = fill(&mut unsafe { Msg::from_raw(skb) }) {
            // SAFETY: `skb` is ours and not yet handed over.
            unsafe { sys::ioam_rs_nlmsg_free(skb) };
            return Err(e);
        }
        // SAFETY: `skb` is ours with header `hdr`; the family is registered; `net` is alive.
        unsafe { multicast(self.family, self.net.as_ptr(), self.group, skb, hdr) }
    }
}

/// A new message (`GFP_ATOMIC`: never sleeps) of command `cmd` of `family`, with room for
/// `payload` bytes of attributes, and its generic netlink header; the caller owns it.
///
/// # Safety
///
/// `family` is registered for the call.
unsafe fn new_message(
    family: *mut sys::genl_family,
    cmd: u8,
    payload: usize,
) -> Result<(*mut sys::sk_buff, *mut ffi::c_void)> {
    // SAFETY: The caller's contract.
    unsafe { new_message_gfp(family, cmd, payload, sys::IOAM_RS_GFP_ATOMIC) }
}

/// [`new_message`] allocated with `gfp`, flags that never sleep.
///
/// # Safety
///
/// `family` is registered for the call; `gfp` does not allow sleeping.
unsafe fn new_message_gfp(
    family: *mut sys::genl_family,
    cmd: u8,
    payload: usize,
    gfp: sys::gfp_t,
) -> Result<(*mut sys::sk_buff, *mut ffi::c_void)> {
    // SAFETY: No requirements but a context that `gfp` allows (the caller's); may fail.
    let skb = unsafe { sys::ioam_rs_genlmsg_new(payload, gfp) };
    if skb.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `skb` is a new message we own; `family` is registered (the caller's contract).
    let hdr = unsafe { sys::genlmsg_put(skb, 0, 0, family, 0, cmd) };
    if hdr.is_null() {
        // SAFETY: Ours, never handed over.
        unsafe { sys::ioam_rs_nlmsg_free(skb) };
        return Err(EMSGSIZE);
    }
    Ok((skb, hdr))
}

/// Ends message `skb` and multicasts it to group `group` of `family` in `net`. `ESRCH`: nobody
/// there listens (any more).
///
/// # Safety
///
/// `skb` is a message the caller owns and hands over, `hdr` its header from [`new_message`];
/// `family` is registered for the call and `net` is alive.
unsafe fn multicast(
    family: *mut sys::genl_family,
    net: *mut sys::net,
    group: u32,
    skb: *mut sys::sk_buff,
    hdr: *mut ffi::c_void,
) -> Result {
    // SAFETY: `hdr` was returned by `genlmsg_put` on `skb`; the multicast takes over `skb`;
    // `family` and `net` are valid (the caller's contract).
    let ret = unsafe {
        sys::ioam_rs_genlmsg_end(skb, hdr);
        sys::ioam_rs_genlmsg_multicast_netns(family, net, skb, group, sys::IOAM_RS_GFP_ATOMIC)
    };
    match ret {
        0 => Ok(()),
        r => Err(Error::from_errno(r)),
    }
}
