/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cycle-private.h - what the packer, the unpacker and the receive scheduler
 * share inside the core: the per-direction packet layout derived once from the
 * negotiated configuration, checked allocation, and the unpacker's view for
 * the scheduler. Not installed.
 */
#ifndef LIBNETPROTO_CYCLE_PRIVATE_H
#define LIBNETPROTO_CYCLE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/cycle.h>

/* Upper bound on cfg->midi_max_events (jack2's 32 KiB port buffer holds < 2800). */
#define NJ2_CYCLE_MIDI_EVENTS_MAX 4096u

/* Everything about the packets of one direction that follows from the config. */
struct nj2_layout {
	unsigned budget;          /* mtu - 112: jack2's audio payload budget */
	unsigned midi_chunk;      /* bytes of MIDI stream per MIDI packet: mtu - 48 (jack2), budget (tiled) */
	unsigned stream_len;      /* int16/Opus: bytes per port per period */
	unsigned stream_n;        /* int16/Opus: audio packets per cycle */
	unsigned stream_chunk;    /* int16/Opus: bytes per port per packet (last: + remainder) */
	unsigned float_n_all;     /* float: audio packets with every port active */
	unsigned audio_max;       /* most audio packets one cycle can have */
	size_t audio_bytes;       /* most audio datagram bytes of one cycle */
	size_t midi_tx_max;       /* MIDI stream bytes we send at most per cycle */
	unsigned midi_tx_packets; /* MIDI packets for midi_tx_max */
	size_t midi_rx_max;       /* MIDI stream bytes we accept per cycle */
	unsigned midi_rx_packets; /* largest announced MIDI packet count we accept */
	uint32_t midi_buffer_size;/* buffer_size we announce in records */
};

/*
 * nj2_cycle_layout - validate @cfg (all fields but slots) and derive its layout.
 * Returns 0, -EINVAL or -EOPNOTSUPP (CELT).
 */
int nj2_cycle_layout(const struct nj2_cycle_config *cfg, struct nj2_layout *ret);

/* MIDI packets for @d bytes of MIDI stream in chunks of l->midi_chunk, at least 1. */
unsigned nj2_layout_midi_packets(const struct nj2_layout *l, size_t d);

/* Does @cfg carry float audio in tiles (NJ2_EXT_TILED, audio to carry)? */
static inline bool nj2_cycle_tiled(const struct nj2_cycle_config *cfg)
{
	return cfg->tiled && cfg->encoder == NJ2_ENCODER_FLOAT && cfg->audio_channels > 0;
}

/*
 * nj2_cycle_tiles - for a tiled float config, the tiles of every active count
 * 1..audio_channels (index 0 unused), allocated (free()); NULL when out of
 * memory or some count has no tiling. O(channels x period): once per session.
 */
struct nj2_tiles *nj2_cycle_tiles(const struct nj2_cycle_config *cfg);

/* calloc of @n * @size with the product overflow-checked; NULL on overflow. */
void *nj_calloc_array(size_t n, size_t size);

/* Checked a * b + c; false on overflow. */
bool nj_size_muladd(size_t a, size_t b, size_t c, size_t *ret);

/*
 * The unpacker as the receive scheduler sees it (cycle-unpack.c).
 * nj2_unpacker_newest_held - the newest held cycle not newer than *@limit
 * (of all, if @limit is NULL).
 * nj2_unpacker_last_arrival - the cycle of the last packet of our session
 * (accepted or late), and how many such packets arrived so far (which tells
 * the scheduler whether anything arrived since its last look). The last one,
 * not the newest: one corrupt cycle number must not hide later arrivals.
 */
bool nj2_unpacker_newest_held(const struct nj2_unpacker *u, const uint32_t *limit,
			     uint32_t *ret_cycle);
bool nj2_unpacker_last_arrival(const struct nj2_unpacker *u, uint32_t *ret_cycle,
			      uint64_t *ret_arrivals);

#endif
