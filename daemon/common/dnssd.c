/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnssd.c - avahi-client on sd-event: an AvahiPoll adapter, one published
 * service, browsers with resolvers kept open (so TXT changes are seen), and a
 * client that comes back by itself after avahi-daemon restarts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/watch.h>

#include "dnssd.h"
#include "log.h"

#define RETRY_US 5000000 /* avahi-client could not be created (no D-Bus): try again */

/* ------------------------------------------------------ the poll adapter */

struct AvahiWatch {
	sd_event_source *src;
	AvahiWatchCallback cb;
	void *ud;
	AvahiWatchEvent happened;
};

struct AvahiTimeout {
	sd_event_source *src;
	AvahiTimeoutCallback cb;
	void *ud;
};

static uint32_t to_epoll(AvahiWatchEvent ev)
{
	return (ev & AVAHI_WATCH_IN ? EPOLLIN : 0) | (ev & AVAHI_WATCH_OUT ? EPOLLOUT : 0) |
	       (ev & AVAHI_WATCH_ERR ? EPOLLERR : 0) | (ev & AVAHI_WATCH_HUP ? EPOLLHUP : 0);
}

static AvahiWatchEvent from_epoll(uint32_t ev)
{
	return (ev & EPOLLIN ? AVAHI_WATCH_IN : 0) | (ev & EPOLLOUT ? AVAHI_WATCH_OUT : 0) |
	       (ev & EPOLLERR ? AVAHI_WATCH_ERR : 0) | (ev & EPOLLHUP ? AVAHI_WATCH_HUP : 0);
}

static int watch_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	AvahiWatch *w = ud;

	w->happened = from_epoll(revents);
	w->cb(w, fd, w->happened, w->ud); /* may free w */
	return 0;
}

static AvahiWatch *watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent event,
			     AvahiWatchCallback cb, void *ud)
{
	AvahiWatch *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		return NULL;
	}
	w->cb = cb;
	w->ud = ud;
	if (sd_event_add_io(api->userdata, &w->src, fd, to_epoll(event), watch_io, w) < 0) {
		free(w);
		return NULL;
	}
	return w;
}

static void watch_update(AvahiWatch *w, AvahiWatchEvent event)
{
	sd_event_source_set_io_events(w->src, to_epoll(event));
}

static AvahiWatchEvent watch_get_events(AvahiWatch *w)
{
	return w->happened;
}

static void watch_free(AvahiWatch *w)
{
	sd_event_source_disable_unref(w->src);
	free(w);
}

static int timeout_fire(sd_event_source *s, uint64_t usec, void *ud)
{
	AvahiTimeout *t = ud;

	sd_event_source_set_enabled(s, SD_EVENT_OFF);
	t->cb(t, t->ud); /* may free t */
	return 0;
}

