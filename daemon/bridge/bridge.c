/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridge.c - the slave's clock bridge (see bridge.h for the model).
 *
 * Fills are counted in master frames. Ring A's continuous fill is
 *   fill_a(t) = pos(t) - read_a,  pos(t) = W + (t - t_w) / T_m * P_m,
 * where W is the master frames written so far and t_w the tracked time
 * of that write. Before a local cycle consumes P_s * r frames the ring holds
 * at least fill_a - P_m - jitter, so the target is P_m + P_s * r + margin.
 * Ring B's continuous fill is written_b - pos(t); the network thread pops
 * P_m frames when a master cycle arrives, so it needs only the margin. The sum
 * written_b - read_a is constant while both converters run at the same ratio,
 * so holding A at its target holds B at its target too.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bridge-private.h"

int bridge_new(const struct bridge_config *cfg, struct bridge **ret)
{
	struct bridge *b;
	uint64_t ring;
	int err = 0;

	if (cfg->master_period == 0 || cfg->local_period == 0 || cfg->master_rate == 0 ||
	    cfg->local_rate == 0 || cfg->master_period > 8192 || cfg->local_period > 8192 ||
	    (cfg->quality == BRIDGE_NONE && cfg->master_rate != cfg->local_rate) ||
	    cfg->quality > BRIDGE_BEST) {
		return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		return -ENOMEM;
	}
	b->cfg = *cfg;
	b->margin_us = (double)cfg->margin_us;
	atomic_store(&b->margin_pub_us, cfg->margin_us);
	b->net_clk.late_thr_us = b->margin_us;
	b->loc_clk.late_thr_us = b->margin_us;
	if (b->cfg.midi_max_events == 0) {
		b->cfg.midi_max_events = 512;
	}
	if (cfg->quality != BRIDGE_NONE) {
		b->lookahead = nj_conv_lookahead(cfg->quality);
	}
	/* Rings: room for a second of audio, and at least 8 x both periods. */
	ring = cfg->master_rate;
	if (ring < 8ull * (cfg->master_period + cfg->local_period * 4)) {
		ring = 8ull * (cfg->master_period + cfg->local_period * 4);
	}
	b->in_a_cap = (unsigned)((double)cfg->local_period * cfg->master_rate / cfg->local_rate * 1.1) +
		      b->lookahead + 64;
	b->out_b_cap = b->in_a_cap;
	if (nj_aring_init(&b->a, cfg->capture_ch, ring) < 0 ||
	    nj_aring_init(&b->b, cfg->playback_ch, ring) < 0) {
		goto nomem;
	}
	if (nj_mring_init(&b->ma) < 0 || nj_mring_init(&b->mb) < 0) {
		goto nomem;
	}
	b->in_a = calloc((size_t)b->in_a_cap * (cfg->capture_ch + 1), sizeof(float));
	b->out_a_cap = cfg->local_period * 2 + b->lookahead * 2 + 64;
	b->out_a = calloc((size_t)b->out_a_cap * (cfg->capture_ch + 1), sizeof(float));
	b->in_b = calloc((size_t)cfg->local_period * (cfg->playback_ch + 1), sizeof(float));
	b->out_b = calloc((size_t)b->out_b_cap * (cfg->playback_ch + 1), sizeof(float));
	b->net_midi = calloc(cfg->midi_playback_ch + 1, sizeof(*b->net_midi));
	b->net_midi_count = calloc(cfg->midi_playback_ch + 1, sizeof(*b->net_midi_count));
	b->net_midi_pool = malloc(MIDI_POOL_BYTES);
	if (!b->in_a || !b->out_a || !b->in_b || !b->out_b ||
	    !b->net_midi || !b->net_midi_count || !b->net_midi_pool) {
		goto nomem;
	}
	for (unsigned i = 0; i < cfg->midi_playback_ch; i++) {
		b->net_midi[i] = calloc(b->cfg.midi_max_events, sizeof(**b->net_midi));
		if (b->net_midi[i] == NULL) {
			goto nomem;
		}
	}
	b->ratio = (double)cfg->master_rate / cfg->local_rate;
	if (cfg->quality != BRIDGE_NONE) {
		if (cfg->capture_ch > 0) {
			err = nj_conv_new(cfg->quality, cfg->capture_ch, 1.0 / b->ratio, &b->src_a);
		}
		if (err == 0 && cfg->playback_ch > 0) {
			err = nj_conv_new(cfg->quality, cfg->playback_ch, b->ratio, &b->src_b);
		}
		if (err != 0) {
			goto nomem;
		}
	}
	*ret = b;
	return 0;
nomem:
	bridge_free(b);
	return -ENOMEM;
}

