// SPDX-License-Identifier: GPL-2.0
//! Safe wrappers of the kernel's networking facilities, one per file. With [`crate::sync`] this
//! is the only layer with `unsafe`: `sys` (the module's bindgen output and the C wrappers of
//! static inline functions) is for these two layers only.

pub(crate) mod sys;

pub(crate) mod device;
pub(crate) mod dst;
pub(crate) mod genl;
mod layout;
pub(crate) mod lwt;
pub(crate) mod netfilter;
pub(crate) mod netlink;
pub(crate) mod pernet;
pub(crate) mod rx;
pub(crate) mod skb;
pub(crate) mod tx;
