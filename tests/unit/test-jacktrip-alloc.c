/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-jacktrip-alloc.c - after jt_sender_new() and jt_receiver_new(), nothing
 * in the JackTrip codec allocates: building, parsing, pushing and popping
 * datagrams, with loss, reordering, duplicates and hostile bytes, and the
 * handshake and exit messages. Every allocator call of the core is counted
 * (alloc-wrap.h).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/jacktrip.h>

#include "alloc-wrap.h"
#include "check-main.h"

#define P    256
#define CH   4
#define R    3
#define NDG  2000

static void run(unsigned bits)
{
	struct jt_format f = {P, JT_RATE_48000, bits, CH, 2, R};
	struct jt_rx_config cfg = {P, JT_RATE_48000, bits, CH, R};
	static float in[CH][P], out[CH + 1][P];
	static uint8_t dg[8][R * (JT_HEADER_SIZE + P * CH * 4)], junk[sizeof(dg[0])];
	const float *inp[CH];
	float *outp[CH + 1];
	struct jt_sender *s;
	struct jt_receiver *r;
	struct jt_hub_request q;
	struct jt_header h;
	uint64_t rng = 0x243f6a8885a308d3ull;
	unsigned long before;
	uint16_t seq;
	uint32_t v;
	size_t len;
	unsigned bad = 0; /* no ck_assert while counting (alloc-wrap.h) */

	for (unsigned c = 0; c < CH; c++) {
		inp[c] = in[c];
		for (unsigned n = 0; n < P; n++) {
			in[c][n] = (float)n / P - 0.5f;
		}
	}
	for (unsigned c = 0; c <= CH; c++) {
		outp[c] = out[c];
	}
	alloc_counting = 1;
	before = alloc_calls;
	bad += jt_sender_new(&f, &s) != 0;
	bad += jt_receiver_new(&cfg, &r) != 0;
	alloc_counting = 0;
	ck_assert_uint_eq(bad, 0);
	/* the wrappers do see the core's allocations */
	ck_assert_uint_gt(alloc_calls, before);
	alloc_counting = 1;
	before = alloc_calls;
	len = jt_sender_datagram_size(s);
	for (unsigned i = 0; i < NDG; i++) {
		unsigned slot = i % 8, pick;

		bad += jt_sender_build(s, inp, i, dg[slot], sizeof(dg[slot])) != (int)len;
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		pick = (unsigned)(rng >> 33) % 100;
		if (pick < 10) {
			continue; /* lost */
		}
		/* now and then an older one (reordered) or the same twice */
		if (pick < 20 && i >= 4) {
			slot = (slot + 5) % 8;
		}
		jt_receiver_push(r, dg[slot], len, NULL);
		if (pick > 95) {
			jt_receiver_push(r, dg[slot], len, NULL);
		}
		while (jt_receiver_pop(r, outp, CH + 1, &seq) == 1) {
		}
		/* a hostile twin: one byte changed */
		memcpy(junk, dg[slot], len);
		junk[(rng >> 13) % len] ^= (uint8_t)(1 + (rng >> 40) % 255);
		jt_receiver_push(r, junk, len, NULL);
		jt_receiver_push(r, junk, (rng >> 20) % (len + 1), NULL);
		jt_datagram_parse(junk, len, &h);
		jt_audio_decode(dg[slot] + JT_HEADER_SIZE, len / R - JT_HEADER_SIZE, CH, P, bits, outp,
				CH + 1);
		jt_audio_f32_broken(dg[slot] + JT_HEADER_SIZE, len / R - JT_HEADER_SIZE);
	}
	jt_exit_build(junk, sizeof(junk));
	bad += !jt_is_exit(junk, JT_EXIT_SIZE);
	jt_hub_request_encode(4464, "a name \xe2\x82\xac", junk, sizeof(junk));
	jt_hub_request_decode(junk, JT_HUB_REQUEST_SIZE, &q);
	jt_hub_reply_encode(61002, junk, sizeof(junk));
	jt_hub_reply_decode(junk, JT_HUB_REPLY_SIZE, &v);
	alloc_counting = 0;
	ck_assert_uint_eq(alloc_calls, before);
	ck_assert_uint_eq(bad, 0);
	jt_sender_free(s);
	jt_receiver_free(r);
}

START_TEST(test_no_alloc)
{
	run(8);
	run(16);
	run(24);
	run(32);
}
END_TEST

static Suite *alloc_suite(void)
{
	Suite *s = suite_create("jacktrip-alloc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_no_alloc);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(alloc_suite)
