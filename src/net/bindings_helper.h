/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel headers that ioam_rs.ko's own bindgen run reads (see Kbuild). */
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <linux/timer.h>
#include <linux/timekeeping.h>
#include <linux/ipv6.h>
#include <net/addrconf.h>
#include <net/dst_cache.h>
#include <net/genetlink.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/gso.h>
#include <net/ip_tunnels.h>
#include <net/lwtunnel.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv6.h>

#include "helpers.h"

/* Macros bindgen cannot evaluate, as constants it can (like rust/bindings' RUST_CONST_HELPER_). */
const u8 IOAM_RS_GENL_MCAST_CAP_NET_ADMIN = GENL_MCAST_CAP_NET_ADMIN;
const unsigned int IOAM_RS_NL_VALIDATE_STRICT = NL_VALIDATE_STRICT;
const u16 IOAM_RS_ETH_P_IPV6_BE = htons(ETH_P_IPV6);
const u16 IOAM_RS_LWTUNNEL_ENCAP_IOAM6 = LWTUNNEL_ENCAP_IOAM6;
const unsigned int IOAM_RS_IFF_LOOPBACK = IFF_LOOPBACK;
const gfp_t IOAM_RS_GFP_ATOMIC = GFP_ATOMIC;
const gfp_t IOAM_RS_GFP_NOWAIT_NOWARN = GFP_NOWAIT | __GFP_NOWARN;
const int IOAM_RS_SKB_GSO_IPXIP6 = SKB_GSO_IPXIP6;
const u16 IOAM_RS_LWTUNNEL_STATE_XMIT_REDIRECT = LWTUNNEL_STATE_XMIT_REDIRECT;
const int IOAM_RS_LWTUNNEL_XMIT_CONTINUE = LWTUNNEL_XMIT_CONTINUE;
const int IOAM_RS_LWTUNNEL_XMIT_DONE = LWTUNNEL_XMIT_DONE;
const int IOAM_RS_NET_XMIT_CN = NET_XMIT_CN;
const unsigned int IOAM_RS_SOFTIRQ_MASK = SOFTIRQ_MASK;
const unsigned int IOAM_RS_HARDIRQ_NMI_MASK = HARDIRQ_MASK | NMI_MASK;
const u8 IOAM_RS_NFPROTO_IPV6 = NFPROTO_IPV6;
const unsigned int IOAM_RS_NF_INET_PRE_ROUTING = NF_INET_PRE_ROUTING;
const int IOAM_RS_NF_IP6_PRI_FIRST = NF_IP6_PRI_FIRST;
const unsigned int IOAM_RS_NF_INET_POST_ROUTING = NF_INET_POST_ROUTING;
const int IOAM_RS_NF_IP6_PRI_LAST = NF_IP6_PRI_LAST;
const unsigned int IOAM_RS_NF_ACCEPT = NF_ACCEPT;
const unsigned int IOAM_RS_NF_DROP = NF_DROP;
const unsigned long IOAM_RS_NETDEV_UNREGISTER = NETDEV_UNREGISTER;
const int IOAM_RS_NOTIFY_DONE = NOTIFY_DONE;
const u8 IOAM_RS_CHECKSUM_COMPLETE = CHECKSUM_COMPLETE;
const u8 IOAM_RS_ENCAP_TYPE_ETHER = ENCAP_TYPE_ETHER;
const unsigned short IOAM_RS_DST_METADATA = DST_METADATA;
const unsigned int IOAM_RS_TK_OFFS_REAL = TK_OFFS_REAL;
const u8 IOAM_RS_CHECKSUM_PARTIAL = CHECKSUM_PARTIAL;
const size_t IOAM_RS_SKB_8K_ROOM = SKB_WITH_OVERHEAD(8192);
const size_t IOAM_RS_SKB_32K_ROOM = SKB_WITH_OVERHEAD(32768);
const size_t IOAM_RS_NLMSG_HDRLEN = NLMSG_HDRLEN;
const size_t IOAM_RS_GENL_HDRLEN = GENL_HDRLEN;
const size_t IOAM_RS_SKB_CB_SIZE = sizeof_field(struct sk_buff, cb);
const size_t IOAM_RS_SKB_CLONED_OFFSET = CLONED_OFFSET;
const u8 IOAM_RS_SKB_CLONED_MASK = CLONED_MASK;

