/* SPDX-License-Identifier: GPL-2.0-or-later */
/* policy.c - --allow CIDRs, --allow-name names, --require-auth: the verdicts. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

int nj_cidr_parse(const char *text, struct nj_cidr *ret, char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t hl = slash ? (size_t)(slash - text) : strlen(text);
	struct nj_cidr c = {0};
	unsigned max;

	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(why, whylen, "is not an IPv4 or IPv6 address or CIDR");
		return -EINVAL;
	}
	memcpy(host, text, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, c.addr) == 1) {
		c.family = AF_INET;
	} else if (inet_pton(AF_INET6, host, c.addr) == 1) {
		c.family = AF_INET6;
	} else {
		snprintf(why, whylen, "is not an IPv4 or IPv6 address or CIDR");
		return -EINVAL;
	}
	max = c.family == AF_INET ? 32 : 128;
	c.prefix = max;
	if (slash != NULL) {
		const char *d = slash + 1;
		unsigned v = 0;

		if (*d == '\0' || strlen(d) > 3) {
			snprintf(why, whylen, "has no prefix length 0..%u after the /", max);
			return -EINVAL;
		}
		for (; *d != '\0'; d++) {
			if (*d < '0' || *d > '9') {
				snprintf(why, whylen, "has no prefix length 0..%u after the /", max);
				return -EINVAL;
			}
			v = v * 10 + (unsigned)(*d - '0');
		}
		if (v > max) {
			snprintf(why, whylen, "has a prefix length over %u", max);
			return -EINVAL;
		}
		c.prefix = v;
	}
	*ret = c;
	return 0;
}

/* The first @bits bits of @a and @b are equal. */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0) {
		return false;
	}
	return rest == 0 || ((a[whole] ^ b[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool nj_cidr_match(const struct nj_cidr *c, const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t v6[16];
	const uint8_t *a;

	if (sa == NULL) {
		return false;
	}
	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		if (c->family == AF_INET) {
			return prefix_equal(c->addr, a, c->prefix);
		}
		/* an IPv6 block written as ::ffff:a.b.c.d/n holds IPv4 peers too */
		memcpy(v6, mapped, 12);
		memcpy(v6 + 12, a, 4);
		return prefix_equal(c->addr, v6, c->prefix);
	}
	if (sa->sa_family != AF_INET6) {
		return false;
	}
	a = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (c->family == AF_INET6) {
		return prefix_equal(c->addr, a, c->prefix);
	}
	/* an IPv4 peer on a dual-stack socket: ::ffff:a.b.c.d */
	return memcmp(a, mapped, 12) == 0 && prefix_equal(c->addr, a + 12, c->prefix);
}

const char *nj_cidr_format(const struct nj_cidr *c, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family, c->addr, ip, sizeof(ip)) == NULL) {
		snprintf(ip, sizeof(ip), "?");
	}
	snprintf(buf, len, "%s/%u", ip, c->prefix);
	return buf;
}

int nj_policy_init(struct nj_policy *p, const char *allow, const char *allow_names,
		   bool require_auth, char *why, size_t whylen)
{
	const char *s = allow != NULL ? allow : "";

	memset(p, 0, sizeof(*p));
	p->require_auth = require_auth;
	while (*s != '\0') {
		size_t l = strcspn(s, "\n");
		char one[INET6_ADDRSTRLEN + 8], reason[80];

		if (l > 0) {
			if (p->nallow == NJ_POLICY_MAX_CIDRS) {
				snprintf(why, whylen, "more than %d --allow values", NJ_POLICY_MAX_CIDRS);
				return -EINVAL;
			}
			snprintf(one, sizeof(one), "%.*s", (int)l, s);
			if (l >= sizeof(one) ||
			    nj_cidr_parse(one, &p->allow[p->nallow], reason, sizeof(reason)) < 0) {
				snprintf(why, whylen, "--allow: \"%.*s\" %s", (int)(l > 60 ? 60 : l), s,
					 l >= sizeof(one) ? "is too long" : reason);
				return -EINVAL;
			}
			p->nallow++;
		}
		s += l + (s[l] == '\n');
	}
	if (allow_names != NULL) {
		if (strlen(allow_names) >= sizeof(p->names)) {
			snprintf(why, whylen, "--allow-name: the names are too long together");
			return -EINVAL;
		}
		snprintf(p->names, sizeof(p->names), "%s", allow_names);
	}
	p->restricted = p->nallow > 0 || p->names[0] != '\0';
	return 0;
}

bool nj_policy_name_allowed(const struct nj_policy *p, const char *name)
{
	size_t nl = strlen(name);

	if (nl == 0) {
		return false; /* no name is not a name */
	}
	for (const char *s = p->names; *s != '\0';) {
		size_t l = strcspn(s, "\n");

		if (l == nl && memcmp(s, name, l) == 0) {
			return true;
		}
		s += l + (s[l] == '\n');
	}
	return false;
}

static bool allowed(const struct nj_policy *p, const struct sockaddr *peer,
		    const char *const *names, size_t nnames)
{
	for (unsigned i = 0; i < p->nallow; i++) {
		if (nj_cidr_match(&p->allow[i], peer)) {
			return true;
		}
	}
	for (size_t i = 0; names != NULL && i < nnames; i++) {
		if (names[i] != NULL && nj_policy_name_allowed(p, names[i])) {
			return true;
		}
	}
	return !p->restricted;
}

enum nj_verdict nj_policy_check(const struct nj_policy *p, const struct sockaddr *peer,
				const char *const *names, size_t nnames, bool authenticated)
{
	if (!allowed(p, peer, names, nnames)) {
		return NJ_REFUSE_NOT_ALLOWED;
	}
	return p->require_auth && !authenticated ? NJ_REFUSE_NO_AUTH : NJ_ADMIT;
}

const char *nj_verdict_text(enum nj_verdict v)
{
	switch (v) {
	case NJ_ADMIT:
		break;
	case NJ_REFUSE_NOT_ALLOWED:
		return "not in the --allow list (neither its address nor a name in --allow, "
		       "--allow-name)";
	case NJ_REFUSE_NO_AUTH:
		return "authentication required (--require-auth)";
	}
	return "";
}
