/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netwatch.h - tell the daemons when the network changed under them: a
 * link went down or up, an address came or went (rtnetlink). They rejoin
 * their multicast group and announce again, so that discovery survives a
 * cable pulled, a Wi-Fi roam or a DHCP renewal, and a daemon started before
 * the network works once it is up.
 */
#ifndef NJ_NETWATCH_H
#define NJ_NETWATCH_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include <libnetproto/udp.h>

struct nj_netwatch;

/* A burst of changes (a link coming up brings several messages) is one change
 * once it has settled this long. */
#define NJ_NETWATCH_SETTLE_US 200000

/* Called on the event loop after a change has settled (and the group, if
 * any, was joined again). */
typedef void (*nj_netwatch_fn)(void *userdata);

/** A multicast group to keep joined on a socket, whatever the network does. */
struct nj_netwatch_group {
	int fd;
	const struct nj_sockaddr *group;
	const char *ifname; /* NULL: the kernel's choice */
	const char *what;   /* for the log: "the discovery group" */
};

/**
 * nj_netwatch_new - watch links and addresses of this network namespace;
 * with @keep, join its group now and again after every change. A group that
 * cannot be joined yet (no such interface, no route: the network is not up)
 * is not an error: it is logged once and joined when the network comes.
 * Returns 0, or a negative errno when netlink is not there (the group is
 * then joined once, as before; say so).
 */
int nj_netwatch_new(sd_event *e, const struct nj_netwatch_group *keep, nj_netwatch_fn fn,
		    void *userdata, struct nj_netwatch **ret);

/** nj_netwatch_joined - is the kept group joined now? */
bool nj_netwatch_joined(const struct nj_netwatch *w);

/** nj_netwatch_changes - changes seen so far (status). */
unsigned long long nj_netwatch_changes(const struct nj_netwatch *w);

void nj_netwatch_free(struct nj_netwatch *w);

#endif
