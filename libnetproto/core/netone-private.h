/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netone-private.h - what the netone packer and reassembler share inside the
 * core: the layout of one direction's big packet, derived once from the
 * configuration. Not installed.
 */
#ifndef LIBNETPROTO_NETONE_PRIVATE_H
#define LIBNETPROTO_NETONE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/netone.h>

/* Largest big packet we build or reassemble: 128 float channels at P 8192. */
#define NJ1_PACKET_MAX (4u << 20)

/* One direction's big packet. */
struct nj1_layout {
	unsigned block;	       /* bytes per channel */
	unsigned channels;     /* audio + MIDI */
	size_t packet;	       /* big packet, header included */
	size_t payload;	       /* packet - 56 */
	unsigned frag_payload; /* mtu - 56: payload bytes per full fragment */
	unsigned fragments;    /* datagrams per copy */
};

/*
 * nj1_layout_of - validate @cfg's mode, period, rate, kbps, MTU, channel
 * counts, redundancy and codec (Opus: stream_len == block) and derive the
 * layout. Returns 0, -EINVAL or -EOPNOTSUPP (CELT).
 */
int nj1_layout_of(const struct nj1_stream_config *cfg, struct nj1_layout *ret);

/* Is framecnt @a older than @b (serial number arithmetic: it wraps)? */
static inline bool nj1_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* The uint16 BE length at the start of an Opus block. */
static inline unsigned nj1_opus_len(const uint8_t *block)
{
	return (unsigned)block[0] << 8 | block[1];
}

#endif
