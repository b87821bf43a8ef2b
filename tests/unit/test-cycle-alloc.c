/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-cycle-alloc.c - pack, push, take and the receive scheduler never
 * allocate. Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,
 * --wrap=free: every call from the core (a static library linked in) goes
 * through the counters of alloc-count.c. Many cycles run with loss, duplicates,
 * reordering, hostile datagrams and absent cycles while counting.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/cycle.h>

#include "alloc-wrap.h"
#include "check-main.h"
#include "cycle-util.h"

#define P 256
#define CH 4
#define NC 300

struct bed {
	struct nj2_unpacker *u;
	uint64_t rng;
	uint8_t junk[1500];
};

static void push(void *ctx, const uint8_t *data, size_t len)
{
	struct bed *b = ctx;
	uint8_t *j = b->junk;

	nj2_unpacker_push(b->u, data, len, NULL);
	/* A hostile twin: the same packet with one random byte changed. */
	if (len <= sizeof(b->junk)) {
		memcpy(j, data, len);
		j[prng_below(&b->rng, (unsigned)len)] ^= (uint8_t)(1 + prng_below(&b->rng, 255));
		nj2_unpacker_push(b->u, j, len, NULL);
	}
}

static void run_config(enum nj2_encoder enc, unsigned midi)
{
	struct nj2_cycle_config cfg = cycle_cfg(NJ2_STREAM_RETURN, P, CH, midi);
	struct fake_codec *ftx = calloc(1, sizeof(*ftx)), *frx = calloc(1, sizeof(*frx));
	static float audio[CH][P];
	const float *bufs[CH];
	static const uint8_t note[3] = {0x90, 60, 100}, sx[8] = {0xF0, 1, 2, 3, 4, 5, 6, 0xF7};
	struct nj_midi_event ev[3] = {{0, 3, note}, {10, 8, sx}, {200, 3, note}};
	const struct nj_midi_event *evp[2] = {ev, ev};
	uint32_t evn[2] = {3, 3};
	struct nj2_packer *pk;
	struct bed b;
	struct lossy_net net;
	struct nj_rxsched rs;
	unsigned long before;

	memset(&b, 0, sizeof(b));
	b.rng = prng_seed("alloc");
	fake_codec_init(ftx, P, 200);
	fake_codec_init(frx, P, 200);
	cfg.encoder = enc;
	cfg.codec = &ftx->ops;
	cfg.codec_ctx = ftx;
	alloc_counting = 1;
	before = alloc_calls;
	ck_assert_int_eq(nj2_packer_new(&cfg, &pk), 0);
	cfg.codec = &frx->ops;
	cfg.codec_ctx = frx;
	ck_assert_int_eq(nj2_unpacker_new(&cfg, &b.u), 0);
	alloc_counting = 0;
	/* The wrappers do see the core's allocations. */
	ck_assert_uint_gt(alloc_calls, before);
	for (unsigned ch = 0; ch < CH; ch++) {
		bufs[ch] = audio[ch];
		for (unsigned i = 0; i < P; i++) {
			audio[ch][i] = (float)i / P - 0.5f;
		}
	}
	net_init(&net, &b.rng, 4096, 2048);
	net.drop_pct = 10;
	net.dup_pct = 10;
	net.delay_pct = 20;
	net.max_delay = 3;
	nj_rxsched_init(&rs, 2);

	before = alloc_calls;
	alloc_counting = 1;
	for (uint32_t t = 1; t <= NC; t++) {
		const struct nj_datagram *dg;
		struct nj2_cycle_in in;
		struct nj2_cycle_out out;
		unsigned n;
		uint32_t c;

		memset(&in, 0, sizeof(in));
		in.cycle = t;
		in.audio = bufs;
		in.we_want_n = CH;
		in.midi = evp;
		in.midi_count = evn;
		if (nj2_packer_pack(pk, &in, &dg, &n) == 0) {
			/* A whole cycle lost now and then. */
			for (unsigned k = 0; k < n && t % 17 != 0; k++) {
				net_send(&net, dg[k].data, dg[k].len, t);
			}
		}
		net_deliver(&net, t, push, &b);
		for (unsigned k = 0; k < 8; k++) {
			size_t len = prng_below(&b.rng, sizeof(b.junk));

			for (size_t i = 0; i < len; i++) {
				b.junk[i] = (uint8_t)prng_next(&b.rng);
			}
			nj2_unpacker_push(b.u, b.junk, len, NULL);
		}
		nj2_unpacker_complete(b.u, t);
		if (nj_rxsched_pick(&rs, t, b.u, &c)) {
			nj2_unpacker_take(b.u, c, &out);
		}
		/* Takes of cycles long gone, and at the end far ahead. */
		if (t % 50 == 0) {
			nj2_unpacker_take(b.u, t - 40, &out);
		}
		if (t == NC) {
			nj2_unpacker_take(b.u, t + 1000, &out);
		}
	}
	alloc_counting = 0;
	ck_assert_msg(alloc_calls == before, "%lu allocator calls while running",
		      (unsigned long)(alloc_calls - before));
	ck_assert_uint_gt(nj2_unpacker_stats(b.u)->packets, NC);
	ck_assert_uint_gt(nj2_unpacker_stats(b.u)->malformed, NC);
	net_free(&net);
	nj2_packer_free(pk);
	nj2_unpacker_free(b.u);
	free(ftx);
	free(frx);
}

START_TEST(test_no_alloc_float)
{
	run_config(NJ2_ENCODER_FLOAT, 2);
}
END_TEST

START_TEST(test_no_alloc_int16)
{
	run_config(NJ2_ENCODER_INT16, 0);
}
END_TEST

START_TEST(test_no_alloc_opus)
{
	run_config(NJ2_ENCODER_OPUS, 1);
}
END_TEST

static Suite *alloc_suite(void)
{
	Suite *s = suite_create("cycle-alloc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_no_alloc_float);
	tcase_add_test(tc, test_no_alloc_int16);
	tcase_add_test(tc, test_no_alloc_opus);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(alloc_suite)
