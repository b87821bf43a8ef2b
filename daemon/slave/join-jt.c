/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * join-jt.c - JackTrip on netjack-slave: a client of a JackTrip hub server
 * (`jacktrip -S`, or netjack-master --jacktrip) as `jacktrip -C` is one, or of
 * a P2P server (`jacktrip -s`) as `jacktrip -c` (doc/protocol/JACKTRIP.md).
 *
 * Hub: TCP to --master (port 4464), our 68-byte request (our UDP port and
 * --name), the server's 4-byte answer: its UDP port for us, or a code above
 * 65535 (authentication, which netjack does not do) that we log and retry
 * after RETRY_US. P2P: no TCP, the server's UDP port is --master's.
 *
 * A JackTrip server waits for its client's datagrams, so we send first: our
 * own period, rate and bit resolution (--bits), --playback channels, from a
 * main-loop timer while nobody answers. The server's first datagram tells
 * its format (the rate must be ours: else the exit packet, as JackTrip does);
 * the session then runs on the core's network runner, the server's audio
 * through the clock bridge, ours sent from the JACK callback on our own clock
 * (join_desc.send_own), as JackTrip's clients do. The exit packet from the
 * server, or --timeout without a datagram, ends the session; we look again
 * after RETRY_US (a daemon stays up, unlike `jacktrip -C`). Leaving sends our
 * exit packet twice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libnetproto/jt-exchange.h>

#include "../common/clock.h"
#include "../common/log.h"
#include "join-jt.h"

#define RETRY_US 5000000      /* after a refusal, an exit or a timeout */
#define HANDSHAKE_US 5000000  /* TCP connect, request and answer */
#define FIRST_WAIT_US 10000000 /* the server's first datagram */
#define WATCH_US 250000

enum jstate { J_IDLE, J_CONNECT, J_REPLY, J_BOOT, J_JOINED, J_BACKOFF };

static const char *const state_names[] = {
	[J_IDLE] = "idle", [J_CONNECT] = "connecting", [J_REPLY] = "handshake",
	[J_BOOT] = "waiting for the server", [J_JOINED] = "joined", [J_BACKOFF] = "retrying",
};

struct jjoiner {
	struct slave *s;
	const struct slave_config *cfg;
	bool p2p;
	enum jstate state;
	int fd;                    /* UDP, for the joiner's life */
	int tcp;                   /* the hub handshake */
	sd_event_source *udp_io, *tcp_io, *tick, *timer;
	struct nj_sockaddr server; /* --master: the hub's TCP or the P2P server's UDP address */
	struct nj_sockaddr peer;   /* the server's UDP address */
	uint8_t reply[JT_HUB_REPLY_SIZE];
	unsigned have;
	uint64_t since_us;         /* the current state's start */
	struct nj_exchange *x;     /* until the session takes it */
	uint32_t boot_cycle;
	char last_error[128];
};

static void begin(struct jjoiner *j);

static const char *addr(const struct nj_sockaddr *a)
{
	return slave_addr_text(a);
}

static void set_state(struct jjoiner *j, enum jstate st)
{
	j->state = st;
	j->since_us = nj_mono_us();
}

static void close_tcp(struct jjoiner *j)
{
	j->tcp_io = sd_event_source_disable_unref(j->tcp_io);
	if (j->tcp >= 0) {
		close(j->tcp);
		j->tcp = -1;
	}
}

static void send_exit(struct jjoiner *j)
{
	uint8_t b[JT_EXIT_SIZE];

	jt_exit_build(b, sizeof(b));
	nj_udp_send(j->fd, b, sizeof(b), &j->peer);
	nj_udp_send(j->fd, b, sizeof(b), &j->peer);
}

/* Stop whatever runs; with @say, the exit packet goes to the server. */
static void halt(struct jjoiner *j, bool say, const char *why)
{
	close_tcp(j);
	sd_event_source_set_enabled(j->tick, SD_EVENT_OFF);
	sd_event_source_set_enabled(j->udp_io, SD_EVENT_OFF);
	if (say && (j->state == J_BOOT || j->state == J_JOINED)) {
		send_exit(j);
	}
	if (j->state == J_JOINED) {
		slave_leave(j->s, why);
	}
	nj_exchange_free(j->x);
	j->x = NULL;
	set_state(j, J_IDLE);
}

