/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cycle-unpack.c - the receiver side: validate each datagram completely, then
 * store it in the slot of its cycle (a ring indexed by cycle number).
 *
 * jack2 renders whatever arrives into the current cycle, whatever its cycle
 * number, trusts sub_cycle, active ports and sizes, and spins on a packet it
 * does not expect. Here a packet is checked against the negotiated layout
 * before anything is written, kept with its own cycle, and every packet ends
 * up counted exactly once: accepted, malformed, foreign, duplicate or late.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/audio.h>
#include <libnetproto/midi.h>

#include "unpacker-private.h"

/* What validation learnt about a packet, used when it is stored. */
struct rx_check {
	struct nj_portset sync_set; /* sync: the peer's list */
	uint32_t float_s;           /* float audio: frames per port */
};

static void slot_free(struct rx_slot *s)
{
	free(s->audio);
	free(s->audio_ptr);
	free(s->streams);
	free(s->stream_ptr);
	free(s->midi);
	free(s->midi_len);
}

void nj2_unpacker_free(struct nj2_unpacker *u)
{
	if (u == NULL) {
		return;
	}
	for (unsigned i = 0; u->slot != NULL && i < u->nslots; i++) {
		slot_free(&u->slot[i]);
	}
	free(u->slot);
	free(u->tiles);
	free(u->out_audio);
	free(u->out_ptr);
	free(u->out_midi);
	free(u->ranges);
	free(u->out_ev);
	free(u->out_ev_ptr);
	free(u->out_ev_count);
	free(u);
}

static int slot_alloc(struct nj2_unpacker *u, struct rx_slot *s)
{
	const struct nj2_cycle_config *c = &u->cfg;
	bool flt = c->encoder == NJ2_ENCODER_FLOAT;

	s->audio_ptr = nj_calloc_array(c->audio_channels, sizeof(*s->audio_ptr));
	s->stream_ptr = nj_calloc_array(c->audio_channels, sizeof(*s->stream_ptr));
	s->audio = nj_calloc_array(flt ? c->audio_channels : 0, c->period * sizeof(float));
	s->streams = nj_calloc_array(c->audio_channels, u->lay.stream_len);
	s->midi = nj_calloc_array(u->lay.midi_rx_max, 1);
	s->midi_len = nj_calloc_array(c->midi_channels ? u->lay.midi_rx_packets : 0,
				      sizeof(*s->midi_len));
	if (!s->audio_ptr || !s->stream_ptr || !s->audio || !s->streams || !s->midi ||
	    !s->midi_len) {
		return -ENOMEM;
	}
	for (unsigned ch = 0; ch < c->audio_channels; ch++) {
		s->stream_ptr[ch] = s->streams + (size_t)ch * u->lay.stream_len;
	}
	return 0;
}

static int out_alloc(struct nj2_unpacker *u)
{
	const struct nj2_cycle_config *c = &u->cfg;
	size_t evs;

	if (!nj_size_muladd(c->midi_channels, c->midi_max_events, 0, &evs)) {
		return -ENOMEM;
	}
	/* Each missing packet adds at most one range, plus the float tail. */
	u->ranges_max = u->lay.audio_max + 1;
	u->out_audio = nj_calloc_array(c->audio_channels, c->period * sizeof(float));
	u->out_ptr = nj_calloc_array(c->audio_channels, sizeof(*u->out_ptr));
	u->out_midi = nj_calloc_array(u->lay.midi_rx_max, 1);
	u->ranges = nj_calloc_array(u->ranges_max, sizeof(*u->ranges));
	u->out_ev = nj_calloc_array(evs, sizeof(*u->out_ev));
	u->out_ev_ptr = nj_calloc_array(c->midi_channels, sizeof(*u->out_ev_ptr));
	u->out_ev_count = nj_calloc_array(c->midi_channels, sizeof(*u->out_ev_count));
	if (!u->out_audio || !u->out_ptr || !u->out_midi || !u->ranges || !u->out_ev ||
	    !u->out_ev_ptr || !u->out_ev_count) {
		return -ENOMEM;
	}
	for (unsigned p = 0; p < c->midi_channels; p++) {
		u->out_ev_ptr[p] = u->out_ev + (size_t)p * c->midi_max_events;
	}
	return 0;
}

