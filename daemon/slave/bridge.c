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
#include <samplerate.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

#define MIDI_RING_BYTES  (64 * 1024)
#define MIDI_POOL_BYTES  (64 * 1024)
#define MIDI_REC_HEADER  16
#define CLK_EARLY_GAIN   0.3    /* an early event pulls the phase this much */
#define CLK_LATE_GAIN    0.02   /* a late one this much */
#define CLK_STEP_RUN     4      /* alike late events that make a step */
#define CLK_STEP_MIN_US  300.0  /* a step is at least this late, */
#define CLK_STEP_JITTERS 3.0    /* and this many times the mean deviation */
#define CLK_STEP_PERIODS 0.25   /* alike within this many periods; the first threshold */
#define CLK_JIT_GAIN     0.01   /* the mean deviation's update gain */
#define CTRL_TAU_S       4.0    /* fill error time constant, locked */
#define CTRL_TAU_SETTLE_S 1.0   /* and before */
#define RATE_MEMORY_S    30.0    /* period fit: forgetting time */
#define CTRL_MAX_CORR    2e-3   /* +-2000 ppm trim at most */
#define LOCK_HOLD_US     1000000
#define LOCK_MIN_S       1.0    /* clock fits this old before lock counts */
#define MIN_MASTER_CYCLES 8     /* master cycles seen before priming */
#define NJ_BRIDGE_MAX_CH 256

/* ------------------------------------------------------------ audio ring */

struct aring {
	float *buf;
	unsigned ch;
	uint64_t cap; /* frames, a power of two */
	_Atomic uint64_t head, tail;
};

static int aring_init(struct aring *r, unsigned ch, uint64_t min_frames)
{
	r->ch = ch;
	r->cap = 1;
	while (r->cap < min_frames) {
		r->cap <<= 1;
	}
	r->buf = calloc(r->cap * (ch ? ch : 1), sizeof(float));
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r->buf ? 0 : -ENOMEM;
}

static uint64_t aring_fill(struct aring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}

/* Producer: @n frames from planar @src (NULL buffers or NULL src = silence). */
static void aring_write_planar(struct aring *r, const float *const *src, unsigned n)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	for (unsigned f = 0; f < n; f++) {
		float *dst = r->buf + ((h + f) & (r->cap - 1)) * r->ch;

		for (unsigned c = 0; c < r->ch; c++) {
			dst[c] = (src && src[c]) ? src[c][f] : 0.0f;
		}
	}
	atomic_store_explicit(&r->head, h + n, memory_order_release);
}

/* Producer: @n interleaved frames. */
static void aring_write(struct aring *r, const float *src, uint64_t n)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t at = h & (r->cap - 1), first = r->cap - at < n ? r->cap - at : n;

	if (src != NULL) {
		memcpy(r->buf + at * r->ch, src, first * r->ch * sizeof(float));
		memcpy(r->buf, src + first * r->ch, (n - first) * r->ch * sizeof(float));
	} else {
		memset(r->buf + at * r->ch, 0, first * r->ch * sizeof(float));
		memset(r->buf, 0, (n - first) * r->ch * sizeof(float));
	}
	atomic_store_explicit(&r->head, h + n, memory_order_release);
}

/* Consumer: copy @n interleaved frames out without consuming. */
static void aring_peek(struct aring *r, float *dst, uint64_t n)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t at = t & (r->cap - 1), first = r->cap - at < n ? r->cap - at : n;

	memcpy(dst, r->buf + at * r->ch, first * r->ch * sizeof(float));
	memcpy(dst + first * r->ch, r->buf, (n - first) * r->ch * sizeof(float));
}

/* Consumer: @n frames into planar @dst (NULL = drop them). */
static void aring_read_planar(struct aring *r, float *const *dst, unsigned n)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	for (unsigned f = 0; dst != NULL && f < n; f++) {
		const float *src = r->buf + ((t + f) & (r->cap - 1)) * r->ch;

		for (unsigned c = 0; c < r->ch; c++) {
			dst[c][f] = src[c];
		}
	}
	atomic_store_explicit(&r->tail, t + n, memory_order_release);
}

static void aring_drop(struct aring *r, uint64_t n)
{
	atomic_fetch_add_explicit(&r->tail, n, memory_order_release);
}

/* Frames a reader owes from an underrun (*@debt), dropped from @r as they
 * turn up beyond the @need of this cycle; returns how many went. Keeps the
 * reader on the writer's timeline. */
static uint64_t pay_debt(struct aring *r, uint64_t *debt, uint64_t fill, uint64_t need)
{
	uint64_t extra = fill > need ? fill - need : 0;
	uint64_t n = *debt < extra ? *debt : extra;

	if (n > 0) {
		aring_drop(r, n);
		*debt -= n;
	}
	return n;
}

/* ------------------------------------------------------------- MIDI ring */

/* Records: u64 position (master frames), u32 port, u32 size, data, padded to 8. */
struct mring {
	uint8_t *buf;
	_Atomic uint64_t head, tail; /* bytes */
};

