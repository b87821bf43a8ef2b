/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * link.c - a slave's JACK client on the master and its real-time cycle.
 *
 * Per process callback (master cycle t): pack and send the sync, MIDI and
 * audio packets of cycle t; drain the socket into the reassembler without
 * blocking; with latency 0 wait for the slave's answer, but only until a
 * deadline inside the period; then render the return cycle the scheduler
 * picks (t - N once latched), concealed where packets are missing. jack2
 * instead blocks up to 2 s here for a silent slave, stalling the whole graph.
 * Nothing in the callback allocates, locks or logs.
 */
#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libnetproto/audio.h>
#include <libnetproto/opus.h>
#include <libnetproto/udp.h>

#include "link.h"

#define MIDI_MAX_EVENTS 512
#define RX_BATCH 32
#define DRAIN_MAX_BATCHES 64 /* bound per callback: 2048 datagrams */

struct link {
	jack_client_t *client;
	int fd;
	struct nj2_params p;
	unsigned send_audio, return_audio, send_midi, return_midi;
	jack_port_t **to_slave, **from_slave, **midi_to, **midi_from;

	struct nj2_packer *packer;
	struct nj2_unpacker *unpacker;
	struct nj_rxsched sched;
	struct nj2_opus *opus_send, *opus_return;

	/* real-time scratch, allocated once */
	const float **in_audio;
	struct nj_midi_event **in_midi;
	uint32_t *in_midi_count;
	struct nj_portset connected, we_want, peer_wants;
	struct nj_udp_msg rx[RX_BATCH];
	uint8_t *rx_buf;
	uint32_t cycle;
	uint64_t period_us;

	/* published to the main thread */
	_Atomic uint64_t cycles, last_rx_us, sent, send_errors, concealed, waits_missed;
	struct nj2_relabel relabel; /* a peer that sends cycle 0 (PipeWire's driver) */
	_Atomic bool uncounted;
	_Atomic uint64_t busy_us, busy_max_us, xruns;
	_Atomic bool dead;
	_Atomic unsigned stats_seq;
	struct nj_rx_stats stats_pub;
};

/* @arrival: the master cycle what is queued now answers, by when it came:
 * the previous one right after our send, this one while we wait for it. */
