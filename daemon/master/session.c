/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * session.c - a started slot (session.h).
 *
 * Per process callback (master cycle t): the send ports' buffers and which
 * are connected, the receive ports someone listens to, the MIDI events; the
 * runner sends cycle t and hands back the cycle to render (t - N once
 * latched, concealed where packets are missing), or nothing yet. With latency
 * 0 the runner waits for the answer, but only until half the period has gone,
 * so a slow peer never costs the graph its deadline. Nothing in the callback
 * allocates, locks or logs.
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <jack/jack.h>
#include <jack/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/jclient.h"
#include "../common/log.h"
#include "../common/runlink.h"
#include "../common/bridgeio.h"
#include "../runner/net.h"
#include "../runner/rt.h"
#include "session.h"

/* A peer with its own clock (JackTrip): the bridge as netjack-slave's defaults. */
#define BRIDGE_QUALITY BRIDGE_MEDIUM
#define BRIDGE_MARGIN_US 1000
#define BRIDGE_MARGIN_MAX_US 20000
#define TAKE_MIN_US 400
#define TAKE_MAX_US 2000
#define TAKE_PAD_US 250

struct session {
	struct slot_desc d;
	const struct session_ops *ops;
	void *ud;
	bool auto_connect;
	struct nj_jclient *jc;
	struct nj_ports ports;
	struct nj_rt_runner *runner;       /* our clock */
	struct nj_net_runner *net;         /* the peer's clock: */
	struct bridge *bridge;
	struct nj_bridge_io bio;
	_Atomic uint64_t busy_us, busy_max_us, cycles; /* the bridged callback's time */
	struct nj_runlink link; /* the runner's control messages and news */
	uint64_t period_us;
	jack_client_t *client; /* the deadline (latency 0), JACK told of latencies; set before activation */
	bool client_up;
	/* what the peer adds behind our send ports and ahead of our receive
	 * ports (its clock bridge, NJ2_LATENCY_REPORT): read by JACK's thread */
	_Atomic unsigned peer_after, peer_before;
	char client_name[128];

	/* process callback scratch, allocated once */
	const float **in_audio;
	float **out_audio;
	struct nj_midi_event **in_midi;
	uint32_t *in_midi_count;
	struct nj_portset connected, wanted;
};

/* Latency 0: how long this cycle may wait for the slave's answer. Until the
 * cycle's deadline less a reserve for what still follows in it (our ports,
 * the clients after us): a quarter period, at least 300 us. A fixed half
 * period left small periods no room when the slave's server woke late. */
static uint64_t answer_wait_us(const struct session *s)
{
	jack_nframes_t frames;
	jack_time_t cur, next, now;
	float per;
	uint64_t reserve = s->period_us / 4 > 300 ? s->period_us / 4 : 300;

	if (s->client == NULL || jack_get_cycle_times(s->client, &frames, &cur, &next, &per) != 0) {
		return s->period_us / 2;
	}
	now = jack_get_time();
	return next > now + reserve ? next - now - reserve : 0;
}

static int process(jack_nframes_t n, void *arg)
{
	struct session *s = arg;
	const struct nj_period_in *in;
	struct nj_period_out out;

	if (n != s->d.x->info.period) {
		/* A period change ends the session (jack2 does the same); until
		 * the loop removes us, silence. */
		nj_ports_silence_audio(&s->ports.audio_out, n);
		nj_ports_silence_midi(&s->ports.midi_out, n);
		return 0;
	}
	nj_ports_gather_audio(&s->ports.audio_in, n, s->in_audio, &s->connected);
	nj_ports_output_audio(&s->ports.audio_out, n, s->out_audio, &s->wanted);
	for (unsigned i = 0; i < s->ports.midi_in.n; i++) {
		s->in_midi_count[i] = nj_ports_gather_midi(s->ports.midi_in.port[i], n, s->in_midi[i],
							   NJ_PORTS_MIDI_EVENTS);
	}
	out = (struct nj_period_out){
		.audio = s->in_audio,
		.connected = &s->connected,
		.wanted = &s->wanted,
		.midi = (const struct nj_midi_event *const *)s->in_midi,
		.midi_count = s->in_midi_count,
	};
	in = nj_rt_runner_cycle(s->runner, &out, answer_wait_us(s));
	for (unsigned i = 0; i < s->ports.audio_out.n; i++) {
		if (in != NULL) {
			memcpy(s->out_audio[i], in->audio[i], sizeof(float) * n);
		} else {
			memset(s->out_audio[i], 0, sizeof(float) * n);
		}
	}
	for (unsigned i = 0; i < s->ports.midi_out.n; i++) {
		nj_ports_write_midi(s->ports.midi_out.port[i], n, in ? in->midi[i] : NULL,
				    in && in->midi_count ? in->midi_count[i] : 0);
	}
	return 0;
}

