/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jacktrip.h - JackTrip 1.7.0's wire format (doc/protocol/JACKTRIP.md).
 *
 * Pure codec for the UDP audio datagram (16-byte header + planar payload, R
 * sub-packets newest first), the 63-byte exit packet and the hub mode's TCP
 * handshake messages, plus a redundancy sender and a receiver that picks the
 * periods it has not seen out of redundant datagrams. Byte order is little
 * endian throughout (as captured from 1.7.0 on x86-64; JackTrip itself copies
 * host-order structs). No sockets, no clocks: time comes in as an argument.
 *
 * Conventions as in <libnetproto/wire.h>: 0 (or a count) or a negative errno:
 *   -EBADMSG  malformed (short, a field out of range, a size that does not
 *             match the header)
 *   -EPROTO   well formed but not the format the object was made for
 *   -ENOBUFS  output buffer too small
 *   -EINVAL   misuse by the caller (NULL, impossible parameters)
 * Decoders check the length first, then every field, before reading anything
 * else. Objects are made once (jt_*_new) and never allocate afterwards.
 */
#ifndef LIBNETPROTO_JACKTRIP_H
#define LIBNETPROTO_JACKTRIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JT_HEADER_SIZE      16    /* DefaultHeader */
#define JT_EXIT_SIZE        63    /* every 63-byte datagram is control, never audio */
#define JT_NAME_SIZE        64    /* hub request name field, NUL included */
#define JT_HUB_REQUEST_SIZE 68    /* port + name, as 1.7.0 sends it */
#define JT_HUB_SHORT_SIZE   4     /* port only (older clients), or the auth request */
#define JT_HUB_REPLY_SIZE   4
#define JT_DEFAULT_PORT     4464  /* hub TCP port; P2P and hub client UDP bind port */
#define JT_HUB_UDP_BASE     61002 /* hub server UDP port of slot 0 */
#define JT_MAX_DATAGRAM     65507 /* largest IPv4 UDP payload */
#define JT_MAX_CHANNELS     255   /* bytes 14 and 15 are uint8 */
#define JT_MAX_REDUNDANCY   16    /* our bound on -r (1.7.0 has none) */
#define JT_SEQ_WINDOW       1000  /* largest forward step taken as loss, as 1.7.0 */
#define JT_RESYNC_AFTER     6     /* datagrams outside the window in a row: restart */

/** Sample-rate codes of header byte 12 (AudioInterface::samplingRateT). */
enum jt_rate {
	JT_RATE_22050 = 0,
	JT_RATE_32000 = 1,
	JT_RATE_44100 = 2,
	JT_RATE_48000 = 3,
	JT_RATE_88200 = 4,
	JT_RATE_96000 = 5,
	JT_RATE_192000 = 6, /* never sent by 1.7.0 at 192 kHz (see jt_rate_code) */
	JT_RATE_UNDEF = 7,
};

/**
 * Values of the 32-bit hub handshake field other than a UDP port (Auth.h):
 * a client asks for authentication with JT_HUB_AUTH_OK; the server answers
 * with one of them instead of a port when authentication is involved.
 */
enum jt_hub_code {
	JT_HUB_AUTH_OK = 65536,
	JT_HUB_AUTH_REQUIRED = 131072,
	JT_HUB_AUTH_NOT_REQUIRED = 196608,
	JT_HUB_AUTH_WRONG_CREDS = 262144,
	JT_HUB_AUTH_WRONG_TIME = 327680,
};

/** The 16-byte DefaultHeader of one sub-packet, in host order. */
struct jt_header {
	uint64_t timestamp_us; /* bytes 0-7: sender's wall clock; no 1.7.0 receiver reads it */
	uint16_t seq;          /* bytes 8-9: +1 per datagram, wraps */
	uint16_t frames;       /* bytes 10-11: N, the sender's JACK period */
	uint8_t rate;          /* byte 12: enum jt_rate */
	uint8_t bits;          /* byte 13: 8, 16, 24 or 32 */
	uint8_t recv_channels; /* byte 14: channels the sender receives */
	uint8_t send_field;    /* byte 15: channels in the payload, 0 = same as byte 14 */
};

/** What a sender sends: fixed for a session. */
struct jt_format {
	unsigned frames;        /* 1..65535 */
	unsigned rate;          /* enum jt_rate */
	unsigned bits;          /* 8, 16, 24, 32 */
	unsigned send_channels; /* payload channels, 1..255 */
	unsigned recv_channels; /* what we receive (byte 14), 1..255 */
	unsigned redundancy;    /* periods per datagram, 1..JT_MAX_REDUNDANCY */
};

