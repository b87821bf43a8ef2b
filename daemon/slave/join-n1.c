/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * join-n1.c - netJACK1 (netone) on netjack-slave: we are what `jackd -d
 * netone` is to jack_netsource (doc/protocol/NETONE.md). netone has no
 * discovery and no handshake: we listen on UDP --port (3000) and take the
 * session from the first master datagram's header, as the netone driver's
 * AutoConfig does (channel counts, period, rate, latency, MTU; bounded, not
 * trusted). The bit depth or Opus is not on the wire: --encoder and --kbps
 * must match the master's (jack_netsource -b, -P). With --master, only that
 * host is taken.
 *
 * The session runs on the core's network runner through the clock bridge:
 * each period answered with ours (to the header's reply port when it gives
 * one, else to where it came from). --timeout without a datagram ends it;
 * the next datagram from any master starts a new one (jack_netsource
 * restarted, or another).
 *
 * We publish ourselves as _netjack1-slave._udp on that port (TXT: our
 * encoder and kbps, state, master), so that a netjack-master with
 * --netone-dnssd finds us and drives us as if given with --netone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnetproto/nj1-exchange.h>

#include "../common/clock.h"
#include "../common/dnssd.h"
#include "../common/log.h"
#include "join-n1.h"

#define WATCH_US 250000

struct n1joiner {
	struct slave *s;
	const struct slave_config *cfg;
	int fd;
	sd_event_source *io, *timer;
	bool joined, have_only;
	struct nj_sockaddr only;   /* --master */
	struct nj_sockaddr master; /* of the session */
	struct nj1_session sess;
	uint64_t refused;          /* datagrams that made no session */
	struct nj_dnssd *dnssd;
	char last_error[128];
};

static const char *addr(const struct nj_sockaddr *a)
{
	return slave_addr_text(a);
}

static enum nj1_mode mode_of(int encoder)
{
	return encoder == ENC_INT16 ? NJ1_MODE_INT16 : encoder == ENC_OPUS ? NJ1_MODE_OPUS
									  : NJ1_MODE_FLOAT;
}

static bool same_host(const struct nj_sockaddr *a, const struct nj_sockaddr *b)
{
	return a->u.sa.sa_family == AF_INET && b->u.sa.sa_family == AF_INET &&
	       a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
}

static const char *enc_name(int encoder)
{
	return encoder == ENC_INT16 ? "int16" : encoder == ENC_OPUS ? "opus" : "float";
}

static void publish_self(struct n1joiner *j)
{
	struct nj_txt t;

	if (j->dnssd == NULL) {
		return;
	}
	nj_txt_init(&t);
	nj_txt_add(&t, "proto=netone");
	nj_txt_add(&t, "role=slave");
	nj_txt_add(&t, "state=%s", j->joined ? "joined" : "looking");
	nj_txt_add(&t, "master=%.64s", j->joined ? addr(&j->master) : "");
	nj_txt_add(&t, "client=%.63s", j->cfg->client_name);
	nj_txt_add(&t, "host=%.64s", slave_host(j->s));
	nj_txt_add(&t, "encoder=%s", enc_name(j->cfg->encoder));
	nj_txt_add(&t, "kbps=%d", j->cfg->kbps);
	nj_dnssd_publish_txt(j->dnssd, NJ_DNSSD_NETONE_SLAVE_TYPE,
			     j->cfg->name[0] ? j->cfg->name : slave_host(j->s), (uint16_t)j->cfg->port,
			     &t);
}

static void refuse(struct n1joiner *j, const struct nj_sockaddr *from, const char *why)
{
	static struct nj_ratelimit rl = {.what = "refused netone datagrams"};

	j->refused++;
	snprintf(j->last_error, sizeof(j->last_error), "%s: %s", addr(from), why);
	if (nj_ratelimit_ok(&rl)) {
		log_warn("netone master %s: %s", addr(from), why);
	}
}