/* Give up this attempt and try again after RETRY_US. */
static void retry(struct jjoiner *j, bool say, const char *why)
{
	snprintf(j->last_error, sizeof(j->last_error), "%s", why);
	halt(j, say, why);
	set_state(j, J_BACKOFF);
	sd_event_source_set_time_relative(j->timer, RETRY_US);
	sd_event_source_set_enabled(j->timer, SD_EVENT_ONESHOT);
}

/* ----------------------------------------------- the first datagrams */

/* One silent period to the server (the main loop's, until it answers). */
static int on_tick(sd_event_source *es, uint64_t usec, void *ud)
{
	static const float *const silent[NJ_MAX_CHANNELS];
	struct jjoiner *j = ud;
	struct nj_period_out o = {.cycle = ++j->boot_cycle, .audio = silent};
	const struct nj_datagram *list;
	unsigned n;
	uint64_t period_us = (uint64_t)j->x->info.period * 1000000 / j->x->info.rate;

	if (nj_mono_us() - j->since_us > FIRST_WAIT_US) {
		log_warn("JackTrip server %s sent nothing in %u s", addr(&j->peer),
			 FIRST_WAIT_US / 1000000);
		retry(j, true, "the server sent nothing");
		return 0;
	}
	if (nj_exchange_pack(j->x, &o, &list, &n) == 0) {
		nj_udp_send_datagrams(j->fd, list, n, &j->peer);
	}
	sd_event_source_set_time(es, usec + period_us);
	return 0;
}

static bool same_peer(const struct nj_sockaddr *a, const struct nj_sockaddr *b)
{
	struct nj_addr x, y;

	nj_sockaddr_to_addr(a, &x);
	nj_sockaddr_to_addr(b, &y);
	return nj_addr_equal(&x, &y);
}

static void joined(struct jjoiner *j, const struct jt_header *h)
{
	static const char *const enc[] = {[8] = "int8", [16] = "int16", [24] = "int24",
					  [32] = "float"};
	struct join_desc d = {
		.master = j->peer, .encoder = enc[h->bits], .mtu = JT_MAX_DATAGRAM,
		.x = j->x, .fd = j->fd, .send_own = true,
	};
	int r;

	snprintf(d.master_name, sizeof(d.master_name), "%s", addr(&j->server));
	sd_event_source_set_enabled(j->tick, SD_EVENT_OFF);
	sd_event_source_set_enabled(j->udp_io, SD_EVENT_OFF);
	j->x = NULL; /* the core's now */
	r = slave_join(j->s, &d);
	if (r < 0) {
		retry(j, true, "the session could not run");
		return;
	}
	set_state(j, J_JOINED);
	j->last_error[0] = '\0';
	log_info("JackTrip server %s answers: period %u, %u bits, %u channel(s) to us", addr(&j->peer),
		 h->frames, h->bits, jt_header_channels(h));
}

static int on_udp(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct jjoiner *j = ud;
	uint8_t buf[JT_MAX_DATAGRAM];
	struct nj_udp_msg m = {.buf = buf, .cap = sizeof(buf)};

	for (unsigned i = 0; i < 64 && j->state == J_BOOT && nj_udp_recvv(fd, &m, 1) == 1; i++) {
		struct jt_header h;
		int r;

		if (!same_peer(&m.from, &j->peer) || m.truncated) {
			continue; /* not our server */
		}
		if (jt_is_exit(buf, m.len)) {
			log_warn("JackTrip server %s ended the session before it began", addr(&j->peer));
			retry(j, false, "the server sent its exit packet");
			return 0;
		}
		if (jt_datagram_parse(buf, m.len, &h) < 0) {
			continue;
		}
		r = jt_exchange_learn(j->x, &h);
		if (r == -EINVAL) {
			log_err("JackTrip server %s sends %u Hz (rate code %u), %u bits: we run %u Hz "
				"(--bits %d); leaving", addr(&j->peer), jt_rate_hz(h.rate), h.rate,
				h.bits, slave_jack_rate(j->s), j->cfg->bits);
			retry(j, true, "the server's sample rate is not ours");
			return 0;
		}
		if (r < 0) {
			retry(j, true, "cannot allocate the session");
			return 0;
		}
		joined(j, &h);
		return 0;
	}
	return 0;
}