void bridge_free(struct bridge *b)
{
	if (b == NULL) {
		return;
	}
	nj_conv_free(b->src_a);
	nj_conv_free(b->src_b);
	for (unsigned i = 0; b->net_midi && i < b->cfg.midi_playback_ch; i++) {
		free(b->net_midi[i]);
	}
	free(b->net_midi);
	free(b->net_midi_count);
	free(b->net_midi_pool);
	nj_aring_free(&b->a);
	nj_aring_free(&b->b);
	nj_mring_free(&b->ma);
	nj_mring_free(&b->mb);
	free(b->in_a);
	free(b->out_a);
	free(b->in_b);
	free(b->out_b);
	free(b);
}

/* --------------------------------------------------------- local side */

void bridge_net_snapshot(const struct bridge *b, struct net_pub *p)
{
	nj_seqlock_read(&b->pub_lock, p, &b->pub, sizeof(*p));
}

static void silence(struct bridge *b, float *const *capture, unsigned nframes)
{
	for (unsigned c = 0; c < b->cfg.capture_ch; c++) {
		memset(capture[c], 0, sizeof(float) * nframes);
	}
}

/* Where the local side reads ring A, in master frames: the frames it took,
 * those it owes (an underrun), and the fraction the converter's input count
 * owes (without it the fill error saws by a frame). */
static double read_pos_a(const struct bridge *b)
{
	return (double)(atomic_load_explicit(&b->a.tail, memory_order_relaxed) + b->debt_a) +
	       (b->cfg.quality == BRIDGE_NONE ? 0 : b->acc_a);
}

/* What was measured since lock no longer holds: measure afresh. */
static void unlock(struct bridge *b)
{
	b->locked = false;
	b->good_since_us = 0;
}

/* Prime the rings afresh at their targets, from the next local cycle. */
static void reprime(struct bridge *b)
{
	b->state = BRIDGE_PRIMING;
	b->resyncs++;
	b->slew = 0;
	unlock(b);
}

static void go_idle(struct bridge *b)
{
	uint32_t port, size;
	uint64_t pos;

	if (b->state == BRIDGE_RUNNING) {
		b->dropouts++;
	}
	b->state = BRIDGE_IDLE;
	unlock(b);
	b->debt_a = 0;
	/* drop what is left; the next stream primes afresh */
	nj_aring_drop(&b->a, nj_aring_fill(&b->a));
	while (nj_mring_peek(&b->ma, &pos, &port, &size)) {
		nj_mring_pop(&b->ma, size, NULL);
	}
}