static void timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	if (tv == NULL) {
		sd_event_source_set_enabled(t->src, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(t->src, (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec);
	sd_event_source_set_enabled(t->src, SD_EVENT_ONESHOT);
}

static AvahiTimeout *timeout_new(const AvahiPoll *api, const struct timeval *tv,
				 AvahiTimeoutCallback cb, void *ud)
{
	AvahiTimeout *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		return NULL;
	}
	t->cb = cb;
	t->ud = ud;
	/* avahi's times are absolute gettimeofday() times */
	if (sd_event_add_time(api->userdata, &t->src, CLOCK_REALTIME, 0, 1000, timeout_fire, t) < 0) {
		free(t);
		return NULL;
	}
	timeout_update(t, tv);
	return t;
}

static void timeout_free(AvahiTimeout *t)
{
	sd_event_source_disable_unref(t->src);
	free(t);
}

/* ------------------------------------------------------------- the object */

struct browser;

struct entry {
	struct entry *next;
	struct browser *br;
	AvahiServiceResolver *res;
	AvahiIfIndex ifindex;
	AvahiProtocol proto;
	char name[64];
	bool reported;
};

struct browser {
	struct browser *next;
	struct nj_dnssd *d;
	char type[32];
	int family;
	const struct nj_dnssd_browse_ops *ops;
	void *ud;
	AvahiServiceBrowser *b;
	struct entry *entries;
	bool all_for_now_told;
};

struct nj_dnssd {
	sd_event *event;
	AvahiPoll poll;
	AvahiClient *client;
	sd_event_source *retry;
	bool quiet;
	bool down_logged;

	/* the published service */
	bool publish;
	char type[32], name[64], cur_name[64];
	uint16_t port;
	unsigned ntxt;
	char txt[NJ_DNSSD_TXT_MAX][NJ_DNSSD_TXT_LEN];
	AvahiEntryGroup *group;
	bool group_added; /* the service is in the group (only the TXT may be updated) */

	struct browser *browsers;
};

#define say(d, level, ...)                                                                         \
	do {                                                                                       \
		if (!(d)->quiet) {                                                                 \
			level(__VA_ARGS__);                                                        \
		}                                                                                  \
	} while (0)

static AvahiProtocol avahi_family(int family)
{
	return family == AF_INET ? AVAHI_PROTO_INET
	       : family == AF_INET6 ? AVAHI_PROTO_INET6
				    : AVAHI_PROTO_UNSPEC;
}

/* ------------------------------------------------------------ publishing */

static AvahiStringList *txt_list(const struct nj_dnssd *d)
{
	AvahiStringList *l = NULL;

	for (unsigned i = d->ntxt; i-- > 0;) {
		l = avahi_string_list_add(l, d->txt[i]);
	}
	return l;
}

static void register_service(struct nj_dnssd *d);

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *ud)
{
	struct nj_dnssd *d = ud;

	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		say(d, log_info, "DNS-SD: published \"%s\" (%s, port %u)", d->cur_name, d->type,
		    d->port);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION: {
		char *alt = avahi_alternative_service_name(d->cur_name);

		say(d, log_notice, "DNS-SD: the name \"%s\" is taken; publishing as \"%s\"",
		    d->cur_name, alt ? alt : "?");
		if (alt != NULL) {
			snprintf(d->cur_name, sizeof(d->cur_name), "%s", alt);
			avahi_free(alt);
		}
		avahi_entry_group_reset(g);
		d->group_added = false;
		register_service(d);
		break;
	}
	case AVAHI_ENTRY_GROUP_FAILURE:
		say(d, log_warn, "DNS-SD: publishing failed: %s",
		    avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
		break;
	default:
		break;
	}
}

static void register_service(struct nj_dnssd *d)
{
	AvahiStringList *l;
	int r;

	if (!d->publish || d->client == NULL ||
	    avahi_client_get_state(d->client) != AVAHI_CLIENT_S_RUNNING) {
		return;
	}
	if (d->group == NULL) {
		d->group = avahi_entry_group_new(d->client, group_cb, d);
		if (d->group == NULL) {
			say(d, log_warn, "DNS-SD: cannot create an entry group: %s",
			    avahi_strerror(avahi_client_errno(d->client)));
			return;
		}
	}
	l = txt_list(d);
	if (d->group_added) {
		r = avahi_entry_group_update_service_txt_strlst(d->group, AVAHI_IF_UNSPEC,
								AVAHI_PROTO_UNSPEC, 0, d->cur_name,
								d->type, NULL, l);
	} else {
		r = avahi_entry_group_add_service_strlst(d->group, AVAHI_IF_UNSPEC,
							 AVAHI_PROTO_UNSPEC, 0, d->cur_name,
							 d->type, NULL, NULL, d->port, l);
		if (r == AVAHI_ERR_COLLISION) {
			avahi_string_list_free(l);
			group_cb(d->group, AVAHI_ENTRY_GROUP_COLLISION, d);
			return;
		}
		if (r >= 0) {
			r = avahi_entry_group_commit(d->group);
		}
		d->group_added = r >= 0;
	}
	avahi_string_list_free(l);
	if (r < 0) {
		say(d, log_warn, "DNS-SD: cannot publish \"%s\": %s", d->cur_name,
		    avahi_strerror(r));
	}
}