int nj2_unpacker_new(const struct nj2_cycle_config *cfg, struct nj2_unpacker **ret)
{
	struct nj2_layout lay;
	struct nj2_unpacker *u;
	int r;

	if (ret == NULL) {
		return -EINVAL;
	}
	r = nj2_cycle_layout(cfg, &lay);
	if (r < 0) {
		return r;
	}
	if (cfg->slots < 2 || cfg->slots > NJ_MAX_LATENCY + 4) {
		return -EINVAL;
	}
	/* A float buffer of one channel must be addressable: period * 4 bytes. */
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		return -ENOMEM;
	}
	u->cfg = *cfg;
	u->lay = lay;
	u->nslots = cfg->slots;
	u->est_audio = cfg->encoder == NJ2_ENCODER_FLOAT ? lay.float_n_all : lay.stream_n;
	u->est_midi = nj2_layout_midi_packets(&lay, cfg->midi_channels * nj2_midi_record_size(0, 0));
	u->slot = nj_calloc_array(u->nslots, sizeof(*u->slot));
	r = u->slot ? out_alloc(u) : -ENOMEM;
	if (r == 0 && nj2_cycle_tiled(cfg)) {
		u->tiles = nj2_cycle_tiles(cfg);
		r = u->tiles ? 0 : -ENOMEM;
	}
	for (unsigned i = 0; r == 0 && i < u->nslots; i++) {
		r = slot_alloc(u, &u->slot[i]);
	}
	if (r < 0) {
		nj2_unpacker_free(u);
		return r;
	}
	*ret = u;
	return 0;
}



static int check_sync(const struct nj2_header *h, const uint8_t *pl, size_t len,
		      struct rx_check *chk)
{
	/*
	 * The list names ports of the other direction, whose count this
	 * direction's config does not know: bound it by NJ_MAX_CHANNELS only.
	 */
	if (h->sub_cycle != 0) {
		return -EBADMSG;
	}
	return nj2_sync_decode(pl, len, h->active_ports, NJ_MAX_CHANNELS, &chk->sync_set);
}

static int check_midi(const struct nj2_unpacker *u, const struct nj2_header *h, size_t len)
{
	size_t end;

	if (u->cfg.midi_channels == 0 || h->num_packet > u->lay.midi_rx_packets ||
	    len > u->lay.midi_chunk) {
		return -EBADMSG;
	}
	if (!nj_size_muladd(h->sub_cycle, u->lay.midi_chunk, len, &end) ||
	    end > u->lay.midi_rx_max) {
		return -EBADMSG;
	}
	return 0;
}

/*
 * Float: S comes from the packet size (len = A * (4 + 4S)), which accepts
 * both jack2's and PipeWire's sub-period rules; the count must be P / S and
 * every port index in range. A = 0 is jack2's header-only packet.
 */
static int check_float(const struct nj2_unpacker *u, const struct nj2_header *h,
		       const uint8_t *pl, size_t len, struct rx_check *chk)
{
	unsigned period = u->cfg.period;
	uint32_t a = h->active_ports;
	size_t per;

	if (a == 0) {
		chk->float_s = period;
		return len == 0 && h->num_packet == 1 ? 0 : -EBADMSG;
	}
	if (a > u->cfg.audio_channels) {
		return -EBADMSG;
	}
	if (u->tiles != NULL) {
		/* the exact size of tile sub_cycle and its indices; S the tiles' */
		const struct nj2_tiles *t = &u->tiles[a];

		chk->float_s = t->s;
		return h->num_packet == t->n &&
				       nj2_tile_check(pl, len, a, h->sub_cycle, period, t,
						      u->cfg.audio_channels)
			       ? 0
			       : -EBADMSG;
	}
	if (len % a != 0) {
		return -EBADMSG;
	}
	per = len / a;
	if (per < 8 || per % 4 != 0 || (per - 4) / 4 > period) {
		return -EBADMSG;
	}
	chk->float_s = (uint32_t)(per - 4) / 4;
	if (h->num_packet != period / chk->float_s) {
		return -EBADMSG;
	}
	for (uint32_t i = 0; i < a; i++) {
		if (nj_get_be32(pl + i * per) >= u->cfg.audio_channels) {
			return -EBADMSG;
		}
	}
	return 0;
}