/* A master's first datagram: its header is the session (AutoConfig). */
static void autoconfig(struct n1joiner *j, const uint8_t *buf, size_t len,
		       const struct nj_sockaddr *from)
{
	const struct slave_config *c = j->cfg;
	struct nj1_exchange_config xc = {
		.role = NJ1_ROLE_SLAVE, .mode = mode_of(c->encoder), .kbps = (unsigned)c->kbps,
		.redundancy = (unsigned)c->redundancy,
	};
	struct join_desc d = {.fd = j->fd, .encoder = enc_name(c->encoder)};
	struct nj1_header h;
	int r;

	if (nj1_header_decode(buf, len, &h) < 0 || nj1_session_from_header(&h, &xc.session) < 0) {
		refuse(j, from, "not a netone master's header, or values out of bounds");
		return;
	}
	r = nj1_exchange_open(&xc, &d.x);
	if (r < 0) {
		refuse(j, from, r == -EINVAL ? "a session we cannot run (its encoder here?)"
					     : strerror(-r));
		return;
	}
	d.master = *from;
	if (h.reply_port != 0 && h.reply_port <= 65535) {
		d.master.u.in.sin_port = htons((uint16_t)h.reply_port);
	}
	snprintf(d.master_name, sizeof(d.master_name), "%s", addr(from));
	d.mtu = xc.session.mtu;
	d.kbps = c->encoder == ENC_OPUS ? (uint32_t)c->kbps : 0;
	d.latency_cycles = xc.session.latency;
	j->sess = xc.session;
	r = slave_join(j->s, &d);
	if (r < 0) {
		refuse(j, from, "the session could not run");
		return;
	}
	j->master = d.master;
	j->joined = true;
	j->last_error[0] = '\0';
	sd_event_source_set_enabled(j->io, SD_EVENT_OFF); /* the runner reads now */
	publish_self(j);
	log_info("netone master %s: AutoConfig %u Hz, period %u, %u+%u channels to us, %u+%u back, "
		 "latency %u, MTU %u", addr(from), xc.session.rate, xc.session.period,
		 xc.session.down_audio, xc.session.down_midi, xc.session.up_audio,
		 xc.session.up_midi, xc.session.latency, xc.session.mtu);
}

static int on_rx(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct n1joiner *j = ud;
	uint8_t buf[NJ1_MTU_MAX];
	struct nj_udp_msg m = {.buf = buf, .cap = sizeof(buf)};

	for (unsigned i = 0; i < 64 && !j->joined && nj_udp_recvv(fd, &m, 1) == 1; i++) {
		if (j->have_only && !same_host(&m.from, &j->only)) {
			continue; /* not the --master */
		}
		if (m.truncated) {
			refuse(j, &m.from, "a datagram larger than any netone MTU");
			continue;
		}
		autoconfig(j, buf, m.len, &m.from);
	}
	return 0;
}

static void leave(struct n1joiner *j, const char *why)
{
	if (j->joined) {
		slave_leave(j->s, why);
		j->joined = false;
		publish_self(j);
	}
	sd_event_source_set_enabled(j->io, SD_EVENT_ON);
}

static int on_timer(sd_event_source *es, uint64_t usec, void *ud)
{
	struct n1joiner *j = ud;
	uint64_t now = nj_mono_us(), rx = slave_last_rx(j->s);

	if (j->joined && rx != 0 && now > rx && now - rx > j->cfg->timeout_us) {
		log_notice("netone master %s went silent; waiting for a master", addr(&j->master));
		leave(j, "the master went silent");
	}
	sd_event_source_set_time_relative(es, WATCH_US);
	return 0;
}

/* ---------------------------------------------------------- joiner ops */

static void j_start(void *ud)
{
	struct n1joiner *j = ud;

	sd_event_source_set_enabled(j->io, SD_EVENT_ON);
	sd_event_source_set_time_relative(j->timer, WATCH_US);
	sd_event_source_set_enabled(j->timer, SD_EVENT_ON);
}

