/* SPDX-License-Identifier: GPL-2.0-or-later */
/* listener-nj2.h - netJACK2 on netjack-master (see listener-nj2.c). */
#ifndef NJ_MASTER_LISTENER_NJ2_H
#define NJ_MASTER_LISTENER_NJ2_H

#include "manager.h"
#include "slot.h"

/** nj2_listener_new - open the discovery sockets (errors name the option) and DNS-SD. */
int nj2_listener_new(struct manager *m, const struct master_config *cfg,
		     const struct listener_ops **ret_ops, void **ret);

#endif
