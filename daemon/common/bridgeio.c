/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bridgeio.c - a clock bridge between JACK ports and a network runner (bridgeio.h). */
#include <errno.h>
#include <jack/midiport.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bridgeio.h"
#include "ctl.h"

int nj_bridge_io_init(struct nj_bridge_io *v, unsigned midi_in, unsigned ch, unsigned period)
{
	if (midi_in > NJ_MAX_CHANNELS || ch > NJ_MAX_CHANNELS) {
		return -EINVAL;
	}
	for (unsigned i = 0; i < midi_in; i++) {
		v->min_ev[i] = calloc(NJ_PORTS_MIDI_EVENTS, sizeof(*v->min_ev[i]));
		if (v->min_ev[i] == NULL) {
			return -ENOMEM;
		}
	}
	v->reply = calloc(ch + 1, sizeof(*v->reply));
	if (v->reply == NULL) {
		return -ENOMEM;
	}
	v->reply_ch = ch;
	v->reply_period = period;
	for (unsigned i = 0; i < ch; i++) {
		v->reply[i] = calloc(period, sizeof(float));
		if (v->reply[i] == NULL) {
			return -ENOMEM;
		}
	}
	return 0;
}

void nj_bridge_io_fini(struct nj_bridge_io *v)
{
	for (unsigned i = 0; i < NJ_MAX_CHANNELS; i++) {
		free(v->min_ev[i]);
		v->min_ev[i] = NULL;
	}
	for (unsigned i = 0; v->reply != NULL && i < v->reply_ch; i++) {
		free(v->reply[i]);
	}
	free(v->reply);
	v->reply = NULL;
}

static void emit_midi(void *ud, unsigned port, uint32_t time, const uint8_t *data, uint32_t size)
{
	struct nj_bridge_io *v = ud;

	if (port < v->ports.midi_out.n) {
		jack_midi_event_write(v->moutbuf[port], time, data, size);
	}
}

/* Our own period, packed and sent from the callback (real-time safe). */
static void send_own(struct nj_bridge_io *v)
{
	struct nj_period_out o = {.cycle = ++v->tx_cycle, .audio = v->inbuf};
	const struct nj_datagram *list;
	unsigned k;
	int r = nj_exchange_pack(v->tx_x, &o, &list, &k);

	if (r == 0) {
		r = nj_udp_send_datagrams(v->tx_fd, list, k, &v->tx_peer);
	}
	atomic_fetch_add_explicit(r < 0 ? &v->tx_errors : &v->tx_sent, 1, memory_order_relaxed);
}

/* When this JACK cycle began and how long after it this callback runs.
 * jack_get_cycle_times' start is one time for every client of the graph,
 * wherever ours runs in it. But jack2 gives its DLL's estimate, not the
 * driver's wake-up: after a server stall it swings for a hundred cycles (104
 * steps of the local clock, up to 41 ms late, after one 20 ms SIGSTOP). So an
 * offset outside the first half of the period is no offset: the wake-up, less
 * the last offset that was one, stands for the start then (the stall itself
 * is one step). Without the client's cycle times, the wake-up. */
static void cycle_start(struct nj_bridge_io *v, uint64_t *start, uint64_t *woke_after)
{
	jack_nframes_t frames;
	jack_time_t cur, next, now = jack_get_time();
	float per;

	/* (the estimate may lie a little after our wake-up too) */
	if (v->client != NULL &&
	    jack_get_cycle_times(v->client, &frames, &cur, &next, &per) == 0 && cur != 0 &&
	    fabs((double)now - (double)cur) < 0.5 * per) {
		v->cb_off_us = (int64_t)(now - cur);
	}
	*woke_after = v->cb_off_us > 0 ? (uint64_t)v->cb_off_us : 0;
	*start = (uint64_t)((int64_t)now - v->cb_off_us);
}

