/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netone-unpack-private.h - the netone reassembler's state, shared by
 * netone-unpack.c (pushing) and netone-take.c (taking). Not installed.
 */
#ifndef LIBNETPROTO_NETONE_UNPACK_PRIVATE_H
#define LIBNETPROTO_NETONE_UNPACK_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <libnetproto/netone.h>

#include "netone-private.h"

/* One period being reassembled. */
struct nj1_slot {
	bool used;
	uint32_t framecnt;
	unsigned have;	/* fragments present */
	bool have_hdr0; /* header is fragment 0's */
	struct nj1_header header;
	uint64_t complete_at;
	uint8_t *present; /* per fragment: 0/1 */
	uint8_t *payload; /* the big packet's payload (after the header) */
};

struct nj1_unpacker {
	struct nj1_stream_config cfg; /* session pointer cleared: a copy is below */
	struct nj1_layout lay;
	bool check_session;
	struct nj1_session session;
	struct nj1_slot *slot; /* cfg.slots, indexed by framecnt % slots */
	bool taken_any;
	uint32_t last_taken;
	/* what a take hands out */
	float **audio; /* audio_channels x period */
	bool *audio_lost;
	struct nj_midi_event **midi; /* midi_channels x midi_max_events */
	uint32_t *midi_count;
	uint8_t *midi_data; /* midi_channels x block: copies the events point into */
	struct nj1_rx_stats stats;
};

/* The slot holding @framecnt, or NULL. */
struct nj1_slot *nj1_slot_of(const struct nj1_unpacker *u, uint32_t framecnt);

/* Give a slot up. */
void nj1_slot_release(struct nj1_slot *s);

#endif
