/* SPDX-License-Identifier: GPL-2.0-or-later */
/* join-n1.h - netone (netJACK1) on netjack-slave (see join-n1.c). */
#ifndef NJ_SLAVE_JOIN_N1_H
#define NJ_SLAVE_JOIN_N1_H

#include <stdbool.h>

#include "slave.h"

/** n1_joiner_new - listen on UDP --port for a netone master (errors name the option). */
int n1_joiner_new(struct slave *s, const struct joiner_ops **ret_ops, void **ret);

#endif
