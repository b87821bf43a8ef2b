/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netone-unpack.c - fragments into periods (doc/protocol/NETONE.md section 3).
 *
 * jack2's cache keeps L + 50 entries of the expected packet size, copies
 * fragment 0 whole without a length check and takes a short last fragment
 * as complete. Here every datagram must have exactly the length its
 * fragment number gives for this stream, so nothing can write past a slot,
 * and a period counts as complete only with every byte received. Slots are
 * a ring indexed by framecnt % slots; framecnts compare as serial numbers.
 * Taking and concealing a period is netone-take.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cycle-private.h"
#include "netone-unpack-private.h"

static void slot_free(struct nj1_slot *s)
{
	free(s->present);
	free(s->payload);
}

void nj1_unpacker_free(struct nj1_unpacker *u)
{
	if (u == NULL) {
		return;
	}
	for (unsigned i = 0; u->slot != NULL && i < u->cfg.slots; i++) {
		slot_free(&u->slot[i]);
	}
	free(u->slot);
	for (unsigned c = 0; u->audio != NULL && c < u->cfg.audio_channels; c++) {
		free(u->audio[c]);
	}
	free(u->audio);
	free(u->audio_lost);
	for (unsigned m = 0; u->midi != NULL && m < u->cfg.midi_channels; m++) {
		free(u->midi[m]);
	}
	free(u->midi);
	free(u->midi_count);
	free(u->midi_data);
	free(u);
}

static int check_config(const struct nj1_stream_config *cfg)
{
	const struct nj1_session *s = cfg->session;

	if (cfg->slots < 2 || cfg->slots > NJ1_MAX_SLOTS ||
	    (cfg->midi_channels > 0 &&
	     (cfg->midi_max_events < 1 || cfg->midi_max_events > NJ1_MIDI_EVENTS_MAX))) {
		return -EINVAL;
	}
	/* the session must describe this (down) direction */
	if (s != NULL &&
	    (s->down_audio != cfg->audio_channels || s->down_midi != cfg->midi_channels ||
	     s->period != cfg->period || s->rate != cfg->rate || s->mtu != cfg->mtu)) {
		return -EINVAL;
	}
	return 0;
}

static int alloc_buffers(struct nj1_unpacker *u)
{
	const struct nj1_stream_config *c = &u->cfg;
	bool ok;

	u->slot = nj_calloc_array(c->slots, sizeof(*u->slot));
	if (u->slot == NULL) {
		return -ENOMEM;
	}
	for (unsigned i = 0; i < c->slots; i++) {
		u->slot[i].present = nj_calloc_array(u->lay.fragments, 1);
		u->slot[i].payload = nj_calloc_array(u->lay.payload, 1);
		if (u->slot[i].present == NULL || u->slot[i].payload == NULL) {
			return -ENOMEM;
		}
	}
	u->audio = nj_calloc_array(c->audio_channels, sizeof(*u->audio));
	u->audio_lost = nj_calloc_array(c->audio_channels, sizeof(*u->audio_lost));
	u->midi = nj_calloc_array(c->midi_channels, sizeof(*u->midi));
	u->midi_count = nj_calloc_array(c->midi_channels, sizeof(*u->midi_count));
	u->midi_data = nj_calloc_array(c->midi_channels, u->lay.block);
	ok = u->audio && u->audio_lost && u->midi && u->midi_count && u->midi_data;
	for (unsigned ch = 0; ok && ch < c->audio_channels; ch++) {
		u->audio[ch] = nj_calloc_array(c->period, sizeof(float));
		ok = u->audio[ch] != NULL;
	}
	for (unsigned m = 0; ok && m < c->midi_channels; m++) {
		u->midi[m] = nj_calloc_array(c->midi_max_events, sizeof(*u->midi[m]));
		ok = u->midi[m] != NULL;
	}
	return ok ? 0 : -ENOMEM;
}

int nj1_unpacker_new(const struct nj1_stream_config *cfg, struct nj1_unpacker **ret)
{
	struct nj1_unpacker *u;
	int r;

	if (cfg == NULL || ret == NULL) {
		return -EINVAL;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		return -ENOMEM;
	}
	r = nj1_layout_of(cfg, &u->lay);
	if (r == 0) {
		r = check_config(cfg);
	}
	if (r < 0) {
		free(u);
		return r;
	}
	u->cfg = *cfg;
	if (cfg->session != NULL) {
		u->session = *cfg->session;
		u->check_session = true;
	}
	u->cfg.session = NULL;
	r = alloc_buffers(u);
	if (r < 0) {
		nj1_unpacker_free(u);
		return r;
	}
	*ret = u;
	return 0;
}

/* A down packet of another session: jack2's slave would latch it (its first
 * sender wins), or overflow on its larger size. */
static bool foreign(const struct nj1_unpacker *u, const struct nj1_header *h)
{
	const struct nj1_session *s = &u->session;

	return u->check_session &&
	       (h->capture_audio != s->down_audio || h->playback_audio != s->up_audio ||
		h->capture_midi != s->down_midi || h->playback_midi != s->up_midi ||
		h->period != s->period || h->rate != s->rate || h->mtu != s->mtu);
}

/* After a take, the next `slots` periods own their slots. */
static bool in_window(const struct nj1_unpacker *u, uint32_t f)
{
	uint32_t d = f - u->last_taken;

	return u->taken_any && d >= 1 && d <= u->cfg.slots;
}

