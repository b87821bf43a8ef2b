/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * listener-jt.c - JackTrip on netjack-master: a hub server as `jacktrip -S`
 * is one, for `jacktrip -C` clients (doc/protocol/JACKTRIP.md).
 *
 * A client connects to TCP --jacktrip (4464) and sends its UDP port and
 * name (jt-hub.h); we answer with a UDP port of ours, 61002 up as JackTrip's
 * hub gives them, bound before the answer goes (JackTrip's own hub answers
 * its first datagrams with ICMP errors for a while; we do not). The client's
 * first datagram tells its format: the session runs at its period and bit
 * resolution (as JackTrip's hub answers), with as many channels each way as
 * it asks, through the clock bridge (a JackTrip client keeps its own clock).
 * A rate other than the JACK server's is refused with a line saying so and
 * JackTrip's exit packet. The JACK client is named as JackTrip's hub names
 * it (the client's -K name, else __ffff_<its IPv4 address>) with ports
 * send_N and receive_N, so a patchbay session saved against JackTrip's hub
 * keeps working. The exit packet or 10 s of silence ends a session; ending
 * one here sends our exit packet twice, as JackTrip does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libnetproto/jt-exchange.h>
#include <libnetproto/jt-hub.h>
#include <libnetproto/udp.h>

#include "../common/clock.h"
#include "../common/dnssd.h"
#include "../common/log.h"
#include "listener-jt.h"

#define MAX_PENDING 16         /* handshakes at once; more are closed at once */
#define MAX_PENDING_HOST 4     /* of them from one address: one host cannot hold them all */
#define FIRST_WAIT_US 10000000 /* the first datagram after the answer */
#define SILENCE_US 10000000    /* JackTrip's hub: 10 s without a datagram ends it */

struct hconn {                 /* a TCP handshake */
	int fd;
	sd_event_source *io, *timer;
	struct jt_hubconn hc;
	struct nj_sockaddr peer;
};

struct jsess {                 /* a claimed slot */
	int slot;                  /* -1: free */
	int fd;                    /* the UDP socket until started, then our dup of it */
	sd_event_source *io;       /* the first datagram */
	uint16_t port;
	uint64_t since_us;
	bool started;
	struct nj_sockaddr client; /* its TCP address; then its UDP address */
	char name[65];
	struct jt_header fmt;
};

struct jtl {
	struct manager *m;
	const struct master_config *cfg;
	bool jack_up;
	struct master_jack jk;
	int lfd[2];                /* TCP listeners: IPv4, IPv6 */
	sd_event_source *lio[2];
	struct hconn conn[MAX_PENDING];
	struct jsess *sess;        /* per manager slot */
	struct nj_ratelimit rl;
	uint64_t busy, malformed;  /* handshakes turned away, bad requests */
	struct nj_dnssd *dnssd;
};

static const struct nj_port_names jt_ports = {
	/* as `jacktrip -S` names them */
	.audio_in = "send", .audio_out = "receive",
	.midi_in = "midi_send", .midi_out = "midi_receive",
};

static const char *addr_text(const struct nj_sockaddr *a)
{
	static char buf[80];

	return nj_sockaddr_format(a, buf, sizeof(buf));
}

static const char *bits_name(unsigned bits)
{
	return bits == 8 ? "int8" : bits == 16 ? "int16" : bits == 24 ? "int24" : "float";
}

/* JackTrip's hub names an unnamed client after its (IPv4-mapped) address. */
static void client_name(const struct jt_hub_request *rq, const struct nj_sockaddr *a, char *buf,
			size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (rq->has_name && rq->name[0] != '\0') {
		snprintf(buf, len, "%s", rq->name);
		return;
	}
	if (a->u.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->u.in.sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "__ffff_%.15s", ip);
	} else {
		inet_ntop(AF_INET6, &a->u.in6.sin6_addr, ip, sizeof(ip));
		for (char *c = ip; *c; c++) {
			*c = *c == ':' ? '_' : *c;
		}
		snprintf(buf, len, "%s", ip);
	}
}

static void send_exit(int fd, const struct nj_sockaddr *to)
{
	uint8_t ex[JT_EXIT_SIZE];

	jt_exit_build(ex, sizeof(ex));
	for (int i = 0; i < 2; i++) { /* twice, as JackTrip does */
		nj_udp_send(fd, ex, sizeof(ex), to);
	}
}

/* ------------------------------------------------------------ sessions */

static void sess_close(struct jsess *s)
{
	s->io = sd_event_source_disable_unref(s->io);
	if (s->fd >= 0) {
		close(s->fd);
	}
	s->fd = -1;
	s->slot = -1;
	s->started = false;
}

static void drop(struct jtl *l, struct jsess *s, const char *why)
{
	int slot = s->slot;

	sess_close(s);
	if (slot >= 0) {
		slot_release(l->m, (unsigned)slot, why);
	}
}

static uint16_t free_port(const struct jtl *l, unsigned k)
{
	for (;; k++) {
		uint16_t p = (uint16_t)(JT_HUB_UDP_BASE + k);
		bool used = false;

		for (unsigned i = 0; i < (unsigned)l->cfg->max_slaves; i++) {
			used |= l->sess[i].slot >= 0 && l->sess[i].port == p;
		}
		if (!used) {
			return p;
		}
	}
}

static struct jsess *sess_of_io(struct jtl *l, sd_event_source *es)
{
	for (unsigned i = 0; i < (unsigned)l->cfg->max_slaves; i++) {
		if (l->sess[i].io == es) {
			return &l->sess[i];
		}
	}
	return NULL;
}

static bool same_host(const struct nj_sockaddr *a, const struct nj_sockaddr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family) {
		return false;
	}
	return a->u.sa.sa_family == AF_INET
		       ? a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr
		       : memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
}

