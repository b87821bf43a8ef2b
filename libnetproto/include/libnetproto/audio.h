/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * audio.h - audio payload layouts (NETJACK2-WIRE.md section 7).
 *
 * Packet arithmetic for every encoder, and the float and int16 payload codecs.
 * Opus and CELT frames are "byte streams" per port, split across packets the
 * same way int16 is; the codec itself lives in <libnetproto/opus.h>.
 * All functions are allocation-free and safe on hostile input.
 */
#ifndef LIBNETPROTO_AUDIO_H
#define LIBNETPROTO_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include <libnetproto/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * nj2_float_subperiod - frames per packet jack2 uses for @active float ports.
 * S = min(P, 2^floor(log2((mtu-112) / (4*active)))); S = P when active == 0.
 * Returns 0 when no power of two fits (jack2 would divide by zero): the caller
 * must refuse such parameters.
 */
unsigned nj2_float_subperiod(unsigned mtu, unsigned active, unsigned period);

/**
 * nj2_float_packets - audio packets per cycle for float: 1 if @active == 0,
 * else floor(P / S). Returns 0 when S is 0.
 */
unsigned nj2_float_packets(unsigned mtu, unsigned active, unsigned period);

/*
 * Tiles (NJ2_EXT_TILED, between netjack peers only): a cycle's A active float
 * ports x P frames cut into groups of G ports and blocks of S frames; packet
 * k carries group k / nb, block k % nb, each port as jack2's float record
 * (BE index, then the block's frames as LE float32). The last group and the
 * last block may be smaller. G and S are chosen so that every payload fits
 * nj2_tile_budget(mtu) (the datagram fills an IPv6 packet of the MTU at most:
 * never fragmented, IPv4 or IPv6) with the fewest packets, and among those
 * the fewest blocks. Both ends derive the same tiles from (mtu, A, P).
 */
#define NJ2_TILE_RESERVE 48 /* IPv6 and UDP headers */

/** Payload bytes of a tile (and of a tiled MIDI packet): mtu - 48 - 48. */
static inline unsigned nj2_tile_budget(unsigned mtu)
{
	return mtu - NJ2_TILE_RESERVE - NJ2_HEADER_SIZE;
}

struct nj2_tiles {
	uint16_t s;  /* frames per block (the last: P - (nb-1) S) */
	uint16_t g;  /* ports per group (the last: A - (ng-1) G) */
	uint16_t nb; /* blocks */
	uint16_t n;  /* packets: ceil(A / G) x nb */
};

/**
 * nj2_float_tiles - the tiles of @active ports (1..NJ_MAX_CHANNELS) at period
 * @period for @mtu. Returns the packet count (also in @ret->n), or 0 when no
 * tiling fits or it would take more than NJ2_MAX_PACKETS_PER_CYCLE packets.
 * Costs O(period): callers keep a table per active count.
 */
unsigned nj2_float_tiles(unsigned mtu, unsigned active, unsigned period, struct nj2_tiles *ret);

/**
 * nj2_tile_k - the packet index of block @block of port group @group: block
 * by block when there are fewer blocks than groups, else group by group (the
 * order with the longer runs of equal-size packets, one UDP GSO send each).
 */
static inline unsigned nj2_tile_k(const struct nj2_tiles *t, unsigned block, unsigned group)
{
	unsigned ng = t->n / t->nb;

	return t->nb < ng ? block * ng + group : group * t->nb + block;
}

/**
 * Frames and ports of tile @k: *@ret_f0 first frame, *@ret_nf frames, *@ret_p0
 * first active port, *@ret_np ports (the inverse of nj2_tile_k).
 */
void nj2_tile_span(const struct nj2_tiles *t, unsigned active, unsigned period, unsigned k,
		   unsigned *ret_f0, unsigned *ret_nf, unsigned *ret_p0, unsigned *ret_np);

/**
 * nj2_tile_encode - write the payload of tile @k of @t for @nactive ports
 * (@ports full periods, @index their port indices). Returns payload bytes,
 * -ENOBUFS or -EINVAL (k out of range).
 */
int nj2_tile_encode(uint8_t *buf, size_t len, const float *const *ports, const uint32_t *index,
		    unsigned nactive, unsigned period, const struct nj2_tiles *t, unsigned k);

/** nj2_tile_check - nj2_tile_decode's checks alone: would it accept this tile? */
bool nj2_tile_check(const uint8_t *payload, size_t len, unsigned active, unsigned k,
		    unsigned period, const struct nj2_tiles *t, unsigned nports);

/**
 * nj2_tile_decode - render tile @k of a cycle with @active ports tiled as @t
 * into @ports (@nports buffers of @period floats); @ret_present (may be
 * NULL) gets the ports present added. The size must be exactly the tile's
 * and every index below @nports, checked before anything is written.
 * Returns the tile's frame count, or -EBADMSG.
 */
int nj2_tile_decode(const uint8_t *payload, size_t len, unsigned active, unsigned k,
		    unsigned period, const struct nj2_tiles *t, float *const *ports, unsigned nports,
		    struct nj_portset *ret_present);

/**
 * nj2_stream_layout - split a per-port byte stream of @stream_len bytes across
 * packets, as jack2 does for int16, Opus and CELT:
 * n = ceil(C*L / (mtu-112)), chunk c = floor(L/n), last chunk c + L mod n.
 * Returns n and sets *@ret_chunk = c; returns 0 if the layout is impossible
 * (c would be 0, or n > NJ2_MAX_PACKETS_PER_CYCLE).
 */
