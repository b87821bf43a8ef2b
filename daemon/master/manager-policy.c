/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * manager-policy.c - who may join netjack-master, for every protocol alike:
 * the verdict (common/policy.c) on a peer a listener is asked by, the
 * refusals counted per protocol, the one log line per refused peer, and the
 * policy in the status.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "manager-private.h"

int manager_policy_init(struct manager *m)
{
	char why[160];

	m->rl_policy.what = "refusal messages (policy)";
	if (nj_policy_init(&m->policy, m->cfg.allow, m->cfg.allow_name, m->cfg.require_auth, why,
			   sizeof(why)) < 0) {
		log_err("%s", why);
		return -EINVAL;
	}
	if (m->policy.restricted || m->policy.require_auth) {
		log_notice("admitting only peers%s%s",
			   m->policy.restricted ? " of --allow and --allow-name" : "",
			   m->policy.require_auth ? " that authenticate (--require-auth)" : "");
	}
	return 0;
}

enum nj_verdict slot_admit(struct manager *m, void *listener, const struct nj_sockaddr *peer,
			   const char *const *names, unsigned nnames, bool authenticated)
{
	enum nj_verdict v = nj_policy_check(&m->policy, peer ? &peer->u.sa : NULL, names, nnames,
					    authenticated);

	for (unsigned i = 0; v != NJ_ADMIT && i < m->nlis; i++) {
		if (m->lis[i].l == listener) {
			m->lis[i].refused_policy++;
		}
	}
	return v;
}

void slot_log_refused(struct manager *m, const char *what, const char *name, const char *host,
		      const struct nj_sockaddr *peer, enum nj_verdict v)
{
	char at[80];

	if (!nj_ratelimit_ok(&m->rl_policy)) {
		return;
	}
	nj_sockaddr_format(peer, at, sizeof(at));
	if (host != NULL && host[0] != '\0') {
		log_warn("refused %s \"%s\" (host \"%s\") at %s: %s", what, name ? name : "", host, at,
			 nj_verdict_text(v));
	} else {
		log_warn("refused %s \"%s\" at %s: %s", what, name ? name : "", at,
			 nj_verdict_text(v));
	}
}

/* The --allow-name values as a JSON array (one per line in the list). */
static void names_json(const char *list, struct nj_buf *b)
{
	char one[256];

	nj_buf_printf(b, "[");
	for (const char *s = list; *s != '\0';) {
		size_t l = strcspn(s, "\n");

		snprintf(one, sizeof(one), "%.*s", (int)(l < sizeof(one) ? l : sizeof(one) - 1), s);
		nj_buf_printf(b, "%s", s == list ? "" : ",");
		nj_buf_json_str(b, one);
		s += l + (s[l] == '\n');
	}
	nj_buf_printf(b, "]");
}

void manager_policy_status(const struct manager *m, struct nj_buf *b, bool json)
{
	const struct nj_policy *p = &m->policy;
	uint64_t total = 0;
	char c[INET6_ADDRSTRLEN + 8];

	for (unsigned i = 0; i < m->nlis; i++) {
		total += m->lis[i].refused_policy;
	}
	if (!json) {
		nj_buf_printf(b, "; %s%s, %llu refused", p->restricted ? "allow list" : "open to all",
			      p->require_auth ? " with authentication" : "",
			      (unsigned long long)total);
		return;
	}
	nj_buf_printf(b, ",\"refused_policy\":%llu,\"policy\":{\"allow\":[",
		      (unsigned long long)total);
	for (unsigned i = 0; i < p->nallow; i++) {
		nj_buf_printf(b, "%s\"%s\"", i ? "," : "", nj_cidr_format(&p->allow[i], c, sizeof(c)));
	}
	nj_buf_printf(b, "],\"allow_name\":");
	names_json(p->names, b);
	nj_buf_printf(b, ",\"require_auth\":%s,\"refused\":{", p->require_auth ? "true" : "false");
	for (unsigned i = 0; i < m->nlis; i++) {
		nj_buf_printf(b, "%s\"%s\":%llu", i ? "," : "", m->lis[i].ops->protocol,
			      (unsigned long long)m->lis[i].refused_policy);
	}
	nj_buf_printf(b, "}}");
}
