// SPDX-License-Identifier: GPL-2.0
//! Lightweight tunnels: an encapsulation type served by this module, with per-route state
//! built from the route's `RTA_ENCAP` attributes.
//!
//! C header: [`include/net/lwtunnel.h`](srctree/include/net/lwtunnel.h)

use core::{marker::PhantomData, mem::size_of, ptr};
use kernel::{error::from_result, ffi, prelude::*, types::Opaque, ThisModule};

use crate::{
    compat,
    net::{
        netlink::{Attr, Extack, Msg, PolicyEntry},
        pernet::Net,
        skb::{OutputPacket, Skb},
        sys,
    },
    sync::rcu,
};

/// The most attribute slots an encapsulation's policy may have (its attribute numbers are
/// below this): the parsed table lives on the stack of the route request.
const ENCAP_ATTRS: usize = 32;

/// A lightweight-tunnel encapsulation type (`enum lwtunnel_encap_types`).
#[derive(Clone, Copy)]
pub(crate) struct EncapType(u16);

impl EncapType {
    /// `LWTUNNEL_ENCAP_IOAM6`.
    pub(crate) const IOAM6: Self = Self(sys::IOAM_RS_LWTUNNEL_ENCAP_IOAM6);
}

/// The nested attributes of a route's encapsulation, parsed against the policy.
pub(crate) struct EncapAttrs<'a, const N: usize> {
    tb: [*mut sys::nlattr; N],
    _p: PhantomData<&'a sys::nlattr>,
}

impl<'a, const N: usize> EncapAttrs<'a, N> {
    /// Attribute `kind`, if present.
    pub(crate) fn get(&self, kind: u16) -> Option<Attr<'a>> {
        let ptr = *self.tb.get(usize::from(kind))?;
        // SAFETY: `tb` holds what `nla_parse_nested` found: null or attributes of the route
        // request it validated, which lives for `'a`.
        unsafe { Attr::from_raw(ptr) }
    }
}

/// A lightweight-tunnel encapsulation: per-route state and the transmit stage.
pub(crate) trait Encap: Sized + Send + Sync + 'static {
    /// The encapsulation type served.
    const TYPE: EncapType;
    /// Its name in messages (`ip route`'s keyword).
    const NAME: &'static str;
    /// The validation policy of the attributes, `ATTRS` entries.
    fn policy() -> &'static [PolicyEntry];
    /// Builds the state of a new route from its attributes.
    fn build<const N: usize>(
        net: &Net,
        attrs: &EncapAttrs<'_, N>,
        ack: &Extack<'_>,
    ) -> Result<impl PinInit<Self, Error>>;
    /// Bytes the encapsulation adds in front of a packet (reduces the route's MTU).
    fn headroom(&self) -> u16;
    /// Whether the next packet about to be transmitted on the route passes untouched (`xmit`
    /// is not called for it): decided first, before the packet is read or taken over. Called
    /// inside an RCU read-side critical section, `guard`.
    fn passes(&self, net: &Net, guard: &rcu::Guard) -> bool;
    /// Handles a packet about to be transmitted on the route's device, after the MTU check
    /// (which counted the state's headroom) and the POST_ROUTING hook, unless it `passes`:
    /// return `pkt.continue_xmit()` to let it go on, or send it elsewhere (`pkt.reroute()`).
    /// The only stage the state takes packets at: each stage redirected costs a
    /// lightweight-tunnel dispatch per packet. Called inside an RCU read-side critical
    /// section, `guard`, that the handler may use.
    fn xmit(&self, net: &Net, pkt: OutputPacket, guard: &rcu::Guard) -> ffi::c_int;
    /// Writes the attributes that describe the state (`ip route show`).
    fn fill(&self, msg: &mut Msg<'_>) -> Result;
    /// Size of what `fill` writes.
    fn fill_size(&self) -> usize;
    /// Whether two routes' states are the same configuration.
    fn same(&self, other: &Self) -> bool;
}

/// Registration of `T` as the handler of one encapsulation type; removed on drop.
///
/// # Invariants
///
/// `ops` is registered for `T::TYPE` for the whole life of the registration.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: Encap> {
    #[pin]
    ops: Opaque<sys::lwtunnel_encap_ops>,
    _t: PhantomData<T>,
}

// SAFETY: The kernel only reads `ops` after registration.
unsafe impl<T: Encap> Send for Registration<T> {}
// SAFETY: As above.
unsafe impl<T: Encap> Sync for Registration<T> {}

