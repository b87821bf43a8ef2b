/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-policy.c - who may join a master (daemon/common/policy.c): CIDR
 * parsing in both families with their edges, IPv4-mapped peers, bad values
 * refused, names compared exactly, an empty policy admitting everyone, and
 * --require-auth's verdicts.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "../../daemon/common/policy.h"
#include "check-main.h"

/* A peer address of either family from its text. */
static struct sockaddr_storage peer(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') == NULL) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(19000);
		ck_assert_int_eq(inet_pton(AF_INET, text, &in->sin_addr), 1);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(19000);
		ck_assert_int_eq(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
	}
	return ss;
}

static bool match(const char *cidr, const char *addr)
{
	struct nj_cidr c;
	struct sockaddr_storage ss = peer(addr);
	char why[80];

	ck_assert_msg(nj_cidr_parse(cidr, &c, why, sizeof(why)) == 0, "%s: %s", cidr, why);
	return nj_cidr_match(&c, (const struct sockaddr *)&ss);
}

START_TEST(test_cidr_parse)
{
	static const struct {
		const char *text;
		int family;
		unsigned prefix;
		const char *shown;
	} good[] = {
		{"10.0.0.0/8", AF_INET, 8, "10.0.0.0/8"},
		{"198.18.0.2", AF_INET, 32, "198.18.0.2/32"},
		{"198.18.0.2/32", AF_INET, 32, "198.18.0.2/32"},
		{"0.0.0.0/0", AF_INET, 0, "0.0.0.0/0"},
		{"fd00::/64", AF_INET6, 64, "fd00::/64"},
		{"::1", AF_INET6, 128, "::1/128"},
		{"::/0", AF_INET6, 0, "::/0"},
		{"2001:db8::1/128", AF_INET6, 128, "2001:db8::1/128"},
		{"::ffff:10.0.0.0/104", AF_INET6, 104, "::ffff:10.0.0.0/104"},
	};
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/33", "fd00::/129", "junk", "10.0.0.0/", "10.0.0.0/8x",
		"10.0.0.0/-1", "10.0.0.0/+8", "10.0.0/8", "256.0.0.0", "10.0.0.0/8/8",
		"fd00::/64 ", " 10.0.0.1", "fe80::1%eth0", "10.0.0.0/0008", "1.2.3.4/ 8",
		"::1/1280", "fd00:::1",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct nj_cidr c;
		char why[80] = "", buf[64];

		ck_assert_msg(nj_cidr_parse(good[i].text, &c, why, sizeof(why)) == 0, "%s: %s",
			      good[i].text, why);
		ck_assert_int_eq(c.family, good[i].family);
		ck_assert_uint_eq(c.prefix, good[i].prefix);
		ck_assert_str_eq(nj_cidr_format(&c, buf, sizeof(buf)), good[i].shown);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nj_cidr c;
		char why[80] = "";

		ck_assert_msg(nj_cidr_parse(bad[i], &c, why, sizeof(why)) == -EINVAL,
			      "\"%s\" was taken", bad[i]);
		ck_assert_msg(why[0] != '\0', "\"%s\": no reason", bad[i]);
	}
}
END_TEST

