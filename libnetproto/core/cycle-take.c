/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cycle-take.c - hand out one reassembled cycle: audio with the frame ranges
 * that never arrived, Opus decoded (concealed where lost), MIDI records when
 * the whole stream arrived, and the loss accounting.
 *
 * jack2 reports a lost packet as an xrun and leaves whatever the buffers held;
 * a lost cycle shortens its latency. Here a missing cycle is simply a silent
 * (or codec-concealed) period with its ranges listed, so the caller can
 * conceal, and the cycle's slot is free again.
 */
#include <errno.h>
#include <string.h>

#include <libnetproto/audio.h>
#include <libnetproto/midi.h>

#include "unpacker-private.h"



/* Append [start, end) to the missing ranges, merging with the previous one. */
static void add_range(struct nj2_unpacker *u, struct nj2_cycle_out *out, uint32_t start,
		      uint32_t end)
{
	struct nj2_range *last = out->nmissing ? &u->ranges[out->nmissing - 1] : NULL;

	if (end <= start) {
		return;
	}
	if (last != NULL && last->start + last->len >= start) {
		if (end > last->start + last->len) {
			last->len = end - last->start;
		}
		return;
	}
	if (out->nmissing < u->ranges_max) {
		u->ranges[out->nmissing].start = start;
		u->ranges[out->nmissing].len = end - start;
		out->nmissing++;
	}
}

/*
 * Float: the slot's buffers become the output (swapped, no copy). Missing
 * sub-periods are listed; so are the frames after n * S when the period is
 * not a multiple of S: jack2's layout never sends them (P = 480: 384-479), so
 * they are listed on every cycle but do not make it incomplete.
 */
static void take_float(struct nj2_unpacker *u, struct rx_slot *s, struct nj2_cycle_out *out)
{
	unsigned period = u->cfg.period;
	float *tmp = u->out_audio;

	u->out_audio = s->audio;
	s->audio = tmp;
	out->present = s->present;
	if (s->audio_num == 0) {
		memset(u->out_audio, 0, (size_t)u->cfg.audio_channels * period * sizeof(float));
		add_range(u, out, 0, period);
		return;
	}
	if (u->tiles != NULL && s->float_a > 0) {
		/* a lost tile: its frames are listed for every port (the ports
		 * of the other groups arrived, but the list is by frames) */
		const struct nj2_tiles *t = &u->tiles[s->float_a];

		for (unsigned b = 0; b < t->nb; b++) { /* in frame order */
			for (unsigned grp = 0; grp < t->n / t->nb; grp++) {
				unsigned k = nj2_tile_k(t, b, grp), f0, nf, p0, np;

				if (sub_has(s->audio_bits, k)) {
					continue;
				}
				/* missing for every port: the others' frames too */
				nj2_tile_span(t, s->float_a, period, k, &f0, &nf, &p0, &np);
				add_range(u, out, f0, f0 + nf);
				for (unsigned ch = 0; ch < u->cfg.audio_channels; ch++) {
					memset(u->out_audio + (size_t)ch * period + f0, 0,
					       nf * sizeof(float));
				}
				break;
			}
		}
		return;
	}
	for (uint32_t k = 0; k < s->audio_num; k++) {
		if (!sub_has(s->audio_bits, k)) {
			add_range(u, out, k * s->float_s, (k + 1) * s->float_s);
		}
	}
	add_range(u, out, s->audio_num * s->float_s, period);
}

/*
 * int16: chunks are byte ranges of the per-port stream (byte offsets, not
 * jack2's sample offsets that break odd chunks); a lost chunk takes every
 * frame it touched, including a frame split with its neighbour.
 */
static void take_int16(struct nj2_unpacker *u, struct rx_slot *s, struct nj2_cycle_out *out)
{
	const struct nj2_layout *l = &u->lay;
	unsigned chans = u->cfg.audio_channels, period = u->cfg.period;

	nj_portset_fill(&out->present, s->audio_num ? chans : 0);
	for (unsigned ch = 0; ch < chans; ch++) {
		nj2_int16_to_float(u->out_ptr[ch], s->stream_ptr[ch], period);
	}
	if (s->audio_num == 0) {
		add_range(u, out, 0, period);
	}
	for (uint32_t k = 0; s->audio_num && k < l->stream_n; k++) {
		uint32_t b0 = k * l->stream_chunk;
		uint32_t b1 = b0 + nj2_stream_chunk_len(l->stream_len, l->stream_n, l->stream_chunk, k);

		if (!sub_has(s->audio_bits, k)) {
			add_range(u, out, b0 / 2, (b1 + 1) / 2);
		}
	}
	for (unsigned i = 0; i < out->nmissing; i++) {
		for (unsigned ch = 0; ch < chans; ch++) {
			memset(u->out_ptr[ch] + u->ranges[i].start, 0,
			       u->ranges[i].len * sizeof(float));
		}
	}
}

/*
 * Opus: a packet carries a piece of every port's frame, so one lost packet
 * loses every frame: the decoder conceals (PLC) then. The decoders are
 * stateful, so this runs for every cycle taken, present or not.
 */
