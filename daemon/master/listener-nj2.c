/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * listener-nj2.c - netJACK2 on netjack-master: the discovery sockets, the
 * libnetproto master machine (it decides; this file acts), the handshake
 * sockets, and the _netjack2._udp DNS-SD records.
 *
 * The machine's timers are armed at nj2_master_next_deadline(); before they
 * run, each running session's liveness is read from its runner, so a silent
 * slave ends after --timeout without any polling.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libnetproto/audio.h>
#include <libnetproto/auth.h>
#include <libnetproto/nj2-exchange.h>
#include <libnetproto/opus.h>
#include <libnetproto/session.h>
#include <libnetproto/udp.h>

#include "../common/dnssd.h"
#include "../common/log.h"
#include "../common/netwatch.h"
#include "listener-nj2.h"

struct lsess {
	int fd;               /* handshake socket, then the session's */
	sd_event_source *io;  /* handshake reader */
	int slot;             /* the manager's slot, -1: none */
	bool started;
	bool uncounted_logged;
	struct nj2_params setup;
};

struct nj2l {
	struct manager *m;
	const struct master_config *cfg;
	struct nj2_master *fsm;
	struct lsess *sess;
	int *of_slot;         /* manager slot -> machine session */
	bool jack_up;
	struct master_jack jk;
	struct nj_ratelimit rl_handshake, rl_refused;
	struct nj2_auth auth; /* with --psk-file */
	struct nj_sockaddr group;
	int disc_fd, disc2_fd;
	sd_event_source *disc_io, *disc2_io, *timer;
	struct nj_netwatch *watch; /* keeps the group joined as the network changes */
	struct nj_dnssd *dnssd;
	enum nj_verdict verdict; /* admit()'s last refusal, for refused() right after */
};

static uint64_t now_us(const struct nj2l *l)
{
	uint64_t t = 0;

	sd_event_now(manager_event(l->m), CLOCK_MONOTONIC, &t);
	return t;
}

static const char *addr_text(const struct nj_sockaddr *a)
{
	static char buf[80];

	return nj_sockaddr_format(a, buf, sizeof(buf));
}

/* ------------------------------------------------------------ DNS-SD */

static void publish(void *ud)
{
	struct nj2l *l = ud;
	struct nj_txt t;

	if (l->dnssd == NULL) {
		return;
	}
	nj_txt_init(&t);
	nj_txt_add(&t, "proto=%d", NJ2_PROTOCOL_VERSION);
	nj_txt_add(&t, "rate=%u", l->jack_up ? l->jk.rate : 0);
	nj_txt_add(&t, "period=%u", l->jack_up ? l->jk.period : 0);
	nj_txt_add(&t, "group=%s",
		   l->cfg->discovery == DISCOVERY_DNSSD ? "none" : l->cfg->multicast_ip);
	nj_txt_add(&t, "port=%d", l->cfg->port);
	nj_txt_add(&t, "host=%.64s", manager_host(l->m));
	nj_txt_add(&t, "slaves=%u", slot_running(l->m));
	nj_txt_add(&t, "max_slaves=%d", l->cfg->max_slaves);
	nj_txt_add(&t, "auth=%s", l->cfg->psk != NULL ? "psk" : "none");
	nj_txt_add(&t, "jack=%s", l->jack_up ? "running" : "waiting");
	nj_dnssd_publish_txt(l->dnssd, NJ_DNSSD_MASTER_TYPE, manager_name(l->m),
			     (uint16_t)l->cfg->port, &t);
}

/* ------------------------------------------------------------- timers */