static void publish_stats(struct bridge *b)
{
	struct bridge_stats st = b->st, *s = &st; /* ours: one writer */

	s->state = b->state;
	s->ratio = b->ratio;
	s->ratio_nominal = (double)b->cfg.master_rate / b->cfg.local_rate;
	s->fill_a = b->fill_a;
	/* ring B carries nothing when we send on our own clock */
	s->fill_b = b->cfg.playback_ch > 0 ? b->fill_b : 0;
	s->target_a = b->target_a;
	s->target_b = b->cfg.playback_ch > 0 ? b->target_b : 0;
	s->lock_us = b->lock_us;
	s->locked_at_us = b->locked_at_us;
	s->local_cycles = b->local_cycles;
	s->underruns_a = b->underruns_a;
	s->overruns_b = b->overruns_b;
	s->slips = b->slips;
	s->dropouts = b->dropouts;
	s->resyncs = b->resyncs;
	s->steps_local = b->loc_clk.steps;
	s->late_local = b->loc_clk.late_n;
	s->margin_us = b->margin_us;
	s->margin_raises = b->margin_raises;
	s->margin_lowers = b->margin_lowers;
	s->late_max_local_us = b->loc_clk.late_max_us;
	s->midi_dropped = b->midi_dropped_loc;
	/* the clocks' fits, locked or not (a step unlocks; the fits go on) */
	if (b->clock_ratio > 0) {
		s->clock_ppm = (b->clock_ratio / s->ratio_nominal - 1.0) * 1e6;
	}
	if (b->n_dev > 0 && b->last_local > b->lock_local) {
		/* The measured ratio: master positions over local frames since
		 * lock. The error: the ratio used, against it, cycle by cycle
		 * (deviations were kept against the ratio at lock). */
		double measured = (b->last_pos - b->lock_pos) / (b->last_local - b->lock_local);
		double off = measured - b->ref_ratio, n = (double)b->n_dev;
		double ms = b->sum_dev2 / n - 2 * off * b->sum_dev / n + off * off;

		s->ratio_err_rms_ppm = sqrt(ms > 0 ? ms : 0) * 1e6 / measured;
		s->ratio_err_max_ppm = fmax(fabs(b->max_dev_abs_hi - off),
					    fabs(b->max_dev_abs_lo - off)) * 1e6 / measured;
	}
	nj_seqlock_write(&b->st_lock, &b->st, &st, sizeof(st));
}

/* Capture through the converter. The converter buffers whatever input it is
 * given, so it gets exactly the input this cycle's ratio calls for (a
 * fractional accumulator keeps the count exact over time), and its output
 * goes through a small FIFO that absorbs the +-1 frame of rounding. */
static void run_src_a(struct bridge *b, unsigned nframes, float *const *capture)
{
	unsigned ch = b->cfg.capture_ch;
	uint64_t fill = nj_aring_fill(&b->a), k;
	uint64_t have;
	long got;

	/* frames that came too late for an earlier cycle go now, unheard */
	fill -= nj_aring_pay_debt(&b->a, &b->debt_a, fill, (uint64_t)(b->acc_a + nframes * b->ratio));
	b->acc_a += nframes * b->ratio;
	k = (uint64_t)b->acc_a;
	b->acc_a -= (double)k;
	if (k > b->in_a_cap) {
		k = b->in_a_cap;
	}
	have = k;
	if (k > fill) {
		/* short: the converter still gets k frames (silence for the
		 * missing ones), and the read position owes them, so the ring
		 * stays on the master's timeline and ring B is not disturbed */
		b->underruns_a++;
		b->debt_a += k - fill;
		have = fill;
	}
	if (ch == 0) {
		nj_aring_drop(&b->a, have);
		return;
	}
	nj_aring_peek(&b->a, b->in_a, have);
	nj_aring_drop(&b->a, have);
	memset(b->in_a + (size_t)have * ch, 0, sizeof(float) * ch * (k - have));
	got = nj_conv_run(b->src_a, 1.0 / b->ratio, b->in_a, (unsigned)k,
			  b->out_a + (size_t)b->fifo_a * ch, b->out_a_cap - b->fifo_a);
	if (got > 0) {
		b->fifo_a += (unsigned)got;
	}
	if (b->fifo_a < nframes) {
		memset(b->out_a + (size_t)b->fifo_a * ch, 0,
		       sizeof(float) * ch * (nframes - b->fifo_a));
		b->fifo_a = nframes;
		b->underruns_a++;
	}
	for (unsigned f = 0; f < nframes; f++) {
		for (unsigned c = 0; c < ch; c++) {
			capture[c][f] = b->out_a[(size_t)f * ch + c];
		}
	}
	b->fifo_a -= nframes;
	memmove(b->out_a, b->out_a + (size_t)nframes * ch, sizeof(float) * ch * b->fifo_a);
}