static int process_bridged(jack_nframes_t n, void *arg)
{
	struct session *s = arg;
	jack_time_t t0 = jack_get_time();
	uint64_t busy;

	nj_bridge_io_cycle(&s->bio, n);
	busy = jack_get_time() - t0;
	atomic_fetch_add_explicit(&s->busy_us, busy, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->cycles, 1, memory_order_relaxed);
	if (busy > atomic_load_explicit(&s->busy_max_us, memory_order_relaxed)) {
		atomic_store_explicit(&s->busy_max_us, busy, memory_order_relaxed);
	}
	return 0;
}

/* The peer keeps its own clock: the network runner feeds a clock bridge
 * into our callback, as on netjack-slave. */
static int setup_bridged(struct session *s, jack_client_t *c)
{
	const struct nj_exchange_info *i = &s->d.x->info;
	struct bridge_config bc = {
		.capture_ch = i->audio_in, .playback_ch = i->audio_out,
		.midi_capture_ch = i->midi_in, .midi_playback_ch = i->midi_out,
		.master_period = i->period, .master_rate = i->rate,
		.local_period = jack_get_buffer_size(c), .local_rate = jack_get_sample_rate(c),
		.quality = BRIDGE_QUALITY, .margin_us = BRIDGE_MARGIN_US,
		.margin_max_us = BRIDGE_MARGIN_MAX_US, .midi_max_events = NJ_PORTS_MIDI_EVENTS,
	};
	struct nj_net_runner_config nc = {
		.x = s->d.x, .fd = s->d.fd, .peer = s->d.peer, .control_fd = s->link.ctl[0],
		.notify_fd = s->link.notify_fd, .priority = jack_client_real_time_priority(c),
		.consumer = &nj_bridge_io_consumer, .consumer_ud = &s->bio, .offload = s->d.offload,
		.take_min_us = TAKE_MIN_US, .take_max_us = TAKE_MAX_US, .take_pad_us = TAKE_PAD_US,
	};
	int r = bridge_new(&bc, &s->bridge);

	if (r == 0) {
		r = nj_bridge_io_init(&s->bio, i->midi_out, i->audio_out, i->period);
	}
	if (r < 0) {
		return r;
	}
	s->bio.ports = s->ports;
	s->bio.bridge = s->bridge;
	s->bio.client = c;
	for (unsigned k = 0; k < i->audio_in; k++) {
		s->bio.connected[k / 64] |= 1ull << (k % 64);
	}
	r = nj_net_runner_new(&nc, &s->net);
	if (r < 0) {
		return r;
	}
	jack_set_process_callback(c, process_bridged, s);
	return 0;
}

/* JACK asks (off the process thread) what our ports add: the network's
 * delay, so that a DAW's latency compensation knows it. */
static void set_group_latency(const struct nj_port_group *g, jack_latency_callback_mode_t mode,
			      unsigned frames)
{
	jack_latency_range_t r = {.min = frames, .max = frames};

	for (unsigned k = 0; k < g->n; k++) {
		jack_port_set_latency_range(g->port[k], mode, &r);
	}
}

static void latency(jack_latency_callback_mode_t mode, void *arg)
{
	const struct session *s = arg;

	unsigned back = s->d.return_latency + atomic_load(&s->peer_before);
	unsigned out = s->d.send_latency + atomic_load(&s->peer_after);

	if (mode == JackCaptureLatency) {
		set_group_latency(&s->ports.audio_out, mode, back);
		set_group_latency(&s->ports.midi_out, mode, back);
	} else {
		set_group_latency(&s->ports.audio_in, mode, out);
		set_group_latency(&s->ports.midi_in, mode, out);
	}
}

