// SPDX-License-Identifier: GPL-2.0
/* See helpers.h: one kernel static inline or macro per function, nothing else. */
#include <net/genetlink.h>
#include <net/netns/generic.h>
#include <net/sock.h>

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

void *ioam_rs_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}
