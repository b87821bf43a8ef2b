/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * policy.h - who may join a master: --allow CIDR, --allow-name NAME,
 * --require-auth.
 *
 * Pure: no sockets, no logging, no allocation after nj_policy_init(). With
 * no --allow and no --allow-name everyone is admitted; with any, a peer is
 * admitted when its address is in one of the CIDRs or one of its names
 * equals one of the NAMEs (exact, case-sensitive). --require-auth refuses
 * every peer that did not authenticate, whatever the lists say.
 */
#ifndef NJ_POLICY_H
#define NJ_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NJ_POLICY_MAX_CIDRS 256

/** An address block: IPv4 (4 bytes) or IPv6 (16) and a prefix length. */
struct nj_cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

/**
 * nj_cidr_parse - "10.0.0.0/8", "198.18.0.2" (/32), "fd00::/64", "::1"
 * (/128). Bits beyond the prefix may be set (they are ignored). Returns 0,
 * or -EINVAL with a reason in @why (for a message that names the option).
 */
int nj_cidr_parse(const char *text, struct nj_cidr *ret, char *why, size_t whylen);

/** nj_cidr_match - @sa (AF_INET or AF_INET6; ::ffff:a.b.c.d counts as a.b.c.d) in @c. */
bool nj_cidr_match(const struct nj_cidr *c, const struct sockaddr *sa);

/** nj_cidr_format - "10.0.0.0/8", "fd00::/64" into @buf. */
const char *nj_cidr_format(const struct nj_cidr *c, char *buf, size_t len);

struct nj_policy {
	struct nj_cidr allow[NJ_POLICY_MAX_CIDRS];
	unsigned nallow;
	char names[4096];   /* --allow-name values, one per line */
	bool restricted;    /* any --allow or --allow-name */
	bool require_auth;
};

enum nj_verdict {
	NJ_ADMIT = 0,
	NJ_REFUSE_NOT_ALLOWED, /* neither its address nor a name in the lists */
	NJ_REFUSE_NO_AUTH,     /* --require-auth and it did not authenticate */
};

/**
 * nj_policy_init - from the options' lists (one value per line, as
 * NJ_OPT_LIST keeps them). Returns 0, or -EINVAL naming the bad value in @why.
 */
int nj_policy_init(struct nj_policy *p, const char *allow, const char *allow_names,
		   bool require_auth, char *why, size_t whylen);

/**
 * nj_policy_check - the verdict on a peer at @peer (NULL: no address) with
 * @nnames names (NULL or empty ones are skipped), authenticated or not.
 */
enum nj_verdict nj_policy_check(const struct nj_policy *p, const struct sockaddr *peer,
				const char *const *names, size_t nnames, bool authenticated);

/** nj_policy_name_allowed - @name is one of the --allow-name values. */
bool nj_policy_name_allowed(const struct nj_policy *p, const char *name);

/** For log lines: why a verdict refuses ("" for NJ_ADMIT). */
const char *nj_verdict_text(enum nj_verdict v);

#endif
