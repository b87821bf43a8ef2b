/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-ring.c - the clock bridge's rings: audio frames in and out across the
 * wrap, silence, peeking, paying a reader's debt; MIDI records in order with
 * their positions, bounded, across the wrap; and one writer and one reader
 * on two threads never seeing a torn or reordered frame.
 */
#include <check.h>
#include <pthread.h>
#include <string.h>

#include "../../daemon/bridge/ring.h"
#include "check-main.h"

START_TEST(audio_wrap_planar)
{
	struct nj_aring r;
	float a[2][5], b[2][5];
	const float *src[2] = {a[0], a[1]};
	float *dst[2] = {b[0], b[1]};
	float v = 0;

	ck_assert_int_eq(nj_aring_init(&r, 2, 6), 0);
	ck_assert_uint_eq(r.cap, 8);
	for (unsigned round = 0; round < 20; round++) {
		for (unsigned f = 0; f < 5; f++) {
			a[0][f] = v;
			a[1][f] = -v;
			v += 1;
		}
		nj_aring_write_planar(&r, src, 5);
		ck_assert_uint_eq(nj_aring_fill(&r), 5);
		nj_aring_read_planar(&r, dst, 5);
		ck_assert_int_eq(memcmp(a, b, sizeof(a)), 0);
		ck_assert_uint_eq(nj_aring_fill(&r), 0);
	}
	nj_aring_free(&r);
}
END_TEST

START_TEST(audio_interleaved_silence_peek_debt)
{
	struct nj_aring r;
	float in[6 * 2], out[6 * 2];
	uint64_t debt = 3;

	ck_assert_int_eq(nj_aring_init(&r, 2, 16), 0);
	for (unsigned i = 0; i < 12; i++) {
		in[i] = (float)i + 1;
	}
	nj_aring_write(&r, NULL, 2); /* silence */
	nj_aring_write(&r, in, 6);
	nj_aring_peek(&r, out, 6);
	ck_assert(out[0] == 0 && out[3] == 0 && out[4] == 1);
	ck_assert_uint_eq(nj_aring_fill(&r), 8); /* peek consumed nothing */
	/* owed 3 frames; this cycle needs 6 of the 8: only 2 can go now */
	ck_assert_uint_eq(nj_aring_pay_debt(&r, &debt, 8, 6), 2);
	ck_assert_uint_eq(debt, 1);
	ck_assert_uint_eq(nj_aring_fill(&r), 6);
	nj_aring_peek(&r, out, 6);
	ck_assert(out[0] == 1 && out[11] == 12);
	nj_aring_drop(&r, 6);
	ck_assert_uint_eq(nj_aring_fill(&r), 0);
	nj_aring_free(&r);
}
END_TEST

START_TEST(midi_order_bound_wrap)
{
	struct nj_mring r;
	uint8_t ev[NJ_MIDI_MAX_EVENT + 1], got[NJ_MIDI_MAX_EVENT];
	uint64_t pos;
	uint32_t port, size;
	unsigned pushed = 0;

	ck_assert_int_eq(nj_mring_init(&r), 0);
	memset(ev, 0x42, sizeof(ev));
	ck_assert(!nj_mring_push(&r, 0, 0, ev, 0));                      /* empty */
	ck_assert(!nj_mring_push(&r, 0, 0, ev, NJ_MIDI_MAX_EVENT + 1)); /* too long */
	/* fill it: 3-byte events take 24 bytes each */
	while (nj_mring_push(&r, pushed, pushed % 4, ev, 3)) {
		pushed++;
	}
	ck_assert_uint_eq(pushed, NJ_MRING_BYTES / 24);
	/* many rounds through the wrap, events of every size: the oldest go
	 * until the new one fits */
	for (unsigned k = 0; k < 20000; k++) {
		uint32_t sz = 1 + (k * 37) % 300;

		for (unsigned i = 0; i < sz; i++) {
			ev[i] = (uint8_t)(k + i);
		}
		while (!nj_mring_push(&r, 1000000 + k, k % 7, ev, sz)) {
			ck_assert(nj_mring_peek(&r, &pos, &port, &size));
			nj_mring_pop(&r, size, NULL);
		}
	}
	/* what is left is the last events pushed, in order and intact */
	{
		unsigned last = 0, left = 0;

		while (nj_mring_peek(&r, &pos, &port, &size)) {
			unsigned k = (unsigned)(pos - 1000000);

			ck_assert_uint_ge(pos, 1000000);
			ck_assert(left == 0 || k == last + 1);
			ck_assert_uint_eq(size, 1 + (k * 37) % 300);
			ck_assert_uint_eq(port, k % 7);
			nj_mring_pop(&r, size, got);
			for (unsigned i = 0; i < size; i++) {
				ck_assert_uint_eq(got[i], (uint8_t)(k + i));
			}
			last = k;
			left++;
		}
		ck_assert_uint_eq(last, 19999);
		ck_assert_uint_gt(left, 100);
	}
	nj_mring_free(&r);
}
END_TEST

#define STRESS_FRAMES 300000u

static void *producer(void *arg)
{
	struct nj_aring *r = arg;
	float buf[3][37];
	const float *src[3] = {buf[0], buf[1], buf[2]};
	uint32_t v = 0;

	while (v < STRESS_FRAMES) {
		unsigned n = 37;

		if (r->cap - nj_aring_fill(r) < n) {
			continue;
		}
		for (unsigned f = 0; f < n; f++, v++) {
			buf[0][f] = (float)v;
			buf[1][f] = (float)v + 0.5f;
			buf[2][f] = -(float)v;
		}
		nj_aring_write_planar(r, src, n);
	}
	return NULL;
}

START_TEST(two_threads)
{
	struct nj_aring r;
	pthread_t t;
	float buf[3][29];
	float *dst[3] = {buf[0], buf[1], buf[2]};
	uint32_t v = 0;

	ck_assert_int_eq(nj_aring_init(&r, 3, 256), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, producer, &r), 0);
	while (v + 29 <= STRESS_FRAMES) {
		if (nj_aring_fill(&r) < 29) {
			continue;
		}
		nj_aring_read_planar(&r, dst, 29);
		for (unsigned f = 0; f < 29; f++, v++) {
			ck_assert(buf[0][f] == (float)v && buf[1][f] == (float)v + 0.5f &&
				  buf[2][f] == -(float)v);
		}
	}
	pthread_join(t, NULL);
	nj_aring_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("ring");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, audio_wrap_planar);
	tcase_add_test(tc, audio_interleaved_silence_peek_debt);
	tcase_add_test(tc, midi_order_bound_wrap);
	tcase_add_test(tc, two_threads);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