static void drain(struct link *l, uint32_t arrival)
{
	bool got = false;

	for (unsigned b = 0; b < DRAIN_MAX_BATCHES; b++) {
		int n = nj_udp_recvv(l->fd, l->rx, RX_BATCH);

		if (n < 0) {
			if (n == -ECONNREFUSED) {
				atomic_store(&l->dead, true);
			}
			break;
		}
		for (int i = 0; i < n; i++) {
			uint32_t cyc;

			/* Only header packets go to the reassembler; a late
			 * START_MASTER repeat or stray params packet is ignored. */
			if (l->rx[i].len < NJ2_HEADER_SIZE) {
				continue;
			}
			if (nj2_relabel_packet(&l->relabel, l->rx[i].buf, l->rx[i].len, l->p.id,
					      arrival) &&
			    nj2_unpacker_push(l->unpacker, l->rx[i].buf, l->rx[i].len, &cyc) >= 0) {
				got = true;
			}
		}
		if (n < RX_BATCH) {
			break;
		}
	}
	if (got) {
		/* the main loop's clock (sd-event, CLOCK_MONOTONIC), not
		 * jack_get_time(): jack2 reads CLOCK_MONOTONIC_RAW, which NTP
		 * does not slew; the two were 200 ms apart on the CI machine */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		atomic_store_explicit(&l->last_rx_us,
				      (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u,
				      memory_order_relaxed);
	}
}

static void gather_send(struct link *l, jack_nframes_t nframes)
{
	nj_portset_clear(&l->connected);
	for (unsigned i = 0; i < l->send_audio; i++) {
		l->in_audio[i] = jack_port_get_buffer(l->to_slave[i], nframes);
		if (jack_port_connected(l->to_slave[i]) > 0) {
			nj_portset_add(&l->connected, i);
		}
	}
	nj_portset_clear(&l->we_want);
	for (unsigned i = 0; i < l->return_audio; i++) {
		if (jack_port_connected(l->from_slave[i]) > 0) {
			nj_portset_add(&l->we_want, i);
		}
	}
	for (unsigned i = 0; i < l->send_midi; i++) {
		void *buf = jack_port_get_buffer(l->midi_to[i], nframes);
		uint32_t n = jack_midi_get_event_count(buf), k = 0;

		for (uint32_t e = 0; e < n && k < MIDI_MAX_EVENTS; e++) {
			jack_midi_event_t ev;

			if (jack_midi_event_get(&ev, buf, e) == 0 && ev.size > 0) {
				l->in_midi[i][k].time = ev.time;
				l->in_midi[i][k].size = (uint32_t)ev.size;
				l->in_midi[i][k].data = ev.buffer;
				k++;
			}
		}
		l->in_midi_count[i] = k;
	}
}

static void send_cycle(struct link *l)
{
	const struct nj_datagram *list;
	struct nj2_cycle_in in = {
		.cycle = l->cycle,
		.audio = l->in_audio,
		.connected = &l->connected,
		.peer_wants = &l->peer_wants,
		.we_want = &l->we_want,
		.we_want_n = l->return_audio,
		.midi = (const struct nj_midi_event *const *)l->in_midi,
		.midi_count = l->in_midi_count,
	};
	unsigned n;
	int r;

	if (nj2_packer_pack(l->packer, &in, &list, &n) < 0) {
		atomic_fetch_add(&l->send_errors, 1);
		return;
	}
	/* a socket buffer that fills drops the rest of this cycle */
	r = nj_udp_send_datagrams(l->fd, list, n, NULL);
	if (r == -ECONNREFUSED) {
		atomic_store(&l->dead, true);
	} else if (r < 0) {
		atomic_fetch_add(&l->send_errors, 1);
	} else {
		atomic_fetch_add_explicit(&l->sent, (uint64_t)r, memory_order_relaxed);
	}
}

/* Latency 0: the answer to this very cycle is needed now. Wait for it, but
 * only until half the period has gone, so a slow slave never costs the graph
 * its deadline. */
static void wait_for_answer(struct link *l, jack_time_t start)
{
	jack_time_t deadline = start + l->period_us / 2;

	while (!nj2_unpacker_complete(l->unpacker, l->cycle)) {
		jack_time_t now = jack_get_time();

		if (now >= deadline) {
			atomic_fetch_add_explicit(&l->waits_missed, 1, memory_order_relaxed);
			return;
		}
		if (nj_udp_wait(l->fd, deadline - now) <= 0) {
			continue;
		}
		drain(l, l->cycle);
	}
}

static void render(struct link *l, jack_nframes_t nframes)
{
	struct nj2_cycle_out out;
	uint32_t rc;
	bool have = nj_rxsched_pick(&l->sched, l->cycle, l->unpacker, &rc) &&
		    nj2_unpacker_take(l->unpacker, rc, &out) == 0;

	for (unsigned i = 0; i < l->return_audio; i++) {
		float *dst = jack_port_get_buffer(l->from_slave[i], nframes);

		if (have) {
			memcpy(dst, out.audio[i], sizeof(float) * nframes);
		} else {
			memset(dst, 0, sizeof(float) * nframes);
		}
	}
	for (unsigned i = 0; i < l->return_midi; i++) {
		void *buf = jack_port_get_buffer(l->midi_from[i], nframes);

		jack_midi_clear_buffer(buf);
		for (uint32_t k = 0; have && k < out.midi_count[i]; k++) {
			const struct nj_midi_event *e = &out.midi[i][k];

			/* JACK wants time order; an out-of-order event fails and is dropped. */
			jack_midi_event_write(buf, e->time, e->data, e->size);
		}
	}
	if (have) {
		if (out.have_sync) {
			l->peer_wants = out.peer_wants;
		}
		if (!out.complete) {
			atomic_fetch_add_explicit(&l->concealed, 1, memory_order_relaxed);
		}
	}
}

static void publish_stats(struct link *l)
{
	/* seqlock: odd while writing; the reader retries on a change */
	atomic_fetch_add_explicit(&l->stats_seq, 1, memory_order_acq_rel);
	l->stats_pub = *nj2_unpacker_stats(l->unpacker);
	atomic_fetch_add_explicit(&l->stats_seq, 1, memory_order_acq_rel);
	atomic_store_explicit(&l->uncounted, l->relabel.active, memory_order_relaxed);
}

static int process(jack_nframes_t nframes, void *arg)
{
	struct link *l = arg;
	jack_time_t start = jack_get_time();

	if (nframes != l->p.period || atomic_load_explicit(&l->dead, memory_order_relaxed)) {
		/* A period change ends the session (jack2 does the same); until
		 * the main loop removes us, output silence. */
		for (unsigned i = 0; i < l->return_audio; i++) {
			memset(jack_port_get_buffer(l->from_slave[i], nframes), 0,
			       sizeof(float) * nframes);
		}
		for (unsigned i = 0; i < l->return_midi; i++) {
			jack_midi_clear_buffer(jack_port_get_buffer(l->midi_from[i], nframes));
		}
		return 0;
	}
	l->cycle++;
	gather_send(l, nframes);
	send_cycle(l);
	drain(l, l->cycle - 1);
	if (l->p.latency == 0) {
		wait_for_answer(l, start);
	}
	render(l, nframes);
	publish_stats(l);
	atomic_fetch_add_explicit(&l->cycles, 1, memory_order_relaxed);
	{
		uint64_t busy = jack_get_time() - start;

		atomic_fetch_add_explicit(&l->busy_us, busy, memory_order_relaxed);
		if (busy > atomic_load_explicit(&l->busy_max_us, memory_order_relaxed)) {
			atomic_store_explicit(&l->busy_max_us, busy, memory_order_relaxed);
		}
	}
	return 0;
}

static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
	struct link *l = arg;

	atomic_store(&l->dead, true);
}