static int start(struct jtl *l, struct jsess *s, const struct jt_header *h,
		 const struct nj_sockaddr *from)
{
	struct jt_exchange_config xc = {.first = *h, .redundancy = 1,
					.max_redundancy = JT_MAX_REDUNDANCY};
	struct slot_desc d = {.peer_clock = true, .ports = &jt_ports};
	unsigned rate = jt_rate_hz(h->rate), rx = jt_header_channels(h);
	int r;

	if (rate != l->jk.rate) {
		log_warn("refused JackTrip client \"%s\" at %s: it runs at %u Hz, this JACK server "
			 "at %u Hz (JackTrip needs the same rate at both ends)",
			 s->name, addr_text(from), rate, l->jk.rate);
		send_exit(s->fd, from);
		return -EINVAL;
	}
	if (rx > (unsigned)l->cfg->max_channels || h->recv_channels > (unsigned)l->cfg->max_channels) {
		log_warn("refused JackTrip client \"%s\" at %s: %u/%u channels (--max-channels %d)",
			 s->name, addr_text(from), rx, h->recv_channels, l->cfg->max_channels);
		send_exit(s->fd, from);
		return -EINVAL;
	}
	r = jt_exchange_new(&xc, &d.x);
	if (r < 0) {
		log_warn("refused JackTrip client \"%s\" at %s: a format JackTrip 1.7.0 cannot have "
			 "(%u frames, %u bits)", s->name, addr_text(from), h->frames, h->bits);
		return r;
	}
	r = nj_udp_connect(s->fd, from);
	d.fd = r < 0 ? -1 : dup(s->fd);
	if (d.fd < 0) {
		nj_exchange_free(d.x);
		return r < 0 ? r : -errno;
	}
	s->client = *from;
	s->fmt = *h;
	memcpy(d.name, s->name, sizeof(d.name));
	d.peer = *from;
	snprintf(d.encoder, sizeof(d.encoder), "%s", bits_name(h->bits));
	d.audio_out = h->recv_channels; /* send_N: what it receives */
	d.audio_in = rx;                /* receive_N: what it sends */
	r = slot_start(l->m, (unsigned)s->slot, &d);
	if (r < 0) {
		return r;
	}
	s->started = true;
	s->since_us = nj_mono_us();
	log_info("JackTrip client \"%s\" at %s: %u Hz, period %u, %u bits, %u in / %u out",
		 s->name, addr_text(from), rate, h->frames, h->bits, rx, h->recv_channels);
	return 0;
}

