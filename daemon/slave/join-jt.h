/* SPDX-License-Identifier: GPL-2.0-or-later */
/* join-jt.h - JackTrip on netjack-slave (see join-jt.c). */
#ifndef NJ_SLAVE_JOIN_JT_H
#define NJ_SLAVE_JOIN_JT_H

#include <stdbool.h>

#include "slave.h"

/** jt_joiner_new - a hub client (@p2p false) or a P2P client of --master. */
int jt_joiner_new(struct slave *s, bool p2p, const struct joiner_ops **ret_ops, void **ret);

#endif
