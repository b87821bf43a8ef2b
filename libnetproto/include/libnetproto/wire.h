/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wire.h - netJACK2 protocol 8: session parameters, packet header, sync payload.
 *
 * Pure codec: bytes in, host-order structs out, and back. No sockets, no clocks.
 * Every decoder is a security boundary: it checks length, type string, version and
 * ranges before it trusts anything, and returns a negative errno on bad input:
 *   -EBADMSG  malformed (short, wrong type string, field out of range)
 *   -EPROTO   well formed but another protocol version
 *   -ENOBUFS  output buffer too small (encoders)
 *   -EINVAL   misuse by the caller (NULL, impossible parameters)
 */
#ifndef LIBNETPROTO_WIRE_H
#define LIBNETPROTO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NJ2_PROTOCOL_VERSION  8
#define NJ2_PARAMS_SIZE       644
#define NJ2_HEADER_SIZE       48
#define NJ2_DEFAULT_MCAST_IP  "225.3.19.154"
#define NJ2_DEFAULT_MCAST_IP6 "ff15::7a:6e6a" /* our IPv6 group (jack2 has no IPv6) */
#define NJ2_DEFAULT_PORT      19000
#define NJ2_UDP_RESERVE       64 /* jack2's fixed IP+UDP header reserve */
#define NJ2_NAME_LEN          64
#define NJ2_NETNAME_LEN       256
#define NJ2_MIDI_MAGIC        0x900DF00Du
#define NJ2_JACK2_MIDI_BUFSIZE 32768u

/** Payload budget of the audio encoders per packet (jack2's PACKET_AVAILABLE_SIZE). */
static inline unsigned nj2_payload_budget(unsigned mtu)
{
	return mtu - NJ2_UDP_RESERVE - NJ2_HEADER_SIZE;
}

enum nj2_packet_id {
	NJ2_SLAVE_AVAILABLE = 0,
	NJ2_SLAVE_SETUP = 1,
	NJ2_START_MASTER = 2,
	NJ2_START_SLAVE = 3,
	NJ2_KILL_MASTER = 4,
	/* netjack's: a slave that negotiated NJ2_EXT_LATENCY tells its master
	 * what it adds to the round trip (the START_MASTER's parameters with
	 * this ID and the latency in its extension block; tagged in an
	 * authenticated session). Never sent to a jack2 master. */
	NJ2_LATENCY_REPORT = 100,
};

enum nj2_encoder {
	NJ2_ENCODER_FLOAT = 0,
	NJ2_ENCODER_INT16 = 1,
	NJ2_ENCODER_CELT = 2,
	NJ2_ENCODER_OPUS = 3,
};

/*
 * netjack extension block. jack2 leaves the bytes after the NUL of the two
 * 256-byte host name fields unused; a netjack peer puts a small, checksummed
 * block at offset 128 of fSlaveNetName (the slave's offer) and of fMasterNetName
 * (the master's answer). A jack2 master echoes the slave's field unchanged, so
 * only a block in fMasterNetName means "the master is netjack too". A jack2 peer
 * never reads these bytes; stale memory from a jack2 peer fails the checksum.
 */
#define NJ2_EXT_OFFSET 128 /* inside each 256-byte net name field */
#define NJ2_EXT_SIZE   32
#define NJ2_EXT_VERSION 1

/** Extension feature bits. */
enum nj2_ext_flags {
	/* Opus at any period: CELT end band 21 on both ends (works around the
	 * libopus 1.3.1 assertion) and several frames per period above 1024. */
	NJ2_EXT_OPUS_ANY_PERIOD = 1u << 0,
	/* Loss concealment of missing sub-periods (receiver-side only, announced for status). */
	NJ2_EXT_CONCEAL = 1u << 1,
	/* Pre-shared-key authentication: the handshake packets carry a nonce and
	 * a tag (the auth block below), every data packet a sequence number and
	 * a tag (auth.h). */
	NJ2_EXT_AUTH = 1u << 2,
	/* With NJ2_EXT_AUTH: the data packets' payloads are encrypted too. */
	NJ2_EXT_ENCRYPT = 1u << 3,
	/* Every data packet is sent `redundancy` times (a trailer numbers them
	 * so that the receiver keeps the first copy and drops the others). */
	NJ2_EXT_REDUNDANCY = 1u << 4,
	/* The slave reports what it adds to each direction (NJ2_LATENCY_REPORT),
	 * so that the master's ports tell JACK the whole delay. */
	NJ2_EXT_LATENCY = 1u << 5,
	/* Float audio in tiles that fill the MTU without exceeding it (audio.h,
	 * nj2_float_tiles): never fragmented by the kernel, whatever the channel
	 * count. A jack2 peer keeps jack2's sub-period rule. */
	NJ2_EXT_TILED = 1u << 6,
};