/* Until the session runs, the client's datagrams come here: the first tells
 * its format (the rest wait in the socket for the session's runner). */
static int first_rx(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct jtl *l = ud;
	struct jsess *s = sess_of_io(l, es);
	uint8_t buf[JT_MAX_DATAGRAM];
	struct nj_udp_msg m = {.buf = buf, .cap = sizeof(buf)};

	while (s != NULL && !s->started && nj_udp_recvv(fd, &m, 1) == 1) {
		struct jt_header h;

		if (!same_host(&m.from, &s->client)) {
			continue; /* not our client's */
		}
		if (jt_is_exit(buf, m.len)) {
			drop(l, s, "left before it started");
			return 0;
		}
		if (m.truncated || jt_datagram_parse(buf, m.len, &h) < 0) {
			l->malformed++;
			continue;
		}
		s->io = sd_event_source_disable_unref(s->io); /* the runner's from now */
		if (start(l, s, &h, &m.from) < 0) {
			drop(l, s, "refused");
		}
		return 0;
	}
	return 0;
}

/* A request: a slot, a UDP port bound, the answer. */
static void accept_request(struct jtl *l, struct hconn *c, const struct jt_hub_request *rq)
{
	struct slot_desc d = {.ports = &jt_ports, .fd = -1};
	struct nj_sockaddr any;
	struct nj_udp_opts o;
	struct jsess *s;
	uint8_t reply[JT_HUB_REPLY_SIZE];
	int slot, fd = -1;
	uint16_t port = 0;
	const char *names[] = {rq->has_name ? rq->name : NULL};
	enum nj_verdict v = slot_admit(l->m, l, &c->peer, names, 1, false); /* no TLS here */

	client_name(rq, &c->peer, d.name, sizeof(d.name));
	if (v != NJ_ADMIT) { /* its connection is closed, no UDP port given */
		slot_log_refused(l->m, "JackTrip client", d.name, NULL, &c->peer, v);
		return;
	}
	d.peer = c->peer;
	snprintf(d.encoder, sizeof(d.encoder), "-");
	slot = slot_claim(l->m, l, &d);
	if (slot < 0) {
		if (nj_ratelimit_ok(&l->rl)) {
			log_warn("refused JackTrip client \"%s\" at %s: the maximum number of slaves "
				 "is reached (--max-slaves)", d.name, addr_text(&c->peer));
		}
		return;
	}
	for (unsigned k = 0; fd < 0 && k < 256; k++) {
		port = free_port(l, k);
		nj_sockaddr_parse(c->peer.u.sa.sa_family == AF_INET ? "0.0.0.0" : "::", port, &any);
		nj_udp_opts_init(&o, c->peer.u.sa.sa_family);
		o.bind = &any;
		o.reuse_addr = false;
		o.timestamps = true; /* arrival times for the clock bridge */
		fd = nj_udp_open(&o);
	}
	if (fd < 0) {
		log_err("JackTrip client \"%s\": no UDP port from %d: %s", d.name, JT_HUB_UDP_BASE,
			strerror(-fd));
		slot_release(l->m, (unsigned)slot, "no UDP port");
		return;
	}
	s = &l->sess[slot];
	*s = (struct jsess){.slot = slot, .fd = fd, .port = port, .client = c->peer,
			    .since_us = nj_mono_us()};
	/* where its datagrams come from: the port it bound (the request says) */
	if (s->client.u.sa.sa_family == AF_INET) {
		s->client.u.in.sin_port = htons((uint16_t)rq->value);
	} else {
		s->client.u.in6.sin6_port = htons((uint16_t)rq->value);
	}
	snprintf(s->name, sizeof(s->name), "%s", d.name);
	sd_event_add_io(manager_event(l->m), &s->io, fd, EPOLLIN, first_rx, l);
	jt_hub_reply_encode(port, reply, sizeof(reply));
	if (send(c->fd, reply, sizeof(reply), MSG_DONTWAIT | MSG_NOSIGNAL) != sizeof(reply)) {
		drop(l, s, "the handshake broke off");
		return;
	}
	if (nj_ratelimit_ok(&l->rl)) {
		log_info("JackTrip client \"%s\" at %s: UDP port %u", d.name, addr_text(&c->peer),
			 port);
	}
}

