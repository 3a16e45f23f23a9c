/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel headers that ioam_rs.ko's own bindgen run reads (see Kbuild). */
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <linux/ipv6.h>
#include <net/addrconf.h>
#include <net/dst_cache.h>
#include <net/genetlink.h>
#include <net/ip_tunnels.h>
#include <net/lwtunnel.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv6.h>

#include "helpers.h"

/* Macros bindgen cannot evaluate, as constants it can (like rust/bindings' RUST_CONST_HELPER_). */
const u8 IOAM_RS_GENL_MCAST_CAP_NET_ADMIN = GENL_MCAST_CAP_NET_ADMIN;
const u16 IOAM_RS_LWTUNNEL_STATE_OUTPUT_REDIRECT = LWTUNNEL_STATE_OUTPUT_REDIRECT;
const unsigned int IOAM_RS_NL_VALIDATE_STRICT = NL_VALIDATE_STRICT;
const u16 IOAM_RS_ETH_P_IPV6_BE = htons(ETH_P_IPV6);
const u16 IOAM_RS_LWTUNNEL_ENCAP_IOAM6 = LWTUNNEL_ENCAP_IOAM6;
const unsigned int IOAM_RS_IFF_LOOPBACK = IFF_LOOPBACK;
const gfp_t IOAM_RS_GFP_ATOMIC = GFP_ATOMIC;
const int IOAM_RS_SKB_GSO_IPXIP6 = SKB_GSO_IPXIP6;
const u16 IOAM_RS_LWTUNNEL_STATE_XMIT_REDIRECT = LWTUNNEL_STATE_XMIT_REDIRECT;
const int IOAM_RS_LWTUNNEL_XMIT_CONTINUE = LWTUNNEL_XMIT_CONTINUE;
const int IOAM_RS_LWTUNNEL_XMIT_DONE = LWTUNNEL_XMIT_DONE;
const u8 IOAM_RS_NFPROTO_IPV6 = NFPROTO_IPV6;
const unsigned int IOAM_RS_NF_INET_PRE_ROUTING = NF_INET_PRE_ROUTING;
const int IOAM_RS_NF_IP6_PRI_FIRST = NF_IP6_PRI_FIRST;
const unsigned int IOAM_RS_NF_ACCEPT = NF_ACCEPT;
const unsigned int IOAM_RS_NF_DROP = NF_DROP;
const unsigned long IOAM_RS_NETDEV_UNREGISTER = NETDEV_UNREGISTER;
const int IOAM_RS_NOTIFY_DONE = NOTIFY_DONE;