void nj_bridge_io_cycle(struct nj_bridge_io *v, jack_nframes_t n)
{
	const struct nj_port_group *out = &v->ports.audio_out;

	for (unsigned i = 0; i < out->n; i++) {
		uint64_t bit = 1ull << (i % 64);

		v->outbuf[i] = jack_port_get_buffer(out->port[i], n);
		if (jack_port_connected(out->port[i]) > 0) {
			atomic_fetch_or_explicit(&v->connected[i / 64], bit, memory_order_relaxed);
		} else {
			atomic_fetch_and_explicit(&v->connected[i / 64], ~bit, memory_order_relaxed);
		}
	}
	for (unsigned i = 0; i < v->ports.audio_in.n; i++) {
		v->inbuf[i] = jack_port_get_buffer(v->ports.audio_in.port[i], n);
	}
	for (unsigned i = 0; i < v->ports.midi_out.n; i++) {
		v->moutbuf[i] = jack_port_get_buffer(v->ports.midi_out.port[i], n);
		jack_midi_clear_buffer(v->moutbuf[i]);
	}
	for (unsigned i = 0; i < v->ports.midi_in.n; i++) {
		v->min_n[i] = v->min_ev[i] == NULL ? 0 :
			      nj_ports_gather_midi(v->ports.midi_in.port[i], n, v->min_ev[i],
						   NJ_PORTS_MIDI_EVENTS);
	}
	if (v->bridge != NULL) {
		uint64_t start, woke_after;

		cycle_start(v, &start, &woke_after);
		bridge_local_cycle(v->bridge, start, (unsigned)woke_after, n, v->outbuf,
				   v->tx_x != NULL ? NULL : v->inbuf,
				   (const struct nj_midi_event *const *)v->min_ev, v->min_n, emit_midi,
				   v);
		if (v->tx_x != NULL) {
			send_own(v);
		}
	} else {
		for (unsigned i = 0; i < out->n; i++) {
			memset(v->outbuf[i], 0, sizeof(float) * n);
		}
	}
}

/* ------------------------------------------------------ network side */

static void c_period(void *ud, const struct nj_period_in *in, uint64_t first_us,
		     struct nj_period_out *reply)
{
	struct nj_bridge_io *v = ud;
	struct bridge_net_out bo;

	bridge_net_cycle(v->bridge, first_us, (const float *const *)in->audio, in->midi,
			 in->midi_count, v->reply, &bo);
	/* the ports connected here are the ones we ask the peer for */
	nj_portset_clear(&v->wanted);
	for (unsigned i = 0; i < v->ports.audio_out.n; i++) {
		if (atomic_load_explicit(&v->connected[i / 64], memory_order_relaxed) &
		    (1ull << (i % 64))) {
			nj_portset_add(&v->wanted, i);
		}
	}
	/* a client sending on its own clock does not answer */
	reply->audio = v->tx_x != NULL ? NULL : (const float *const *)v->reply;
	reply->connected = NULL;
	reply->wanted = &v->wanted;
	reply->midi = bo.midi;
	reply->midi_count = bo.midi_count;
}

static void c_reset(void *ud)
{
	bridge_net_reset(((struct nj_bridge_io *)ud)->bridge);
}

static uint64_t c_now(void *ud)
{
	return jack_get_time();
}

const struct nj_net_consumer nj_bridge_io_consumer = {c_period, c_reset, c_now};

const char *nj_bridge_state_name(enum bridge_state st)
{
	return st == BRIDGE_RUNNING ? "running" : st == BRIDGE_PRIMING ? "priming" : "idle";
}

void nj_bridge_status_json(struct nj_buf *b, const struct bridge *br, enum bridge_quality q)
{
	struct bridge_stats st;

	bridge_stats(br, &st);
	nj_buf_printf(b, "\"bridge\":{\"state\":\"%s\",\"resampler\":\"%s\",\"locked\":%s,"
			 "\"lock_s\":%.2f,\"clock_ppm\":%.2f,\"ratio\":%.8f,"
			 "\"ratio_error_ppm_rms\":%.3f,\"fill_frames\":%.1f,"
			 "\"target_frames\":%.1f,\"underruns\":%llu,\"overruns\":%llu,"
			 "\"resyncs\":%llu,\"late_master\":%llu,\"late_local\":%llu,"
			 "\"slips\":%llu,\"margin_ms\":%.2f,\"margin_raises\":%llu,"
			 "\"margin_lowers\":%llu,\"steps_master\":%llu,\"steps_local\":%llu}",
		      nj_bridge_state_name(st.state),
		      bridge_quality_name(q),
		      st.locked_at_us ? "true" : "false", st.lock_us / 1e6, st.clock_ppm, st.ratio,
		      st.ratio_err_rms_ppm, st.fill_a, st.target_a,
		      (unsigned long long)(st.underruns_a + st.underruns_b),
		      (unsigned long long)(st.overruns_a + st.overruns_b),
		      (unsigned long long)st.resyncs, (unsigned long long)st.late_master,
		      (unsigned long long)st.late_local, (unsigned long long)st.slips,
		      st.margin_us / 1e3, (unsigned long long)st.margin_raises,
		      (unsigned long long)st.margin_lowers, (unsigned long long)st.steps_master,
		      (unsigned long long)st.steps_local);
}