#define NJ2_MAX_REDUNDANCY 4 /* copies of each packet, at most */

/*
 * The auth block follows the extension block in the same field when its
 * flags have NJ2_EXT_AUTH: the sender's nonce, then a tag over the whole
 * packet with both fields' tag slots zeroed (all zero where the packet needs
 * none, as in SLAVE_AVAILABLE). Not covered by the extension's checksum.
 */
#define NJ2_AUTH_OFFSET (NJ2_EXT_OFFSET + NJ2_EXT_SIZE)
#define NJ2_AUTH_NONCE  16
#define NJ2_AUTH_TAG    16

struct nj2_ext {
	uint16_t version;  /* NJ2_EXT_VERSION */
	uint32_t flags;    /* enum nj2_ext_flags */
	uint32_t nonce;    /* random per session offer; echoed by the master */
	uint8_t redundancy; /* with NJ2_EXT_REDUNDANCY: copies of each packet, 2.. */
	/* with NJ2_EXT_LATENCY in a NJ2_LATENCY_REPORT: frames (the master's
	 * rate) the slave adds after the master's send ports ([0]) and before
	 * its receive ports ([1]) */
	uint32_t latency[2];
	uint8_t auth_nonce[NJ2_AUTH_NONCE]; /* with NJ2_EXT_AUTH */
	uint8_t auth_tag[NJ2_AUTH_TAG];
};

/** Session parameters (the 644-byte "params" packet), host order. */
struct nj2_params {
	uint32_t version;          /* NJ2_PROTOCOL_VERSION */
	int32_t packet_id;         /* enum nj2_packet_id */
	char name[NJ2_NAME_LEN + 1];            /* NUL-terminated copy */
	char master_name[NJ2_NETNAME_LEN + 1];  /* NUL-terminated copy */
	char slave_name[NJ2_NETNAME_LEN + 1];   /* NUL-terminated copy */
	uint32_t mtu;
	uint32_t id;
	uint32_t transport_sync;
	int32_t send_audio;        /* master -> slave, -1 = master's physical ports */
	int32_t return_audio;      /* slave -> master */
	int32_t send_midi;
	int32_t return_midi;
	uint32_t sample_rate;
	uint32_t period;
	uint32_t encoder;          /* enum nj2_encoder */
	uint32_t kbps;
	uint32_t sync_mode;        /* 1 = slave in sync mode */
	uint32_t latency;          /* N cycles */
	bool has_slave_ext;        /* valid block in slave_name's tail */
	struct nj2_ext slave_ext;
	bool has_master_ext;       /* valid block in master_name's tail */
	struct nj2_ext master_ext;
};

/**
 * nj2_params_auth_view - copy a NJ2_PARAMS_SIZE packet @pkt to @out with both
 * auth tag slots zeroed: what a handshake tag is computed over.
 */
void nj2_params_auth_view(const uint8_t *pkt, uint8_t *out);

/** nj2_params_tag_offset - where the master's or the slave's tag slot begins. */
size_t nj2_params_tag_offset(bool master_field);

/* After each data packet of an authenticated session: a 64-bit sequence
 * number and a 16-byte tag (auth.h). The layout leaves room for it. */
#define NJ2_AUTH_TRAILER 24

/** nj2_params_authenticated - did the negotiation settle on NJ2_EXT_AUTH? */
static inline bool nj2_params_authenticated(const struct nj2_params *p)
{
	return p->has_master_ext && (p->master_ext.flags & NJ2_EXT_AUTH) != 0;
}

/* After each data packet of a session with redundancy (inside the auth
 * trailer): a 32-bit packet number, the same in every copy, and the copy's
 * index. */
#define NJ2_REDUNDANCY_TRAILER 5

/** nj2_params_redundancy - how many times each data packet is sent (1: once). */
static inline unsigned nj2_params_redundancy(const struct nj2_params *p)
{
	return p->has_master_ext && (p->master_ext.flags & NJ2_EXT_REDUNDANCY) &&
			       p->master_ext.redundancy > 1
		       ? p->master_ext.redundancy
		       : 1;
}

/** nj2_params_layout_mtu - the MTU a session's data packets fill (less the trailers). */
static inline uint32_t nj2_params_layout_mtu(const struct nj2_params *p)
{
	return p->mtu - (nj2_params_authenticated(p) ? NJ2_AUTH_TRAILER : 0) -
	       (nj2_params_redundancy(p) > 1 ? NJ2_REDUNDANCY_TRAILER : 0);
}

/** nj2_params_tiled - did the negotiation settle on NJ2_EXT_TILED? */
static inline bool nj2_params_tiled(const struct nj2_params *p)
{
	return p->has_master_ext && (p->master_ext.flags & NJ2_EXT_TILED) != 0;
}

