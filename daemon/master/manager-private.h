/* SPDX-License-Identifier: GPL-2.0-or-later */
/* manager-private.h - netjack-master's manager state (manager.c, manager-status.c). */
#ifndef NJ_MASTER_MANAGER_PRIVATE_H
#define NJ_MASTER_MANAGER_PRIVATE_H

#include "../common/ctl.h"
#include "../common/jclient.h"
#include "../common/log.h"
#include "../common/policy.h"
#include "manager.h"
#include "session.h"

#define MAX_LISTENERS 3

struct mslot {
	void *listener;              /* NULL: free */
	const struct listener_ops *lops;
	struct slot_desc d;          /* what the status shows (x and fd handed on) */
	struct session *sess;        /* started */
	bool releasing;              /* the session is going; the slot is free once it went */
	bool ready;                  /* its JACK client is up */
	uint64_t since_us;           /* claimed, then started */
	unsigned index;
	struct manager *m;
};

struct manager {
	sd_event *event;
	struct master_config cfg;
	struct mslot *slots;
	struct {
		const struct listener_ops *ops;
		void *l;
		uint64_t refused_policy; /* its peers' attempts the policy refused */
	} lis[MAX_LISTENERS];
	unsigned nlis;

	struct nj_jclient *jack;     /* the control client */
	bool jack_up;
	struct master_jack jk;
	sd_event_source *housekeeping;
	bool shutting_down;
	bool ready;        /* READY=1 told (the first JACK open has answered) */
	char hostname[NJ2_NETNAME_LEN + 1];
	struct nj_ctl *ctl;
	uint64_t started_us;
	struct nj_policy policy;      /* who may join (manager-policy.c) */
	struct nj_ratelimit rl_policy;
};

static inline uint64_t now_us(const struct manager *m)
{
	uint64_t t = 0;

	sd_event_now(m->event, CLOCK_MONOTONIC, &t);
	return t;
}

static inline const char *addr_text(const struct nj_sockaddr *a)
{
	static char buf[80];

	return nj_sockaddr_format(a, buf, sizeof(buf));
}

/* Sessions running now (started slots not going). */
static inline unsigned manager_running(const struct manager *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		n += m->slots[i].sess != NULL && !m->slots[i].releasing;
	}
	return n;
}

/** manager_policy_init - the policy from the configuration (-EINVAL: a bad value, logged). */
int manager_policy_init(struct manager *m);

/** manager_policy_status - the policy and its refusals in the status (@json: ",\"policy\":..."). */
void manager_policy_status(const struct manager *m, struct nj_buf *b, bool json);

/** manager_ctl_open - the control socket (status, kick). */
int manager_ctl_open(struct manager *m);

#endif