impl<T: Encap> Registration<T> {
    /// Registers `T` for `T::TYPE`; `EBUSY`, logging `busy`, when another handler owns
    /// that type.
    pub(crate) fn register(
        module: &'static ThisModule,
        busy: &'static str,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            ops <- Opaque::try_ffi_init(|ops: *mut sys::lwtunnel_encap_ops| -> Result {
                // SAFETY: `ops` is valid for writes; all-zeroes is a valid ops table.
                unsafe { ops.write(pin_init::zeroed()) };
                // SAFETY: Just initialised, ours alone until registered.
                let o = unsafe { &mut *ops };
                o.build_state = Some(build_state_callback::<T>);
                o.destroy_state = Some(destroy_state_callback::<T>);
                o.xmit = Some(xmit_callback::<T>);
                o.fill_encap = Some(fill_encap_callback::<T>);
                o.get_encap_size = Some(get_encap_size_callback::<T>);
                o.cmp_encap = Some(cmp_encap_callback::<T>);
                // Routes using the type hold a reference on the module.
                o.owner = module.as_ptr().cast();
                // SAFETY: `ops` is pinned and outlives the registration (removed on drop).
                if unsafe { sys::lwtunnel_encap_add_ops(ops, T::TYPE.0.into()) } != 0 {
                    pr_err!("{}\n", busy);
                    return Err(EBUSY);
                }
                Ok(())
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: Encap> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Registered (type invariant); this waits for users to finish.
        unsafe { sys::lwtunnel_encap_del_ops(self.ops.get(), T::TYPE.0.into()) };
    }
}

/// The `T` stored in `lws`.
///
/// # Safety
///
/// `lws` is a live state built by [`build_state_callback::<T>`].
unsafe fn state<'a, T: Encap>(lws: *mut sys::lwtunnel_state) -> &'a T {
    // SAFETY: `build_state_callback` initialised a `T` at `data`, kept until destroy.
    unsafe { &*(*lws).data.as_mut_ptr().cast::<T>() }
}

/// # Safety
///
/// Called by the kernel when a route with our encapsulation type is created.
unsafe extern "C" fn build_state_callback<T: Encap>(
    net: *mut sys::net,
    nla: *mut sys::nlattr,
    family: ffi::c_uint,
    _cfg: *const ffi::c_void,
    ts: *mut *mut sys::lwtunnel_state,
    extack: *mut sys::netlink_ext_ack,
) -> ffi::c_int {
    const { assert!(core::mem::align_of::<T>() <= 8) };
    // SAFETY: The kernel passes the route request's extack, valid during this callback.
    let ack = unsafe { Extack::from_raw(extack) };
    from_result(|| {
        if family != sys::AF_INET6 {
            ack.message(format_args!(
                "{} encapsulation is for IPv6 routes only",
                T::NAME
            ));
            return Err(EINVAL);
        }
        // Room for any policy length up to `ENCAP_ATTRS`; the policy decides what is read.
        let mut tb = EncapAttrs::<'_, ENCAP_ATTRS> {
            tb: [ptr::null_mut(); ENCAP_ATTRS],
            _p: PhantomData,
        };
        let policy = T::policy();
        let maxtype = policy
            .len()
            .checked_sub(1)
            .filter(|&m| m < ENCAP_ATTRS)
            .ok_or(EINVAL)?;
        // SAFETY: `nla` is the route's validated `RTA_ENCAP` attribute; `tb` has `maxtype + 1`
        // entries; `policy` has `maxtype + 1` entries.
        kernel::error::to_result(unsafe {
            let len = i32::from((*nla).nla_len).saturating_sub(4);
            sys::__nla_parse(
                tb.tb.as_mut_ptr(),
                maxtype as i32,
                nla.cast::<u8>().add(4).cast(),
                len,
                policy.as_ptr().cast(),
                sys::IOAM_RS_NL_VALIDATE_STRICT,
                extack,
            )
        })?;
        // SAFETY: `net` is the namespace the route is added in.
        let net = unsafe { Net::from_raw(net) };
        let init = T::build(net, &tb, &ack)?;
        let size = i32::try_from(size_of::<T>()).map_err(|_| EINVAL)?;
        // SAFETY: Allocates a zeroed state with `size` bytes of data (GFP_ATOMIC).
        let lws = unsafe { sys::lwtunnel_state_alloc(size) };
        if lws.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `data` has room for a `T` (allocated above), suitably aligned (asserted
        // above: `data` follows an `rcu_head` at an 8-byte boundary); the state is never moved.
        let data = unsafe { (*lws).data.as_mut_ptr().cast::<T>() };
        // SAFETY: As above.
        if let Err(e) = unsafe { compat::pin_init_raw(data, init) } {
            // SAFETY: `lws` came from `lwtunnel_state_alloc` and nobody else has seen it.
            unsafe { sys::kfree(lws.cast()) };
            return Err(e);
        }
        // SAFETY: `lws` is ours; `ts` is the out pointer the caller provided.
        unsafe {
            (*lws).type_ = T::TYPE.0;
            (*lws).flags |= sys::IOAM_RS_LWTUNNEL_STATE_XMIT_REDIRECT;
            (*lws).headroom = state::<T>(lws).headroom();
            *ts = lws;
        }
        Ok(0)
    })
}