/* Playback through the converter: @nframes local frames into ring B. */
static void run_src_b(struct bridge *b, unsigned nframes, const float *const *playback)
{
	unsigned ch = b->cfg.playback_ch;
	uint64_t room;
	long got;

	if (ch == 0) {
		return;
	}
	for (unsigned f = 0; f < nframes; f++) {
		for (unsigned c = 0; c < ch; c++) {
			b->in_b[(size_t)f * ch + c] = (playback && playback[c]) ? playback[c][f] : 0.0f;
		}
	}
	got = nj_conv_run(b->src_b, b->ratio, b->in_b, nframes, b->out_b, b->out_b_cap);
	if (got < 0) {
		return;
	}
	{
		uint64_t n = (uint64_t)got, skip = b->skip_b < n ? b->skip_b : n;

		b->skip_b -= skip;
		n -= skip;
		room = b->b.cap - nj_aring_fill(&b->b);
		if (n > room) {
			b->overruns_b += n - room;
			n = room;
		}
		nj_aring_write(&b->b, b->out_b + skip * ch, n);
	}
}

static void midi_in_local(struct bridge *b, unsigned nframes, const struct nj_midi_event *const *midi,
			  const uint32_t *midi_count)
{
	/* position of local frame 0 of this cycle in ring B's output stream */
	double base = (double)atomic_load_explicit(&b->b.head, memory_order_relaxed) +
		      (double)b->lookahead * b->ratio;

	for (unsigned p = 0; midi && midi_count && p < b->cfg.midi_playback_ch; p++) {
		for (uint32_t k = 0; k < midi_count[p]; k++) {
			uint32_t t = midi[p][k].time < nframes ? midi[p][k].time : nframes - 1;
			uint64_t pos = (uint64_t)llround(base + t * b->ratio);

			if (!nj_mring_push(&b->mb, pos, p, midi[p][k].data, midi[p][k].size)) {
				b->midi_dropped_loc++;
			}
		}
	}
}

static void midi_out_local(struct bridge *b, unsigned nframes, double start, double end,
			   bridge_midi_emit emit, void *ud)
{
	uint64_t pos;
	uint32_t port, size;

	while (nj_mring_peek(&b->ma, &pos, &port, &size) && (double)pos < end) {
		double off = ((double)pos - start) / b->ratio;
		uint32_t t = off <= 0 ? 0 : off >= nframes - 1 ? nframes - 1 : (uint32_t)off;

		nj_mring_pop(&b->ma, size, b->midi_buf);
		if (emit != NULL && port < b->cfg.midi_capture_ch) {
			emit(ud, port, t, b->midi_buf, size);
		}
	}
}

static void track_lock(struct bridge *b, uint64_t now_us, double err, double pos,
		       const struct net_pub *np)
{
	double tol = fmax(2.0, 1e-4 * b->cfg.master_rate); /* 0.1 ms */

	if (fabs(err) > tol * 4 && b->locked) {
		unlock(b); /* lost lock (a large disturbance) */
	}
	if (!b->locked) {
		if (fabs(err) <= tol && b->loc_clk.elapsed >= LOCK_MIN_S &&
		    np->elapsed >= LOCK_MIN_S) {
			if (b->good_since_us == 0) {
				b->good_since_us = now_us;
			} else if (now_us - b->good_since_us >= LOCK_HOLD_US) {
				b->locked = true;
				if (b->lock_us == 0) {
					b->lock_us = now_us - np->first_us; /* the first lock */
				}
				b->locked_at_us = now_us;
				b->lock_pos = pos;
				b->lock_local = (double)b->local_frames;
				b->ref_ratio = b->ratio;
				b->sum_dev = b->sum_dev2 = 0;
				b->max_dev_abs_hi = b->max_dev_abs_lo = 0;
				b->n_dev = 0;
			}
		} else {
			b->good_since_us = 0;
		}
		return;
	}
	/* the span measured runs from lock to the last locked cycle */
	b->last_pos = pos;
	b->last_local = (double)b->local_frames;
	{
		double d = b->ratio - b->ref_ratio;

		b->sum_dev += d;
		b->sum_dev2 += d * d;
		if (b->n_dev == 0 || d > b->max_dev_abs_hi) {
			b->max_dev_abs_hi = d;
		}
		if (b->n_dev == 0 || d < b->max_dev_abs_lo) {
			b->max_dev_abs_lo = d;
		}
		b->n_dev++;
	}
}

/* A new margin window from @from_us on (the cycles before it, up to then,
 * still count in the one ending); @prev is the latest cycle of that one. */
