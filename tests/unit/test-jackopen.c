/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-jackopen.c - jack_client_open() off the loop: with no server (a server
 * name nobody runs), the attempt's NULL result arrives on the sd-event loop,
 * the loop keeps running meanwhile, a second start while one runs is -EBUSY,
 * freeing the opener with an attempt in flight neither waits nor calls back,
 * and settling one waits for it without calling back.
 *
 * Each test runs with a /dev/shm of its own where it can (a mount namespace,
 * made in the forked test process): libjack keeps its metadata database
 * there, and a process that ends while one of its threads is inside
 * jack_client_open() (free_in_flight does, by design) can leave that
 * database's lock held, after which every jack_client_open() sharing that
 * /dev/shm hangs (jack2 1.9.21): the machine's, or the next test's.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
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

START_TEST(settle)
{
	struct result r = {0};
	struct nj_jack_opener *o;

	ck_assert_int_eq(sd_event_new(&r.e), 0);
	ck_assert_int_eq(nj_jack_opener_new(r.e, opened, &r, &o), 0);
	ck_assert(nj_jack_opener_settle(o, 0)); /* nothing running */
	ck_assert_int_eq(nj_jack_opener_start(o, "nj-test"), 0);
	ck_assert(nj_jack_opener_settle(o, 20000000));
	ck_assert(!nj_jack_opener_busy(o));
	ck_assert_int_eq(nj_jack_opener_start(o, "nj-test"), 0); /* free again */
	ck_assert(nj_jack_opener_settle(o, 20000000));
	ck_assert_int_eq(r.calls, 0); /* never called back */
	nj_jack_opener_free(o);
	sd_event_unref(r.e);
}
END_TEST

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		return -1;
	}
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A /dev/shm of our own: as root a mount namespace, else a user namespace
 * too where the kernel allows it; else the machine's (said on stderr). */
static void private_shm(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];

	if (unshare(CLONE_NEWNS) < 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
			goto shared;
		}
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		if (write_file("/proc/self/setgroups", "deny") < 0 ||
		    write_file("/proc/self/uid_map", map) < 0) {
			goto shared;
		}
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		if (write_file("/proc/self/gid_map", map) < 0) {
			goto shared;
		}
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777") == 0) {
		return;
	}
shared:
	fprintf(stderr, "test-jackopen: no private /dev/shm (%s); using the machine's\n",
		strerror(errno));
}

static Suite *jackopen_suite(void)
{
	Suite *s = suite_create("jackopen");
	TCase *tc = tcase_create("opener");

	/* a server nobody runs here, whatever runs on this machine */
	setenv("JACK_DEFAULT_SERVER", "netjack-unit-test-no-such-server", 1);
	setenv("JACK_NO_START_SERVER", "1", 1);
	tcase_add_checked_fixture(tc, private_shm, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, no_server);
	tcase_add_test(tc, free_in_flight);
	tcase_add_test(tc, settle);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(jackopen_suite)
