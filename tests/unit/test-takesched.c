/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-takesched.c - nj_takesched: when the network runner takes a received
 * cycle (complete at once, incomplete after the spread-based deadline or when
 * a later cycle shows up), restarts after a jump, learns from late packets.
 */
#include <check.h>

#include <libnetproto/exchange.h>

#include "check-main.h"

#define MIN 400
#define MAX 2000
#define PAD 250

/* Cycle @c arrives complete: its packets @spread us apart, first at @t. */
static void complete_cycle(struct nj_takesched *s, uint32_t c, uint64_t t, uint64_t spread)
{
	uint32_t got = 0;

	ck_assert(!nj_takesched_packet(s, c, t));
	ck_assert(!nj_takesched_packet(s, c, t + spread));
	ck_assert_int_eq(nj_takesched_poll(s, t + spread, true, true, &got), NJ_TAKE_COMPLETE);
	ck_assert_uint_eq(got, c);
}

START_TEST(complete_at_once)
{
	struct nj_takesched s;
	uint32_t got;

	nj_takesched_init(&s, MIN, MAX, PAD);
	ck_assert_uint_eq(nj_takesched_wait(&s), MAX); /* the longest until spreads are known */
	ck_assert_int_eq(nj_takesched_poll(&s, 0, false, false, &got), NJ_TAKE_NONE);
	for (uint32_t c = 1; c <= 5; c++) {
		complete_cycle(&s, c, c * 5333, 80);
	}
	ck_assert_uint_eq(s.expected, 6);
	ck_assert_uint_eq(nj_takesched_first(&s, 5), 5 * 5333);
	ck_assert_uint_eq(nj_takesched_first(&s, 6), 0);
}
END_TEST

START_TEST(deadline_follows_spread)
{
	struct nj_takesched s;
	uint32_t got = 0;
	uint64_t t = 1000000;

	nj_takesched_init(&s, MIN, MAX, PAD);
	/* the first wait is the ceiling; it decays towards what complete cycles show */
	complete_cycle(&s, 1, t, 80);
	ck_assert_uint_gt(nj_takesched_wait(&s), MAX - 10);
	for (uint32_t c = 2; c <= 4000; c++) {
		t += 5333;
		complete_cycle(&s, c, t, 80);
	}
	/* 2 x 80 + 250 = 410 us */
	ck_assert_uint_eq(nj_takesched_wait(&s), 410);
	/* cycle 4001: one packet, the rest lost */
	t += 5333;
	ck_assert(!nj_takesched_packet(&s, 4001, t));
	ck_assert_uint_eq(nj_takesched_due(&s, true), t + 410);
	ck_assert_int_eq(nj_takesched_poll(&s, t + 409, true, false, &got), NJ_TAKE_NONE);
	ck_assert_int_eq(nj_takesched_poll(&s, t + 410, true, false, &got), NJ_TAKE_DEADLINE);
	ck_assert_uint_eq(got, 4001);
	/* a spread of 10 us keeps the floor of 400 */
	for (uint32_t c = 4002; c < 9000; c++) {
		t += 5333;
		complete_cycle(&s, c, t, 10);
	}
	ck_assert_uint_eq(nj_takesched_wait(&s), MIN);
}
END_TEST

START_TEST(later_cycle_takes_earlier)
{
	struct nj_takesched s;
	uint32_t got = 0;

	nj_takesched_init(&s, MIN, MAX, PAD);
	complete_cycle(&s, 10, 100, 50);
	ck_assert(!nj_takesched_packet(&s, 11, 200)); /* incomplete */
	ck_assert_int_eq(nj_takesched_poll(&s, 210, true, false, &got), NJ_TAKE_NONE);
	ck_assert(!nj_takesched_packet(&s, 13, 300)); /* 12 never came */
	ck_assert_int_eq(nj_takesched_poll(&s, 300, true, false, &got), NJ_TAKE_NEXT);
	ck_assert_uint_eq(got, 11);
	ck_assert_int_eq(nj_takesched_poll(&s, 300, false, false, &got), NJ_TAKE_NEXT);
	ck_assert_uint_eq(got, 12);
	/* 13 itself waits: complete or its deadline */
	ck_assert_int_eq(nj_takesched_poll(&s, 300, true, false, &got), NJ_TAKE_NONE);
	ck_assert_int_eq(nj_takesched_poll(&s, 301, true, true, &got), NJ_TAKE_COMPLETE);
	ck_assert_uint_eq(got, 13);
}
END_TEST

START_TEST(jump_restarts)
{
	struct nj_takesched s;
	uint32_t got = 0;

	nj_takesched_init(&s, MIN, MAX, PAD);
	complete_cycle(&s, 100, 1000, 50);
	ck_assert(!nj_takesched_packet(&s, 101 + NJ_TAKE_GAP, 2000)); /* at the limit: no jump */
	nj_takesched_init(&s, MIN, MAX, PAD);
	complete_cycle(&s, 100, 1000, 50);
	ck_assert(nj_takesched_packet(&s, 100 + NJ_TAKE_GAP + 2, 2000));
	ck_assert_uint_eq(s.resyncs, 1);
	ck_assert_int_eq(nj_takesched_poll(&s, 2000, true, true, &got), NJ_TAKE_COMPLETE);
	ck_assert_uint_eq(got, 100 + NJ_TAKE_GAP + 2);
	/* backwards too: the peer restarted its count */
	ck_assert(nj_takesched_packet(&s, 1, 3000));
	ck_assert_uint_eq(s.expected, 1);
}
END_TEST

START_TEST(late_packet_widens)
{
	struct nj_takesched s;
	uint32_t got = 0;

	nj_takesched_init(&s, MIN, MAX, PAD);
	for (uint32_t c = 1; c < 3000; c++) {
		complete_cycle(&s, c, c * 5333, 20);
	}
	ck_assert_uint_eq(nj_takesched_wait(&s), MIN);
	ck_assert(!nj_takesched_packet(&s, 3000, 3000 * 5333));
	ck_assert_int_eq(nj_takesched_poll(&s, 3000 * 5333 + MIN, true, false, &got),
			 NJ_TAKE_DEADLINE);
	/* its last packet comes 600 us after the first: the spread is at least that */
	nj_takesched_late(&s, 3000, 3000 * 5333 + 600);
	ck_assert_uint_eq(nj_takesched_wait(&s), 2 * 600 + PAD);
	/* never beyond the ceiling */
	nj_takesched_late(&s, 3000, 3000 * 5333 + 5000);
	ck_assert_uint_eq(nj_takesched_wait(&s), MAX);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("takesched");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, complete_at_once);
	tcase_add_test(tc, deadline_follows_spread);
	tcase_add_test(tc, later_cycle_takes_earlier);
	tcase_add_test(tc, jump_restarts);
	tcase_add_test(tc, late_packet_widens);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
