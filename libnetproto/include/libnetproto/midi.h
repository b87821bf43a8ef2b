/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * midi.h - the netJACK2 MIDI buffer record (NETJACK2-WIRE.md section 8).
 *
 * One record per MIDI port, concatenated into the cycle's MIDI stream:
 *   24-byte BE header (magic, buffer_size, nframes, write_pos, event_count,
 *   lost_events), (event_count + 1) 12-byte LE event slots, write_pos data bytes.
 * Long events (> 4 bytes) are encoded correctly (jack2 1.9.21 puts garbage there)
 * and decoded with the record's own buffer_size.
 */
#ifndef LIBNETPROTO_MIDI_H
#define LIBNETPROTO_MIDI_H

#include <stddef.h>
#include <stdint.h>

#include <libnetproto/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NJ2_MIDI_RECORD_HEADER 24
#define NJ2_MIDI_EVENT_SLOT    12

/** The header fields of a decoded record. */
struct nj2_midi_record {
	uint32_t buffer_size;
	uint32_t nframes;
	uint32_t write_pos;
	uint32_t event_count;
	uint32_t lost_events;
	size_t length; /* bytes the record occupies in the stream */
};

/**
 * nj2_midi_record_size - bytes a record of @count events with @long_bytes bytes
 * of long-event data takes: 36 + 12*count + long_bytes (jack2's extra slot
 * included). Returns 0 on overflow.
 */
size_t nj2_midi_record_size(uint32_t count, size_t long_bytes);

/**
 * nj2_midi_encode - write one port's record.
 * @events/@count: events in time order; sizes >= 1 and <= NJ_MIDI_MAX_EVENT;
 * times < @nframes. @buffer_size: the buffer size to announce (use
 * NJ2_JACK2_MIDI_BUFSIZE for jack2 peers); long events get offsets
 * buffer_size - cumulative data, with their data laid out as jack2's buffer
 * holds it (last stored event's data first). Short events' unused bytes are 0,
 * and so is the extra slot. @lost: lost_events to announce.
 * Returns the record length, -ENOBUFS, or -EINVAL (bad event, data beyond
 * buffer_size).
 */
int nj2_midi_encode(uint8_t *buf, size_t len, const struct nj_midi_event *events, uint32_t count,
		   uint32_t nframes, uint32_t buffer_size, uint32_t lost);

/**
 * nj2_midi_decode - parse one record at the start of @buf/@len.
 * Checks the magic, that the record fits in @len, event_count <= @max_events,
 * write_pos <= buffer_size, every event's size >= 1, time < @period (an event at
 * or past the period is dropped and counted in lost_events, not an error) and
 * every long event's data inside the record's data area.
 * Fills up to @max_events of @ret_events (data pointers into @buf) and
 * *@ret_rec. Returns the number of events stored, or -EBADMSG.
 */
int nj2_midi_decode(const uint8_t *buf, size_t len, unsigned period,
		   struct nj_midi_event *ret_events, uint32_t max_events,
		   struct nj2_midi_record *ret_rec);

#ifdef __cplusplus
}
#endif

#endif
