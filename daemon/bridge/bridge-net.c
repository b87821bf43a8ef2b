/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridge-net.c - the clock bridge's network side: one call per master cycle
 * on the network thread. The master's clock is tracked from the cycles'
 * arrival times; capture audio and MIDI go into ring A, playback comes out of
 * ring B, and what the local side needs of all that is published.
 */
#include <string.h>

#include "bridge-private.h"


static void net_publish(struct bridge *b)
{
	struct net_pub p = {
		.written = b->net_written,
		.t_written = nj_clk_time(&b->net_clk),
		.period_us = b->net_clk.period,
		.last_us = b->net_last_us,
		.first_us = b->net_first_us,
		.cycles = b->net_cycles,
		.stream = b->net_stream,
		.tail_b = atomic_load_explicit(&b->b.tail, memory_order_relaxed) + b->debt_b,
		.elapsed = b->net_clk.elapsed,
		.steps = b->net_clk.steps,
		.late_n = b->net_clk.late_n,
		.late_max_us = b->net_clk.late_max_us,
		.recent_max_us = b->net_clk.recent_max_us,
	};

	nj_seqlock_write(&b->pub_lock, &b->pub, &p, sizeof(p));
}

void bridge_net_reset(struct bridge *b)
{
	b->net_clk.init = false;
	b->net_cycles = 0;
	b->debt_b = 0;
	b->net_stream++;
	net_publish(b);
}

static void net_pop_midi(struct bridge *b, uint64_t start, uint64_t end)
{
	uint64_t pos;
	uint32_t port, size;
	size_t pool = 0;

	for (unsigned i = 0; i < b->cfg.midi_playback_ch; i++) {
		b->net_midi_count[i] = 0;
	}
	while (nj_mring_peek(&b->mb, &pos, &port, &size) && pos < end) {
		uint32_t k = port < b->cfg.midi_playback_ch ? b->net_midi_count[port] : UINT32_MAX;

		if (k >= b->cfg.midi_max_events || pool + size > MIDI_POOL_BYTES) {
			nj_mring_pop(&b->mb, size, NULL);
			atomic_fetch_add_explicit(&b->midi_dropped_net, 1, memory_order_relaxed);
			continue;
		}
		nj_mring_pop(&b->mb, size, b->net_midi_pool + pool);
		b->net_midi[port][k].time = pos > start ? (uint32_t)(pos - start) : 0;
		/* keep time order after clamping */
		if (k > 0 && b->net_midi[port][k].time < b->net_midi[port][k - 1].time) {
			b->net_midi[port][k].time = b->net_midi[port][k - 1].time;
		}
		b->net_midi[port][k].size = size;
		b->net_midi[port][k].data = b->net_midi_pool + pool;
		b->net_midi_count[port] = k + 1;
		pool += size;
	}
}

void bridge_net_cycle(struct bridge *b, uint64_t seen_us, const float *const *capture,
		      const struct nj_midi_event *const *midi, const uint32_t *midi_count,
		      float *const *playback, struct bridge_net_out *out)
{
	unsigned pm = b->cfg.master_period;
	uint64_t fill, tail_b;
	bool running = b->state == BRIDGE_RUNNING; /* read across threads: advisory only */

	/* clock */
	if (seen_us != 0) {
		if (!b->net_clk.init || b->net_cycles == 0) {
			nj_clk_start(&b->net_clk, seen_us, 1e6 * pm / b->cfg.master_rate,
				  RATE_MEMORY_S * b->cfg.master_rate / pm);
			b->net_first_us = seen_us;
		} else {
			uint64_t w = atomic_load_explicit(&b->margin_window, memory_order_relaxed);

			if (w != b->net_window) {
				b->net_window = w; /* the local side began a new window */
				b->net_clk.recent_max_us = 0;
			}
			b->net_clk.late_thr_us = (double)atomic_load_explicit(&b->margin_pub_us,
									     memory_order_relaxed);
			nj_clk_event(&b->net_clk, seen_us);
		}
		b->net_last_us = seen_us;
	} else if (b->net_clk.init) {
		nj_clk_skip(&b->net_clk);
	}
	if (!b->net_clk.init) {
		/* nothing ever seen on this stream: no position to give */
		for (unsigned c = 0; c < b->cfg.playback_ch; c++) {
			memset(playback[c], 0, sizeof(float) * pm);
		}
		out->midi = (const struct nj_midi_event *const *)b->net_midi;
		out->midi_count = b->net_midi_count;
		for (unsigned i = 0; i < b->cfg.midi_playback_ch; i++) {
			b->net_midi_count[i] = 0;
		}
		return;
	}
	b->net_cycles++;
	atomic_fetch_add_explicit(&b->net_cycles_total, 1, memory_order_relaxed);

	/* capture MIDI, positioned in master frames */
	for (unsigned p = 0; midi && midi_count && p < b->cfg.midi_capture_ch; p++) {
		for (uint32_t k = 0; k < midi_count[p]; k++) {
			if (!nj_mring_push(&b->ma, b->net_written + midi[p][k].time, p, midi[p][k].data,
					midi[p][k].size)) {
				atomic_fetch_add_explicit(&b->midi_dropped_net, 1,
							  memory_order_relaxed);
			}
		}
	}
	/* capture audio into ring A */
	fill = nj_aring_fill(&b->a);
	if (b->a.cap - fill >= pm) {
		nj_aring_write_planar(&b->a, capture, pm);
	} else {
		/* the local side is not consuming (no JACK): the period is
		 * dropped, the position still moves on */
		atomic_fetch_add_explicit(&b->overruns_a, pm, memory_order_relaxed);
	}
	b->net_written += pm;

	/* playback audio from ring B; frames that came too late for an
	 * earlier cycle go first, unheard, where there are more than this
	 * cycle needs: the stream to the master stays on its timeline */
	fill = nj_aring_fill(&b->b);
	fill -= nj_aring_pay_debt(&b->b, &b->debt_b, fill, pm);
	tail_b = atomic_load_explicit(&b->b.tail, memory_order_relaxed);
	if (fill >= pm) {
		nj_aring_read_planar(&b->b, playback, pm);
	} else {
		nj_aring_read_planar(&b->b, playback, (unsigned)fill);
		for (unsigned c = 0; c < b->cfg.playback_ch; c++) {
			memset(playback[c] + fill, 0, sizeof(float) * (pm - fill));
		}
		if (running && b->cfg.playback_ch > 0) {
			/* (nothing flows back when we send on our own clock) */
			atomic_fetch_add_explicit(&b->underruns_b, 1, memory_order_relaxed);
			b->debt_b += pm - fill;
		}
	}
	net_pop_midi(b, tail_b, tail_b + pm);
	out->midi = (const struct nj_midi_event *const *)b->net_midi;
	out->midi_count = b->net_midi_count;
	net_publish(b);
}

