/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-cycle-golden.c - the reassembler against jack2's captured cycles, and
 * the packer against jack2's bytes.
 *
 * Every captured cycle is pushed into an unpacker configured like the capture;
 * the audio must be the capture generator's (master channel 1 sample i of its
 * cycle k = k + i/1024, channel 2 the negative, returns 0.5x) and the MIDI its
 * notes. Then the same content goes through our packer and must give the
 * captured datagrams byte for byte, jack2's stale header fields included.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/cycle.h>

#include "check-main.h"
#include "cycle-util.h"
#include "vectors.h"

#define MAXP 960
#define MAXEV 8

struct gold_case {
	const char *file;
	unsigned period;
	enum nj2_encoder enc;
	unsigned midi;
	unsigned stream_len; /* Opus: B + 2 */
};

static const struct gold_case cases[] = {
	{"jack2-float-2ch.hex", 256, NJ2_ENCODER_FLOAT, 1, 0},
	{"jack2-float-2ch-p480.hex", 480, NJ2_ENCODER_FLOAT, 0, 0},
	{"jack2-opus64-2ch-p480.hex", 480, NJ2_ENCODER_OPUS, 1, 83},
	{"jack2-opus400-2ch-p960.hex", 960, NJ2_ENCODER_OPUS, 0, 1026},
	{"jack2-midi-sync-physports.hex", 256, NJ2_ENCODER_FLOAT, 1, 0},
	{"jack2-midi-sysex-bug.hex", 256, NJ2_ENCODER_FLOAT, 1, 0},
	{"jack2-discovery-restart.hex", 256, NJ2_ENCODER_FLOAT, 0, 0},
};

/* One received cycle, copied out of the unpacker. */
struct got {
	uint32_t cycle;
	bool complete, have_sync, has_audio_pkts;
	struct nj_portset peer_wants, present;
	float audio[2][MAXP];
	struct nj2_range missing[4];
	unsigned nmissing;
	struct nj_midi_event ev[MAXEV];
	uint8_t evdata[MAXEV][16];
	uint32_t nev;
	uint8_t opus[2][1026];
};

static char stream_char(const struct vec_packet *p)
{
	const char *slash = strchr(p->kind, '/');

	return slash ? slash[1] : 0;
}

static bool is_data(const struct vec_packet *p, char stream, long cycle)
{
	return p->cycle >= 0 && stream_char(p) == stream && (cycle < 0 || p->cycle == cycle);
}

static struct nj2_cycle_config gold_cfg(const struct gold_case *gc, char stream,
				       struct fake_codec *fc)
{
	struct nj2_cycle_config c =
		cycle_cfg(stream == 's' ? NJ2_STREAM_SEND : NJ2_STREAM_RETURN, gc->period, 2, gc->midi);

	c.encoder = gc->enc;
	if (gc->enc == NJ2_ENCODER_OPUS) {
		fake_codec_init(fc, gc->period, gc->stream_len);
		fc->golden = true;
		c.codec = &fc->ops;
		c.codec_ctx = fc;
	}
	return c;
}

/* Push every packet of (stream, cycle) and take the cycle. */
static void receive(struct nj2_unpacker *u, const struct gold_case *gc, const struct vec_file *vf,
		    char stream, long cycle, struct fake_codec *fc, struct got *g)
{
	struct nj2_cycle_out out;

	memset(g, 0, sizeof(*g));
	g->cycle = (uint32_t)cycle;
	for (size_t i = 0; i < vf->n; i++) {
		const struct vec_packet *p = &vf->pkt[i];
		uint32_t rc = 0;

		if (!is_data(p, stream, cycle)) {
			continue;
		}
		ck_assert_int_eq(nj2_unpacker_push(u, p->data, p->len, &rc), NJ_PUSH_OK);
		ck_assert_uint_eq(rc, (uint32_t)cycle);
		g->has_audio_pkts |= strncmp(p->kind, "audio", 5) == 0;
	}
	ck_assert_int_eq(nj2_unpacker_take(u, (uint32_t)cycle, &out), 0);
	ck_assert_uint_eq(out.cycle, (uint32_t)cycle);
	g->complete = out.complete;
	g->have_sync = out.have_sync;
	g->peer_wants = out.peer_wants;
	g->present = out.present;
	ck_assert_uint_le(out.nmissing, 4);
	g->nmissing = out.nmissing;
	memcpy(g->missing, out.missing, out.nmissing * sizeof(*out.missing));
	for (unsigned ch = 0; ch < 2; ch++) {
		memcpy(g->audio[ch], out.audio[ch], sizeof(float) * gc->period);
		if (fc != NULL) {
			memcpy(g->opus[ch], fc->golden_rx[ch], fc->ops.stream_len);
		}
	}
	if (gc->midi > 0 && out.midi_count[0] > 0) {
		g->nev = out.midi_count[0];
		ck_assert_uint_le(g->nev, MAXEV);
		for (unsigned e = 0; e < g->nev; e++) {
			g->ev[e] = out.midi[0][e];
			ck_assert_uint_le(g->ev[e].size, sizeof(g->evdata[e]));
			memcpy(g->evdata[e], g->ev[e].data, g->ev[e].size);
			g->ev[e].data = g->evdata[e];
		}
	}
}