static size_t mrec_len(uint32_t size)
{
	return (MIDI_REC_HEADER + size + 7) & ~(size_t)7;
}

static void mring_copy_in(struct mring *r, uint64_t at, const void *src, size_t n)
{
	size_t o = at % MIDI_RING_BYTES, first = MIDI_RING_BYTES - o < n ? MIDI_RING_BYTES - o : n;

	memcpy(r->buf + o, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

static void mring_copy_out(const struct mring *r, uint64_t at, void *dst, size_t n)
{
	size_t o = at % MIDI_RING_BYTES, first = MIDI_RING_BYTES - o < n ? MIDI_RING_BYTES - o : n;

	memcpy(dst, r->buf + o, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

static bool mring_push(struct mring *r, uint64_t pos, uint32_t port, const uint8_t *data,
		       uint32_t size)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t len = mrec_len(size);
	uint8_t hdr[MIDI_REC_HEADER];

	if (size == 0 || size > NJ_MIDI_MAX_EVENT || MIDI_RING_BYTES - (h - t) < len) {
		return false;
	}
	memcpy(hdr, &pos, 8);
	memcpy(hdr + 8, &port, 4);
	memcpy(hdr + 12, &size, 4);
	mring_copy_in(r, h, hdr, sizeof(hdr));
	mring_copy_in(r, h + MIDI_REC_HEADER, data, size);
	atomic_store_explicit(&r->head, h + len, memory_order_release);
	return true;
}

/* Peek at the oldest record: false if none. */
static bool mring_peek(struct mring *r, uint64_t *pos, uint32_t *port, uint32_t *size)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	uint8_t hdr[MIDI_REC_HEADER];

	if (h == t) {
		return false;
	}
	mring_copy_out(r, t, hdr, sizeof(hdr));
	memcpy(pos, hdr, 8);
	memcpy(port, hdr + 8, 4);
	memcpy(size, hdr + 12, 4);
	return true;
}

/* Consume the oldest record, copying its data to @dst (NULL = drop). */
static void mring_pop(struct mring *r, uint32_t size, uint8_t *dst)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (dst != NULL) {
		mring_copy_out(r, t + MIDI_REC_HEADER, dst, size);
	}
	atomic_store_explicit(&r->tail, t + mrec_len(size), memory_order_release);
}

/* ------------------------------------------------------ period estimate */

/* The period of a clock from its event times: a least-squares line through
 * (cycle index, time) with exponential forgetting. For white jitter this is
 * the best estimate there is (a 1 Hz loop filter is some fifty times worse
 * at 100 us of jitter); the tracker below feeds it and reads the phase. Origins move
 * with the data so the sums stay small.
 * The clock's steps break the line: the slope comes from the points since the
 * last step (c*, u*) and the centred sums of the segments before it (pxx,
 * pxy), forgotten at the same rate, so the size of a step never enters it.
 * The phase comes from all points with the history moved by each measured
 * step (s*, t*). Shifting the history for the slope too (the first version)
 * carried each step's measurement error, the least of four jittered events,
 * into the period: 8-9 ppm on average at a 0-20 ms step every 2 s and 400 us
 * of jitter (a standalone run of the tracker), against 1 now. */
struct rate_est {
	double s0, s1, s2, t1, t2; /* weighted sums of 1, k, k^2, t, k t */
	double c0, c1, c2, u1, u2; /* the same since the last step */
	double pxx, pxy;           /* centred sums of the segments before it */
	double k, t_base;          /* current index (relative), time origin (us) */
	double lambda;
	double nominal;
	bool init;
};

static void rate_start(struct rate_est *r, uint64_t now_us, double period_us, double memory_cycles)
{
	*r = (struct rate_est){.lambda = 1.0 - 1.0 / memory_cycles, .nominal = period_us,
			       .t_base = (double)now_us, .init = true};
	r->s0 = 1;
}

/* One set of sums of 1, k, k^2, t, k t: forget, add (k, t). */
static void sums_add(double *s0, double *s1, double *s2, double *t1, double *t2, double l,
		     double k, double t)
{
	*s0 = *s0 * l + 1;
	*s1 = *s1 * l + k;
	*s2 = *s2 * l + k * k;
	*t1 = *t1 * l + t;
	*t2 = *t2 * l + k * t;
}

/* One set of sums: move the origin to (c, t). */
static void sums_move(double *s0, double *s1, double *s2, double *t1, double *t2, double c,
		      double t)
{
	*s2 = *s2 - 2 * c * *s1 + c * c * *s0;
	*t2 = *t2 - c * *t1;
	*s1 = *s1 - c * *s0;
	*t2 = *t2 - t * *s1;
	*t1 = *t1 - t * *s0;
}

static void rate_add(struct rate_est *r, uint64_t now_us, unsigned skipped)
{
	double t = (double)now_us - r->t_base, l = r->lambda;

	r->k += 1 + skipped;
	sums_add(&r->s0, &r->s1, &r->s2, &r->t1, &r->t2, l, r->k, t);
	sums_add(&r->c0, &r->c1, &r->c2, &r->u1, &r->u2, l, r->k, t);
	r->pxx *= l;
	r->pxy *= l;
	if (r->k > 4096) {
		/* move the origins to the present: k -> 0, t -> t (centred sums stay) */
		sums_move(&r->s0, &r->s1, &r->s2, &r->t1, &r->t2, r->k, t);
		sums_move(&r->c0, &r->c1, &r->c2, &r->u1, &r->u2, r->k, t);
		r->k = 0;
		r->t_base += t;
	}
}

/* The clock stepped after the last point: the slope's segment ends. */
static void rate_break(struct rate_est *r)
{
	if (r->c0 > 0) {
		r->pxx += r->c2 - r->c1 * r->c1 / r->c0;
		r->pxy += r->u2 - r->c1 * r->u1 / r->c0;
	}
	r->c0 = r->c1 = r->c2 = r->u1 = r->u2 = 0;
}

/* The fitted period, or 0 while there are too few points. */
static double rate_fitted(const struct rate_est *r)
{
	double xx = r->pxx, xy = r->pxy, p;

	if (r->c0 > 0) {
		xx += r->c2 - r->c1 * r->c1 / r->c0;
		xy += r->u2 - r->c1 * r->u1 / r->c0;
	}
	/* centred sum of k^2: n^3 / 12 for n points in a row (16: 340) */
	if (!r->init || r->s0 < 16 || xx < 300) {
		return 0;
	}
	p = xy / xx;
	return p > r->nominal * 0.99 && p < r->nominal * 1.01 ? p : 0;
}

/* ----------------------------------------------------------- clock track */

/* A clock from its event times (master cycles arriving, local cycles waking).
 * Delays only ever make an event late: the network, a thread held off by the
 * scheduler, a backlog. So the phase follows the early edge of the events:
 * an early event pulls it fast, a late one slowly. A run of events all late by
 * the same amount is a step of the clock itself (a jack2 driver that overran
 * starts its timeline afresh that much later); it moves the phase at once.
 * Events bunched by a held-off thread are late by ever less and never look
 * like a step. "Late" for a step is three times the mean deviation of the
 * other events (at least 300 us; P / 4 until it is measured): a step too small
 * to be seen is followed by the phase over some 50 events, and that bend
 * biases the line by about 1.5 d / n for a step d in a segment of n points
 * (with P / 4 as the threshold, as at first: 20-30 ppm on average, up to 150,
 * at a step every 2 s of 0-20 ms; 3 to 5 on average now). The period comes
 * from a least-squares line through the filtered times, which is the best
 * estimate there is for the jitter left. */
struct clk {
	bool init;
	uint64_t base_us;
	double nominal, period; /* us */
	double t0;              /* filtered time of the last event, us after base */
	double elapsed;         /* seconds followed */
	unsigned pending;       /* events skipped since t0 */
	unsigned run_n;         /* late events in a row, all alike */
	double run_ref, run_min;
	uint64_t steps;
	double jit;             /* mean deviation of the events that were not steps, us */
	/* events later than the bridge's jitter margin: what it cannot absorb */
	double late_thr_us, late_max_us;
	uint64_t late_n;
	struct rate_est fit;
};

static void clk_start(struct clk *c, uint64_t now_us, double period_us, double memory_cycles)
{
	*c = (struct clk){.init = true, .base_us = now_us, .nominal = period_us,
			  .period = period_us, .steps = c->steps, .late_thr_us = c->late_thr_us,
			  .late_max_us = c->late_max_us, .late_n = c->late_n};
	rate_start(&c->fit, now_us, period_us, memory_cycles);
	/* the old fixed threshold, P / 4, until the jitter is measured */
	c->jit = period_us * CLK_STEP_PERIODS / CLK_STEP_JITTERS;
}

/* An event that did not happen (a cycle never seen): the phase moves on. */
static void clk_skip(struct clk *c)
{
	c->pending++;
	c->elapsed += c->period * 1e-6;
}

/* The next event at @now_us. Returns the step the clock took (us), or 0. */
static double clk_event(struct clk *c, uint64_t now_us)
{
	double pred = c->t0 + (1 + c->pending) * c->period;
	double r = (double)(now_us - c->base_us) - pred, step = 0;
	double thr = fmax(CLK_STEP_MIN_US, CLK_STEP_JITTERS * c->jit);

	if (c->late_thr_us > 0 && r > c->late_thr_us && c->elapsed >= LOCK_MIN_S) {
		c->late_n++;
		c->late_max_us = fmax(c->late_max_us, r);
	}
	if (r > thr) {
		if (c->run_n == 0 || fabs(r - c->run_ref) > c->period / 4) {
			c->run_n = 0;
			c->run_ref = r;
			c->run_min = r;
		}
		c->run_n++;
		c->run_min = fmin(c->run_min, r);
	} else {
		c->run_n = 0;
	}
	if (c->run_n >= CLK_STEP_RUN) {
		/* the clock stepped: move the phase, and the fit's history with it */
		step = c->run_min;
		c->t0 = pred + step;
		c->fit.t1 += step * c->fit.s0;
		c->fit.t2 += step * c->fit.s1;
		rate_break(&c->fit);
		c->run_n = 0;
		c->steps++;
	} else if (r > thr) {
		/* maybe a step: the line goes on unbent until that is known,
		 * so a step moves every point before it by the same amount */
		c->t0 = pred;
	} else {
		c->t0 = pred + r * (r < 0 ? CLK_EARLY_GAIN : CLK_LATE_GAIN);
		c->jit += (fabs(r) - c->jit) * CLK_JIT_GAIN;
	}
	rate_add(&c->fit, c->base_us + (uint64_t)llround(c->t0 > 0 ? c->t0 : 0), c->pending);
	c->elapsed += (1 + c->pending) * c->period * 1e-6;
	c->pending = 0;
	{
		double p = rate_fitted(&c->fit);

		c->period = p > 0 ? p : c->nominal;
	}
	return step;
}

/* The time of the last event, absolute: on the fitted line once there is one
 * (its noise is the line's, averaged over the fit's memory: the trim that
 * follows it must not modulate the converters' ratio), else the phase. */
static double clk_time(const struct clk *c)
{
	const struct rate_est *r = &c->fit;
	double p = rate_fitted(r);

	if (p > 0) {
		return r->t_base + r->t1 / r->s0 + p * (r->k - r->s1 / r->s0) +
		       c->pending * c->period;
	}
	return (double)c->base_us + c->t0 + c->pending * c->period;
}

/* --------------------------------------------------------------- bridge */

/* What the network thread publishes for the local side (seqlock). */
struct net_pub {
	uint64_t written;   /* master frames written into ring A */
	double t_written;   /* absolute tracked time of that write, us */
	double period_us;   /* filtered master period */
	uint64_t last_us;   /* raw time of the last master cycle */
	uint64_t first_us;  /* first master data of this stream */
	uint64_t cycles;    /* master cycles of this stream */
	uint64_t stream;    /* stream generation (bridge_net_reset) */
	uint64_t tail_b;    /* ring B's read position after that cycle */
	double elapsed;     /* seconds the master's loop has run */
	uint64_t steps;     /* steps of the master's clock */
	uint64_t late_n;    /* master cycles later than the margin */
	double late_max_us;
};

struct bridge {
	struct bridge_config cfg;
	unsigned lookahead; /* input a converter takes before its first output, frames */

	struct aring a, b;
	struct mring ma, mb;

	/* network side */
	struct clk net_clk;
	uint64_t net_written;
	uint64_t net_stream;
	uint64_t net_first_us, net_cycles, net_last_us;
	uint64_t debt_b; /* frames sent as silence, to drop from ring B when they come */
	struct nj_midi_event **net_midi; /* per playback MIDI port */
	uint32_t *net_midi_count;
	uint8_t *net_midi_pool;
	_Atomic unsigned pub_seq;
	struct net_pub pub;
	_Atomic uint64_t underruns_b, overruns_a, midi_dropped_net, net_cycles_total;
	_Atomic uint64_t margin_pub_us; /* the margin now, for the network clock's late count */

	/* local side */
	struct clk loc_clk;
	enum bridge_state state;
	uint64_t stream_seen, steps_seen; /* both clocks' steps, last seen */
	uint64_t skip_b;    /* frames still to leave out of ring B (a resync) */
	SRC_STATE *src_a, *src_b;
	float *in_a, *out_a, *in_b, *out_b; /* interleaved scratch */
	unsigned in_a_cap, out_a_cap, out_b_cap; /* frames */
	unsigned fifo_a;                    /* converted capture frames waiting */
	uint64_t debt_a;                    /* frames read as silence, to drop when they come */
	double acc_a;                       /* fractional input count */
	double ratio;
	uint64_t local_frames;
	uint64_t good_since_us;
	bool locked;
	/* ratio statistics since lock */
	double lock_pos, lock_local, sum_dev, sum_dev2, max_dev_abs_hi, max_dev_abs_lo;
	double ref_ratio, last_pos, last_local;
	double clock_ratio; /* the two fitted periods' ratio, master frames per local frame */
	uint64_t n_dev;
	uint8_t midi_buf[NJ_MIDI_MAX_EVENT];
	uint64_t underruns_a, overruns_b, slips, dropouts, resyncs, midi_dropped_loc, local_cycles;
	uint64_t lock_us, locked_at_us;
	double fill_a, fill_b, target_a, target_b;
	double margin_us;   /* the jitter margin now: cfg.margin_us, raised by late cycles */
	uint64_t underruns_seen; /* both rings' underruns, when the margin last looked */
	uint64_t margin_raises;

	_Atomic unsigned st_seq;
	struct bridge_stats st;
};

static int converter(enum bridge_quality q)
{
	switch (q) {
	case BRIDGE_FASTEST:
		return SRC_SINC_FASTEST;
	case BRIDGE_BEST:
		return SRC_SINC_BEST_QUALITY;
	default:
		return SRC_SINC_MEDIUM_QUALITY;
	}
}

const char *bridge_quality_name(enum bridge_quality q)
{
	static const char *const names[] = {"none", "fastest", "medium", "best"};

	return q <= BRIDGE_BEST ? names[q] : "?";
}

/* How many input frames a fresh converter takes before its first output: the
 * extra delay it adds, measured once at setup with the real converter. */
static unsigned measure_lookahead(enum bridge_quality q)
{
	int err;
	SRC_STATE *s = src_new(converter(q), 1, &err);
	float in[64] = {0}, out[64];
	unsigned fed = 0;

	if (s == NULL) {
		return 0;
	}
	for (unsigned i = 0; i < 256; i++) {
		SRC_DATA d = {.data_in = in, .data_out = out, .input_frames = 1,
			      .output_frames = 64, .src_ratio = 1.0};

		if (src_process(s, &d) != 0) {
			break;
		}
		fed += (unsigned)d.input_frames_used;
		if (d.output_frames_gen > 0) {
			break;
		}
	}
	src_delete(s);
	return fed;
}

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
		b->lookahead = measure_lookahead(cfg->quality);
	}
	/* Rings: room for a second of audio, and at least 8 x both periods. */
	ring = cfg->master_rate;
	if (ring < 8ull * (cfg->master_period + cfg->local_period * 4)) {
		ring = 8ull * (cfg->master_period + cfg->local_period * 4);
	}
	b->in_a_cap = (unsigned)((double)cfg->local_period * cfg->master_rate / cfg->local_rate * 1.1) +
		      b->lookahead + 64;
	b->out_b_cap = b->in_a_cap;
	if (aring_init(&b->a, cfg->capture_ch, ring) < 0 ||
	    aring_init(&b->b, cfg->playback_ch, ring) < 0) {
		goto nomem;
	}
	b->ma.buf = calloc(1, MIDI_RING_BYTES);
	b->mb.buf = calloc(1, MIDI_RING_BYTES);
	b->in_a = calloc((size_t)b->in_a_cap * (cfg->capture_ch + 1), sizeof(float));
	b->out_a_cap = cfg->local_period * 2 + b->lookahead * 2 + 64;
	b->out_a = calloc((size_t)b->out_a_cap * (cfg->capture_ch + 1), sizeof(float));
	b->in_b = calloc((size_t)cfg->local_period * (cfg->playback_ch + 1), sizeof(float));
	b->out_b = calloc((size_t)b->out_b_cap * (cfg->playback_ch + 1), sizeof(float));
	b->net_midi = calloc(cfg->midi_playback_ch + 1, sizeof(*b->net_midi));
	b->net_midi_count = calloc(cfg->midi_playback_ch + 1, sizeof(*b->net_midi_count));
	b->net_midi_pool = malloc(MIDI_POOL_BYTES);
	if (!b->ma.buf || !b->mb.buf || !b->in_a || !b->out_a || !b->in_b || !b->out_b ||
	    !b->net_midi || !b->net_midi_count || !b->net_midi_pool) {
		goto nomem;
	}
	for (unsigned i = 0; i < cfg->midi_playback_ch; i++) {
		b->net_midi[i] = calloc(b->cfg.midi_max_events, sizeof(**b->net_midi));
		if (b->net_midi[i] == NULL) {
			goto nomem;
		}
	}
	if (cfg->quality != BRIDGE_NONE) {
		if (cfg->capture_ch > 0) {
			b->src_a = src_new(converter(cfg->quality), (int)cfg->capture_ch, &err);
		}
		if (err == 0 && cfg->playback_ch > 0) {
			b->src_b = src_new(converter(cfg->quality), (int)cfg->playback_ch, &err);
		}
		if (err != 0) {
			goto nomem;
		}
	}
	b->ratio = (double)cfg->master_rate / cfg->local_rate;
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
	if (b->src_a) {
		src_delete(b->src_a);
	}
	if (b->src_b) {
		src_delete(b->src_b);
	}
	for (unsigned i = 0; b->net_midi && i < b->cfg.midi_playback_ch; i++) {
		free(b->net_midi[i]);
	}
	free(b->net_midi);
	free(b->net_midi_count);
	free(b->net_midi_pool);
	free(b->a.buf);
	free(b->b.buf);
	free(b->ma.buf);
	free(b->mb.buf);
	free(b->in_a);
	free(b->out_a);
	free(b->in_b);
	free(b->out_b);
	free(b);
}

