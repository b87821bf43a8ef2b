/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-dnssd-txt.c - TXT values from other hosts are checked input: numbers
 * with anything else in them, signs, overflow or above the bound are
 * rejected (atoi took "8x" for 8 and "-1" for a huge slave count); records
 * are assembled bounded, with version= last.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "../../daemon/common/dnssd.h"
#include "check-main.h"

static struct nj_dnssd_found with(const char *rec)
{
	struct nj_dnssd_found f;

	memset(&f, 0, sizeof(f));
	snprintf(f.txt[0], sizeof(f.txt[0]), "%s", rec);
	f.ntxt = 1;
	return f;
}

START_TEST(numbers)
{
	static const struct {
		const char *rec;
		bool ok;
		unsigned v;
	} cases[] = {
		{"slaves=0", true, 0},        {"slaves=31", true, 31},
		{"slaves=65535", true, 65535}, {"slaves=65536", false, 0},
		{"slaves=", false, 0},        {"slaves=8x", false, 0},
		{"slaves=-1", false, 0},      {"slaves=+3", false, 0},
		{"slaves= 3", false, 0},      {"slaves=99999999999999999999", false, 0},
		{"slavesx=3", false, 0},      {"slaves", false, 0},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nj_dnssd_found f = with(cases[i].rec);
		unsigned v = 12345;
		bool ok = nj_dnssd_txt_uint(&f, "slaves", 65535, &v);

		ck_assert_msg(ok == cases[i].ok, "%s", cases[i].rec);
		ck_assert_uint_eq(v, ok ? cases[i].v : 12345);
	}
}
END_TEST

START_TEST(assemble)
{
	struct nj_txt t;

	nj_txt_init(&t);
	ck_assert_uint_eq(t.n, 1);
	ck_assert_str_eq(t.t[0], "txtvers=1");
	for (unsigned i = 0; i < NJ_DNSSD_TXT_MAX + 5; i++) {
		nj_txt_add(&t, "k%u=%0200u", i, i); /* too long: cut at the record size */
	}
	ck_assert_uint_eq(t.n, NJ_DNSSD_TXT_MAX);
	ck_assert_uint_eq(strlen(t.t[1]), NJ_DNSSD_TXT_LEN - 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dnssd-txt");
	TCase *tc = tcase_create("txt");

	tcase_add_test(tc, numbers);
	tcase_add_test(tc, assemble);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