static void window_begin(struct bridge *b, uint64_t from_us, double prev)
{
	b->window_prev_us = prev;
	b->window_from_us = from_us;
	b->window_pending = true;
}

/* The margin, set: both rings need the frames it adds or gives back, and the
 * ratio cannot move them (a trim that fills ring A drains ring B by as much),
 * so the bridge primes afresh at the new targets. The window after a change
 * begins a second later: the cycles that catch up after a stall, and the
 * disturbance of priming, belong to what made the change. */
static void set_margin(struct bridge *b, double us, double worst, uint64_t now_us)
{
	b->margin_us = us;
	b->loc_clk.late_thr_us = us;
	atomic_store_explicit(&b->margin_pub_us, (uint64_t)us, memory_order_relaxed);
	window_begin(b, now_us + 1000000, worst);
	reprime(b);
}

/* The margin follows what the machine shows, window by window (30 s at
 * first). An underrun while a master cycle had arrived, or a local cycle had
 * woken, later than the margin (past the clocks' first second) raises it to
 * half as much again as the latest such cycle of this window and the one
 * before, up to cfg.margin_max_us, right after the underrun that called for
 * it. A late cycle that cost nothing changes nothing. A raised margin comes
 * down when a whole window's cycles, both clocks', came no later than a
 * third of it: one stall of a server (a browser starting, a VM's host busy) must
 * not cost 40 ms of round trip for the rest of the stream. Every change is a
 * disturbance, and a machine that held a thread off once may again: each
 * lowering doubles the window, so a machine that stalls now and then settles
 * on a margin that covers it instead of going up and down. */
static void adapt_margin(struct bridge *b, const struct net_pub *np, uint64_t now_us)
{
	double recent = fmax(np->recent_max_us, b->loc_clk.recent_max_us);
	double worst = fmax(recent, b->window_prev_us);
	double want = fmin((double)b->cfg.margin_max_us, worst * 1.5);
	uint64_t ur = b->underruns_a + atomic_load_explicit(&b->underruns_b, memory_order_relaxed);

	if (b->window_us == 0) {
		b->window_us = MARGIN_WINDOW_S * 1000000ull;
		window_begin(b, now_us, 0);
	}
	if (ur != b->underruns_seen) {
		b->underruns_seen = ur;
		/* only a cycle later than the margin explains an underrun; the
		 * others (a period lost on the way) are not the margin's to fix */
		if (worst > b->margin_us && want > b->margin_us) {
			b->margin_raises++;
			set_margin(b, want, worst, now_us);
			return;
		}
	}
	if (b->window_pending) {
		if (now_us >= b->window_from_us) {
			/* the window begins: both clocks' latest cycles afresh
			 * (the network side's at its next cycle) */
			b->window_pending = false;
			b->loc_clk.recent_max_us = 0;
			atomic_fetch_add_explicit(&b->margin_window, 1, memory_order_relaxed);
		}
		return;
	}
	if (now_us - b->window_from_us < b->window_us) {
		return;
	}
	want = fmax((double)b->cfg.margin_us, recent * 1.5);
	if (b->margin_us > (double)b->cfg.margin_us && want * 2 <= b->margin_us) {
		b->margin_lowers++;
		b->window_us = b->window_us * 2 > MARGIN_WINDOW_MAX_S * 1000000ull
				       ? MARGIN_WINDOW_MAX_S * 1000000ull
				       : b->window_us * 2;
		set_margin(b, want, recent, now_us);
		return;
	}
	window_begin(b, now_us, recent); /* the margin as it is */
}

