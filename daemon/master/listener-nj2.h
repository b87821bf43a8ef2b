/* SPDX-License-Identifier: GPL-2.0-or-later */
/* listener-nj2.h - netJACK2 on netjack-master (see listener-nj2.c). */
#ifndef NJ_MASTER_LISTENER_NJ2_H
#define NJ_MASTER_LISTENER_NJ2_H

#include <libnetproto/session.h>

#include "manager.h"
#include "slot.h"

/** nj2_listener_new - open the discovery sockets (errors name the option) and DNS-SD. */
int nj2_listener_new(struct manager *m, const struct master_config *cfg,
		     const struct listener_ops **ret_ops, void **ret);

/** nj2_slot_desc - the slot's description of a slave from its SLAVE_SETUP (nj2-slot.c). */
void nj2_slot_desc(const struct nj2_params *p, const struct nj_sockaddr *peer,
		   struct slot_desc *d);

/** nj2_ext_text - ", in tiles, authenticated, encrypted, every packet sent 2 times" (static buffer). */
const char *nj2_ext_text(const struct nj2_params *p);

#endif
