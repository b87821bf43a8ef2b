/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-netone-alloc.c - the netone packer and reassembler never allocate
 * once created. Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,
 * --wrap=free: every call from the core goes through alloc-count.c.
 * Many periods run in float, 16-bit and Opus (fake codec) with MIDI, loss,
 * duplicates, reordering, a hostile twin of every datagram, resets and
 * periods never seen, while counting.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/netone.h>

#include "alloc-wrap.h"
#include "check-main.h"
#include "cycle-util.h"
#include "netone-util.h"

enum { P = 480, CH = 3, NP = 300, D = 3 };

struct bed {
	struct nj1_unpacker *u;
	uint64_t rng, now;
	uint8_t junk[NJ1_MTU_DEFAULT];
};

static void push(void *ctx, const uint8_t *data, size_t len)
{
	struct bed *b = ctx;
	struct nj1_header h;
	struct nj1_session s;

	nj1_unpacker_push(b->u, data, len, b->now, NULL);
	/* a hostile twin: one random byte changed, in the header every other time */
	memcpy(b->junk, data, len);
	b->junk[prng_below(&b->rng, prng_below(&b->rng, 2) && len > NJ1_HEADER_SIZE
					    ? NJ1_HEADER_SIZE
					    : (unsigned)len)] ^= (uint8_t)(1 + prng_below(&b->rng, 255));
	nj1_unpacker_push(b->u, b->junk, len, b->now, NULL);
	if (nj1_header_decode(b->junk, len, &h) == 0) {
		nj1_session_from_header(&h, &s);
	}
}

static void run(enum nj1_mode mode)
{
	struct nj1_stream_config cfg = nj1_test_cfg(mode, P, CH, 2);
	static struct fake_codec ftx, frx;
	static float audio[CH][P];
	const float *bufs[CH] = {audio[0], audio[1], NULL};
	static const uint8_t note[3] = {0x90, 60, 100}, sx[8] = {0xF0, 1, 2, 3, 4, 5, 6, 0xF7};
	struct nj_midi_event ev[3] = {{0, 3, note}, {10, 8, sx}, {200, 3, note}};
	const struct nj_midi_event *evp[2] = {ev, ev};
	uint32_t evn[2] = {3, 2};
	struct nj1_period_in in = {bufs, evp, evn};
	struct nj1_packer *pk;
	struct bed b;
	struct lossy_net net;
	unsigned long before;
	unsigned bad = 0;

	memset(&b, 0, sizeof(b));
	b.rng = prng_seed("netone-alloc");
	cfg.kbps = 128;
	cfg.redundancy = 2;
	if (mode == NJ1_MODE_OPUS) {
		fake_codec_init(&ftx, P, nj1_block_size(mode, P, 48000, 128));
		fake_codec_init(&frx, P, nj1_block_size(mode, P, 48000, 128));
		cfg.codec = &ftx.ops;
		cfg.codec_ctx = &ftx;
	}
	alloc_counting = 1;
	before = alloc_calls;
	ck_assert_int_eq(nj1_packer_new(&cfg, &pk), 0);
	if (mode == NJ1_MODE_OPUS) {
		cfg.codec = &frx.ops;
		cfg.codec_ctx = &frx;
	}
	ck_assert_int_eq(nj1_unpacker_new(&cfg, &b.u), 0);
	alloc_counting = 0;
	/* the wrappers do see the core's allocations */
	ck_assert_uint_gt(alloc_calls, before);
	for (unsigned ch = 0; ch < CH; ch++) {
		for (unsigned i = 0; i < P; i++) {
			audio[ch][i] = (float)i / P - 0.5f;
		}
	}
	net_init(&net, &b.rng, 8192, NJ1_MTU_DEFAULT);
	net.drop_pct = 10;
	net.dup_pct = 10;
	net.delay_pct = 20;
	net.max_delay = D;
	before = alloc_calls;
	alloc_counting = 1;
	for (uint32_t t = 0; t < NP; t++) {
		struct nj1_header h = {CH, CH, 2, 2, P, 48000,		 0,
				       0,  0,  t, 2, 0, NJ1_MTU_DEFAULT, 0};
		const struct nj_datagram *dg;
		struct nj1_period_out out;
		uint32_t f;
		unsigned n;

		/* no ck_assert while counting: Check allocates to record locations */
		bad += nj1_packer_pack(pk, &h, &in, &dg, &n) != 0;
		for (unsigned k = 0; k < n; k++) {
			net_send(&net, dg[k].data, dg[k].len, t);
		}
		b.now = t;
		net_deliver(&net, t, push, &b);
		nj1_unpacker_next_complete(b.u, t - D, &f);
		nj1_unpacker_newest_complete(b.u, &f);
		/* now and then a period is skipped, or the peer "restarts" */
		if (t >= D && t % 37 != 0) {
			bad += nj1_unpacker_take(b.u, t - D, &out) != 0;
		}
		if (t % 101 == 100) {
			nj1_unpacker_reset(b.u);
		}
	}
	alloc_counting = 0;
	ck_assert_uint_eq(alloc_calls, before);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_gt(nj1_unpacker_stats(b.u)->periods, NP / 2);
	ck_assert_uint_gt(nj1_unpacker_stats(b.u)->malformed, 0);
	net_free(&net);
	nj1_packer_free(pk);
	nj1_unpacker_free(b.u);
}

START_TEST(no_alloc_float)
{
	run(NJ1_MODE_FLOAT);
}
END_TEST

START_TEST(no_alloc_int16)
{
	run(NJ1_MODE_INT16);
}
END_TEST

START_TEST(no_alloc_opus)
{
	run(NJ1_MODE_OPUS);
}
END_TEST

static Suite *alloc_suite(void)
{
	Suite *s = suite_create("netone-alloc");
	TCase *t = tcase_create("alloc");

	tcase_add_test(t, no_alloc_float);
	tcase_add_test(t, no_alloc_int16);
	tcase_add_test(t, no_alloc_opus);
	suite_add_tcase(s, t);
	return s;
}

NJ_CHECK_MAIN(alloc_suite)
