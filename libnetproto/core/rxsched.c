/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rxsched.c - which return cycle the master renders at its cycle t.
 *
 * jack2's master peeks at the oldest queued return packet, latches once
 * t - cycle == N, and from then on consumes one queued cycle per cycle: a lost
 * return cycle shortens its latency for good (NETJACK2-WIRE.md section 5).
 * Here the offset D is latched once and cycle t - D is taken every cycle,
 * concealed when absent, so losses never shorten the latency. D only grows,
 * when an async slave's numbers fall behind ours (see cycle.h).
 */
#include <string.h>

#include "cycle-private.h"

void nj_rxsched_init(struct nj_rxsched *s, unsigned latency)
{
	memset(s, 0, sizeof(*s));
	s->latency = latency;
}

bool nj_rxsched_pick(struct nj_rxsched *s, uint32_t t, const struct nj_unpacker *u,
		     uint32_t *ret_cycle)
{
	uint32_t seen = 0, r, want, limit;
	uint64_t arrivals = 0;
	bool any, arrived;

	if (s == NULL || u == NULL || ret_cycle == NULL) {
		return false;
	}
	any = nj_unpacker_last_arrival(u, &seen, &arrivals);
	arrived = arrivals != s->arrivals;
	s->arrivals = arrivals;
	if (!s->latched) {
		/* The newest held cycle at least N old: D = N whenever the peer keeps up. */
		limit = t - s->latency;
		if (!nj_unpacker_newest_held(u, &limit, &r)) {
			return false;
		}
		s->latched = true;
		s->offset = t - r;
		s->slip_older = 0;
		*ret_cycle = r;
		return true;
	}
	want = t - s->offset;
	/*
	 * A slip shows as: the cycle we want is absent while packets keep
	 * arriving (the peer is alive), the last one for a cycle before it. A
	 * burst of lost cycles (nothing arrives) or a lost cycle among newer
	 * ones that arrived does not count.
	 */
	if (!nj_unpacker_has(u, want) && arrived && any && nj_cycle_before(seen, want)) {
		s->slip_older++;
	} else {
		s->slip_older = 0;
	}
	if (s->slip_older >= NJ_RXSCHED_SLIP) {
		s->offset++;
		s->relatches++;
		s->slip_older = 0;
	}
	*ret_cycle = t - s->offset;
	return true;
}
