/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * join-nj2.c - netJACK2 on netjack-slave: the UDP socket, the libnetproto
 * slave machine (discovery, SLAVE_SETUP, START_MASTER, timeouts), where the
 * announcements go (a master found by DNS-SD, the multicast group, or the
 * one given), and our own _netjack2-slave._udp record. The session itself
 * runs on the core's network runner; between sessions this file reads the
 * socket on the main loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnetproto/audio.h>
#include <libnetproto/auth.h>
#include <libnetproto/nj2-exchange.h>
#include <libnetproto/opus.h>
#include <libnetproto/session.h>

#include "../common/clock.h"
#include "../common/dnssd.h"
#include "../common/log.h"
#include "../common/netwatch.h"
#include "join-nj2.h"
#include "pick.h"

#define DNSSD_WAIT_US 2000000 /* --discovery both: DNS-SD gets this long before multicast */
#define MAX_FOUND 32

enum dest_mode { DEST_WAIT, DEST_GROUP, DEST_DNSSD, DEST_UNICAST };

struct joiner {
	struct slave *s;
	const struct slave_config *cfg;
	struct nj2_slave *fsm;
	int fd;
	sd_event_source *io, *timer, *fallback, *rechoose;
	bool joined;
	struct nj_sockaddr master; /* of the session */

	enum dest_mode dest_mode;
	struct nj_sockaddr dest, group;
	struct nj_dnssd *dnssd;
	bool fallback_passed;
	bool announce_now;         /* the destination changed: announce at once */
	struct found_master found[MAX_FOUND];
	char chosen[64];
	struct nj2_auth auth;      /* with --psk-file */
	struct nj_netwatch *watch; /* the network changed: announce at once */
	int if_err;                /* --interface not there (logged once) */
};

static const char *const discovery_names[] = {"both", "multicast", "dnssd"};

static void publish_self(struct joiner *j);

/* ------------------------------------------------------------- timers */