static jack_port_t **register_ports(struct link *l, const char *prefix, unsigned n,
				    const char *type, unsigned long flags)
{
	jack_port_t **ports = calloc(n ? n : 1, sizeof(*ports));
	char name[64];

	if (ports == NULL) {
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s_%u", prefix, i + 1);
		ports[i] = jack_port_register(l->client, name, type, flags, 0);
		if (ports[i] == NULL) {
			free(ports);
			return NULL;
		}
	}
	return ports;
}

static int alloc_codec(struct link *l)
{
	bool any = l->p.has_master_ext && (l->p.master_ext.flags & NJ2_EXT_OPUS_ANY_PERIOD);
	int r = 0;

	if (l->p.encoder != NJ2_ENCODER_OPUS) {
		return 0;
	}
	if (l->send_audio > 0) {
		r = nj2_opus_new(l->p.sample_rate, l->p.period, l->send_audio, l->p.kbps, any,
				&l->opus_send);
	}
	if (r == 0 && l->return_audio > 0) {
		r = nj2_opus_new(l->p.sample_rate, l->p.period, l->return_audio, l->p.kbps, any,
				&l->opus_return);
	}
	return r;
}

static int alloc_cycle(struct link *l)
{
	struct nj2_cycle_config c = {
		.id = l->p.id,
		.period = l->p.period,
		.mtu = l->p.mtu,
		.encoder = (enum nj2_encoder)l->p.encoder,
		.midi_max_events = MIDI_MAX_EVENTS,
		.midi_buffer_size = NJ2_JACK2_MIDI_BUFSIZE,
		.slots = l->p.latency + 4,
	};
	int r;

	c.stream = NJ2_STREAM_SEND;
	c.audio_channels = l->send_audio;
	c.midi_channels = l->send_midi;
	if (l->opus_send != NULL) {
		c.codec = nj2_opus_ops(l->opus_send);
		c.codec_ctx = l->opus_send;
	}
	r = nj2_packer_new(&c, &l->packer);
	if (r < 0) {
		return r;
	}
	c.stream = NJ2_STREAM_RETURN;
	c.audio_channels = l->return_audio;
	c.midi_channels = l->return_midi;
	c.codec = l->opus_return ? nj2_opus_ops(l->opus_return) : NULL;
	c.codec_ctx = l->opus_return;
	return nj2_unpacker_new(&c, &l->unpacker);
}

static int alloc_scratch(struct link *l)
{
	l->in_audio = calloc(l->send_audio + 1, sizeof(*l->in_audio));
	l->in_midi = calloc(l->send_midi + 1, sizeof(*l->in_midi));
	l->in_midi_count = calloc(l->send_midi + 1, sizeof(*l->in_midi_count));
	l->rx_buf = malloc((size_t)RX_BATCH * l->p.mtu);
	if (!l->in_audio || !l->in_midi || !l->in_midi_count || !l->rx_buf) {
		return -ENOMEM;
	}
	for (unsigned i = 0; i < l->send_midi; i++) {
		l->in_midi[i] = calloc(MIDI_MAX_EVENTS, sizeof(**l->in_midi));
		if (l->in_midi[i] == NULL) {
			return -ENOMEM;
		}
	}
	for (unsigned i = 0; i < RX_BATCH; i++) {
		l->rx[i].buf = l->rx_buf + (size_t)i * l->p.mtu;
		l->rx[i].cap = l->p.mtu;
	}
	nj_portset_fill(&l->peer_wants, NJ_MAX_CHANNELS); /* all wanted until told */
	return 0;
}

/* netmanager's -c: to_slave_N from the N-th physical capture port,
 * from_slave_N to the N-th physical playback port. */
static void connect_physical(struct link *l)
{
	const char **cap = jack_get_ports(l->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
					  JackPortIsPhysical | JackPortIsOutput);
	const char **play = jack_get_ports(l->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
					   JackPortIsPhysical | JackPortIsInput);

	for (unsigned i = 0; cap != NULL && cap[i] != NULL && i < l->send_audio; i++) {
		jack_connect(l->client, cap[i], jack_port_name(l->to_slave[i]));
	}
	for (unsigned i = 0; play != NULL && play[i] != NULL && i < l->return_audio; i++) {
		jack_connect(l->client, jack_port_name(l->from_slave[i]), play[i]);
	}
	jack_free(cap);
	jack_free(play);
}

