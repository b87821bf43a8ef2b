/* SPDX-License-Identifier: GPL-2.0-or-later */
/* listener-jt.h - JackTrip hub on netjack-master (see listener-jt.c). */
#ifndef NJ_MASTER_LISTENER_JT_H
#define NJ_MASTER_LISTENER_JT_H

#include "manager.h"
#include "slot.h"

/** jt_listener_new - listen on TCP --jacktrip (errors name the option) and DNS-SD. */
int jt_listener_new(struct manager *m, const struct master_config *cfg,
		    const struct listener_ops **ret_ops, void **ret);

#endif