/* Our format, and the silent periods until the server answers. */
static void boot(struct jjoiner *j)
{
	const struct slave_config *c = j->cfg;
	struct jt_format f = {
		.frames = slave_jack_period(j->s), .rate = jt_rate_code(slave_jack_rate(j->s)),
		.bits = (unsigned)c->bits,
		.send_channels = c->playback < 0 ? 2 : (unsigned)c->playback,
		.recv_channels = c->capture < 0 ? 2 : (unsigned)c->capture,
	};
	struct jt_exchange_config xc = {
		.redundancy = (unsigned)c->redundancy, .max_redundancy = JT_MAX_REDUNDANCY, .tx = &f,
	};
	int r;

	if (f.rate == JT_RATE_UNDEF) {
		log_err("JackTrip has no code for this JACK server's rate, %u Hz; not joining",
			slave_jack_rate(j->s));
		retry(j, false, "JackTrip has no code for our sample rate");
		return;
	}
	r = jt_exchange_new(&xc, &j->x);
	if (r < 0) {
		log_err("cannot make the JackTrip session (period %u, %u + %u channels, %u bits): %s",
			f.frames, f.send_channels, f.recv_channels, f.bits, strerror(-r));
		retry(j, false, "cannot make the session");
		return;
	}
	nj_udp_set_buffers(j->fd, 1 << 20, 1 << 20);
	set_state(j, J_BOOT);
	j->boot_cycle = 0;
	sd_event_source_set_enabled(j->udp_io, SD_EVENT_ON);
	sd_event_source_set_time(j->tick, nj_mono_us());
	sd_event_source_set_enabled(j->tick, SD_EVENT_ON);
}

/* ------------------------------------------------------ hub handshake */

static void hub_answer(struct jjoiner *j)
{
	uint32_t v;
	char why[96];

	close_tcp(j);
	if (jt_hub_reply_decode(j->reply, sizeof(j->reply), &v) < 0) {
		log_warn("JackTrip hub %s: a malformed answer", addr(&j->server));
		retry(j, false, "a malformed answer from the hub");
		return;
	}
	if (!jt_hub_value_is_port(v)) {
		snprintf(why, sizeof(why), "the hub asks for authentication (code %u)", v);
		log_warn("JackTrip hub %s: %s, which netjack does not do", addr(&j->server), why);
		retry(j, false, why);
		return;
	}
	j->peer = j->server;
	if (j->peer.u.sa.sa_family == AF_INET) {
		j->peer.u.in.sin_port = htons((uint16_t)v);
	} else {
		j->peer.u.in6.sin6_port = htons((uint16_t)v);
	}
	log_info("JackTrip hub %s gives us UDP port %u", addr(&j->server), v);
	boot(j);
}

static int on_tcp(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct jjoiner *j = ud;
	struct nj_sockaddr local;
	uint8_t req[JT_HUB_REQUEST_SIZE];
	int err = 0;
	socklen_t l = sizeof(err);
	ssize_t n;

	if (j->state == J_CONNECT) {
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err != 0) {
			log_warn("JackTrip hub %s: %s", addr(&j->server), strerror(err));
			retry(j, false, strerror(err));
			return 0;
		}
		nj_udp_local(j->fd, &local);
		jt_hub_request_encode(ntohs(local.u.sa.sa_family == AF_INET ? local.u.in.sin_port
									     : local.u.in6.sin6_port),
				      j->cfg->name[0] ? j->cfg->name : slave_host(j->s), req,
				      sizeof(req));
		if (send(fd, req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
			retry(j, false, "the hub took no request");
			return 0;
		}
		j->state = J_REPLY;
		j->have = 0;
		sd_event_source_set_io_events(es, EPOLLIN);
		return 0;
	}
	n = recv(fd, j->reply + j->have, sizeof(j->reply) - j->have, 0);
	if (n > 0) {
		j->have += (unsigned)n;
		if (j->have == sizeof(j->reply)) {
			hub_answer(j);
		}
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		log_warn("JackTrip hub %s closed without an answer", addr(&j->server));
		retry(j, false, "the hub closed without an answer");
	}
	return 0;
}

