/* SPDX-License-Identifier: GPL-2.0-or-later */
/* listener-n1.h - netone (netJACK1) slaves of netjack-master (see listener-n1.c). */
#ifndef NJ_MASTER_LISTENER_N1_H
#define NJ_MASTER_LISTENER_N1_H

#include "manager.h"
#include "slot.h"

/** n1_listener_new - the --netone entries (a bad one stops the daemon, named). */
int n1_listener_new(struct manager *m, const struct master_config *cfg,
		    const struct listener_ops **ret_ops, void **ret);

#endif