/* ------------------------------------------------------- network side */

static void net_publish(struct bridge *b)
{
	atomic_fetch_add_explicit(&b->pub_seq, 1, memory_order_acq_rel);
	b->pub.written = b->net_written;
	b->pub.t_written = clk_time(&b->net_clk);
	b->pub.period_us = b->net_clk.period;
	b->pub.last_us = b->net_last_us;
	b->pub.first_us = b->net_first_us;
	b->pub.cycles = b->net_cycles;
	b->pub.stream = b->net_stream;
	b->pub.tail_b = atomic_load_explicit(&b->b.tail, memory_order_relaxed) + b->debt_b;
	b->pub.elapsed = b->net_clk.elapsed;
	b->pub.steps = b->net_clk.steps;
	b->pub.late_n = b->net_clk.late_n;
	b->pub.late_max_us = b->net_clk.late_max_us;
	atomic_fetch_add_explicit(&b->pub_seq, 1, memory_order_acq_rel);
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
	while (mring_peek(&b->mb, &pos, &port, &size) && pos < end) {
		uint32_t k = port < b->cfg.midi_playback_ch ? b->net_midi_count[port] : UINT32_MAX;

		if (k >= b->cfg.midi_max_events || pool + size > MIDI_POOL_BYTES) {
			mring_pop(&b->mb, size, NULL);
			atomic_fetch_add_explicit(&b->midi_dropped_net, 1, memory_order_relaxed);
			continue;
		}
		mring_pop(&b->mb, size, b->net_midi_pool + pool);
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
			clk_start(&b->net_clk, seen_us, 1e6 * pm / b->cfg.master_rate,
				  RATE_MEMORY_S * b->cfg.master_rate / pm);
			b->net_first_us = seen_us;
		} else {
			b->net_clk.late_thr_us = (double)atomic_load_explicit(&b->margin_pub_us,
									     memory_order_relaxed);
			clk_event(&b->net_clk, seen_us);
		}
		b->net_last_us = seen_us;
	} else if (b->net_clk.init) {
		clk_skip(&b->net_clk);
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
			if (!mring_push(&b->ma, b->net_written + midi[p][k].time, p, midi[p][k].data,
					midi[p][k].size)) {
				atomic_fetch_add_explicit(&b->midi_dropped_net, 1,
							  memory_order_relaxed);
			}
		}
	}
	/* capture audio into ring A */
	fill = aring_fill(&b->a);
	if (b->a.cap - fill >= pm) {
		aring_write_planar(&b->a, capture, pm);
	} else {
		/* the local side is not consuming (no JACK): the period is
		 * dropped, the position still moves on */
		atomic_fetch_add_explicit(&b->overruns_a, pm, memory_order_relaxed);
	}
	b->net_written += pm;

	/* playback audio from ring B; frames that came too late for an
	 * earlier cycle go first, unheard, where there are more than this
	 * cycle needs: the stream to the master stays on its timeline */
	fill = aring_fill(&b->b);
	fill -= pay_debt(&b->b, &b->debt_b, fill, pm);
	tail_b = atomic_load_explicit(&b->b.tail, memory_order_relaxed);
	if (fill >= pm) {
		aring_read_planar(&b->b, playback, pm);
	} else {
		aring_read_planar(&b->b, playback, (unsigned)fill);
		for (unsigned c = 0; c < b->cfg.playback_ch; c++) {
			memset(playback[c] + fill, 0, sizeof(float) * (pm - fill));
		}
		if (running) {
			atomic_fetch_add_explicit(&b->underruns_b, 1, memory_order_relaxed);
			b->debt_b += pm - fill;
		}
	}
	net_pop_midi(b, tail_b, tail_b + pm);
	out->midi = (const struct nj_midi_event *const *)b->net_midi;
	out->midi_count = b->net_midi_count;
	net_publish(b);
}

