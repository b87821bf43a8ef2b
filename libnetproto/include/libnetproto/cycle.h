/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cycle.h - per-cycle packetizer (sender) and reassembler (receiver).
 *
 * Both are created once from the negotiated parameters, with every buffer sized
 * then (overflow-checked), and never allocate afterwards: packing and unpacking
 * a cycle are real-time safe (no malloc, no locks, no syscalls, bounded loops).
 *
 * One direction each: a master packs NJ_STREAM_SEND and unpacks NJ_STREAM_RETURN,
 * a slave the other way round. Packet order per cycle is jack2's: sync, MIDI
 * packets, audio packets; is_last on the last packet of the direction.
 */
#ifndef LIBNETPROTO_CYCLE_H
#define LIBNETPROTO_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/midi.h>
#include <libnetproto/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A frame codec for encoders whose per-port data is an opaque byte stream
 * (Opus). The core never links a codec library: the caller passes these.
 * Both calls must be real-time safe.
 */
struct nj_codec_ops {
	/* Encode one period of @ch into @stream (stream_len bytes, padding zeroed). */
	int (*encode)(void *ctx, unsigned ch, const float *in, uint8_t *stream);
	/* Decode @stream into one period; @stream NULL = the period was lost (conceal). */
	int (*decode)(void *ctx, unsigned ch, const uint8_t *stream, float *out);
	unsigned stream_len; /* bytes per port per period */
};

/** Which direction, and what the negotiation gave it. */
struct nj_cycle_config {
	enum nj_stream stream;   /* direction of the packets handled */
	uint32_t id;             /* session ID in every header */
	unsigned period;         /* frames */
	unsigned mtu;
	enum nj_encoder encoder; /* FLOAT, INT16, OPUS (CELT: -EOPNOTSUPP) */
	unsigned audio_channels; /* in this direction */
	unsigned midi_channels;  /* in this direction */
	unsigned midi_max_events;/* per port per cycle (bound; e.g. 512) */
	uint32_t midi_buffer_size; /* announced buffer_size (NJ_JACK2_MIDI_BUFSIZE) */
	unsigned slots;          /* receiver: cycles kept in flight (>= 2, <= NJ_MAX_LATENCY + 4) */
	const struct nj_codec_ops *codec; /* OPUS only */
	void *codec_ctx;
};

/** What the caller gives for one cycle (sender). */
struct nj_cycle_in {
	uint32_t cycle;
	const float *const *audio;          /* audio_channels buffers of period frames */
	const struct nj_portset *connected; /* locally connected audio ports (NULL = all) */
	const struct nj_portset *peer_wants;/* last list from the peer's sync (NULL = all) */
	const struct nj_portset *we_want;   /* our receive ports we need: the sync payload */
	unsigned we_want_n;                 /* our receive audio channels (sync list bound) */
	const struct nj_midi_event *const *midi; /* midi_channels arrays */
	const uint32_t *midi_count;         /* events per MIDI port */
};

/** One datagram to send; points into the packer's own memory. */
struct nj_datagram {
	const uint8_t *data;
	size_t len;
};

struct nj_packer;

/**
 * nj_packer_new - allocate a packer for @cfg (copied). Validates the
 * configuration (layouts exist, sizes do not overflow).
 * Returns 0 and *@ret, -EINVAL, -EOPNOTSUPP (CELT) or -ENOMEM.
 */
int nj_packer_new(const struct nj_cycle_config *cfg, struct nj_packer **ret);
void nj_packer_free(struct nj_packer *p);

/**
 * nj_packer_pack - build every datagram of one cycle. Real-time safe.
 * Float ports are sent if connected and wanted by the peer; int16/Opus send all
 * ports (unwanted as silence), as jack2 does. Sends frames = -1, as jack2 does.
 * MIDI is counted with mtu-48 chunks. Events beyond midi_max_events are
 * dropped and counted in the record's lost_events.
 * Returns 0 and sets *@ret_list/*@ret_n (valid until the next call), or a
 * negative errno (-EINVAL for bad input).
 */
int nj_packer_pack(struct nj_packer *p, const struct nj_cycle_in *in,
		   const struct nj_datagram **ret_list, unsigned *ret_n);