/// # Safety
///
/// Called by the kernel before freeing a state built by `build_state_callback::<T>`.
unsafe extern "C" fn destroy_state_callback<T: Encap>(lws: *mut sys::lwtunnel_state) {
    // SAFETY: The state holds an initialised `T`; the kernel frees the memory afterwards.
    unsafe { ptr::drop_in_place((*lws).data.as_mut_ptr().cast::<T>()) };
}

/// # Safety
///
/// Called by the kernel (`lwtunnel_xmit`) for a packet whose route has our state, under RCU
/// with bottom halves off; a return other than `LWTUNNEL_XMIT_CONTINUE` means we consumed it.
unsafe extern "C" fn xmit_callback<T: Encap>(skb: *mut sys::sk_buff) -> ffi::c_int {
    // SAFETY: `lwtunnel_xmit()` calls us inside its RCU read-side critical section, which
    // outlasts this call: the device's namespace is read in it, and the handler reads its
    // configuration in it.
    let guard = unsafe { rcu::Guard::held() };
    // The route's state and namespace, read through the packet before it is taken over: a
    // packet that passes is given back as it came.
    let route = (!skb.is_null())
        .then(|| {
            // SAFETY: The kernel lends us a valid packet, under RCU, for the call.
            let view = unsafe { Skb::from_raw(skb) };
            let lwt = view.route_lwtstate();
            let dev = view.route_dev(&guard).filter(|_| !lwt.is_null())?;
            // SAFETY: The packet's route has our state and holds it alive for the call.
            Some((unsafe { state::<T>(lwt) }, dev.net()))
        })
        .flatten();
    if let Some((st, net)) = route {
        if st.passes(net, &guard) {
            return sys::IOAM_RS_LWTUNNEL_XMIT_CONTINUE;
        }
    }
    // SAFETY: The kernel hands the packet over to us (we give it back with CONTINUE).
    let pkt = unsafe { OutputPacket::from_raw(skb) };
    match (pkt, route) {
        (Some(pkt), Some((st, net))) => st.xmit(net, pkt, &guard),
        // Malformed, or without our route: dropped (freed) with `pkt`.
        _ => EINVAL.to_errno(),
    }
}

/// # Safety
///
/// Called by the kernel to describe a route with our state.
unsafe extern "C" fn fill_encap_callback<T: Encap>(
    skb: *mut sys::sk_buff,
    lws: *mut sys::lwtunnel_state,
) -> ffi::c_int {
    // SAFETY: The kernel is building a route message in `skb` and lets this callback add to it.
    let mut msg = unsafe { Msg::from_raw(skb) };
    // SAFETY: `lws` is a live state of ours.
    let st = unsafe { state::<T>(lws) };
    from_result(|| st.fill(&mut msg).map(|()| 0))
}

/// # Safety
///
/// Called by the kernel with a live state of ours.
unsafe extern "C" fn get_encap_size_callback<T: Encap>(
    lws: *mut sys::lwtunnel_state,
) -> ffi::c_int {
    // SAFETY: Per the function's requirements.
    i32::try_from(unsafe { state::<T>(lws) }.fill_size()).unwrap_or(i32::MAX)
}

/// # Safety
///
/// Called by the kernel with two live states of ours.
unsafe extern "C" fn cmp_encap_callback<T: Encap>(
    a: *mut sys::lwtunnel_state,
    b: *mut sys::lwtunnel_state,
) -> ffi::c_int {
    // SAFETY: Per the function's requirements.
    let same = unsafe { state::<T>(a).same(state::<T>(b)) };
    i32::from(!same)
}