static void arm(struct nj2l *l)
{
	uint64_t d = l->fsm ? nj2_master_next_deadline(l->fsm) : NJ_TIME_NEVER;

	if (d == NJ_TIME_NEVER) {
		sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(l->timer, d);
	sd_event_source_set_enabled(l->timer, SD_EVENT_ONESHOT);
}

/* What the runners saw since: data (liveness), a peer that counts no cycle. */
static void refresh(struct nj2l *l)
{
	for (unsigned i = 0; i < (unsigned)l->cfg->max_slaves; i++) {
		struct lsess *s = &l->sess[i];
		uint64_t t;

		if (!s->started) {
			continue;
		}
		t = slot_last_rx(l->m, (unsigned)s->slot);
		if (t != 0) {
			nj2_master_alive(l->fsm, i, t);
		}
		if (!s->uncounted_logged && slot_uncounted(l->m, (unsigned)s->slot)) {
			s->uncounted_logged = true;
			log_info("slave \"%s\" sends cycle 0 in every return packet (PipeWire's "
				 "driver does): its cycles are numbered by arrival", s->setup.name);
		}
	}
}

static int on_timer(sd_event_source *es, uint64_t usec, void *ud)
{
	struct nj2l *l = ud;

	refresh(l);
	nj2_master_timeout(l->fsm, now_us(l));
	arm(l);
	return 0;
}

/* --------------------------------------------------- the machine's ops */

static void op_send(void *ud, unsigned sess, const uint8_t *buf, size_t len)
{
	struct nj2l *l = ud;
	int r = nj_udp_send(l->sess[sess].fd, buf, len, NULL);

	if (r < 0) {
		log_debug("session %u: send: %s", sess, strerror(-r));
	}
}

static void op_send_group(void *ud, const uint8_t *buf, size_t len)
{
	struct nj2l *l = ud;

	nj_udp_send(l->disc_fd, buf, len, &l->group);
}

static int session_rx(sd_event_source *es, int fd, uint32_t revents, void *ud);

/* What the log says of a session's extensions (authentication, copies). */
static int op_session_new(void *ud, unsigned sess, const struct nj_addr *peer,
			  const struct nj2_params *setup)
{
	struct nj2l *l = ud;
	struct lsess *s = &l->sess[sess];
	struct slot_desc d;
	struct nj_sockaddr pa;
	struct nj_udp_opts o;
	int slot;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->slot = -1;
	s->setup = *setup;
	nj_sockaddr_from_addr(peer, &pa);
	nj2_slot_desc(setup, &pa, &d);
	slot = slot_claim(l->m, l, &d);
	if (slot < 0) {
		return slot; /* full: the machine refuses it */
	}
	nj_udp_opts_init(&o, d.peer.u.sa.sa_family);
	o.connect = &d.peer;
	o.reuse_addr = false;
	o.sndbuf = o.rcvbuf = nj2_socket_buffer_size(setup);
	o.timestamps = true; /* arrival times: the network's round trip */
	s->fd = nj_udp_open(&o);
	if (s->fd < 0) {
		log_err("%s: cannot open a session socket: %s", addr_text(&d.peer), strerror(-s->fd));
		slot_release(l->m, (unsigned)slot, "no socket");
		return s->fd;
	}
	s->slot = slot;
	l->of_slot[slot] = (int)sess;
	sd_event_add_io(manager_event(l->m), &s->io, s->fd, EPOLLIN, session_rx, l);
	if (nj_ratelimit_ok(&l->rl_handshake)) {
		log_info("slave \"%s\" at %s: answering (ID %u, %u Hz, period %u, audio %d/%d, "
			 "MIDI %d/%d, %s, latency %u%s)",
			 setup->name, addr_text(&d.peer), setup->id, setup->sample_rate,
			 setup->period, setup->send_audio, setup->return_audio, setup->send_midi,
			 setup->return_midi, nj2_encoder_name(setup->encoder), setup->latency,
			 nj2_ext_text(setup));
	}
	return 0;
}

static int op_session_started(void *ud, unsigned sess, const struct nj2_params *p)
{
	struct nj2l *l = ud;
	struct lsess *s = &l->sess[sess];
	struct nj_sockaddr pa;
	struct slot_desc d;
	int r;

	/* from here the socket belongs to the session's runner */
	s->io = sd_event_source_disable_unref(s->io);
	if (s->fd < 0 || s->slot < 0) {
		return -EBADF;
	}
	s->setup = *p;
	nj_sockaddr_from_addr(nj2_master_session_peer(l->fsm, sess), &pa);
	nj2_slot_desc(p, &pa, &d);
	r = nj2_exchange_open_keyed(p, NJ2_ROLE_MASTER, l->cfg->psk, &d.x);
	if (r < 0) {
		log_err("slave \"%s\": cannot allocate the session's buffers: %s", p->name,
			strerror(-r));
		return r;
	}
	d.auth = d.x->info.auth;
	d.fd = s->fd;
	s->fd = -1;
	s->started = true;
	r = slot_start(l->m, (unsigned)s->slot, &d);
	if (r < 0) {
		log_err("slave \"%s\": cannot start its session: %s", p->name, strerror(-r));
		return r;
	}
	arm(l);
	return 0;
}

static const char *const end_text[] = {
	[NJ2_END_TIMEOUT] = "went silent",
	[NJ2_END_NO_START] = "never answered SLAVE_SETUP",
	[NJ2_END_RESTART] = "restarted",
	[NJ2_END_KILLED] = "sent KILL_MASTER",
	[NJ2_END_LOCAL] = "ended here",
};

static void op_session_ended(void *ud, unsigned sess, enum nj2_end_reason why)
{
	struct nj2l *l = ud;
	struct lsess *s = &l->sess[sess];

	s->io = sd_event_source_disable_unref(s->io);
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	if (!s->started && nj_ratelimit_ok(&l->rl_handshake)) {
		log_info("slave \"%s\": handshake over (%s%s)", s->setup.name, end_text[why],
			 why == NJ2_END_NO_START && nj2_params_authenticated(&s->setup)
				 ? ": our SLAVE_SETUP was authenticated; a slave with another "
				   "key turns it down"
				 : "");
	}
	if (s->slot >= 0) {
		l->of_slot[s->slot] = -1;
		slot_release(l->m, (unsigned)s->slot, end_text[why]);
	}
	s->slot = -1;
	s->started = false;
}

static const char *const refuse_text[] = {
	[NJ2_REFUSE_FULL] = "the maximum number of slaves is reached (--max-slaves)",
	[NJ2_REFUSE_CHANNELS] = "too many channels (--max-channels)",
	[NJ2_REFUSE_MTU] = "MTU outside --mtu-min..--mtu-max",
	[NJ2_REFUSE_ENCODER] = "encoder not supported (CELT)",
	[NJ2_REFUSE_LAYOUT] = "no packet layout fits these channels at this MTU",
	[NJ2_REFUSE_LOCAL] = "the session could not be set up here",
	[NJ2_REFUSE_AUTH] = "its START_MASTER failed authentication (another key, or forged); "
			    "ignored",
	[NJ2_REFUSE_POLICY] = "refused by the policy",
};

/* Who may join: its client name and host name, and whether it offers
 * authentication (NJ2_EXT_AUTH in a valid extension block). */
static int op_admit(void *ud, const struct nj_addr *peer, const struct nj2_params *avail)
{
	struct nj2l *l = ud;
	const char *names[] = {avail->name, avail->slave_name};
	bool auth = avail->has_slave_ext && (avail->slave_ext.flags & NJ2_EXT_AUTH) != 0;
	struct nj_sockaddr a;

	nj_sockaddr_from_addr(peer, &a);
	l->verdict = slot_admit(l->m, l, &a, names, 2, auth);
	return l->verdict == NJ_ADMIT ? 0 : -EACCES;
}

static void op_refused(void *ud, const struct nj_addr *peer, const struct nj2_params *avail,
		       enum nj2_refuse_reason why)
{
	struct nj2l *l = ud;
	struct nj_sockaddr a;

	nj_sockaddr_from_addr(peer, &a);
	if (why == NJ2_REFUSE_POLICY) {
		slot_log_refused(l->m, "netJACK2 slave", avail->name, avail->slave_name, &a,
				 l->verdict);
	} else if (nj_ratelimit_ok(&l->rl_refused)) {
		log_warn("refused slave \"%s\" at %s: %s", avail->name, addr_text(&a),
			 refuse_text[why]);
	}
}

static void op_latency(void *ud, unsigned sess, uint32_t after, uint32_t before)
{
	struct nj2l *l = ud;

	if (l->sess[sess].slot >= 0) {
		slot_peer_latency(l->m, (unsigned)l->sess[sess].slot, after, before);
	}
}

static const struct nj2_master_ops fsm_ops = {
	.send = op_send,
	.send_group = op_send_group,
	.session_new = op_session_new,
	.session_started = op_session_started,
	.session_ended = op_session_ended,
	.refused = op_refused,
	.admit = op_admit,
	.latency = op_latency,
};

/* ------------------------------------------------------------- sockets */

static int session_rx(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct nj2l *l = ud;
	unsigned sess = 0;
	uint8_t buf[NJ2_PARAMS_SIZE + 1];
	struct nj_udp_msg msg = {.buf = buf, .cap = sizeof(buf)};

	for (unsigned i = 0; i < (unsigned)l->cfg->max_slaves; i++) {
		if (l->sess[i].io == es) {
			sess = i;
		}
	}
	while (nj_udp_recvv(fd, &msg, 1) == 1) {
		nj2_master_rx_session(l->fsm, sess, buf, msg.truncated ? sizeof(buf) : msg.len,
				      now_us(l));
		if (l->sess[sess].io != es) {
			break; /* the session started or ended: the socket moved on */
		}
	}
	arm(l);
	return 0;
}

static int discovery_rx(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct nj2l *l = ud;
	uint8_t buf[NJ2_PARAMS_SIZE + 1];
	struct nj_udp_msg msg = {.buf = buf, .cap = sizeof(buf)};

	/* Bounded: a flood yields to the rest of the loop after 256 datagrams. */
	for (unsigned i = 0; i < 256 && nj_udp_recvv(fd, &msg, 1) == 1; i++) {
		struct nj_addr from;

		if (!l->jack_up || l->fsm == NULL) {
			continue; /* no rate or period to offer until JACK is back */
		}
		nj_sockaddr_to_addr(&msg.from, &from);
		nj2_master_rx_discovery(l->fsm, buf, msg.truncated ? sizeof(buf) : msg.len, &from,
					now_us(l));
	}
	arm(l);
	return 0;
}

static int open_discovery(struct nj2l *l)
{
	const struct master_config *c = l->cfg;
	sd_event *e = manager_event(l->m);
	struct nj_udp_opts o;
	struct nj_sockaddr any;
	int fd, r;

	if (nj_sockaddr_parse(c->multicast_ip, (uint16_t)c->port, &l->group) < 0 ||
	    !nj_sockaddr_is_multicast(&l->group)) {
		log_err("--multicast-ip: \"%s\" is not a multicast address", c->multicast_ip);
		return -EINVAL;
	}
	nj_sockaddr_parse(l->group.u.sa.sa_family == AF_INET ? "0.0.0.0" : "::", (uint16_t)c->port,
			  &any);
	nj_udp_opts_init(&o, l->group.u.sa.sa_family);
	o.bind = &any;
	o.mcast_loop = false; /* as jack2: do not hear our own KILL_MASTER */
	fd = nj_udp_open(&o);
	if (fd < 0) {
		log_err("cannot listen on port %d: %s", c->port, strerror(-fd));
		return fd;
	}
	l->disc_fd = fd;
	r = sd_event_add_io(e, &l->disc_io, fd, EPOLLIN, discovery_rx, l);
	if (r < 0) {
		return r;
	}
	/* the group (not DNS-SD only), now or once the network is up, and after changes */
	if (c->discovery != DISCOVERY_DNSSD) {
		const struct nj_netwatch_group keep = {
			.fd = fd, .group = &l->group,
			.ifname = c->interface[0] ? c->interface : NULL,
			.what = "the discovery group",
		};

		nj_netwatch_new(e, &keep, NULL, NULL, &l->watch);
	}
	/* Dual stack: the same port in the other family, for slaves that
	 * announce by unicast (--master, DNS-SD). Optional: a host without
	 * that family (IPv6 disabled) runs without it. */
	nj_sockaddr_parse(l->group.u.sa.sa_family == AF_INET ? "::" : "0.0.0.0", (uint16_t)c->port,
			  &any);
	nj_udp_opts_init(&o, any.u.sa.sa_family);
	o.bind = &any;
	fd = nj_udp_open(&o);
	if (fd < 0) {
		log_info("no %s discovery socket: %s (unicast announcements in that family "
			 "are not heard)", any.u.sa.sa_family == AF_INET6 ? "IPv6" : "IPv4",
			 strerror(-fd));
		return 0;
	}
	l->disc2_fd = fd;
	return sd_event_add_io(e, &l->disc2_io, fd, EPOLLIN, discovery_rx, l);
}

/* ----------------------------------------------------- listener ops */

static int l_start(void *ud, const struct master_jack *jk)
{
	struct nj2l *l = ud;
	const struct master_config *cfg = l->cfg;
	struct nj2_master_config c;
	int r = 0;

	l->jk = *jk;
	if (l->fsm == NULL) {
		nj2_master_config_init(&c);
		snprintf(c.hostname, sizeof(c.hostname), "%s", manager_host(l->m));
		c.sample_rate = jk->rate;
		c.period = jk->period;
		c.phys_audio_capture = jk->phys_audio_capture;
		c.phys_audio_playback = jk->phys_audio_playback;
		c.phys_midi_capture = jk->phys_midi_capture;
		c.phys_midi_playback = jk->phys_midi_playback;
		c.max_slaves = (unsigned)cfg->max_slaves;
		c.max_channels = (unsigned)cfg->max_channels;
		c.mtu_min = (unsigned)cfg->mtu_min;
		c.mtu_max = (unsigned)cfg->mtu_max;
		c.timeout_us = cfg->timeout_us;
		c.setup_retry_us = cfg->setup_retry_us;
		c.setup_tries = (unsigned)cfg->setup_tries;
		c.ext_flags = NJ2_EXT_OPUS_ANY_PERIOD | NJ2_EXT_LATENCY | NJ2_EXT_TILED;
		c.opus_ok = nj_opus_check;
		c.redundancy = (unsigned)cfg->redundancy;
		if (cfg->psk != NULL) {
			nj_psk_nj2_auth(cfg->psk, &l->auth);
			l->auth.encrypt = cfg->encrypt;
			c.auth = &l->auth;
		}
		r = nj2_master_new(&c, &fsm_ops, l, &l->fsm);
		if (r < 0) {
			return r;
		}
	} else {
		nj2_master_set_format(l->fsm, jk->rate, jk->period);
	}
	l->jack_up = true;
	if (cfg->discovery == DISCOVERY_DNSSD) {
		log_notice("connected to JACK: %u Hz, period %u; listening on port %d "
			   "(DNS-SD only, no multicast group)", jk->rate, jk->period, cfg->port);
	} else {
		char also[64] = "";

		if (l->disc2_fd >= 0) {
			snprintf(also, sizeof(also), " (unicast also on port %d, %s)", cfg->port,
				 l->group.u.sa.sa_family == AF_INET ? "IPv6" : "IPv4");
		}
		log_notice("connected to JACK: %u Hz, period %u; listening on %s%s", jk->rate,
			   jk->period, addr_text(&l->group), also);
	}
	arm(l);
	return 0;
}

static void l_stop(void *ud)
{
	((struct nj2l *)ud)->jack_up = false;
}

static void l_end(void *ud, unsigned slot, const char *why)
{
	struct nj2l *l = ud;
	int sess = l->of_slot[slot];

	if (sess >= 0) {
		nj2_master_end(l->fsm, (unsigned)sess); /* KILL_MASTER if it ran, as jack2 */
		arm(l);
	} else {
		slot_release(l->m, slot, why);
	}
}

static void l_control(void *ud, unsigned slot, const uint8_t *buf, size_t len)
{
	struct nj2l *l = ud;
	int sess = l->of_slot[slot];

	if (sess >= 0) {
		/* a late START_MASTER (ignored there), a KILL_MASTER */
		nj2_master_rx_session(l->fsm, (unsigned)sess, buf, len, now_us(l));
		arm(l);
	}
}

static void l_notice(void *ud, unsigned slot)
{
	refresh(ud);
}

static void l_ready(void *ud, unsigned slot, bool ok)
{
	if (!ok) {
		l_end(ud, slot, "no JACK client");
	}
}

static void l_status_head(void *ud, struct nj_buf *b, bool json)
{
	struct nj2l *l = ud;
	bool up = l->dnssd != NULL && nj_dnssd_running(l->dnssd);

	if (json) {
		nj_buf_printf(b, ",\"dnssd\":%s", up ? "true" : "false");
	} else if (l->dnssd != NULL) {
		nj_buf_printf(b, " (%s)", up ? "DNS-SD up" : "no avahi-daemon");
	}
}

static void l_status_json(void *ud, unsigned slot, struct nj_buf *b)
{
	struct nj2l *l = ud;
	int sess = l->of_slot[slot];
	const struct nj2_params *p;

	if (sess < 0) {
		return;
	}
	p = &l->sess[sess].setup;
	nj_buf_printf(b, ",\"id\":%u,\"kbps\":%u,\"mtu\":%u,\"sync\":%s,\"peer_counts_cycles\":%s",
		      p->id, p->kbps, p->mtu, p->sync_mode ? "true" : "false",
		      slot_uncounted(l->m, slot) ? "false" : "true");
}

static void l_housekeeping(void *ud)
{
	struct nj2l *l = ud;

	nj_ratelimit_flush(&l->rl_handshake);
	nj_ratelimit_flush(&l->rl_refused);
}

static void l_free(void *ud)
{
	struct nj2l *l = ud;

	if (l == NULL) {
		return;
	}
	for (unsigned i = 0; l->sess != NULL && i < (unsigned)l->cfg->max_slaves; i++) {
		sd_event_source_disable_unref(l->sess[i].io);
		if (l->sess[i].fd >= 0) {
			close(l->sess[i].fd);
		}
	}
	nj2_master_free(l->fsm);
	nj_dnssd_free(l->dnssd);
	nj_netwatch_free(l->watch);
	sd_event_source_disable_unref(l->disc_io);
	sd_event_source_disable_unref(l->disc2_io);
	sd_event_source_disable_unref(l->timer);
	if (l->disc_fd >= 0) {
		close(l->disc_fd);
	}
	if (l->disc2_fd >= 0) {
		close(l->disc2_fd);
	}
	free(l->sess);
	free(l->of_slot);
	free(l);
}

static const struct listener_ops nj2_listener_ops = {
	.protocol = "netjack2",
	.start = l_start,
	.stop = l_stop,
	.end = l_end,
	.notice = l_notice,
	.control = l_control,
	.ready = l_ready,
	.status_head = l_status_head,
	.status_json = l_status_json,
	.publish = publish,
	.housekeeping = l_housekeeping,
	.free = l_free,
};

int nj2_listener_new(struct manager *m, const struct master_config *cfg,
		     const struct listener_ops **ret_ops, void **ret)
{
	struct nj2l *l = calloc(1, sizeof(*l));
	int r;

	if (l == NULL) {
		return -ENOMEM;
	}
	l->m = m;
	l->cfg = cfg;
	l->disc_fd = l->disc2_fd = -1;
	l->rl_handshake.what = "handshake messages";
	l->rl_refused.what = "refusal messages";
	l->sess = calloc((size_t)cfg->max_slaves, sizeof(*l->sess));
	l->of_slot = calloc((size_t)cfg->max_slaves, sizeof(*l->of_slot));
	if (l->sess == NULL || l->of_slot == NULL) {
		l_free(l);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < (unsigned)cfg->max_slaves; i++) {
		l->sess[i].fd = -1;
		l->sess[i].slot = -1;
		l->of_slot[i] = -1;
	}
	r = open_discovery(l);
	if (r >= 0) {
		r = sd_event_add_time(manager_event(m), &l->timer, CLOCK_MONOTONIC, 0, 1000, on_timer,
				      l);
	}
	if (r >= 0) {
		sd_event_source_set_enabled(l->timer, SD_EVENT_OFF);
		if (cfg->discovery != DISCOVERY_MULTICAST) {
			r = nj_dnssd_new(manager_event(m), false, &l->dnssd);
		}
	}
	if (r < 0) {
		l_free(l);
		return r;
	}
	*ret_ops = &nj2_listener_ops;
	*ret = l;
	return 0;
}
