/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slave.c - netjack-slave's three parts:
 *
 *  - the main loop (sd-event): the libnetproto slave machine (discovery,
 *    SLAVE_SETUP, START_MASTER, timeouts), the JACK connection (waited for,
 *    reconnected), the ports, and the session's lifetime;
 *  - the network thread (real-time when allowed): receives the master's
 *    packets, reassembles each master cycle, hands it to the clock bridge
 *    and answers at once with the return packets of the same cycle (we
 *    announce sync mode);
 *  - the JACK process callback: the local side of the clock bridge.
 *
 * The callback sees ports and the bridge only through a published "view";
 * the main loop swaps views and waits until the callback has let go of the
 * old one before freeing it. The ports outlive sessions, so connections on
 * this host survive a master that goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <libnetproto/audio.h>
#include <libnetproto/cycle.h>
#include <libnetproto/opus.h>
#include <libnetproto/session.h>
#include <libnetproto/udp.h>

#include "../common/ctl.h"
#include "../common/jackopen.h"
#include "../common/dnssd.h"
#include "../common/log.h"
#include "../bridge/bridge.h"
#include "pick.h"
#include "slave.h"

#define TICK_US 100000
#define JACK_RETRY_US 1000000
#define MIDI_MAX_EVENTS 512
#define RX_BATCH 32
#define SEEN_RING 16
#define GAP_RESYNC 16         /* a jump of more master cycles restarts the stream */
/*
 * A cycle still incomplete this long after its first packet is taken (a
 * packet was lost): twice the longest spread seen between the first and the
 * last packet of complete cycles, plus some, within these bounds. A fixed
 * 2 ms (the first version) was longer than the bridge's 1 ms jitter margin:
 * a lossy cycle could reach ring A too late and cost an underrun on top of
 * the lost packet, depending on the phase of the two clocks (scenario 28, in
 * about one run of five: 81 underruns for 90 lost packets). The spread of
 * 2+2 channels between namespace hosts is ~80 us: the wait is now ~0.4 ms.
 */
#define TAKE_DEADLINE_MIN_US 400
#define TAKE_DEADLINE_MAX_US 2000
#define TAKE_SPREAD_PAD_US 250
#define STATS_EVERY_US 2000000
#define DNSSD_WAIT_US 2000000 /* --discovery both: DNS-SD gets this long before multicast */
#define MAX_FOUND 32

/* What the JACK callback may touch. */
struct view {
	unsigned n_cap, n_pb, n_mcap, n_mpb;
	jack_port_t *cap[NJ_MAX_CHANNELS], *pb[NJ_MAX_CHANNELS];
	jack_port_t *mcap[NJ_MAX_CHANNELS], *mpb[NJ_MAX_CHANNELS];
	struct bridge *bridge; /* NULL: silence */
	/* callback scratch */
	float *capbuf[NJ_MAX_CHANNELS];
	const float *pbbuf[NJ_MAX_CHANNELS];
	void *mcapbuf[NJ_MAX_CHANNELS];
	struct nj_midi_event *mpb_ev[NJ_MAX_CHANNELS];
	uint32_t mpb_n[NJ_MAX_CHANNELS];
};

/* One session: what the network thread owns. */
struct session {
	struct nj2_params p;
	struct nj_sockaddr master;
	struct nj2_packer *packer;
	struct nj2_unpacker *unpacker;
	struct nj2_opus *opus_rx, *opus_tx;
	struct bridge *bridge;
	uint64_t lock_seen_us;     /* main thread: the bridge's locked_at_us last logged (JACK's
				      clock, which need not be ours: compared only for equality) */
	uint64_t margin_raises_logged; /* main thread: margin raises logged */
	float **pb;                       /* return audio, master period each */
	struct nj_udp_msg rx[RX_BATCH];
	uint8_t *rx_buf;
	struct { uint32_t cycle; uint64_t us, last_us; } seen[SEEN_RING]; /* first, last packet */
	double spread_us; /* the longest first-to-last spread of complete cycles, decaying */
	_Atomic uint64_t take_deadline_pub; /* take_deadline_us(), for status */
	bool have_expected;
	uint32_t expected;
	struct nj_portset peer_wants, we_want;
	pthread_t thread;
	bool thread_running;
	_Atomic bool stop;
	_Atomic uint64_t last_rx_us, cycles, sent, send_errors, foreign, malformed, concealed, resyncs;
	_Atomic bool refused; /* ECONNREFUSED: the master's socket is gone */
	_Atomic uint64_t taken_next, taken_deadline; /* cycles taken incomplete, and why */
	_Atomic unsigned stats_seq;           /* seqlock over stats_pub */
	struct nj_rx_stats stats_pub;         /* the reassembler's counters, per cycle */
	uint64_t started_us;
	unsigned local_period; /* the JACK period the bridge was made for */
};

struct slave {
	sd_event *event;
	struct slave_config cfg;
	struct nj2_slave *fsm;
	struct nj_sockaddr dest; /* group or unicast master */
	int fd;
	int params_pipe[2];      /* network thread -> main: params packets */
	int notify_pipe[2];      /* JACK threads -> main */
	sd_event_source *io, *params_io, *notify_io, *fsm_timer, *tick, *jack_retry;

	jack_client_t *jack;
	bool jack_waiting_logged;
	struct nj_jack_opener *opener; /* jack_client_open() off the loop */
	struct view *_Atomic view;
	_Atomic int busy;
	_Atomic uint64_t cap_connected[NJ_MAX_CHANNELS / 64];
	unsigned reg_cap, reg_pb, reg_mcap, reg_mpb; /* registered ports */
	jack_port_t *cap[NJ_MAX_CHANNELS], *pb[NJ_MAX_CHANNELS];
	jack_port_t *mcap[NJ_MAX_CHANNELS], *mpb[NJ_MAX_CHANNELS];

	struct session *sess;
	uint64_t last_stats_us;
	bool shutting_down;
	char hostname[NJ2_NETNAME_LEN + 1];
	_Atomic uint64_t xruns;  /* the local server's xrun notifications */
	uint64_t started_us;

	/* where SLAVE_AVAILABLE goes (--auto: chosen from DNS-SD or the group) */
	enum { DEST_WAIT, DEST_GROUP, DEST_DNSSD, DEST_UNICAST } dest_mode;
	struct nj_sockaddr group;
	struct nj_dnssd *dnssd;
	sd_event_source *fallback, *rechoose;
	bool fallback_passed;
	bool announce_now;       /* the destination changed: announce at once */
	struct found_master found[MAX_FOUND];
	char chosen[64];
	struct nj_ctl *ctl;
};

enum notify_code { NOTIFY_SHUTDOWN = 1, NOTIFY_FORMAT = 2 };

void slave_config_defaults(struct slave_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->multicast_ip, sizeof(c->multicast_ip), "%s", NJ2_DEFAULT_MCAST_IP);
	c->port = NJ2_DEFAULT_PORT;
	snprintf(c->client_name, sizeof(c->client_name), "netjack");
	c->capture = c->playback = c->midi_capture = c->midi_playback = -1;
	c->latency = 2;
	c->encoder = ENC_FLOAT;
	c->kbps = 128;
	c->mtu = 1500;
	c->resampler = BRIDGE_MEDIUM;
	c->margin_us = 1000;
	c->margin_max_us = 20000;
	c->timeout_us = 1500000;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const char *addr_text(const struct nj_sockaddr *a)
{
	static char buf[80];

	return nj_sockaddr_format(a, buf, sizeof(buf));
}

/* ------------------------------------------------------ views (JACK side) */

static void view_free(struct view *v)
{
	for (unsigned i = 0; v != NULL && i < v->n_mpb; i++) {
		free(v->mpb_ev[i]);
	}
	free(v);
}

/* Publish @v for the callback; free the old one once the callback let go. */
static void view_publish(struct slave *s, struct view *v)
{
	struct view *old = atomic_exchange(&s->view, v);
	int spins = 0;

	while (atomic_load(&s->busy) && spins < 20000) {
		usleep(50); /* the callback runs for at most a period */
		spins++;
	}
	if (spins < 20000) {
		view_free(old);
	} /* else: the JACK server is stuck inside our callback; leak rather than crash */
}

/* A view of the first @cap/@pb/@mcap/@mpb registered ports and @b. Without
 * memory the callback gets no view at all (it then touches nothing), never a
 * stale one: the caller may free the old bridge next. */
static void view_set(struct slave *s, unsigned cap, unsigned pb, unsigned mcap, unsigned mpb,
		     struct bridge *b)
{
	struct view *v = calloc(1, sizeof(*v));

	if (v != NULL) {
		v->n_cap = cap;
		v->n_pb = pb;
		v->n_mcap = mcap;
		v->n_mpb = mpb;
		memcpy(v->cap, s->cap, sizeof(v->cap));
		memcpy(v->pb, s->pb, sizeof(v->pb));
		memcpy(v->mcap, s->mcap, sizeof(v->mcap));
		memcpy(v->mpb, s->mpb, sizeof(v->mpb));
		for (unsigned i = 0; i < v->n_mpb; i++) {
			v->mpb_ev[i] = calloc(MIDI_MAX_EVENTS, sizeof(struct nj_midi_event));
		}
		v->bridge = b;
	}
	view_publish(s, v);
}

