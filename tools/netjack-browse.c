/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netjack-browse - list the netjack and netJACK2 masters and slaves that
 * DNS-SD (avahi) sees on the network, with their TXT records: a table, or
 * --json; --watch keeps going and prints every change as it happens.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "../daemon/common/ctl.h"
#include "../daemon/common/dnssd.h"

#define MAX_SERVICES 256

/* One service instance: the same name seen over IPv4 and IPv6 is one row. */
struct svc {
	bool used;
	struct nj_dnssd_found v4, v6;
	bool has_v4, has_v6;
};

struct browse {
	sd_event *e;
	bool json, watch;
	int family;
	unsigned all_for_now; /* 0 waiting, 1 settling, 2 printing every change */
	unsigned answered;    /* browsers that said "all for now" */
	struct svc svc[MAX_SERVICES];
};

#define BROWSED_TYPES 3 /* netJACK2 masters and slaves, JackTrip hubs */

static bool is_master(const char *type)
{
	return strcmp(type, NJ_DNSSD_MASTER_TYPE) == 0 || strcmp(type, NJ_DNSSD_JACKTRIP_TYPE) == 0;
}

static const char *role_of(const char *type)
{
	return is_master(type) ? "master" : "slave";
}

/* What a peer of this record speaks: a JackTrip hub, or netJACK2. */
static const char *protocol_of(const char *type)
{
	return strcmp(type, NJ_DNSSD_JACKTRIP_TYPE) == 0 ? "jacktrip" : "netjack2";
}

static struct svc *find(struct browse *b, const struct nj_dnssd_found *f, bool create)
{
	struct svc *free_slot = NULL;

	for (unsigned i = 0; i < MAX_SERVICES; i++) {
		struct svc *s = &b->svc[i];
		const struct nj_dnssd_found *k = s->has_v4 ? &s->v4 : &s->v6;

		if (s->used && strcmp(k->name, f->name) == 0 && strcmp(k->type, f->type) == 0) {
			return s;
		}
		if (!s->used && free_slot == NULL) {
			free_slot = s;
		}
	}
	return create ? free_slot : NULL;
}

static void json_txt(struct nj_buf *o, const struct nj_dnssd_found *f)
{
	nj_buf_printf(o, "{");
	for (unsigned i = 0; i < f->ntxt; i++) {
		const char *eq = strchr(f->txt[i], '=');
		char key[NJ_DNSSD_TXT_LEN];

		snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - f->txt[i]) : (int)strlen(f->txt[i]),
			 f->txt[i]);
		nj_buf_printf(o, "%s", i ? "," : "");
		nj_buf_json_str(o, key);
		nj_buf_printf(o, ":");
		nj_buf_json_str(o, eq ? eq + 1 : "");
	}
	nj_buf_printf(o, "}");
}

static void json_svc(struct nj_buf *o, const struct svc *s)
{
	const struct nj_dnssd_found *f = s->has_v4 ? &s->v4 : &s->v6;

	nj_buf_printf(o, "{\"role\":\"%s\",\"protocol\":\"%s\",\"name\":", role_of(f->type),
		      protocol_of(f->type));
	nj_buf_json_str(o, f->name);
	nj_buf_printf(o, ",\"type\":\"%s\",\"host\":", f->type);
	nj_buf_json_str(o, f->host);
	nj_buf_printf(o, ",\"port\":%u,\"addresses\":[", f->port);
	if (s->has_v4) {
		nj_buf_json_str(o, s->v4.addr);
	}
	if (s->has_v6) {
		nj_buf_printf(o, "%s", s->has_v4 ? "," : "");
		nj_buf_json_str(o, s->v6.addr);
	}
	nj_buf_printf(o, "],\"txt\":");
	json_txt(o, f);
	nj_buf_printf(o, "}");
}

/* The TXT fields worth a column, by role. */
static void summary(char *buf, size_t n, const struct nj_dnssd_found *f)
{
	static const char *const mkeys[] = {"rate", "period", "slaves", "max_slaves", "auth", NULL};
	static const char *const skeys[] = {"state", "master", "encoder", "latency", NULL};
	const char *const *keys = strcmp(role_of(f->type), "master") == 0 ? mkeys : skeys;
	size_t l = 0;

	buf[0] = '\0';
	for (unsigned i = 0; keys[i] != NULL && l < n; i++) {
		const char *v = nj_dnssd_txt(f, keys[i]);

		if (v != NULL) {
			l += (size_t)snprintf(buf + l, n - l, "%s%s=%s", l ? " " : "", keys[i], v);
		}
	}
}