/** Counters a receiver keeps. All monotonic. */
struct nj_rx_stats {
	uint64_t packets;      /* accepted */
	uint64_t malformed;    /* failed a decoder check */
	uint64_t foreign;      /* wrong session ID or stream */
	uint64_t duplicate;    /* same cycle/type/sub seen before */
	uint64_t late;         /* for a cycle already taken or too old for the slots */
	uint64_t reordered;    /* arrived after a later packet of the same cycle/type */
	uint64_t lost;         /* packets never seen in taken cycles */
	uint64_t cycles;       /* cycles taken */
	uint64_t cycles_incomplete; /* taken with something missing (concealed) */
	uint64_t cycles_missing;    /* taken with nothing at all received */
	uint64_t midi_dropped; /* MIDI records dropped because a MIDI packet was lost */
};

/** A frame range missing from a taken cycle (for every port the packet carried). */
struct nj_range {
	uint32_t start;
	uint32_t len;
};

/** One reassembled cycle (receiver). Pointers valid until the next take. */
struct nj_cycle_out {
	uint32_t cycle;
	bool complete;                  /* everything expected arrived */
	bool have_sync;                 /* the sync packet arrived */
	struct nj_portset peer_wants;   /* the peer's sync list (all if no sync) */
	struct nj_portset present;      /* audio ports carried this cycle */
	float *const *audio;            /* audio_channels buffers, period frames; zero where absent */
	const struct nj_range *missing; /* frame ranges lost (float/int16) */
	unsigned nmissing;
	const struct nj_portset *opus_lost; /* Opus: ports whose frame was lost (decoded by PLC) */
	const struct nj_midi_event *const *midi; /* per MIDI port; empty if MIDI lost */
	const uint32_t *midi_count;
};

/** Result of pushing one datagram. */
enum nj_push_result {
	NJ_PUSH_OK = 0,
	NJ_PUSH_DUPLICATE,
	NJ_PUSH_LATE,
	NJ_PUSH_FOREIGN,
};

struct nj_unpacker;

int nj_unpacker_new(const struct nj_cycle_config *cfg, struct nj_unpacker **ret);
void nj_unpacker_free(struct nj_unpacker *u);

/**
 * nj_unpacker_push - take one received datagram. Real-time safe.
 * Validates the header and payload fully (bounds, sizes, indices) before
 * writing anything. Returns enum nj_push_result (>= 0) with *@ret_cycle set to
 * the packet's cycle, or -EBADMSG (counted as malformed).
 */
int nj_unpacker_push(struct nj_unpacker *u, const uint8_t *buf, size_t len,
		     uint32_t *ret_cycle);

/** nj_unpacker_has - is anything of @cycle held? */
bool nj_unpacker_has(const struct nj_unpacker *u, uint32_t cycle);

/** nj_unpacker_complete - has every packet of @cycle arrived (is_last seen, no gaps)? */
bool nj_unpacker_complete(const struct nj_unpacker *u, uint32_t cycle);

/**
 * nj_unpacker_take - hand out @cycle and release its slot; also drops every
 * held cycle older than it (counted lost). A cycle never seen comes back all
 * silent with complete = false and the whole period in missing.
 * Opus streams are decoded here (PLC for lost frames).
 */
int nj_unpacker_take(struct nj_unpacker *u, uint32_t cycle, struct nj_cycle_out *out);

/** nj_unpacker_stats - the counters. */
const struct nj_rx_stats *nj_unpacker_stats(const struct nj_unpacker *u);

/*
 * Receive scheduling for the master (which return cycle to render at master
 * cycle t). jack2 latches "offset = N" once and then reads one queued cycle
 * per cycle, so every lost cycle shortens its latency for good. Here the offset
 * D is latched when the first return cycle r with t - r >= N is held, and
 * from then on cycle t - D is rendered (concealed if absent) so that the delay
 * stays fixed. An async slave counts its own cycles; if it misses one, its
 * numbers fall behind for good: after NJ_RXSCHED_SLIP cycles in a row where
 * t - D is absent but t - D - 1 (or older, not yet taken) is held, D grows by
 * one; likewise D shrinks when only newer cycles arrive.
 */
#define NJ_RXSCHED_SLIP 4

struct nj_rxsched {
	unsigned latency; /* N */
	bool latched;
	uint32_t offset;  /* D */
	unsigned slip_older;
	unsigned slip_newer;
	uint64_t relatches;
};

void nj_rxsched_init(struct nj_rxsched *s, unsigned latency);

/**
 * nj_rxsched_pick - which return cycle to take at master cycle @t.
 * Returns true and *@ret_cycle, or false while still filling (render silence).
 */
bool nj_rxsched_pick(struct nj_rxsched *s, uint32_t t, const struct nj_unpacker *u,
		     uint32_t *ret_cycle);

#ifdef __cplusplus
}
#endif

#endif
