/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netone-midi.c - the MIDI list of one channel block (doc/protocol/NETONE.md
 * section 4): records of BE words [3 + q, time, size, data padded to q words],
 * ended by a zero word.
 *
 * jack2 trusts what it reads (the size word decides how far it skips and how
 * much it copies, the length word is only tested for zero) and its encoder in
 * Opus mode believes a block is twice its size. Here both sides stay inside
 * the block, and every byte the encoder leaves is zero (jack2's are stale).
 */
#include <errno.h>
#include <string.h>

#include <libnetproto/netone.h>
#include <libnetproto/wire.h>

static bool event_ok(const struct nj_midi_event *e, uint32_t period, uint32_t last_time)
{
	return e->size >= 1 && e->size <= NJ_MIDI_MAX_EVENT && e->data != NULL &&
	       e->time < period && e->time >= last_time;
}

int nj1_midi_encode(uint8_t *block, size_t len, const struct nj_midi_event *events, uint32_t count,
		    uint32_t period, uint32_t *ret_dropped)
{
	size_t words = len / 4, written = 0;
	uint32_t dropped = 0, last_time = 0;

	if (block == NULL || (events == NULL && count > 0)) {
		return -EINVAL;
	}
	if (words < 1) {
		return -ENOBUFS;
	}
	memset(block, 0, len);
	for (uint32_t i = 0; i < count; i++) {
		const struct nj_midi_event *e = &events[i];
		size_t q, rec;

		if (!event_ok(e, period, last_time)) {
			dropped++; /* JACK would not have handed it out */
			continue;
		}
		q = (e->size + 3) / 4;
		rec = 3 + q;
		/* jack2's rule: write only if the end word still fits after it;
		 * the first event that does not is dropped with all later ones */
		if (written + rec + 1 >= words) {
			dropped += count - i;
			break;
		}
		nj_put_be32(block + 4 * written, (uint32_t)rec);
		nj_put_be32(block + 4 * (written + 1), e->time);
		nj_put_be32(block + 4 * (written + 2), e->size);
		memcpy(block + 4 * (written + 3), e->data, e->size);
		written += rec;
		last_time = e->time;
	}
	/* the end word is already there: the block was zeroed */
	if (ret_dropped != NULL) {
		*ret_dropped = dropped;
	}
	return (int)(4 * (written + 1));
}

int nj1_midi_decode(const uint8_t *block, size_t len, uint32_t period,
		    struct nj_midi_event *ret_events, uint32_t max, struct nj1_midi_list *ret_list)
{
	size_t words = len / 4, i = 0;
	struct nj1_midi_list list = {.dropped = 0, .end = NJ1_MIDI_END_BLOCK};
	uint32_t n = 0, last_time = 0;

	if (block == NULL || (ret_events == NULL && max > 0)) {
		return -EINVAL;
	}
	while (i < words) {
		uint32_t rec = nj_get_be32(block + 4 * i), time, size;
		size_t q;

		if (rec == 0) {
			list.end = NJ1_MIDI_END_WORD;
			break;
		}
		if (words - i < 3) {
			list.end = NJ1_MIDI_END_BAD; /* a record header cut by the block's end */
			break;
		}
		time = nj_get_be32(block + 4 * (i + 1));
		size = nj_get_be32(block + 4 * (i + 2));
		/* jack2 skips by the size word alone: a size of 0 skips 2^30 words,
		 * a large one copies memory beyond the packet */
		if (size == 0 || size > NJ_MIDI_MAX_EVENT) {
			list.end = NJ1_MIDI_END_BAD;
			break;
		}
		q = (size + 3) / 4;
		if (rec != 3 + q || words - i - 3 < q) {
			list.end = NJ1_MIDI_END_BAD;
			break;
		}
		/* JACK drops events at or past the period and out of time order */
		if (time >= period || time < last_time || n >= max) {
			list.dropped++;
		} else {
			ret_events[n].time = time;
			ret_events[n].size = size;
			ret_events[n].data = block + 4 * (i + 3);
			n++;
			last_time = time;
		}
		i += 3 + q;
	}
	if (ret_list != NULL) {
		*ret_list = list;
	}
	return (int)n;
}