/* ---------------------------------------------------------- handshakes */

static void conn_close(struct hconn *c)
{
	c->io = sd_event_source_disable_unref(c->io);
	c->timer = sd_event_source_disable_unref(c->timer);
	if (c->fd >= 0) {
		close(c->fd);
	}
	c->fd = -1;
}

static struct hconn *conn_of(struct jtl *l, sd_event_source *es)
{
	for (unsigned i = 0; i < MAX_PENDING; i++) {
		if (l->conn[i].io == es || l->conn[i].timer == es) {
			return &l->conn[i];
		}
	}
	return NULL;
}

static void conn_step(struct jtl *l, struct hconn *c, enum jt_hub_step st,
		      const struct jt_hub_request *rq)
{
	uint8_t reply[JT_HUB_REPLY_SIZE];

	switch (st) {
	case JT_HUB_MORE:
		sd_event_source_set_time(c->timer, jt_hubconn_deadline(&c->hc));
		return;
	case JT_HUB_REQUEST:
		if (l->jack_up) {
			accept_request(l, c, rq);
		}
		break;
	case JT_HUB_AUTH:
		/* netjack is built without TLS: JackTrip's "not required" */
		jt_hub_reply_encode(JT_HUB_AUTH_NOT_REQUIRED, reply, sizeof(reply));
		if (send(c->fd, reply, sizeof(reply), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			/* the client is gone already */
		}
		break;
	case JT_HUB_ERROR:
		l->malformed++;
		break;
	}
	conn_close(c);
}

static int conn_rx(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct jtl *l = ud;
	struct hconn *c = conn_of(l, es);
	uint8_t buf[JT_HUB_REQUEST_SIZE + 1];
	struct jt_hub_request rq;
	ssize_t n;

	if (c == NULL) {
		return 0;
	}
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return 0;
	}
	if (n <= 0) {
		conn_close(c); /* closed, or reset, before a request */
		return 0;
	}
	conn_step(l, c, jt_hubconn_feed(&c->hc, buf, (size_t)n, nj_mono_us(), &rq), &rq);
	return 0;
}

static int conn_timer(sd_event_source *es, uint64_t usec, void *ud)
{
	struct jtl *l = ud;
	struct hconn *c = conn_of(l, es);
	struct jt_hub_request rq;

	if (c != NULL) {
		conn_step(l, c, jt_hubconn_timeout(&c->hc, usec, &rq), &rq);
	}
	return 0;
}

/* A free handshake place for a connection from @a, or NULL (all taken, or
 * MAX_PENDING_HOST of them by its host already). */
static struct hconn *conn_place(struct jtl *l, const struct nj_sockaddr *a)
{
	struct hconn *free_one = NULL;
	unsigned same = 0;

	for (unsigned i = 0; i < MAX_PENDING; i++) {
		if (l->conn[i].fd < 0) {
			free_one = free_one ? free_one : &l->conn[i];
		} else if (nj_sockaddr_same_host(&l->conn[i].peer, a)) {
			same++;
		}
	}
	return same >= MAX_PENDING_HOST ? NULL : free_one;
}

