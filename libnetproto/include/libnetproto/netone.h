/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netone.h - the netJACK1 ("netone") wire codec, as jack2 1.9.21's
 * jack_netsource (master) and jackd -d netone (slave) speak it
 * (doc/protocol/NETONE.md).
 *
 * One period per direction is a "big packet": a 56-byte header of 14 BE
 * words, then one equal block per channel (audio channels, then MIDI
 * channels), cut into MTU-sized fragments that each repeat the header.
 * Nothing on the wire names the encoding, kbps, or a session: both ends
 * are configured alike. Everything here is pure: bytes in, values out.
 *
 * Returns follow the library's rule: 0 (or a count) on success, else
 *   -EBADMSG  malformed input (sizes, counts, indices out of range)
 *   -ENOBUFS  output buffer too small
 *   -EINVAL   misuse (impossible parameters, NULL)
 *   -EOPNOTSUPP  CELT (jack2's mode 1000; Debian's jack2 has none)
 * The packer and reassembler are created once from the parameters and
 * never allocate afterwards (real-time safe: no malloc, locks, syscalls).
 */
#ifndef LIBNETPROTO_NETONE_H
#define LIBNETPROTO_NETONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/cycle.h>
#include <libnetproto/midi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NJ1_HEADER_SIZE	    56
#define NJ1_DEFAULT_PORT    3000
#define NJ1_MTU_DEFAULT	    1400
#define NJ1_MTU_MIN	    112	  /* jack2's slave refuses less (two headers) */
#define NJ1_MTU_MAX	    65507 /* the largest IPv4 UDP payload */
#define NJ1_PERIOD_MIN	    16
#define NJ1_PERIOD_MAX	    8192
#define NJ1_OPUS_PERIOD_MAX 1024 /* Opus custom modes end there */
#define NJ1_RATE_MIN	    1000
#define NJ1_RATE_MAX	    768000
#define NJ1_MAX_CHANNELS    256	 /* audio and MIDI each, per direction */
#define NJ1_MAX_LATENCY	    64	 /* periods; jack2 bounds none (its cache is L + 50) */
#define NJ1_KBPS_MAX	    4000 /* keeps jack2's 32-bit kbps * P * 1024 from wrapping */
#define NJ1_MAX_REDUNDANCY  8
#define NJ1_MAX_SLOTS	    128
#define NJ1_MIDI_EVENTS_MAX 4096	/* per port per period */
#define NJ1_FREEWHEEL	    0x80000000u /* sync_state of a freewheeling master */

/** The payload encoding; the values are jack2's "bitdepth" codes. */
enum nj1_mode {
	NJ1_MODE_FLOAT = 0,   /* binary32 BE */
	NJ1_MODE_INT8 = 8,    /* signed, x * 127 */
	NJ1_MODE_INT16 = 16,  /* unsigned offset binary BE, (x + 1) * 32767 */
	NJ1_MODE_OPUS = 999,  /* per channel: uint16 BE length + frame, in N bytes */
	NJ1_MODE_CELT = 1000, /* not supported */
};

/** transport_state values (down packets). */
enum nj1_transport {
	NJ1_TRANSPORT_STOPPED = 0,
	NJ1_TRANSPORT_ROLLING = 1,
	NJ1_TRANSPORT_LOOPING = 2,
	NJ1_TRANSPORT_STARTING = 3,
	NJ1_TRANSPORT_NETSTARTING = 4,
};

/**
 * The 56-byte header, host order, in wire order. In down packets (from the
 * master) every field is set; a jack2 slave's replies set only sync_state,
 * framecnt, latency and fragment and leave the rest stale (zeros or stack).
 */
struct nj1_header {
	uint32_t capture_audio;	 /* slave capture = master -> slave */
	uint32_t playback_audio; /* slave playback = slave -> master */
	uint32_t capture_midi;
	uint32_t playback_midi;
	uint32_t period;
	uint32_t rate;
	uint32_t sync_state; /* down: goodness (signed us) or NJ1_FREEWHEEL; up: 1 ready */
	uint32_t transport_frame;
	uint32_t transport_state; /* enum nj1_transport */
	uint32_t framecnt;
	uint32_t latency;    /* down: L periods; up: us of slack before the deadline */
	uint32_t reply_port; /* down: 0 = reply to the source port */
	uint32_t mtu;	     /* down: the datagram size limit of both directions */
	uint32_t fragment;
};

/**
 * nj1_header_encode - write @h as 56 bytes, every field BE.
 * Returns NJ1_HEADER_SIZE, -ENOBUFS (@len < 56) or -EINVAL (NULL).
 */
int nj1_header_encode(const struct nj1_header *h, uint8_t *buf, size_t len);

/**
 * nj1_header_decode - read the header at the start of @buf/@len.
 * Checks only that 56 bytes are there: the fields are numbers, bounded
 * where they are used. Returns 0 and fills *@ret_h, or -EBADMSG.
 */