/*
 * Where the C compiler puts the fields that Rust reads directly; src/layout.rs checks
 * bindgen's layout against these at compile time (bindgen loses some alignment attributes:
 * its `struct net` is wrong, so that one is read by the offsets below).
 */
#define IOAM_RS_OFFSET(name, type, field) const size_t IOAM_RS_OFFSET_##name = offsetof(type, field)
IOAM_RS_OFFSET(SKB_SK, struct sk_buff, sk);
IOAM_RS_OFFSET(SKB_TSTAMP, struct sk_buff, tstamp);
IOAM_RS_OFFSET(SKB_LEN, struct sk_buff, len);
IOAM_RS_OFFSET(SKB_DATA_LEN, struct sk_buff, data_len);
IOAM_RS_OFFSET(SKB_HEAD, struct sk_buff, head);
IOAM_RS_OFFSET(SKB_DATA, struct sk_buff, data);
IOAM_RS_OFFSET(SKB_REFDST, struct sk_buff, _skb_refdst);
IOAM_RS_OFFSET(SKB_HEADERS, struct sk_buff, headers);
IOAM_RS_OFFSET(SKB_NETWORK_HEADER, struct sk_buff, network_header);
IOAM_RS_OFFSET(SKB_TRANSPORT_HEADER, struct sk_buff, transport_header);
IOAM_RS_OFFSET(SKB_MAC_HEADER, struct sk_buff, mac_header);
IOAM_RS_OFFSET(SKB_IIF, struct sk_buff, skb_iif);
IOAM_RS_OFFSET(SKB_PROTOCOL, struct sk_buff, protocol);
#ifdef CONFIG_XPS
IOAM_RS_OFFSET(SKB_SENDER_CPU, struct sk_buff, sender_cpu);
#endif
IOAM_RS_OFFSET(DEV_FLAGS, struct net_device, flags);
IOAM_RS_OFFSET(DEV_IFINDEX, struct net_device, ifindex);
IOAM_RS_OFFSET(DEV_IP6_PTR, struct net_device, ip6_ptr);
IOAM_RS_OFFSET(DEV_NUM_TX_QUEUES, struct net_device, num_tx_queues);
IOAM_RS_OFFSET(DEV_REAL_NUM_TX_QUEUES, struct net_device, real_num_tx_queues);
IOAM_RS_OFFSET(DEV_NETDEV_OPS, struct net_device, netdev_ops);
IOAM_RS_OFFSET(DEV_ND_NET, struct net_device, nd_net);
IOAM_RS_OFFSET(DEV_HARD_HEADER_LEN, struct net_device, hard_header_len);
IOAM_RS_OFFSET(DEV_NEEDED_HEADROOM, struct net_device, needed_headroom);
IOAM_RS_OFFSET(IDEV_CNF, struct inet6_dev, cnf);
IOAM_RS_OFFSET(DEVCONF_IOAM6_ID, struct ipv6_devconf, ioam6_id);
IOAM_RS_OFFSET(DEVCONF_IOAM6_ID_WIDE, struct ipv6_devconf, ioam6_id_wide);
IOAM_RS_OFFSET(DEVCONF_IOAM6_ENABLED, struct ipv6_devconf, ioam6_enabled);
IOAM_RS_OFFSET(DST_DEV, struct dst_entry, dev);
IOAM_RS_OFFSET(DST_LWTSTATE, struct dst_entry, lwtstate);
IOAM_RS_OFFSET(DST_ERROR, struct dst_entry, error);
IOAM_RS_OFFSET(DST_FLAGS, struct dst_entry, flags);
IOAM_RS_OFFSET(NF_STATE_IN, struct nf_hook_state, in);
IOAM_RS_OFFSET(NF_STATE_NET, struct nf_hook_state, net);
IOAM_RS_OFFSET(NF_STATE_OUT, struct nf_hook_state, out);
IOAM_RS_OFFSET(LWT_TYPE, struct lwtunnel_state, type);
IOAM_RS_OFFSET(LWT_FLAGS, struct lwtunnel_state, flags);
IOAM_RS_OFFSET(LWT_HEADROOM, struct lwtunnel_state, headroom);
IOAM_RS_OFFSET(LWT_DATA, struct lwtunnel_state, data);
IOAM_RS_OFFSET(GENL_INFO_ATTRS, struct genl_info, attrs);
IOAM_RS_OFFSET(GENL_INFO_EXTACK, struct genl_info, extack);
IOAM_RS_OFFSET(GENL_INFO_GENLHDR, struct genl_info, genlhdr);
IOAM_RS_OFFSET(GENL_INFO_FAMILY, struct genl_info, family);
IOAM_RS_OFFSET(NETLINK_CB_SKB, struct netlink_callback, skb);
IOAM_RS_OFFSET(NETLINK_CB_NLH, struct netlink_callback, nlh);
IOAM_RS_OFFSET(NETLINK_CB_EXTACK, struct netlink_callback, extack);
IOAM_RS_OFFSET(NETLINK_CB_DATA, struct netlink_callback, data);