static int check_audio(const struct nj2_unpacker *u, const struct nj2_header *h,
		       const uint8_t *pl, size_t len, struct rx_check *chk)
{
	const struct nj2_layout *l = &u->lay;

	if (u->cfg.audio_channels == 0) {
		return -EBADMSG;
	}
	if (u->cfg.encoder == NJ2_ENCODER_FLOAT) {
		return check_float(u, h, pl, len, chk);
	}
	if (h->num_packet != l->stream_n ||
	    len != (size_t)u->cfg.audio_channels *
			   nj2_stream_chunk_len(l->stream_len, l->stream_n, l->stream_chunk,
					       h->sub_cycle)) {
		return -EBADMSG;
	}
	return 0;
}

/* The packet on its own, against the negotiated layout. */
static int check_packet(const struct nj2_unpacker *u, const struct nj2_header *h,
			const uint8_t *pl, size_t len, struct rx_check *chk)
{
	/* libjacknet sends partial cycles (frames < P); more than P is nonsense. */
	if (h->frames > (int32_t)u->cfg.period) {
		return -EBADMSG;
	}
	switch ((enum nj2_data_type)h->data_type) {
	case NJ2_DATA_SYNC:
		return check_sync(h, pl, len, chk);
	case NJ2_DATA_MIDI:
		return check_midi(u, h, len);
	case NJ2_DATA_AUDIO:
		return check_audio(u, h, pl, len, chk);
	}
	return -EBADMSG;
}

/* The packet against what its cycle already holds: counts and layout must agree. */
static int check_slot(const struct nj2_unpacker *u, const struct rx_slot *s,
		      const struct nj2_header *h, const struct rx_check *chk)
{
	switch ((enum nj2_data_type)h->data_type) {
	case NJ2_DATA_SYNC:
		return 0;
	case NJ2_DATA_MIDI:
		return s->midi_num == 0 || s->midi_num == h->num_packet ? 0 : -EBADMSG;
	case NJ2_DATA_AUDIO:
		if (s->audio_num == 0) {
			return 0;
		}
		if (s->audio_num != h->num_packet) {
			return -EBADMSG;
		}
		if (u->cfg.encoder == NJ2_ENCODER_FLOAT &&
		    (s->float_s != chk->float_s || s->float_a != h->active_ports)) {
			return -EBADMSG;
		}
		return 0;
	}
	return -EBADMSG;
}

static bool is_duplicate(const struct rx_slot *s, const struct nj2_header *h)
{
	switch ((enum nj2_data_type)h->data_type) {
	case NJ2_DATA_SYNC:
		return s->have_sync;
	case NJ2_DATA_MIDI:
		return sub_has(s->midi_bits, h->sub_cycle);
	case NJ2_DATA_AUDIO:
		return sub_has(s->audio_bits, h->sub_cycle);
	}
	return false;
}

/*
 * Are all MIDI records of the cycle here? The packet count cannot be trusted:
 * jack2's sender announces ceil(D / (mtu-112)) packets of mtu-48 bytes, which
 * can be one more than it sends data for (an empty packet). So: follow the
 * contiguous received chunks (a short chunk ends the stream) and walk the
 * record headers; done when every port's record lies inside. If the stream
 * ended, or every announced packet came, and records are still missing or a
 * header is wrong, the cycle's MIDI is bad (dropped at take).
 */
