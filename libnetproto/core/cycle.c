/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cycle.c - the packet layout of one direction, derived once from the
 * negotiated configuration (NETJACK2-WIRE.md sections 4, 7 and 8), and the
 * checked allocation both the packer and the unpacker size their buffers with.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <libnetproto/audio.h>

#include "cycle-private.h"

void *nj_calloc_array(size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		return NULL;
	}
	/* calloc(0) may return NULL; every buffer here gets at least one byte. */
	return calloc(total ? n : 1, total ? size : 1);
}

bool nj_size_muladd(size_t a, size_t b, size_t c, size_t *ret)
{
	size_t m;

	return !__builtin_mul_overflow(a, b, &m) && !__builtin_add_overflow(m, c, ret);
}

static size_t size_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

unsigned nj2_layout_midi_packets(const struct nj2_layout *l, size_t d)
{
	size_t n = (d + l->midi_chunk - 1) / l->midi_chunk;

	return n == 0 ? 1 : n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
}

struct nj2_tiles *nj2_cycle_tiles(const struct nj2_cycle_config *cfg)
{
	struct nj2_tiles *t = nj_calloc_array((size_t)cfg->audio_channels + 1, sizeof(*t));

	for (unsigned a = 1; t != NULL && a <= cfg->audio_channels; a++) {
		if (nj2_float_tiles(cfg->mtu, a, cfg->period, &t[a]) == 0) {
			free(t);
			t = NULL;
		}
	}
	return t;
}

/* Tiled float: every tile a header and its records; A = 0 as jack2's. */
static int layout_tiles(const struct nj2_cycle_config *cfg, struct nj2_layout *l)
{
	struct nj2_tiles *t = nj2_cycle_tiles(cfg);

	if (t == NULL) {
		return -EINVAL;
	}
	l->audio_max = 1;
	l->audio_bytes = NJ2_HEADER_SIZE;
	for (unsigned a = 1; a <= cfg->audio_channels; a++) {
		/* n headers, a x nb record indices, a x P samples: small enough
		 * not to overflow (n <= 1024, a <= 256, P <= NJ_PERIOD_MAX) */
		size_t bytes = (size_t)t[a].n * NJ2_HEADER_SIZE + 4 * (size_t)a * t[a].nb +
			       4 * (size_t)a * cfg->period;

		l->audio_max = t[a].n > l->audio_max ? t[a].n : l->audio_max;
		l->audio_bytes = bytes > l->audio_bytes ? bytes : l->audio_bytes;
	}
	l->float_n_all = t[cfg->audio_channels].n;
	free(t);
	return 0;
}

/*
 * Float: the packet count depends on how many ports are active in a cycle,
 * so the buffers are sized for the worst active count. A = 0 is jack2's
 * header-only packet.
 */
static int layout_float(const struct nj2_cycle_config *cfg, struct nj2_layout *l)
{
	for (unsigned a = 0; a <= cfg->audio_channels; a++) {
		unsigned n = nj2_float_packets(cfg->mtu, a, cfg->period);
		unsigned s = a ? nj2_float_subperiod(cfg->mtu, a, cfg->period) : cfg->period;
		size_t per_port, bytes;

		if (n == 0 || s == 0 || n > NJ2_MAX_PACKETS_PER_CYCLE) {
			return -EINVAL;
		}
		if (!nj_size_muladd(s, 4, 4, &per_port) ||
		    !nj_size_muladd(a, per_port, NJ2_HEADER_SIZE, &bytes) ||
		    !nj_size_muladd(n, bytes, 0, &bytes)) {
			return -EINVAL;
		}
		if (n > l->audio_max) {
			l->audio_max = n;
		}
		if (bytes > l->audio_bytes) {
			l->audio_bytes = bytes;
		}
	}
	l->float_n_all = nj2_float_packets(cfg->mtu, cfg->audio_channels, cfg->period);
	return 0;
}

/* int16 and Opus: per-port byte streams split port-major across packets. */
static int layout_stream(const struct nj2_cycle_config *cfg, struct nj2_layout *l)
{
	unsigned chunk = 0;
	size_t hdrs;

	if (cfg->encoder == NJ2_ENCODER_INT16) {
		l->stream_len = nj2_int16_stream_len(cfg->period);
	} else {
		const struct nj_codec_ops *c = cfg->codec;

		if (c == NULL || c->encode == NULL || c->decode == NULL || c->stream_len == 0 ||
		    c->stream_len > UINT16_MAX + 2u) {
			return -EINVAL;
		}
		l->stream_len = c->stream_len;
	}
	l->stream_n = nj2_stream_layout(cfg->mtu, cfg->audio_channels, l->stream_len, &chunk);
	l->stream_chunk = chunk;
	if (l->stream_n == 0) {
		return -EINVAL;
	}
	if (!nj_size_muladd(l->stream_n, NJ2_HEADER_SIZE, 0, &hdrs) ||
	    !nj_size_muladd(cfg->audio_channels, l->stream_len, hdrs, &l->audio_bytes)) {
		return -EINVAL;
	}
	l->audio_max = l->stream_n;
	return 0;
}