/*
 * The generator: channel 1 = scale * (k + i/1024) for an integer k, channel 2
 * its negative; frames never sent (listed missing) are zero. Returns k.
 */
static long check_generator(const struct got *g, unsigned period, float scale)
{
	float k = g->audio[0][0] / scale;
	unsigned sent = period;

	ck_assert_msg(k == floorf(k) && k > 0, "cycle %u: k = %f", g->cycle, (double)k);
	if (g->nmissing > 0) {
		sent = g->missing[0].start;
		ck_assert_uint_eq(g->missing[0].start + g->missing[0].len, period);
	}
	for (unsigned i = 0; i < period; i++) {
		float want = i < sent ? scale * (k + (float)i / 1024.0f) : 0.0f;

		ck_assert_msg(g->audio[0][i] == want && g->audio[1][i] == -want,
			      "cycle %u frame %u: %f %f, want %f", g->cycle, i,
			      (double)g->audio[0][i], (double)g->audio[1][i], (double)want);
	}
	return (long)k;
}

static void pack_input(const struct got *g, bool all, struct nj2_cycle_in *in,
		       const float **bufs, struct nj_portset *connected, uint32_t *count,
		       const struct nj_midi_event **midi)
{
	memset(in, 0, sizeof(*in));
	in->cycle = g->cycle;
	bufs[0] = g->audio[0];
	bufs[1] = g->audio[1];
	in->audio = bufs;
	*connected = g->present;
	if (all) {
		nj_portset_fill(connected, 2);
	}
	in->connected = connected;
	in->we_want = &g->peer_wants;
	in->we_want_n = 2;
	*count = g->nev;
	*midi = g->ev;
	in->midi = midi;
	in->midi_count = count;
}

/* Pack @g (after priming the stale fields with the cycle before) and compare. */
static unsigned compare_pack(struct nj2_packer *pk, const struct vec_file *vf, char stream,
			     const struct got *g, bool primed, struct fake_codec *fc)
{
	const struct nj_datagram *dg;
	const float *bufs[2];
	struct nj_portset conn;
	const struct nj_midi_event *midi;
	struct nj2_cycle_in in;
	uint32_t count;
	unsigned n, k = 0;

	for (unsigned ch = 0; fc != NULL && ch < 2; ch++) {
		memcpy(fc->golden_tx[ch], g->opus[ch], fc->ops.stream_len);
	}
	/* A capture that left the audio packets out had both ports live. */
	pack_input(g, !g->has_audio_pkts, &in, bufs, &conn, &count, &midi);
	if (!primed) {
		/* jack2's sync carries the previous cycle's last num_packet. */
		struct nj2_cycle_in prev = in;
		struct nj_portset all;

		nj_portset_fill(&all, 2);
		prev.cycle = g->cycle - 1;
		prev.connected = &all;
		ck_assert_int_eq(nj2_packer_pack(pk, &prev, &dg, &n), 0);
	}
	ck_assert_int_eq(nj2_packer_pack(pk, &in, &dg, &n), 0);
	for (size_t i = 0; i < vf->n; i++) {
		const struct vec_packet *p = &vf->pkt[i];

		if (!is_data(p, stream, g->cycle)) {
			continue;
		}
		ck_assert_uint_lt(k, n);
		ck_assert_msg(dg[k].len == p->len && memcmp(dg[k].data, p->data, p->len) == 0,
			      "%s packet %u (%s cycle %u): our bytes differ (len %zu vs %zu)",
			      vf->name, p->index, p->kind, g->cycle, dg[k].len, p->len);
		k++;
	}
	return k;
}

