/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h - the clock bridge's clock tracker: a clock followed from its event
 * times (master cycles arriving, local cycles waking), with its steps, its
 * late events and a fitted period. No clock is read here: times come in.
 */
#ifndef NJ_BRIDGE_CLOCK_H
#define NJ_BRIDGE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* An event later than this after the clocks' first second counts as late
 * (the bridge's jitter margin; see late_thr_us). */
#define NJ_CLK_LATE_AFTER_S 1.0

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
struct nj_rate_est {
	double s0, s1, s2, t1, t2; /* weighted sums of 1, k, k^2, t, k t */
	double c0, c1, c2, u1, u2; /* the same since the last step */
	double pxx, pxy;           /* centred sums of the segments before it */
	double k, t_base;          /* current index (relative), time origin (us) */
	double lambda;
	double nominal;
	bool init;
};

/* A clock from its event times (master cycles arriving, local cycles waking).
 * Delays only ever make an event late: the network, a thread held off by the
 * scheduler, a backlog. So the phase follows the early edge of the events:
 * an early event pulls it fast, a late one slowly. A run of events all late by
 * the same amount is a step of the clock itself (a jack2 driver that overran
 * starts its timeline afresh that much later); it moves the phase at once.
 * Events bunched by a held-off thread are late by ever less and never look
 * like a step. A step under 1 ms takes a run of 16: a sender that is no
 * real-time thread (JackTrip's) sends bursts of 4-5 periods some 300-400 us
 * late and then on time again, and each false step restarted the period's
 * fit (the clock measured anywhere within +-90 ppm, the converters' ratio
 * with it: 67-70 dB through a JackTrip P2P server). While a run lasts the
 * line goes on unbent, so waiting longer costs a real step nothing. "Late"
 * for a step is three times the mean deviation of the other events (at
 * least 300 us; P / 4 until it is measured): a step too small to be seen is
 * followed by the phase over some 50 events, and that bend
 * biases the line by about 1.5 d / n for a step d in a segment of n points
 * (with P / 4 as the threshold, as at first: 20-30 ppm on average, up to 150,
 * at a step every 2 s of 0-20 ms; 3 to 5 on average now). The period comes
 * from a least-squares line through the filtered times, which is the best
 * estimate there is for the jitter left. */
struct nj_clk {
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
	/* the latest event since its owner last cleared this, late or not:
	 * what the margin needs of the time just past */
	double recent_max_us;
	struct nj_rate_est fit;
};

/* The fitted period, or 0 while there are too few points. */
double nj_rate_fitted(const struct nj_rate_est *r);

/* Follow a clock afresh from @now_us with a nominal period (us); the fit
 * forgets over @memory_cycles. Steps and late counts carry over. */
void nj_clk_start(struct nj_clk *c, uint64_t now_us, double period_us, double memory_cycles);

/* An event that did not happen (a cycle never seen): the phase moves on. */
void nj_clk_skip(struct nj_clk *c);

/* The next event at @now_us. Returns the step the clock took (us), or 0. */
double nj_clk_event(struct nj_clk *c, uint64_t now_us);

/* The last event was @late_us late by another measure (a callback that ran
 * that long after its cycle began): late if later than the margin. */
void nj_clk_late(struct nj_clk *c, double late_us);

/* The time of the last event, absolute: on the fitted line once there is one
 * (its noise is the line's, averaged over the fit's memory: the trim that
 * follows it must not modulate the converters' ratio), else the phase. */
double nj_clk_time(const struct nj_clk *c);

#endif
