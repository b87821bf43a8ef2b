/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-options.c - the daemons' option table: command line, config file, errors. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../daemon/common/options.h"
#include "check-main.h"

struct cfg {
	char ip[32];
	int port;
	int chans;
	uint64_t timeout;
	bool flag;
	int enc;
	bool verbose;
	char peers[48];
};

static const char *const encs[] = {"float", "int16", "opus", NULL};

static const struct nj_opt opts[] = {
	{"ip", 'a', NJ_OPT_STRING, offsetof(struct cfg, ip), 32, 0, 0, NULL, "ADDR", "address"},
	{"port", 'p', NJ_OPT_INT, offsetof(struct cfg, port), 0, 1, 65535, NULL, "PORT", "port"},
	{"chans", 'C', NJ_OPT_INT, offsetof(struct cfg, chans), 0, -1, 256, NULL, "N", "channels"},
	{"timeout", 't', NJ_OPT_DURATION, offsetof(struct cfg, timeout), 0, 100, 60000, NULL, "T",
	 "timeout"},
	{"flag", 'f', NJ_OPT_FLAG, offsetof(struct cfg, flag), 0, 0, 0, NULL, NULL, "flag"},
	{"encoder", 'e', NJ_OPT_ENUM, offsetof(struct cfg, enc), 0, 0, 0, encs, "E", "encoder"},
	{"peer", 0, NJ_OPT_LIST, offsetof(struct cfg, peers), 48, 0, 0, NULL, "HOST", "peer"},
};

static struct cfg c;
static struct nj_opt_program prog = {"prog", "test", NULL, opts, 7, &c.verbose};

static int parse(const char *file_text, int argc, char **argv)
{
	static char path[] = "/tmp/njopt-XXXXXX";
	char p[sizeof(path)];
	int fd, r;

	memset(&c, 0, sizeof(c));
	strcpy(c.ip, "225.3.19.154");
	c.port = 19000;
	c.timeout = 2000000;
	prog.default_config = NULL;
	if (file_text != NULL) {
		strcpy(p, path);
		fd = mkstemp(p);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, file_text, strlen(file_text)), (int)strlen(file_text));
		close(fd);
		prog.default_config = p;
	}
	r = nj_options_parse(&prog, &c, argc, argv);
	if (file_text != NULL) {
		unlink(p);
	}
	return r;
}

START_TEST(test_command_line)
{
	char *argv[] = {"prog", "-p", "4000", "-C", "-1", "--timeout", "500ms", "-f",
			"--encoder", "opus", "-v", NULL};

	ck_assert_int_eq(parse(NULL, 11, argv), 0);
	ck_assert_int_eq(c.port, 4000);
	ck_assert_int_eq(c.chans, -1); /* a negative value after a short option */
	ck_assert_uint_eq(c.timeout, 500000);
	ck_assert(c.flag && c.verbose);
	ck_assert_int_eq(c.enc, 2);
	ck_assert_str_eq(c.ip, "225.3.19.154"); /* untouched */
}
END_TEST

/* The file is read, the command line wins, and --config anywhere is harmless. */
START_TEST(test_file_and_precedence)
{
	char *argv[] = {"prog", "--port", "5000", NULL};

	ck_assert_int_eq(parse("# comment\nport = 7000\n  chans=8  # trailing\nflag = yes\n"
			       "timeout = 3s\nencoder = int16\nip = ff15::1\n",
			       3, argv),
			 0);
	ck_assert_int_eq(c.port, 5000);
	ck_assert_int_eq(c.chans, 8);
	ck_assert(c.flag);
	ck_assert_uint_eq(c.timeout, 3000000);
	ck_assert_int_eq(c.enc, 1);
	ck_assert_str_eq(c.ip, "ff15::1"); /* the file wrote no other field */
}
END_TEST

/* A list option (--netone): every value kept, the file's first, then the
 * command line's; an empty value or one that overflows the list names it. */
START_TEST(test_list)
{
	char *argv[] = {"prog", "--peer", "h3,latency=2", NULL};
	char *bad[] = {"prog", "--peer=", NULL};
	char *big[] = {"prog", "--peer", "a-name-long-enough-to-overflow-the-list-of-47", NULL};

	ck_assert_int_eq(parse("peer = h1\npeer = h2:3001,send=4\n", 3, argv), 0);
	ck_assert_str_eq(c.peers, "h1\nh2:3001,send=4\nh3,latency=2");
	ck_assert_int_eq(parse(NULL, 1, argv), 0);
	ck_assert_str_eq(c.peers, "");
	ck_assert_int_eq(parse(NULL, 3, argv), 0);
	ck_assert_str_eq(c.peers, "h3,latency=2");
	ck_assert_int_lt(parse(NULL, 2, bad), 0);
	ck_assert_int_lt(parse("peer = h1\n", 3, big), 0);
}
END_TEST

/* --config FILE on the command line, between other options: nothing else is
 * touched (it once wrote through a wrong table entry and corrupted --ip). */
START_TEST(test_explicit_config)
{
	char path[] = "/tmp/njopt-XXXXXX";
	int fd = mkstemp(path);
	char *argv[] = {"prog", "-p", "4000", "--config", path, "-f", NULL};
	char *missing[] = {"prog", "--config", "/nonexistent/netjack.conf", NULL};

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "chans = 3\n", 10), 10);
	close(fd);
	ck_assert_int_eq(parse(NULL, 6, argv), 0);
	unlink(path);
	ck_assert_str_eq(c.ip, "225.3.19.154");
	ck_assert_int_eq(c.port, 4000);
	ck_assert_int_eq(c.chans, 3);
	ck_assert(c.flag);
	ck_assert_int_eq(c.enc, 0);
	ck_assert_uint_eq(c.timeout, 2000000);
	/* an explicit file that is missing is an error; a missing default is not */
	ck_assert_int_eq(parse(NULL, 3, missing), -1);
}
END_TEST

START_TEST(test_errors)
{
	char *bad_int[] = {"prog", "--port", "70000", NULL};
	char *bad_dur[] = {"prog", "-t", "5x", NULL};
	char *bad_enum[] = {"prog", "-e", "celt", NULL};
	char *unknown[] = {"prog", "--nope", NULL};
	char *missing[] = {"prog", "-p", NULL};
	char *extra[] = {"prog", "stray", NULL};
	char *long_str[] = {"prog", "-a", "0123456789012345678901234567890123456789", NULL};
	char *ok[] = {"prog", NULL};

	ck_assert_int_eq(parse(NULL, 3, bad_int), -1);
	ck_assert_int_eq(parse(NULL, 3, bad_dur), -1);
	ck_assert_int_eq(parse(NULL, 3, bad_enum), -1);
	ck_assert_int_eq(parse(NULL, 2, unknown), -1);
	ck_assert_int_eq(parse(NULL, 2, missing), -1);
	ck_assert_int_eq(parse(NULL, 2, extra), -1);
	ck_assert_int_eq(parse(NULL, 3, long_str), -1);
	ck_assert_int_eq(parse("port = x\n", 1, ok), -1);
	ck_assert_int_eq(parse("what = 1\n", 1, ok), -1);
	ck_assert_int_eq(parse("no equals sign\n", 1, ok), -1);
	ck_assert_int_eq(parse("config = /etc/x\n", 1, ok), -1);
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_command_line);
	tcase_add_test(tc, test_file_and_precedence);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_explicit_config);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(options_suite)
