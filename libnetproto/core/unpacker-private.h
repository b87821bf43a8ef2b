/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * unpacker-private.h - the reassembler's state, shared by cycle-unpack.c
 * (push: validate and store) and cycle-take.c (take: render and account).
 */
#ifndef LIBNETPROTO_UNPACKER_PRIVATE_H
#define LIBNETPROTO_UNPACKER_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/cycle.h>

#include "cycle-private.h"

#define NJ2_SUB_WORDS (NJ2_MAX_PACKETS_PER_CYCLE / 64)

/* One cycle in flight. */
struct rx_slot {
	bool used;
	uint32_t cycle;
	bool have_sync;
	struct nj_portset peer_wants;
	struct nj_portset present; /* float: ports seen in the audio packets */
	/* audio packets: count announced (0 = none seen yet), received, highest sub + 1 */
	uint32_t audio_num, audio_got, audio_top;
	uint32_t float_s, float_a; /* float: sub-period and active ports of this cycle */
	uint64_t audio_bits[NJ2_SUB_WORDS];
	/* MIDI packets, likewise */
	uint32_t midi_num, midi_got, midi_top;
	uint64_t midi_bits[NJ2_SUB_WORDS];
	bool midi_done; /* every record present (or the stream is known bad) */
	bool midi_bad;
	size_t midi_end; /* bytes of the records, when done and not bad */
	float *audio;        /* float: audio_channels * period samples */
	float **audio_ptr;   /* per channel, into audio */
	uint8_t *streams;    /* int16/Opus: audio_channels * stream_len */
	uint8_t **stream_ptr;
	uint8_t *midi;       /* the MIDI stream, lay.midi_rx_max bytes */
	uint16_t *midi_len;  /* bytes carried by each MIDI sub */
};

struct nj2_unpacker {
	struct nj2_cycle_config cfg;
	struct nj2_layout lay;
	struct rx_slot *slot;
	unsigned nslots;
	struct nj_rx_stats st;
	bool taken_any;
	uint32_t last_taken;
	bool seen_any;
	uint32_t last_arrival; /* cycle of the last packet accepted or late */
	uint64_t arrivals;
	/* packets expected of a kind when a cycle did not say (the last count seen) */
	uint32_t est_audio, est_midi;
	struct nj2_tiles *tiles; /* tiled float: per active count (NJ2_EXT_TILED) */
	/* what take() hands out */
	float *out_audio;
	float **out_ptr;
	uint8_t *out_midi;
	struct nj2_range *ranges;
	unsigned ranges_max;
	struct nj_portset opus_lost;
	struct nj_midi_event *out_ev;
	const struct nj_midi_event **out_ev_ptr;
	uint32_t *out_ev_count;
};

static inline bool sub_has(const uint64_t *bits, uint32_t sub)
{
	return (bits[sub / 64] >> (sub % 64)) & 1;
}

static inline void sub_set(uint64_t *bits, uint32_t sub)
{
	bits[sub / 64] |= (uint64_t)1 << (sub % 64);
}

/* The slot ring (cycle-slots.c). */

/* The slot holding @cycle, or NULL. */
struct rx_slot *nj2_unpacker_find(const struct nj2_unpacker *u, uint32_t cycle);

/* Claim @s for @cycle: everything absent until packets say otherwise. */
void nj2_slot_claim(struct nj2_unpacker *u, struct rx_slot *s, uint32_t cycle);

/* Has every expected packet of the slot's cycle arrived (MIDI: every record)? */
bool nj2_slot_complete(const struct nj2_unpacker *u, const struct rx_slot *s);

/* Packets the slot's cycle should have had: what it announced, else the
 * last counts seen (@s may be NULL: a cycle never seen). */
uint64_t nj2_slot_expected(const struct nj2_unpacker *u, const struct rx_slot *s);

/* Count the packets of a held cycle that never came as lost, and free its slot. */
void nj2_slot_retire(struct nj2_unpacker *u, struct rx_slot *s);

#endif