struct nj1_slot *nj1_slot_of(const struct nj1_unpacker *u, uint32_t framecnt)
{
	struct nj1_slot *s = &u->slot[framecnt % u->cfg.slots];

	return s->used && s->framecnt == framecnt ? s : NULL;
}

void nj1_slot_release(struct nj1_slot *s)
{
	s->used = false;
}

/* May @f take slot @s, which holds another period? Evicts it if so. */
static bool claim(struct nj1_unpacker *u, struct nj1_slot *s, uint32_t f, unsigned n)
{
	if (s->used && s->framecnt != f) {
		bool new_in = in_window(u, f), old_in = in_window(u, s->framecnt);

		/* a corrupt framecnt from the future must not push out a period
		 * due soon; otherwise the newer wins (jack2 evicts its oldest) */
		if ((old_in && !new_in) || (new_in == old_in && nj1_before(f, s->framecnt))) {
			return false;
		}
		u->stats.evicted++;
		s->used = false;
	}
	if (!s->used) {
		s->used = true;
		s->framecnt = f;
		s->have = 0;
		s->have_hdr0 = false;
		s->complete_at = 0;
		memset(s->present, 0, n);
	}
	return true;
}

int nj1_unpacker_push(struct nj1_unpacker *u, const uint8_t *buf, size_t len, uint64_t now,
		      uint32_t *ret_framecnt)
{
	const struct nj1_layout *l;
	struct nj1_header h;
	struct nj1_slot *s;
	size_t off;

	if (u == NULL) {
		return -EINVAL;
	}
	l = &u->lay;
	/* the header, then the length its fragment number gives: exact, so that
	 * neither a longer fragment 0 (jack2's heap overflow) nor another bit
	 * depth or channel count can be taken for this stream */
	if (nj1_header_decode(buf, len, &h) < 0 || h.fragment >= l->fragments ||
	    len != nj1_fragment_len(l->packet, u->cfg.mtu, h.fragment)) {
		u->stats.malformed++;
		return -EBADMSG;
	}
	if (ret_framecnt != NULL) {
		*ret_framecnt = h.framecnt;
	}
	if (foreign(u, &h)) {
		u->stats.foreign++;
		return NJ1_PUSH_FOREIGN;
	}
	/* jack2 drops framecnt <= the last one consumed (redundant copies too),
	 * with a plain compare that breaks at the 2^32 wrap */
	if (u->taken_any && !nj1_before(u->last_taken, h.framecnt)) {
		u->stats.late++;
		return NJ1_PUSH_LATE;
	}
	s = &u->slot[h.framecnt % u->cfg.slots];
	if (!claim(u, s, h.framecnt, l->fragments)) {
		u->stats.late++;
		return NJ1_PUSH_LATE;
	}
	if (s->present[h.fragment]) {
		u->stats.duplicate++;
		return NJ1_PUSH_DUPLICATE;
	}
	off = (size_t)h.fragment * l->frag_payload;
	memcpy(s->payload + off, buf + NJ1_HEADER_SIZE, len - NJ1_HEADER_SIZE);
	s->present[h.fragment] = 1;
	s->have++;
	/* the consumer sees fragment 0's header, as in jack2 */
	if (h.fragment == 0 || s->have == 1) {
		s->header = h;
		s->have_hdr0 = h.fragment == 0;
	}
	u->stats.datagrams++;
	if (s->have == l->fragments) {
		s->complete_at = now;
		return NJ1_PUSH_COMPLETE;
	}
	return NJ1_PUSH_OK;
}

bool nj1_unpacker_has(const struct nj1_unpacker *u, uint32_t framecnt)
{
	return nj1_slot_of(u, framecnt) != NULL;
}

bool nj1_unpacker_complete(const struct nj1_unpacker *u, uint32_t framecnt)
{
	const struct nj1_slot *s = nj1_slot_of(u, framecnt);

	return s != NULL && s->have == u->lay.fragments;
}

bool nj1_unpacker_next_complete(const struct nj1_unpacker *u, uint32_t after,
				uint32_t *ret_framecnt)
{
	bool found = false;
	uint32_t best = 0;

	for (unsigned i = 0; i < u->cfg.slots; i++) {
		const struct nj1_slot *s = &u->slot[i];

		if (s->used && s->have == u->lay.fragments && nj1_before(after, s->framecnt) &&
		    (!found || nj1_before(s->framecnt, best))) {
			best = s->framecnt;
			found = true;
		}
	}
	if (found && ret_framecnt != NULL) {
		*ret_framecnt = best;
	}
	return found;
}

bool nj1_unpacker_newest_complete(const struct nj1_unpacker *u, uint32_t *ret_framecnt)
{
	bool found = false;
	uint32_t best = 0;

	for (unsigned i = 0; i < u->cfg.slots; i++) {
		const struct nj1_slot *s = &u->slot[i];

		if (s->used && s->have == u->lay.fragments &&
		    (!found || nj1_before(best, s->framecnt))) {
			best = s->framecnt;
			found = true;
		}
	}
	if (found && ret_framecnt != NULL) {
		*ret_framecnt = best;
	}
	return found;
}

void nj1_unpacker_reset(struct nj1_unpacker *u)
{
	for (unsigned i = 0; i < u->cfg.slots; i++) {
		if (u->slot[i].used) {
			u->stats.evicted++;
			u->slot[i].used = false;
		}
	}
	u->taken_any = false;
}

const struct nj1_rx_stats *nj1_unpacker_stats(const struct nj1_unpacker *u)
{
	return &u->stats;
}