/*
 * Fields of struct net, whose bindgen layout is wrong: src/net/pernet.rs reads them at these
 * offsets and checks their sizes.
 */
#define IOAM_RS_SIZE(name, type, field) const size_t IOAM_RS_SIZE_##name = sizeof(((type *)0)->field)
IOAM_RS_OFFSET(NET_FIB6_SERNUM, struct net, ipv6.fib6_sernum);
IOAM_RS_SIZE(NET_FIB6_SERNUM, struct net, ipv6.fib6_sernum);
IOAM_RS_OFFSET(NET_ADDR_GENID, struct net, ipv6.dev_addr_genid);
IOAM_RS_SIZE(NET_ADDR_GENID, struct net, ipv6.dev_addr_genid);
IOAM_RS_OFFSET(NET_IOAM6_ID, struct net, ipv6.sysctl.ioam6_id);
IOAM_RS_SIZE(NET_IOAM6_ID, struct net, ipv6.sysctl.ioam6_id);
IOAM_RS_OFFSET(NET_IOAM6_ID_WIDE, struct net, ipv6.sysctl.ioam6_id_wide);
IOAM_RS_SIZE(NET_IOAM6_ID_WIDE, struct net, ipv6.sysctl.ioam6_id_wide);
/* net_generic(), inline: the array's pointer and where its slots start. */
IOAM_RS_OFFSET(NET_GEN, struct net, gen);
IOAM_RS_SIZE(NET_GEN, struct net, gen);
IOAM_RS_OFFSET(NET_GENERIC_PTR, struct net_generic, ptr);

/* The router alert option's offset in the IPv6 control block (IP6CB()), read at these offsets. */
IOAM_RS_OFFSET(SKB_CB, struct sk_buff, cb);
IOAM_RS_OFFSET(IP6CB_RA, struct inet6_skb_parm, ra);
IOAM_RS_SIZE(IP6CB_RA, struct inet6_skb_parm, ra);

/* skb->inner_protocol, in an anonymous union whose bindgen name depends on the configuration. */
IOAM_RS_OFFSET(SKB_INNER_PROTOCOL, struct sk_buff, inner_protocol);
IOAM_RS_SIZE(SKB_INNER_PROTOCOL, struct sk_buff, inner_protocol);