static void hub_connect(struct jjoiner *j)
{
	int r;

	j->tcp = socket(j->server.u.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (j->tcp < 0) {
		retry(j, false, strerror(errno));
		return;
	}
	r = connect(j->tcp, &j->server.u.sa, j->server.len);
	if (r < 0 && errno != EINPROGRESS) {
		log_warn("JackTrip hub %s: %s", addr(&j->server), strerror(errno));
		retry(j, false, strerror(errno));
		return;
	}
	set_state(j, J_CONNECT);
	if (sd_event_add_io(slave_event(j->s), &j->tcp_io, j->tcp, EPOLLOUT, on_tcp, j) < 0) {
		retry(j, false, "out of memory");
	}
}

/* ------------------------------------------------------------- timers */

static void begin(struct jjoiner *j)
{
	if (j->p2p) {
		j->peer = j->server;
		boot(j);
	} else {
		hub_connect(j);
	}
}

/* The retry, and the watch over handshakes and sessions. */
static int on_timer(sd_event_source *es, uint64_t usec, void *ud)
{
	struct jjoiner *j = ud;
	uint64_t now = nj_mono_us(), rx = slave_last_rx(j->s);

	switch (j->state) {
	case J_BACKOFF:
		set_state(j, J_IDLE);
		begin(j);
		break;
	case J_CONNECT:
	case J_REPLY:
		if (now - j->since_us > HANDSHAKE_US) {
			log_warn("JackTrip hub %s: no answer in %u s", addr(&j->server),
				 HANDSHAKE_US / 1000000);
			retry(j, false, "the hub did not answer");
		}
		break;
	case J_JOINED:
		if (rx != 0 && now > rx && now - rx > j->cfg->timeout_us) {
			log_warn("JackTrip server %s went silent", addr(&j->peer));
			retry(j, true, "the server went silent");
		}
		break;
	default:
		break;
	}
	if (j->state != J_BACKOFF && j->state != J_IDLE) {
		sd_event_source_set_time_relative(es, WATCH_US);
		sd_event_source_set_enabled(es, SD_EVENT_ON);
	}
	return 0;
}

/* ---------------------------------------------------------- joiner ops */

static void watch(struct jjoiner *j)
{
	sd_event_source_set_time_relative(j->timer, WATCH_US);
	sd_event_source_set_enabled(j->timer, SD_EVENT_ON);
}

static void j_start(void *ud)
{
	struct jjoiner *j = ud;

	begin(j);
	if (j->state != J_BACKOFF) {
		watch(j);
	}
}

static void j_stop(void *ud)
{
	struct jjoiner *j = ud;

	halt(j, true, "ended here");
	sd_event_source_set_enabled(j->timer, SD_EVENT_OFF);
}

static void j_rejoin(void *ud, const char *why)
{
	struct jjoiner *j = ud;

	halt(j, true, why);
	j_start(j);
}

static void j_control(void *ud, const uint8_t *buf, size_t len)
{
	struct jjoiner *j = ud;

	if (j->state == J_JOINED && jt_is_exit(buf, len)) {
		log_notice("JackTrip server %s ended the session (exit packet)", addr(&j->peer));
		retry(j, false, "the server sent its exit packet");
	}
}

static void j_status_head(void *ud, struct nj_buf *b, bool json)
{
	struct jjoiner *j = ud;

	if (json) {
		nj_buf_printf(b, ",\"jacktrip\":{\"mode\":\"%s\",\"server\":", j->p2p ? "p2p" : "hub");
		nj_buf_json_str(b, addr(&j->server));
		nj_buf_printf(b, ",\"state\":\"%s\",\"last_error\":", state_names[j->state]);
		nj_buf_json_str(b, j->last_error);
		nj_buf_printf(b, "}");
	} else {
		nj_buf_printf(b, "no session; JackTrip %s server %s: %s%s%s\n",
			      j->p2p ? "P2P" : "hub", addr(&j->server), state_names[j->state],
			      j->last_error[0] ? "; last: " : "", j->last_error);
	}
}

static void j_free(void *ud)
{
	struct jjoiner *j = ud;

	if (j == NULL) {
		return;
	}
	close_tcp(j);
	nj_exchange_free(j->x);
	sd_event_source_disable_unref(j->udp_io);
	sd_event_source_disable_unref(j->tick);
	sd_event_source_disable_unref(j->timer);
	if (j->fd >= 0) {
		close(j->fd);
	}
	free(j);
}

static const struct joiner_ops jt_joiner_ops = {
	.protocol = "jacktrip",
	.start = j_start,
	.stop = j_stop,
	.rejoin = j_rejoin,
	.control = j_control,
	.status_head = j_status_head,
	.free = j_free,
};

/* ------------------------------------------------------------ lifecycle */

static int open_socket(struct jjoiner *j)
{
	const struct slave_config *c = j->cfg;
	struct nj_udp_opts o;
	struct nj_sockaddr any;

	if (!c->master[0]) {
		log_err("--protocol %s: give the server with --master HOST[:PORT] (JackTrip servers "
			"are not discovered)", j->p2p ? "jacktrip-p2p" : "jacktrip");
		return -EINVAL;
	}
	if (nj_sockaddr_parse(c->master, (uint16_t)c->port, &j->server) < 0 ||
	    nj_sockaddr_is_multicast(&j->server)) {
		log_err("--master: \"%s\" is not a numeric IPv4 or IPv6 unicast address", c->master);
		return -EINVAL;
	}
	nj_sockaddr_parse(j->server.u.sa.sa_family == AF_INET ? "0.0.0.0" : "::", 0, &any);
	nj_udp_opts_init(&o, j->server.u.sa.sa_family);
	o.bind = &any;
	o.dscp = 46; /* as JackTrip marks its datagrams */
	o.timestamps = true; /* arrival times for the clock bridge */
	j->fd = nj_udp_open(&o);
	if (j->fd < 0) {
		log_err("cannot open the UDP socket: %s", strerror(-j->fd));
		return j->fd;
	}
	return sd_event_add_io(slave_event(j->s), &j->udp_io, j->fd, EPOLLIN, on_udp, j);
}

int jt_joiner_new(struct slave *s, bool p2p, const struct joiner_ops **ret_ops, void **ret)
{
	struct jjoiner *j = calloc(1, sizeof(*j));
	sd_event *e = slave_event(s);
	int r;

	if (j == NULL) {
		return -ENOMEM;
	}
	j->s = s;
	j->cfg = slave_cfg(s);
	j->p2p = p2p;
	j->fd = j->tcp = -1;
	r = open_socket(j);
	if (r >= 0) {
		sd_event_source_set_enabled(j->udp_io, SD_EVENT_OFF);
		r = sd_event_add_time(e, &j->tick, CLOCK_MONOTONIC, 0, 0, on_tick, j);
	}
	if (r >= 0) {
		sd_event_source_set_enabled(j->tick, SD_EVENT_OFF);
		r = sd_event_add_time(e, &j->timer, CLOCK_MONOTONIC, 0, 10000, on_timer, j);
	}
	if (r >= 0) {
		sd_event_source_set_enabled(j->timer, SD_EVENT_OFF);
	}
	if (r < 0) {
		j_free(j);
		return r;
	}
	*ret_ops = &jt_joiner_ops;
	*ret = j;
	return 0;
}
