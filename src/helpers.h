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
void *ioam_rs_net_generic(const struct net *net, unsigned int id);

#endif