int nj1_header_decode(const uint8_t *buf, size_t len, struct nj1_header *ret_h);

/** nj1_goodness - the signed deadline goodness in a down sync_state. */
static inline int32_t nj1_goodness(uint32_t sync_state)
{
	return sync_state & 0x80000000u ? -(int32_t)(~sync_state) - 1 : (int32_t)sync_state;
}

/** What a session fixes for both directions (what a slave's AutoConfig takes). */
struct nj1_session {
	unsigned rate;
	unsigned period;
	unsigned mtu;
	unsigned latency;    /* L, periods */
	unsigned down_audio; /* master -> slave (slave capture) */
	unsigned down_midi;
	unsigned up_audio; /* slave -> master (slave playback) */
	unsigned up_midi;
};

/**
 * nj1_session_from_header - take a session from a down header, as jack2's
 * AutoConfig does, but bounded: channel counts <= NJ1_MAX_CHANNELS, period
 * NJ1_PERIOD_MIN..NJ1_PERIOD_MAX, rate NJ1_RATE_MIN..NJ1_RATE_MAX, MTU
 * NJ1_MTU_MIN..NJ1_MTU_MAX, latency <= NJ1_MAX_LATENCY.
 * Returns 0 and fills *@ret_s, or -EBADMSG.
 */
int nj1_session_from_header(const struct nj1_header *h, struct nj1_session *ret_s);

/**
 * nj1_header_from_session - the fields of a down header that a session
 * fixes (counts, period, rate, latency, mtu); every other field is 0.
 */
void nj1_header_from_session(const struct nj1_session *s, struct nj1_header *ret_h);

/**
 * nj1_block_size - bytes per channel per period: float 4P, int16 2P, int8 P,
 * Opus ((kbps * P * 1024) / rate / 8) rounded down to even (jack2's rule).
 * Returns 0 for impossible parameters (CELT, an unknown mode, out-of-range
 * period, rate or kbps, Opus above NJ1_OPUS_PERIOD_MAX or below 4 bytes).
 */
unsigned nj1_block_size(enum nj1_mode mode, unsigned period, unsigned rate, unsigned kbps);

/** nj1_packet_size - bytes of a big packet: 56 + @block * @channels (0 on overflow). */
size_t nj1_packet_size(unsigned block, unsigned channels);

/**
 * nj1_fragment_count - datagrams jack2 cuts a big packet of @packet_size
 * bytes into for @mtu: 1 if it fits, else ceil((size - 56) / (mtu - 56)).
 * Returns 0 if @mtu < NJ1_MTU_MIN or @packet_size < 56.
 */
unsigned nj1_fragment_count(size_t packet_size, unsigned mtu);

/**
 * nj1_fragment_len - length of datagram @k of that cut (header included):
 * @mtu for all but the last. Returns 0 if @k is out of range.
 */
size_t nj1_fragment_len(size_t packet_size, unsigned mtu, unsigned k);

/**
 * nj1_audio_encode - one channel's block of @n samples in @mode (float,
 * int16, int8). @in NULL encodes silence. Values are clipped to [-1, 1] for
 * int16/int8 (jack2 does not clip) and NaN is silence; otherwise the
 * rounding is jack2's (truncation, computed in double).
 * Returns the block bytes, or -EINVAL for another mode.
 */
int nj1_audio_encode(enum nj1_mode mode, const float *in, unsigned n, uint8_t *out);

/**
 * nj1_audio_decode - @n samples of a block back to float: float bit-exact,
 * int16 v/32768 - 1 and int8 s/127 as jack2 decodes them.
 * Returns 0 or -EINVAL for another mode.
 */
int nj1_audio_decode(enum nj1_mode mode, const uint8_t *in, unsigned n, float *out);

/**
 * nj1_midi_encode - write @count events as a netone MIDI list into one block
 * of @len bytes: per event BE words 3 + ceil(size/4), time, size, then the
 * bytes padded with zeros; a zero word ends it; the rest of the block is
 * zeroed. Events must be in time order with time < @period and size
 * 1..NJ_MIDI_MAX_EVENT; others are dropped. As jack2, the first event that
 * does not fit (leaving room for the end word) is dropped with all after it.
 * Sets *@ret_dropped (may be NULL) to the events dropped.
 * Returns the bytes used, end word included, -ENOBUFS (@len < 4) or -EINVAL.
 */
int nj1_midi_encode(uint8_t *block, size_t len, const struct nj_midi_event *events, uint32_t count,
		    uint32_t period, uint32_t *ret_dropped);

/** How a MIDI list ended. */
enum nj1_midi_end {
	NJ1_MIDI_END_WORD = 0, /* a zero length word */
	NJ1_MIDI_END_BLOCK,    /* the block ended before an end word */
	NJ1_MIDI_END_BAD,      /* a malformed record (size 0, length word not 3 + q,
				  a record running past the block) */
};

