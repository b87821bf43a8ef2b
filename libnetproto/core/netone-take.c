/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netone-take.c - hand out one reassembled period and conceal what is
 * missing (doc/protocol/NETONE.md sections 3-5).
 *
 * jack2 takes a period only when complete: a lost fragment loses the whole
 * period, and its slave then repeats the previous period's audio and MIDI
 * (float; Opus gives silence). Here a period with fragments missing is
 * decoded as far as it arrived: PCM samples whose bytes all came are kept,
 * the rest are 0; an Opus channel not fully received goes to the codec as
 * lost (its PLC); a MIDI channel not fully received has no events. Taking a
 * period releases it and every older one, as jack2's release does.
 */
#include <errno.h>
#include <string.h>

#include "netone-unpack-private.h"

/* Did every fragment covering payload bytes [a, a + n) arrive? */
static bool bytes_present(const struct nj1_unpacker *u, const struct nj1_slot *s, size_t a,
			  size_t n)
{
	size_t f = u->lay.frag_payload;

	for (size_t k = a / f; k <= (a + n - 1) / f; k++) {
		if (!s->present[k]) {
			return false;
		}
	}
	return true;
}

static unsigned sample_size(enum nj1_mode mode)
{
	return mode == NJ1_MODE_FLOAT ? 4 : mode == NJ1_MODE_INT16 ? 2 : 1;
}

/* A PCM channel: whole if it all came, else sample by sample. */
static void take_pcm(struct nj1_unpacker *u, const struct nj1_slot *s, unsigned ch)
{
	const struct nj1_stream_config *c = &u->cfg;
	unsigned b = u->lay.block, ss = sample_size(c->mode);
	size_t off = (size_t)ch * b;
	float *out = u->audio[ch];

	if (s == NULL) {
		memset(out, 0, c->period * sizeof(float));
		u->audio_lost[ch] = true;
		return;
	}
	if (s->have == u->lay.fragments || bytes_present(u, s, off, b)) {
		nj1_audio_decode(c->mode, s->payload + off, c->period, out);
		u->audio_lost[ch] = false;
		return;
	}
	for (unsigned i = 0; i < c->period; i++) {
		size_t at = off + (size_t)i * ss;

		if (bytes_present(u, s, at, ss)) {
			nj1_audio_decode(c->mode, s->payload + at, 1, &out[i]);
		} else {
			out[i] = 0.0f;
		}
	}
	u->audio_lost[ch] = true;
}

/* An Opus channel: the codec decodes it, or conceals a lost or bad block. */
static void take_opus(struct nj1_unpacker *u, const struct nj1_slot *s, unsigned ch)
{
	const struct nj1_stream_config *c = &u->cfg;
	unsigned b = u->lay.block;
	const uint8_t *block = NULL;
	float *out = u->audio[ch];

	if (s != NULL && bytes_present(u, s, (size_t)ch * b, b)) {
		block = s->payload + (size_t)ch * b;
		/* jack2 hands any length to the decoder, which reads past the block */
		if (nj1_opus_len(block) > b - 2) {
			u->stats.opus_bad++;
			block = NULL;
		}
	}
	u->audio_lost[ch] = block == NULL;
	if (c->codec->decode(c->codec_ctx, ch, block, out) < 0) {
		memset(out, 0, c->period * sizeof(float));
		u->audio_lost[ch] = true;
	}
}

static void take_midi(struct nj1_unpacker *u, const struct nj1_slot *s, unsigned m)
{
	const struct nj1_stream_config *c = &u->cfg;
	unsigned b = u->lay.block;
	size_t off = (size_t)(c->audio_channels + m) * b;
	uint8_t *copy = u->midi_data + (size_t)m * b;
	struct nj1_midi_list list;
	int n;

	u->midi_count[m] = 0;
	if (s == NULL || !bytes_present(u, s, off, b)) {
		u->stats.midi_lost++;
		return;
	}
	/* decode from a copy: the events stay valid while pushes reuse the slot */
	memcpy(copy, s->payload + off, b);
	n = nj1_midi_decode(copy, b, c->period, u->midi[m], c->midi_max_events, &list);
	u->midi_count[m] = n > 0 ? (uint32_t)n : 0;
	u->stats.midi_dropped += list.dropped;
	if (list.end == NJ1_MIDI_END_BAD) {
		u->stats.midi_bad++;
	}
}

/* Release every held period older than @f: jack2's release. */
static void drop_older(struct nj1_unpacker *u, uint32_t f)
{
	for (unsigned i = 0; i < u->cfg.slots; i++) {
		struct nj1_slot *s = &u->slot[i];

		if (s->used && nj1_before(s->framecnt, f)) {
			nj1_slot_release(s);
			u->stats.skipped++;
		}
	}
}

static void fill_out(struct nj1_unpacker *u, uint32_t f, const struct nj1_slot *s,
		     struct nj1_period_out *out)
{
	memset(out, 0, sizeof(*out));
	out->framecnt = f;
	out->audio = u->audio;
	out->audio_lost = u->audio_lost;
	out->midi = (const struct nj_midi_event *const *)u->midi;
	out->midi_count = u->midi_count;
	out->fragments_missing = u->lay.fragments;
	if (s != NULL) {
		out->seen = true;
		out->complete = s->have == u->lay.fragments;
		out->header = s->header;
		out->complete_at = out->complete ? s->complete_at : 0;
		out->fragments_missing = u->lay.fragments - s->have;
	}
}

int nj1_unpacker_take(struct nj1_unpacker *u, uint32_t framecnt, struct nj1_period_out *out)
{
	const struct nj1_stream_config *c;
	struct nj1_slot *s;

	if (u == NULL || out == NULL) {
		return -EINVAL;
	}
	c = &u->cfg;
	if (u->taken_any && !nj1_before(u->last_taken, framecnt)) {
		/* at or before the last one taken: silence, nothing counted */
		for (unsigned ch = 0; ch < c->audio_channels; ch++) {
			memset(u->audio[ch], 0, c->period * sizeof(float));
			u->audio_lost[ch] = true;
		}
		memset(u->midi_count, 0, c->midi_channels * sizeof(*u->midi_count));
		fill_out(u, framecnt, NULL, out);
		return 0;
	}
	s = nj1_slot_of(u, framecnt);
	for (unsigned ch = 0; ch < c->audio_channels; ch++) {
		if (c->mode == NJ1_MODE_OPUS) {
			take_opus(u, s, ch);
		} else {
			take_pcm(u, s, ch);
		}
	}
	for (unsigned m = 0; m < c->midi_channels; m++) {
		take_midi(u, s, m);
	}
	fill_out(u, framecnt, s, out);
	u->stats.periods++;
	if (s == NULL) {
		u->stats.periods_missing++;
		u->stats.fragments_lost += u->lay.fragments;
	} else if (s->have < u->lay.fragments) {
		u->stats.periods_incomplete++;
		u->stats.fragments_lost += u->lay.fragments - s->have;
	}
	if (s != NULL) {
		nj1_slot_release(s);
	}
	drop_older(u, framecnt);
	u->taken_any = true;
	u->last_taken = framecnt;
	return 0;
}
