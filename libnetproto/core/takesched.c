/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * takesched.c - when the network runner takes a received cycle (exchange.h).
 *
 * The first version waited a fixed 2 ms for an incomplete cycle: longer than
 * the clock bridge's 1 ms jitter margin, so a lossy cycle could reach the
 * bridge too late and cost an underrun on top of the lost packet, depending
 * on the phase of the two clocks (about one run in five of 3 % loss: 81
 * underruns for 90 lost packets). The wait now follows the spread of the
 * cycles' packets.
 */
#include <string.h>

#include <libnetproto/exchange.h>

void nj_takesched_init(struct nj_takesched *s, uint64_t min_us, uint64_t max_us, uint64_t pad_us)
{
	memset(s, 0, sizeof(*s));
	s->min_us = min_us;
	s->max_us = max_us > min_us ? max_us : min_us;
	s->pad_us = pad_us;
	/* the longest wait until spreads are known */
	s->spread_us = s->max_us > pad_us ? (double)(s->max_us - pad_us) / 2 : 0;
}

uint64_t nj_takesched_wait(const struct nj_takesched *s)
{
	double d = 2 * s->spread_us + (double)s->pad_us;

	if (d < (double)s->min_us) {
		return s->min_us;
	}
	return d > (double)s->max_us ? s->max_us : (uint64_t)d;
}

static bool seen_is(const struct nj_takesched *s, uint32_t cycle)
{
	return s->seen[cycle % NJ_TAKE_SEEN].cycle == cycle &&
	       s->seen[cycle % NJ_TAKE_SEEN].first_us != 0;
}

uint64_t nj_takesched_first(const struct nj_takesched *s, uint32_t cycle)
{
	return seen_is(s, cycle) ? s->seen[cycle % NJ_TAKE_SEEN].first_us : 0;
}

bool nj_takesched_packet(struct nj_takesched *s, uint32_t cycle, uint64_t now)
{
	int32_t d;

	if (!seen_is(s, cycle)) {
		s->seen[cycle % NJ_TAKE_SEEN].cycle = cycle;
		s->seen[cycle % NJ_TAKE_SEEN].first_us = now;
	}
	s->seen[cycle % NJ_TAKE_SEEN].last_us = now;
	if (!s->started) {
		s->started = true;
		s->expected = s->newest = cycle;
		return false;
	}
	d = (int32_t)(cycle - s->expected);
	if (d > NJ_TAKE_GAP || d < -NJ_TAKE_GAP) {
		s->expected = s->newest = cycle;
		s->resyncs++;
		return true;
	}
	if (nj_cycle_before(s->newest, cycle)) {
		s->newest = cycle;
	}
	return false;
}

void nj_takesched_late(struct nj_takesched *s, uint32_t cycle, uint64_t now)
{
	uint64_t first = nj_takesched_first(s, cycle);

	/* a packet of a cycle taken without it: the spread is at least this */
	if (first != 0 && now > first && (double)(now - first) > s->spread_us) {
		s->spread_us = (double)(now - first);
	}
}

enum nj_take_why nj_takesched_poll(struct nj_takesched *s, uint64_t now, bool has,
				   bool complete, uint32_t *ret_cycle)
{
	uint32_t c = s->expected;
	enum nj_take_why why;

	if (!s->started) {
		return NJ_TAKE_NONE;
	}
	if (has && complete) {
		uint64_t first = s->seen[c % NJ_TAKE_SEEN].first_us;
		uint64_t last = s->seen[c % NJ_TAKE_SEEN].last_us;
		double keep = s->spread_us * 0.999; /* half in ~700 cycles */

		if (seen_is(s, c) && last >= first) {
			s->spread_us = (double)(last - first) > keep ? (double)(last - first) : keep;
		}
		why = NJ_TAKE_COMPLETE;
	} else if (nj_cycle_before(c, s->newest)) {
		why = NJ_TAKE_NEXT;
	} else if (has && seen_is(s, c) &&
		   now >= s->seen[c % NJ_TAKE_SEEN].first_us + nj_takesched_wait(s)) {
		why = NJ_TAKE_DEADLINE;
	} else {
		return NJ_TAKE_NONE;
	}
	*ret_cycle = c;
	s->expected = c + 1;
	return why;
}

uint64_t nj_takesched_due(const struct nj_takesched *s, bool has)
{
	if (!s->started || !has || !seen_is(s, s->expected)) {
		return NJ_TIME_NEVER;
	}
	return s->seen[s->expected % NJ_TAKE_SEEN].first_us + nj_takesched_wait(s);
}
