/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * midi.c - one port's MIDI record (NETJACK2-WIRE.md section 8).
 *
 * jack2 sends its in-memory JACK MIDI buffer: a header, the event array with
 * one stale extra slot (it copies sizeof a struct that embeds one event), and
 * the tail of the buffer where events longer than 4 bytes keep their data,
 * stored downwards from the end. Offsets in the event array are relative to the
 * start of the sender's buffer, so a receiver locates data with the record's
 * own buffer_size.
 */
#include <errno.h>
#include <string.h>

#include <libnetproto/midi.h>
#include <libnetproto/wire.h>

enum {
	R_MAGIC = 0,
	R_BUFFER_SIZE = 4,
	R_NFRAMES = 8,
	R_WRITE_POS = 12,
	R_EVENT_COUNT = 16,
	R_LOST = 20,
};

enum {
	E_TIME = 0,
	E_SIZE = 4,
	E_DATA = 8, /* inline data (size <= 4) or the offset of long data */
};

#define INLINE_MAX 4

size_t nj2_midi_record_size(uint32_t count, size_t long_bytes)
{
	size_t slots, size;

	if (__builtin_mul_overflow((size_t)count + 1, (size_t)NJ2_MIDI_EVENT_SLOT, &slots) ||
	    __builtin_add_overflow(slots, (size_t)NJ2_MIDI_RECORD_HEADER, &size) ||
	    __builtin_add_overflow(size, long_bytes, &size)) {
		return 0;
	}
	return size;
}

int nj2_midi_encode(uint8_t *buf, size_t len, const struct nj_midi_event *events, uint32_t count,
		   uint32_t nframes, uint32_t buffer_size, uint32_t lost)
{
	size_t long_bytes = 0, need, cum = 0;
	uint8_t *slot, *area;

	if (buf == NULL || (count > 0 && events == NULL)) {
		return -EINVAL;
	}
	for (uint32_t i = 0; i < count; i++) {
		const struct nj_midi_event *e = &events[i];

		if (e->size == 0 || e->size > NJ_MIDI_MAX_EVENT || e->data == NULL ||
		    e->time >= nframes) {
			return -EINVAL;
		}
		if (e->size > INLINE_MAX) {
			long_bytes += e->size;
		}
	}
	if (long_bytes > buffer_size) {
		return -EINVAL;
	}
	need = nj2_midi_record_size(count, long_bytes);
	if (need == 0 || need > INT32_MAX) {
		return -EINVAL;
	}
	if (need > len) {
		return -ENOBUFS;
	}
	nj_put_be32(buf + R_MAGIC, NJ2_MIDI_MAGIC);
	nj_put_be32(buf + R_BUFFER_SIZE, buffer_size);
	nj_put_be32(buf + R_NFRAMES, nframes);
	nj_put_be32(buf + R_WRITE_POS, (uint32_t)long_bytes);
	nj_put_be32(buf + R_EVENT_COUNT, count);
	nj_put_be32(buf + R_LOST, lost);

	slot = buf + NJ2_MIDI_RECORD_HEADER;
	area = slot + ((size_t)count + 1) * NJ2_MIDI_EVENT_SLOT;
	for (uint32_t i = 0; i < count; i++, slot += NJ2_MIDI_EVENT_SLOT) {
		const struct nj_midi_event *e = &events[i];

		/* The event array is in host order on the wire (jack2 never swaps it). */
		nj_put_le32(slot + E_TIME, e->time);
		nj_put_le32(slot + E_SIZE, e->size);
		memset(slot + E_DATA, 0, 4);
		if (e->size <= INLINE_MAX) {
			memcpy(slot + E_DATA, e->data, e->size);
			continue;
		}
		/* Long data is allocated downwards from the end of the buffer:
		 * event i sits at buffer_size - cum_i, i.e. at write_pos - cum_i in
		 * the data area we send (jack2 1.9.21 sends garbage here). */
		cum += e->size;
		nj_put_le32(slot + E_DATA, (uint32_t)(buffer_size - cum));
		memcpy(area + (long_bytes - cum), e->data, e->size);
	}
	memset(slot, 0, NJ2_MIDI_EVENT_SLOT); /* jack2's extra slot: stale memory there */
	return (int)need;
}

int nj2_midi_decode(const uint8_t *buf, size_t len, unsigned period,
		   struct nj_midi_event *ret_events, uint32_t max_events,
		   struct nj2_midi_record *ret_rec)
{
	struct nj2_midi_record r;
	const uint8_t *slot, *area;
	uint32_t stored = 0;
	size_t area_base;

	if (ret_rec == NULL || (max_events > 0 && ret_events == NULL)) {
		return -EINVAL;
	}
	if (buf == NULL || len < NJ2_MIDI_RECORD_HEADER || nj_get_be32(buf + R_MAGIC) != NJ2_MIDI_MAGIC) {
		return -EBADMSG;
	}
	r.buffer_size = nj_get_be32(buf + R_BUFFER_SIZE);
	r.nframes = nj_get_be32(buf + R_NFRAMES);
	r.write_pos = nj_get_be32(buf + R_WRITE_POS);
	r.event_count = nj_get_be32(buf + R_EVENT_COUNT);
	r.lost_events = nj_get_be32(buf + R_LOST);
	if (r.event_count > max_events || r.write_pos > r.buffer_size) {
		return -EBADMSG;
	}
	r.length = nj2_midi_record_size(r.event_count, r.write_pos);
	if (r.length == 0 || r.length > len) {
		return -EBADMSG;
	}
	slot = buf + NJ2_MIDI_RECORD_HEADER;
	area = slot + ((size_t)r.event_count + 1) * NJ2_MIDI_EVENT_SLOT;
	area_base = (size_t)r.buffer_size - r.write_pos;

	for (uint32_t i = 0; i < r.event_count; i++, slot += NJ2_MIDI_EVENT_SLOT) {
		uint32_t time = nj_get_le32(slot + E_TIME);
		uint32_t size = nj_get_le32(slot + E_SIZE);
		const uint8_t *data = slot + E_DATA;

		if (size == 0 || size > NJ_MIDI_MAX_EVENT) {
			return -EBADMSG;
		}
		if (size > INLINE_MAX) {
			uint32_t offset = nj_get_le32(slot + E_DATA);
			size_t pos;

			if (offset < area_base) {
				return -EBADMSG;
			}
			pos = offset - area_base;
			if (pos > r.write_pos || size > r.write_pos - pos) {
				return -EBADMSG;
			}
			data = area + pos;
		}
		if (time >= period) {
			/* Outside our period: not an attack, just unusable. */
			r.lost_events++;
			continue;
		}
		ret_events[stored].time = time;
		ret_events[stored].size = size;
		ret_events[stored].data = data;
		stored++;
	}
	*ret_rec = r;
	return (int)stored;
}
