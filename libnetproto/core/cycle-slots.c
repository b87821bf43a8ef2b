/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cycle-slots.c - the reassembler's ring of cycles in flight: finding,
 * claiming, judging complete and retiring a slot (with its loss accounting).
 * Both the receive side (cycle-unpack.c) and the take side (cycle-take.c)
 * use these; neither calls the other.
 */
#include <string.h>

#include "unpacker-private.h"

struct rx_slot *nj2_unpacker_find(const struct nj2_unpacker *u, uint32_t cycle)
{
	struct rx_slot *s = &u->slot[cycle % u->nslots];

	return s->used && s->cycle == cycle ? s : NULL;
}

/* Claim @s for @cycle: everything absent until packets say otherwise. */
void nj2_slot_claim(struct nj2_unpacker *u, struct rx_slot *s, uint32_t cycle)
{
	const struct nj2_cycle_config *c = &u->cfg;

	s->used = true;
	s->cycle = cycle;
	s->have_sync = false;
	nj_portset_clear(&s->present);
	s->audio_num = s->audio_got = s->audio_top = 0;
	s->float_s = s->float_a = 0;
	s->midi_num = s->midi_got = s->midi_top = 0;
	s->midi_done = s->midi_bad = false;
	s->midi_end = 0;
	memset(s->audio_bits, 0, sizeof(s->audio_bits));
	memset(s->midi_bits, 0, sizeof(s->midi_bits));
	/* take() may have swapped the float buffer with its output one: re-point. */
	if (c->encoder == NJ2_ENCODER_FLOAT) {
		memset(s->audio, 0, (size_t)c->audio_channels * c->period * sizeof(float));
		for (unsigned ch = 0; ch < c->audio_channels; ch++) {
			s->audio_ptr[ch] = s->audio + (size_t)ch * c->period;
		}
	} else {
		memset(s->streams, 0, (size_t)c->audio_channels * u->lay.stream_len);
	}
}

bool nj2_slot_complete(const struct nj2_unpacker *u, const struct rx_slot *s)
{
	const struct nj2_cycle_config *c = &u->cfg;
	bool audio = c->audio_channels == 0 || (s->audio_num > 0 && s->audio_got == s->audio_num);
	bool midi = c->midi_channels == 0 || (s->midi_done && !s->midi_bad);

	return s->have_sync && audio && midi;
}

/* Packets a cycle should have had: what it announced, else the last counts seen. */
uint64_t nj2_slot_expected(const struct nj2_unpacker *u, const struct rx_slot *s)
{
	uint64_t n = 1;

	if (u->cfg.midi_channels > 0) {
		n += s && s->midi_num ? s->midi_num : u->est_midi;
	}
	if (u->cfg.audio_channels > 0) {
		n += s && s->audio_num ? s->audio_num : u->est_audio;
	}
	return n;
}

void nj2_slot_retire(struct nj2_unpacker *u, struct rx_slot *s)
{
	uint64_t want = nj2_slot_expected(u, s);
	uint64_t got = (uint64_t)s->have_sync + s->midi_got + s->audio_got;

	u->st.lost += want > got ? want - got : 0;
	if (s->midi_num) {
		u->est_midi = s->midi_num;
	}
	if (s->audio_num) {
		u->est_audio = s->audio_num;
	}
	s->used = false;
}
