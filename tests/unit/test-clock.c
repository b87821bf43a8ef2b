/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-clock.c - the clock bridge's clock tracker alone: the period of a
 * jittered clock 300 ppm off nominal fitted to within a few ppm; a step of
 * the clock seen as one step that leaves the period alone; events later than
 * the threshold counted with the worst; missed events (skips) keep the phase.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "../../daemon/bridge/clock.h"
#include "check-main.h"

#define NOMINAL (1e6 * 256 / 48000) /* us */

static uint64_t rng = 88172645463325252ull;

/* Delays only make events late: 0..@max_us, mostly small. */
static double jitter(double max_us)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return max_us * pow((double)(rng % 1000000) / 1e6, 3);
}

START_TEST(period_through_jitter)
{
	static const double ppm[] = {300, -300, 0, 120};

	for (unsigned k = 0; k < 4; k++) {
		double true_p = NOMINAL * (1 + ppm[k] * 1e-6), t = 1e6;
		struct nj_clk c = {0};

		nj_clk_start(&c, (uint64_t)t, NOMINAL, 30.0 * 48000 / 256);
		for (unsigned i = 0; i < 20 * 188; i++) {
			t += true_p;
			nj_clk_event(&c, (uint64_t)(t + jitter(300)));
		}
		ck_assert_msg(fabs(c.period / true_p - 1) * 1e6 < 5, "%.0f ppm: period off by %.2f ppm",
			      ppm[k], (c.period / true_p - 1) * 1e6);
		ck_assert_uint_eq(c.steps, 0);
		/* the fitted time of the last event is within the jitter */
		ck_assert(fabs(nj_clk_time(&c) - t) < 300);
	}
}
END_TEST

START_TEST(step_once)
{
	double t = 1e6, true_p = NOMINAL * (1 + 100e-6);
	struct nj_clk c = {0};

	nj_clk_start(&c, (uint64_t)t, NOMINAL, 30.0 * 48000 / 256);
	for (unsigned i = 0; i < 3000; i++) {
		t += true_p;
		if (i == 1500) {
			t += 7000; /* the server overran: its timeline restarts 7 ms later */
		}
		nj_clk_event(&c, (uint64_t)(t + jitter(100)));
	}
	ck_assert_uint_eq(c.steps, 1);
	ck_assert_msg(fabs(c.period / true_p - 1) * 1e6 < 5, "period off by %.2f ppm after a step",
		      (c.period / true_p - 1) * 1e6);
	ck_assert(fabs(nj_clk_time(&c) - t) < 200);
}
END_TEST

/* A sender that is no real-time thread (JackTrip's) sends runs of 4-8
 * periods 300-400 us late, then on time again, about once a second: none of
 * that is a step, and the period stays within a few ppm. A real step of the
 * same small size (600 us, for good) is still taken, once. */
START_TEST(bursty_sender)
{
	double t = 1e6, true_p = NOMINAL * (1 + 50e-6);
	struct nj_clk c = {0};
	unsigned burst = 0;
	double burst_us = 0;

	nj_clk_start(&c, (uint64_t)t, NOMINAL, 30.0 * 48000 / 256);
	for (unsigned i = 0; i < 40 * 188; i++) {
		t += true_p;
		if (burst == 0 && i % 180 == 90) {
			burst = 4 + i % 5;
			burst_us = 300 + (double)(i % 101);
		}
		nj_clk_event(&c, (uint64_t)(t + jitter(60) + (burst > 0 ? burst_us : 0)));
		burst -= burst > 0;
	}
	ck_assert_uint_eq(c.steps, 0);
	ck_assert_msg(fabs(c.period / true_p - 1) * 1e6 < 3, "period off by %.2f ppm",
		      (c.period / true_p - 1) * 1e6);
	for (unsigned i = 0; i < 10 * 188; i++) {
		t += true_p;
		if (i == 0) {
			t += 600;
		}
		nj_clk_event(&c, (uint64_t)(t + jitter(60)));
	}
	ck_assert_uint_eq(c.steps, 1);
	ck_assert(fabs(nj_clk_time(&c) - t) < 100);
}
END_TEST

START_TEST(late_and_skips)
{
	double t = 1e6;
	struct nj_clk c = {.late_thr_us = 1000};

	nj_clk_start(&c, (uint64_t)t, NOMINAL, 30.0 * 48000 / 256);
	for (unsigned i = 0; i < 1000; i++) {
		double late = 0;

		t += NOMINAL;
		if (i == 100) {
			late = 3000; /* within the first second: not counted */
		} else if (i == 500 || i == 700) {
			late = i == 500 ? 2500 : 4000;
		}
		if (i == 800) {
			nj_clk_skip(&c); /* a cycle never seen */
			continue;
		}
		nj_clk_event(&c, (uint64_t)(t + late));
	}
	ck_assert_uint_eq(c.late_n, 2);
	ck_assert(fabs(c.late_max_us - 4000) < 50);
	ck_assert_uint_eq(c.steps, 0);
	ck_assert(fabs(nj_clk_time(&c) - t) < 50); /* the skip kept the phase */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("tracker");

	tcase_add_test(tc, period_through_jitter);
	tcase_add_test(tc, step_once);
	tcase_add_test(tc, late_and_skips);
	tcase_add_test(tc, bursty_sender);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