static void print_row(const struct svc *s, const char *mark)
{
	const struct nj_dnssd_found *f = s->has_v4 ? &s->v4 : &s->v6;
	char addrs[160], sum[256];

	snprintf(addrs, sizeof(addrs), "%s%s%s", s->has_v4 ? s->v4.addr : "",
		 s->has_v4 && s->has_v6 ? "," : "", s->has_v6 ? s->v6.addr : "");
	summary(sum, sizeof(sum), f);
	printf("%s%-7s %-9s %-24s %-24s %-40s %5u  %s\n", mark, role_of(f->type),
	       protocol_of(f->type), f->name, f->host, addrs, f->port, sum);
}

static void print_all(struct browse *b)
{
	struct nj_buf o = {0};
	unsigned n = 0;

	if (b->json) {
		nj_buf_printf(&o, "{\"masters\":[");
		for (int pass = 0; pass < 2; pass++) {
			bool first = true;

			if (pass == 1) {
				nj_buf_printf(&o, "],\"slaves\":[");
			}
			for (unsigned i = 0; i < MAX_SERVICES; i++) {
				const struct svc *s = &b->svc[i];
				const struct nj_dnssd_found *f = s->has_v4 ? &s->v4 : &s->v6;

				if (!s->used || is_master(f->type) != (pass == 0)) {
					continue;
				}
				nj_buf_printf(&o, "%s", first ? "" : ",");
				first = false;
				json_svc(&o, s);
			}
		}
		nj_buf_printf(&o, "]}\n");
		fwrite(o.data, 1, o.len, stdout);
		nj_buf_free(&o);
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < MAX_SERVICES; i++) {
			const struct svc *s = &b->svc[i];
			const struct nj_dnssd_found *f = s->has_v4 ? &s->v4 : &s->v6;

			if (!s->used || is_master(f->type) != (pass == 0)) {
				continue;
			}
			if (n++ == 0) {
				printf("%-7s %-9s %-24s %-24s %-40s %5s  %s\n", "ROLE", "PROTOCOL",
				       "NAME", "HOST", "ADDRESSES", "PORT", "RECORDS");
			}
			print_row(s, "");
		}
	}
	if (n == 0) {
		printf("no netjack masters or slaves found\n");
	}
}

static void event(struct browse *b, const struct svc *s, const struct nj_dnssd_found *gone)
{
	if (!b->watch || b->all_for_now < 2) {
		return; /* the first answers are printed together */
	}
	if (b->json) {
		struct nj_buf o = {0};

		if (gone != NULL) {
			nj_buf_printf(&o, "{\"event\":\"removed\",\"role\":\"%s\",\"name\":",
				      role_of(gone->type));
			nj_buf_json_str(&o, gone->name);
			nj_buf_printf(&o, "}\n");
		} else {
			nj_buf_printf(&o, "{\"event\":\"found\",\"service\":");
			json_svc(&o, s);
			nj_buf_printf(&o, "}\n");
		}
		fwrite(o.data, 1, o.len, stdout);
		nj_buf_free(&o);
	} else if (gone != NULL) {
		printf("- %-7s %s\n", role_of(gone->type), gone->name);
	} else {
		print_row(s, "+ ");
	}
	fflush(stdout);
}

static bool is_loopback(const struct nj_dnssd_found *f)
{
	return strncmp(f->addr, "127.", 4) == 0 || strcmp(f->addr, "::1") == 0;
}

static void on_found(void *ud, const struct nj_dnssd_found *f)
{
	struct browse *b = ud;
	struct svc *s = find(b, f, true);

	if (s == NULL) {
		return;
	}
	s->used = true;
	/* a service of this host shows up on the loopback too: keep the
	 * address others reach it by */
	if (f->family == AF_INET6) {
		if (!s->has_v6 || !is_loopback(f) || is_loopback(&s->v6)) {
			s->v6 = *f;
		}
		s->has_v6 = true;
	} else {
		if (!s->has_v4 || !is_loopback(f) || is_loopback(&s->v4)) {
			s->v4 = *f;
		}
		s->has_v4 = true;
	}
	event(b, s, NULL);
}

