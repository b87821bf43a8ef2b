/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cycle-pack.c - the sender side of one cycle: sync, MIDI, audio datagrams in
 * jack2's order and layout (NETJACK2-WIRE.md sections 4-8).
 *
 * Every datagram of a cycle is written back to back into one arena sized in
 * nj2_packer_new() for the largest cycle the configuration allows; packing
 * never allocates.
 *
 * The bytes are jack2's wherever jack2 is deterministic, stale header fields
 * included (the golden tests compare whole captured datagrams). Where we
 * differ, on purpose:
 *  - MIDI packet count ceil(D/(mtu-48)), what jack2's receiver expects;
 *    jack2's sender announces ceil(D/(mtu-112)) and may send an empty or
 *    (negative length) broken extra packet;
 *  - long MIDI events (> 4 bytes) carry their data; jack2 1.9.21 sends bytes
 *    from a wrong address;
 *  - the MIDI stream is capped at ports * P * 4 bytes (jack2's unchecked
 *    receive buffer), events that do not fit are dropped and announced;
 *  - padding jack2 leaves stale (the extra MIDI event slot, unused bytes of
 *    short events, Opus padding after the codec's bytes) is zero here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/audio.h>
#include <libnetproto/cycle.h>
#include <libnetproto/midi.h>

#include "cycle-private.h"

/* The largest sync packet: an index for each of NJ_MAX_CHANNELS ports. */
#define SYNC_MAX (NJ2_HEADER_SIZE + 4 * NJ_MAX_CHANNELS)

struct nj2_packer {
	struct nj2_cycle_config cfg;
	struct nj2_layout lay;
	uint8_t *arena; /* the datagrams of one cycle, back to back */
	size_t arena_len;
	size_t used;
	struct nj_datagram *list;
	unsigned list_max;
	unsigned n;
	/*
	 * jack2 fills one header struct, zeroed once, and each packet type sets
	 * only some fields: a sync packet carries the num_packet the previous
	 * cycle's last packet left, a MIDI packet the sync's active_ports. Keeping
	 * the struct across cycles reproduces those stale values exactly.
	 */
	struct nj2_header hdr;
	uint8_t *midi;                /* the cycle's MIDI stream (lay.midi_tx_max) */
	struct nj_midi_event *events; /* the events of one port we keep */
	uint8_t *streams;             /* int16/Opus: audio_channels * stream_len */
	const uint8_t **stream_ptr;
	const float **active; /* float: the active ports' buffers */
	uint32_t *index;      /* float: their indices */
	float *silence;       /* one period of zeros */
	struct nj2_tiles *tiles; /* tiled float: per active count */
};

void nj2_packer_free(struct nj2_packer *p)
{
	if (p == NULL) {
		return;
	}
	free(p->arena);
	free(p->list);
	free(p->midi);
	free(p->events);
	free(p->streams);
	free(p->stream_ptr);
	free(p->active);
	free(p->index);
	free(p->silence);
	free(p->tiles);
	free(p);
}

int nj2_packer_new(const struct nj2_cycle_config *cfg, struct nj2_packer **ret)
{
	struct nj2_layout lay;
	struct nj2_packer *p;
	size_t arena;
	unsigned chans;
	int r;

	if (ret == NULL) {
		return -EINVAL;
	}
	r = nj2_cycle_layout(cfg, &lay);
	if (r < 0) {
		return r;
	}
	/* The MIDI packets are at most mtu bytes each: a header and mtu - 48 of stream. */
	if (!nj_size_muladd(lay.midi_tx_packets, cfg->mtu, SYNC_MAX, &arena) ||
	    __builtin_add_overflow(arena, lay.audio_bytes, &arena)) {
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return -ENOMEM;
	}
	p->cfg = *cfg;
	p->lay = lay;
	p->arena_len = arena;
	p->list_max = 1 + lay.midi_tx_packets + lay.audio_max;
	p->arena = nj_calloc_array(arena, 1);
	p->list = nj_calloc_array(p->list_max, sizeof(*p->list));
	chans = cfg->audio_channels;
	p->active = nj_calloc_array(chans, sizeof(*p->active));
	p->index = nj_calloc_array(chans, sizeof(*p->index));
	p->silence = nj_calloc_array(cfg->period, sizeof(*p->silence));
	p->streams = nj_calloc_array(chans, lay.stream_len);
	p->stream_ptr = nj_calloc_array(chans, sizeof(*p->stream_ptr));
	p->midi = nj_calloc_array(lay.midi_tx_max, 1);
	p->events = nj_calloc_array(cfg->midi_max_events, sizeof(*p->events));
	p->tiles = nj2_cycle_tiled(cfg) ? nj2_cycle_tiles(cfg) : NULL;
	if (!p->arena || !p->list || !p->active || !p->index || !p->silence || !p->streams ||
	    !p->stream_ptr || !p->midi || !p->events || (nj2_cycle_tiled(cfg) && !p->tiles)) {
		nj2_packer_free(p);
		return -ENOMEM;
	}
	for (unsigned ch = 0; ch < chans; ch++) {
		p->stream_ptr[ch] = p->streams + (size_t)ch * lay.stream_len;
	}
	p->hdr.stream = cfg->stream;
	p->hdr.id = cfg->id;
	*ret = p;
	return 0;
}

/* Room left in the arena for the payload of the next datagram. */
static uint8_t *next_payload(struct nj2_packer *p, size_t *ret_space)
{
	*ret_space = p->arena_len - p->used - NJ2_HEADER_SIZE;
	return p->arena + p->used + NJ2_HEADER_SIZE;
}

/* Finish the datagram whose payload next_payload() handed out. */
static int emit(struct nj2_packer *p, size_t payload)
{
	uint8_t *buf = p->arena + p->used;

	if (p->n >= p->list_max) {
		return -ENOBUFS;
	}
	p->hdr.packet_size = (uint32_t)(NJ2_HEADER_SIZE + payload);
	nj2_header_encode(&p->hdr, buf, NJ2_HEADER_SIZE);
	p->list[p->n].data = buf;
	p->list[p->n].len = NJ2_HEADER_SIZE + payload;
	p->n++;
	p->used += NJ2_HEADER_SIZE + payload;
	return 0;
}

/* Finish audio packet @k of @n, whose payload encoder returned @len. */
static int emit_audio(struct nj2_packer *p, unsigned k, unsigned n, int len)
{
	if (len < 0) {
		return len;
	}
	p->hdr.sub_cycle = k;
	p->hdr.is_last = k + 1 == n;
	return emit(p, (size_t)len);
}

static bool in_set(const struct nj_portset *set, unsigned port)
{
	return set == NULL || nj_portset_has(set, port);
}

/* Is port @ch sent with its data (float: sent at all)? jack2: connected and wanted. */
static bool port_live(const struct nj2_cycle_in *in, unsigned ch)
{
	return in_set(in->connected, ch) && in_set(in->peer_wants, ch) && in->audio != NULL &&
	       in->audio[ch] != NULL;
}

static int pack_sync(struct nj2_packer *p, const struct nj2_cycle_in *in)
{
	struct nj_portset all;
	const struct nj_portset *want = in->we_want;
	size_t space;
	uint8_t *pl = next_payload(p, &space);
	int len;

	if (want == NULL) {
		nj_portset_fill(&all, in->we_want_n);
		want = &all;
	}
	len = nj2_sync_encode(want, in->we_want_n, pl, space);
	if (len < 0) {
		return len;
	}
	p->hdr.data_type = NJ2_DATA_SYNC;
	p->hdr.active_ports = (uint32_t)len / 4;
	p->hdr.sub_cycle = 0;
	p->hdr.is_last = p->cfg.audio_channels == 0 && p->cfg.midi_channels == 0;
	return emit(p, (size_t)len);
}

/*
 * Keep the events of one port that are valid and fit: in time order, inside
 * the period, at most midi_max_events, the record within @budget bytes and
 * its long-event data within the announced buffer size. The rest is dropped
 * and announced as lost_events.
 */
static uint32_t midi_keep(struct nj2_packer *p, const struct nj_midi_event *ev, uint32_t count,
			  size_t budget)
{
	uint32_t kept = 0, last_time = 0;
	size_t long_bytes = 0;

	for (uint32_t i = 0; ev != NULL && i < count; i++) {
		const struct nj_midi_event *e = &ev[i];
		size_t lb;

		if (e->size == 0 || e->size > NJ_MIDI_MAX_EVENT || e->data == NULL ||
		    e->time >= p->cfg.period || e->time < last_time ||
		    kept == p->cfg.midi_max_events) {
			continue;
		}
		lb = long_bytes + (e->size > 4 ? e->size : 0);
		if (lb > p->lay.midi_buffer_size || nj2_midi_record_size(kept + 1, lb) > budget) {
			continue;
		}
		p->events[kept++] = *e;
		long_bytes = lb;
		last_time = e->time;
	}
	return kept;
}

/* The MIDI stream: one record per port; then packets of mtu - 48 bytes of it. */
static int pack_midi(struct nj2_packer *p, const struct nj2_cycle_in *in)
{
	unsigned ports = p->cfg.midi_channels, chunk = p->lay.midi_chunk, n;
	size_t off = 0;

	for (unsigned port = 0; port < ports; port++) {
		/* Leave room for the empty records of the ports after this one. */
		size_t reserve = (size_t)(ports - 1 - port) * nj2_midi_record_size(0, 0);
		size_t budget = p->lay.midi_tx_max - off - reserve;
		uint32_t count = in->midi_count ? in->midi_count[port] : 0;
		const struct nj_midi_event *ev = in->midi ? in->midi[port] : NULL;
		uint32_t kept = midi_keep(p, ev, count, budget);
		uint32_t lost = ev ? count - kept : 0;
		int len = nj2_midi_encode(p->midi + off, budget, p->events, kept, p->cfg.period,
					 p->lay.midi_buffer_size, lost);

		if (len < 0) {
			return len;
		}
		off += (size_t)len;
	}
	/* jack2's receiver expects ceil(D / (mtu-48)) (its sender's mtu-112 count is a bug);
	 * tiled, chunks of the budget (lay.midi_chunk) */
	n = nj2_layout_midi_packets(&p->lay, off);
	p->hdr.data_type = NJ2_DATA_MIDI;
	p->hdr.num_packet = n;
	for (unsigned k = 0; k < n; k++) {
		size_t space, start = (size_t)k * chunk;
		size_t len = off - start < chunk ? off - start : chunk;
		uint8_t *pl = next_payload(p, &space);
		int r;

		if (len > space) {
			return -ENOBUFS;
		}
		memcpy(pl, p->midi + start, len);
		p->hdr.sub_cycle = k;
		p->hdr.is_last = p->cfg.audio_channels == 0 && k + 1 == n;
		r = emit(p, len);
		if (r < 0) {
			return r;
		}
	}
	return 0;
}

/* Tiled float: the tiles of @active live ports (NJ2_EXT_TILED). */
static int pack_tiles(struct nj2_packer *p, unsigned active)
{
	const struct nj2_tiles *t = &p->tiles[active];

	p->hdr.num_packet = t->n;
	for (unsigned k = 0; k < t->n; k++) {
		size_t space;
		uint8_t *pl = next_payload(p, &space);
		int r = emit_audio(p, k, t->n,
				   nj2_tile_encode(pl, space, p->active, p->index, active,
						   p->cfg.period, t, k));

		if (r < 0) {
			return r;
		}
	}
	return 0;
}

/* Float: only live ports; with none, jack2's single header-only packet. */
static int pack_float(struct nj2_packer *p, const struct nj2_cycle_in *in)
{
	unsigned active = 0, s, n;

	for (unsigned ch = 0; ch < p->cfg.audio_channels; ch++) {
		if (port_live(in, ch)) {
			p->active[active] = in->audio[ch];
			p->index[active] = ch;
			active++;
		}
	}
	p->hdr.data_type = NJ2_DATA_AUDIO;
	p->hdr.active_ports = active;
	if (active == 0) {
		p->hdr.num_packet = 1;
		p->hdr.sub_cycle = 0;
		p->hdr.is_last = 1;
		return emit(p, 0);
	}
	if (p->tiles != NULL) {
		return pack_tiles(p, active);
	}
	s = nj2_float_subperiod(p->cfg.mtu, active, p->cfg.period);
	n = nj2_float_packets(p->cfg.mtu, active, p->cfg.period);
	p->hdr.num_packet = n;
	for (unsigned k = 0; k < n; k++) {
		size_t space;
		uint8_t *pl = next_payload(p, &space);
		int r = emit_audio(p, k, n,
				   nj2_float_encode(pl, space, p->active, p->index, active, k, s));

		if (r < 0) {
			return r;
		}
	}
	return 0;
}

/* int16 and Opus: every port, silence for those not live (jack2 does the same). */
static int pack_streams(struct nj2_packer *p, const struct nj2_cycle_in *in)
{
	unsigned chans = p->cfg.audio_channels, n = p->lay.stream_n;
	size_t len = p->lay.stream_len;

	for (unsigned ch = 0; ch < chans; ch++) {
		uint8_t *st = p->streams + ch * len;
		const float *src = port_live(in, ch) ? in->audio[ch] : p->silence;

		if (p->cfg.encoder == NJ2_ENCODER_INT16) {
			nj2_int16_from_float(st, src, p->cfg.period);
		} else if (p->cfg.codec->encode(p->cfg.codec_ctx, ch, src, st) < 0) {
			/* jack2 sends length 0 when its encoder fails: the peer conceals. */
			memset(st, 0, len);
		}
	}
	p->hdr.data_type = NJ2_DATA_AUDIO;
	p->hdr.active_ports = chans;
	p->hdr.num_packet = n;
	for (unsigned k = 0; k < n; k++) {
		size_t space;
		uint8_t *pl = next_payload(p, &space);
		int r = emit_audio(p, k, n,
				   nj2_stream_encode(pl, space, p->cfg.mtu, p->stream_ptr, chans,
						    (unsigned)len, k));

		if (r < 0) {
			return r;
		}
	}
	return 0;
}

int nj2_packer_pack(struct nj2_packer *p, const struct nj2_cycle_in *in,
		   const struct nj_datagram **ret_list, unsigned *ret_n)
{
	int r;

	if (p == NULL || in == NULL || ret_list == NULL || ret_n == NULL ||
	    in->we_want_n > NJ_MAX_CHANNELS) {
		return -EINVAL;
	}
	p->used = 0;
	p->n = 0;
	p->hdr.cycle = in->cycle;
	p->hdr.frames = -1;
	r = pack_sync(p, in);
	if (r == 0 && p->cfg.midi_channels > 0) {
		r = pack_midi(p, in);
	}
	if (r == 0 && p->cfg.audio_channels > 0) {
		/* int16 audio carries the real frame count: a jack2 receiver
		 * converts fFrames samples of it, none for jack2's own -1 */
		if (p->cfg.encoder == NJ2_ENCODER_INT16) {
			p->hdr.frames = (int32_t)p->cfg.period;
		}
		r = p->cfg.encoder == NJ2_ENCODER_FLOAT ? pack_float(p, in) : pack_streams(p, in);
	}
	if (r < 0) {
		return r;
	}
	*ret_list = p->list;
	*ret_n = p->n;
	return 0;
}
