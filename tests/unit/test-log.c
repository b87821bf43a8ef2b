/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-log.c - the rate limit for messages peers can trigger: a burst goes
 * through, the rest of the window is dropped, and when the window is over
 * one line says how many were dropped (stderr is captured and read back).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../daemon/common/log.h"
#include "check-main.h"

START_TEST(burst_then_count)
{
	struct nj_ratelimit rl = {.what = "test messages", .burst = 3, .window_us = 100000};
	char path[] = "/tmp/nj-test-log-XXXXXX", text[512] = "";
	int fd = mkstemp(path), saved = dup(2), ok = 0;
	FILE *f;
	size_t n;

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	dup2(fd, 2);
	nj_log_setup("test", false);
	for (int i = 0; i < 10; i++) {
		ok += nj_ratelimit_ok(&rl);
	}
	nj_ratelimit_flush(&rl); /* the window is not over: nothing yet */
	usleep(150000);
	nj_ratelimit_flush(&rl);
	nj_ratelimit_flush(&rl); /* said once */
	ok += nj_ratelimit_ok(&rl); /* a new window */
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	unlink(path);
	ck_assert_int_eq(ok, 4);
	ck_assert_msg(strcmp(text, "<5>test: 7 test messages suppressed in 0.1 s\n") == 0, "got [%s]",
		      text);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("ratelimit");

	tcase_add_test(tc, burst_then_count);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(log_suite)