static int listen_rx(sd_event_source *es, int lfd, uint32_t revents, void *ud)
{
	struct jtl *l = ud;
	sd_event *e = manager_event(l->m);

	/* bounded: a flood of connections yields to the rest of the loop */
	for (unsigned k = 0; k < 64; k++) {
		struct nj_sockaddr a = {.len = sizeof(a.u.ss)};
		int fd = accept4(lfd, &a.u.sa, &a.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct hconn *c;
		uint64_t now = nj_mono_us();

		if (fd < 0) {
			return 0;
		}
		c = conn_place(l, &a);
		if (c == NULL) {
			l->busy++; /* bounded: the oldest handshakes keep their places */
			close(fd);
			continue;
		}
		c->fd = fd;
		c->peer = a;
		jt_hubconn_init(&c->hc, now);
		if (sd_event_add_io(e, &c->io, fd, EPOLLIN, conn_rx, l) < 0 ||
		    sd_event_add_time(e, &c->timer, CLOCK_MONOTONIC, jt_hubconn_deadline(&c->hc), 1000,
				      conn_timer, l) < 0) {
			conn_close(c);
			continue;
		}
		sd_event_source_set_enabled(c->timer, SD_EVENT_ON);
	}
	return 0;
}

/* ----------------------------------------------------- listener ops */

static int l_start(void *ud, const struct master_jack *jk)
{
	struct jtl *l = ud;

	l->jk = *jk;
	l->jack_up = true;
	log_notice("JackTrip hub: listening on TCP port %d (UDP from %d)", l->cfg->jacktrip,
		   JT_HUB_UDP_BASE);
	return 0;
}

static void l_stop(void *ud)
{
	((struct jtl *)ud)->jack_up = false;
}

static void l_end(void *ud, unsigned slot, const char *why)
{
	struct jtl *l = ud;
	struct jsess *s = &l->sess[slot];

	if (s->slot >= 0 && s->fd >= 0) {
		send_exit(s->fd, s->started ? NULL : &s->client);
	}
	drop(l, s, why);
}

static void l_notice(void *ud, unsigned slot)
{
}

static void l_control(void *ud, unsigned slot, const uint8_t *buf, size_t len)
{
	struct jtl *l = ud;

	if (jt_is_exit(buf, len)) {
		/* it leaves: ours back, as JackTrip answers */
		l_end(l, slot, "sent its exit packet");
	}
}

static void l_ready(void *ud, unsigned slot, bool ok)
{
	if (!ok) {
		l_end(ud, slot, "no JACK client");
	}
}

static void l_status_head(void *ud, struct nj_buf *b, bool json)
{
	struct jtl *l = ud;

	if (json) {
		nj_buf_printf(b, ",\"jacktrip\":{\"port\":%d,\"handshakes_refused\":%llu,"
				 "\"malformed\":%llu}",
			      l->cfg->jacktrip, (unsigned long long)l->busy,
			      (unsigned long long)l->malformed);
	} else {
		nj_buf_printf(b, "; JackTrip hub on port %d", l->cfg->jacktrip);
	}
}

static void l_status_json(void *ud, unsigned slot, struct nj_buf *b)
{
	struct jtl *l = ud;
	const struct jsess *s = &l->sess[slot];

	nj_buf_printf(b, ",\"udp_port\":%u,\"bits\":%u,\"frames\":%u", s->port, s->fmt.bits,
		      s->fmt.frames);
}

static void l_publish(void *ud)
{
	struct jtl *l = ud;
	struct nj_txt t;

	if (l->dnssd == NULL) {
		return;
	}
	nj_txt_init(&t);
	nj_txt_add(&t, "proto=jacktrip");
	nj_txt_add(&t, "rate=%u", l->jack_up ? l->jk.rate : 0);
	nj_txt_add(&t, "host=%.64s", manager_host(l->m));
	nj_txt_add(&t, "slaves=%u", slot_running(l->m));
	nj_txt_add(&t, "max_slaves=%d", l->cfg->max_slaves);
	nj_txt_add(&t, "udp_base=%d", JT_HUB_UDP_BASE);
	nj_dnssd_publish_txt(l->dnssd, NJ_DNSSD_JACKTRIP_TYPE, manager_name(l->m), (uint16_t)l->cfg->jacktrip,
			     &t);
}

/* Once a second: clients that left without a word, handshakes never used. */
static void l_housekeeping(void *ud)
{
	struct jtl *l = ud;
	uint64_t now = nj_mono_us();

	nj_ratelimit_flush(&l->rl);
	for (unsigned i = 0; i < (unsigned)l->cfg->max_slaves; i++) {
		struct jsess *s = &l->sess[i];
		uint64_t last;

		if (s->slot < 0) {
			continue;
		}
		if (!s->started) {
			if (now - s->since_us > FIRST_WAIT_US) {
				drop(l, s, "never sent a datagram");
			}
			continue;
		}
		last = slot_last_rx(l->m, i);
		if (now - (last > s->since_us ? last : s->since_us) > SILENCE_US) {
			l_end(l, i, "went silent");
		}
	}
}

static void l_free(void *ud)
{
	struct jtl *l = ud;

	if (l == NULL) {
		return;
	}
	for (unsigned i = 0; i < MAX_PENDING; i++) {
		conn_close(&l->conn[i]);
	}
	for (unsigned i = 0; l->sess != NULL && i < (unsigned)l->cfg->max_slaves; i++) {
		sess_close(&l->sess[i]);
	}
	for (int i = 0; i < 2; i++) {
		sd_event_source_disable_unref(l->lio[i]);
		if (l->lfd[i] >= 0) {
			close(l->lfd[i]);
		}
	}
	nj_dnssd_free(l->dnssd);
	free(l->sess);
	free(l);
}

static const struct listener_ops jt_listener_ops = {
	.protocol = "jacktrip",
	.start = l_start,
	.stop = l_stop,
	.end = l_end,
	.notice = l_notice,
	.control = l_control,
	.ready = l_ready,
	.status_head = l_status_head,
	.status_json = l_status_json,
	.publish = l_publish,
	.housekeeping = l_housekeeping,
	.free = l_free,
};

static int open_listener(struct jtl *l, int family)
{
	struct nj_sockaddr a;
	int fd, one = 1;

	nj_sockaddr_parse(family == AF_INET ? "0.0.0.0" : "::", (uint16_t)l->cfg->jacktrip, &a);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(fd, &a.u.sa, a.len) < 0 || listen(fd, MAX_PENDING) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	l->lfd[family == AF_INET6] = fd;
	return sd_event_add_io(manager_event(l->m), &l->lio[family == AF_INET6], fd, EPOLLIN,
			       listen_rx, l);
}

int jt_listener_new(struct manager *m, const struct master_config *cfg,
		    const struct listener_ops **ret_ops, void **ret)
{
	struct jtl *l = calloc(1, sizeof(*l));
	int r;

	if (l == NULL) {
		return -ENOMEM;
	}
	l->m = m;
	l->cfg = cfg;
	l->lfd[0] = l->lfd[1] = -1;
	l->rl.what = "JackTrip handshake messages";
	for (unsigned i = 0; i < MAX_PENDING; i++) {
		l->conn[i].fd = -1;
	}
	l->sess = calloc((size_t)cfg->max_slaves, sizeof(*l->sess));
	if (l->sess == NULL) {
		l_free(l);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < (unsigned)cfg->max_slaves; i++) {
		l->sess[i].slot = -1;
		l->sess[i].fd = -1;
	}
	r = open_listener(l, AF_INET);
	if (r < 0) {
		log_err("--jacktrip: cannot listen on TCP port %d: %s", cfg->jacktrip, strerror(-r));
		l_free(l);
		return r;
	}
	if (open_listener(l, AF_INET6) < 0) {
		log_info("JackTrip hub: IPv4 only");
	}
	if (cfg->discovery != DISCOVERY_MULTICAST) {
		r = nj_dnssd_new(manager_event(m), true, &l->dnssd);
	}
	if (r < 0) {
		l_free(l);
		return r;
	}
	*ret_ops = &jt_listener_ops;
	*ret = l;
	return 0;
}
