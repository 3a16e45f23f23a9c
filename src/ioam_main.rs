// SPDX-License-Identifier: GPL-2.0
//! ioam_rs: In-situ OAM (RFC 9197, RFC 9486) for IPv6, in Rust.
//!
//! Layers, each a folder: [`net`] wraps the kernel's networking facilities (bindgen output and
//! C wrappers private to it) behind safe types, [`sync`] the RCU primitives the state is built
//! on; [`ioam`] is the IOAM logic above them and [`wire`] the packet formats, both without
//! `unsafe` (`forbid(unsafe_code)`). `compat` holds what differs between kernel series.

use kernel::prelude::*;

use ioam::state::NetState;
use net::{device, genl, lwt, netfilter, pernet};

mod compat;
mod ioam;
mod net;
mod sync;

/// The netlink contract shared with `ioamctl` (`uapi/src`): the generic-netlink family and
/// the route attributes.
#[path = "../uapi/src"]
pub mod uapi {
    mod genl;
    pub use genl::*;
    pub mod route;
}

/// Packet formats, shared with the host-side tests (`src/wire`).
#[forbid(unsafe_code)]
pub mod wire {
    #[path = "src/dex.rs"]
    pub mod dex;
    #[path = "src/egress.rs"]
    pub mod egress;
    #[path = "src/fill.rs"]
    pub mod fill;
    #[path = "src/flags.rs"]
    pub mod flags;
    #[path = "src/freq.rs"]
    pub mod freq;
    #[path = "src/hbh.rs"]
    pub mod hbh;
    #[path = "src/incremental.rs"]
    pub mod incremental;
    #[path = "src/nla.rs"]
    pub mod nla;
    #[path = "src/option.rs"]
    pub mod option;
    #[path = "src/route.rs"]
    pub mod route;
    #[path = "src/timestamp.rs"]
    pub mod timestamp;
    #[path = "src/trace.rs"]
    pub mod trace;
}

module! {
    type: IoamModule,
    name: "ioam_rs",
    authors: ["ioam-rs developers"],
    description: "In-situ OAM (IOAM) for IPv6: namespaces, schemas, encap and transit",
    license: "GPL",
    alias: ["rtnl-lwt-IOAM6"],
}

/// `version=` in `.modinfo` (the `module!` macro of Linux 7.2 has no version key).
const VERSION_INFO: &str = concat!("version=", env!("IOAM_RS_VERSION"), "\0");

#[cfg(MODULE)]
#[link_section = ".modinfo"]
#[used(compiler)]
static MODINFO_VERSION: [u8; VERSION_INFO.len()] = {
    let mut out = [0u8; VERSION_INFO.len()];
    let bytes = VERSION_INFO.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i];
        i += 1;
    }
    out
};

/// Waits for pending RCU frees when dropped, last: they run this module's code.
struct RcuBarrier;

impl Drop for RcuBarrier {
    fn drop(&mut self) {
        sync::rcu::barrier();
    }
}

/// The module. Fields drop in declaration order: the family (no more requests) and the transit
/// hooks (no more packets) before the per-namespace state, and the RCU barrier last.
#[pin_data]
struct IoamModule {
    #[pin]
    family: genl::Family,
    #[pin]
    encap: lwt::Registration<ioam::encap::EncapRoute>,
    /// Where the receive hook is registered, per network namespace (only where it has work:
    /// `ioam::control`). Before the per-namespace state, which the hook reads.
    #[pin]
    transit: pernet::Registration<netfilter::PerNetHook<ioam::transit::Transit>>,
    /// Where the egress hook is registered (once a packet needs it). After the receive hook,
    /// the only one that asks for it: its exit finds nobody asking any more.
    #[pin]
    egress: pernet::Registration<netfilter::LazyNetHook<ioam::egress::Egress>>,
    /// Before the per-namespace state, which it updates.
    #[pin]
    netdev: device::Registration<NetState>,
    #[pin]
    net_state: pernet::Registration<NetState>,
    rcu_barrier: RcuBarrier,
}

impl kernel::InPlaceModule for IoamModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            rcu_barrier: RcuBarrier,
            net_state <- pernet::Registration::register(),
            egress <- pernet::Registration::register(),
            // After the state: in a new namespace the hook comes after the state, and at its
            // exit it goes first (pernet runs exits in reverse order).
            transit <- pernet::Registration::register(),
            netdev <- device::Registration::register(),
            family <- genl::Family::register(&ioam::control::FAMILY, module),
            encap <- lwt::Registration::register(
                module,
                "the IOAM6 lightweight-tunnel slot is taken: this kernel has \
                 CONFIG_IPV6_IOAM6_LWTUNNEL=y, and ioam_rs needs it off",
            ),
        })
    }
}