/* --------------------------------------------------------- local side */

static void net_snapshot(struct bridge *b, struct net_pub *p)
{
	unsigned s;

	do {
		s = atomic_load_explicit(&b->pub_seq, memory_order_acquire);
		*p = b->pub;
	} while ((s & 1) || s != atomic_load_explicit(&b->pub_seq, memory_order_acquire));
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
	aring_drop(&b->a, aring_fill(&b->a));
	while (mring_peek(&b->ma, &pos, &port, &size)) {
		mring_pop(&b->ma, size, NULL);
	}
}

static void publish_stats(struct bridge *b)
{
	struct bridge_stats *s = &b->st;

	atomic_fetch_add_explicit(&b->st_seq, 1, memory_order_acq_rel);
	s->state = b->state;
	s->ratio = b->ratio;
	s->ratio_nominal = (double)b->cfg.master_rate / b->cfg.local_rate;
	s->fill_a = b->fill_a;
	s->fill_b = b->fill_b;
	s->target_a = b->target_a;
	s->target_b = b->target_b;
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
	atomic_fetch_add_explicit(&b->st_seq, 1, memory_order_acq_rel);
}

/* Local side in NONE mode: frames copied bit for bit. When the clocks drift
 * the fill strays; past half the margin one frame is dropped or repeated on
 * both rings (counted as a slip), the smallest disturbance there is. */