static void take_opus(struct nj2_unpacker *u, struct rx_slot *s, struct nj2_cycle_out *out)
{
	const struct nj_codec_ops *codec = u->cfg.codec;
	unsigned chans = u->cfg.audio_channels;
	bool whole = s != NULL && s->audio_num > 0 && s->audio_got == s->audio_num;

	nj_portset_fill(&out->present, s && s->audio_num ? chans : 0);
	for (unsigned ch = 0; ch < chans; ch++) {
		const uint8_t *st = whole ? s->stream_ptr[ch] : NULL;

		if (codec->decode(u->cfg.codec_ctx, ch, st, u->out_ptr[ch]) < 0) {
			memset(u->out_ptr[ch], 0, u->cfg.period * sizeof(float));
			st = NULL;
		}
		if (st == NULL) {
			nj_portset_add(&u->opus_lost, ch);
		}
	}
}

/*
 * MIDI: every port's record, or nothing for the cycle (jack2 drops it too).
 * A stream whose records do not decode counts in midi_dropped, not in
 * malformed: that one counts packets, each exactly once.
 */
static void take_midi(struct nj2_unpacker *u, struct rx_slot *s)
{
	const struct nj2_cycle_config *c = &u->cfg;
	size_t off = 0;
	uint8_t *tmp;

	memset(u->out_ev_count, 0, c->midi_channels * sizeof(*u->out_ev_count));
	if (s == NULL || !s->midi_done || s->midi_bad) {
		u->st.midi_dropped += c->midi_channels;
		return;
	}
	/* The events point into the stream: keep it with the output. */
	tmp = u->out_midi;
	u->out_midi = s->midi;
	s->midi = tmp;
	for (unsigned p = 0; p < c->midi_channels; p++) {
		struct nj2_midi_record rec;
		int n = nj2_midi_decode(u->out_midi + off, s->midi_end - off, c->period,
				       u->out_ev + (size_t)p * c->midi_max_events,
				       c->midi_max_events, &rec);

		if (n < 0) {
			memset(u->out_ev_count, 0, c->midi_channels * sizeof(*u->out_ev_count));
			u->st.midi_dropped += c->midi_channels;
			return;
		}
		u->out_ev_count[p] = (uint32_t)n;
		off += rec.length;
	}
}

/* Drop held cycles older than @cycle; returns how many. */
static uint32_t drop_older(struct nj2_unpacker *u, uint32_t cycle)
{
	uint32_t dropped = 0;

	for (unsigned i = 0; i < u->nslots; i++) {
		struct rx_slot *s = &u->slot[i];

		if (s->used && nj_cycle_before(s->cycle, cycle)) {
			nj2_slot_retire(u, s);
			dropped++;
		}
	}
	u->st.cycles_dropped += dropped;
	return dropped;
}

int nj2_unpacker_take(struct nj2_unpacker *u, uint32_t cycle, struct nj2_cycle_out *out)
{
	const struct nj2_cycle_config *c;
	bool fresh;
	struct rx_slot *s;
	uint32_t dropped;

	if (u == NULL || out == NULL) {
		return -EINVAL;
	}
	c = &u->cfg;
	/* A cycle at or before the last one taken was accounted for already. */
	fresh = !u->taken_any || nj_cycle_before(u->last_taken, cycle);
	dropped = drop_older(u, cycle);
	s = nj2_unpacker_find(u, cycle);
	if (fresh && u->taken_any) {
		/* Cycles skipped without a packet: their packets count as lost too. */
		uint64_t unseen = (uint32_t)(cycle - u->last_taken - 1) - dropped;

		u->st.lost += unseen * nj2_slot_expected(u, NULL);
	}
	memset(out, 0, sizeof(*out));
	out->cycle = cycle;
	out->have_sync = s != NULL && s->have_sync;
	if (out->have_sync) {
		out->peer_wants = s->peer_wants;
	} else {
		nj_portset_fill(&out->peer_wants, NJ_MAX_CHANNELS);
	}
	nj_portset_clear(&u->opus_lost);
	for (unsigned ch = 0; ch < c->audio_channels; ch++) {
		u->out_ptr[ch] = u->out_audio + (size_t)ch * c->period;
	}
	if (c->audio_channels > 0 && c->encoder == NJ2_ENCODER_OPUS) {
		take_opus(u, s, out);
	} else if (c->audio_channels > 0 && s == NULL) {
		memset(u->out_audio, 0, (size_t)c->audio_channels * c->period * sizeof(float));
		add_range(u, out, 0, c->period);
	} else if (c->audio_channels > 0 && c->encoder == NJ2_ENCODER_FLOAT) {
		take_float(u, s, out);
		for (unsigned ch = 0; ch < c->audio_channels; ch++) {
			u->out_ptr[ch] = u->out_audio + (size_t)ch * c->period;
		}
	} else if (c->audio_channels > 0) {
		take_int16(u, s, out);
	}
	if (c->midi_channels > 0) {
		take_midi(u, s);
	}
	out->complete = s != NULL && nj2_slot_complete(u, s);
	out->audio = u->out_ptr;
	out->missing = u->ranges;
	out->opus_lost = &u->opus_lost;
	out->midi = u->out_ev_ptr;
	out->midi_count = u->out_ev_count;
	u->st.cycles++;
	u->st.cycles_incomplete += !out->complete;
	u->st.cycles_missing += s == NULL;
	if (s != NULL) {
		nj2_slot_retire(u, s);
	} else if (fresh) {
		u->st.lost += nj2_slot_expected(u, NULL);
	}
	if (fresh) {
		u->last_taken = cycle;
		u->taken_any = true;
	}
	return 0;
}