/** What nj1_midi_decode found besides the events. */
struct nj1_midi_list {
	uint32_t dropped; /* well-formed events not returned: time >= period,
			     out of time order, or beyond max_events */
	enum nj1_midi_end end;
};

/**
 * nj1_midi_decode - parse the MIDI list in one block of @len bytes. Every
 * record must fit in the block (jack2 trusts the size word); a malformed
 * record ends the list. Fills up to @max of @ret_events (data pointers into
 * @block) and *@ret_list (may be NULL).
 * Returns the number of events stored, or -EINVAL (NULL @block or @ret_events
 * with @max > 0).
 */
int nj1_midi_decode(const uint8_t *block, size_t len, uint32_t period,
		    struct nj_midi_event *ret_events, uint32_t max, struct nj1_midi_list *ret_list);

/**
 * One direction's configuration. The Opus codec is the caller's: the core
 * never links libopus. Its stream_len must be the block size; encode writes
 * the whole block (uint16 BE length, frame, zeros) and decode reads it, or
 * conceals when given NULL.
 */
struct nj1_stream_config {
	enum nj1_mode mode;
	unsigned period;
	unsigned rate;
	unsigned kbps; /* Opus */
	unsigned mtu;
	unsigned audio_channels;  /* in this direction */
	unsigned midi_channels;	  /* in this direction */
	unsigned redundancy;	  /* sender: copies of each period, 1..NJ1_MAX_REDUNDANCY (0 = 1) */
	unsigned slots;		  /* receiver: periods held, 2..NJ1_MAX_SLOTS */
	unsigned midi_max_events; /* receiver: per port per period, 1..NJ1_MIDI_EVENTS_MAX */
	/* receiver of down packets: if set, a datagram whose counts, period,
	 * rate or mtu differ from this session is foreign (replies leave
	 * those fields stale, so a master leaves this NULL) */
	const struct nj1_session *session;
	const struct nj_codec_ops *codec; /* Opus only */
	void *codec_ctx;
};

/** One period to send: per-channel buffers of period frames. */
struct nj1_period_in {
	const float *const *audio; /* audio_channels buffers; a NULL buffer is silence */
	const struct nj_midi_event *const *midi; /* midi_channels arrays (NULL = no events) */
	const uint32_t *midi_count;		 /* events per MIDI channel (NULL = none) */
};

/** Sender counters. */
struct nj1_tx_stats {
	uint64_t periods;
	uint64_t datagrams;    /* redundant copies included */
	uint64_t midi_dropped; /* events not sent: invalid or no room */
	uint64_t codec_errors; /* encoder failures, sent as length 0 */
};

struct nj1_packer;

/**
 * nj1_packer_new - allocate a packer for @cfg (copied; slots,
 * midi_max_events and session are not used). Validates the configuration
 * and sizes every buffer. Returns 0 and *@ret, -EINVAL, -EOPNOTSUPP or -ENOMEM.
 */
int nj1_packer_new(const struct nj1_stream_config *cfg, struct nj1_packer **ret);

/** nj1_packer_free - free @p; NULL is a no-op. */
void nj1_packer_free(struct nj1_packer *p);

/**
 * nj1_packer_pack - build every datagram of one period: the big packet of
 * @in with header @h (its fragment field is set per datagram), cut as jack2
 * cuts it, the whole set repeated `redundancy` times. Every byte is defined
 * (jack2 leaves MIDI padding and block tails stale). Real-time safe.
 * Returns 0 and sets *@ret_list and *@ret_n (valid until the next call), or
 * -EINVAL (NULL arguments).
 */
int nj1_packer_pack(struct nj1_packer *p, const struct nj1_header *h,
		    const struct nj1_period_in *in, const struct nj_datagram **ret_list,
		    unsigned *ret_n);

/** nj1_packer_stats - the counters. */
const struct nj1_tx_stats *nj1_packer_stats(const struct nj1_packer *p);

/** Result of pushing one datagram. */
enum nj1_push_result {
	NJ1_PUSH_OK = 0,    /* stored; its period is not complete yet */
	NJ1_PUSH_COMPLETE,  /* stored, and it completed its period */
	NJ1_PUSH_DUPLICATE, /* that fragment was there already (redundancy) */
	NJ1_PUSH_LATE,	    /* for a period taken already, or one that lost its slot */
	NJ1_PUSH_FOREIGN,   /* not this session's (cfg->session set and differing) */
};

