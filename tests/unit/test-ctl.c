/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-ctl.c - the control socket: one request per connection, "ok"/"error:"
 * replies, a big reply written in pieces without blocking the loop, an
 * over-long request refused, a stalled client dropped, a stale socket
 * replaced, a live one refused, JSON strings escaped, the socket mode 0660.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../daemon/common/ctl.h"
#include "check-main.h"

static char dir[48], path[96];

static int handler(void *ud, const struct nj_ctl_request *req, struct nj_buf *out,
		   const char **err)
{
	int *calls = ud;

	(*calls)++;
	if (strcmp(req->cmd, "echo") == 0) {
		nj_buf_printf(out, "[%s] %s\n", req->arg, req->privileged ? "priv" : "user");
		return 0;
	}
	if (strcmp(req->cmd, "big") == 0) {
		for (int i = 0; i < 100000; i++) {
			nj_buf_printf(out, "line %06d\n", i); /* 1.2 MB: many socket buffers */
		}
		return 0;
	}
	*err = "no such command";
	return -EINVAL;
}

struct client {
	const char *send;
	size_t send_len;
	char *reply;
	size_t len;
};

/* A client on its own thread (the loop runs in the test's thread). */
static void *client_run(void *arg)
{
	struct client *c = arg;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	size_t cap = 1 << 21;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	c->reply = calloc(1, cap);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		ssize_t n = write(fd, c->send, c->send_len);

		(void)n;
		shutdown(fd, SHUT_WR); /* EOF after the request */
		while ((n = read(fd, c->reply + c->len, cap - 1 - c->len)) > 0) {
			c->len += (size_t)n;
		}
	}
	close(fd);
	return NULL;
}

static int stop_loop(sd_event_source *s, uint64_t usec, void *ud)
{
	sd_event_exit(sd_event_source_get_event(s), 0);
	return 0;
}

/* Run the loop until the client thread is done (or 5 s). */
static void ask(sd_event *e, struct client *c)
{
	pthread_t t;

	pthread_create(&t, NULL, client_run, c);
	for (int i = 0; i < 500; i++) {
		sd_event_run(e, 10000);
		if (pthread_tryjoin_np(t, NULL) == 0) {
			return;
		}
	}
	ck_abort_msg("the client did not finish");
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/nj-ctl-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run/master.sock", dir);
}

static void teardown(void)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(requests)
{
	sd_event *e = NULL;
	struct nj_ctl *ctl = NULL;
	int calls = 0;
	struct stat st;
	struct client a = {.send = "echo hello world\n", .send_len = 17};
	struct client b = {.send = "frob\n", .send_len = 5};
	struct client c = {.send = "echo no newline", .send_len = 15};

	ck_assert_int_ge(sd_event_new(&e), 0);
	ck_assert_int_eq(nj_ctl_new(e, path, handler, &calls, &ctl), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	ask(e, &a);
	ck_assert_str_eq(a.reply, "ok\n[hello world] priv\n");
	ask(e, &b);
	ck_assert_str_eq(b.reply, "error: no such command\n");
	ask(e, &c); /* EOF ends the request too */
	ck_assert_str_eq(c.reply, "ok\n[no newline] priv\n");
	ck_assert_int_eq(calls, 3);
	free(a.reply);
	free(b.reply);
	free(c.reply);
	nj_ctl_free(ctl);
	ck_assert_int_eq(access(path, F_OK), -1); /* unlinked */
	sd_event_unref(e);
}
END_TEST

START_TEST(big_reply_and_long_request)
{
	sd_event *e = NULL;
	struct nj_ctl *ctl = NULL;
	int calls = 0;
	char longreq[2000];
	struct client a = {.send = "big\n", .send_len = 4};
	struct client b = {.send = longreq, .send_len = sizeof(longreq)};

	memset(longreq, 'x', sizeof(longreq));
	ck_assert_int_ge(sd_event_new(&e), 0);
	ck_assert_int_eq(nj_ctl_new(e, path, handler, &calls, &ctl), 0);
	ask(e, &a);
	ck_assert_uint_eq(a.len, 3 + 100000 * 12);
	ck_assert(memcmp(a.reply + a.len - 12, "line 099999\n", 12) == 0);
	ask(e, &b);
	ck_assert_msg(strncmp(b.reply, "error: request longer than", 26) == 0, "%s", b.reply);
	ck_assert_int_eq(calls, 1); /* the long one never reached the handler */
	free(a.reply);
	free(b.reply);
	nj_ctl_free(ctl);
	sd_event_unref(e);
}
END_TEST

START_TEST(stale_live_and_stalled)
{
	sd_event *e = NULL;
	struct nj_ctl *ctl = NULL, *ctl2 = NULL;
	int calls = 0, fd;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char d[96];

	ck_assert_int_ge(sd_event_new(&e), 0);
	/* a stale socket file: bound by nobody listening */
	snprintf(d, sizeof(d), "%s/run", dir);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	ck_assert_int_eq(nj_ctl_new(e, path, handler, &calls, &ctl), 0);
	/* a live one: a second daemon must not take it over */
	ck_assert_int_eq(nj_ctl_new(e, path, handler, &calls, &ctl2), -EADDRINUSE);
	ck_assert_int_eq(access(path, F_OK), 0);
	/* a client that connects and says nothing is dropped after 2 s */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	sd_event_source *t = NULL;

	sd_event_add_time_relative(e, &t, CLOCK_MONOTONIC, 2500000, 1000, stop_loop, NULL);
	sd_event_loop(e);
	{
		char c;

		ck_assert_int_eq(read(fd, &c, 1), 0); /* EOF: closed by the daemon */
	}
	close(fd);
	sd_event_source_unref(t);
	nj_ctl_free(ctl);
	sd_event_unref(e);
}
END_TEST

START_TEST(json_strings)
{
	struct nj_buf b = {0};

	nj_buf_json_str(&b, "a\"b\\c\n\x01 é");
	ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\u000a\\u0001 é\"");
	nj_buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("socket");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, requests);
	tcase_add_test(tc, big_reply_and_long_request);
	tcase_add_test(tc, stale_live_and_stalled);
	tcase_add_test(tc, json_strings);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(ctl_suite)
