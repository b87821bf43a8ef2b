/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnssd.h - DNS-SD over avahi-client, run on an sd-event loop.
 *
 * One nj_dnssd is one avahi client: it publishes at most one service and runs
 * any number of browsers. avahi runs on the caller's sd-event loop through an
 * AvahiPoll adapter (never on a real-time thread). Without avahi-daemon (or
 * without D-Bus) it logs once and keeps trying in the background; when the
 * daemon restarts, the service is published again and the browsers start over
 * (the callers get "removed" for everything they were told of).
 *
 * Service types (documented in the README):
 *   _netjack2._udp        a master; port = its discovery UDP port
 *   _netjack2-slave._udp  a slave;  port = its session UDP port
 */
#ifndef NJ_DNSSD_H
#define NJ_DNSSD_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define NJ_DNSSD_MASTER_TYPE "_netjack2._udp"
#define NJ_DNSSD_SLAVE_TYPE "_netjack2-slave._udp"
#define NJ_DNSSD_JACKTRIP_TYPE "_jacktrip._tcp" /* netjack-master --jacktrip: a JackTrip hub */
#define NJ_DNSSD_NETONE_SLAVE_TYPE "_netjack1-slave._udp" /* netjack-slave --protocol netone */
#define NJ_DNSSD_TXT_MAX 16
#define NJ_DNSSD_TXT_LEN 96

struct nj_dnssd;

/** A resolved service. txt[] holds "key=value" strings. */
struct nj_dnssd_found {
	char name[64];     /* the instance name (what users see) */
	char type[32];
	char host[128];    /* host name, e.g. host1.local */
	char addr[64];     /* numeric address (IPv6 link-local: with %scope) */
	int family;        /* AF_INET or AF_INET6 */
	int ifindex;
	uint16_t port;
	unsigned ntxt;
	char txt[NJ_DNSSD_TXT_MAX][NJ_DNSSD_TXT_LEN];
};

struct nj_dnssd_browse_ops {
	/* resolved (again, when its records change) */
	void (*found)(void *ud, const struct nj_dnssd_found *f);
	/* gone: name, type, ifindex and family are set */
	void (*removed)(void *ud, const struct nj_dnssd_found *f);
	/* the first answers are in (optional) */
	void (*all_for_now)(void *ud);
};

/**
 * nj_dnssd_new - an avahi client on @e. @quiet: do not log (tools). Never
 * fails because avahi is missing; only on memory. 0 or a negative errno.
 */
int nj_dnssd_new(sd_event *e, bool quiet, struct nj_dnssd **ret);
void nj_dnssd_free(struct nj_dnssd *d);

/** nj_dnssd_running - connected to avahi-daemon right now. */
bool nj_dnssd_running(const struct nj_dnssd *d);

/**
 * nj_dnssd_publish - publish (or update) our one service. @txt: @ntxt
 * "key=value" strings. A name collision picks avahi's alternative name
 * (logged). Only the TXT changed: the records are updated in place.
 * 0 or a negative errno (-EINVAL for a bad argument); avahi errors are logged
 * and retried on the next reconnect.
 */
int nj_dnssd_publish(struct nj_dnssd *d, const char *type, const char *name, uint16_t port,
		     const char *const *txt, unsigned ntxt);

/**
 * nj_dnssd_browse - browse @type; resolve each instance to an address of
 * @family (AF_INET, AF_INET6 or AF_UNSPEC for both). The browser lives as
 * long as @d. 0 or a negative errno.
 */
int nj_dnssd_browse(struct nj_dnssd *d, const char *type, int family,
		    const struct nj_dnssd_browse_ops *ops, void *ud);

/** TXT records being assembled ("key=value" each). */
struct nj_txt {
	unsigned n;
	char t[NJ_DNSSD_TXT_MAX][NJ_DNSSD_TXT_LEN];
};

/** nj_txt_init - start with txtvers=1. */
void nj_txt_init(struct nj_txt *t);

/** nj_txt_add - one more record (a full set drops it). */
void nj_txt_add(struct nj_txt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** nj_dnssd_publish_txt - nj_dnssd_publish() with @t, version= appended. */
int nj_dnssd_publish_txt(struct nj_dnssd *d, const char *type, const char *name, uint16_t port,
			 struct nj_txt *t);

/**
 * nj_dnssd_txt_uint - the value of @key in @f's TXT as a number in
 * [0, @max]: false if it is missing or not such a number (peer input).
 */
bool nj_dnssd_txt_uint(const struct nj_dnssd_found *f, const char *key, unsigned max,
		       unsigned *ret);

/** nj_dnssd_txt - the value of @key in @f's TXT, or NULL. */
const char *nj_dnssd_txt(const struct nj_dnssd_found *f, const char *key);

#endif
