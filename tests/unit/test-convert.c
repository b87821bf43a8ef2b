/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-convert.c - the clock bridge's converter alone: a 997 Hz sine through
 * it at 300 ppm either way, fed the exact input count the ratio calls for
 * period by period as the bridge does, comes out at the right length with
 * the SNR the bridge promises; the lookahead is what a fresh converter
 * swallows; a reset forgets the past.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/bridge/convert.h"
#include "check-main.h"

#define RATE 48000
#define P 256

/* SNR (dB) of @x against a least-squares fitted sine of @hz (any phase). */
static double sine_snr(const float *x, unsigned n, double hz, double rate)
{
	double ss = 0, sc = 0, cc = 0, xs = 0, xc = 0, a, b, sig = 0, err = 0;

	for (unsigned i = 0; i < n; i++) {
		double s = sin(2 * M_PI * hz * i / rate), c = cos(2 * M_PI * hz * i / rate);

		ss += s * s;
		sc += s * c;
		cc += c * c;
		xs += x[i] * s;
		xc += x[i] * c;
	}
	a = (xs * cc - xc * sc) / (ss * cc - sc * sc);
	b = (xc * ss - xs * sc) / (ss * cc - sc * sc);
	for (unsigned i = 0; i < n; i++) {
		double f = a * sin(2 * M_PI * hz * i / rate) + b * cos(2 * M_PI * hz * i / rate);

		sig += f * f;
		err += (x[i] - f) * (x[i] - f);
	}
	return 10 * log10(sig / err);
}

static void one_way(enum bridge_quality q, double ppm, double min_db)
{
	double ratio = 1 + ppm * 1e-6; /* output frames per input frame */
	unsigned total = RATE * 2, lead = nj_conv_lookahead(q);
	float *in = malloc(sizeof(float) * (total + P));
	float *out = calloc(total * 2, sizeof(float));
	struct nj_conv *c;
	double acc = 0;
	unsigned fed = 0, got = 0;

	ck_assert_int_eq(nj_conv_new(q, 1, ratio, &c), 0);
	for (unsigned i = 0; i < total + P; i++) {
		in[i] = (float)(0.5 * sin(2 * M_PI * 997.0 * i / RATE));
	}
	/* per output period: the input this ratio calls for, exactly */
	while (fed + P * 2 < total) {
		unsigned k;
		long n;

		acc += P / ratio;
		k = (unsigned)acc;
		acc -= k;
		n = nj_conv_run(c, ratio, in + fed, k, out + got, total * 2 - got);
		ck_assert_int_ge(n, 0);
		fed += k;
		got += (unsigned)n;
	}
	/* the output's length is the input's times the ratio, less the lookahead */
	ck_assert_msg(fabs((double)got - (fed - lead) * ratio) < 4, "%u out for %u in (lead %u)",
		      got, fed, lead);
	{
		/* a window after the start: the sine's frequency scaled by the ratio */
		double db = sine_snr(out + RATE / 2, RATE / 2, 997.0 / ratio, RATE);

		ck_assert_msg(db >= min_db, "%s at %+.0f ppm: %.1f dB (want %.0f)",
			      bridge_quality_name(q), ppm, db, min_db);
	}
	nj_conv_free(c);
	free(in);
	free(out);
}

START_TEST(sine_both_ways)
{
	one_way(BRIDGE_MEDIUM, 300, 100);
	one_way(BRIDGE_MEDIUM, -300, 100);
	one_way(BRIDGE_BEST, 300, 110);
	one_way(BRIDGE_FASTEST, -300, 80);
}
END_TEST

START_TEST(lookahead_and_reset)
{
	struct nj_conv *c;
	float in[64], out[256];
	long n = 0;

	for (enum bridge_quality q = BRIDGE_FASTEST; q <= BRIDGE_BEST; q++) {
		ck_assert_uint_gt(nj_conv_lookahead(q), 0);
		ck_assert_uint_lt(nj_conv_lookahead(q), 4096);
	}
	ck_assert_int_lt(nj_conv_new(BRIDGE_NONE, 1, 1.0, &c), 0);
	ck_assert_int_eq(nj_conv_new(BRIDGE_MEDIUM, 2, 1.0, &c), 0);
	for (unsigned i = 0; i < 64; i++) {
		in[i] = 1.0f;
	}
	for (unsigned k = 0; k < 40; k++) {
		n = nj_conv_run(c, 1.0, in, 32, out, 128);
	}
	ck_assert_int_eq(n, 32); /* in steady state: as much out as in */
	nj_conv_reset(c);
	memset(in, 0, sizeof(in));
	n = nj_conv_run(c, 1.0, in, 32, out, 128);
	ck_assert_int_lt(n, 32); /* fresh again: the lookahead is swallowed */
	nj_conv_free(c);
	nj_conv_free(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("convert");
	TCase *tc = tcase_create("convert");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, sine_both_ways);
	tcase_add_test(tc, lookahead_and_reset);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