/* ---- header, rates, sizes ---------------------------------------------- */

/**
 * jt_rate_code - the sample-rate code 1.7.0 puts in its header for @hz: a
 * rate within 99 Hz of a listed one gets its code; 192 kHz gets JT_RATE_UNDEF
 * and 19101..19299 Hz JT_RATE_192000 (1.7.0 compares with 19200, a typo we
 * must copy: the receiver compares codes). Any other rate: JT_RATE_UNDEF.
 */
unsigned jt_rate_code(unsigned hz);

/** jt_rate_hz - the rate of code @rate in Hz, 0 for JT_RATE_UNDEF and unknown codes. */
unsigned jt_rate_hz(unsigned rate);

/** jt_sample_size - bytes per sample for @bits 8, 16, 24, 32; -EINVAL otherwise. */
int jt_sample_size(unsigned bits);

/** jt_send_field - header byte 15 for @send payload channels and @recv (1.7.0: 0 if equal). */
static inline uint8_t jt_send_field(unsigned send, unsigned recv)
{
	return (uint8_t)(send == recv ? 0 : send);
}

/** jt_header_channels - payload channels of @h: byte 15, or byte 14 when byte 15 is 0. */
static inline unsigned jt_header_channels(const struct jt_header *h)
{
	return h->send_field ? h->send_field : h->recv_channels;
}

/**
 * jt_hub_channels - the channel counts a hub server gives a client whose
 * header is @client (JackTripWorker in 1.7.0, confirmed by capture): it sends
 * the client byte 14 channels (its send_N ports) and receives the client's
 * payload channels (its receive_N ports). Byte 15 = 255 ("sends nothing") is
 * 0 here, as in 1.7.0's channel set-up.
 */
static inline void jt_hub_channels(const struct jt_header *client, unsigned *ret_send,
				   unsigned *ret_recv)
{
	*ret_send = client->recv_channels;
	*ret_recv = client->send_field == 255 ? 0 : jt_header_channels(client);
}

/**
 * jt_subpacket_size - bytes of one sub-packet: 16 + @frames * @channels *
 * sample size. Returns 0 if @bits is invalid, a count is 0, or it exceeds
 * JT_MAX_DATAGRAM.
 */
size_t jt_subpacket_size(unsigned frames, unsigned channels, unsigned bits);

/**
 * jt_format_check - is @f a format we can send and 1.7.0 can receive? Ranges
 * as in struct jt_format, the datagram at most JT_MAX_DATAGRAM bytes and not
 * 63 (1.7.0 reads any 63-byte datagram as control). 0 or -EINVAL.
 */
int jt_format_check(const struct jt_format *f);

/** jt_datagram_size - R sub-packets of @f; 0 if jt_format_check() fails. */
size_t jt_datagram_size(const struct jt_format *f);

/**
 * jt_header_encode - write @h as 16 bytes at @buf (all fields little endian).
 * Returns JT_HEADER_SIZE, -ENOBUFS if @len < 16, -EINVAL for NULL.
 */
int jt_header_encode(const struct jt_header *h, uint8_t *buf, size_t len);

/**
 * jt_header_decode - read a header from @buf. -EBADMSG if @len < 16, byte 13
 * is not 8/16/24/32, byte 12 is above 7, N is 0 or the payload would have no
 * channel. Sets *@ret only on success.
 */
int jt_header_decode(const uint8_t *buf, size_t len, struct jt_header *ret);

/**
 * jt_datagram_parse - check a whole audio datagram: the newest header
 * (jt_header_decode), @len a multiple of the sub-packet size it gives (at
 * most JT_MAX_REDUNDANCY of them; 63 bytes is never audio), and every older
 * sub-packet either all zero (a slot the sender had not filled yet) or a
 * header of the same N, rate, bits and channels with seq = newest - i.
 * Returns R (>= 1) and sets *@ret_hdr to the newest header, or -EBADMSG.
 */
int jt_datagram_parse(const uint8_t *buf, size_t len, struct jt_header *ret_hdr);

/* ---- samples and payload ---------------------------------------------- */