static void run_case(const struct gold_case *gc, char stream, struct got *gots, unsigned *ngot)
{
	struct vec_file *vf = vec_load(gc->file);
	struct fake_codec *fc = gc->enc == NJ2_ENCODER_OPUS ? calloc(1, sizeof(*fc)) : NULL;
	struct nj2_cycle_config cfg = gold_cfg(gc, stream, fc);
	struct nj2_unpacker *u;
	struct nj2_packer *pk;
	long last = -2;
	unsigned compared = 0;

	ck_assert_int_eq(nj2_unpacker_new(&cfg, &u), 0);
	ck_assert_int_eq(nj2_packer_new(&cfg, &pk), 0);
	*ngot = 0;
	for (size_t i = 0; i < vf->n; i++) {
		const struct vec_packet *p = &vf->pkt[i];

		if (!is_data(p, stream, -1) || p->cycle == last) {
			continue;
		}
		ck_assert_uint_lt(*ngot, 8);
		receive(u, gc, vf, stream, p->cycle, fc, &gots[*ngot]);
		compared += compare_pack(pk, vf, stream, &gots[*ngot], p->cycle == last + 1 ||
						 p->cycle == 1, fc);
		last = p->cycle;
		(*ngot)++;
	}
	ck_assert_uint_gt(compared, 0);
	ck_assert_uint_eq(nj2_unpacker_stats(u)->malformed, 0);
	nj2_packer_free(pk);
	nj2_unpacker_free(u);
	free(fc);
	vec_free(vf);
}

START_TEST(test_float_2ch)
{
	struct got g[8];
	unsigned n;

	for (int dir = 0; dir < 2; dir++) {
		char stream = dir ? 'r' : 's';
		float scale = dir ? 0.5f : 1.0f;
		long k921 = 0;

		run_case(&cases[0], stream, g, &n);
		ck_assert_uint_eq(n, stream == 's' ? 6 : 4);
		for (unsigned i = 0; i < n; i++) {
			ck_assert_uint_eq(g[i].nev, 0);
			if (g[i].cycle <= 2) {
				/* Nothing connected: header-only audio, empty lists, silence. */
				ck_assert(g[i].complete && g[i].have_sync);
				ck_assert_uint_eq(nj_portset_count(&g[i].present), 0);
				ck_assert_uint_eq(nj_portset_count(&g[i].peer_wants), 0);
				ck_assert_uint_eq(g[i].nmissing, 0);
				ck_assert(g[i].audio[0][10] == 0.0f);
			} else if (g[i].cycle == 1468) {
				/* Only the sync was captured: the whole period is missing. */
				ck_assert(!g[i].complete && g[i].have_sync);
				ck_assert_uint_eq(g[i].nmissing, 1);
				ck_assert_uint_eq(g[i].missing[0].len, 256);
			} else {
				long k = check_generator(&g[i], 256, scale);

				ck_assert(g[i].complete);
				ck_assert_uint_eq(nj_portset_count(&g[i].present), 2);
				ck_assert_uint_eq(nj_portset_count(&g[i].peer_wants), 2);
				if (g[i].cycle == 921) {
					k921 = k;
				} else if (g[i].cycle == 922) {
					ck_assert_int_eq(k, k921 + 1);
				}
			}
		}
	}
}
END_TEST

/* P = 480: three packets of 128 frames; frames 384-479 are never sent. */
START_TEST(test_float_p480)
{
	struct got g[8];
	unsigned n;

	for (int dir = 0; dir < 2; dir++) {
		run_case(&cases[1], dir ? 'r' : 's', g, &n);
		ck_assert_uint_eq(n, 1);
		ck_assert(g[0].complete);
		ck_assert_uint_eq(g[0].nmissing, 1);
		ck_assert_uint_eq(g[0].missing[0].start, 384);
		ck_assert_uint_eq(g[0].missing[0].len, 96);
		check_generator(&g[0], 480, dir ? 0.5f : 1.0f);
	}
}
END_TEST

/* Opus: the streams the decoder gets are the captured bytes, length prefix B. */
static void check_opus(unsigned c, unsigned b)
{
	struct got g[8];
	unsigned n;

	for (int dir = 0; dir < 2; dir++) {
		run_case(&cases[c], dir ? 'r' : 's', g, &n);
		ck_assert_uint_ge(n, 2);
		for (unsigned i = 0; i < n; i++) {
			ck_assert(g[i].complete);
			ck_assert_uint_eq(g[i].nmissing, 0);
			ck_assert_uint_eq(nj_portset_count(&g[i].present), 2);
			for (unsigned ch = 0; ch < 2; ch++) {
				unsigned len = (unsigned)g[i].opus[ch][0] << 8 | g[i].opus[ch][1];

				ck_assert_uint_gt(len, 0);
				ck_assert_uint_le(len, b);
			}
		}
	}
}

