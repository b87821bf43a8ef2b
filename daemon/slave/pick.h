/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pick.h - which DNS-SD master `netjack-slave --auto` joins (the rule the
 * README and netjack-slave(8) document). Pure: no avahi, no sockets used.
 */
#ifndef NJ_SLAVE_PICK_H
#define NJ_SLAVE_PICK_H

#include <stdbool.h>

#include <libnetproto/udp.h>

/** A master seen on DNS-SD (one per name, interface and address family). */
struct found_master {
	bool used;
	char name[64];
	int ifindex, family;
	struct nj_sockaddr addr;
	unsigned slaves, max_slaves; /* TXT slaves= and max_slaves= (0: not given) */
};

/**
 * pick_master - the master of @n entries to join: the one named @want if
 * @want is not empty (NULL if absent); else the only one; else those with a
 * free slot before full ones, then the fewest slaves, then the name in byte
 * order. *@ret_count: how many masters there are.
 */
const struct found_master *pick_master(const struct found_master *f, unsigned n,
				       const char *want, unsigned *ret_count);

#endif