/**
 * jt_sample_encode - one sample as 1.7.0's sender converts it, at @out:
 * 8: round(x*127) clamped to +-127; 16: round(x*32767) clamped to +-32767,
 * little endian (NaN gives +full scale in both, as std::min does); 24: int16
 * floor(x*32768) little endian then one byte floor(remainder*256), not
 * clamped (x >= 1.0 wraps like the x86 truncation 1.7.0 compiles to:
 * 1.0 -> 00 80 00 = -1.0); 32: IEEE float32 little endian. Note: 1.7.0's own
 * 32-bit sender is broken (JACKTRIP.md): this writes what its receiver
 * decodes bit-exactly. @bits must be 8/16/24/32 (else nothing is written).
 */
void jt_sample_encode(float x, unsigned bits, uint8_t *out);

/** jt_sample_decode - one sample as 1.7.0's receiver converts it (v/128, v/32768, v/8388608, float32). */
float jt_sample_decode(const uint8_t *in, unsigned bits);

/**
 * jt_audio_encode - a planar payload of @channels x @frames from @ch (one
 * period buffer per channel; a NULL buffer sends silence) into @out.
 * Returns the payload size, -ENOBUFS if @len is smaller, -EINVAL for bad
 * @bits or counts.
 */
int jt_audio_encode(const float *const *ch, unsigned channels, unsigned frames, unsigned bits,
		    uint8_t *out, size_t len);

/**
 * jt_audio_decode - a planar payload of @channels x @frames x sample size
 * (exactly @len bytes, else -EBADMSG) into @nch buffers of @frames floats:
 * payload channels beyond @nch are skipped, buffers beyond @channels are
 * zeroed (1.7.0 takes the smaller count too). NULL buffers are skipped.
 * Returns 0, or -EINVAL for bad @bits or counts.
 */
int jt_audio_decode(const uint8_t *in, size_t len, unsigned channels, unsigned frames,
		    unsigned bits, float *const *ch, unsigned nch);

/**
 * jt_audio_f32_broken - does this 32-bit payload look like 1.7.0's broken
 * 32-bit sender (the low 4 bytes of each sample's double: 3 bytes 0, the
 * 4th one of 00 20 .. e0)? True if every sample has that form and one is
 * not 0. Such audio decodes to zeros and +-1e19-sized spikes; its owner
 * should mute it and say why. False for a @len not a multiple of 4.
 */
bool jt_audio_f32_broken(const uint8_t *payload, size_t len);

/* ---- exit packet ---------------------------------------------------------- */

/** jt_exit_build - the exit packet (63 x 0xFF) at @buf. Returns 63 or -ENOBUFS. */
int jt_exit_build(uint8_t *buf, size_t len);

/** jt_is_exit - is this datagram an exit packet (exactly 63 bytes, all 0xFF)? */
bool jt_is_exit(const uint8_t *buf, size_t len);

/* ---- hub handshake (TCP) ------------------------------------------------- */

/** A decoded client request. */
struct jt_hub_request {
	uint32_t value;          /* the client's UDP bind port, or JT_HUB_AUTH_OK */
	bool has_name;           /* 68-byte form */
	char name[JT_NAME_SIZE]; /* NUL-terminated UTF-8, "" when absent or empty */
};

/**
 * jt_hub_request_encode - the 68-byte request: @port (int32 LE) and @name
 * (NULL or "" for none) cut to 63 bytes at a UTF-8 character boundary, as
 * 1.7.0 does, NUL-padded. Returns 68, -ENOBUFS, or -EINVAL for port 0.
 */
int jt_hub_request_encode(uint16_t port, const char *name, uint8_t *buf, size_t len);

/** jt_hub_auth_request_encode - the 4-byte authentication request (65536). Returns 4 or -ENOBUFS. */
int jt_hub_auth_request_encode(uint8_t *buf, size_t len);

/**
 * jt_hub_request_decode - a complete request of @len 4 (port, or
 * JT_HUB_AUTH_OK) or 68 (port 1..65535 and a name with a NUL in the field,
 * valid UTF-8, nothing but zeros after the NUL is not required). Any other
 * length or value: -EBADMSG. The caller decides when the bytes it has are
 * complete (1.7.0 sends all 68 in one segment).
 */
int jt_hub_request_decode(const uint8_t *buf, size_t len, struct jt_hub_request *ret);

/** jt_hub_reply_encode - the server's 4-byte answer @value (a port 1..65535 or an enum jt_hub_code). -EINVAL for other values. */
int jt_hub_reply_encode(uint32_t value, uint8_t *buf, size_t len);