int nj_dnssd_publish(struct nj_dnssd *d, const char *type, const char *name, uint16_t port,
		     const char *const *txt, unsigned ntxt)
{
	bool same;

	if (ntxt > NJ_DNSSD_TXT_MAX || strlen(type) >= sizeof(d->type) || name[0] == '\0') {
		return -EINVAL;
	}
	for (unsigned i = 0; i < ntxt; i++) {
		if (strlen(txt[i]) >= NJ_DNSSD_TXT_LEN) {
			return -EINVAL;
		}
	}
	same = d->publish && strcmp(d->type, type) == 0 &&
	       strncmp(d->name, name, sizeof(d->name) - 1) == 0 && d->port == port;
	if (same && ntxt == d->ntxt) {
		bool txt_same = true;

		for (unsigned i = 0; i < ntxt; i++) {
			txt_same &= strcmp(d->txt[i], txt[i]) == 0;
		}
		if (txt_same) {
			return 0;
		}
	}
	if (!same) {
		snprintf(d->type, sizeof(d->type), "%s", type);
		snprintf(d->name, sizeof(d->name), "%s", name);
		snprintf(d->cur_name, sizeof(d->cur_name), "%s", name);
		d->port = port;
		if (d->group != NULL) {
			avahi_entry_group_reset(d->group);
		}
		d->group_added = false;
	}
	for (unsigned i = 0; i < ntxt; i++) {
		snprintf(d->txt[i], sizeof(d->txt[i]), "%s", txt[i]);
	}
	d->ntxt = ntxt;
	d->publish = true;
	register_service(d);
	return 0;
}

/* -------------------------------------------------------------- browsing */

static void fill_head(struct nj_dnssd_found *f, const struct entry *e)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", e->name);
	snprintf(f->type, sizeof(f->type), "%s", e->br->type);
	f->ifindex = e->ifindex;
	f->family = e->proto == AVAHI_PROTO_INET6 ? AF_INET6 : AF_INET;
}

static void entry_drop(struct entry *e, bool tell)
{
	if (tell && e->reported && e->br->ops->removed != NULL) {
		struct nj_dnssd_found f;

		fill_head(&f, e);
		e->br->ops->removed(e->br->ud, &f);
	}
	if (e->res != NULL) {
		avahi_service_resolver_free(e->res);
	}
	free(e);
}

static void resolve_cb(AvahiServiceResolver *r, AvahiIfIndex ifindex, AvahiProtocol proto,
		       AvahiResolverEvent event, const char *name, const char *type,
		       const char *domain, const char *host, const AvahiAddress *a, uint16_t port,
		       AvahiStringList *txt, AvahiLookupResultFlags flags, void *ud)
{
	struct entry *e = ud;
	struct nj_dnssd_found f;

	if (event != AVAHI_RESOLVER_FOUND || a == NULL) {
		return; /* it stays listed as unresolved; the browser's REMOVE frees it */
	}
	fill_head(&f, e);
	snprintf(f.host, sizeof(f.host), "%s", host ? host : "");
	f.port = port;
	f.family = a->proto == AVAHI_PROTO_INET6 ? AF_INET6 : AF_INET;
	if (f.family == AF_INET) {
		inet_ntop(AF_INET, &a->data.ipv4.address, f.addr, sizeof(f.addr));
	} else {
		char ifname[IF_NAMESIZE];
		size_t n;

		inet_ntop(AF_INET6, a->data.ipv6.address, f.addr, sizeof(f.addr));
		/* a link-local address means nothing without its interface */
		if (a->data.ipv6.address[0] == 0xfe && (a->data.ipv6.address[1] & 0xc0) == 0x80 &&
		    if_indextoname((unsigned)ifindex, ifname) != NULL) {
			n = strlen(f.addr);
			snprintf(f.addr + n, sizeof(f.addr) - n, "%%%s", ifname);
		}
	}
	for (AvahiStringList *l = txt; l != NULL && f.ntxt < NJ_DNSSD_TXT_MAX; l = l->next) {
		size_t n = l->size < NJ_DNSSD_TXT_LEN - 1 ? l->size : NJ_DNSSD_TXT_LEN - 1;

		memcpy(f.txt[f.ntxt], l->text, n);
		f.txt[f.ntxt][n] = '\0';
		f.ntxt++;
	}
	e->reported = true;
	e->br->ops->found(e->br->ud, &f);
}