START_TEST(test_cidr_match)
{
	/* IPv4: the block's edges */
	ck_assert(match("10.0.0.0/8", "10.0.0.0"));
	ck_assert(match("10.0.0.0/8", "10.255.255.255"));
	ck_assert(!match("10.0.0.0/8", "11.0.0.0"));
	ck_assert(!match("10.0.0.0/8", "9.255.255.255"));
	ck_assert(match("192.168.4.0/22", "192.168.7.200"));
	ck_assert(!match("192.168.4.0/22", "192.168.8.1"));
	/* bits beyond the prefix are ignored */
	ck_assert(match("10.1.2.3/8", "10.9.9.9"));
	/* /32 is the one address, /0 every IPv4 one */
	ck_assert(match("198.18.0.2", "198.18.0.2"));
	ck_assert(!match("198.18.0.2", "198.18.0.3"));
	ck_assert(!match("198.18.0.2/32", "198.18.0.0"));
	ck_assert(match("0.0.0.0/0", "203.0.113.9"));
	ck_assert(match("0.0.0.0/0", "0.0.0.0"));
	ck_assert(!match("0.0.0.0/0", "2001:db8::1")); /* not an IPv4 peer */
	/* IPv6 */
	ck_assert(match("fd00::/64", "fd00::1"));
	ck_assert(match("fd00::/64", "fd00::ffff:ffff:ffff:ffff"));
	ck_assert(!match("fd00::/64", "fd00:0:0:1::1"));
	ck_assert(match("::1", "::1"));
	ck_assert(!match("::1", "::2"));
	ck_assert(!match("::1/128", "::"));
	ck_assert(match("::/0", "2001:db8::1"));
	ck_assert(match("2001:db8::/33", "2001:db8:7fff::1"));
	ck_assert(!match("2001:db8::/33", "2001:db8:8000::1"));
	/* an IPv4-mapped peer matches an IPv4 block, and only the mapped form */
	ck_assert(match("198.18.0.2/32", "::ffff:198.18.0.2"));
	ck_assert(match("10.0.0.0/8", "::ffff:10.20.30.40"));
	ck_assert(!match("10.0.0.0/8", "::ffff:11.0.0.1"));
	ck_assert(!match("10.0.0.0/8", "::a00:1")); /* IPv4-compatible, not mapped */
	ck_assert(!match("0.0.0.0/0", "64:ff9b::a00:1"));
	/* and an IPv4 peer an IPv6 block written in the mapped form */
	ck_assert(match("::ffff:10.0.0.0/104", "10.3.2.1"));
	ck_assert(!match("::ffff:10.0.0.0/104", "11.3.2.1"));
	ck_assert(!match("fd00::/8", "10.3.2.1"));
	/* no address, another family */
	{
		struct nj_cidr c;
		struct sockaddr sa = {.sa_family = AF_UNIX};
		char why[80];

		ck_assert_int_eq(nj_cidr_parse("0.0.0.0/0", &c, why, sizeof(why)), 0);
		ck_assert(!nj_cidr_match(&c, NULL));
		ck_assert(!nj_cidr_match(&c, &sa));
	}
}
END_TEST

static enum nj_verdict verdict(const struct nj_policy *p, const char *addr, const char *n1,
			       const char *n2, bool auth)
{
	const char *names[] = {n1, n2};
	struct sockaddr_storage ss;

	if (addr == NULL) {
		return nj_policy_check(p, NULL, names, 2, auth);
	}
	ss = peer(addr);
	return nj_policy_check(p, (const struct sockaddr *)&ss, names, 2, auth);
}

/* A policy that must be taken. */
static void init(struct nj_policy *p, const char *allow, const char *names, bool auth)
{
	char why[160] = "";

	ck_assert_msg(nj_policy_init(p, allow, names, auth, why, sizeof(why)) == 0, "%s", why);
}

START_TEST(test_empty_policy)
{
	struct nj_policy p;

	init(&p, "", "", false);
	ck_assert(!p.restricted);
	ck_assert_int_eq(verdict(&p, "203.0.113.9", "anyone", NULL, false), NJ_ADMIT);
	ck_assert_int_eq(verdict(&p, "2001:db8::1", NULL, NULL, false), NJ_ADMIT);
	ck_assert_int_eq(verdict(&p, NULL, NULL, NULL, false), NJ_ADMIT);
	init(&p, NULL, NULL, false);
	ck_assert_int_eq(verdict(&p, "10.0.0.1", NULL, NULL, false), NJ_ADMIT);
	ck_assert_str_eq(nj_verdict_text(NJ_ADMIT), "");
}
END_TEST