static void run_none(struct bridge *b, unsigned nframes, double err, float *const *capture,
		     const float *const *playback)
{
	double bound = 0.5 * b->margin_us * 1e-6 * b->cfg.master_rate;
	uint64_t fill = aring_fill(&b->a), take = nframes;
	unsigned give = nframes;

	fill -= pay_debt(&b->a, &b->debt_a, fill, nframes + 1);
	if (bound < 2) {
		bound = 2;
	}
	if (err > bound && fill > nframes) {
		take = nframes + 1; /* master faster: skip a frame here, add one on B */
		give = nframes + 1;
		b->slips++;
	} else if (err < -bound && nframes > 1) {
		take = nframes - 1; /* master slower: repeat a frame here, drop one on B */
		give = nframes - 1;
		b->slips++;
	}
	if (fill >= take) {
		aring_read_planar(&b->a, capture, (unsigned)(take < nframes ? take : nframes));
		if (take > nframes) {
			aring_drop(&b->a, take - nframes);
		} else if (take < nframes) {
			for (unsigned c = 0; c < b->cfg.capture_ch; c++) {
				capture[c][nframes - 1] = capture[c][nframes - 2];
			}
		}
	} else {
		aring_read_planar(&b->a, capture, (unsigned)fill);
		for (unsigned c = 0; c < b->cfg.capture_ch; c++) {
			memset(capture[c] + fill, 0, sizeof(float) * (nframes - fill));
		}
		b->underruns_a++;
		b->debt_a += take - fill; /* as in run_src_a */
	}
	if (b->skip_b > 0) {
		/* a resync left too much on its way to the master: whole
		 * cycles are left out until it is back (bit-exact otherwise) */
		b->skip_b = b->skip_b > give ? b->skip_b - give : 0;
		return;
	}
	if (b->b.cap - aring_fill(&b->b) < give) {
		b->overruns_b += give;
		return;
	}
	if (give <= nframes) {
		aring_write_planar(&b->b, playback, give);
	} else {
		const float *last[NJ_BRIDGE_MAX_CH];
		unsigned ch = b->cfg.playback_ch < NJ_BRIDGE_MAX_CH ? b->cfg.playback_ch : NJ_BRIDGE_MAX_CH;

		aring_write_planar(&b->b, playback, nframes);
		for (unsigned c = 0; c < ch; c++) {
			last[c] = (playback && playback[c]) ? playback[c] + nframes - 1 : NULL;
		}
		aring_write_planar(&b->b, playback ? last : NULL, 1);
	}
}

