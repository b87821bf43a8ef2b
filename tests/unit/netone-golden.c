/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netone-golden.c - the netone vectors (tests/vectors/netone-*.hex, captured
 * between jack2 1.9.21's jack_netsource and jackd -d netone): every datagram
 * is taken by the reassembler; every whole period decodes to the known
 * signal (tests/vectors/README.md: channel k, frame i of cycle c is
 * (j - 128)/128 with j = (i + 32k + c) mod 257), jack2's bytes equal ours
 * for that signal, and re-packing the period gives the captured datagrams
 * byte for byte, except the bytes jack2 never writes (MIDI record padding
 * and everything after a list's end word). A reply carries the audio of the
 * down period with the same framecnt (the slave loops capture to playback).
 */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/netone.h>
#include <libnetproto/wire.h>

#include "cycle-util.h"
#include "netone-golden.h"
#include "netone-util.h"
#include "vectors.h"

enum sig { RAMP_BOTH, RAMP_DOWN, NOISE };

static const struct gold {
	const char *file;
	enum nj1_mode mode;
	unsigned period, kbps, audio, midi;
	enum sig sig;
	unsigned min_down, min_up; /* whole periods the file must yield */
	unsigned min_loops;	   /* replies compared with their down period */
} gold_tab[] = {
    {"netone-float-2ch.hex", NJ1_MODE_FLOAT, 256, 0, 2, 1, RAMP_BOTH, 3, 3, 2},
    {"netone-midi.hex", NJ1_MODE_FLOAT, 256, 0, 2, 1, RAMP_BOTH, 1, 1, 1},
    {"netone-int16.hex", NJ1_MODE_INT16, 256, 0, 2, 1, RAMP_DOWN, 1, 0, 0},
    {"netone-int8.hex", NJ1_MODE_INT8, 256, 0, 2, 1, RAMP_DOWN, 3, 0, 0},
    {"netone-opus128-p480.hex", NJ1_MODE_OPUS, 480, 128, 2, 1, NOISE, 4, 4, 0},
    {"netone-float-16ch.hex", NJ1_MODE_FLOAT, 256, 0, 16, 0, RAMP_BOTH, 1, 0, 0},
    {"netone-lat2.hex", NJ1_MODE_FLOAT, 256, 0, 2, 1, NOISE, 1, 1, 1},
    {"netone-redundancy2.hex", NJ1_MODE_FLOAT, 256, 0, 2, 1, RAMP_BOTH, 1, 0, 0},
    {"netone-replyport.hex", NJ1_MODE_FLOAT, 256, 0, 2, 1, RAMP_BOTH, 0, 0, 0},
    {"netone-slave-restart.hex", NJ1_MODE_FLOAT, 256, 0, 2, 1, RAMP_BOTH, 1, 1, 1},
    {"netone-netsource-stop.hex", NJ1_MODE_FLOAT, 256, 0, 2, 1, RAMP_BOTH, 2, 2, 2},
};

#define MAX_FRAGS 16
#define MAX_CH	  16

/* One direction of a capture. */
struct side {
	bool down;
	struct nj1_unpacker *u;
	const struct vec_packet *frag[MAX_FRAGS]; /* first copy of each, this period */
	uint32_t frame;
	unsigned whole, ramps, sysex;
};

struct bed {
	const struct gold *g;
	struct nj1_stream_config cfg;
	struct fake_codec fc; /* Opus: golden mode, the captured blocks pass through */
	struct nj1_session session;
	struct side side[2]; /* down, up */
	unsigned loops;
	/* the last whole down period's audio, for the reply that follows it */
	bool have_down;
	uint32_t down_frame;
	float down_audio[MAX_CH][480];
};

static float ramp(unsigned c, unsigned ch, unsigned i)
{
	return (float)((int)((i + 32 * ch + c) % 257) - 128) / 128.0f;
}

/* The cycle c whose ramp, encoded by us, is the captured payload: -1 if none. */
static int find_ramp(const struct bed *b, const uint8_t *payload)
{
	unsigned P = b->g->period, bs = nj1_block_size(b->g->mode, P, 48000, b->g->kbps);
	static float x[480];
	static uint8_t enc[4 * 480];

	for (unsigned c = 0; c < 257; c++) {
		bool all = true;

		for (unsigned ch = 0; all && ch < b->g->audio; ch++) {
			for (unsigned i = 0; i < P; i++) {
				x[i] = ramp(c, ch, i);
			}
			nj1_audio_encode(b->g->mode, x, P, enc);
			all = memcmp(enc, payload + (size_t)ch * bs, bs) == 0;
		}
		if (all) {
			return (int)c;
		}
	}
	return -1;
}

/* Compare a MIDI block where jack2 defines it: along our list's records,
 * skipping record padding, up to and including the end word. */
static void midi_block_eq(const uint8_t *cap, const uint8_t *ours, size_t len)
{
	size_t i = 0;

	while (i + 4 <= len) {
		uint32_t rec = nj_get_be32(ours + i), size;

		ck_assert_mem_eq(cap + i, ours + i, 4);
		if (rec == 0) {
			return;
		}
		size = nj_get_be32(ours + i + 8);
		ck_assert_mem_eq(cap + i + 4, ours + i + 4, 8 + size);
		i += 4 * (size_t)rec;
	}
}

/* Re-pack the period taken in @out with @audio and compare with the capture. */
static void repack(struct bed *b, struct side *sd, const struct nj1_period_out *out,
		   const float *const *audio)
{
	struct nj1_period_in in = {audio, out->midi, out->midi_count};
	unsigned bs = nj1_block_size(b->g->mode, b->g->period, 48000, b->g->kbps), n;
	static uint8_t cap[4 * 480 * 18], ours[4 * 480 * 18];
	const struct nj_datagram *dg;
	struct nj1_packer *p;
	size_t at = 0;

	ck_assert_int_eq(nj1_packer_new(&b->cfg, &p), 0);
	ck_assert_int_eq(nj1_packer_pack(p, &out->header, &in, &dg, &n), 0);
	for (unsigned k = 0; k < n; k++) {
		const struct vec_packet *v = sd->frag[k];

		ck_assert_uint_eq(dg[k].len, v->len);
		/* the header with its fragment number: every field as captured */
		ck_assert_mem_eq(dg[k].data, v->data, NJ1_HEADER_SIZE);
		memcpy(cap + at, v->data + NJ1_HEADER_SIZE, v->len - NJ1_HEADER_SIZE);
		memcpy(ours + at, dg[k].data + NJ1_HEADER_SIZE, v->len - NJ1_HEADER_SIZE);
		at += v->len - NJ1_HEADER_SIZE;
	}
	ck_assert_mem_eq(cap, ours, (size_t)b->g->audio * bs);
	for (unsigned m = 0; m < b->g->midi; m++) {
		size_t off = (size_t)(b->g->audio + m) * bs;

		midi_block_eq(cap + off, ours + off, bs);
	}
	nj1_packer_free(p);
}

/* The MIDI the test client sent (README): note-on at 0, note-off at 100,
 * a SysEx at 50 every 16th cycle; looped back unchanged. */
static void check_midi(struct side *sd, const struct nj1_period_out *out)
{
	static const uint8_t sx[8] = {0xF0, 0x7D, 1, 2, 3, 4, 5, 0xF7};
	const struct nj_midi_event *ev = out->midi[0];
	uint32_t n = out->midi_count[0];

	if (n == 0) {
		return;
	}
	ck_assert(n == 2 || n == 3);
	ck_assert(ev[0].time == 0 && ev[0].size == 3 && ev[0].data[0] == 0x90 &&
		  ev[0].data[2] == 0x64);
	ck_assert(ev[n - 1].time == 100 && ev[n - 1].size == 3);
	ck_assert_mem_eq(ev[n - 1].data, "\x80\x40\x00", 3);
	if (n == 3) {
		ck_assert(ev[1].time == 50 && ev[1].size == 8);
		ck_assert_mem_eq(ev[1].data, sx, 8);
		sd->sysex++;
	}
}

static void check_period(struct bed *b, struct side *sd, const struct nj1_period_out *out)
{
	const unsigned P = b->g->period;
	static float rbuf[MAX_CH][480];
	const float *rptr[MAX_CH];
	static uint8_t payload[4 * 480 * 18];
	size_t at = 0;
	int c = -1;

	ck_assert(out->complete && out->fragments_missing == 0);
	for (unsigned k = 0; k < MAX_FRAGS && sd->frag[k] != NULL; k++) {
		memcpy(payload + at, sd->frag[k]->data + NJ1_HEADER_SIZE,
		       sd->frag[k]->len - NJ1_HEADER_SIZE);
		at += sd->frag[k]->len - NJ1_HEADER_SIZE;
	}
	if (b->g->mode == NJ1_MODE_OPUS) {
		/* as captured: every block a length of N - 2 = 160, then the frame */
		for (unsigned ch = 0; ch < b->g->audio; ch++) {
			ck_assert_uint_eq(nj_get_be32(payload + 162 * ch) >> 16, 160);
			ck_assert_mem_eq(b->fc.golden_rx[ch], payload + 162 * ch, 162);
			memcpy(b->fc.golden_tx[ch], b->fc.golden_rx[ch], 162);
		}
	}
	if (b->g->sig == RAMP_BOTH || (b->g->sig == RAMP_DOWN && sd->down)) {
		c = find_ramp(b, payload);
		/* else only silence, before the client started (float: all 0) */
		for (unsigned ch = 0; c < 0 && ch < b->g->audio; ch++) {
			for (unsigned i = 0; i < P && b->g->mode == NJ1_MODE_FLOAT; i++) {
				ck_assert(out->audio[ch][i] == 0.0f);
			}
		}
	}
	for (unsigned ch = 0; ch < b->g->audio; ch++) {
		for (unsigned i = 0; i < P; i++) {
			float x = c >= 0 ? ramp((unsigned)c, ch, i) : out->audio[ch][i];
			float e = out->audio[ch][i] - x;

			/* decoded as jack2 decodes: float exact, 16-bit within 3/32768,
			 * 8-bit within 1/127 */
			ck_assert(e == 0.0f ||
				  (b->g->mode == NJ1_MODE_INT16 && e < 1e-4f && e > -1e-4f) ||
				  (b->g->mode == NJ1_MODE_INT8 && e < 0.0079f && e > -0.0079f));
			rbuf[ch][i] = x;
		}
		rptr[ch] = rbuf[ch];
	}
	sd->ramps += c >= 0;
	if (b->g->midi > 0) {
		check_midi(sd, out);
	}
	/* float and Opus come back as they went, 16/8-bit from the ramp (jack2's
	 * decoding does not invert its encoding); other 16/8-bit periods (the
	 * slave's garbage replies, silence) are not re-packed */
	if (b->g->mode == NJ1_MODE_FLOAT || b->g->mode == NJ1_MODE_OPUS) {
		repack(b, sd, out, (const float *const *)out->audio);
	} else if (c >= 0) {
		repack(b, sd, out, rptr);
	}
	if (b->g->mode == NJ1_MODE_FLOAT && sd->down) {
		b->have_down = true;
		b->down_frame = out->framecnt;
		for (unsigned ch = 0; ch < b->g->audio && ch < MAX_CH; ch++) {
			memcpy(b->down_audio[ch], out->audio[ch], P * sizeof(float));
		}
	} else if (b->g->mode == NJ1_MODE_FLOAT && b->have_down && b->down_frame == out->framecnt) {
		for (unsigned ch = 0; ch < b->g->audio; ch++) {
			ck_assert_mem_eq(b->down_audio[ch], out->audio[ch], P * sizeof(float));
		}
		b->loops++;
	}
	sd->whole++;
}

static bool any_frag(const struct side *sd)
{
	for (unsigned k = 0; k < MAX_FRAGS; k++) {
		if (sd->frag[k] != NULL) {
			return true;
		}
	}
	return false;
}

/* One datagram of the capture into its side's reassembler. */
static void feed(struct bed *b, struct side *sd, const struct vec_file *f,
		 const struct vec_packet *v)
{
	struct nj1_period_out out;
	struct nj1_header h;
	int r;

	ck_assert_int_eq(nj1_header_decode(v->data, v->len, &h), 0);
	ck_assert_uint_eq(h.framecnt, (uint32_t)v->cycle);
	if (sd->u == NULL) {
		/* the down side checks the session AutoConfig takes from its first
		 * datagram, as the jack2 slave does; replies cannot be checked */
		b->cfg.session = NULL;
		if (sd->down) {
			ck_assert_int_eq(nj1_session_from_header(&h, &b->session), 0);
			ck_assert(b->session.down_audio == b->g->audio &&
				  b->session.down_midi == b->g->midi &&
				  b->session.up_audio == b->g->audio &&
				  b->session.period == b->g->period &&
				  b->session.mtu == NJ1_MTU_DEFAULT);
			b->cfg.session = &b->session;
		}
		ck_assert_int_eq(nj1_unpacker_new(&b->cfg, &sd->u), 0);
	}
	if (h.framecnt != sd->frame) {
		memset(sd->frag, 0, sizeof(sd->frag));
		sd->frame = h.framecnt;
	}
	r = nj1_unpacker_push(sd->u, v->data, v->len, v->index, NULL);
	if (r == NJ1_PUSH_LATE && !any_frag(sd)) {
		/* a restarted peer counts from 0 again: its owner resets */
		nj1_unpacker_reset(sd->u);
		r = nj1_unpacker_push(sd->u, v->data, v->len, v->index, NULL);
	}
	/* late only as a redundant copy of the period just taken */
	ck_assert_msg(r >= 0 && r != NJ1_PUSH_FOREIGN &&
			  (r != NJ1_PUSH_LATE || sd->frag[h.fragment]),
		      "%s index %u: %d", f->name, v->index, r);
	if (h.fragment < MAX_FRAGS && sd->frag[h.fragment] == NULL) {
		sd->frag[h.fragment] = v;
	}
	if (r == NJ1_PUSH_COMPLETE) {
		ck_assert_int_eq(nj1_unpacker_take(sd->u, h.framecnt, &out), 0);
		ck_assert_uint_eq(out.complete_at, v->index);
		ck_assert_mem_eq(&out.header, &h, offsetof(struct nj1_header, fragment));
		check_period(b, sd, &out);
	}
}

START_TEST(golden_file)
{
	const struct gold *g = &gold_tab[_i];
	struct vec_file *f = vec_load(g->file);
	static struct bed b;

	memset(&b, 0, sizeof(b));
	b.g = g;
	b.cfg = nj1_test_cfg(g->mode, g->period, g->audio, g->midi);
	b.cfg.kbps = g->kbps;
	b.cfg.slots = 16;
	b.cfg.midi_max_events = 16;
	if (g->mode == NJ1_MODE_OPUS) {
		fake_codec_init(&b.fc, g->period,
				nj1_block_size(g->mode, g->period, 48000, g->kbps));
		b.fc.golden = true;
		b.cfg.codec = &b.fc.ops;
		b.cfg.codec_ctx = &b.fc;
	}
	b.side[0].down = true;
	for (size_t i = 0; i < f->n; i++) {
		feed(&b, &b.side[strcmp(f->pkt[i].dir, "M>S") == 0 ? 0 : 1], f, &f->pkt[i]);
	}
	for (unsigned k = 0; k < 2; k++) {
		ck_assert(b.side[k].u != NULL);
		ck_assert_uint_eq(nj1_unpacker_stats(b.side[k].u)->malformed, 0);
		nj1_unpacker_free(b.side[k].u);
	}
	ck_assert_msg(b.side[0].whole >= g->min_down, "%s: %u whole down periods", g->file,
		      b.side[0].whole);
	ck_assert_msg(b.side[1].whole >= g->min_up, "%s: %u whole replies", g->file,
		      b.side[1].whole);
	ck_assert_msg(b.loops >= g->min_loops, "%s: %u replies looped", g->file, b.loops);
	ck_assert(g->sig == NOISE || g->min_down == 0 || b.side[0].ramps >= 1);
	if (strstr(g->file, "midi") != NULL) {
		ck_assert_uint_ge(b.side[0].sysex, 1);
		ck_assert_uint_ge(b.side[1].sysex, 1);
	}
	vec_free(f);
}
END_TEST

/* The reply-port capture: reply_port 3001 in every down header, none up. */
START_TEST(golden_reply_port)
{
	struct vec_file *f = vec_load("netone-replyport.hex");

	for (size_t i = 0; i < f->n; i++) {
		struct nj1_header h;

		ck_assert_int_eq(nj1_header_decode(f->pkt[i].data, f->pkt[i].len, &h), 0);
		ck_assert_uint_eq(h.reply_port, strcmp(f->pkt[i].dir, "M>S") == 0 ? 3001 : 0);
	}
	vec_free(f);
}
END_TEST

TCase *netone_golden_tcase(void)
{
	TCase *t = tcase_create("golden");

	tcase_add_loop_test(t, golden_file, 0, sizeof(gold_tab) / sizeof(gold_tab[0]));
	tcase_add_test(t, golden_reply_port);
	return t;
}
