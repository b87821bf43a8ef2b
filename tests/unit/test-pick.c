/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-pick.c - the documented rule by which `netjack-slave --auto` picks a DNS-SD master. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../daemon/slave/pick.h"
#include "check-main.h"

static struct found_master m[8];

static void add(unsigned i, const char *name, unsigned slaves, unsigned max)
{
	m[i].used = true;
	snprintf(m[i].name, sizeof(m[i].name), "%s", name);
	m[i].slaves = slaves;
	m[i].max_slaves = max;
}

static void setup(void)
{
	for (unsigned i = 0; i < 8; i++) {
		m[i] = (struct found_master){0};
	}
}

START_TEST(none_and_only)
{
	unsigned n = 99;

	ck_assert_ptr_null(pick_master(m, 8, NULL, &n));
	ck_assert_uint_eq(n, 0);
	add(5, "studio", 32, 32); /* the only one, even when full */
	ck_assert_ptr_eq(pick_master(m, 8, "", &n), &m[5]);
	ck_assert_uint_eq(n, 1);
}
END_TEST

START_TEST(by_name)
{
	unsigned n;

	add(0, "alpha", 0, 32);
	add(1, "stage", 5, 32);
	ck_assert_ptr_eq(pick_master(m, 8, "stage", &n), &m[1]);
	ck_assert_uint_eq(n, 2);
	/* a name that is not there picks nothing (the slave waits for it) */
	ck_assert_ptr_null(pick_master(m, 8, "missing", &n));
}
END_TEST

START_TEST(rule)
{
	unsigned n;

	add(0, "zeta", 3, 32);
	add(1, "beta", 1, 32);
	add(2, "alpha", 1, 32);
	add(3, "full", 0, 0);   /* no max_slaves record: counts as room */
	m[3].slaves = 0;
	add(4, "crowded", 0, 1);
	m[4].slaves = 1;        /* full: after every master with room */
	/* the fewest slaves first: "full" (0 slaves, no limit) */
	ck_assert_ptr_eq(pick_master(m, 8, NULL, &n), &m[3]);
	ck_assert_uint_eq(n, 5);
	m[3].used = false;
	/* then equal counts go by name: alpha before beta */
	ck_assert_ptr_eq(pick_master(m, 8, NULL, &n), &m[2]);
	/* a full master loses even with fewer slaves */
	m[4].slaves = 0;
	m[4].max_slaves = 0;
	ck_assert_ptr_eq(pick_master(m, 8, NULL, &n), &m[4]);
	m[4].slaves = 1;
	m[4].max_slaves = 1;
	m[1].slaves = m[2].slaves = m[0].slaves = 32; /* all full now */
	ck_assert_ptr_eq(pick_master(m, 8, NULL, &n), &m[4]); /* 1 slave < 32 */
}
END_TEST

static Suite *pick_suite(void)
{
	Suite *s = suite_create("pick");
	TCase *tc = tcase_create("rule");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, none_and_only);
	tcase_add_test(tc, by_name);
	tcase_add_test(tc, rule);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(pick_suite)