START_TEST(test_allow_lists)
{
	struct nj_policy p;

	init(&p, "10.0.0.0/8\nfd00::/64\n198.18.0.2",
					"studio-b\nalice", false);
	ck_assert(p.restricted);
	ck_assert_uint_eq(p.nallow, 3);
	/* by address */
	ck_assert_int_eq(verdict(&p, "10.1.2.3", NULL, NULL, false), NJ_ADMIT);
	ck_assert_int_eq(verdict(&p, "fd00::42", "", NULL, false), NJ_ADMIT);
	ck_assert_int_eq(verdict(&p, "::ffff:198.18.0.2", NULL, NULL, false), NJ_ADMIT);
	ck_assert_int_eq(verdict(&p, "198.18.0.3", "mallory", NULL, false),
			 NJ_REFUSE_NOT_ALLOWED);
	/* by any of its names, exactly and case-sensitively */
	ck_assert_int_eq(verdict(&p, "198.18.0.3", "x", "studio-b", false), NJ_ADMIT);
	ck_assert_int_eq(verdict(&p, "198.18.0.3", "alice", NULL, false), NJ_ADMIT);
	ck_assert_int_eq(verdict(&p, NULL, "alice", NULL, false), NJ_ADMIT);
	ck_assert_int_eq(verdict(&p, "198.18.0.3", "Alice", NULL, false), NJ_REFUSE_NOT_ALLOWED);
	ck_assert_int_eq(verdict(&p, "198.18.0.3", "studio", "studio-b2", false),
			 NJ_REFUSE_NOT_ALLOWED);
	ck_assert_int_eq(verdict(&p, "198.18.0.3", "alic", "studio-b\nalice", false),
			 NJ_REFUSE_NOT_ALLOWED);
	ck_assert_int_eq(verdict(&p, "198.18.0.3", "", NULL, false), NJ_REFUSE_NOT_ALLOWED);
	ck_assert(nj_policy_name_allowed(&p, "studio-b"));
	ck_assert(!nj_policy_name_allowed(&p, ""));
	ck_assert(strstr(nj_verdict_text(NJ_REFUSE_NOT_ALLOWED), "--allow") != NULL);

	/* names alone: no address is admitted by itself */
	init(&p, "", "bob", false);
	ck_assert(p.restricted);
	ck_assert_int_eq(verdict(&p, "10.0.0.1", NULL, NULL, false), NJ_REFUSE_NOT_ALLOWED);
	ck_assert_int_eq(verdict(&p, "10.0.0.1", NULL, "bob", false), NJ_ADMIT);
	/* addresses alone: names do not count */
	init(&p, "::1", "", false);
	ck_assert_int_eq(verdict(&p, "::1", NULL, NULL, false), NJ_ADMIT);
	ck_assert_int_eq(verdict(&p, "127.0.0.1", "bob", NULL, false), NJ_REFUSE_NOT_ALLOWED);
}
END_TEST

START_TEST(test_bad_values)
{
	struct nj_policy p;
	char why[160] = "";

	ck_assert_int_eq(nj_policy_init(&p, "10.0.0.0/8\n10.0.0.0/33", "", false, why, sizeof(why)),
			 -EINVAL);
	ck_assert_msg(strstr(why, "--allow") != NULL && strstr(why, "10.0.0.0/33") != NULL, "%s",
		      why);
	ck_assert_int_eq(nj_policy_init(&p, "nonsense", "", false, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "\"nonsense\"") != NULL, "%s", why);
	ck_assert_int_eq(nj_policy_init(&p, "fd00::/129", "", false, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "128") != NULL, "%s", why);
}
END_TEST

START_TEST(test_require_auth)
{
	struct nj_policy p;

	init(&p, "", "", true);
	ck_assert(!p.restricted);
	ck_assert_int_eq(verdict(&p, "10.0.0.1", "a", NULL, false), NJ_REFUSE_NO_AUTH);
	ck_assert_int_eq(verdict(&p, "10.0.0.1", "a", NULL, true), NJ_ADMIT);
	ck_assert(strstr(nj_verdict_text(NJ_REFUSE_NO_AUTH), "--require-auth") != NULL);
	/* with an allow list: both must hold */
	init(&p, "10.0.0.0/8", "", true);
	ck_assert_int_eq(verdict(&p, "10.0.0.1", NULL, NULL, true), NJ_ADMIT);
	ck_assert_int_eq(verdict(&p, "10.0.0.1", NULL, NULL, false), NJ_REFUSE_NO_AUTH);
	ck_assert_int_eq(verdict(&p, "11.0.0.1", NULL, NULL, true), NJ_REFUSE_NOT_ALLOWED);
	ck_assert_int_eq(verdict(&p, "11.0.0.1", NULL, NULL, false), NJ_REFUSE_NOT_ALLOWED);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_cidr_parse);
	tcase_add_test(tc, test_cidr_match);
	tcase_add_test(tc, test_empty_policy);
	tcase_add_test(tc, test_allow_lists);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_require_auth);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(policy_suite)