unsigned nj2_stream_layout(unsigned mtu, unsigned channels, unsigned stream_len,
			  unsigned *ret_chunk);

/** Length of chunk @k of @n for a stream of @stream_len bytes with chunk size @chunk. */
static inline unsigned nj2_stream_chunk_len(unsigned stream_len, unsigned n, unsigned chunk,
					   unsigned k)
{
	return k + 1 == n ? chunk + stream_len % n : chunk;
}

/** Per-port stream length of int16: 2 bytes per frame. */
static inline unsigned nj2_int16_stream_len(unsigned period)
{
	return 2 * period;
}

/**
 * nj2_midi_packets_send - MIDI packets we send for @d bytes of MIDI stream:
 * ceil(d / (mtu-48)), at least 1 (the count jack2's receiver expects; jack2's
 * own sender computes it with mtu-112, see nj2_midi_packets_jack2).
 */
unsigned nj2_midi_packets_send(unsigned mtu, size_t d);

/** nj2_midi_packets_jack2 - jack2's sender's count ceil(d / (mtu-112)), at least 1. */
unsigned nj2_midi_packets_jack2(unsigned mtu, size_t d);

/** Bytes of MIDI stream carried by one MIDI packet: mtu - 48. */
static inline unsigned nj2_midi_chunk(unsigned mtu)
{
	return mtu - NJ2_HEADER_SIZE;
}

/**
 * nj2_params_check_session - are these parameters usable for a running session?
 * For parameters after -1 resolution (SLAVE_SETUP / START_MASTER content):
 * all channel counts in 0..NJ_MAX_CHANNELS, rate and period set, and for the
 * chosen encoder a packet layout with at least one frame (float) or one byte
 * (int16, Opus) per packet and at most NJ2_MAX_PACKETS_PER_CYCLE packets per
 * cycle in each direction. Opus also needs nj_opus_check() (opus.h).
 * Returns 0, or -EINVAL.
 */
int nj2_params_check_session(const struct nj2_params *p);

/**
 * nj2_float_encode - write the payload of float packet @sub (frames
 * sub*S .. sub*S+S-1) for @nactive ports.
 * @ports: per active port, the full period of samples (P floats).
 * @index: per active port, its port index (ascending).
 * Layout per port: BE int32 index, then S little-endian float32.
 * Returns payload bytes (nactive * (4 + 4S)), -ENOBUFS or -EINVAL.
 */
int nj2_float_encode(uint8_t *buf, size_t len, const float *const *ports,
		    const uint32_t *index, unsigned nactive, unsigned sub, unsigned S);

/**
 * nj2_float_decode - render one float packet payload into port buffers.
 * @payload/@len: bytes after the header (packet_size - 48).
 * @active: the header's active_ports; S is derived from the size
 * (len = active * (4 + 4S)), so both jack2's and PipeWire's sub-period rules are
 * accepted. @sub: the header's sub_cycle.
 * @ports: nports buffers of @period floats; frames sub*S.. are written for each
 * port present; @ret_present (may be NULL) gets the ports present added.
 * Returns S (frames per port written), or -EBADMSG: size not a multiple,
 * S == 0, (sub+1)*S > period, a port index >= nports, active > nports.
 */
int nj2_float_decode(const uint8_t *payload, size_t len, uint32_t active, uint32_t sub,
		    unsigned period, float *const *ports, unsigned nports,
		    struct nj_portset *ret_present);

/**
 * nj2_int16_from_float - convert a period to jack2's int16 stream: LE int16,
 * value (short)(x * 32767) with clipping to [-1, 1] first (jack2 does not clip:
 * undefined behaviour there; clipping is the defined superset).
 */
void nj2_int16_from_float(uint8_t *stream, const float *samples, unsigned frames);

/** nj2_int16_to_float - decode an int16 stream: s / 32767. */
void nj2_int16_to_float(float *samples, const uint8_t *stream, unsigned frames);

/**
 * nj2_stream_encode - write packet @k of a chunked stream payload: for each of
 * @channels ports in order, bytes [k*chunk, k*chunk + len_k) of its stream,
 * with the layout nj2_stream_layout(@mtu, @channels, @stream_len) gives.
 * @streams: per port, @stream_len bytes. Returns payload bytes, -ENOBUFS, or
 * -EINVAL (no layout, k >= n).
 */
int nj2_stream_encode(uint8_t *buf, size_t len, unsigned mtu, const uint8_t *const *streams,
		     unsigned channels, unsigned stream_len, unsigned k);

/**
 * nj2_stream_decode - place packet @k's payload into per-port streams, at byte
 * offsets (not jack2's sample offsets, which corrupt odd chunks).
 * Checks that @len equals channels * chunk_len(k) for the layout derived from
 * (@mtu, @channels, @stream_len) and that k < n.
 * Returns 0 or -EBADMSG.
 */
int nj2_stream_decode(const uint8_t *payload, size_t len, unsigned mtu, unsigned channels,
		     unsigned stream_len, unsigned k, uint8_t *const *streams);

/**
 * nj2_socket_buffer_size - jack2's socket buffer size for a session:
 * 30 * (mtu + audio_cycle_bytes + midi_cycle_bytes) (NETJACK2-WIRE.md section 1),
 * clamped to INT_MAX.
 */
int nj2_socket_buffer_size(const struct nj2_params *p);

#ifdef __cplusplus
}
#endif

#endif