static void on_removed(void *ud, const struct nj_dnssd_found *f)
{
	struct browse *b = ud;
	struct svc *s = find(b, f, false);

	if (s == NULL) {
		return;
	}
	if (f->family == AF_INET6) {
		s->has_v6 = false;
	} else {
		s->has_v4 = false;
	}
	if (!s->has_v4 && !s->has_v6) {
		s->used = false;
		event(b, s, f);
	}
}

static int settle_cb(sd_event_source *es, uint64_t usec, void *ud)
{
	struct browse *b = ud;

	print_all(b);
	fflush(stdout);
	if (!b->watch) {
		sd_event_exit(b->e, 0);
	} else {
		b->all_for_now = 2; /* from here every change is printed */
	}
	return 0;
}

static void on_all_for_now(void *ud)
{
	struct browse *b = ud;

	/* every type answered: give the resolvers a moment, then print */
	if (++b->answered == BROWSED_TYPES && b->all_for_now == 0) {
		b->all_for_now = 1;
		sd_event_add_time_relative(b->e, NULL, CLOCK_MONOTONIC, 500000, 10000, settle_cb, b);
	}
}

static const struct nj_dnssd_browse_ops ops = {on_found, on_removed, on_all_for_now};

static int timeout_cb(sd_event_source *es, uint64_t usec, void *ud)
{
	struct browse *b = ud;

	if (b->all_for_now < 2) {
		settle_cb(es, usec, ud);
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: netjack-browse [OPTIONS]\n"
		     "List the netjack/netJACK2 masters and slaves DNS-SD sees on the network.\n\n"
		     "  -j, --json         JSON (with --watch: one event per line)\n"
		     "  -w, --watch        keep going and print each change\n"
		     "  -4, --ipv4         IPv4 addresses only\n"
		     "  -6, --ipv6         IPv6 addresses only\n"
		     "  -t, --timeout SEC  print what was found by then (default 3)\n"
		     "  -h, --help         this text\n"
		     "  -V, --version      the version\n\n"
		     "Needs a running avahi-daemon. Exit status: 0 listed, 2 bad usage or no "
		     "avahi-daemon.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},   {"watch", no_argument, NULL, 'w'},
		{"ipv4", no_argument, NULL, '4'},   {"ipv6", no_argument, NULL, '6'},
		{"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
	struct browse *b = calloc(1, sizeof(*b));
	struct nj_dnssd *d = NULL;
	double timeout = 3;
	sigset_t mask;
	char *end;
	int c, r;

	if (b == NULL) {
		return 2;
	}
	b->family = AF_UNSPEC;
	while ((c = getopt_long(argc, argv, "jw46t:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			b->json = true;
			break;
		case 'w':
			b->watch = true;
			break;
		case '4':
			b->family = AF_INET;
			break;
		case '6':
			b->family = AF_INET6;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (*end != '\0' || !(timeout > 0 && timeout <= 3600)) {
				fprintf(stderr, "netjack-browse: --timeout: \"%s\" is not 0-3600 "
						"seconds\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("netjack-browse %s\n", NETJACK_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r = sd_event_default(&b->e);
	if (r >= 0) {
		sd_event_add_signal(b->e, NULL, SIGTERM, NULL, NULL);
		sd_event_add_signal(b->e, NULL, SIGINT, NULL, NULL);
		r = nj_dnssd_new(b->e, true, &d);
	}
	if (r >= 0) {
		r = nj_dnssd_browse(d, NJ_DNSSD_MASTER_TYPE, b->family, &ops, b);
	}
	if (r >= 0) {
		r = nj_dnssd_browse(d, NJ_DNSSD_SLAVE_TYPE, b->family, &ops, b);
	}
	if (r >= 0) {
		r = nj_dnssd_browse(d, NJ_DNSSD_JACKTRIP_TYPE, b->family, &ops, b);
	}
	if (r >= 0) {
		r = sd_event_add_time_relative(b->e, NULL, CLOCK_MONOTONIC,
					       (uint64_t)(timeout * 1e6), 10000, timeout_cb, b);
	}
	if (r < 0) {
		fprintf(stderr, "netjack-browse: %s\n", strerror(-r));
		return 2;
	}
	if (!nj_dnssd_running(d)) {
		/* the client connects synchronously: not running = no daemon */
		fprintf(stderr, "netjack-browse: avahi-daemon is not running (DNS-SD is off)\n");
		if (!b->watch) {
			return 2;
		}
	}
	r = sd_event_loop(b->e);
	nj_dnssd_free(d);
	sd_event_unref(b->e);
	free(b);
	return r < 0 ? 2 : 0;
}
