/* SPDX-License-Identifier: GPL-2.0-or-later */
/* join-nj2.h - netJACK2 on netjack-slave (see join-nj2.c). */
#ifndef NJ_SLAVE_JOIN_NJ2_H
#define NJ_SLAVE_JOIN_NJ2_H

#include "slave.h"

/** nj2_joiner_new - the socket (errors name the option), the machine, DNS-SD. */
int nj2_joiner_new(struct slave *s, const struct joiner_ops **ret_ops, void **ret);

#endif