/** nj2_encoder_name - "float", "int16", "celt", "opus", or "unknown". */
const char *nj2_encoder_name(uint32_t encoder);

/**
 * nj2_params_init - fill @p with jack2's defaults for a SLAVE_AVAILABLE.
 * Version 8, ID 0, MTU 1500, channels -1, float encoder, latency 5, names empty.
 */
void nj2_params_init(struct nj2_params *p);

/**
 * nj2_params_encode - serialise @p into exactly NJ2_PARAMS_SIZE bytes.
 * Writes "params\0\0", big-endian integers, zero padding after names, and the
 * extension blocks when has_*_ext is set.
 * Returns NJ2_PARAMS_SIZE, -ENOBUFS if @len < NJ2_PARAMS_SIZE, -EINVAL on NULL
 * or a name that does not fit (with an extension block, host names must be
 * shorter than NJ2_EXT_OFFSET).
 */
int nj2_params_encode(const struct nj2_params *p, uint8_t *buf, size_t len);

/**
 * nj2_params_decode - parse and validate a session parameter packet.
 * @buf/@len: the whole UDP payload (must be exactly NJ2_PARAMS_SIZE).
 * Checks: size, type string "params" (up to its NUL), version (-EPROTO),
 * packet ID 0..4, channel counts in -1..NJ_MAX_CHANNELS, MTU in
 * NJ_MTU_MIN..NJ_MTU_MAX, encoder 0..3, latency <= NJ_MAX_LATENCY, and for
 * every ID but SLAVE_AVAILABLE a sample rate in 1..NJ_RATE_MAX and a period in
 * NJ_PERIOD_MIN..NJ_PERIOD_MAX. Names are copied bounded and NUL-terminated.
 * Returns 0 and fills *@ret_p, or -EBADMSG / -EPROTO (then *@ret_p is untouched).
 */
int nj2_params_decode(const uint8_t *buf, size_t len, struct nj2_params *ret_p);

enum nj2_data_type {
	NJ2_DATA_SYNC = 's',
	NJ2_DATA_MIDI = 'm',
	NJ2_DATA_AUDIO = 'a',
};

enum nj2_stream {
	NJ2_STREAM_SEND = 's',   /* master -> slave */
	NJ2_STREAM_RETURN = 'r', /* slave -> master */
};

/** The 48-byte data packet header, host order. */
struct nj2_header {
	uint32_t data_type;   /* enum nj2_data_type */
	uint32_t stream;      /* enum nj2_stream */
	uint32_t id;
	uint32_t num_packet;  /* stale in sync packets: ignore there */
	uint32_t packet_size; /* whole UDP payload, header included */
	uint32_t active_ports;/* stale in MIDI packets: ignore there */
	uint32_t cycle;
	uint32_t sub_cycle;
	int32_t frames;       /* -1 or <= 0 means a full period */
	uint32_t is_last;
};

/**
 * nj2_header_encode - write @h as 48 bytes ("header\0\0", BE fields).
 * Returns NJ2_HEADER_SIZE or -ENOBUFS.
 */
int nj2_header_encode(const struct nj2_header *h, uint8_t *buf, size_t len);

/**
 * nj2_header_decode - parse the header of a data packet.
 * Checks: @len >= 48, type string "header" (up to its NUL), data type one of
 * s/m/a, stream s/r, 48 <= packet_size <= @len (a trailing excess is ignored by
 * callers: they use packet_size), is_last 0/1, num_packet and sub_cycle
 * bounded by NJ2_MAX_PACKETS_PER_CYCLE for audio/MIDI.
 * Returns 0 and fills *@ret_h, or -EBADMSG.
 */
int nj2_header_decode(const uint8_t *buf, size_t len, struct nj2_header *ret_h);

/** Upper bound on packets of one data type in one cycle we accept (PipeWire uses 1024). */
#define NJ2_MAX_PACKETS_PER_CYCLE 1024

/**
 * nj2_sync_encode - write a sync payload: the ports of @set below @nports as
 * ascending BE int32 indices. Returns the number of payload bytes (4 per port),
 * or -ENOBUFS. The caller puts that count in the header's active_ports.
 */
int nj2_sync_encode(const struct nj_portset *set, unsigned nports, uint8_t *buf, size_t len);

/**
 * nj2_sync_decode - read a sync payload of @count indices from @buf/@len
 * (the bytes after the header, packet_size - 48). Indices must be < @nports.
 * Returns 0 and sets *@ret_set, or -EBADMSG (payload shorter than 4*count,
 * count > NJ_MAX_CHANNELS, an index out of range).
 */
int nj2_sync_decode(const uint8_t *buf, size_t len, uint32_t count, unsigned nports,
		   struct nj_portset *ret_set);

/** Big-endian load/store helpers used by all codecs. */

#ifdef __cplusplus
}
#endif

#endif
