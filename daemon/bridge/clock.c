/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clock.c - the clock bridge's clock tracker (clock.h). */
#include <math.h>

#include "clock.h"

#define CLK_EARLY_GAIN   0.3    /* an early event pulls the phase this much */
#define CLK_LATE_GAIN    0.02   /* a late one this much */
#define CLK_STEP_RUN     4      /* alike late events that make a step, */
#define CLK_STEP_SMALL_US 1000.0 /* and below this size, */
#define CLK_STEP_RUN_SMALL 16   /* this many (a sender's bursts are not steps) */
#define CLK_STEP_MIN_US  300.0  /* a step is at least this late, */
#define CLK_STEP_JITTERS 3.0    /* and this many times the mean deviation */
#define CLK_STEP_PERIODS 0.25   /* alike within this many periods; the first threshold */
#define CLK_JIT_GAIN     0.01   /* the mean deviation's update gain */
#define LOCK_MIN_S       NJ_CLK_LATE_AFTER_S



static void rate_start(struct nj_rate_est *r, uint64_t now_us, double period_us, double memory_cycles)
{
	*r = (struct nj_rate_est){.lambda = 1.0 - 1.0 / memory_cycles, .nominal = period_us,
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

static void rate_add(struct nj_rate_est *r, uint64_t now_us, unsigned skipped)
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
static void rate_break(struct nj_rate_est *r)
{
	if (r->c0 > 0) {
		r->pxx += r->c2 - r->c1 * r->c1 / r->c0;
		r->pxy += r->u2 - r->c1 * r->u1 / r->c0;
	}
	r->c0 = r->c1 = r->c2 = r->u1 = r->u2 = 0;
}

/* The fitted period, or 0 while there are too few points. */
double nj_rate_fitted(const struct nj_rate_est *r)
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


void nj_clk_start(struct nj_clk *c, uint64_t now_us, double period_us, double memory_cycles)
{
	*c = (struct nj_clk){.init = true, .base_us = now_us, .nominal = period_us,
			  .period = period_us, .steps = c->steps, .late_thr_us = c->late_thr_us,
			  .late_max_us = c->late_max_us, .late_n = c->late_n};
	rate_start(&c->fit, now_us, period_us, memory_cycles);
	/* the old fixed threshold, P / 4, until the jitter is measured */
	c->jit = period_us * CLK_STEP_PERIODS / CLK_STEP_JITTERS;
}

/* An event that did not happen (a cycle never seen): the phase moves on. */
void nj_clk_skip(struct nj_clk *c)
{
	c->pending++;
	c->elapsed += c->period * 1e-6;
}

void nj_clk_late(struct nj_clk *c, double late_us)
{
	if (c->elapsed >= LOCK_MIN_S) {
		c->recent_max_us = fmax(c->recent_max_us, late_us);
	}
	if (c->late_thr_us > 0 && late_us > c->late_thr_us && c->elapsed >= LOCK_MIN_S) {
		c->late_n++;
		c->late_max_us = fmax(c->late_max_us, late_us);
	}
}

/* The next event at @now_us. Returns the step the clock took (us), or 0. */
double nj_clk_event(struct nj_clk *c, uint64_t now_us)
{
	double pred = c->t0 + (1 + c->pending) * c->period;
	double r = (double)(now_us - c->base_us) - pred, step = 0;
	double thr = fmax(CLK_STEP_MIN_US, CLK_STEP_JITTERS * c->jit);

	nj_clk_late(c, r);
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
	if (c->run_n >= (c->run_min < CLK_STEP_SMALL_US ? CLK_STEP_RUN_SMALL : CLK_STEP_RUN)) {
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
		double p = nj_rate_fitted(&c->fit);

		c->period = p > 0 ? p : c->nominal;
	}
	return step;
}

/* The time of the last event, absolute: on the fitted line once there is one
 * (its noise is the line's, averaged over the fit's memory: the trim that
 * follows it must not modulate the converters' ratio), else the phase. */
double nj_clk_time(const struct nj_clk *c)
{
	const struct nj_rate_est *r = &c->fit;
	double p = nj_rate_fitted(r);

	if (p > 0) {
		return r->t_base + r->t1 / r->s0 + p * (r->k - r->s1 / r->s0) +
		       c->pending * c->period;
	}
	return (double)c->base_us + c->t0 + c->pending * c->period;
}