static void browse_cb(AvahiServiceBrowser *b, AvahiIfIndex ifindex, AvahiProtocol proto,
		      AvahiBrowserEvent event, const char *name, const char *type,
		      const char *domain, AvahiLookupResultFlags flags, void *ud)
{
	struct browser *br = ud;
	struct entry **pp, *e;

	switch (event) {
	case AVAHI_BROWSER_NEW:
		for (e = br->entries; e != NULL; e = e->next) {
			if (e->ifindex == ifindex && e->proto == proto && strcmp(e->name, name) == 0) {
				return;
			}
		}
		e = calloc(1, sizeof(*e));
		if (e == NULL) {
			return;
		}
		e->br = br;
		e->ifindex = ifindex;
		e->proto = proto;
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->res = avahi_service_resolver_new(avahi_service_browser_get_client(b), ifindex,
						    proto, name, type, domain,
						    br->family == AF_UNSPEC ? proto
									    : avahi_family(br->family),
						    0, resolve_cb, e);
		if (e->res == NULL) {
			free(e);
			return;
		}
		e->next = br->entries;
		br->entries = e;
		break;
	case AVAHI_BROWSER_REMOVE:
		for (pp = &br->entries; *pp != NULL; pp = &(*pp)->next) {
			e = *pp;
			if (e->ifindex == ifindex && e->proto == proto && strcmp(e->name, name) == 0) {
				*pp = e->next;
				entry_drop(e, true);
				break;
			}
		}
		break;
	case AVAHI_BROWSER_ALL_FOR_NOW:
		if (!br->all_for_now_told && br->ops->all_for_now != NULL) {
			br->all_for_now_told = true;
			br->ops->all_for_now(br->ud);
		}
		break;
	case AVAHI_BROWSER_FAILURE:
		say(br->d, log_warn, "DNS-SD: browsing %s failed: %s", br->type,
		    avahi_strerror(avahi_client_errno(avahi_service_browser_get_client(b))));
		break;
	default:
		break;
	}
}

static void browser_start(struct nj_dnssd *d, struct browser *br)
{
	if (br->b != NULL || d->client == NULL ||
	    avahi_client_get_state(d->client) != AVAHI_CLIENT_S_RUNNING) {
		return;
	}
	br->b = avahi_service_browser_new(d->client, AVAHI_IF_UNSPEC, avahi_family(br->family),
					  br->type, NULL, 0, browse_cb, br);
	if (br->b == NULL) {
		say(d, log_warn, "DNS-SD: cannot browse %s: %s", br->type,
		    avahi_strerror(avahi_client_errno(d->client)));
	}
}

/* Stop @br and forget what it found (@tell: tell the caller it is gone). */
static void browser_reset(struct browser *br, bool tell)
{
	if (br->b != NULL) {
		avahi_service_browser_free(br->b);
		br->b = NULL;
	}
	while (br->entries != NULL) {
		struct entry *e = br->entries;

		br->entries = e->next;
		entry_drop(e, tell);
	}
	br->all_for_now_told = false;
}

int nj_dnssd_browse(struct nj_dnssd *d, const char *type, int family,
		    const struct nj_dnssd_browse_ops *ops, void *ud)
{
	struct browser *br = calloc(1, sizeof(*br));

	if (br == NULL) {
		return -ENOMEM;
	}
	if (strlen(type) >= sizeof(br->type) || ops == NULL || ops->found == NULL) {
		free(br);
		return -EINVAL;
	}
	br->d = d;
	snprintf(br->type, sizeof(br->type), "%s", type);
	br->family = family;
	br->ops = ops;
	br->ud = ud;
	br->next = d->browsers;
	d->browsers = br;
	browser_start(d, br);
	return 0;
}