static void view_update(struct slave *s, struct bridge *b)
{
	view_set(s, s->reg_cap, s->reg_pb, s->reg_mcap, s->reg_mpb, b);
}

static void emit_midi(void *ud, unsigned port, uint32_t time, const uint8_t *data, uint32_t size)
{
	struct view *v = ud;

	if (port < v->n_mcap) {
		jack_midi_event_write(v->mcapbuf[port], time, data, size);
	}
}

static int process(jack_nframes_t nframes, void *arg)
{
	struct slave *s = arg;
	struct view *v;

	atomic_store(&s->busy, 1);
	v = atomic_load(&s->view);
	if (v == NULL) {
		atomic_store(&s->busy, 0);
		return 0;
	}
	for (unsigned i = 0; i < v->n_cap; i++) {
		v->capbuf[i] = jack_port_get_buffer(v->cap[i], nframes);
		if (jack_port_connected(v->cap[i]) > 0) {
			atomic_fetch_or_explicit(&s->cap_connected[i / 64], 1ull << (i % 64),
						 memory_order_relaxed);
		} else {
			atomic_fetch_and_explicit(&s->cap_connected[i / 64], ~(1ull << (i % 64)),
						  memory_order_relaxed);
		}
	}
	for (unsigned i = 0; i < v->n_pb; i++) {
		v->pbbuf[i] = jack_port_get_buffer(v->pb[i], nframes);
	}
	for (unsigned i = 0; i < v->n_mcap; i++) {
		v->mcapbuf[i] = jack_port_get_buffer(v->mcap[i], nframes);
		jack_midi_clear_buffer(v->mcapbuf[i]);
	}
	for (unsigned i = 0; i < v->n_mpb; i++) {
		void *buf = jack_port_get_buffer(v->mpb[i], nframes);
		uint32_t n = jack_midi_get_event_count(buf), k = 0;

		for (uint32_t e = 0; v->mpb_ev[i] && e < n && k < MIDI_MAX_EVENTS; e++) {
			jack_midi_event_t ev;

			if (jack_midi_event_get(&ev, buf, e) == 0 && ev.size > 0) {
				v->mpb_ev[i][k++] = (struct nj_midi_event){
					.time = ev.time, .size = (uint32_t)ev.size, .data = ev.buffer};
			}
		}
		v->mpb_n[i] = k;
	}
	if (v->bridge != NULL) {
		bridge_local_cycle(v->bridge, jack_get_time(), nframes, v->capbuf, v->pbbuf,
				   (const struct nj_midi_event *const *)v->mpb_ev, v->mpb_n,
				   emit_midi, v);
	} else {
		for (unsigned i = 0; i < v->n_cap; i++) {
			memset(v->capbuf[i], 0, sizeof(float) * nframes);
		}
	}
	atomic_store(&s->busy, 0);
	return 0;
}

/* ---------------------------------------------------------------- ports */

static bool ensure_ports(struct slave *s, jack_port_t **ports, unsigned *have, unsigned want,
			 const char *prefix, const char *type, unsigned long flags)
{
	char name[64];

	while (*have < want) {
		snprintf(name, sizeof(name), "%s_%u", prefix, *have + 1);
		ports[*have] = jack_port_register(s->jack, name, type, flags, 0);
		if (ports[*have] == NULL) {
			log_err("cannot register port %s", name);
			return false;
		}
		(*have)++;
	}
	return true;
}

static void trim_ports(struct slave *s, jack_port_t **ports, unsigned *have, unsigned want)
{
	while (*have > want) {
		(*have)--;
		jack_port_unregister(s->jack, ports[*have]);
		ports[*have] = NULL;
	}
}

/* Make the registered ports match @p (the ports beyond it go; the view
 * must not hold them: call with a view that has no more than @p's). */
static bool ports_for(struct slave *s, unsigned cap, unsigned pb, unsigned mcap, unsigned mpb)
{
	bool ok;

	/* first a view with only the ports both old and new have */
	view_set(s, s->reg_cap < cap ? s->reg_cap : cap, s->reg_pb < pb ? s->reg_pb : pb,
		 s->reg_mcap < mcap ? s->reg_mcap : mcap, s->reg_mpb < mpb ? s->reg_mpb : mpb, NULL);
	trim_ports(s, s->cap, &s->reg_cap, cap);
	trim_ports(s, s->pb, &s->reg_pb, pb);
	trim_ports(s, s->mcap, &s->reg_mcap, mcap);
	trim_ports(s, s->mpb, &s->reg_mpb, mpb);
	ok = ensure_ports(s, s->cap, &s->reg_cap, cap, "capture", JACK_DEFAULT_AUDIO_TYPE,
			  JackPortIsOutput) &&
	     ensure_ports(s, s->pb, &s->reg_pb, pb, "playback", JACK_DEFAULT_AUDIO_TYPE,
			  JackPortIsInput) &&
	     ensure_ports(s, s->mcap, &s->reg_mcap, mcap, "midi_capture", JACK_DEFAULT_MIDI_TYPE,
			  JackPortIsOutput) &&
	     ensure_ports(s, s->mpb, &s->reg_mpb, mpb, "midi_playback", JACK_DEFAULT_MIDI_TYPE,
			  JackPortIsInput);
	view_update(s, NULL);
	return ok;
}

/* ------------------------------------------------------- network thread */

static uint64_t seen_time(struct session *se, uint32_t cycle)
{
	return se->seen[cycle % SEEN_RING].cycle == cycle ? se->seen[cycle % SEEN_RING].us : 0;
}

struct net_args {
	struct slave *s;
	struct session *se;
};

