// SPDX-License-Identifier: GPL-2.0
//! ioam_rs: In-situ OAM (RFC 9197, RFC 9486) for IPv6, in Rust.
//!
//! Layers: `sys` (bindgen output and C wrappers), safe wrappers of kernel facilities
//! (`rcu`, `pernet`, `genl`, `netlink`, `lwt`, `netfilter`, `skb`, `rx`), and the IOAM logic
//! above them, free of `unsafe` (`state`, `control`, `encap`, `transit`, `node`, `events`,
//! `stats`, `ratelimit`, and the `wire` packet formats).

use kernel::prelude::*;

mod compat;
mod control;
mod encap;
mod events;
mod genl;
mod layout;
mod lwt;
mod netdev;
mod netfilter;
mod netlink;
mod node;
mod pernet;
mod ratelimit;
mod rcu;
mod rx;
mod seqcell;
mod skb;
mod state;
mod stats;
mod sys;
mod transit;

/// The generic netlink contract shared with `ioamctl` (`uapi/src/genl.rs`).
#[path = "../uapi/src/genl.rs"]
pub mod uapi;

/// Packet formats, shared with the host-side tests (`src/wire`).
pub mod wire {
    #[path = "src/fill.rs"]
    pub mod fill;
    #[path = "src/freq.rs"]
    pub mod freq;
    #[path = "src/hbh.rs"]
    pub mod hbh;
    #[path = "src/option.rs"]
    pub mod option;
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
        rcu::barrier();
    }
}

/// The module. Fields drop in declaration order: the family (no more requests) before the
/// per-namespace state, and the RCU barrier last.
#[pin_data]
struct IoamModule {
    #[pin]
    family: genl::Family,
    #[pin]
    encap: lwt::Registration<encap::EncapRoute>,
    /// Before the per-namespace state, which it updates.
    #[pin]
    netdev: netdev::Registration<state::NetState>,
    #[pin]
    net_state: pernet::Registration<state::NetState>,
    rcu_barrier: RcuBarrier,
}

impl kernel::InPlaceModule for IoamModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            rcu_barrier: RcuBarrier,
            net_state <- pernet::Registration::register(),
            netdev <- netdev::Registration::register(),
            family <- genl::Family::register(&control::FAMILY, module),
            encap <- lwt::Registration::register(
                sys::IOAM_RS_LWTUNNEL_ENCAP_IOAM6,
                module,
                "the IOAM6 lightweight-tunnel slot is taken: this kernel has \
                 CONFIG_IPV6_IOAM6_LWTUNNEL=y, and ioam_rs needs it off",
            ),
        })
    }
}