static void j_stop(void *ud)
{
	struct n1joiner *j = ud;

	leave(j, "ended here");
	sd_event_source_set_enabled(j->io, SD_EVENT_OFF);
	sd_event_source_set_enabled(j->timer, SD_EVENT_OFF);
}

static void j_rejoin(void *ud, const char *why)
{
	leave(ud, why);
}

static void j_control(void *ud, const uint8_t *buf, size_t len)
{
	/* netone has no control messages */
}

static void j_status_head(void *ud, struct nj_buf *b, bool json)
{
	struct n1joiner *j = ud;

	if (json) {
		nj_buf_printf(b, ",\"netone\":{\"port\":%d,\"refused\":%llu,\"last_error\":",
			      j->cfg->port, (unsigned long long)j->refused);
		nj_buf_json_str(b, j->last_error);
		nj_buf_printf(b, "}");
	} else {
		nj_buf_printf(b, "no master; netone: listening on UDP port %d%s%s\n", j->cfg->port,
			      j->last_error[0] ? "; last refused: " : "", j->last_error);
	}
}

static void j_free(void *ud)
{
	struct n1joiner *j = ud;

	if (j == NULL) {
		return;
	}
	nj_dnssd_free(j->dnssd);
	sd_event_source_disable_unref(j->io);
	sd_event_source_disable_unref(j->timer);
	if (j->fd >= 0) {
		close(j->fd);
	}
	free(j);
}

static const struct joiner_ops n1_joiner_ops = {
	.protocol = "netjack1",
	.start = j_start,
	.stop = j_stop,
	.rejoin = j_rejoin,
	.control = j_control,
	.status_head = j_status_head,
	.free = j_free,
};

int n1_joiner_new(struct slave *s, const struct joiner_ops **ret_ops, void **ret)
{
	struct n1joiner *j = calloc(1, sizeof(*j));
	const struct slave_config *c = slave_cfg(s);
	struct nj_sockaddr any;
	struct nj_udp_opts o;
	int r;

	if (j == NULL) {
		return -ENOMEM;
	}
	j->s = s;
	j->cfg = c;
	j->fd = -1;
	if (c->master[0]) {
		if (nj_sockaddr_parse(c->master, NJ1_DEFAULT_PORT, &j->only) < 0 ||
		    j->only.u.sa.sa_family != AF_INET) {
			log_err("--master: \"%s\" is not a numeric IPv4 address (netone is IPv4 only)",
				c->master);
			free(j);
			return -EINVAL;
		}
		j->have_only = true;
	}
	nj_sockaddr_parse("0.0.0.0", (uint16_t)c->port, &any);
	nj_udp_opts_init(&o, AF_INET);
	o.bind = &any;
	o.timestamps = true; /* arrival times for the clock bridge */
	j->fd = nj_udp_open(&o);
	if (j->fd < 0) {
		log_err("--port %d: cannot listen on UDP: %s", c->port, strerror(-j->fd));
		r = j->fd;
		j->fd = -1;
		j_free(j);
		return r;
	}
	nj_udp_set_buffers(j->fd, 1 << 20, 1 << 20);
	r = sd_event_add_io(slave_event(s), &j->io, j->fd, EPOLLIN, on_rx, j);
	if (r >= 0) {
		sd_event_source_set_enabled(j->io, SD_EVENT_OFF);
		r = sd_event_add_time(slave_event(s), &j->timer, CLOCK_MONOTONIC, 0, 10000, on_timer,
				      j);
	}
	if (r >= 0) {
		sd_event_source_set_enabled(j->timer, SD_EVENT_OFF);
		if (c->discovery != SDISC_MULTICAST) {
			r = nj_dnssd_new(slave_event(s), false, &j->dnssd);
		}
	}
	if (r < 0) {
		j_free(j);
		return r;
	}
	publish_self(j);
	log_info("netone: listening on UDP port %d for a master (jack_netsource)", c->port);
	*ret_ops = &n1_joiner_ops;
	*ret = j;
	return 0;
}
