// SPDX-License-Identifier: GPL-2.0
//! Compile-time checks that the kernel structures Rust reads directly have, in bindgen's
//! bindings, the field offsets the C compiler gives them (`IOAM_RS_OFFSET_*` in
//! `bindings_helper.h`). bindgen drops some alignment attributes (zero-length cache-line
//! group markers): a wrong offset here would read the wrong field silently, so the build
//! fails instead. (`struct net` is affected: `pernet.rs` reads its fields at offsets from C.)

use core::mem::offset_of;

use crate::net::sys;

/// The `sk_buff` headers group (an anonymous struct in C, numbered by bindgen).
pub(crate) type SkbHeaders = sys::sk_buff__bindgen_ty_4__bindgen_ty_2;

macro_rules! same_offset {
    ($($c:ident == $rust:expr;)*) => {
        $(const _: () = assert!($rust == sys::$c, concat!("bindgen layout differs from C: ", stringify!($c)));)*
    };
}

same_offset! {
    IOAM_RS_OFFSET_SKB_SK == offset_of!(sys::sk_buff, sk);
    IOAM_RS_OFFSET_SKB_TSTAMP == offset_of!(sys::sk_buff, __bindgen_anon_2);
    IOAM_RS_OFFSET_SKB_LEN == offset_of!(sys::sk_buff, len);
    IOAM_RS_OFFSET_SKB_DATA_LEN == offset_of!(sys::sk_buff, data_len);
    IOAM_RS_OFFSET_SKB_HEAD == offset_of!(sys::sk_buff, head);
    IOAM_RS_OFFSET_SKB_DATA == offset_of!(sys::sk_buff, data);
    IOAM_RS_OFFSET_SKB_REFDST == offset_of!(sys::sk_buff, __bindgen_anon_3) + offset_of!(sys::sk_buff__bindgen_ty_3__bindgen_ty_1, _skb_refdst);
    IOAM_RS_OFFSET_SKB_HEADERS == offset_of!(sys::sk_buff, __bindgen_anon_4);
    IOAM_RS_OFFSET_SKB_NETWORK_HEADER == offset_of!(sys::sk_buff, __bindgen_anon_4) + offset_of!(SkbHeaders, network_header);
    IOAM_RS_OFFSET_SKB_TRANSPORT_HEADER == offset_of!(sys::sk_buff, __bindgen_anon_4) + offset_of!(SkbHeaders, transport_header);
    IOAM_RS_OFFSET_SKB_MAC_HEADER == offset_of!(sys::sk_buff, __bindgen_anon_4) + offset_of!(SkbHeaders, mac_header);
    IOAM_RS_OFFSET_SKB_IIF == offset_of!(sys::sk_buff, __bindgen_anon_4) + offset_of!(SkbHeaders, skb_iif);
    IOAM_RS_OFFSET_SKB_PROTOCOL == offset_of!(sys::sk_buff, __bindgen_anon_4) + offset_of!(SkbHeaders, protocol);
    IOAM_RS_OFFSET_DEV_FLAGS == offset_of!(sys::net_device, flags);
    IOAM_RS_OFFSET_DEV_IFINDEX == offset_of!(sys::net_device, ifindex);
    IOAM_RS_OFFSET_DEV_IP6_PTR == offset_of!(sys::net_device, ip6_ptr);
    IOAM_RS_OFFSET_DEV_NUM_TX_QUEUES == offset_of!(sys::net_device, num_tx_queues);
    IOAM_RS_OFFSET_DEV_REAL_NUM_TX_QUEUES == offset_of!(sys::net_device, real_num_tx_queues);
    IOAM_RS_OFFSET_DEV_NETDEV_OPS == offset_of!(sys::net_device, netdev_ops);
    IOAM_RS_OFFSET_DEV_ND_NET == offset_of!(sys::net_device, nd_net);
    IOAM_RS_OFFSET_DEV_HARD_HEADER_LEN == offset_of!(sys::net_device, hard_header_len);
    IOAM_RS_OFFSET_DEV_NEEDED_HEADROOM == offset_of!(sys::net_device, needed_headroom);
    IOAM_RS_OFFSET_IDEV_CNF == offset_of!(sys::inet6_dev, cnf);
    IOAM_RS_OFFSET_DEVCONF_IOAM6_ID == offset_of!(sys::ipv6_devconf, ioam6_id);
    IOAM_RS_OFFSET_DEVCONF_IOAM6_ID_WIDE == offset_of!(sys::ipv6_devconf, ioam6_id_wide);
    IOAM_RS_OFFSET_DEVCONF_IOAM6_ENABLED == offset_of!(sys::ipv6_devconf, ioam6_enabled);
    IOAM_RS_OFFSET_DST_DEV == offset_of!(sys::dst_entry, __bindgen_anon_1);
    IOAM_RS_OFFSET_DST_LWTSTATE == offset_of!(sys::dst_entry, lwtstate);
    IOAM_RS_OFFSET_DST_ERROR == offset_of!(sys::dst_entry, error);
    IOAM_RS_OFFSET_DST_FLAGS == offset_of!(sys::dst_entry, flags);
    IOAM_RS_OFFSET_NF_STATE_IN == offset_of!(sys::nf_hook_state, in_);
    IOAM_RS_OFFSET_NF_STATE_NET == offset_of!(sys::nf_hook_state, net);
    IOAM_RS_OFFSET_NF_STATE_OUT == offset_of!(sys::nf_hook_state, out);
    IOAM_RS_OFFSET_LWT_TYPE == offset_of!(sys::lwtunnel_state, type_);
    IOAM_RS_OFFSET_LWT_FLAGS == offset_of!(sys::lwtunnel_state, flags);
    IOAM_RS_OFFSET_LWT_HEADROOM == offset_of!(sys::lwtunnel_state, headroom);
    IOAM_RS_OFFSET_LWT_DATA == offset_of!(sys::lwtunnel_state, data);
    IOAM_RS_OFFSET_GENL_INFO_ATTRS == offset_of!(sys::genl_info, attrs);
    IOAM_RS_OFFSET_GENL_INFO_EXTACK == offset_of!(sys::genl_info, extack);
    IOAM_RS_OFFSET_GENL_INFO_GENLHDR == offset_of!(sys::genl_info, genlhdr);
    IOAM_RS_OFFSET_GENL_INFO_FAMILY == offset_of!(sys::genl_info, family);
    IOAM_RS_OFFSET_NETLINK_CB_SKB == offset_of!(sys::netlink_callback, skb);
    IOAM_RS_OFFSET_NETLINK_CB_NLH == offset_of!(sys::netlink_callback, nlh);
    IOAM_RS_OFFSET_NETLINK_CB_EXTACK == offset_of!(sys::netlink_callback, extack);
    IOAM_RS_OFFSET_NETLINK_CB_DATA == offset_of!(sys::netlink_callback, data);
}

#[cfg(CONFIG_XPS)]
same_offset! {
    IOAM_RS_OFFSET_SKB_SENDER_CPU == offset_of!(sys::sk_buff, __bindgen_anon_4) + offset_of!(SkbHeaders, __bindgen_anon_3);
}
