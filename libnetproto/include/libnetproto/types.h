/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * types.h - what every protocol's code shares: limits, port sets, MIDI
 * events, datagrams, frame codecs, receive counters, peer addresses, time.
 * Nothing here belongs to one protocol; netJACK2's names carry nj2_, JackTrip's
 * jt_, netJACK1's nj1_.
 */
#ifndef LIBNETPROTO_TYPES_H
#define LIBNETPROTO_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NJ_MTU_MIN           256
#define NJ_MTU_MAX           9000
#define NJ_MTU_DEFAULT       1500
#define NJ_PERIOD_MIN        16
#define NJ_PERIOD_MAX        8192
#define NJ_RATE_MAX          768000
#define NJ_MAX_CHANNELS      256 /* hard limit per direction, audio and MIDI each */
#define NJ_MAX_LATENCY       30  /* cycles; jack2's NETWORK_MAX_LATENCY */

/** Time in microseconds on any monotonic clock; "no deadline". */
#define NJ_TIME_NEVER UINT64_MAX

/** An opaque peer address (the owner stores a sockaddr in it); compared bytewise. */
struct nj_addr {
	uint8_t len;
	uint8_t bytes[32];
};

bool nj_addr_equal(const struct nj_addr *a, const struct nj_addr *b);

/** A set of port indices, 0..NJ_MAX_CHANNELS-1. */
struct nj_portset {
	uint64_t bits[NJ_MAX_CHANNELS / 64];
};

static inline void nj_portset_clear(struct nj_portset *s)
{
	for (unsigned i = 0; i < NJ_MAX_CHANNELS / 64; i++) {
		s->bits[i] = 0;
	}
}

static inline void nj_portset_add(struct nj_portset *s, unsigned port)
{
	s->bits[port / 64] |= (uint64_t)1 << (port % 64);
}

static inline bool nj_portset_has(const struct nj_portset *s, unsigned port)
{
	return (s->bits[port / 64] >> (port % 64)) & 1;
}

/** nj_portset_fill - set ports 0..@n-1 (n <= NJ_MAX_CHANNELS), clear the rest. */
void nj_portset_fill(struct nj_portset *s, unsigned n);

/** nj_portset_count - number of ports in the set. */
unsigned nj_portset_count(const struct nj_portset *s);

/* Byte order, field by field (never cast a buffer to a struct). */
static inline uint32_t nj_get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void nj_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint64_t nj_get_be64(const uint8_t *p)
{
	return ((uint64_t)nj_get_be32(p) << 32) | nj_get_be32(p + 4);
}

static inline void nj_put_be64(uint8_t *p, uint64_t v)
{
	nj_put_be32(p, (uint32_t)(v >> 32));
	nj_put_be32(p + 4, (uint32_t)v);
}

static inline uint32_t nj_get_le32(const uint8_t *p)
{
	return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

static inline void nj_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/** Largest single event we carry (SysEx included). */
#define NJ_MIDI_MAX_EVENT     4096

/** One MIDI event. @data points into caller memory (encode) or the record (decode). */
struct nj_midi_event {
	uint32_t time;       /* frame offset in the period */
	uint32_t size;       /* bytes, >= 1 */
	const uint8_t *data;
};

/** One datagram to send; points into the packer's own memory. */
struct nj_datagram {
	const uint8_t *data;
	size_t len;
};

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
	uint64_t midi_dropped; /* MIDI records dropped: a MIDI packet lost, or records bad */
	uint64_t cycles_dropped; /* held cycles given up untaken (skipped by take, evicted) */
};

/** Result of pushing one received datagram into a reassembler. */
enum nj_push_result {
	NJ_PUSH_OK = 0,
	NJ_PUSH_DUPLICATE,
	NJ_PUSH_LATE,
	NJ_PUSH_FOREIGN,
	NJ_PUSH_HELD,  /* set aside by a protocol rule (not counted as received) */
};

/** Is cycle @a older than @b (serial number arithmetic, the counter wraps)? */
static inline bool nj_cycle_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

#ifdef __cplusplus
}
#endif

#endif