static void midi_scan(const struct nj2_unpacker *u, struct rx_slot *s)
{
	size_t chunk = u->lay.midi_chunk, end = 0, off = 0;
	bool ended = s->midi_got == s->midi_num;

	for (uint32_t k = 0; k < s->midi_num && sub_has(s->midi_bits, k); k++) {
		end = k * chunk + s->midi_len[k];
		if (s->midi_len[k] < chunk) {
			ended = true;
			break;
		}
	}
	for (unsigned p = 0; p < u->cfg.midi_channels; p++) {
		const uint8_t *r = s->midi + off;
		uint32_t count, wpos;

		if (end - off < NJ2_MIDI_RECORD_HEADER) {
			s->midi_bad = ended;
			s->midi_done = ended;
			return;
		}
		count = nj_get_be32(r + 16);
		wpos = nj_get_be32(r + 12);
		if (nj_get_be32(r) != NJ2_MIDI_MAGIC || count > u->cfg.midi_max_events ||
		    wpos > u->lay.midi_rx_max) {
			s->midi_bad = s->midi_done = true;
			return;
		}
		if (nj2_midi_record_size(count, wpos) > end - off) {
			s->midi_bad = ended;
			s->midi_done = ended;
			return;
		}
		off += nj2_midi_record_size(count, wpos);
	}
	s->midi_end = off;
	s->midi_done = true;
}

/* Store a validated packet. Nothing here can fail. */
static void store(struct nj2_unpacker *u, struct rx_slot *s, const struct nj2_header *h,
		  const uint8_t *pl, size_t len, const struct rx_check *chk)
{
	const struct nj2_cycle_config *c = &u->cfg;
	uint32_t sub = h->sub_cycle;

	switch ((enum nj2_data_type)h->data_type) {
	case NJ2_DATA_SYNC:
		s->have_sync = true;
		s->peer_wants = chk->sync_set;
		return;
	case NJ2_DATA_MIDI:
		u->st.reordered += sub + 1 < s->midi_top;
		memcpy(s->midi + (size_t)sub * u->lay.midi_chunk, pl, len);
		s->midi_len[sub] = (uint16_t)len;
		sub_set(s->midi_bits, sub);
		s->midi_num = h->num_packet;
		s->midi_got++;
		s->midi_top = sub + 1 > s->midi_top ? sub + 1 : s->midi_top;
		if (!s->midi_done) {
			midi_scan(u, s);
		}
		return;
	case NJ2_DATA_AUDIO:
		u->st.reordered += sub + 1 < s->audio_top;
		if (c->encoder != NJ2_ENCODER_FLOAT) {
			nj2_stream_decode(pl, len, c->mtu, c->audio_channels, u->lay.stream_len, sub,
					 s->stream_ptr);
		} else if (h->active_ports > 0 && u->tiles != NULL) {
			nj2_tile_decode(pl, len, h->active_ports, sub, c->period,
					&u->tiles[h->active_ports], s->audio_ptr, c->audio_channels,
					&s->present);
		} else if (h->active_ports > 0) {
			nj2_float_decode(pl, len, h->active_ports, sub, c->period, s->audio_ptr,
					c->audio_channels, &s->present);
		}
		sub_set(s->audio_bits, sub);
		s->audio_num = h->num_packet;
		s->float_s = chk->float_s;
		s->float_a = h->active_ports;
		s->audio_got++;
		s->audio_top = sub + 1 > s->audio_top ? sub + 1 : s->audio_top;
		return;
	}
}

/* Is @cycle among the next `slots` cycles after the last one taken? */
static bool in_window(const struct nj2_unpacker *u, uint32_t cycle)
{
	return u->taken_any && nj_cycle_before(u->last_taken, cycle) &&
	       cycle - u->last_taken <= u->nslots;
}

/*
 * May a packet of cycle @want take the slot held by cycle @held? Once a cycle
 * was taken, the next `slots` cycles are the ones that matter: a packet for
 * one of them evicts a holder beyond them (a corrupt or spoofed cycle number
 * from the future must not block a slot for good), and a packet beyond them
 * cannot evict one of them. Otherwise the newer cycle wins: a receiver that
 * fell behind gives up the older cycle.
 */
static bool slot_yields(const struct nj2_unpacker *u, uint32_t held, uint32_t want)
{
	bool win_held = in_window(u, held), win_want = in_window(u, want);

	if (win_held != win_want) {
		return win_want;
	}
	return nj_cycle_before(held, want);
}