START_TEST(test_opus64)
{
	check_opus(2, 81);
}
END_TEST

START_TEST(test_opus400)
{
	check_opus(3, 1024);
}
END_TEST

static void check_note(const struct nj_midi_event *e, uint32_t time, uint8_t status)
{
	ck_assert_uint_eq(e->time, time);
	ck_assert_uint_eq(e->size, 3);
	ck_assert_uint_eq(e->data[0], status);
}

/* MIDI: note-on (k & 7f) at 0, note-off 40 at 128; the slave echoes byte 1 + 1. */
START_TEST(test_midi)
{
	struct got g[8];
	unsigned n;

	for (int dir = 0; dir < 2; dir++) {
		run_case(&cases[4], dir ? 'r' : 's', g, &n);
		ck_assert_uint_ge(n, 2);
		for (unsigned i = 0; i < n; i++) {
			ck_assert_uint_eq(g[i].nev, 2);
			check_note(&g[i].ev[0], 0, 0x90);
			ck_assert_uint_eq(g[i].ev[0].data[2], 0x64);
			check_note(&g[i].ev[1], 128, 0x80);
			ck_assert_uint_eq(g[i].ev[1].data[1], 0x40 + dir);
			ck_assert_uint_eq(g[i].ev[1].data[2], 0);
		}
		/* Consecutive cycles: consecutive note numbers. */
		ck_assert_uint_eq(g[1].ev[0].data[1], (g[0].ev[0].data[1] + 1) & 0x7f);
		/* The audio packets were left out: incomplete, but the MIDI is there. */
		ck_assert(!g[0].complete);
	}
}
END_TEST

/*
 * The SysEx capture: jack2 puts zeros where the 6 data bytes belong. Our
 * packer with the real bytes differs from jack2 in exactly those 6 bytes.
 */
START_TEST(test_sysex)
{
	static const uint8_t sysex[6] = {0xF0, 0x7D, 0x01, 0x02, 0x03, 0xF7};
	struct vec_file *vf = vec_load(cases[5].file);
	struct nj2_cycle_config cfg = gold_cfg(&cases[5], 's', NULL);
	const struct nj_datagram *dg;
	const float *bufs[2];
	struct nj_portset conn;
	const struct nj_midi_event *midi;
	struct nj2_cycle_in in;
	struct nj2_packer *pk;
	struct got g[8];
	uint32_t count;
	unsigned n, diff = 0;

	run_case(&cases[5], 'r', g, &n);
	run_case(&cases[5], 's', g, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(g[0].nev, 3);
	ck_assert_uint_eq(g[0].ev[1].time, 64);
	ck_assert_uint_eq(g[0].ev[1].size, 6);
	ck_assert(memcmp(g[0].ev[1].data, "\0\0\0\0\0\0", 6) == 0);
	g[0].ev[1].data = sysex;
	ck_assert_int_eq(nj2_packer_new(&cfg, &pk), 0);
	pack_input(&g[0], true, &in, bufs, &conn, &count, &midi);
	ck_assert_int_eq(nj2_packer_pack(pk, &in, &dg, &n), 0);
	ck_assert_str_eq(vf->pkt[1].kind, "midi/s");
	ck_assert_uint_eq(dg[1].len, vf->pkt[1].len);
	for (size_t i = 0; i < dg[1].len; i++) {
		if (dg[1].data[i] != vf->pkt[1].data[i]) {
			ck_assert_uint_ge(i, dg[1].len - 6);
			ck_assert_uint_eq(dg[1].data[i], sysex[i - (dg[1].len - 6)]);
			diff++;
		}
	}
	ck_assert_uint_ge(diff, 5);
	nj2_packer_free(pk);
	vec_free(vf);
}
END_TEST

START_TEST(test_restart_cycle1)
{
	struct got g[8];
	unsigned n;

	for (int dir = 0; dir < 2; dir++) {
		run_case(&cases[6], dir ? 'r' : 's', g, &n);
		ck_assert_uint_eq(n, 1);
		ck_assert(g[0].complete);
		ck_assert_uint_eq(nj_portset_count(&g[0].present), 0);
	}
}
END_TEST

static Suite *golden_suite(void)
{
	Suite *s = suite_create("cycle-golden");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_float_2ch);
	tcase_add_test(tc, test_float_p480);
	tcase_add_test(tc, test_opus64);
	tcase_add_test(tc, test_opus400);
	tcase_add_test(tc, test_midi);
	tcase_add_test(tc, test_sysex);
	tcase_add_test(tc, test_restart_cycle1);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(golden_suite)