const char *nj_dnssd_txt(const struct nj_dnssd_found *f, const char *key)
{
	size_t n = strlen(key);

	for (unsigned i = 0; i < f->ntxt; i++) {
		if (strncmp(f->txt[i], key, n) == 0 && f->txt[i][n] == '=') {
			return f->txt[i] + n + 1;
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- client */

static void drop_client(struct nj_dnssd *d, bool tell)
{
	if (d->client == NULL) {
		return;
	}
	for (struct browser *br = d->browsers; br != NULL; br = br->next) {
		browser_reset(br, tell);
	}
	if (d->group != NULL) {
		avahi_entry_group_free(d->group);
		d->group = NULL;
	}
	d->group_added = false;
	avahi_client_free(d->client);
	d->client = NULL;
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *ud)
{
	struct nj_dnssd *d = ud;

	d->client = c; /* the first call comes before avahi_client_new() returns */
	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		if (d->down_logged) {
			say(d, log_notice, "DNS-SD: avahi-daemon is there now");
			d->down_logged = false;
		}
		register_service(d);
		for (struct browser *br = d->browsers; br != NULL; br = br->next) {
			browser_start(d, br);
		}
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		/* the host name changes: withdraw, publish again once running */
		if (d->group != NULL) {
			avahi_entry_group_reset(d->group);
		}
		d->group_added = false;
		break;
	case AVAHI_CLIENT_CONNECTING:
		if (!d->down_logged) {
			say(d, log_notice, "DNS-SD: avahi-daemon is not running; waiting for it "
					   "(multicast discovery is not affected)");
			d->down_logged = true;
		}
		break;
	case AVAHI_CLIENT_FAILURE:
		/* avahi-daemon went away (or D-Bus did): start over, it comes back
		 * in CONNECTING until the daemon is there again */
		if (!d->down_logged) {
			say(d, log_notice, "DNS-SD: lost avahi-daemon (%s); reconnecting",
			    avahi_strerror(avahi_client_errno(c)));
			d->down_logged = true;
		}
		sd_event_source_set_time(d->retry, 0);
		sd_event_source_set_enabled(d->retry, SD_EVENT_ONESHOT);
		break;
	default:
		break;
	}
}

static void start_client(struct nj_dnssd *d)
{
	int err = 0;
	AvahiClient *c;

	c = avahi_client_new(&d->poll, AVAHI_CLIENT_NO_FAIL, client_cb, d, &err);
	if (c == NULL) {
		d->client = NULL;
		if (!d->down_logged) {
			say(d, log_notice, "DNS-SD unavailable (%s); trying again every %d s "
					   "(multicast discovery is not affected)",
			    avahi_strerror(err), RETRY_US / 1000000);
			d->down_logged = true;
		}
		sd_event_source_set_time_relative(d->retry, RETRY_US);
		sd_event_source_set_enabled(d->retry, SD_EVENT_ONESHOT);
		return;
	}
	d->client = c;
}

static int retry_cb(sd_event_source *s, uint64_t usec, void *ud)
{
	struct nj_dnssd *d = ud;

	drop_client(d, true);
	start_client(d);
	return 0;
}

int nj_dnssd_new(sd_event *e, bool quiet, struct nj_dnssd **ret)
{
	struct nj_dnssd *d = calloc(1, sizeof(*d));
	int r;

	if (d == NULL) {
		return -ENOMEM;
	}
	d->event = sd_event_ref(e);
	d->quiet = quiet;
	d->poll = (AvahiPoll){
		.userdata = e,
		.watch_new = watch_new,
		.watch_update = watch_update,
		.watch_get_events = watch_get_events,
		.watch_free = watch_free,
		.timeout_new = timeout_new,
		.timeout_update = timeout_update,
		.timeout_free = timeout_free,
	};
	r = sd_event_add_time(e, &d->retry, CLOCK_MONOTONIC, 0, 100000, retry_cb, d);
	if (r < 0) {
		nj_dnssd_free(d);
		return r;
	}
	sd_event_source_set_enabled(d->retry, SD_EVENT_OFF);
	start_client(d);
	*ret = d;
	return 0;
}

bool nj_dnssd_running(const struct nj_dnssd *d)
{
	return d->client != NULL && avahi_client_get_state(d->client) == AVAHI_CLIENT_S_RUNNING;
}

void nj_dnssd_free(struct nj_dnssd *d)
{
	if (d == NULL) {
		return;
	}
	drop_client(d, false);
	while (d->browsers != NULL) {
		struct browser *br = d->browsers;

		d->browsers = br->next;
		free(br);
	}
	sd_event_source_disable_unref(d->retry);
	sd_event_unref(d->event);
	free(d);
}