/** Receiver counters. All monotonic. */
struct nj1_rx_stats {
	uint64_t datagrams; /* stored (OK or COMPLETE) */
	uint64_t malformed;
	uint64_t foreign;
	uint64_t duplicate;
	uint64_t late;
	uint64_t evicted;	     /* held periods given up untaken (slot wanted, reset) */
	uint64_t periods;	     /* taken */
	uint64_t periods_incomplete; /* taken with fragments missing (concealed) */
	uint64_t periods_missing;    /* taken with nothing received */
	uint64_t fragments_lost;     /* missing from taken periods */
	uint64_t skipped;	     /* held periods released by taking a later one */
	uint64_t midi_dropped;	     /* events dropped by the decoder (time, order, count) */
	uint64_t midi_bad;	     /* MIDI lists ended by a malformed record */
	uint64_t midi_lost;	     /* MIDI blocks of taken periods not (fully) received */
	uint64_t opus_bad;	     /* Opus blocks with a length beyond the block (concealed) */
};

/** One reassembled period; pointers valid until the next take. */
struct nj1_period_out {
	uint32_t framecnt;
	bool seen;		  /* some fragment of it arrived */
	bool complete;		  /* every fragment arrived */
	struct nj1_header header; /* fragment 0's; without it, the first fragment's (seen only) */
	uint64_t complete_at;	  /* @now of the push that completed it (complete only) */
	unsigned fragments_missing;
	float *const *audio;	/* audio_channels buffers of period frames */
	const bool *audio_lost; /* per audio channel: bytes missing (zeros there; Opus: PLC) */
	const struct nj_midi_event *const *midi; /* per MIDI channel; empty if lost */
	const uint32_t *midi_count;
};

struct nj1_unpacker;

/**
 * nj1_unpacker_new - allocate a reassembler for @cfg (copied, with the
 * session it points to): cfg->slots periods of the expected size, their
 * decode buffers and MIDI event arrays. Returns 0 and *@ret, -EINVAL,
 * -EOPNOTSUPP or -ENOMEM.
 */
int nj1_unpacker_new(const struct nj1_stream_config *cfg, struct nj1_unpacker **ret);

/** nj1_unpacker_free - free @u; NULL is a no-op. */
void nj1_unpacker_free(struct nj1_unpacker *u);

/**
 * nj1_unpacker_push - take one received datagram, stamped @now (µs, the
 * caller's clock). Real-time safe. The header is read and the length of the
 * datagram must be exactly that of fragment `fragment` of this stream's big
 * packet (so neither jack2's unchecked fragment 0 nor a mismatched bit depth
 * can write past anything); fragment numbers are bounded by the count.
 * Periods compare as serial numbers (the 32-bit framecnt wraps). Late: at or
 * before the last period taken, or beyond the next `slots` periods while its
 * slot holds one of them; otherwise a newer period evicts an older one.
 * Returns enum nj1_push_result (>= 0) with *@ret_framecnt (may be NULL) set,
 * or -EBADMSG (counted as malformed).
 */
int nj1_unpacker_push(struct nj1_unpacker *u, const uint8_t *buf, size_t len, uint64_t now,
		      uint32_t *ret_framecnt);

/** nj1_unpacker_has - is any fragment of @framecnt held? */
bool nj1_unpacker_has(const struct nj1_unpacker *u, uint32_t framecnt);

/** nj1_unpacker_complete - is every fragment of @framecnt held? */
bool nj1_unpacker_complete(const struct nj1_unpacker *u, uint32_t framecnt);

/**
 * nj1_unpacker_next_complete - the oldest complete period after @after
 * (serial order). Returns true and sets *@ret_framecnt, or false.
 */
bool nj1_unpacker_next_complete(const struct nj1_unpacker *u, uint32_t after,
				uint32_t *ret_framecnt);

/** nj1_unpacker_newest_complete - the newest complete period held, if any. */
bool nj1_unpacker_newest_complete(const struct nj1_unpacker *u, uint32_t *ret_framecnt);

/**
 * nj1_unpacker_take - hand out @framecnt and release its slot and every
 * older held period (counted skipped). Missing bytes are concealed: PCM
 * samples not received are 0, an Opus channel not fully received (or with a
 * length beyond its block) is decoded as lost (the codec's PLC), a MIDI
 * channel not fully received has no events; a period never seen is all of
 * that. Taking a period at or before the last one taken gives the same
 * silence and counts nothing. Returns 0 or -EINVAL.
 */
int nj1_unpacker_take(struct nj1_unpacker *u, uint32_t framecnt, struct nj1_period_out *out);

/**
 * nj1_unpacker_reset - forget every held period (counted evicted) and the
 * last one taken, so that any framecnt is accepted again: for a new master
 * (jack2's netsource restarts its framecnt at 0). Real-time safe.
 */
void nj1_unpacker_reset(struct nj1_unpacker *u);

/** nj1_unpacker_stats - the counters. */
const struct nj1_rx_stats *nj1_unpacker_stats(const struct nj1_unpacker *u);

#ifdef __cplusplus
}
#endif

#endif