/*
 * MIDI. What we send is capped at jack2's receive buffer, ports * P * 4 bytes,
 * which jack2 does not bounds-check (a larger stream overflows a jack2 peer's
 * heap). What we accept leaves room for records of midi_max_events events plus
 * a jack2-sized data area per port. Both stay within NJ2_MAX_PACKETS_PER_CYCLE
 * packets. The packet count we accept is bounded by jack2's own (larger,
 * mtu-112) count for the biggest stream we accept.
 */
static int layout_midi(const struct nj2_cycle_config *cfg, struct nj2_layout *l)
{
	size_t cap, per_port, tx, rx;

	if (cfg->midi_max_events == 0 || cfg->midi_max_events > NJ2_CYCLE_MIDI_EVENTS_MAX) {
		return -EINVAL;
	}
	l->midi_buffer_size = cfg->midi_buffer_size ? cfg->midi_buffer_size : NJ2_JACK2_MIDI_BUFSIZE;
	if (!nj_size_muladd(NJ2_MAX_PACKETS_PER_CYCLE, l->midi_chunk, 0, &cap) ||
	    !nj_size_muladd(cfg->midi_channels, 4 * (size_t)cfg->period, 0, &tx) ||
	    !nj_size_muladd(NJ2_MIDI_EVENT_SLOT, cfg->midi_max_events,
			    4 * (size_t)cfg->period + NJ2_MIDI_RECORD_HEADER + NJ2_MIDI_EVENT_SLOT,
			    &per_port) ||
	    !nj_size_muladd(cfg->midi_channels, per_port, 0, &rx)) {
		return -EINVAL;
	}
	l->midi_tx_max = size_min(tx, cap);
	l->midi_rx_max = size_min(rx, cap);
	l->midi_tx_packets = nj2_layout_midi_packets(l, l->midi_tx_max);
	l->midi_rx_packets = nj2_midi_packets_jack2(cfg->mtu, l->midi_rx_max);
	if (l->midi_rx_packets > NJ2_MAX_PACKETS_PER_CYCLE) {
		l->midi_rx_packets = NJ2_MAX_PACKETS_PER_CYCLE;
	}
	if (l->midi_tx_packets == 0 || l->midi_tx_packets > NJ2_MAX_PACKETS_PER_CYCLE ||
	    l->midi_rx_packets < l->midi_tx_packets) {
		return -EINVAL;
	}
	return 0;
}

int nj2_cycle_layout(const struct nj2_cycle_config *cfg, struct nj2_layout *ret)
{
	struct nj2_layout l = {0};
	int r = 0;

	if (cfg == NULL || ret == NULL) {
		return -EINVAL;
	}
	if (cfg->stream != NJ2_STREAM_SEND && cfg->stream != NJ2_STREAM_RETURN) {
		return -EINVAL;
	}
	if (cfg->period < NJ_PERIOD_MIN || cfg->period > NJ_PERIOD_MAX || cfg->mtu < NJ_MTU_MIN ||
	    cfg->mtu > NJ_MTU_MAX || cfg->audio_channels > NJ_MAX_CHANNELS ||
	    cfg->midi_channels > NJ_MAX_CHANNELS) {
		return -EINVAL;
	}
	if (cfg->encoder == NJ2_ENCODER_CELT) {
		return -EOPNOTSUPP;
	}
	if (cfg->encoder != NJ2_ENCODER_FLOAT && cfg->encoder != NJ2_ENCODER_INT16 &&
	    cfg->encoder != NJ2_ENCODER_OPUS) {
		return -EINVAL;
	}
	l.budget = nj2_payload_budget(cfg->mtu);
	/* jack2's MIDI packets fill the MTU with the stream, 48 bytes past
	 * what an IP packet holds (the kernel fragments them); tiled, a chunk
	 * is a tile's budget */
	l.midi_chunk = cfg->tiled ? nj2_tile_budget(cfg->mtu) : nj2_midi_chunk(cfg->mtu);
	if (cfg->audio_channels > 0) {
		r = cfg->encoder != NJ2_ENCODER_FLOAT ? layout_stream(cfg, &l)
		    : cfg->tiled		       ? layout_tiles(cfg, &l)
						       : layout_float(cfg, &l);
	}
	if (r == 0 && cfg->midi_channels > 0) {
		r = layout_midi(cfg, &l);
	}
	if (r < 0) {
		return r;
	}
	*ret = l;
	return 0;
}
