/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rxsched.c - which return cycle the master renders at its cycle t.
 *
 * jack2's master peeks at the oldest queued return packet, latches once
 * t - cycle == N, and from then on consumes one queued cycle per cycle: a lost
 * return cycle shortens its latency for good (NETJACK2-WIRE.md section 5).
 * Here the offset D is latched once and cycle t - D is taken every cycle,
 * concealed when absent, so losses never shorten the latency. D only grows,
 * when an async slave's numbers fall behind ours (see cycle.h). A peer that
 * sends cycle 0 throughout (PipeWire's driver) gets numbers by arrival order
 * (nj2_relabel_packet).
 */
#include <string.h>

#include "cycle-private.h"

void nj_rxsched_init(struct nj_rxsched *s, unsigned latency)
{
	memset(s, 0, sizeof(*s));
	s->latency = latency;
}

bool nj_rxsched_pick(struct nj_rxsched *s, uint32_t t, const struct nj2_unpacker *u,
		     uint32_t *ret_cycle)
{
	uint32_t seen = 0, r, want, limit;
	uint64_t arrivals = 0;
	bool any, arrived;

	if (s == NULL || u == NULL || ret_cycle == NULL) {
		return false;
	}
	any = nj2_unpacker_last_arrival(u, &seen, &arrivals);
	arrived = arrivals != s->arrivals;
	s->arrivals = arrivals;
	if (!s->latched) {
		/* The newest held cycle at least N old: D = N whenever the peer keeps up. */
		limit = t - s->latency;
		if (!nj2_unpacker_newest_held(u, &limit, &r)) {
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
	if (!nj2_unpacker_has(u, want) && arrived && any && nj_cycle_before(seen, want)) {
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

void nj2_relabel_init(struct nj2_relabel *r)
{
	memset(r, 0, sizeof(*r));
}

bool nj2_relabel_packet(struct nj2_relabel *r, uint8_t *buf, size_t len, uint32_t id,
		       uint32_t arrival)
{
	struct nj2_header h;

	if (r == NULL || buf == NULL || nj2_header_decode(buf, len, &h) < 0 ||
	    h.stream != NJ2_STREAM_RETURN || h.id != id) {
		return true;
	}
	if (!r->active) {
		bool plausible = arrival != 0 && arrival < UINT32_C(1) << 31;

		if (h.data_type == NJ2_DATA_SYNC) {
			if (h.cycle != 0 || !plausible) {
				r->zero_run = 0;
			} else if (r->zero_run == 0 || arrival != r->zero_arrival) {
				r->zero_run++;
				r->zero_arrival = arrival;
			}
		}
		if (h.cycle != 0 || !plausible) {
			return true;
		}
		if (r->zero_run < NJ2_RELABEL_RUN || h.data_type != NJ2_DATA_SYNC) {
			return false;
		}
		r->active = true;
		r->label = arrival;
	} else if (h.data_type == NJ2_DATA_SYNC) {
		int32_t d;

		r->label++;
		d = (int32_t)(arrival - r->label);
		if (d != 0 && d == r->drift) {
			if (++r->drift_run >= NJ2_RELABEL_RUN) {
				r->label += (uint32_t)d;
				r->moves++;
				r->drift = 0;
				r->drift_run = 0;
			}
		} else {
			r->drift = d;
			r->drift_run = d != 0;
		}
	}
	h.cycle = r->label;
	nj2_header_encode(&h, buf, len);
	return true;
}