/* Metadata for patchbays and DAWs: who is behind the client and its ports. */
static void describe(const struct session *s, jack_client_t *c)
{
	static const char *const dir[4] = {"to", "from", "MIDI to", "MIDI from"};
	const struct nj_exchange_info *i = &s->d.x->info;
	char addr[80], pretty[200];
	const char *what[3] = {i->protocol, addr, i->auth ? i->auth : "none"};

	nj_sockaddr_format(&s->d.peer, addr, sizeof(addr));
	snprintf(pretty, sizeof(pretty), "%s (%s at %s)", s->d.name, i->protocol, addr);
	nj_ports_describe(c, &s->ports, s->d.name, dir, pretty, what);
}

/* On the open thread: ports, the runner, the callback, activation. */
static int setup(void *ud, jack_client_t *c)
{
	struct session *s = ud;
	const unsigned counts[4] = {s->d.audio_out, s->d.audio_in, s->d.midi_out, s->d.midi_in};
	struct nj_rt_runner_config rc = {
		.x = s->d.x, .fd = s->d.fd, .control_fd = s->link.ctl[0],
		.notify_fd = s->link.notify_fd,
		.rx_priority = jack_client_real_time_priority(c),
		.keep_on_refused = s->d.keep_on_refused, .offload = s->d.offload,
	};
	int r;

	if (nj_ports_resize(c, &s->ports, s->d.ports, counts) < 0) {
		return -EIO;
	}
	s->client = c;
	if (s->d.peer_clock) {
		r = setup_bridged(s, c);
	} else {
		s->d.fd = -1; /* the runner's, even if it fails */
		r = nj_rt_runner_new(&rc, &s->runner);
		if (r == 0) {
			jack_set_process_callback(c, process, s);
		}
	}
	if (r < 0) {
		return r;
	}
	jack_set_latency_callback(c, latency, s);
	if (jack_activate(c) != 0) {
		return -EIO;
	}
	if (s->auto_connect) {
		nj_ports_connect_physical(c, &s->ports);
	}
	snprintf(s->client_name, sizeof(s->client_name), "%s", jack_get_client_name(c));
	describe(s, c);
	return 0;
}

static void opened(void *ud, jack_client_t *c)
{
	struct session *s = ud;

	s->client_up = c != NULL;
	s->ops->ready(s->ud, c != NULL);
}

static void free_all(struct session *s)
{
	/* the callback no longer runs (the client is closed): the runner goes,
	 * then the exchange it drove */
	nj_rt_runner_free(s->runner);
	nj_net_runner_free(s->net);
	bridge_free(s->bridge);
	nj_bridge_io_fini(&s->bio);
	if (s->d.fd >= 0) {
		close(s->d.fd);
	}
	nj_exchange_free(s->d.x);
	nj_runlink_fini(&s->link);
	for (unsigned i = 0; s->in_midi != NULL && i < s->d.midi_out; i++) {
		free(s->in_midi[i]);
	}
	free(s->in_midi);
	free(s->in_midi_count);
	free(s->in_audio);
	free(s->out_audio);
	free(s);
}

static void released(void *ud)
{
	struct session *s = ud;
	const struct session_ops *ops = s->ops;
	void *owner = s->ud;

	free_all(s);
	ops->released(owner);
}

static void shutdown_cb(void *ud)
{
	struct session *s = ud;

	s->ops->dead(s->ud);
}

static const struct nj_jclient_ops jc_ops = {
	.setup = setup,
	.opened = opened,
	.released = released,
	.shutdown = shutdown_cb,
};

static void on_control(void *ud, const uint8_t *buf, size_t len)
{
	struct session *s = ud;

	s->ops->control(s->ud, buf, len);
}

static void on_notify(void *ud)
{
	struct session *s = ud;
	struct nj_runner_counters c;

	session_snapshot(s, &c);
	if (c.dead) {
		s->ops->dead(s->ud);
	} else {
		s->ops->notice(s->ud);
	}
}