static void take_cycle(struct slave *s, struct session *se, uint32_t c)
{
	struct nj2_cycle_out out;
	struct bridge_net_out bo;
	const struct nj_datagram *list;
	unsigned n;
	int r;
	struct nj2_cycle_in in;

	if (nj2_unpacker_take(se->unpacker, c, &out) < 0) {
		return;
	}
	if (out.have_sync) {
		se->peer_wants = out.peer_wants;
	}
	if (!out.complete) {
		atomic_fetch_add_explicit(&se->concealed, 1, memory_order_relaxed);
	}
	bridge_net_cycle(se->bridge, seen_time(se, c), (const float *const *)out.audio,
			 se->p.send_midi > 0 ? out.midi : NULL,
			 se->p.send_midi > 0 ? out.midi_count : NULL, se->pb, &bo);
	/* the capture ports connected here are the ones we ask the master for */
	nj_portset_clear(&se->we_want);
	for (unsigned i = 0; i < (unsigned)se->p.send_audio; i++) {
		if (atomic_load_explicit(&s->cap_connected[i / 64], memory_order_relaxed) &
		    (1ull << (i % 64))) {
			nj_portset_add(&se->we_want, i);
		}
	}
	{
		atomic_fetch_add_explicit(&se->stats_seq, 1, memory_order_acq_rel);
		se->stats_pub = *nj2_unpacker_stats(se->unpacker);
		atomic_fetch_add_explicit(&se->stats_seq, 1, memory_order_acq_rel);
	}
	in = (struct nj2_cycle_in){
		.cycle = c,
		.audio = (const float *const *)se->pb,
		.peer_wants = &se->peer_wants,
		.we_want = &se->we_want,
		.we_want_n = (unsigned)se->p.send_audio,
		.midi = se->p.return_midi > 0 ? bo.midi : NULL,
		.midi_count = se->p.return_midi > 0 ? bo.midi_count : NULL,
	};
	if (nj2_packer_pack(se->packer, &in, &list, &n) < 0) {
		atomic_fetch_add(&se->send_errors, 1);
		return;
	}
	r = nj_udp_send_datagrams(s->fd, list, n, &se->master);
	if (r == -ECONNREFUSED) {
		atomic_store(&se->refused, true);
	} else if (r < 0) {
		atomic_fetch_add(&se->send_errors, 1);
	} else {
		atomic_fetch_add_explicit(&se->sent, (uint64_t)r, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&se->cycles, 1, memory_order_relaxed);
}

/* How long after its first packet an incomplete cycle is waited for. */
static uint64_t take_deadline_us(const struct session *se)
{
	double d = 2 * se->spread_us + TAKE_SPREAD_PAD_US;

	return (uint64_t)fmin(fmax(d, TAKE_DEADLINE_MIN_US), TAKE_DEADLINE_MAX_US);
}

/* The spread of a cycle's packets, and the wait that follows from it, published. */
static void set_spread(struct session *se, double us)
{
	se->spread_us = us;
	atomic_store_explicit(&se->take_deadline_pub, take_deadline_us(se), memory_order_relaxed);
}

static void on_packet(struct slave *s, struct session *se, struct nj_udp_msg *m, uint64_t now)
{
	uint32_t cyc;
	int r;

	if (m->truncated || m->len < NJ2_HEADER_SIZE) {
		atomic_fetch_add_explicit(&se->malformed, 1, memory_order_relaxed);
		return;
	}
	{
		struct nj_addr a, b;

		nj_sockaddr_to_addr(&m->from, &a);
		nj_sockaddr_to_addr(&se->master, &b);
		if (!nj_addr_equal(&a, &b)) {
			atomic_fetch_add_explicit(&se->foreign, 1, memory_order_relaxed);
			return;
		}
	}
	if (m->len == NJ2_PARAMS_SIZE && memcmp(m->buf, "params", 6) == 0) {
		/* a repeated SLAVE_SETUP or a KILL_MASTER: the main loop's business */
		ssize_t w = write(s->params_pipe[1], m->buf, m->len);

		(void)w;
		return;
	}
	r = nj2_unpacker_push(se->unpacker, m->buf, m->len, &cyc);
	if (r == NJ_PUSH_LATE && se->seen[cyc % SEEN_RING].cycle == cyc &&
	    se->seen[cyc % SEEN_RING].us != 0 && now > se->seen[cyc % SEEN_RING].us) {
		/* a packet of a cycle taken without it: the spread is at least this */
		set_spread(se, fmax(se->spread_us, (double)(now - se->seen[cyc % SEEN_RING].us)));
	}
	if (r != NJ_PUSH_OK) {
		/* malformed, foreign (another session's id), late or duplicate:
		 * the unpacker counted it */
		return;
	}
	if (se->seen[cyc % SEEN_RING].cycle != cyc || se->seen[cyc % SEEN_RING].us == 0) {
		se->seen[cyc % SEEN_RING].cycle = cyc;
		se->seen[cyc % SEEN_RING].us = now;
	}
	se->seen[cyc % SEEN_RING].last_us = now;
	if (!se->have_expected) {
		se->have_expected = true;
		se->expected = cyc;
		return;
	}
	if ((int32_t)(cyc - se->expected) > GAP_RESYNC || (int32_t)(cyc - se->expected) < -GAP_RESYNC) {
		/* the master restarted its count, or we fell far behind */
		atomic_fetch_add_explicit(&se->resyncs, 1, memory_order_relaxed);
		bridge_net_reset(se->bridge);
		se->expected = cyc;
		return;
	}
	/* a packet of a later cycle: the cycles before it are as complete as
	 * they will get */
	while ((int32_t)(cyc - se->expected) > 0) {
		atomic_fetch_add_explicit(&se->taken_next, 1, memory_order_relaxed);
		take_cycle(s, se, se->expected);
		se->expected++;
	}
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A datagram's arrival on JACK's clock: the kernel's stamp moved by the
 * offset between the two clocks now, or @now without a (sane) stamp. */
static uint64_t arrival_us(const struct nj_udp_msg *m, uint64_t now, int64_t rt_off)
{
	int64_t t;

	if (m->rx_ns == 0) {
		return now;
	}
	t = (int64_t)(m->rx_ns / 1000) + rt_off;
	return t > (int64_t)now || t < (int64_t)now - 1000000 ? now : (uint64_t)t;
}

/* A cycle completed: learn how far its packets were spread. */
static void note_spread(struct session *se, uint32_t cycle)
{
	uint64_t first = se->seen[cycle % SEEN_RING].us, last = se->seen[cycle % SEEN_RING].last_us;

	if (se->seen[cycle % SEEN_RING].cycle != cycle || first == 0 || last < first) {
		return;
	}
	/* decays to half in ~700 cycles (~4 s at 48k/256) */
	set_spread(se, fmax((double)(last - first), se->spread_us * 0.999));
}

static void *net_thread(void *arg)
{
	struct net_args *na = arg;
	struct slave *s = na->s;
	struct session *se = na->se;
	struct sched_param sp = {.sched_priority = 75};

	free(na);
	if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0) {
		/* not allowed (no rtprio): run at normal priority */
	}
	while (!atomic_load(&se->stop)) {
		struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
		uint64_t wait_us = 50000, now;
		int n;

		if (se->have_expected && nj2_unpacker_has(se->unpacker, se->expected)) {
			uint64_t first = seen_time(se, se->expected), due;

			now = jack_get_time();
			due = first != 0 ? first + take_deadline_us(se) : now + 1000;
			wait_us = due > now ? due - now : 0;
		}
		if (wait_us > 0) {
			struct timespec ts = {.tv_sec = (time_t)(wait_us / 1000000),
					      .tv_nsec = (long)(wait_us % 1000000) * 1000};

			ppoll(&pfd, 1, &ts, NULL);
		}
		n = nj_udp_recvv(s->fd, se->rx, RX_BATCH);
		/* Arrival times go to the clock bridge, which compares them with
		 * the JACK callback's wake-ups: both on JACK's clock. jack2 reads
		 * CLOCK_MONOTONIC_RAW, which is not CLOCK_MONOTONIC (NTP slews
		 * the latter: here they were 200 ms and some ppm apart). The
		 * kernel stamps each arrival (CLOCK_REALTIME), so a late wake-up
		 * of this thread does not make the master's cycles look late. */
		now = jack_get_time();
		if (n > 0) {
			int64_t rt_off = (int64_t)now - (int64_t)(realtime_ns() / 1000);

			atomic_store_explicit(&se->last_rx_us, mono_us(), memory_order_relaxed);
			for (int i = 0; i < n; i++) {
				on_packet(s, se, &se->rx[i], arrival_us(&se->rx[i], now, rt_off));
			}
		}
		if (n == -ECONNREFUSED) {
			atomic_store(&se->refused, true);
		}
		/* complete cycles go at once; an incomplete one after its deadline */
		while (se->have_expected && nj2_unpacker_has(se->unpacker, se->expected)) {
			uint64_t first = seen_time(se, se->expected);

			if (!nj2_unpacker_complete(se->unpacker, se->expected)) {
				if (!(first != 0 && now >= first + take_deadline_us(se))) {
					break;
				}
				atomic_fetch_add_explicit(&se->taken_deadline, 1, memory_order_relaxed);
			} else {
				note_spread(se, se->expected);
			}
			take_cycle(s, se, se->expected);
			se->expected++;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------- sessions */

static void session_stop_thread(struct session *se)
{
	if (se->thread_running) {
		atomic_store(&se->stop, true);
		pthread_join(se->thread, NULL);
		se->thread_running = false;
	}
}

static void session_free(struct slave *s, struct session *se)
{
	if (se == NULL) {
		return;
	}
	session_stop_thread(se);
	/* the callback lets go of the bridge before it is freed */
	if (s->jack != NULL) {
		view_update(s, NULL);
	}
	bridge_free(se->bridge);
	nj2_packer_free(se->packer);
	nj2_unpacker_free(se->unpacker);
	nj2_opus_free(se->opus_rx);
	nj2_opus_free(se->opus_tx);
	for (int i = 0; se->pb && i < se->p.return_audio; i++) {
		free(se->pb[i]);
	}
	free(se->pb);
	free(se->rx_buf);
	free(se);
}

static int session_alloc(struct slave *s, struct session *se, const char **err)
{
	const struct nj2_params *p = &se->p;
	bool any = p->has_master_ext && (p->master_ext.flags & NJ2_EXT_OPUS_ANY_PERIOD);
	struct nj2_cycle_config c = {
		.id = p->id, .period = p->period, .mtu = p->mtu,
		.encoder = (enum nj2_encoder)p->encoder, .midi_max_events = MIDI_MAX_EVENTS,
		.midi_buffer_size = NJ2_JACK2_MIDI_BUFSIZE, .slots = 8,
	};
	struct bridge_config bc = {
		.capture_ch = (unsigned)p->send_audio, .playback_ch = (unsigned)p->return_audio,
		.midi_capture_ch = (unsigned)p->send_midi, .midi_playback_ch = (unsigned)p->return_midi,
		.master_period = p->period, .master_rate = p->sample_rate,
		.local_period = jack_get_buffer_size(s->jack), .local_rate = jack_get_sample_rate(s->jack),
		.quality = (enum bridge_quality)s->cfg.resampler, .margin_us = s->cfg.margin_us,
		.margin_max_us = s->cfg.margin_max_us,
		.midi_max_events = MIDI_MAX_EVENTS,
	};
	int r = 0;

	if (bc.quality == BRIDGE_NONE && bc.master_rate != bc.local_rate) {
		*err = "--resampler none needs the master's sample rate here";
		return -EINVAL;
	}
	*err = "cannot set up the Opus codec";
	if (p->encoder == NJ2_ENCODER_OPUS) {
		if (p->send_audio > 0) {
			r = nj2_opus_new(p->sample_rate, p->period, (unsigned)p->send_audio, p->kbps, any,
					&se->opus_rx);
		}
		if (r == 0 && p->return_audio > 0) {
			r = nj2_opus_new(p->sample_rate, p->period, (unsigned)p->return_audio, p->kbps,
					any, &se->opus_tx);
		}
		if (r < 0) {
			return r;
		}
	}
	*err = "cannot allocate the session's buffers";
	c.stream = NJ2_STREAM_SEND;
	c.audio_channels = (unsigned)p->send_audio;
	c.midi_channels = (unsigned)p->send_midi;
	c.codec = se->opus_rx ? nj2_opus_ops(se->opus_rx) : NULL;
	c.codec_ctx = se->opus_rx;
	r = nj2_unpacker_new(&c, &se->unpacker);
	if (r < 0) {
		return r;
	}
	c.stream = NJ2_STREAM_RETURN;
	c.audio_channels = (unsigned)p->return_audio;
	c.midi_channels = (unsigned)p->return_midi;
	c.codec = se->opus_tx ? nj2_opus_ops(se->opus_tx) : NULL;
	c.codec_ctx = se->opus_tx;
	r = nj2_packer_new(&c, &se->packer);
	if (r < 0) {
		return r;
	}
	r = bridge_new(&bc, &se->bridge);
	if (r < 0) {
		*err = "cannot set up the clock bridge";
		return r;
	}
	se->local_period = bc.local_period;
	se->pb = calloc((size_t)p->return_audio + 1, sizeof(*se->pb));
	se->rx_buf = malloc((size_t)RX_BATCH * (NJ_MTU_MAX + 64));
	if (se->pb == NULL || se->rx_buf == NULL) {
		return -ENOMEM;
	}
	for (int i = 0; i < p->return_audio; i++) {
		se->pb[i] = calloc(p->period, sizeof(float));
		if (se->pb[i] == NULL) {
			return -ENOMEM;
		}
	}
	for (unsigned i = 0; i < RX_BATCH; i++) {
		se->rx[i].buf = se->rx_buf + (size_t)i * (NJ_MTU_MAX + 64);
		se->rx[i].cap = NJ_MTU_MAX + 64;
	}
	nj_portset_fill(&se->peer_wants, NJ_MAX_CHANNELS);
	nj_portset_fill(&se->we_want, (unsigned)p->send_audio);
	return 0;
}

static void publish_self(struct slave *s);

static void op_send_discovery(void *ud, const uint8_t *buf, size_t len)
{
	struct slave *s = ud;
	int r;

	if (s->dest_mode == DEST_WAIT) {
		return; /* DNS-SD has not picked a master yet */
	}
	r = nj_udp_send(s->fd, buf, len, &s->dest);
	if (r < 0) {
		log_debug("announce to %s: %s", addr_text(&s->dest), strerror(-r));
	}
}

static void op_send_peer(void *ud, const uint8_t *buf, size_t len)
{
	struct slave *s = ud;

	if (s->sess != NULL) {
		nj_udp_send(s->fd, buf, len, &s->sess->master);
	}
}

static int op_adopted(void *ud, const struct nj_addr *master, const struct nj2_params *p)
{
	struct slave *s = ud;
	struct session *se = calloc(1, sizeof(*se));
	struct net_args *na;
	const char *err = "out of memory";
	int r = -ENOMEM;

	if (se == NULL) {
		goto fail;
	}
	se->p = *p;
	/* the longest wait until spreads are known */
	set_spread(se, (TAKE_DEADLINE_MAX_US - TAKE_SPREAD_PAD_US) / 2.0);
	nj_sockaddr_from_addr(master, &se->master);
	s->sess = se;
	if (!ports_for(s, (unsigned)p->send_audio, (unsigned)p->return_audio,
		       (unsigned)p->send_midi, (unsigned)p->return_midi)) {
		err = "cannot register the ports";
		r = -EIO;
		goto fail;
	}
	r = session_alloc(s, se, &err);
	if (r < 0) {
		goto fail;
	}
	nj_udp_set_buffers(s->fd, nj2_socket_buffer_size(p), nj2_socket_buffer_size(p));
	/* from here the network thread reads the socket */
	sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
	view_update(s, se->bridge);
	na = malloc(sizeof(*na));
	if (na == NULL) {
		goto fail;
	}
	na->s = s;
	na->se = se;
	se->started_us = mono_us();
	atomic_store(&se->last_rx_us, se->started_us);
	if (pthread_create(&se->thread, NULL, net_thread, na) != 0) {
		free(na);
		err = "cannot start the network thread";
		goto fail;
	}
	se->thread_running = true;
	log_notice("joined master \"%s\" at %s: %u Hz, period %u, audio %d in / %d out, MIDI %d/%d, "
		   "%s, latency %u; bridged into JACK at %u Hz, period %u (%s resampling)",
		   p->master_name, addr_text(&se->master), p->sample_rate, p->period,
		   p->send_audio, p->return_audio, p->send_midi, p->return_midi,
		   nj2_encoder_name(p->encoder),
		   p->latency, jack_get_sample_rate(s->jack), jack_get_buffer_size(s->jack),
		   bridge_quality_name((enum bridge_quality)s->cfg.resampler));
	sd_notifyf(false, "STATUS=joined %s", addr_text(&se->master));
	publish_self(s);
	return 0;
fail:
	log_err("cannot run the session with %s: %s: %s", se ? addr_text(&se->master) : "?", err,
		strerror(-r));
	s->sess = NULL;
	session_free(s, se);
	sd_event_source_set_enabled(s->io, SD_EVENT_ON);
	return r < 0 ? r : -EIO;
}

static void op_running(void *ud)
{
	log_info("data from the master is flowing");
}

/* The network thread's receive counters, with the packets it turned away
 * before the unpacker (short, truncated, from another address) folded in. */
static void snapshot_rx(struct session *se, struct nj_rx_stats *ret)
{
	unsigned seq;

	do {
		seq = atomic_load_explicit(&se->stats_seq, memory_order_acquire);
		*ret = se->stats_pub;
	} while ((seq & 1) || seq != atomic_load_explicit(&se->stats_seq, memory_order_acquire));
	ret->malformed += atomic_load(&se->malformed);
	ret->foreign += atomic_load(&se->foreign);
}


static void log_session_end(struct slave *s, struct session *se, const char *why)
{
	struct bridge_stats st;
	struct nj_rx_stats rx;

	bridge_stats(se->bridge, &st);
	snapshot_rx(se, &rx);
	log_notice("left the master at %s (%s) after %llu cycles: %llu concealed, %llu malformed, "
		   "%llu foreign packets; bridge: lock %.2f s, clock %+.1f ppm, ratio error %.2f ppm "
		   "rms, underruns %llu/%llu, slips %llu",
		   addr_text(&se->master), why, (unsigned long long)atomic_load(&se->cycles),
		   (unsigned long long)atomic_load(&se->concealed),
		   (unsigned long long)rx.malformed,
		   (unsigned long long)rx.foreign, st.lock_us / 1e6,
		   st.clock_ppm,
		   st.ratio_err_rms_ppm, (unsigned long long)st.underruns_a,
		   (unsigned long long)st.underruns_b, (unsigned long long)st.slips);
}

static void end_session(struct slave *s, const char *why)
{
	struct session *se = s->sess;

	if (se == NULL) {
		return;
	}
	session_stop_thread(se); /* its counters are final after this */
	log_session_end(s, se, why);
	s->sess = NULL;
	session_free(s, se);
	if (s->io) {
		sd_event_source_set_enabled(s->io, SD_EVENT_ON);
	}
	sd_notify(false, "STATUS=looking for a master");
	publish_self(s);
	if (s->rechoose != NULL) {
		sd_event_source_set_enabled(s->rechoose, SD_EVENT_ONESHOT);
	}
}

static void op_lost(void *ud, enum nj2_slave_lost_reason why)
{
	static const char *const text[] = {
		[NJ2_LOST_TIMEOUT] = "the master went silent",
		[NJ2_LOST_KILLED] = "the master sent KILL_MASTER",
		[NJ2_LOST_LOCAL] = "ended here",
	};

	end_session(ud, text[why]);
}

static void op_rejected(void *ud, const struct nj2_params *setup, int err)
{
	/* anyone can send these: rate-limited */
	static struct nj_ratelimit rl = {.what = "ignored SLAVE_SETUP messages"};

	if (nj_ratelimit_ok(&rl)) {
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

/* ------------------------------------------------------------ main loop */

static void arm_fsm_timer(struct slave *s)
{
	uint64_t d = s->fsm ? nj2_slave_next_deadline(s->fsm) : NJ_TIME_NEVER;

	if (d == NJ_TIME_NEVER) {
		sd_event_source_set_enabled(s->fsm_timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(s->fsm_timer, d);
	sd_event_source_set_enabled(s->fsm_timer, SD_EVENT_ONESHOT);
}

static int fsm_timer_cb(sd_event_source *es, uint64_t usec, void *ud)
{
	struct slave *s = ud;

	nj2_slave_timeout(s->fsm, mono_us());
	arm_fsm_timer(s);
	return 0;
}

static int socket_rx(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct slave *s = ud;
	uint8_t buf[NJ2_PARAMS_SIZE + 1];
	struct nj_udp_msg msg = {.buf = buf, .cap = sizeof(buf)};

	for (unsigned i = 0; i < 256 && s->sess == NULL && nj_udp_recvv(fd, &msg, 1) == 1; i++) {
		struct nj_addr from;

		nj_sockaddr_to_addr(&msg.from, &from);
		nj2_slave_rx(s->fsm, buf, msg.truncated ? sizeof(buf) : msg.len, &from, mono_us());
	}
	arm_fsm_timer(s);
	return 0;
}

static int params_rx(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct slave *s = ud;
	uint8_t buf[NJ2_PARAMS_SIZE];

	while (read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf)) {
		if (s->sess != NULL) {
			struct nj_addr from;

			nj_sockaddr_to_addr(&s->sess->master, &from);
			nj2_slave_rx(s->fsm, buf, sizeof(buf), &from, mono_us());
		}
	}
	arm_fsm_timer(s);
	return 0;
}

static void log_bridge(struct slave *s)
{
	struct bridge_stats st;

	if (s->sess == NULL) {
		return;
	}
	bridge_stats(s->sess->bridge, &st);
	log_info("bridge: %s, ratio %.6f, clock %+.2f ppm, ratio error %.3f ppm rms (max %.3f), "
		 "lock %.2f s, fill %.1f/%.1f + %.1f/%.1f frames (rings %llu + %llu), underruns %llu/%llu, overruns "
		 "%llu/%llu, slips %llu, dropouts %llu, clock steps %llu/%llu, late beyond margin "
		 "%llu/%llu (max %.1f/%.1f ms), margin %.1f ms, resyncs %llu, cycles %llu, "
		 "concealed %llu (taken early: %llu "
		 "at the next cycle, %llu at the deadline)",
		 st.state == BRIDGE_RUNNING ? "running" : st.state == BRIDGE_PRIMING ? "priming" : "idle",
		 st.ratio, st.clock_ppm, st.ratio_err_rms_ppm, st.ratio_err_max_ppm, st.lock_us / 1e6,
		 st.fill_a, st.target_a, st.fill_b, st.target_b, (unsigned long long)st.ring_a,
		 (unsigned long long)st.ring_b, (unsigned long long)st.underruns_a, (unsigned long long)st.underruns_b,
		 (unsigned long long)st.overruns_a, (unsigned long long)st.overruns_b,
		 (unsigned long long)st.slips, (unsigned long long)st.dropouts,
		 (unsigned long long)st.steps_master, (unsigned long long)st.steps_local,
		 (unsigned long long)st.late_master, (unsigned long long)st.late_local,
		 st.late_max_master_us / 1e3, st.late_max_local_us / 1e3, st.margin_us / 1e3,
		 (unsigned long long)st.resyncs, (unsigned long long)atomic_load(&s->sess->cycles),
		 (unsigned long long)atomic_load(&s->sess->concealed),
		 (unsigned long long)atomic_load(&s->sess->taken_next),
		 (unsigned long long)atomic_load(&s->sess->taken_deadline));
}

static int tick(sd_event_source *es, uint64_t usec, void *ud)
{
	struct slave *s = ud;
	uint64_t now = mono_us();

	if (!s->shutting_down && nj_jack_opener_stuck(s->opener, "netjack-slave")) {
		slave_shutdown(s, EXIT_FAILURE);
		return 0;
	}

	if (s->sess != NULL) {
		struct session *se = s->sess;
		struct bridge_stats st;

		bridge_stats(se->bridge, &st);
		if (st.locked_at_us != 0 && !se->stop && st.locked_at_us != se->lock_seen_us) {
			bool again = se->lock_seen_us != 0;

			se->lock_seen_us = st.locked_at_us;
			if (again) {
				log_info("clock bridge locked again (clock steps %llu/%llu, resyncs "
					 "%llu so far)", (unsigned long long)st.steps_master,
					 (unsigned long long)st.steps_local,
					 (unsigned long long)st.resyncs);
			} else {
				log_notice("clock bridge locked after %.2f s: master clock %+.1f ppm "
					   "against this one", st.lock_us / 1e6, st.clock_ppm);
			}
			s->last_stats_us = now;
		}
		if (st.margin_raises != se->margin_raises_logged) {
			se->margin_raises_logged = st.margin_raises;
			log_notice("clock bridge: jitter margin raised to %.1f ms (cycles came up to "
				   "%.1f ms late here, %.1f ms from the master)", st.margin_us / 1e3,
				   st.late_max_local_us / 1e3, st.late_max_master_us / 1e3);
		}
		if (now - s->last_stats_us >= STATS_EVERY_US) {
			log_bridge(s);
			s->last_stats_us = now;
		}
		if (atomic_load(&se->refused)) {
			log_notice("the master's socket is gone (connection refused)");
			nj2_slave_stop(s->fsm);
			nj2_slave_start(s->fsm, now);
		} else {
			nj2_slave_alive(s->fsm, atomic_load(&se->last_rx_us));
			nj2_slave_timeout(s->fsm, now);
		}
	}
	arm_fsm_timer(s);
	sd_event_source_set_time(es, now + TICK_US);
	sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
	return 0;
}

/* ------------------------------------------- DNS-SD: finding, publishing */

static const char *const discovery_names[] = {"both", "multicast", "dnssd"};

static const char *mode_text(const struct slave *s)
{
	switch (s->dest_mode) {
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

/* Our own service: the slave's name, its UDP port and what it is doing. */
static void publish_self(struct slave *s)
{
	char t[10][NJ_DNSSD_TXT_LEN];
	const char *txt[10];
	struct nj_sockaddr local;
	unsigned n = 0;
	const struct session *se = s->sess;

	if (s->dnssd == NULL || s->fd < 0 || nj_udp_local(s->fd, &local) < 0) {
		return;
	}
	snprintf(t[n++], sizeof(t[0]), "txtvers=1");
	snprintf(t[n++], sizeof(t[0]), "proto=%d", NJ2_PROTOCOL_VERSION);
	snprintf(t[n++], sizeof(t[0]), "role=slave");
	snprintf(t[n++], sizeof(t[0]), "state=%s", se ? "joined" : "looking");
	snprintf(t[n++], sizeof(t[0]), "master=%.64s", se ? se->p.master_name : "");
	snprintf(t[n++], sizeof(t[0]), "client=%.63s", s->cfg.client_name);
	snprintf(t[n++], sizeof(t[0]), "host=%.64s", s->hostname);
	snprintf(t[n++], sizeof(t[0]), "encoder=%s",
		 nj2_encoder_name(se ? se->p.encoder : (uint32_t[]){0, 1, 3}[s->cfg.encoder]));
	snprintf(t[n++], sizeof(t[0]), "latency=%d", se ? (int)se->p.latency : s->cfg.latency);
	snprintf(t[n++], sizeof(t[0]), "version=%s", NETJACK_VERSION);
	for (unsigned i = 0; i < n; i++) {
		txt[i] = t[i];
	}
	nj_dnssd_publish(s->dnssd, NJ_DNSSD_SLAVE_TYPE,
			 s->cfg.name[0] ? s->cfg.name : s->hostname,
			 ntohs(local.u.sa.sa_family == AF_INET ? local.u.in.sin_port
							       : local.u.in6.sin6_port),
			 txt, n);
}

static bool same_addr(const struct nj_sockaddr *a, const struct nj_sockaddr *b)
{
	struct nj_addr x, y;

	nj_sockaddr_to_addr(a, &x);
	nj_sockaddr_to_addr(b, &y);
	return nj_addr_equal(&x, &y);
}

/* Between sessions: announce to the DNS-SD master of choice, or to the group. */
static void choose_dest(struct slave *s)
{
	const struct found_master *f;
	unsigned n = 0;
	char a[80];

	if (!s->cfg.auto_discover || s->sess != NULL ||
	    (s->fsm != NULL && nj2_slave_state(s->fsm) > NJ2_SLAVE_DISCOVER)) {
		return;
	}
	f = s->cfg.discovery == SDISC_MULTICAST
		    ? NULL
		    : pick_master(s->found, MAX_FOUND, s->cfg.master_name, &n);
	if (f != NULL) {
		bool changed = s->dest_mode != DEST_DNSSD || strcmp(s->chosen, f->name) != 0 ||
			       !same_addr(&s->dest, &f->addr);

		if (!changed) {
			return;
		}
		s->dest = f->addr;
		s->dest_mode = DEST_DNSSD;
		snprintf(s->chosen, sizeof(s->chosen), "%s", f->name);
		log_notice("DNS-SD: chose master \"%s\" at %s (%u found%s)", f->name,
			   nj_sockaddr_format(&f->addr, a, sizeof(a)), n,
			   s->cfg.master_name[0] ? ", by --master-name"
			   : n > 1 ? "; rule: a free slot, then the fewest slaves, then the name"
				   : "");
		s->announce_now = true; /* now, not in up to a second */
		sd_event_source_set_enabled(s->rechoose, SD_EVENT_ONESHOT);
		return;
	}
	s->chosen[0] = '\0';
	if (s->cfg.discovery == SDISC_MULTICAST ||
	    (s->cfg.discovery == SDISC_BOTH && s->fallback_passed)) {
		if (s->dest_mode != DEST_GROUP) {
			s->dest = s->group;
			s->dest_mode = DEST_GROUP;
			s->announce_now = true;
			sd_event_source_set_enabled(s->rechoose, SD_EVENT_ONESHOT);
			log_notice("%s; announcing to the multicast group %s",
				   s->cfg.discovery == SDISC_MULTICAST
					   ? "multicast discovery"
					   : "DNS-SD has no master for us",
				   nj_sockaddr_format(&s->group, a, sizeof(a)));
		}
	} else if (s->dest_mode != DEST_WAIT) {
		s->dest_mode = DEST_WAIT;
		log_notice("DNS-SD: no master to join; waiting for one");
	}
}

static struct found_master *found_slot(struct slave *s, const struct nj_dnssd_found *f,
				       bool create)
{
	struct found_master *free_slot = NULL;

	for (unsigned i = 0; i < MAX_FOUND; i++) {
		struct found_master *m = &s->found[i];

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
	struct slave *s = ud;
	struct found_master *m = found_slot(s, f, true);
	const char *v;

	if (m == NULL) {
		return; /* more masters than we keep: the first ones do */
	}
	if (nj_sockaddr_parse(f->addr, f->port, &m->addr) < 0 ||
	    m->addr.u.sa.sa_family != s->group.u.sa.sa_family) {
		return;
	}
	v = nj_dnssd_txt(f, "proto");
	if (v != NULL && atoi(v) != NJ2_PROTOCOL_VERSION) {
		log_info("DNS-SD: master \"%s\" speaks protocol %s, not %d: ignored", f->name, v,
			 NJ2_PROTOCOL_VERSION);
		return;
	}
	m->used = true;
	snprintf(m->name, sizeof(m->name), "%s", f->name);
	m->ifindex = f->ifindex;
	m->family = f->family;
	v = nj_dnssd_txt(f, "slaves");
	m->slaves = v ? (unsigned)atoi(v) : 0;
	v = nj_dnssd_txt(f, "max_slaves");
	m->max_slaves = v ? (unsigned)atoi(v) : 0;
	log_debug("DNS-SD: master \"%s\" at %s port %u (%u/%u slaves)", f->name, f->addr, f->port,
		  m->slaves, m->max_slaves);
	choose_dest(s);
}

static void dnssd_removed(void *ud, const struct nj_dnssd_found *f)
{
	struct slave *s = ud;
	struct found_master *m = found_slot(s, f, false);

	if (m != NULL) {
		m->used = false;
		log_debug("DNS-SD: master \"%s\" is gone", f->name);
		choose_dest(s);
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
	struct slave *s = ud;

	choose_dest(s);
	if (s->announce_now && s->fsm != NULL && nj2_slave_state(s->fsm) == NJ2_SLAVE_DISCOVER) {
		nj2_slave_stop(s->fsm);
		nj2_slave_start(s->fsm, mono_us());
		arm_fsm_timer(s);
	}
	s->announce_now = false;
	return 0;
}

static int fallback_cb(sd_event_source *es, uint64_t usec, void *ud)
{
	struct slave *s = ud;

	s->fallback_passed = true;
	choose_dest(s);
	return 0;
}

/* ------------------------------------------------------- control socket */

static const char *bridge_state_name(enum bridge_state st)
{
	return st == BRIDGE_RUNNING ? "running" : st == BRIDGE_PRIMING ? "priming" : "idle";
}

static void status_json(struct slave *s, struct nj_buf *b)
{
	struct session *se = s->sess;
	char a[80];

	nj_buf_printf(b, "{\"role\":\"slave\",\"name\":");
	nj_buf_json_str(b, s->cfg.name[0] ? s->cfg.name : s->hostname);
	nj_buf_printf(b, ",\"client\":");
	nj_buf_json_str(b, s->jack ? jack_get_client_name(s->jack) : s->cfg.client_name);
	nj_buf_printf(b, ",\"version\":\"%s\",\"pid\":%d,\"uptime_s\":%.1f,"
			 "\"jack\":{\"connected\":%s,\"rate\":%u,\"period\":%u,\"xruns\":%llu},"
			 "\"discovery\":\"%s\",\"dnssd\":%s,\"announcing_to\":\"%s\","
			 "\"state\":\"%s\",\"sessions\":[",
		      NETJACK_VERSION, (int)getpid(), (double)(mono_us() - s->started_us) / 1e6,
		      s->jack ? "true" : "false", s->jack ? jack_get_sample_rate(s->jack) : 0,
		      s->jack ? jack_get_buffer_size(s->jack) : 0,
		      (unsigned long long)atomic_load(&s->xruns),
		      s->cfg.auto_discover ? discovery_names[s->cfg.discovery] : "unicast",
		      s->dnssd && nj_dnssd_running(s->dnssd) ? "true" : "false",
		      s->dest_mode == DEST_WAIT ? "" : nj_sockaddr_format(&s->dest, a, sizeof(a)),
		      se ? "running" : s->jack ? "looking" : "waiting for JACK");
	if (se != NULL) {
		struct nj_rx_stats rx;
		struct bridge_stats st;

		snapshot_rx(se, &rx);
		bridge_stats(se->bridge, &st);
		nj_buf_printf(b, "{\"name\":");
		nj_buf_json_str(b, se->p.master_name);
		nj_buf_printf(b, ",\"state\":\"%s\",\"address\":\"%s\",\"id\":%u,"
				 "\"audio_from_master\":%d,\"audio_to_master\":%d,"
				 "\"midi_from_master\":%d,\"midi_to_master\":%d,\"rate\":%u,"
				 "\"period\":%u,\"encoder\":\"%s\",\"kbps\":%u,\"mtu\":%u,"
				 "\"latency_cycles\":%u,\"latency_frames\":%u,\"uptime_s\":%.1f,"
				 "\"cycles\":%llu,\"packets\":%llu,\"lost\":%llu,\"late\":%llu,"
				 "\"duplicate\":%llu,\"reordered\":%llu,\"malformed\":%llu,"
				 "\"foreign\":%llu,\"concealed\":%llu,\"xruns\":%llu,"
				 "\"take_deadline_us\":%llu,",
			      atomic_load(&se->cycles) ? "running" : "starting",
			      nj_sockaddr_format(&se->master, a, sizeof(a)), se->p.id,
			      se->p.send_audio, se->p.return_audio, se->p.send_midi,
			      se->p.return_midi, se->p.sample_rate, se->p.period,
			      nj2_encoder_name(se->p.encoder), se->p.kbps, se->p.mtu, se->p.latency,
			      se->p.latency * se->p.period, (double)(mono_us() - se->started_us) / 1e6,
			      (unsigned long long)atomic_load(&se->cycles),
			      (unsigned long long)rx.packets, (unsigned long long)rx.lost,
			      (unsigned long long)rx.late, (unsigned long long)rx.duplicate,
			      (unsigned long long)rx.reordered,
			      (unsigned long long)rx.malformed,
			      (unsigned long long)rx.foreign,
			      (unsigned long long)atomic_load(&se->concealed),
			      (unsigned long long)atomic_load(&s->xruns),
			      (unsigned long long)atomic_load(&se->take_deadline_pub));
		nj_buf_printf(b, "\"bridge\":{\"state\":\"%s\",\"resampler\":\"%s\",\"locked\":%s,"
				 "\"lock_s\":%.2f,\"clock_ppm\":%.2f,\"ratio\":%.8f,"
				 "\"ratio_error_ppm_rms\":%.3f,\"fill_frames\":%.1f,"
				 "\"target_frames\":%.1f,\"underruns\":%llu,\"overruns\":%llu,"
				 "\"resyncs\":%llu,\"late_master\":%llu,\"late_local\":%llu,"
				 "\"margin_ms\":%.2f}}",
			      bridge_state_name(st.state),
			      bridge_quality_name((enum bridge_quality)s->cfg.resampler),
			      st.locked_at_us ? "true" : "false", st.lock_us / 1e6, st.clock_ppm,
			      st.ratio, st.ratio_err_rms_ppm, st.fill_a, st.target_a,
			      (unsigned long long)(st.underruns_a + st.underruns_b),
			      (unsigned long long)(st.overruns_a + st.overruns_b),
			      (unsigned long long)st.resyncs, (unsigned long long)st.late_master,
			      (unsigned long long)st.late_local, st.margin_us / 1e3);
	}
	nj_buf_printf(b, "]}\n");
}

static void status_text(struct slave *s, struct nj_buf *b)
{
	struct session *se = s->sess;
	char a[80];

	nj_buf_printf(b, "netjack-slave \"%s\" %s: JACK client \"%s\" %s", 
		      s->cfg.name[0] ? s->cfg.name : s->hostname, NETJACK_VERSION,
		      s->jack ? jack_get_client_name(s->jack) : s->cfg.client_name,
		      s->jack ? "connected" : "waiting for the JACK server");
	if (s->jack) {
		nj_buf_printf(b, ", %u Hz, period %u, %llu xruns", jack_get_sample_rate(s->jack),
			      jack_get_buffer_size(s->jack),
			      (unsigned long long)atomic_load(&s->xruns));
	}
	nj_buf_printf(b, "\n");
	if (se == NULL) {
		nj_buf_printf(b, "no master; announcing to %s%s%s\n", mode_text(s),
			      s->dest_mode == DEST_WAIT ? "" : " ",
			      s->dest_mode == DEST_WAIT ? "" : nj_sockaddr_format(&s->dest, a, sizeof(a)));
		return;
	}
	{
		struct nj_rx_stats rx;
		struct bridge_stats st;

		snapshot_rx(se, &rx);
		bridge_stats(se->bridge, &st);
		nj_buf_printf(b, "%-16s %-22s %-11s %-6s %-11s %8s %10s %6s %6s %5s %5s %8s %5s\n",
			      "MASTER", "ADDRESS", "AUDIO/MIDI", "ENC", "LATENCY", "UPTIME", "CYCLES",
			      "LOST", "LATE", "DUP", "MALF", "CONCEAL", "XRUN");
		char ch[24], lat[24];

		snprintf(ch, sizeof(ch), "%d:%d/%d:%d", se->p.send_audio, se->p.return_audio,
			 se->p.send_midi, se->p.return_midi);
		snprintf(lat, sizeof(lat), "%u (%u fr)", se->p.latency, se->p.latency * se->p.period);
		nj_buf_printf(b, "%-16s %-22s %-11s %-6s %-11s %7.0fs %10llu %6llu %6llu %5llu %5llu "
				 "%8llu %5llu\n",
			      se->p.master_name, nj_sockaddr_format(&se->master, a, sizeof(a)), ch,
			      nj2_encoder_name(se->p.encoder), lat,
			      (double)(mono_us() - se->started_us) / 1e6,
			      (unsigned long long)atomic_load(&se->cycles), (unsigned long long)rx.lost,
			      (unsigned long long)rx.late, (unsigned long long)rx.duplicate,
			      (unsigned long long)rx.malformed,
			      (unsigned long long)atomic_load(&se->concealed),
			      (unsigned long long)atomic_load(&s->xruns));
		nj_buf_printf(b, "clock bridge: %s (%s), %s, master clock %+.1f ppm, ratio error "
				 "%.2f ppm rms, fill %.0f/%.0f frames, %llu underruns, %llu "
				 "overruns, %llu resyncs\n",
			      bridge_state_name(st.state),
			      bridge_quality_name((enum bridge_quality)s->cfg.resampler),
			      st.locked_at_us ? "locked" : "not locked", st.clock_ppm,
			      st.ratio_err_rms_ppm, st.fill_a, st.target_a,
			      (unsigned long long)(st.underruns_a + st.underruns_b),
			      (unsigned long long)(st.overruns_a + st.overruns_b),
			      (unsigned long long)st.resyncs);
	}
}

static void ctl_status(void *ud, bool json, struct nj_buf *out)
{
	(json ? status_json : status_text)(ud, out);
}

static int ctl_kick(void *ud, const char *name, struct nj_buf *out, const char **err)
{
	struct slave *s = ud;

	if (s->sess == NULL || strcmp(s->sess->p.master_name, name) != 0) {
		*err = "kick: no session with that master";
		return -ENOENT;
	}
	log_notice("control socket: leaving master \"%s\"", name);
	nj_buf_printf(out, "left master \"%s\"\n", name);
	nj2_slave_stop(s->fsm); /* lost(LOCAL): the session ends */
	nj2_slave_start(s->fsm, mono_us());
	arm_fsm_timer(s);
	return 0;
}

static const struct nj_ctl_ops ctl_ops = {ctl_status, ctl_kick};

static int ctl_handle(void *ud, const struct nj_ctl_request *req, struct nj_buf *out,
		      const char **err)
{
	return nj_ctl_dispatch(&ctl_ops, ud, req, out, err);
}

/* ----------------------------------------------------------------- JACK */

static void notify(struct slave *s, uint8_t code)
{
	ssize_t r = write(s->notify_pipe[1], &code, 1);

	(void)r;
}

static void jack_shutdown_cb(jack_status_t code, const char *reason, void *arg)
{
	notify(arg, NOTIFY_SHUTDOWN);
}

static int jack_bufsize_cb(jack_nframes_t n, void *arg)
{
	notify(arg, NOTIFY_FORMAT);
	return 0;
}

static int jack_xrun_cb(void *arg)
{
	struct slave *s = arg;

	atomic_fetch_add_explicit(&s->xruns, 1, memory_order_relaxed);
	return 0;
}

static void jack_quiet(const char *msg)
{
	log_debug("jack: %s", msg);
}

/* Starts an attempt to open our client (off the loop: see jackopen.h);
 * jack_opened() goes on with its result. */
static void jack_connect_now(struct slave *s)
{
	int r = nj_jack_opener_start(s->opener, s->cfg.client_name);

	if (r < 0 && r != -EBUSY) {
		log_err("cannot start connecting to JACK: %s; retrying", strerror(-r));
		sd_event_source_set_time(s->jack_retry, mono_us() + JACK_RETRY_US);
		sd_event_source_set_enabled(s->jack_retry, SD_EVENT_ONESHOT);
	}
}

static void jack_opened(void *ud, jack_client_t *client, jack_status_t status)
{
	struct slave *s = ud;
	unsigned c, p, mc, mp;

	(void)status;
	s->jack = client;
	if (s->shutting_down) {
		if (client != NULL) {
			jack_client_close(client);
			s->jack = NULL;
		}
		return;
	}
	if (s->jack == NULL) {
		if (!s->jack_waiting_logged) {
			log_notice("no JACK server running; waiting for one (never starting one)");
			s->jack_waiting_logged = true;
			sd_notify(false, "STATUS=waiting for the JACK server");
		}
		sd_event_source_set_time(s->jack_retry, mono_us() + JACK_RETRY_US);
		sd_event_source_set_enabled(s->jack_retry, SD_EVENT_ONESHOT);
		return;
	}
	s->jack_waiting_logged = false;
	jack_on_info_shutdown(s->jack, jack_shutdown_cb, s);
	jack_set_buffer_size_callback(s->jack, jack_bufsize_cb, s);
	jack_set_process_callback(s->jack, process, s);
	jack_set_xrun_callback(s->jack, jack_xrun_cb, s);
	/* Ports known before a master answers: the counts asked for (-1: none
	 * until the master says how many). The last session's counts win. */
	c = s->reg_cap ? s->reg_cap : s->cfg.capture > 0 ? (unsigned)s->cfg.capture : 0;
	p = s->reg_pb ? s->reg_pb : s->cfg.playback > 0 ? (unsigned)s->cfg.playback : 0;
	mc = s->reg_mcap ? s->reg_mcap : s->cfg.midi_capture > 0 ? (unsigned)s->cfg.midi_capture : 0;
	mp = s->reg_mpb ? s->reg_mpb : s->cfg.midi_playback > 0 ? (unsigned)s->cfg.midi_playback : 0;
	s->reg_cap = s->reg_pb = s->reg_mcap = s->reg_mpb = 0;
	if (jack_activate(s->jack) != 0) {
		log_err("cannot activate the JACK client; retrying");
		jack_client_close(s->jack);
		s->jack = NULL;
		sd_event_source_set_time(s->jack_retry, mono_us() + JACK_RETRY_US);
		sd_event_source_set_enabled(s->jack_retry, SD_EVENT_ONESHOT);
		return;
	}
	ports_for(s, c, p, mc, mp);
	log_notice("connected to JACK as \"%s\": %u Hz, period %u; looking for a master at %s",
		   jack_get_client_name(s->jack), jack_get_sample_rate(s->jack),
		   jack_get_buffer_size(s->jack),
		   s->dest_mode == DEST_WAIT ? "DNS-SD" : addr_text(&s->dest));
	sd_notify(false, "READY=1\nSTATUS=looking for a master");
	nj2_slave_start(s->fsm, mono_us());
	arm_fsm_timer(s);
}

static int jack_retry_cb(sd_event_source *es, uint64_t usec, void *ud)
{
	jack_connect_now(ud);
	return 0;
}

static void jack_gone(struct slave *s)
{
	log_warn("the JACK server went away: leaving the master until it is back");
	nj2_slave_stop(s->fsm); /* ends the session: lost(LOCAL) */
	end_session(s, "JACK went away");
	if (s->jack != NULL) {
		struct view *v = atomic_exchange(&s->view, NULL);

		jack_client_close(s->jack);
		view_free(v);
		s->jack = NULL;
	}
	/* not at once: a server that is still shutting down may accept our
	 * connection and never answer it */
	sd_event_source_set_time(s->jack_retry, mono_us() + JACK_RETRY_US);
	sd_event_source_set_enabled(s->jack_retry, SD_EVENT_ONESHOT);
}

static int notify_rx(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct slave *s = ud;
	uint8_t codes[64];
	ssize_t n = read(fd, codes, sizeof(codes));
	bool gone = false, format = false;

	for (ssize_t i = 0; i < n; i++) {
		gone |= codes[i] == NOTIFY_SHUTDOWN;
		format |= codes[i] == NOTIFY_FORMAT;
	}
	if (gone) {
		jack_gone(s);
	} else if (format && s->sess != NULL && s->jack != NULL &&
		   jack_get_buffer_size(s->jack) != s->sess->local_period) {
		/* the bridge is sized for the local period: rejoin with the new one */
		log_notice("the local JACK period changed to %u: rejoining",
			   jack_get_buffer_size(s->jack));
		nj2_slave_stop(s->fsm);
		nj2_slave_start(s->fsm, mono_us());
		arm_fsm_timer(s);
	}
	return 0;
}

/* ------------------------------------------------------------ lifecycle */

static int open_socket(struct slave *s)
{
	struct nj_udp_opts o;
	struct nj_sockaddr any;
	const char *target = s->cfg.auto_discover ? s->cfg.multicast_ip : s->cfg.master;

	if (nj_sockaddr_parse(target, (uint16_t)s->cfg.port, &s->dest) < 0) {
		log_err("%s: \"%s\" is not a numeric IPv4 or IPv6 address",
			s->cfg.auto_discover ? "--multicast-ip" : "--master", target);
		return -EINVAL;
	}
	if (s->cfg.auto_discover && !nj_sockaddr_is_multicast(&s->dest)) {
		log_err("--multicast-ip: \"%s\" is not a multicast address", target);
		return -EINVAL;
	}
	s->group = s->dest;
	s->dest_mode = !s->cfg.auto_discover                  ? DEST_UNICAST
		       : s->cfg.discovery == SDISC_MULTICAST ? DEST_GROUP
							     : DEST_WAIT;
	nj_sockaddr_parse(s->dest.u.sa.sa_family == AF_INET ? "0.0.0.0" : "::", 0, &any);
	nj_udp_opts_init(&o, s->dest.u.sa.sa_family);
	o.bind = &any;
	o.ifname = s->cfg.interface[0] ? s->cfg.interface : NULL;
	o.mcast_loop = false;
	o.timestamps = true; /* arrival times for the clock bridge */
	s->fd = nj_udp_open(&o);
	if (s->fd < 0) {
		log_err("cannot open the UDP socket: %s", strerror(-s->fd));
		return s->fd;
	}
	return sd_event_add_io(s->event, &s->io, s->fd, EPOLLIN, socket_rx, s);
}

static int create_fsm(struct slave *s)
{
	struct nj2_slave_config c;
	struct nj2_params *o = &c.offer;
	static const uint32_t enc[] = {NJ2_ENCODER_FLOAT, NJ2_ENCODER_INT16, NJ2_ENCODER_OPUS};

	nj2_slave_config_init(&c);
	snprintf(o->name, sizeof(o->name), "%.64s", s->cfg.name[0] ? s->cfg.name : s->hostname);
	snprintf(o->slave_name, sizeof(o->slave_name), "%s", s->hostname);
	o->mtu = (uint32_t)s->cfg.mtu;
	o->send_audio = s->cfg.capture;
	o->return_audio = s->cfg.playback;
	o->send_midi = s->cfg.midi_capture;
	o->return_midi = s->cfg.midi_playback;
	o->encoder = enc[s->cfg.encoder];
	o->kbps = s->cfg.encoder == ENC_OPUS ? (uint32_t)s->cfg.kbps : 0;
	o->sync_mode = 1; /* we answer each master cycle at once */
	o->latency = (uint32_t)s->cfg.latency;
	c.timeout_us = s->cfg.timeout_us;
	c.ext_flags = NJ2_EXT_OPUS_ANY_PERIOD;
	c.nonce = (uint32_t)mono_us() ^ (uint32_t)getpid();
	c.opus_ok = nj2_opus_check;
	return nj2_slave_new(&c, &fsm_ops, s, &s->fsm);
}

int slave_new(sd_event *e, const struct slave_config *cfg, struct slave **ret)
{
	struct slave *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL) {
		return -ENOMEM;
	}
	s->event = sd_event_ref(e);
	s->cfg = *cfg;
	s->fd = -1;
	s->started_us = mono_us();
	s->params_pipe[0] = s->params_pipe[1] = s->notify_pipe[0] = s->notify_pipe[1] = -1;
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) < 0) {
		snprintf(s->hostname, sizeof(s->hostname), "netjack");
	}
	jack_set_error_function(jack_quiet);
	jack_set_info_function(jack_quiet);
	if (pipe2(s->params_pipe, O_NONBLOCK | O_CLOEXEC) < 0 ||
	    pipe2(s->notify_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		r = -errno;
		slave_free(s);
		return r;
	}
	r = nj_jack_opener_new(e, jack_opened, s, &s->opener);
	if (r >= 0) {
		r = create_fsm(s);
		if (r < 0) {
			log_err("cannot create the session machine: %s", strerror(-r));
		}
	}
	if (r >= 0) {
		r = open_socket(s);
	}
	if (r >= 0) {
		r = sd_event_add_io(e, &s->params_io, s->params_pipe[0], EPOLLIN, params_rx, s);
	}
	if (r >= 0) {
		r = sd_event_add_io(e, &s->notify_io, s->notify_pipe[0], EPOLLIN, notify_rx, s);
	}
	if (r >= 0) {
		r = sd_event_add_time(e, &s->fsm_timer, CLOCK_MONOTONIC, 0, 1000, fsm_timer_cb, s);
	}
	if (r >= 0) {
		r = sd_event_add_time(e, &s->tick, CLOCK_MONOTONIC, 0, 10000, tick, s);
	}
	if (r >= 0) {
		r = sd_event_add_time(e, &s->jack_retry, CLOCK_MONOTONIC, 0, 100000, jack_retry_cb, s);
	}
	if (r >= 0) {
		r = sd_event_add_defer(e, &s->rechoose, rechoose_cb, s);
		if (r >= 0) {
			sd_event_source_set_enabled(s->rechoose, SD_EVENT_OFF);
		}
	}
	if (r >= 0 && strcmp(s->cfg.control, "none") != 0) {
		char path[108];

		if (s->cfg.control[0] != '\0') {
			snprintf(path, sizeof(path), "%s", s->cfg.control);
		} else {
			nj_ctl_default_path("slave.sock", false, path, sizeof(path));
		}
		r = nj_ctl_new(e, path, ctl_handle, s, &s->ctl);
		if (r < 0) {
			log_err("--control: cannot listen on %s: %s", path,
				r == -EADDRINUSE ? "another daemon answers there" : strerror(-r));
		}
	}
	/* DNS-SD: we publish ourselves, and --auto browses for masters */
	if (r >= 0 && s->cfg.discovery != SDISC_MULTICAST) {
		r = nj_dnssd_new(e, false, &s->dnssd);
		if (r >= 0 && s->cfg.auto_discover) {
			r = nj_dnssd_browse(s->dnssd, NJ_DNSSD_MASTER_TYPE, s->group.u.sa.sa_family,
					    &browse_ops, s);
		}
		if (r >= 0 && s->cfg.auto_discover && s->cfg.discovery == SDISC_BOTH) {
			r = sd_event_add_time_relative(e, &s->fallback, CLOCK_MONOTONIC,
						       DNSSD_WAIT_US, 100000, fallback_cb, s);
		}
		if (r >= 0) {
			publish_self(s);
		}
	}
	if (r < 0) {
		slave_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void slave_shutdown(struct slave *s, int code)
{
	if (!s->shutting_down) {
		s->shutting_down = true;
		sd_notify(false, "STOPPING=1");
		if (s->fsm != NULL) {
			nj2_slave_stop(s->fsm);
		}
		end_session(s, "shutting down");
	}
	sd_event_exit(s->event, code);
}

void slave_free(struct slave *s)
{
	if (s == NULL) {
		return;
	}
	end_session(s, "shutting down");
	nj_jack_opener_free(s->opener);
	if (s->jack != NULL) {
		jack_client_close(s->jack);
	}
	view_free(atomic_load(&s->view));
	nj2_slave_free(s->fsm);
	nj_ctl_free(s->ctl);
	nj_dnssd_free(s->dnssd);
	sd_event_source_disable_unref(s->fallback);
	sd_event_source_disable_unref(s->rechoose);
	sd_event_source_disable_unref(s->io);
	sd_event_source_disable_unref(s->params_io);
	sd_event_source_disable_unref(s->notify_io);
	sd_event_source_disable_unref(s->fsm_timer);
	sd_event_source_disable_unref(s->tick);
	sd_event_source_disable_unref(s->jack_retry);
	if (s->fd >= 0) {
		close(s->fd);
	}
	for (int i = 0; i < 2; i++) {
		if (s->params_pipe[i] >= 0) {
			close(s->params_pipe[i]);
		}
		if (s->notify_pipe[i] >= 0) {
			close(s->notify_pipe[i]);
		}
	}
	sd_event_unref(s->event);
	free(s);
}
