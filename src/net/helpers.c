// SPDX-License-Identifier: GPL-2.0
/* See helpers.h: one kernel static inline or macro per function, nothing else. */
#include <net/genetlink.h>
#include <net/sock.h>
#include <net/addrconf.h>
#include <net/dst.h>
#include <net/ip6_route.h>
#include <net/sch_generic.h>
#include <linux/netfilter.h>
#include <linux/percpu.h>
#include <linux/cpumask.h>

#include "helpers.h"

void ioam_rs_genlmsg_end(struct sk_buff *skb, void *hdr)
{
	genlmsg_end(skb, hdr);
}

void ioam_rs_genlmsg_cancel(struct sk_buff *skb, void *hdr)
{
	genlmsg_cancel(skb, hdr);
}

struct net *ioam_rs_genl_info_net(const struct genl_info *info)
{
	return genl_info_net(info);
}

struct net *ioam_rs_dump_net(const struct netlink_callback *cb)
{
	return sock_net(cb->skb->sk);
}

u32 ioam_rs_dump_portid(const struct netlink_callback *cb)
{
	return NETLINK_CB(cb->skb).portid;
}

int ioam_rs_skb_cow_head(struct sk_buff *skb, unsigned int headroom)
{
	return skb_cow_head(skb, headroom);
}

void ioam_rs_skb_mac_header_rebuild(struct sk_buff *skb)
{
	skb_mac_header_rebuild(skb);
}

void ioam_rs_skb_postpull_rcsum(struct sk_buff *skb, const void *start, unsigned int len)
{
	skb_postpull_rcsum(skb, start, len);
}

void ioam_rs_skb_postpush_rcsum(struct sk_buff *skb, const void *start, unsigned int len)
{
	skb_postpush_rcsum(skb, start, len);
}

void ioam_rs_kfree_skb(struct sk_buff *skb)
{
	kfree_skb(skb);
}

void ioam_rs_skb_dst_drop(struct sk_buff *skb)
{
	skb_dst_drop(skb);
}

void ioam_rs_skb_dst_set(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_set(skb, dst);
}

int ioam_rs_dst_output(struct net *net, struct sock *sk, struct sk_buff *skb)
{
	return dst_output(net, sk, skb);
}

struct dst_entry *ioam_rs_ip6_route_output(struct net *net, struct flowi6 *fl6)
{
	return ip6_route_output(net, NULL, fl6);
}

u32 ioam_rs_tx_queue_backlog(const struct net_device *dev, unsigned int queue)
{
	__u32 qlen, backlog;

	qdisc_qstats_qlen_backlog(rcu_dereference(netdev_get_tx_queue(dev, queue)->qdisc),
				  &qlen, &backlog);
	return backlog;
}

void __percpu *ioam_rs_alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

bool ioam_rs_cpu_possible(unsigned int cpu)
{
	return cpu_possible(cpu);
}

u64 *ioam_rs_per_cpu_ptr(u64 __percpu *ptr, unsigned int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

void *ioam_rs_this_cpu_ptr(void __percpu *ptr)
{
	return this_cpu_ptr(ptr);
}

bool ioam_rs_in_bh(void)
{
	return in_softirq() && !in_hardirq() && !in_nmi();
}

void ioam_rs_this_cpu_add_u64(u64 __percpu *ptr, u64 n)
{
	this_cpu_add(*ptr, n);
}

void ioam_rs_local_bh_disable(void)
{
	local_bh_disable();
}

void ioam_rs_local_bh_enable(void)
{
	local_bh_enable();
}

u32 ioam_rs_skb_mark(const struct sk_buff *skb)
{
	return skb->mark;
}

bool ioam_rs_skb_is_gso(const struct sk_buff *skb)
{
	return skb_is_gso(skb);
}

struct user_namespace *ioam_rs_net_user_ns(const struct net *net)
{
	return net->user_ns;
}

struct net_device *ioam_rs_netdev_notifier_info_to_dev(const void *info)
{
	return netdev_notifier_info_to_dev(info);
}

bool ioam_rs_pskb_may_pull(struct sk_buff *skb, unsigned int len)
{
	return pskb_may_pull(skb, len);
}

unsigned int ioam_rs_dst_mtu(const struct dst_entry *dst)
{
	return dst_mtu(dst);
}

bool ioam_rs_genl_has_listeners(const struct genl_family *family, struct net *net, unsigned int group)
{
	return genl_has_listeners(family, net, group);
}

struct sk_buff *ioam_rs_genlmsg_new(size_t payload, gfp_t flags)
{
	return genlmsg_new(payload, flags);
}

int ioam_rs_genlmsg_multicast_netns(const struct genl_family *family, struct net *net,
				    struct sk_buff *skb, unsigned int group, gfp_t flags)
{
	return genlmsg_multicast_netns(family, net, skb, 0, group, flags);
}

void ioam_rs_nlmsg_free(struct sk_buff *skb)
{
	nlmsg_free(skb);
}

struct nlattr *ioam_rs_nla_nest_start(struct sk_buff *skb, int type)
{
	return nla_nest_start(skb, type);
}

void ioam_rs_nla_nest_end(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_end(skb, start);
}

unsigned int ioam_rs_skb_tailroom(const struct sk_buff *skb)
{
	return skb_tailroom(skb);
}

unsigned char *ioam_rs_skb_tail_pointer(const struct sk_buff *skb)
{
	return skb_tail_pointer(skb);
}

struct sk_buff *ioam_rs_alloc_skb_atomic(unsigned int size)
{
	return alloc_skb(size, GFP_ATOMIC);
}

void ioam_rs_skb_reserve(struct sk_buff *skb, int len)
{
	skb_reserve(skb, len);
}