/* The server's xrun notifications (any client's overrun counts: jack2 does not
 * say whose it was). */
static int on_xrun(void *arg)
{
	struct link *l = arg;

	atomic_fetch_add_explicit(&l->xruns, 1, memory_order_relaxed);
	return 0;
}

int link_new(const char *name, const struct nj2_params *p, int fd, bool auto_connect,
	     struct link **ret, const char **ret_err)
{
	struct link *l = calloc(1, sizeof(*l));
	jack_status_t status;
	int r;

	*ret_err = "out of memory";
	if (l == NULL) {
		close(fd);
		return -ENOMEM;
	}
	l->fd = fd;
	l->p = *p;
	l->send_audio = (unsigned)p->send_audio;
	l->return_audio = (unsigned)p->return_audio;
	l->send_midi = (unsigned)p->send_midi;
	l->return_midi = (unsigned)p->return_midi;
	l->period_us = (uint64_t)p->period * 1000000 / p->sample_rate;
	nj_rxsched_init(&l->sched, p->latency);
	nj2_relabel_init(&l->relabel);

	/* Validate and allocate everything before the callback can run. */
	r = alloc_codec(l);
	if (r == 0) {
		r = alloc_cycle(l);
	}
	if (r == 0) {
		r = alloc_scratch(l);
	}
	if (r < 0) {
		*ret_err = "cannot allocate the session's buffers";
		link_free(l);
		return r;
	}
	l->client = jack_client_open(name, JackNoStartServer, &status);
	if (l->client == NULL) {
		*ret_err = "cannot open a JACK client";
		link_free(l);
		return -EIO;
	}
	l->to_slave = register_ports(l, "to_slave", l->send_audio, JACK_DEFAULT_AUDIO_TYPE,
				     JackPortIsInput);
	l->from_slave = register_ports(l, "from_slave", l->return_audio,
				       JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput);
	l->midi_to = register_ports(l, "midi_to_slave", l->send_midi, JACK_DEFAULT_MIDI_TYPE,
				    JackPortIsInput);
	l->midi_from = register_ports(l, "midi_from_slave", l->return_midi,
				      JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput);
	if (!l->to_slave || !l->from_slave || !l->midi_to || !l->midi_from) {
		*ret_err = "cannot register the ports";
		link_free(l);
		return -EIO;
	}
	jack_set_process_callback(l->client, process, l);
	jack_set_xrun_callback(l->client, on_xrun, l);
	jack_on_info_shutdown(l->client, on_shutdown, l);
	if (jack_activate(l->client) != 0) {
		*ret_err = "cannot activate the JACK client";
		link_free(l);
		return -EIO;
	}
	if (auto_connect) {
		connect_physical(l);
	}
	*ret = l;
	return 0;
}

void link_free(struct link *l)
{
	if (l == NULL) {
		return;
	}
	if (l->client != NULL) {
		/* jack_client_close deactivates first: the callback is not
		 * running when the buffers below go away. */
		jack_client_close(l->client);
	}
	if (l->fd >= 0) {
		close(l->fd);
	}
	nj2_packer_free(l->packer);
	nj2_unpacker_free(l->unpacker);
	nj2_opus_free(l->opus_send);
	nj2_opus_free(l->opus_return);
	for (unsigned i = 0; l->in_midi != NULL && i < l->send_midi; i++) {
		free(l->in_midi[i]);
	}
	free(l->in_midi);
	free(l->in_midi_count);
	free(l->in_audio);
	free(l->rx_buf);
	free(l->to_slave);
	free(l->from_slave);
	free(l->midi_to);
	free(l->midi_from);
	free(l);
}

void link_snapshot(const struct link *cl, struct link_counters *ret)
{
	struct link *l = (struct link *)cl;
	unsigned seq;

	ret->cycles = atomic_load(&l->cycles);
	ret->last_rx_us = atomic_load(&l->last_rx_us);
	ret->sent = atomic_load(&l->sent);
	ret->send_errors = atomic_load(&l->send_errors);
	ret->concealed = atomic_load(&l->concealed);
	ret->waits_missed = atomic_load(&l->waits_missed);
	ret->busy_us = atomic_load(&l->busy_us);
	ret->busy_max_us = atomic_load(&l->busy_max_us);
	ret->xruns = atomic_load(&l->xruns);
	ret->dead = atomic_load(&l->dead);
	ret->uncounted = atomic_load(&l->uncounted);
	do {
		seq = atomic_load_explicit(&l->stats_seq, memory_order_acquire);
		ret->rx = l->stats_pub;
	} while ((seq & 1) || seq != atomic_load_explicit(&l->stats_seq, memory_order_acquire));
}

const struct nj2_params *link_params(const struct link *l)
{
	return &l->p;
}

const char *link_client_name(const struct link *l)
{
	return jack_get_client_name(l->client);
}
