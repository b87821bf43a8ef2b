/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-netone-opus.c - netone's Opus through libopus: the codec of
 * nj_opus_new_netone() has jack2's block (162 bytes at 128 kbit/s, P 480,
 * length 160 as captured), decodes the frames jack_netsource sent
 * (tests/vectors/netone-opus128-p480.hex) to the known ramp, and drives the
 * netone packer and reassembler; it refuses the periods at which Debian's
 * libopus aborts.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/netone.h>
#include <libnetproto/opus.h>

#include "check-main.h"
#include "vectors.h"

enum { P = 480, N = 162 };

static float ramp(unsigned c, unsigned i)
{
	return (float)((int)((i + c) % 257) - 128) / 128.0f;
}

/* The best SNR (dB) of @y against the ramp of channel 0 over cycles c, c + 1
 * for any c and any codec delay up to 240 frames, looking at the second
 * period (the decoder has warmed up on the first). */
static double best_snr(const float *y)
{
	double best = -100.0;

	for (unsigned c = 0; c < 257; c++) {
		for (unsigned d = 0; d <= 240; d++) {
			double s = 0.0, e = 0.0;

			for (unsigned i = P; i < 2 * P; i++) {
				unsigned t = i - d; /* the input frame this output frame carries */
				double x = ramp(c + t / P, t % P);

				s += x * x;
				e += (y[i] - x) * (y[i] - x);
			}
			if (e > 0.0 && 10.0 * log10(s / e) > best) {
				best = 10.0 * log10(s / e);
			}
		}
	}
	return best;
}

/*
 * Decode one direction of the capture in order: frame 0 (silence), then the
 * run of consecutive frames from the signal's start (CELT codes energies
 * against the previous frame: a frame decodes right only after its
 * predecessors). Returns the SNR of the run's last two periods.
 */
static double captured_snr(const struct vec_file *f, const char *dir)
{
	const struct nj_codec_ops *ops;
	struct nj_opus *o;
	static float y[2][P], seq[2 * P];
	unsigned got = 0;
	uint32_t prev = 0;
	size_t first = (size_t)-1;
	double snr;

	ck_assert_int_eq(nj_opus_new_netone(48000, P, 2, 128, &o), 0);
	ops = nj_opus_ops(o);
	ck_assert_uint_eq(ops->stream_len, N);
	for (size_t i = 0; i < f->n; i++) {
		const struct vec_packet *v = &f->pkt[i];
		const uint8_t *block = v->data + NJ1_HEADER_SIZE;

		if (strcmp(v->dir, dir) != 0 || v->len != NJ1_HEADER_SIZE + 3 * N ||
		    (got > 0 && (uint32_t)v->cycle != prev + 1)) {
			continue;
		}
		/* as captured: a length of N - 2, the frame filling the block */
		ck_assert_uint_eq((unsigned)block[0] << 8 | block[1], N - 2);
		ck_assert_int_eq(ops->decode(o, 0, block, y[got % 2]), 0);
		/* the direction's first datagram is silence (frame 0 down, 1 up) */
		got += i > first;
		prev = (uint32_t)v->cycle;
		first = i < first ? i : first;
	}
	ck_assert_uint_ge(got, 4);
	/* the last two periods, in order */
	memcpy(seq, y[got % 2], sizeof(y[0]));
	memcpy(seq + P, y[(got + 1) % 2], sizeof(y[0]));
	snr = best_snr(seq);
	nj_opus_free(o);
	return snr;
}

START_TEST(captured_frames)
{
	struct vec_file *f = vec_load("netone-opus128-p480.hex");
	double down = captured_snr(f, "M>S"), up = captured_snr(f, "S>M");

	/* jack_netsource encoded the ramp; the slave decoded and encoded it again */
	ck_assert_msg(down > 15.0 && up > 10.0, "SNR %.1f dB down, %.1f dB up", down, up);
	fprintf(stderr, "captured Opus: SNR %.1f dB down, %.1f dB up\n", down, up);
	vec_free(f);
}
END_TEST

