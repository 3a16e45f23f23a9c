/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel headers that ioam_rs.ko's own bindgen run reads (see Kbuild). */
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include "helpers.h"

/* Macros bindgen cannot evaluate, as constants it can (like rust/bindings' RUST_CONST_HELPER_). */
const u8 IOAM_RS_GENL_MCAST_CAP_NET_ADMIN = GENL_MCAST_CAP_NET_ADMIN;