void bridge_local_cycle(struct bridge *b, uint64_t now_us, unsigned woke_after_us,
			unsigned nframes,
			float *const *capture, const float *const *playback,
			const struct nj_midi_event *const *midi, const uint32_t *midi_count,
			bridge_midi_emit emit, void *emit_ud)
{
	struct net_pub np;
	double pm = b->cfg.master_period, t_loc, pos, r0, err, margin;
	double period_loc_us = 1e6 * nframes / b->cfg.local_rate;
	bool active;

	if (b->cfg.quality == BRIDGE_NONE) {
		/* No ratio to bend: a step of our callback's wake-up (JACK sorted
		 * its graph afresh) is taken out of the estimate, as every step
		 * is, and the wake-up holds stiller than jack2's estimate of the
		 * cycle's start (a DLL: the lock of the bit-exact mode waited on
		 * its wander, 1 in 4 runs at period 128). */
		now_us += woke_after_us;
		woke_after_us = 0;
	}
	b->local_cycles++;
	if (nframes > b->cfg.local_period) {
		silence(b, capture, nframes); /* the owner rebuilds the bridge */
		return;
	}
	if (!b->loc_clk.init || fabs(b->loc_clk.nominal - period_loc_us) > 0.5) {
		nj_clk_start(&b->loc_clk, now_us, period_loc_us,
			  RATE_MEMORY_S * b->cfg.local_rate / nframes);
	} else {
		/* the cycles' start (see bridge.h); a callback later than
		 * the margin within its cycle is a late cycle */
		nj_clk_event(&b->loc_clk, now_us);
		nj_clk_late(&b->loc_clk, woke_after_us);
	}
	t_loc = nj_clk_time(&b->loc_clk);
	bridge_net_snapshot(b, &np);
	/* The master is there while its cycles keep coming (4 periods + margin). */
	active = np.cycles > 0 &&
		 (now_us <= np.last_us || /* the network thread was ahead of our wake-up */
		  now_us - np.last_us < 4 * np.period_us + b->margin_us + period_loc_us);
	if (np.stream != b->stream_seen) {
		b->stream_seen = np.stream;
		go_idle(b);
		b->lock_us = 0; /* a new stream locks afresh */
	}
	if (np.steps + b->loc_clk.steps != b->steps_seen) {
		/* a clock stepped: what was measured since lock no longer holds */
		b->steps_seen = np.steps + b->loc_clk.steps;
		unlock(b);
		b->none_rebias = true;
	}
	if (!active) {
		go_idle(b);
		silence(b, capture, nframes);
		b->local_frames += nframes;
		publish_stats(b);
		return;
	}
	pos = (double)np.written + (t_loc - np.t_written) / np.period_us * pm;
	b->clock_ratio = (pm / np.period_us) / (nframes / b->loc_clk.period);
	r0 = b->cfg.quality == BRIDGE_NONE ? 1.0 : b->clock_ratio;
	if (b->state == BRIDGE_RUNNING) {
		adapt_margin(b, &np, now_us);
	}
	margin = b->margin_us * 1e-6 * b->cfg.master_rate;
	b->target_a = pm + nframes * r0 + margin;
	b->target_b = margin;

	if (b->state == BRIDGE_RUNNING) {
		/* Far off target (a clock stepped, a thread was held off): short
		 * of what the next read needs, or a period and more too much.
		 * Prime afresh: one glitch, instead of seconds of underruns or
		 * of latency while the trim pulls the fill back. */
		double e = pos - read_pos_a(b) - b->target_a;

		if (e < -margin || e > 0.5 * (pm + nframes * r0) + margin) {
			reprime(b);
		}
	}
	if (b->state != BRIDGE_RUNNING) {
		/* Prime: start with ring A at its target plus what the converter
		 * takes ahead, and ring B at its target plus what its converter
		 * holds back, once the master's loop has seen a few cycles. */
		double want_read = pos - b->target_a;
		uint64_t tail = atomic_load_explicit(&b->a.tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&b->a.head, memory_order_acquire);
		double fill_b, want_b;

		b->state = BRIDGE_PRIMING;
		silence(b, capture, nframes);
		midi_out_local(b, nframes, 0, want_read, NULL, NULL);
		if (np.cycles < MIN_MASTER_CYCLES || want_read < (double)tail ||
		    (double)head - want_read < nframes * r0) {
			b->local_frames += nframes;
			publish_stats(b);
			return;
		}
		nj_aring_drop(&b->a, (uint64_t)want_read - tail);
		b->debt_a = 0;
		fill_b = (double)atomic_load_explicit(&b->b.head, memory_order_relaxed) -
			 ((double)np.tail_b + pos - (double)np.written);
		want_b = b->target_b + b->lookahead * r0 - fill_b;
		b->skip_b = 0;
		if (want_b >= 1.0 && (double)(b->b.cap - nj_aring_fill(&b->b)) > want_b) {
			nj_aring_write(&b->b, NULL, (uint64_t)want_b);
		} else if (want_b <= -1.0) {
			/* too much on its way to the master: leave it out of
			 * what is written next (the network thread owns the tail) */
			b->skip_b = (uint64_t)-want_b;
		}
		b->state = BRIDGE_RUNNING;
		b->ratio = r0;
		b->none_bias = b->none_avg = 0; /* ring A is at its target now */
		b->none_rebias = false;
		if (b->src_a) {
			/* the converter's first output comes after its lookahead:
			 * that much silence in the FIFO keeps the first cycles whole */
			nj_conv_reset(b->src_a);
			b->fifo_a = (unsigned)ceil(b->lookahead / r0) + 2;
			memset(b->out_a, 0, sizeof(float) * b->cfg.capture_ch * b->fifo_a);
			b->acc_a = 0;
		}
		if (b->src_b) {
			nj_conv_reset(b->src_b);
		}
	}

	/* Control: a PI loop on ring A's continuous fill trims the ratio the
	 * two clock loops measured. */
	{
		uint64_t tail_a = atomic_load_explicit(&b->a.tail, memory_order_relaxed);
		double corr;

		b->fill_a = pos - read_pos_a(b);
		b->fill_b = (double)atomic_load_explicit(&b->b.head, memory_order_relaxed) -
			    ((double)np.tail_b + pos - (double)np.written);
		err = b->fill_a - b->target_a;
		if (b->cfg.quality == BRIDGE_NONE) {
			b->ratio = 1.0;
		} else {
			/* proportional only: the fitted periods carry the
			 * frequency, so an integrator would only wind up */
			double kp = 1.0 / ((b->locked ? CTRL_TAU_S : CTRL_TAU_SETTLE_S) *
					   b->cfg.master_rate);

			corr = fmax(-CTRL_MAX_CORR, fmin(CTRL_MAX_CORR, kp * err));
			b->ratio = r0 * (1.0 + corr);
		}
		if (b->cfg.quality == BRIDGE_NONE) {
			/* a clock stepped: the estimate moved by what the rings did
			 * not (a step that moved them far primes afresh, above) */
			if (b->none_rebias) {
				b->none_bias = err - b->none_avg;
				b->none_rebias = false;
			}
			err -= b->none_bias;
			b->none_avg += (err - b->none_avg) * nframes / (NONE_TAU_S * b->cfg.local_rate);
		}
		/* (NONE: locked means the estimate holds still, steps taken out) */
		track_lock(b, now_us, err, pos, &np);

		midi_in_local(b, nframes, midi, midi_count);
		if (b->cfg.quality == BRIDGE_NONE) {
			bridge_run_none(b, nframes, err, b->none_avg, capture, playback);
		} else {
			run_src_a(b, nframes, capture);
			run_src_b(b, nframes, playback);
		}
		/* capture MIDI due in the input span just converted */
		{
			double start = (double)tail_a - b->lookahead;
			double end = (double)atomic_load_explicit(&b->a.tail, memory_order_relaxed) -
				     b->lookahead;

			midi_out_local(b, nframes, start, end, emit, emit_ud);
		}
	}
	b->local_frames += nframes;
	publish_stats(b);
}

void bridge_stats(const struct bridge *cb, struct bridge_stats *ret)
{
	struct bridge *b = (struct bridge *)cb;

	nj_seqlock_read(&b->st_lock, ret, &b->st, sizeof(*ret));
	ret->underruns_b = atomic_load(&b->underruns_b);
	ret->overruns_a = atomic_load(&b->overruns_a);
	ret->midi_dropped += atomic_load(&b->midi_dropped_net);
	ret->net_cycles = atomic_load(&b->net_cycles_total);
	ret->ring_a = nj_aring_fill(&b->a);
	ret->ring_b = nj_aring_fill(&b->b);
	{
		struct net_pub np;

		bridge_net_snapshot(b, &np);
		ret->steps_master = np.steps;
		ret->late_master = np.late_n;
		ret->late_max_master_us = np.late_max_us;
	}
}
