/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-opus.c - the Opus frame codec: jack2's captured frames decode, our
 * frames have jack2's layout, the jack2-crash rule matches what libopus really
 * does (checked in forked children), and every period 64..4096 works with the
 * extension.
 */
#include <check.h>
#include <math.h>
#include <opus/opus_custom.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libnetproto/audio.h>
#include <libnetproto/opus.h>

#include "check-main.h"
#include "vectors.h"

/* Does decoding a custom mode at (rate, period) survive, as a jack2 peer would
 * do it (no end band set)? Run in a child: libopus aborts on failure. */
static bool child_survives(uint32_t rate, unsigned period)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		OpusCustomMode *m;
		OpusCustomEncoder *e;
		OpusCustomDecoder *d;
		static float in[1024], out[1024];
		unsigned char buf[1275];
		int err, n;

		/* keep libopus's abort message out of the test log */
		if (freopen("/dev/null", "w", stderr) == NULL) {
			_exit(3);
		}
		m = opus_custom_mode_create((opus_int32)rate, (int)period, &err);
		if (m == NULL) {
			_exit(2);
		}
		e = opus_custom_encoder_create(m, 1, &err);
		d = opus_custom_decoder_create(m, 1, &err);
		for (unsigned i = 0; i < period; i++) {
			in[i] = 0.3f * sinf(0.05f * (float)i);
		}
		n = opus_custom_encode_float(e, in, (int)period, buf, 200);
		_exit(opus_custom_decode_float(d, buf, n, out, (int)period) < 0 ? 4 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* nj_opus_check without the extension refuses exactly what crashes libopus. */
START_TEST(test_jack2_crash_rule)
{
	static const uint32_t rates[] = {48000, 44100};
	unsigned crash48 = 0, crash44 = 0;

	for (unsigned r = 0; r < 2; r++) {
		for (unsigned p = 40; p <= 1024; p += 8) {
			if (p == 40) {
				p = 64; /* below 64 nothing is offered */
			}
			bool survives, ok;

			if (p < rates[r] / 1000) {
				continue;
			}
			ok = nj_opus_check(rates[r], p, 64, false);
			if (nj_opus_stream_len(rates[r], p, 64, false) == 0) {
				/* not one frame we trust libopus with: never offered */
				ck_assert(!ok);
				continue;
			}
			survives = child_survives(rates[r], p);
			ck_assert_msg(ok == survives, "%u Hz, period %u: check says %d, libopus %s",
				      rates[r], p, ok, survives ? "survives" : "aborts");
			if (!survives) {
				*(r == 0 ? &crash48 : &crash44) += 1;
			}
		}
	}
	/* NETJACK2-WIRE.md: 48 kHz aborts at 128, 256, 512, 1024 among others */
	ck_assert(!nj_opus_check(48000, 256, 64, false));
	ck_assert(!nj_opus_check(48000, 1024, 64, false));
	ck_assert(nj_opus_check(48000, 480, 64, false));
	ck_assert(nj_opus_check(48000, 960, 64, false));
	ck_assert(!nj_opus_check(44100, 480, 64, false));
	printf("crash rule: %u crashing periods at 48 kHz, %u at 44.1 kHz (multiples of 8, 40..1024)\n",
	       crash48, crash44);
	ck_assert_uint_gt(crash48, 3);
}
END_TEST

/* Concatenate the per-port Opus streams of one cycle of a capture. */
static bool cycle_streams(const struct vec_file *vf, long cycle, const char *kind, unsigned mtu,
			  unsigned len, uint8_t *s0, uint8_t *s1)
{
	uint8_t *streams[2] = {s0, s1};
	unsigned got = 0;

	for (size_t i = 0; i < vf->n; i++) {
		const struct vec_packet *pk = &vf->pkt[i];
		struct nj2_header h;

		if (pk->cycle != cycle || strcmp(pk->kind, kind) != 0) {
			continue;
		}
		ck_assert_int_eq(nj2_header_decode(pk->data, pk->len, &h), 0);
		ck_assert_int_eq(nj2_stream_decode(pk->data + 48, pk->len - 48, mtu, 2, len,
						  h.sub_cycle, streams),
				 0);
		got++;
	}
	return got > 0;
}

/* jack2's frames decode to the generator's signal: channel 2 = -channel 1. */
START_TEST(test_golden_decode)
{
	static const struct {
		const char *file;
		unsigned period, kbps;
	} caps[] = {
		{"jack2-opus64-2ch-p480.hex", 480, 64},
		{"jack2-opus400-2ch-p960.hex", 960, 400},
	};

	for (unsigned c = 0; c < 2; c++) {
		struct vec_file *vf = vec_load(caps[c].file);
		unsigned len = nj_opus_stream_len(48000, caps[c].period, caps[c].kbps, false);
		static uint8_t s0[2048], s1[2048];
		static float a[960], b[960];
		struct nj_opus *o;
		const struct nj_codec_ops *ops;
		unsigned decoded = 0;

		ck_assert_uint_eq(len, c == 0 ? 83 : 1026);
		ck_assert_int_eq(nj_opus_new(48000, caps[c].period, 2, caps[c].kbps, false, &o), 0);
		ops = nj_opus_ops(o);
		ck_assert_uint_eq(ops->stream_len, len);
		for (long cyc = 0; cyc < 2000; cyc++) {
			double dot = 0, ea = 0, eb = 0;

			if (!cycle_streams(vf, cyc, "audio/s", 1500, len, s0, s1)) {
				continue;
			}
			ck_assert_int_eq(ops->decode(o, 0, s0, a), 0);
			ck_assert_int_eq(ops->decode(o, 1, s1, b), 0);
			for (unsigned i = 0; i < caps[c].period; i++) {
				ck_assert(isfinite(a[i]) && isfinite(b[i]));
				dot += (double)a[i] * b[i];
				ea += (double)a[i] * a[i];
				eb += (double)b[i] * b[i];
			}
			if (ea > 1e-6) {
				/* the ramp and its negative, after a lossy codec */
				ck_assert_msg(dot / sqrt(ea * eb) < -0.9, "%s cycle %ld: corr %f",
					      vf->name, cyc, dot / sqrt(ea * eb));
				decoded++;
			}
		}
		ck_assert_uint_ge(decoded, 1);
		nj_opus_free(o);
		vec_free(vf);
	}
}
END_TEST

/* Our frames have jack2's layout: BE length <= B, then zero padding. */
START_TEST(test_encoder_layout)
{
	static float in[480];
	static uint8_t st[83];
	struct nj_opus *o;
	unsigned len;

	for (unsigned i = 0; i < 480; i++) {
		in[i] = 0.5f * sinf(2 * (float)M_PI * 1000 * (float)i / 48000);
	}
	ck_assert_int_eq(nj_opus_new(48000, 480, 1, 64, false, &o), 0);
	ck_assert_uint_eq(nj_opus_ops(o)->stream_len, 83);
	memset(st, 0xAA, sizeof(st));
	ck_assert_int_eq(nj_opus_ops(o)->encode(o, 0, in, st), 0);
	len = (unsigned)(st[0] << 8 | st[1]);
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_le(len, 81);
	for (unsigned i = 2 + len; i < 83; i++) {
		ck_assert_uint_eq(st[i], 0);
	}
	nj_opus_free(o);
	ck_assert_int_ne(nj_opus_new(48000, 256, 1, 64, false, &o), 0); /* would crash jack2 */
}
END_TEST

/* Every period 64..4096 with the extension: a 1 kHz sine survives. */
START_TEST(test_any_period_snr)
{
	static const unsigned periods[] = {64, 128, 256, 480, 512, 960, 1024, 1920, 2048, 4096};

	for (unsigned pi = 0; pi < sizeof(periods) / sizeof(periods[0]); pi++) {
		unsigned P = periods[pi], cycles = (48000 / P) + 4, n = cycles * P;
		float *in = calloc(n, sizeof(float)), *out = calloc(n, sizeof(float));
		uint8_t *st;
		struct nj_opus *o;
		double best = -1;
		unsigned best_lag = 0;

		ck_assert_int_eq(nj_opus_new(48000, P, 1, 128, true, &o), 0);
		st = malloc(nj_opus_ops(o)->stream_len);
		for (unsigned i = 0; i < n; i++) {
			in[i] = 0.5f * sinf(2 * (float)M_PI * 1000 * (float)i / 48000);
		}
		for (unsigned c = 0; c < cycles; c++) {
			ck_assert_int_eq(nj_opus_ops(o)->encode(o, 0, in + c * P, st), 0);
			ck_assert_int_eq(nj_opus_ops(o)->decode(o, 0, st, out + c * P), 0);
		}
		/* the codec delays; find the lag, then the SNR over the last half */
		for (unsigned lag = 0; lag < 1024; lag++) {
			double e = 0, s = 0;

			for (unsigned i = n / 2; i < n; i++) {
				double d = (double)out[i] - in[i - lag];

				e += d * d;
				s += (double)in[i - lag] * in[i - lag];
			}
			if (best < 0 || s / e > best) {
				best = s / e;
				best_lag = lag;
			}
		}
		printf("opus 128 kbit/s, period %4u: SNR %.1f dB (codec delay %u frames)\n", P,
		       10 * log10(best), best_lag);
		ck_assert_msg(10 * log10(best) > 30, "period %u: SNR %.1f dB", P, 10 * log10(best)); /* 36.6..49.2 measured */
		/* a lost period is concealed, finite and bounded */
		ck_assert_int_eq(nj_opus_ops(o)->decode(o, 0, NULL, out), 0);
		for (unsigned i = 0; i < P; i++) {
			ck_assert(isfinite(out[i]) && fabsf(out[i]) < 2.0f);
		}
		nj_opus_free(o);
		free(st);
		free(in);
		free(out);
	}
}
END_TEST

static Suite *opus_suite(void)
{
	Suite *s = suite_create("opus");
	TCase *tc = tcase_create("codec");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_jack2_crash_rule);
	tcase_add_test(tc, test_golden_decode);
	tcase_add_test(tc, test_encoder_layout);
	tcase_add_test(tc, test_any_period_snr);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(opus_suite)