/* Capture through the converter. libsamplerate buffers whatever input it is
 * given, so it gets exactly the input this cycle's ratio calls for (a
 * fractional accumulator keeps the count exact over time), and its output
 * goes through a small FIFO that absorbs the +-1 frame of rounding. */
static void run_src_a(struct bridge *b, unsigned nframes, float *const *capture)
{
	unsigned ch = b->cfg.capture_ch;
	uint64_t fill = aring_fill(&b->a), k;
	SRC_DATA d;
	uint64_t have;

	/* frames that came too late for an earlier cycle go now, unheard */
	fill -= pay_debt(&b->a, &b->debt_a, fill, (uint64_t)(b->acc_a + nframes * b->ratio));
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
		aring_drop(&b->a, have);
		return;
	}
	aring_peek(&b->a, b->in_a, have);
	aring_drop(&b->a, have);
	memset(b->in_a + (size_t)have * ch, 0, sizeof(float) * ch * (k - have));
	d = (SRC_DATA){.data_in = b->in_a, .data_out = b->out_a + (size_t)b->fifo_a * ch,
		       .input_frames = (long)k, .output_frames = (long)(b->out_a_cap - b->fifo_a),
		       .src_ratio = 1.0 / b->ratio};
	if (src_process(b->src_a, &d) == 0) {
		b->fifo_a += (unsigned)d.output_frames_gen;
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
	SRC_DATA d;
	uint64_t room;

	if (ch == 0) {
		return;
	}
	for (unsigned f = 0; f < nframes; f++) {
		for (unsigned c = 0; c < ch; c++) {
			b->in_b[(size_t)f * ch + c] = (playback && playback[c]) ? playback[c][f] : 0.0f;
		}
	}
	d = (SRC_DATA){.data_in = b->in_b, .data_out = b->out_b, .input_frames = nframes,
		       .output_frames = b->out_b_cap, .src_ratio = b->ratio};
	if (src_process(b->src_b, &d) != 0) {
		return;
	}
	{
		uint64_t n = (uint64_t)d.output_frames_gen, skip = b->skip_b < n ? b->skip_b : n;

		b->skip_b -= skip;
		n -= skip;
		room = b->b.cap - aring_fill(&b->b);
		if (n > room) {
			b->overruns_b += n - room;
			n = room;
		}
		aring_write(&b->b, b->out_b + skip * ch, n);
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

			if (!mring_push(&b->mb, pos, p, midi[p][k].data, midi[p][k].size)) {
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

	while (mring_peek(&b->ma, &pos, &port, &size) && (double)pos < end) {
		double off = ((double)pos - start) / b->ratio;
		uint32_t t = off <= 0 ? 0 : off >= nframes - 1 ? nframes - 1 : (uint32_t)off;

		mring_pop(&b->ma, size, b->midi_buf);
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

/* The margin grows to what the machine shows. An underrun while a master
 * cycle had arrived, or a local cycle had woken, later than the margin (past
 * the clocks' first second) raises it to half as much again as the worst
 * such delay so far, up to cfg.margin_max_us. A late cycle that cost nothing (the
 * two clocks' phase left room for it) changes nothing. The margin never
 * shrinks within a stream: a machine that held a thread off once will again,
 * and every change costs a disturbance. Both rings need the extra frames, and
 * the ratio cannot give them (a trim that fills ring A drains ring B by as
 * much), so the bridge primes afresh at the new targets, right after the
 * underrun that called for it. The first such delay is heard, the ones like
 * it after are absorbed. */
static void adapt_margin(struct bridge *b, const struct net_pub *np)
{
	double worst = fmax(np->late_max_us, b->loc_clk.late_max_us);
	double want = fmin((double)b->cfg.margin_max_us, worst * 1.5);
	uint64_t ur = b->underruns_a + atomic_load_explicit(&b->underruns_b, memory_order_relaxed);

	if (ur == b->underruns_seen) {
		return;
	}
	b->underruns_seen = ur;
	if (want > b->margin_us) {
		b->margin_us = want;
		b->margin_raises++;
		b->loc_clk.late_thr_us = want;
		atomic_store_explicit(&b->margin_pub_us, (uint64_t)want, memory_order_relaxed);
		reprime(b);
	}
}

void bridge_local_cycle(struct bridge *b, uint64_t now_us, unsigned nframes,
			float *const *capture, const float *const *playback,
			const struct nj_midi_event *const *midi, const uint32_t *midi_count,
			bridge_midi_emit emit, void *emit_ud)
{
	struct net_pub np;
	double pm = b->cfg.master_period, t_loc, pos, r0, err, margin;
	double period_loc_us = 1e6 * nframes / b->cfg.local_rate;
	bool active;

	b->local_cycles++;
	if (nframes > b->cfg.local_period) {
		silence(b, capture, nframes); /* the owner rebuilds the bridge */
		return;
	}
	if (!b->loc_clk.init || fabs(b->loc_clk.nominal - period_loc_us) > 0.5) {
		clk_start(&b->loc_clk, now_us, period_loc_us,
			  RATE_MEMORY_S * b->cfg.local_rate / nframes);
	} else {
		clk_event(&b->loc_clk, now_us);
	}
	t_loc = clk_time(&b->loc_clk);
	net_snapshot(b, &np);
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
		adapt_margin(b, &np);
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
		aring_drop(&b->a, (uint64_t)want_read - tail);
		b->debt_a = 0;
		fill_b = (double)atomic_load_explicit(&b->b.head, memory_order_relaxed) -
			 ((double)np.tail_b + pos - (double)np.written);
		want_b = b->target_b + b->lookahead * r0 - fill_b;
		b->skip_b = 0;
		if (want_b >= 1.0 && (double)(b->b.cap - aring_fill(&b->b)) > want_b) {
			aring_write(&b->b, NULL, (uint64_t)want_b);
		} else if (want_b <= -1.0) {
			/* too much on its way to the master: leave it out of
			 * what is written next (the network thread owns the tail) */
			b->skip_b = (uint64_t)-want_b;
		}
		b->state = BRIDGE_RUNNING;
		b->ratio = r0;
		if (b->src_a) {
			/* the converter's first output comes after its lookahead:
			 * that much silence in the FIFO keeps the first cycles whole */
			src_reset(b->src_a);
			b->fifo_a = (unsigned)ceil(b->lookahead / r0) + 2;
			memset(b->out_a, 0, sizeof(float) * b->cfg.capture_ch * b->fifo_a);
			b->acc_a = 0;
		}
		if (b->src_b) {
			src_reset(b->src_b);
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
		track_lock(b, now_us, err, pos, &np);

		midi_in_local(b, nframes, midi, midi_count);
		if (b->cfg.quality == BRIDGE_NONE) {
			run_none(b, nframes, err, capture, playback);
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
	unsigned s;

	do {
		s = atomic_load_explicit(&b->st_seq, memory_order_acquire);
		*ret = b->st;
	} while ((s & 1) || s != atomic_load_explicit(&b->st_seq, memory_order_acquire));
	ret->underruns_b = atomic_load(&b->underruns_b);
	ret->overruns_a = atomic_load(&b->overruns_a);
	ret->midi_dropped += atomic_load(&b->midi_dropped_net);
	ret->net_cycles = atomic_load(&b->net_cycles_total);
	ret->ring_a = aring_fill(&b->a);
	ret->ring_b = aring_fill(&b->b);
	{
		struct net_pub np;

		net_snapshot(b, &np);
		ret->steps_master = np.steps;
		ret->late_master = np.late_n;
		ret->late_max_master_us = np.late_max_us;
	}
}
