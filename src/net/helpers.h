/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Out-of-line wrappers for kernel static inline functions and macros that
 * ioam_rs.ko calls from Rust. No logic lives here: each is one kernel call.
 */
#ifndef IOAM_RS_HELPERS_H
#define IOAM_RS_HELPERS_H

#include <linux/types.h>

struct genl_info;
struct net;
struct netlink_callback;
struct sk_buff;

void ioam_rs_genlmsg_end(struct sk_buff *skb, void *hdr);
void ioam_rs_genlmsg_cancel(struct sk_buff *skb, void *hdr);
struct net *ioam_rs_genl_info_net(const struct genl_info *info);
struct net *ioam_rs_dump_net(const struct netlink_callback *cb);
u32 ioam_rs_dump_portid(const struct netlink_callback *cb);

/* Encapsulating node (lwtunnel output path). */
struct dst_entry;
struct flowi6;
struct inet6_dev;
struct net_device;
struct sock;
struct user_namespace;

int ioam_rs_skb_cow_head(struct sk_buff *skb, unsigned int headroom);
void ioam_rs_skb_mac_header_rebuild(struct sk_buff *skb);
void ioam_rs_skb_postpull_rcsum(struct sk_buff *skb, const void *start, unsigned int len);
void ioam_rs_skb_postpush_rcsum(struct sk_buff *skb, const void *start, unsigned int len);
void ioam_rs_kfree_skb(struct sk_buff *skb);
void ioam_rs_skb_dst_drop(struct sk_buff *skb);
void ioam_rs_skb_dst_set(struct sk_buff *skb, struct dst_entry *dst);
int ioam_rs_dst_output(struct net *net, struct sock *sk, struct sk_buff *skb);
struct dst_entry *ioam_rs_ip6_route_output(struct net *net, struct flowi6 *fl6);
u32 ioam_rs_tx_queue_backlog(const struct net_device *dev, unsigned int queue);
void ioam_rs_local_bh_disable(void);
void ioam_rs_local_bh_enable(void);
/* Fields behind struct_group() unions, whose bindgen names are not stable. */
u32 ioam_rs_skb_mark(const struct sk_buff *skb);
bool ioam_rs_skb_is_gso(const struct sk_buff *skb);
/*
 * Fields of large config-dependent structs, read with READ_ONCE where the kernel does:
 * bindgen's layout of these structs is not guaranteed to match the compiler's.
 */
struct user_namespace *ioam_rs_net_user_ns(const struct net *net);

/* Per-CPU counters (src/sync/percpu.rs). */
void __percpu *ioam_rs_alloc_percpu(size_t size, size_t align);
bool ioam_rs_cpu_possible(unsigned int cpu);
u64 *ioam_rs_per_cpu_ptr(u64 __percpu *ptr, unsigned int cpu);
void ioam_rs_this_cpu_add_u64(u64 __percpu *ptr, u64 n);
void *ioam_rs_this_cpu_ptr(void __percpu *ptr);
bool ioam_rs_in_bh(void);

/* Transit node (netfilter hook on IPv6 receive). */
struct nf_hook_state;
struct nlattr;
struct genl_family;
struct net_device *ioam_rs_netdev_notifier_info_to_dev(const void *info);
bool ioam_rs_pskb_may_pull(struct sk_buff *skb, unsigned int len);
unsigned int ioam_rs_dst_mtu(const struct dst_entry *dst);

/* Packets made here (RFC 9322 loopback copies). */
struct sk_buff *ioam_rs_alloc_skb_atomic(unsigned int size);
void ioam_rs_skb_reserve(struct sk_buff *skb, int len);

/* Trace events (generic netlink multicast from the packet path). */
bool ioam_rs_genl_has_listeners(const struct genl_family *family, struct net *net, unsigned int group);
struct sk_buff *ioam_rs_genlmsg_new(size_t payload, gfp_t flags);
int ioam_rs_genlmsg_multicast_netns(const struct genl_family *family, struct net *net,
				    struct sk_buff *skb, unsigned int group, gfp_t flags);
void ioam_rs_nlmsg_free(struct sk_buff *skb);
struct nlattr *ioam_rs_nla_nest_start(struct sk_buff *skb, int type);
void ioam_rs_nla_nest_end(struct sk_buff *skb, struct nlattr *start);
unsigned int ioam_rs_skb_tailroom(const struct sk_buff *skb);
unsigned char *ioam_rs_skb_tail_pointer(const struct sk_buff *skb);
#endif
