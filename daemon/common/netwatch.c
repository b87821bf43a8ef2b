/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netwatch.c - rtnetlink link and address changes (netwatch.h). Only that a
 * change happened matters: the messages are read and counted, not parsed,
 * and one callback follows a burst of them (a link coming up brings several
 * messages in a few milliseconds).
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string.h>

#include "log.h"
#include "netwatch.h"

struct nj_netwatch {
	sd_event *event;
	sd_event_source *io, *timer;
	int fd;
	bool keeping, joined;
	struct nj_netwatch_group keep;
	struct nj_sockaddr group;
	int last_err;
	nj_netwatch_fn fn;
	void *userdata;
	unsigned long long changes;
};

/* (Re)join the kept group; say so when that changes anything. */
static void join(struct nj_netwatch *w, bool again)
{
	char text[80];
	int r;

	if (!w->keeping) {
		return;
	}
	r = nj_udp_join(w->keep.fd, &w->group, w->keep.ifname, again);
	nj_sockaddr_format(&w->group, text, sizeof(text));
	if (r >= 0 && !w->joined) {
		log_notice("joined %s %s%s%s%s", w->keep.what, text, w->keep.ifname ? " on " : "",
			   w->keep.ifname ? w->keep.ifname : "",
			   w->changes ? " (the network changed)" : "");
	} else if (r < 0 && (w->joined || r != w->last_err)) {
		log_warn("cannot join %s %s%s%s yet: %s; joining when the network changes",
			 w->keep.what, text, w->keep.ifname ? " on " : "",
			 w->keep.ifname ? w->keep.ifname : "", strerror(-r));
	} else if (r == 0 && again) {
		/* it was gone (with its interface): joined anew */
		log_info("the network changed: %s %s joined again", w->keep.what, text);
	}
	w->joined = r >= 0; /* 1: still a member */
	w->last_err = r;
}

static int on_settled(sd_event_source *es, uint64_t usec, void *ud)
{
	struct nj_netwatch *w = ud;

	join(w, true);
	if (w->fn != NULL) {
		w->fn(w->userdata);
	}
	return 0;
}

static int on_netlink(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct nj_netwatch *w = ud;
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool any = false;
	uint64_t now = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == ENOBUFS) {
			any = true; /* we missed some: a change all the same */
			continue;
		}
		if (n <= 0) {
			break;
		}
		int len = (int)n;

		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK ||
			    h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR ||
			    h->nlmsg_type == RTM_NEWROUTE || h->nlmsg_type == RTM_DELROUTE) {
				any = true;
			}
		}
	}
	if (!any) {
		return 0;
	}
	w->changes++;
	sd_event_now(w->event, CLOCK_MONOTONIC, &now);
	if (w->timer == NULL) {
		return sd_event_add_time(w->event, &w->timer, CLOCK_MONOTONIC,
					 now + NJ_NETWATCH_SETTLE_US, 0, on_settled, w);
	}
	sd_event_source_set_time(w->timer, now + NJ_NETWATCH_SETTLE_US);
	return sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
}

int nj_netwatch_new(sd_event *e, const struct nj_netwatch_group *keep, nj_netwatch_fn fn,
		    void *userdata, struct nj_netwatch **ret)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		/* routes too: a route for the group may come after the link */
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
			     RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
	};
	struct nj_netwatch *w = calloc(1, sizeof(*w));
	int r;

	if (w == NULL) {
		return -ENOMEM;
	}
	w->event = e;
	w->fn = fn;
	w->userdata = userdata;
	if (keep != NULL) {
		w->keeping = true;
		w->keep = *keep;
		w->group = *keep->group;
		w->keep.group = &w->group;
	}
	/* watch first, then join: a change in between is not missed */
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
	} else {
		r = sd_event_add_io(e, &w->io, w->fd, EPOLLIN, on_netlink, w);
	}
	join(w, false);
	if (r < 0) {
		log_warn("no netlink (%s): %s is not joined again when the network changes",
			 strerror(-r), keep ? keep->what : "nothing");
		/* the group stays joined as it is; nothing more to watch */
		sd_event_source_disable_unref(w->io);
		w->io = NULL;
	}
	*ret = w;
	return 0;
}

bool nj_netwatch_joined(const struct nj_netwatch *w)
{
	return w != NULL && w->joined;
}

unsigned long long nj_netwatch_changes(const struct nj_netwatch *w)
{
	return w != NULL ? w->changes : 0;
}

void nj_netwatch_free(struct nj_netwatch *w)
{
	if (w == NULL) {
		return;
	}
	sd_event_source_disable_unref(w->io);
	sd_event_source_disable_unref(w->timer);
	if (w->fd >= 0) {
		close(w->fd);
	}
	free(w);
}