/**
 * jt_hub_reply_decode - the server's answer: @len must be 4, the value a port
 * 1..65535 or one of enum jt_hub_code, else -EBADMSG. A client that asked
 * for no authentication must treat any value above 65535 as a refusal.
 */
int jt_hub_reply_decode(const uint8_t *buf, size_t len, uint32_t *ret_value);

/** jt_hub_value_is_port - is this handshake value a UDP port (1..65535)? */
static inline bool jt_hub_value_is_port(uint32_t v)
{
	return v >= 1 && v <= 65535;
}

/* ---- redundancy sender ---------------------------------------------------- */

struct jt_sender;

/** jt_sender_new - a sender for @f (see jt_format_check), seq starting at 0. 0, -EINVAL or -ENOMEM. */
int jt_sender_new(const struct jt_format *f, struct jt_sender **ret);

/** jt_sender_free - free @s; NULL is a no-op. */
void jt_sender_free(struct jt_sender *s);

/** jt_sender_datagram_size - bytes every datagram of @s has. */
size_t jt_sender_datagram_size(const struct jt_sender *s);

/** jt_sender_seq - the sequence number the next datagram of @s gets. */
uint16_t jt_sender_seq(const struct jt_sender *s);

/**
 * jt_sender_build - one period: encode @ch (send_channels buffers of frames
 * floats; NULL buffers are silence) with @timestamp_us into a new sub-packet,
 * and write the datagram to @out: it first, then the R - 1 periods before it,
 * newest first (all zeros where there was none yet, as 1.7.0 sends). Returns
 * the datagram size or -ENOBUFS (nothing is sent or counted then).
 */
int jt_sender_build(struct jt_sender *s, const float *const *ch, uint64_t timestamp_us,
		    uint8_t *out, size_t len);

/* ---- receiver -------------------------------------------------------------- */

/** What a receiver expects: the peer's format, as its first header gave it. */
struct jt_rx_config {
	unsigned frames;         /* the peer's N */
	unsigned rate;           /* enum jt_rate */
	unsigned bits;
	unsigned channels;       /* payload channels (jt_header_channels) */
	unsigned max_redundancy; /* largest R accepted, 1..JT_MAX_REDUNDANCY */
};

/** What one datagram did. */
struct jt_rx_info {
	unsigned taken;     /* periods queued for jt_receiver_pop() */
	unsigned recovered; /* of them, taken from older sub-packets (a datagram was lost) */
	unsigned lost;      /* periods skipped that no sub-packet carried */
	unsigned duplicate; /* sub-packets already taken */
	unsigned dropped;   /* periods of the previous datagram never popped */
	bool late;          /* outside the window (behind the stream, or too far ahead): ignored */
	bool resync;        /* the numbering restarted here (a new sender) */
};

struct jt_receiver;

/** jt_receiver_new - a receiver for @cfg. 0, -EINVAL or -ENOMEM. */
int jt_receiver_new(const struct jt_rx_config *cfg, struct jt_receiver **ret);

/** jt_receiver_free - free @r; NULL is a no-op. */
void jt_receiver_free(struct jt_receiver *r);

/**
 * jt_receiver_push - take one datagram. The periods it brings that came after
 * the last one taken are queued oldest first, up to R of them (the first
 * datagram of a stream gives only its newest); anything queued before and
 * not popped is dropped. Sequence numbers compare modulo 65536: a step of 1..
 * JT_SEQ_WINDOW is new (the periods between count as lost unless an older
 * sub-packet carries them), 0 or behind is a duplicate or late; JT_RESYNC_AFTER
 * datagrams in a row outside the window restart the stream at the last one.
 * Returns the number of periods queued, -EBADMSG (jt_datagram_parse; the
 * exit packet too: check jt_is_exit() first) or -EPROTO (another N, rate,
 * bits or channel count than @cfg, or R above max_redundancy). @ret_info may
 * be NULL; it is filled on success.
 */
int jt_receiver_push(struct jt_receiver *r, const uint8_t *buf, size_t len,
		     struct jt_rx_info *ret_info);

/**
 * jt_receiver_pop - decode the oldest queued period into @nch buffers of
 * frames floats (as jt_audio_decode). Returns 1 and sets *@ret_seq (may be
 * NULL) to its sequence number, or 0 when nothing is queued.
 */
int jt_receiver_pop(struct jt_receiver *r, float *const *ch, unsigned nch, uint16_t *ret_seq);

#ifdef __cplusplus
}
#endif

#endif