START_TEST(through_the_codec)
{
	struct nj1_stream_config cfg;
	struct nj_opus *otx, *orx;
	struct nj1_packer *p;
	struct nj1_unpacker *u;
	static float x[2][P], y[2 * P];
	const float *bufs[2] = {x[0], x[1]};
	struct nj1_period_in in = {bufs, NULL, NULL};

	ck_assert_int_eq(nj_opus_new_netone(48000, P, 2, 128, &otx), 0);
	ck_assert_int_eq(nj_opus_new_netone(48000, P, 2, 128, &orx), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = NJ1_MODE_OPUS;
	cfg.period = P;
	cfg.rate = 48000;
	cfg.kbps = 128;
	cfg.mtu = NJ1_MTU_DEFAULT;
	cfg.audio_channels = 2;
	cfg.slots = 4;
	cfg.codec = nj_opus_ops(otx);
	cfg.codec_ctx = otx;
	ck_assert_int_eq(nj1_packer_new(&cfg, &p), 0);
	cfg.codec = nj_opus_ops(orx);
	cfg.codec_ctx = orx;
	ck_assert_int_eq(nj1_unpacker_new(&cfg, &u), 0);
	for (uint32_t t = 0; t < 3; t++) {
		struct nj1_header h = {2, 2, 0, 0, P, 48000, 0, 0, 0, t, 2, 0, NJ1_MTU_DEFAULT, 0};
		const struct nj_datagram *dg;
		struct nj1_period_out out;
		unsigned n;

		for (unsigned i = 0; i < P; i++) {
			x[0][i] = x[1][i] = ramp(t, i);
		}
		ck_assert_int_eq(nj1_packer_pack(p, &h, &in, &dg, &n), 0);
		/* one 380-byte datagram; at 128 kbit/s the encoder fills N - 2 */
		ck_assert(n == 1 && dg[0].len == NJ1_HEADER_SIZE + 2 * N);
		ck_assert_uint_eq((unsigned)dg[0].data[56] << 8 | dg[0].data[57], N - 2);
		ck_assert_int_eq(nj1_unpacker_push(u, dg[0].data, dg[0].len, t, NULL),
				 NJ1_PUSH_COMPLETE);
		ck_assert_int_eq(nj1_unpacker_take(u, t, &out), 0);
		ck_assert(out.complete && !out.audio_lost[0]);
		if (t >= 1) {
			memcpy(y + (t - 1) * P, out.audio[0], P * sizeof(float));
		}
	}
	ck_assert_msg(best_snr(y) > 15.0, "SNR %.1f dB", best_snr(y));
	ck_assert_uint_eq(nj1_packer_stats(p)->codec_errors, 0);
	nj1_packer_free(p);
	nj1_unpacker_free(u);
	nj_opus_free(otx);
	nj_opus_free(orx);
}
END_TEST

START_TEST(refused)
{
	struct nj_opus *o = NULL;

	/* Debian's libopus aborts decoding custom modes at 48 kHz/256 */
	ck_assert_int_eq(nj_opus_new_netone(48000, 256, 2, 128, &o), -EINVAL);
	ck_assert_int_eq(nj_opus_new_netone(48000, 2048, 2, 128, &o), -EINVAL);
	ck_assert_int_eq(nj_opus_new_netone(48000, 480, 0, 128, &o), -EINVAL);
	ck_assert_int_eq(nj_opus_new_netone(48000, 480, 2, 0, &o), -EINVAL);
	ck_assert_ptr_null(o);
	nj_opus_free(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("netone-opus");
	TCase *t = tcase_create("opus");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, captured_frames);
	tcase_add_test(t, through_the_codec);
	tcase_add_test(t, refused);
	suite_add_tcase(s, t);
	return s;
}

NJ_CHECK_MAIN(suite)
