/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-jackopen.c - jack_client_open() off the loop: with no server (a server
 * name nobody runs), the attempt's NULL result arrives on the sd-event loop,
 * the loop keeps running meanwhile, a second start while one runs is -EBUSY,
 * and freeing the opener with an attempt in flight neither waits nor calls
 * back.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include "../../daemon/common/jackopen.h"
#include "check-main.h"

struct result {
	int calls;
	jack_client_t *client;
	sd_event *e;
};

static void opened(void *ud, jack_client_t *c, jack_status_t st)
{
	struct result *r = ud;

	(void)st;
	r->calls++;
	r->client = c;
	sd_event_exit(r->e, 0);
}

static int ticks;

static int on_tick(sd_event_source *s, uint64_t usec, void *ud)
{
	ticks++;
	sd_event_source_set_time(s, usec + 10000);
	return 0;
}

static int give_up(sd_event_source *s, uint64_t usec, void *ud)
{
	sd_event_exit(ud, 1);
	return 0;
}

START_TEST(no_server)
{
	struct result r = {0};
	struct nj_jack_opener *o;
	sd_event_source *tick, *limit;
	uint64_t now;

	ck_assert_int_eq(sd_event_new(&r.e), 0);
	ck_assert_int_eq(nj_jack_opener_new(r.e, opened, &r, &o), 0);
	ck_assert(!nj_jack_opener_busy(o));
	ck_assert_uint_eq(nj_jack_opener_waiting_us(o), 0);
	ck_assert_int_eq(nj_jack_opener_start(o, "nj-test"), 0);
	ck_assert(nj_jack_opener_busy(o));
	ck_assert_int_eq(nj_jack_opener_start(o, "nj-test"), -EBUSY);
	sd_event_now(r.e, CLOCK_MONOTONIC, &now);
	ck_assert_int_eq(sd_event_add_time(r.e, &tick, CLOCK_MONOTONIC, now, 1000, on_tick, NULL), 0);
	ck_assert_int_eq(sd_event_add_time(r.e, &limit, CLOCK_MONOTONIC, now + 20000000, 1000,
					   give_up, r.e), 0);
	ck_assert_int_eq(sd_event_loop(r.e), 0); /* not the 20 s limit */
	ck_assert_int_eq(r.calls, 1);
	ck_assert_ptr_null(r.client);
	ck_assert(!nj_jack_opener_busy(o));
	ck_assert_int_ge(ticks, 1); /* the loop ran while libjack tried */
	nj_jack_opener_free(o);
	sd_event_source_unref(tick);
	sd_event_source_unref(limit);
	sd_event_unref(r.e);
}
END_TEST

START_TEST(free_in_flight)
{
	struct result r = {0};
	struct nj_jack_opener *o;

	ck_assert_int_eq(sd_event_new(&r.e), 0);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(nj_jack_opener_new(r.e, opened, &r, &o), 0);
		ck_assert_int_eq(nj_jack_opener_start(o, "nj-test"), 0);
		nj_jack_opener_free(o); /* never waits for the thread */
	}
	ck_assert_int_eq(r.calls, 0);
	sd_event_unref(r.e);
}
END_TEST

static Suite *jackopen_suite(void)
{
	Suite *s = suite_create("jackopen");
	TCase *tc = tcase_create("opener");

	/* a server nobody runs here, whatever runs on this machine */
	setenv("JACK_DEFAULT_SERVER", "netjack-unit-test-no-such-server", 1);
	setenv("JACK_NO_START_SERVER", "1", 1);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, no_server);
	tcase_add_test(tc, free_in_flight);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(jackopen_suite)