static int push_result(uint64_t *counter, int result, uint32_t cycle, uint32_t *ret_cycle)
{
	(*counter)++;
	if (ret_cycle != NULL) {
		*ret_cycle = cycle;
	}
	return result;
}

int nj2_unpacker_push(struct nj2_unpacker *u, const uint8_t *buf, size_t len,
		     uint32_t *ret_cycle)
{
	struct nj2_header h;
	struct rx_check chk;
	struct rx_slot *s;
	const uint8_t *pl;
	size_t plen;

	if (u == NULL || (buf == NULL && len > 0)) {
		return -EINVAL;
	}
	if (buf == NULL || nj2_header_decode(buf, len, &h) < 0) {
		u->st.malformed++;
		return -EBADMSG;
	}
	if (h.id != u->cfg.id || h.stream != (uint32_t)u->cfg.stream) {
		return push_result(&u->st.foreign, NJ_PUSH_FOREIGN, h.cycle, ret_cycle);
	}
	/* packet_size <= len was checked; anything after it is ignored. */
	pl = buf + NJ2_HEADER_SIZE;
	plen = h.packet_size - NJ2_HEADER_SIZE;
	if (check_packet(u, &h, pl, plen, &chk) < 0) {
		u->st.malformed++;
		return -EBADMSG;
	}
	u->last_arrival = h.cycle;
	u->seen_any = true;
	u->arrivals++;
	if (u->taken_any && !nj_cycle_before(u->last_taken, h.cycle)) {
		return push_result(&u->st.late, NJ_PUSH_LATE, h.cycle, ret_cycle);
	}
	s = &u->slot[h.cycle % u->nslots];
	if (s->used && s->cycle != h.cycle && !slot_yields(u, s->cycle, h.cycle)) {
		return push_result(&u->st.late, NJ_PUSH_LATE, h.cycle, ret_cycle);
	}
	if (s->used && s->cycle == h.cycle) {
		if (check_slot(u, s, &h, &chk) < 0) {
			u->st.malformed++;
			return -EBADMSG;
		}
		if (is_duplicate(s, &h)) {
			return push_result(&u->st.duplicate, NJ_PUSH_DUPLICATE, h.cycle, ret_cycle);
		}
	} else {
		if (s->used) {
			/* A newer cycle needs the slot: the old one is given up. */
			nj2_slot_retire(u, s);
			u->st.cycles_dropped++;
		}
		nj2_slot_claim(u, s, h.cycle);
	}
	store(u, s, &h, pl, plen, &chk);
	return push_result(&u->st.packets, NJ_PUSH_OK, h.cycle, ret_cycle);
}


bool nj2_unpacker_has(const struct nj2_unpacker *u, uint32_t cycle)
{
	return u != NULL && nj2_unpacker_find(u, cycle) != NULL;
}

bool nj2_unpacker_complete(const struct nj2_unpacker *u, uint32_t cycle)
{
	const struct rx_slot *s = u ? nj2_unpacker_find(u, cycle) : NULL;

	return s != NULL && nj2_slot_complete(u, s);
}

const struct nj_rx_stats *nj2_unpacker_stats(const struct nj2_unpacker *u)
{
	return &u->st;
}

bool nj2_unpacker_newest_held(const struct nj2_unpacker *u, const uint32_t *limit,
			     uint32_t *ret_cycle)
{
	bool found = false;
	uint32_t best = 0;

	for (unsigned i = 0; i < u->nslots; i++) {
		const struct rx_slot *s = &u->slot[i];

		if (!s->used || (limit != NULL && nj_cycle_before(*limit, s->cycle))) {
			continue;
		}
		if (!found || nj_cycle_before(best, s->cycle)) {
			best = s->cycle;
			found = true;
		}
	}
	if (found) {
		*ret_cycle = best;
	}
	return found;
}

bool nj2_unpacker_last_arrival(const struct nj2_unpacker *u, uint32_t *ret_cycle,
			      uint64_t *ret_arrivals)
{
	*ret_arrivals = u->arrivals;
	if (u->seen_any) {
		*ret_cycle = u->last_arrival;
	}
	return u->seen_any;
}