static void arm(struct joiner *j)
{
	uint64_t d = nj2_slave_next_deadline(j->fsm);

	if (d == NJ_TIME_NEVER) {
		sd_event_source_set_enabled(j->timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(j->timer, d);
	sd_event_source_set_enabled(j->timer, SD_EVENT_ONESHOT);
}

/* Leave and look again, from outside the machine's callbacks. */
static void restart(struct joiner *j)
{
	nj2_slave_stop(j->fsm); /* lost(LOCAL) if a session ran */
	nj2_slave_start(j->fsm, nj_mono_us());
	arm(j);
}

static int on_timer(sd_event_source *es, uint64_t usec, void *ud)
{
	struct joiner *j = ud;
	uint64_t t = slave_last_rx(j->s);

	if (j->joined && t != 0) {
		nj2_slave_alive(j->fsm, t); /* what the runner saw since */
	}
	nj2_slave_timeout(j->fsm, nj_mono_us());
	arm(j);
	return 0;
}

/* --------------------------------------------------- the machine's ops */

static void op_send_discovery(void *ud, const uint8_t *buf, size_t len)
{
	struct joiner *j = ud;
	int r;

	if (j->dest_mode == DEST_WAIT) {
		return; /* DNS-SD has not picked a master yet */
	}
	r = nj_udp_send(j->fd, buf, len, &j->dest);
	if (r < 0) {
		log_debug("announce to %s: %s", slave_addr_text(&j->dest), strerror(-r));
	}
}

static void op_send_peer(void *ud, const uint8_t *buf, size_t len)
{
	struct joiner *j = ud;

	nj_udp_send(j->fd, buf, len, &j->master);
}

static int op_adopted(void *ud, const struct nj_addr *master, const struct nj2_params *p)
{
	struct joiner *j = ud;
	struct join_desc d = {
		.encoder = nj2_encoder_name(p->encoder),
		.id = p->id, .kbps = p->kbps, .mtu = p->mtu, .latency_cycles = p->latency,
		.fd = j->fd,
	};
	int r;

	snprintf(d.master_name, sizeof(d.master_name), "%s", p->master_name);
	nj_sockaddr_from_addr(master, &d.master);
	if (nj2_params_tiled(p) && p->encoder == NJ2_ENCODER_FLOAT) {
		struct nj2_tiles t[2] = {0};

		nj2_float_tiles(nj2_params_layout_mtu(p), (unsigned)p->send_audio, p->period, &t[0]);
		nj2_float_tiles(nj2_params_layout_mtu(p), (unsigned)p->return_audio, p->period, &t[1]);
		log_info("float audio in tiles that fit the MTU (%u): %u packets a cycle from the "
			 "master, %u to it, with every port connected", p->mtu, t[0].n, t[1].n);
	}
	r = nj2_exchange_open_keyed(p, NJ2_ROLE_SLAVE, j->cfg->psk, &d.x);
	if (r < 0) {
		log_err("cannot run the session with %s: cannot allocate the session's buffers: %s",
			slave_addr_text(&d.master), strerror(-r));
		return r;
	}
	nj_udp_set_buffers(j->fd, nj2_socket_buffer_size(p), nj2_socket_buffer_size(p));
	j->master = d.master;
	r = slave_join(j->s, &d);
	if (r < 0) {
		return r; /* the machine announces again */
	}
	/* from here the network runner reads the socket */
	sd_event_source_set_enabled(j->io, SD_EVENT_OFF);
	j->joined = true;
	publish_self(j);
	return 0;
}

static void op_running(void *ud)
{
	log_info("data from the master is flowing");
}

static void op_lost(void *ud, enum nj2_slave_lost_reason why)
{
	static const char *const text[] = {
		[NJ2_LOST_TIMEOUT] = "the master went silent",
		[NJ2_LOST_KILLED] = "the master sent KILL_MASTER",
		[NJ2_LOST_LOCAL] = "ended here",
	};
	struct joiner *j = ud;

	slave_leave(j->s, text[why]);
	j->joined = false;
	sd_event_source_set_enabled(j->io, SD_EVENT_ON);
	publish_self(j);
	sd_event_source_set_enabled(j->rechoose, SD_EVENT_ONESHOT);
}

static void op_rejected(void *ud, const struct nj2_params *setup, int err)
{
	/* anyone can send these: rate-limited */
	static struct nj_ratelimit rl = {.what = "ignored SLAVE_SETUP messages"};

	if (!nj_ratelimit_ok(&rl)) {
		return;
	}
	if (err == -EACCES) {
		log_warn("ignored a SLAVE_SETUP from master \"%s\": its authentication failed "
			 "(another key, or forged)", setup->master_name);
	} else if (err == -EPERM) {
		log_warn("ignored a SLAVE_SETUP from master \"%s\": it does not authenticate, "
			 "and --require-auth is set", setup->master_name);
	} else {
		log_warn("ignored a SLAVE_SETUP from master \"%s\": %s", setup->master_name,
			 strerror(-err));
	}
}

static const struct nj2_slave_ops fsm_ops = {
	.send_discovery = op_send_discovery,
	.send_peer = op_send_peer,
	.adopted = op_adopted,
	.running = op_running,
	.lost = op_lost,
	.rejected = op_rejected,
};

static int socket_rx(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct joiner *j = ud;
	uint8_t buf[NJ2_PARAMS_SIZE + 1];
	struct nj_udp_msg msg = {.buf = buf, .cap = sizeof(buf)};

	for (unsigned i = 0; i < 256 && !j->joined && nj_udp_recvv(fd, &msg, 1) == 1; i++) {
		struct nj_addr from;

		nj_sockaddr_to_addr(&msg.from, &from);
		nj2_slave_rx(j->fsm, buf, msg.truncated ? sizeof(buf) : msg.len, &from, nj_mono_us());
	}
	arm(j);
	return 0;
}

/* ------------------------------------------- DNS-SD: finding, publishing */

/* Our own service: the slave's name, its UDP port and what it is doing. */
static void publish_self(struct joiner *j)
{
	const struct nj2_params *p = j->joined ? nj2_slave_params(j->fsm) : NULL;
	struct nj_sockaddr local;
	struct nj_txt t;

	if (j->dnssd == NULL || nj_udp_local(j->fd, &local) < 0) {
		return;
	}
	nj_txt_init(&t);
	nj_txt_add(&t, "proto=%d", NJ2_PROTOCOL_VERSION);
	nj_txt_add(&t, "role=slave");
	nj_txt_add(&t, "state=%s", p ? "joined" : "looking");
	nj_txt_add(&t, "master=%.64s", p ? p->master_name : "");
	nj_txt_add(&t, "client=%.63s", j->cfg->client_name);
	nj_txt_add(&t, "host=%.64s", slave_host(j->s));
	nj_txt_add(&t, "encoder=%s",
		   nj2_encoder_name(p ? p->encoder : (uint32_t[]){0, 1, 3}[j->cfg->encoder]));
	nj_txt_add(&t, "latency=%d", p ? (int)p->latency : j->cfg->latency);
	nj_dnssd_publish_txt(j->dnssd, NJ_DNSSD_SLAVE_TYPE,
			     j->cfg->name[0] ? j->cfg->name : slave_host(j->s),
			     ntohs(local.u.sa.sa_family == AF_INET ? local.u.in.sin_port
								   : local.u.in6.sin6_port),
			     &t);
}

static bool same_addr(const struct nj_sockaddr *a, const struct nj_sockaddr *b)
{
	struct nj_addr x, y;

	nj_sockaddr_to_addr(a, &x);
	nj_sockaddr_to_addr(b, &y);
	return nj_addr_equal(&x, &y);
}

/* Between sessions: announce to the DNS-SD master of choice, or to the group. */
static void choose_dest(struct joiner *j)
{
	const struct found_master *f;
	unsigned n = 0;
	char a[80];

	if (!j->cfg->auto_discover || j->joined || nj2_slave_state(j->fsm) > NJ2_SLAVE_DISCOVER) {
		return;
	}
	f = j->cfg->discovery == SDISC_MULTICAST
		    ? NULL
		    : pick_master(j->found, MAX_FOUND, j->cfg->master_name, &n);
	if (f != NULL) {
		if (j->dest_mode == DEST_DNSSD && strcmp(j->chosen, f->name) == 0 &&
		    same_addr(&j->dest, &f->addr)) {
			return;
		}
		j->dest = f->addr;
		j->dest_mode = DEST_DNSSD;
		snprintf(j->chosen, sizeof(j->chosen), "%s", f->name);
		log_notice("DNS-SD: chose master \"%s\" at %s (%u found%s)", f->name,
			   nj_sockaddr_format(&f->addr, a, sizeof(a)), n,
			   j->cfg->master_name[0] ? ", by --master-name"
			   : n > 1 ? "; rule: a free slot, then the fewest slaves, then the name"
				   : "");
		j->announce_now = true; /* now, not in up to a second */
		sd_event_source_set_enabled(j->rechoose, SD_EVENT_ONESHOT);
		return;
	}
	j->chosen[0] = '\0';
	if (j->cfg->discovery == SDISC_MULTICAST ||
	    (j->cfg->discovery == SDISC_BOTH && j->fallback_passed)) {
		if (j->dest_mode != DEST_GROUP) {
			j->dest = j->group;
			j->dest_mode = DEST_GROUP;
			j->announce_now = true;
			sd_event_source_set_enabled(j->rechoose, SD_EVENT_ONESHOT);
			log_notice("%s; announcing to the multicast group %s",
				   j->cfg->discovery == SDISC_MULTICAST ? "multicast discovery"
									 : "DNS-SD has no master for us",
				   nj_sockaddr_format(&j->group, a, sizeof(a)));
		}
	} else if (j->dest_mode != DEST_WAIT) {
		j->dest_mode = DEST_WAIT;
		log_notice("DNS-SD: no master to join; waiting for one");
	}
}

static struct found_master *found_slot(struct joiner *j, const struct nj_dnssd_found *f,
				       bool create)
{
	struct found_master *free_slot = NULL;

	for (unsigned i = 0; i < MAX_FOUND; i++) {
		struct found_master *m = &j->found[i];

		if (m->used && strcmp(m->name, f->name) == 0 && m->ifindex == f->ifindex &&
		    m->family == f->family) {
			return m;
		}
		if (!m->used && free_slot == NULL) {
			free_slot = m;
		}
	}
	return create ? free_slot : NULL;
}

static void dnssd_found(void *ud, const struct nj_dnssd_found *f)
{
	struct joiner *j = ud;
	struct found_master *m = found_slot(j, f, true);
	unsigned proto;

	if (m == NULL) {
		return; /* more masters than we keep: the first ones do */
	}
	if (nj_sockaddr_parse(f->addr, f->port, &m->addr) < 0 ||
	    m->addr.u.sa.sa_family != j->group.u.sa.sa_family) {
		return;
	}
	/* peer input: numbers checked, a bad one is as good as none */
	if (nj_dnssd_txt(f, "proto") != NULL &&
	    (!nj_dnssd_txt_uint(f, "proto", 1000, &proto) || proto != NJ2_PROTOCOL_VERSION)) {
		log_info("DNS-SD: master \"%s\" speaks protocol %s, not %d: ignored", f->name,
			 nj_dnssd_txt(f, "proto"), NJ2_PROTOCOL_VERSION);
		return;
	}
	m->used = true;
	snprintf(m->name, sizeof(m->name), "%s", f->name);
	m->ifindex = f->ifindex;
	m->family = f->family;
	if (!nj_dnssd_txt_uint(f, "slaves", 65535, &m->slaves)) {
		m->slaves = 0;
	}
	if (!nj_dnssd_txt_uint(f, "max_slaves", 65535, &m->max_slaves)) {
		m->max_slaves = 0;
	}
	log_debug("DNS-SD: master \"%s\" at %s port %u (%u/%u slaves)", f->name, f->addr, f->port,
		  m->slaves, m->max_slaves);
	choose_dest(j);
}

static void dnssd_removed(void *ud, const struct nj_dnssd_found *f)
{
	struct joiner *j = ud;
	struct found_master *m = found_slot(j, f, false);

	if (m != NULL) {
		m->used = false;
		log_debug("DNS-SD: master \"%s\" is gone", f->name);
		choose_dest(j);
	}
}

static const struct nj_dnssd_browse_ops browse_ops = {
	.found = dnssd_found,
	.removed = dnssd_removed,
};

/* Deferred from the callbacks (the session machine's among them): pick the
 * destination again, and announce at once if it changed. */
static int rechoose_cb(sd_event_source *es, void *ud)
{
	struct joiner *j = ud;

	choose_dest(j);
	if (j->announce_now && nj2_slave_state(j->fsm) == NJ2_SLAVE_DISCOVER) {
		restart(j);
	}
	j->announce_now = false;
	return 0;
}

static int fallback_cb(sd_event_source *es, uint64_t usec, void *ud)
{
	struct joiner *j = ud;

	j->fallback_passed = true;
	choose_dest(j);
	return 0;
}

/* The network changed (or we start): send from --interface, and announce now,
 * not in up to a second, if we are looking for a master. */
static void net_changed(void *ud)
{
	struct joiner *j = ud;
	int r = nj_udp_multicast_if(j->fd, j->dest.u.sa.sa_family, j->cfg->interface);

	if (r < 0 && r != j->if_err) {
		log_warn("--interface %s: %s; announcing on it when it comes", j->cfg->interface,
			 strerror(-r));
	}
	j->if_err = r < 0 ? r : 0;
	if (j->watch != NULL && nj2_slave_state(j->fsm) == NJ2_SLAVE_DISCOVER) {
		restart(j);
	}
}

/* ---------------------------------------------------------- joiner ops */

static void j_start(void *ud)
{
	struct joiner *j = ud;

	nj2_slave_start(j->fsm, nj_mono_us());
	arm(j);
}

static void j_stop(void *ud)
{
	struct joiner *j = ud;

	nj2_slave_stop(j->fsm); /* lost(LOCAL): the session ends */
	arm(j);
}

static void j_rejoin(void *ud, const char *why)
{
	restart(ud);
}

static void j_control(void *ud, const uint8_t *buf, size_t len)
{
	struct joiner *j = ud;
	struct nj_addr from;

	/* a repeated SLAVE_SETUP or a KILL_MASTER, from our master */
	nj_sockaddr_to_addr(&j->master, &from);
	nj2_slave_rx(j->fsm, buf, len, &from, nj_mono_us());
	arm(j);
}

static const char *mode_text(const struct joiner *j)
{
	switch (j->dest_mode) {
	case DEST_WAIT:
		return "DNS-SD (nothing chosen yet)";
	case DEST_GROUP:
		return "the multicast group";
	case DEST_DNSSD:
		return "the DNS-SD master";
	default:
		return "the master given";
	}
}

static void j_status_head(void *ud, struct nj_buf *b, bool json)
{
	struct joiner *j = ud;
	char a[80];
	const char *dest = j->dest_mode == DEST_WAIT ? "" : nj_sockaddr_format(&j->dest, a, sizeof(a));

	if (json) {
		nj_buf_printf(b, ",\"discovery\":\"%s\",\"dnssd\":%s,\"announcing_to\":\"%s\"",
			      j->cfg->auto_discover ? discovery_names[j->cfg->discovery] : "unicast",
			      j->dnssd && nj_dnssd_running(j->dnssd) ? "true" : "false", dest);
	} else {
		nj_buf_printf(b, "no master; announcing to %s%s%s\n", mode_text(j),
			      dest[0] ? " " : "", dest);
	}
}

static void j_free(void *ud)
{
	struct joiner *j = ud;

	if (j == NULL) {
		return;
	}
	nj_netwatch_free(j->watch);
	nj2_slave_free(j->fsm);
	nj_dnssd_free(j->dnssd);
	sd_event_source_disable_unref(j->fallback);
	sd_event_source_disable_unref(j->rechoose);
	sd_event_source_disable_unref(j->io);
	sd_event_source_disable_unref(j->timer);
	if (j->fd >= 0) {
		close(j->fd);
	}
	free(j);
}

static void j_latency(void *ud, uint32_t after, uint32_t before)
{
	struct joiner *j = ud;
	uint8_t buf[NJ2_PARAMS_SIZE];
	int r = nj2_slave_latency_report(j->fsm, after, before, buf, sizeof(buf));

	if (r == NJ2_PARAMS_SIZE) {
		r = nj_udp_send(j->fd, buf, sizeof(buf), &j->master);
		log_debug("told the master we add %u + %u frames%s", after, before,
			  r < 0 ? " (not sent)" : "");
	}
}

static const struct joiner_ops nj2_joiner_ops = {
	.protocol = "netjack2",
	.start = j_start,
	.stop = j_stop,
	.rejoin = j_rejoin,
	.control = j_control,
	.status_head = j_status_head,
	.latency = j_latency,
	.free = j_free,
};

/* ------------------------------------------------------------ lifecycle */

static int open_socket(struct joiner *j)
{
	const struct slave_config *c = j->cfg;
	const char *target = c->auto_discover ? c->multicast_ip : c->master;
	struct nj_udp_opts o;
	struct nj_sockaddr any;

	if (nj_sockaddr_parse(target, (uint16_t)c->port, &j->dest) < 0) {
		log_err("%s: \"%s\" is not a numeric IPv4 or IPv6 address",
			c->auto_discover ? "--multicast-ip" : "--master", target);
		return -EINVAL;
	}
	if (c->auto_discover && !nj_sockaddr_is_multicast(&j->dest)) {
		log_err("--multicast-ip: \"%s\" is not a multicast address", target);
		return -EINVAL;
	}
	j->group = j->dest;
	j->dest_mode = !c->auto_discover                  ? DEST_UNICAST
		       : c->discovery == SDISC_MULTICAST ? DEST_GROUP
							 : DEST_WAIT;
	nj_sockaddr_parse(j->dest.u.sa.sa_family == AF_INET ? "0.0.0.0" : "::", 0, &any);
	nj_udp_opts_init(&o, j->dest.u.sa.sa_family);
	o.bind = &any;
	o.mcast_loop = false;
	o.timestamps = true; /* arrival times for the clock bridge */
	j->fd = nj_udp_open(&o);
	if (j->fd < 0) {
		log_err("cannot open the UDP socket: %s", strerror(-j->fd));
		return j->fd;
	}
	/* the interface may come later (or again, renumbered): the watcher's
	 * first call sets it, every network change sets it again */
	net_changed(j);
	nj_netwatch_new(slave_event(j->s), NULL, net_changed, j, &j->watch);
	return sd_event_add_io(slave_event(j->s), &j->io, j->fd, EPOLLIN, socket_rx, j);
}

static int create_fsm(struct joiner *j)
{
	const struct slave_config *k = j->cfg;
	static const uint32_t enc[] = {NJ2_ENCODER_FLOAT, NJ2_ENCODER_INT16, NJ2_ENCODER_OPUS};
	struct nj2_slave_config c;
	struct nj2_params *o = &c.offer;

	nj2_slave_config_init(&c);
	snprintf(o->name, sizeof(o->name), "%.64s", k->name[0] ? k->name : slave_host(j->s));
	snprintf(o->slave_name, sizeof(o->slave_name), "%s", slave_host(j->s));
	o->mtu = (uint32_t)k->mtu;
	o->send_audio = k->capture;
	o->return_audio = k->playback;
	o->send_midi = k->midi_capture;
	o->return_midi = k->midi_playback;
	o->encoder = enc[k->encoder];
	o->kbps = k->encoder == ENC_OPUS ? (uint32_t)k->kbps : 0;
	o->sync_mode = 1; /* we answer each master cycle at once */
	o->latency = (uint32_t)k->latency;
	c.timeout_us = k->timeout_us;
	c.ext_flags = NJ2_EXT_OPUS_ANY_PERIOD | NJ2_EXT_LATENCY | NJ2_EXT_TILED;
	c.nonce = (uint32_t)nj_mono_us() ^ (uint32_t)getpid();
	c.opus_ok = nj_opus_check;
	c.redundancy = (unsigned)k->redundancy;
	if (k->psk != NULL) {
		nj_psk_nj2_auth(k->psk, &j->auth);
		j->auth.encrypt = k->encrypt;
		j->auth.require = k->require_auth;
		c.auth = &j->auth;
	}
	return nj2_slave_new(&c, &fsm_ops, j, &j->fsm);
}

int nj2_joiner_new(struct slave *s, const struct joiner_ops **ret_ops, void **ret)
{
	struct joiner *j = calloc(1, sizeof(*j));
	sd_event *e = slave_event(s);
	int r;

	if (j == NULL) {
		return -ENOMEM;
	}
	j->s = s;
	j->cfg = slave_cfg(s);
	j->fd = -1;
	r = create_fsm(j);
	if (r < 0) {
		log_err("cannot create the session machine: %s", strerror(-r));
	}
	if (r >= 0) {
		r = open_socket(j);
	}
	if (r >= 0) {
		r = sd_event_add_time(e, &j->timer, CLOCK_MONOTONIC, 0, 1000, on_timer, j);
		if (r >= 0) {
			sd_event_source_set_enabled(j->timer, SD_EVENT_OFF);
		}
	}
	if (r >= 0) {
		r = sd_event_add_defer(e, &j->rechoose, rechoose_cb, j);
		if (r >= 0) {
			sd_event_source_set_enabled(j->rechoose, SD_EVENT_OFF);
		}
	}
	/* DNS-SD: we publish ourselves, and --auto browses for masters */
	if (r >= 0 && j->cfg->discovery != SDISC_MULTICAST) {
		r = nj_dnssd_new(e, false, &j->dnssd);
		if (r >= 0 && j->cfg->auto_discover) {
			r = nj_dnssd_browse(j->dnssd, NJ_DNSSD_MASTER_TYPE, j->group.u.sa.sa_family,
					    &browse_ops, j);
		}
		if (r >= 0 && j->cfg->auto_discover && j->cfg->discovery == SDISC_BOTH) {
			r = sd_event_add_time_relative(e, &j->fallback, CLOCK_MONOTONIC, DNSSD_WAIT_US,
						       100000, fallback_cb, j);
		}
		if (r >= 0) {
			publish_self(j);
		}
	}
	if (r < 0) {
		j_free(j);
		return r;
	}
	*ret_ops = &nj2_joiner_ops;
	*ret = j;
	return 0;
}