static int alloc_scratch(struct session *s)
{
	s->in_audio = calloc(s->d.audio_out + 1, sizeof(*s->in_audio));
	s->out_audio = calloc(s->d.audio_in + 1, sizeof(*s->out_audio));
	s->in_midi = calloc(s->d.midi_out + 1, sizeof(*s->in_midi));
	s->in_midi_count = calloc(s->d.midi_out + 1, sizeof(*s->in_midi_count));
	if (!s->in_audio || !s->out_audio || !s->in_midi || !s->in_midi_count) {
		return -ENOMEM;
	}
	for (unsigned i = 0; i < s->d.midi_out; i++) {
		s->in_midi[i] = calloc(NJ_PORTS_MIDI_EVENTS, sizeof(**s->in_midi));
		if (s->in_midi[i] == NULL) {
			return -ENOMEM;
		}
	}
	return 0;
}

int session_new(sd_event *e, const struct slot_desc *d, bool auto_connect,
		const struct session_ops *ops, void *ud, struct session **ret)
{
	struct session *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL) {
		close(d->fd);
		nj_exchange_free(d->x);
		return -ENOMEM;
	}
	s->d = *d;
	s->ops = ops;
	s->ud = ud;
	s->auto_connect = auto_connect;
	s->period_us = (uint64_t)d->x->info.period * 1000000 / d->x->info.rate;
	r = nj_runlink_init(&s->link, e, on_control, on_notify, s);
	if (r == 0) {
		r = alloc_scratch(s);
	}
	if (r == 0) {
		r = nj_jclient_new(e, &jc_ops, s, &s->jc);
	}
	if (r == 0) {
		r = nj_jclient_open(s->jc, d->name);
	}
	if (r < 0) {
		nj_jclient_free_now(s->jc);
		free_all(s);
		return r;
	}
	*ret = s;
	return 0;
}

void session_release(struct session *s)
{
	if (s != NULL) {
		nj_jclient_release(s->jc); /* released() follows */
	}
}

void session_free_now(struct session *s)
{
	if (s != NULL && nj_jclient_free_now(s->jc)) {
		free_all(s);
	} /* else its callbacks may still run: left to the exit */
}

void session_snapshot(const struct session *s, struct nj_runner_counters *ret)
{
	if (s->client_up && s->net != NULL) {
		nj_net_runner_snapshot(s->net, ret);
		ret->busy_us = atomic_load(&s->busy_us);
		ret->busy_max_us = atomic_load(&s->busy_max_us);
	} else if (s->client_up) {
		nj_rt_runner_snapshot(s->runner, ret);
	} else {
		memset(ret, 0, sizeof(*ret));
	}
}

uint64_t session_xruns(const struct session *s)
{
	return nj_jclient_xruns(s->jc);
}

const char *session_client_name(const struct session *s)
{
	return s->client_up ? s->client_name : "";
}

bool session_stuck(const struct session *s)
{
	return nj_jclient_stuck(s->jc, "netjack-master");
}

void session_peer_latency(struct session *s, unsigned after, unsigned before)
{
	if (atomic_exchange(&s->peer_after, after) != after ||
	    atomic_exchange(&s->peer_before, before) != before) {
		if (s->client_up && s->client != NULL) {
			jack_recompute_total_latencies(s->client);
		}
	}
}

void session_bridge_latency(struct session *s)
{
	struct bridge_stats st;
	double r;

	if (!s->client_up || s->bridge == NULL || s->client == NULL) {
		return;
	}
	/* the rings' targets are in the peer's frames: ring B after our send
	 * ports, ring A before our receive ports */
	bridge_stats(s->bridge, &st);
	r = (double)jack_get_sample_rate(s->client) / s->d.x->info.rate;
	session_peer_latency(s, (unsigned)lround(st.target_b * r), (unsigned)lround(st.target_a * r));
}

void session_latency_frames(const struct session *s, unsigned ret[2])
{
	ret[0] = s->d.send_latency + atomic_load(&s->peer_after);
	ret[1] = s->d.return_latency + atomic_load(&s->peer_before);
}

const struct bridge *session_bridge(const struct session *s)
{
	return s->client_up ? s->bridge : NULL;
}

void session_status_json(const struct session *s, struct nj_buf *b)
{
	if (s->client_up && s->bridge != NULL) {
		nj_buf_printf(b, ",");
		nj_bridge_status_json(b, s->bridge, BRIDGE_QUALITY);
	}
}
