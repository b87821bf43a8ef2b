/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-netone.c - the netone codec: header, sizes and fragments (the
 * shared sheet's tables, confirmed by the captures), PCM and MIDI blocks,
 * every jack2 crash case of NETONE-WIRE.md section 9 as a table entry that
 * must be refused or handled, and reassembly under seeded loss, reordering
 * and duplication (replay with NJ_SEED=N). The golden vectors are in
 * netone-golden.c.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/netone.h>

#include "check-main.h"
#include "cycle-util.h"
#include "netone-golden.h"
#include "netone-util.h"

START_TEST(header_roundtrip)
{
	struct nj1_header h = {1, 2, 3,		  4, 256,  48000, 0xFFFFF000u,
			       7, 1, 0xDEADBEEFu, 5, 3001, 1400,  2};
	struct nj1_header g;
	uint8_t b[NJ1_HEADER_SIZE + 4];

	ck_assert_int_eq(nj1_header_encode(&h, b, sizeof(b)), NJ1_HEADER_SIZE);
	/* field order and byte order as captured: capture_audio first, all BE */
	ck_assert_uint_eq(b[3], 1);
	ck_assert_uint_eq(b[16] << 8 | b[17] << 0, 0);
	ck_assert_uint_eq((unsigned)b[18] << 8 | b[19], 256);
	ck_assert_uint_eq(b[36], 0xDE);
	ck_assert_uint_eq(b[55], 2);
	ck_assert_int_eq(nj1_header_decode(b, NJ1_HEADER_SIZE, &g), 0);
	ck_assert_mem_eq(&g, &h, sizeof(h));
	ck_assert_int_eq(nj1_goodness(g.sync_state), -4096);
	ck_assert_int_eq(nj1_goodness(NJ1_FREEWHEEL), INT32_MIN);
	ck_assert_int_eq(nj1_goodness(4000), 4000);
	ck_assert_int_eq(nj1_header_encode(&h, b, NJ1_HEADER_SIZE - 1), -ENOBUFS);
	ck_assert_int_eq(nj1_header_decode(b, NJ1_HEADER_SIZE - 1, &g), -EBADMSG);
	ck_assert_int_eq(nj1_header_decode(NULL, 100, &g), -EBADMSG);
}
END_TEST

/* NETONE-WIRE.md section 4's tables (block and packet sizes, fragments). */
static const struct {
	enum nj1_mode mode;
	unsigned period, rate, kbps, block;
} block_tab[] = {
    {NJ1_MODE_FLOAT, 256, 48000, 0, 1024}, {NJ1_MODE_INT16, 256, 48000, 0, 512},
    {NJ1_MODE_INT8, 256, 48000, 0, 256},   {NJ1_MODE_OPUS, 480, 48000, 128, 162},
    {NJ1_MODE_OPUS, 256, 48000, 128, 86},  {NJ1_MODE_OPUS, 480, 48000, 64, 80},
    {NJ1_MODE_OPUS, 960, 48000, 96, 244},  {NJ1_MODE_OPUS, 256, 48000, 64, 42},
    {NJ1_MODE_OPUS, 2048, 48000, 128, 0},  {NJ1_MODE_OPUS, 256, 48000, 0, 0},
    {NJ1_MODE_OPUS, 256, 48000, 5000, 0},  {NJ1_MODE_CELT, 256, 48000, 128, 0},
    {NJ1_MODE_FLOAT, 8, 48000, 0, 0},	   {NJ1_MODE_FLOAT, 256, 0, 0, 0},
    {(enum nj1_mode)12, 256, 48000, 0, 0},
};

START_TEST(block_sizes)
{
	for (unsigned i = 0; i < sizeof(block_tab) / sizeof(block_tab[0]); i++) {
		ck_assert_msg(nj1_block_size(block_tab[i].mode, block_tab[i].period,
					     block_tab[i].rate,
					     block_tab[i].kbps) == block_tab[i].block,
			      "row %u", i);
	}
}
END_TEST

static const struct {
	unsigned block, channels, mtu;
	size_t packet;
	unsigned n;
	size_t last;
} frag_tab[] = {
    {256, 3, 1400, 824, 1, 824},     {512, 2, 1400, 1080, 1, 1080},
    {512, 3, 1400, 1592, 2, 248},    {1024, 2, 1400, 2104, 2, 760},
    {1024, 3, 1400, 3128, 3, 440},   {4096, 3, 1400, 12344, 10, 248},
    {4096, 8, 1400, 32824, 25, 568}, {1024, 16, 1400, 16440, 13, 312},
    {162, 3, 1400, 542, 1, 542},     {1024, 0, 1400, 56, 1, 56},
    {1344, 2, 1400, 2744, 2, 1400},  {100, 1, 112, 156, 2, 100},
    {1024, 3, 9000, 3128, 1, 3128},
};

START_TEST(fragment_sizes)
{
	for (unsigned i = 0; i < sizeof(frag_tab) / sizeof(frag_tab[0]); i++) {
		size_t p = nj1_packet_size(frag_tab[i].block, frag_tab[i].channels), sum = 0;
		unsigned n = nj1_fragment_count(p, frag_tab[i].mtu);

		ck_assert_msg(p == frag_tab[i].packet && n == frag_tab[i].n, "row %u: %zu %u", i, p,
			      n);
		ck_assert_uint_eq(nj1_fragment_len(p, frag_tab[i].mtu, n - 1), frag_tab[i].last);
		for (unsigned k = 0; k < n; k++) {
			size_t l = nj1_fragment_len(p, frag_tab[i].mtu, k);

			ck_assert(l <= frag_tab[i].mtu || n == 1);
			ck_assert(k + 1 == n || l == frag_tab[i].mtu);
			sum += l - NJ1_HEADER_SIZE;
		}
		ck_assert_uint_eq(sum, p - NJ1_HEADER_SIZE);
		ck_assert_uint_eq(nj1_fragment_len(p, frag_tab[i].mtu, n), 0);
	}
	ck_assert_uint_eq(nj1_fragment_count(3128, 111), 0);
	ck_assert_uint_eq(nj1_fragment_count(55, 1400), 0);
	ck_assert_uint_eq(nj1_packet_size(0xFFFFFFFFu, 0xFFFFFFFFu) == 0 || sizeof(size_t) > 4, 1);
}
END_TEST

START_TEST(pcm_levels)
{
	/* as captured: 16-bit -1 -> 0, 0 -> 32767, +1 -> 65534; 8-bit -127/0/127 */
	static const float x[] = {-1.0f, 0.0f, 1.0f, 5.0f, -5.0f, 0.5f, -0.0078125f};
	static const unsigned v16[] = {0, 32767, 65534, 65534, 0, 49150, 32511};
	static const int v8[] = {-127, 0, 127, 127, -127, 63, 0};
	unsigned n = sizeof(x) / sizeof(x[0]);
	uint8_t b[64];
	float y[16], nan = NAN;

	ck_assert_int_eq(nj1_audio_encode(NJ1_MODE_INT16, x, n, b), (int)(2 * n));
	for (unsigned i = 0; i < n; i++) {
		ck_assert_uint_eq((unsigned)b[2 * i] << 8 | b[2 * i + 1], v16[i]);
	}
	nj1_audio_decode(NJ1_MODE_INT16, b, n, y);
	ck_assert(y[0] == -1.0f && y[1] == (float)(32767.0 / 32768.0 - 1.0));
	ck_assert_int_eq(nj1_audio_encode(NJ1_MODE_INT8, x, n, b), (int)n);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq((int8_t)b[i], v8[i]);
	}
	nj1_audio_decode(NJ1_MODE_INT8, b, n, y);
	ck_assert(y[0] == -1.0f && y[2] == 1.0f);
	/* float is BE and bit-exact, NaN included; NaN is silence in PCM */
	ck_assert_int_eq(nj1_audio_encode(NJ1_MODE_FLOAT, &nan, 1, b), 4);
	ck_assert_uint_eq(b[0], 0x7F);
	ck_assert_int_eq(nj1_audio_encode(NJ1_MODE_INT16, &nan, 1, b), 2);
	ck_assert_uint_eq((unsigned)b[0] << 8 | b[1], 32767);
	ck_assert_int_eq(nj1_audio_encode(NJ1_MODE_FLOAT, x + 5, 1, b), 4);
	ck_assert_mem_eq(b, "\x3f\x00\x00\x00", 4);
	ck_assert_int_eq(nj1_audio_encode(NJ1_MODE_FLOAT, NULL, 2, b), 8);
	ck_assert_mem_eq(b, "\0\0\0\0\0\0\0\0", 8);
	ck_assert_int_eq(nj1_audio_encode(NJ1_MODE_OPUS, x, 1, b), -EINVAL);
	ck_assert_int_eq(nj1_audio_decode(NJ1_MODE_CELT, b, 1, y), -EINVAL);
}
END_TEST

START_TEST(midi_roundtrip)
{
	static const uint8_t on[3] = {0x90, 0x3C, 0x64}, sx[8] = {0xF0, 0x7D, 1, 2, 3, 4, 5, 0xF7};
	const struct nj_midi_event ev[3] = {{0, 3, on}, {50, 8, sx}, {100, 3, on}};
	struct nj_midi_event got[4];
	struct nj1_midi_list list;
	uint8_t blk[128];
	uint32_t dropped = 9;

	/* as captured: 00000004 00000000 00000003 903c6400, 00000005 00000032 ... */
	ck_assert_int_eq(nj1_midi_encode(blk, sizeof(blk), ev, 3, 256, &dropped),
			 4 * (4 + 5 + 4 + 1));
	ck_assert_uint_eq(dropped, 0);
	ck_assert_mem_eq(blk, "\0\0\0\x04\0\0\0\0\0\0\0\x03\x90\x3c\x64\0\0\0\0\x05\0\0\0\x32", 24);
	for (unsigned i = 4 * 14; i < sizeof(blk); i++) {
		ck_assert_uint_eq(blk[i], 0); /* defined tail: jack2's is stale */
	}
	ck_assert_int_eq(nj1_midi_decode(blk, sizeof(blk), 256, got, 4, &list), 3);
	ck_assert_int_eq(list.end, NJ1_MIDI_END_WORD);
	ck_assert_uint_eq(list.dropped, 0);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(got[i].time, ev[i].time);
		ck_assert_uint_eq(got[i].size, ev[i].size);
		ck_assert_mem_eq(got[i].data, ev[i].data, ev[i].size);
	}
	/* jack2's capacity rule: a record is written only if the end word still
	 * fits: 14 words used, so 15 words of block take all, 14 stop at two */
	ck_assert_int_eq(nj1_midi_encode(blk, 4 * 15, ev, 3, 256, &dropped), 4 * 14);
	ck_assert_uint_eq(dropped, 0);
	ck_assert_int_eq(nj1_midi_encode(blk, 4 * 14, ev, 3, 256, &dropped), 4 * 10);
	ck_assert_uint_eq(dropped, 1);
	/* the first that does not fit drops all after it */
	ck_assert_int_eq(nj1_midi_encode(blk, 4 * 9, ev, 3, 256, &dropped), 4 * 5);
	ck_assert_uint_eq(dropped, 2);
	ck_assert_int_eq(nj1_midi_encode(blk, 3, ev, 3, 256, &dropped), -ENOBUFS);
	/* invalid events are dropped one by one: time past the period */
	ck_assert_int_eq(nj1_midi_encode(blk, sizeof(blk), ev, 3, 60, &dropped), 4 * (4 + 5 + 1));
	ck_assert_uint_eq(dropped, 1);
	/* a decoder bound of max events */
	nj1_midi_encode(blk, sizeof(blk), ev, 3, 256, NULL);
	ck_assert_int_eq(nj1_midi_decode(blk, sizeof(blk), 256, got, 2, &list), 2);
	ck_assert_uint_eq(list.dropped, 1);
	ck_assert_int_eq(nj1_midi_decode(blk, sizeof(blk), 60, got, 4, &list), 2);
	ck_assert_uint_eq(list.dropped, 1);
	/* an empty list */
	ck_assert_int_eq(nj1_midi_encode(blk, 4, NULL, 0, 256, NULL), 4);
	ck_assert_int_eq(nj1_midi_decode(blk, 4, 256, got, 4, &list), 0);
	ck_assert_int_eq(list.end, NJ1_MIDI_END_WORD);
}
END_TEST

/*
 * jack2's crash cases (NETONE-WIRE.md section 9): each a datagram, a header
 * or a MIDI list that jack2 would overflow on, trust, or die from. Every one
 * is refused or handled, never a crash (the test runs them under the
 * sanitizers in the fuzz build too).
 */
START_TEST(crash_table)
{
	for (unsigned i = 0; i < nj1_crash_count; i++) {
		int r = nj1_crash_cases[i].run(nj1_crash_cases[i].arg);

		ck_assert_msg(r == nj1_crash_cases[i].expect, "%s: got %d, want %d",
			      nj1_crash_cases[i].what, r, nj1_crash_cases[i].expect);
	}
}
END_TEST

/* A value per frame that is never 0: lost samples show as 0. */
static float sig(uint32_t t, unsigned ch, unsigned i)
{
	return (float)(1 + (t * 7 + ch * 13 + i) % 200) / 256.0f;
}

struct lossy_bed {
	struct nj1_unpacker *u;
	uint64_t now;
};

static void bed_push(void *ctx, const uint8_t *data, size_t len)
{
	struct lossy_bed *b = ctx;

	ck_assert_int_ge(nj1_unpacker_push(b->u, data, len, b->now, NULL), 0);
}

/* Returns how many of the periods arrived complete. */
static unsigned run_lossy(enum nj1_mode mode, unsigned redundancy)
{
	enum { P = 256, CH = 3, NP = 400, D = 3 };
	struct nj1_stream_config cfg = nj1_test_cfg(mode, P, CH, 1);
	static float buf[CH][P];
	const float *bufs[CH] = {buf[0], buf[1], buf[2]};
	static const uint8_t note[3] = {0x90, 1, 2};
	struct nj_midi_event ev[2] = {{0, 3, note}, {99, 3, note}};
	const struct nj_midi_event *evp[1] = {ev};
	uint32_t evn[1] = {2};
	struct nj1_period_in in = {bufs, evp, evn};
	uint64_t rng = prng_seed("netone-lossy");
	unsigned complete = 0, partial = 0, missing = 0;
	struct nj1_packer *pk;
	struct lossy_bed bed = {NULL, 0};
	struct lossy_net net;

	cfg.redundancy = redundancy;
	ck_assert_int_eq(nj1_packer_new(&cfg, &pk), 0);
	ck_assert_int_eq(nj1_unpacker_new(&cfg, &bed.u), 0);
	net_init(&net, &rng, 8192, 1400);
	net.drop_pct = 5;
	net.dup_pct = 10;
	net.delay_pct = 20;
	net.max_delay = D - 1;
	for (uint32_t t = 0; t < NP + D; t++) {
		const struct nj_datagram *dg;
		struct nj1_header h = {0};
		struct nj1_period_out out;
		unsigned n;

		if (t < NP) {
			for (unsigned ch = 0; ch < CH; ch++) {
				for (unsigned i = 0; i < P; i++) {
					buf[ch][i] = sig(t, ch, i);
				}
			}
			h.framecnt = t;
			ck_assert_int_eq(nj1_packer_pack(pk, &h, &in, &dg, &n), 0);
			for (unsigned k = 0; k < n; k++) {
				net_send(&net, dg[k].data, dg[k].len, t);
			}
		}
		bed.now = t;
		net_deliver(&net, t, bed_push, &bed);
		if (t < D) {
			continue;
		}
		ck_assert_int_eq(nj1_unpacker_take(bed.u, t - D, &out), 0);
		complete += out.complete;
		partial += out.seen && !out.complete;
		missing += !out.seen;
		for (unsigned ch = 0; ch < CH; ch++) {
			bool zero = false;

			for (unsigned i = 0; i < P; i++) {
				float want = sig(t - D, ch, i);

				/* a sample is what was sent, or 0 where its bytes were lost */
				ck_assert(out.audio[ch][i] == want || out.audio[ch][i] == 0.0f);
				zero |= out.audio[ch][i] == 0.0f;
			}
			ck_assert(zero == out.audio_lost[ch]);
			ck_assert(!zero || !out.complete);
		}
		ck_assert(out.midi_count[0] == 0 || out.midi_count[0] == 2);
		ck_assert(out.midi_count[0] == 2 || !out.complete);
	}
	const struct nj1_rx_stats *st = nj1_unpacker_stats(bed.u);

	ck_assert_uint_eq(st->periods, NP);
	ck_assert_uint_eq(st->periods_incomplete, partial);
	ck_assert_uint_eq(st->periods_missing, missing);
	ck_assert_uint_eq(complete + partial + missing, NP);
	ck_assert_uint_gt(complete, NP / 2);
	/*
	 * Single copies at 5 % loss leave some periods partial (about 15 %). With
	 * two copies a fragment is lost only when both are (0.25 %), so zero
	 * partial periods is a legitimate outcome there (about 3 % of seeds).
	 */
	if (redundancy <= 1) {
		ck_assert_uint_gt(partial, 0);
	}
	ck_assert_uint_gt(st->duplicate, 0);
	ck_assert_uint_eq(st->malformed, 0);
	ck_assert_uint_eq(st->foreign, 0);
	net_free(&net);
	nj1_packer_free(pk);
	nj1_unpacker_free(bed.u);
	return complete;
}

START_TEST(lossy_float)
{
	run_lossy(NJ1_MODE_FLOAT, 1);
}
END_TEST

START_TEST(lossy_float_redundant)
{
	unsigned single = run_lossy(NJ1_MODE_FLOAT, 1);
	unsigned doubled = run_lossy(NJ1_MODE_FLOAT, 2);

	/* expected about 330 of 400 against about 396: far apart for any seed */
	ck_assert_uint_gt(doubled, single);
}
END_TEST

START_TEST(slots_and_wrap)
{
	struct nj1_stream_config cfg = nj1_test_cfg(NJ1_MODE_FLOAT, 64, 2, 0);
	struct nj1_unpacker *u;
	struct nj1_period_out out;
	uint8_t d[1400];
	size_t len;
	uint32_t f;

	cfg.slots = 4;
	ck_assert_int_eq(nj1_unpacker_new(&cfg, &u), 0);
	/* 2 x 256 + 56 = 568 bytes: one datagram a period, across the 2^32 wrap */
	for (uint32_t t = 0xFFFFFFFEu, i = 0; i < 4; t++, i++) {
		len = nj1_test_datagram(&cfg, t, 0, d, sizeof(d));
		ck_assert_int_eq(nj1_unpacker_push(u, d, len, i, &f), NJ1_PUSH_COMPLETE);
		ck_assert_uint_eq(f, t);
	}
	ck_assert(nj1_unpacker_next_complete(u, 0xFFFFFFFDu, &f) && f == 0xFFFFFFFEu);
	ck_assert(nj1_unpacker_newest_complete(u, &f) && f == 1);
	ck_assert_int_eq(nj1_unpacker_take(u, 0xFFFFFFFFu, &out), 0);
	ck_assert(out.complete && out.complete_at == 1 && out.framecnt == 0xFFFFFFFFu);
	/* 0xFFFFFFFE was older: released by the take */
	ck_assert(!nj1_unpacker_has(u, 0xFFFFFFFEu));
	ck_assert_uint_eq(nj1_unpacker_stats(u)->skipped, 1);
	/* late: at or before the last taken, redundant copies included */
	len = nj1_test_datagram(&cfg, 0xFFFFFFFFu, 0, d, sizeof(d));
	ck_assert_int_eq(nj1_unpacker_push(u, d, len, 9, NULL), NJ1_PUSH_LATE);
	/* the window: 0..3 are due, 0+4 = 4 would take 0's slot: refused */
	len = nj1_test_datagram(&cfg, 4, 0, d, sizeof(d));
	ck_assert_int_eq(nj1_unpacker_push(u, d, len, 9, NULL), NJ1_PUSH_LATE);
	/* a far-future framecnt cannot push a due period out */
	len = nj1_test_datagram(&cfg, 0x40000000u, 0, d, sizeof(d));
	ck_assert_int_eq(nj1_unpacker_push(u, d, len, 9, NULL), NJ1_PUSH_LATE);
	ck_assert(nj1_unpacker_complete(u, 0));
	/* taking a period never seen: silence, counted missing */
	ck_assert_int_eq(nj1_unpacker_take(u, 2, &out), 0);
	ck_assert(!out.seen && out.audio_lost[0] && out.audio[1][5] == 0.0f);
	ck_assert_uint_eq(nj1_unpacker_stats(u)->periods_missing, 1);
	/* taking one at or before the last one: silence, nothing counted */
	ck_assert_int_eq(nj1_unpacker_take(u, 1, &out), 0);
	ck_assert_uint_eq(nj1_unpacker_stats(u)->periods, 2);
	/* a new master starts at 0 again: late until reset */
	len = nj1_test_datagram(&cfg, 0, 0, d, sizeof(d));
	ck_assert_int_eq(nj1_unpacker_push(u, d, len, 9, NULL), NJ1_PUSH_LATE);
	nj1_unpacker_reset(u);
	ck_assert_int_eq(nj1_unpacker_push(u, d, len, 9, NULL), NJ1_PUSH_COMPLETE);
	ck_assert_int_eq(nj1_unpacker_take(u, 0, &out), 0);
	ck_assert(out.complete && !out.audio_lost[0]);
	nj1_unpacker_free(u);
	nj1_unpacker_free(NULL);
	nj1_packer_free(NULL);
}
END_TEST

START_TEST(bad_configs)
{
	struct nj1_stream_config cfg = nj1_test_cfg(NJ1_MODE_FLOAT, 256, 2, 1);
	struct nj1_unpacker *u = NULL;
	struct nj1_packer *p = NULL;
	struct nj1_session s = {48000, 256, 1400, 2, 2, 1, 2, 1};

	ck_assert_int_eq(nj1_packer_new(NULL, &p), -EINVAL);
	ck_assert_int_eq(nj1_unpacker_new(&cfg, NULL), -EINVAL);
	cfg.mode = NJ1_MODE_CELT;
	ck_assert_int_eq(nj1_packer_new(&cfg, &p), -EOPNOTSUPP);
	cfg.mode = NJ1_MODE_OPUS;
	cfg.kbps = 128;
	ck_assert_int_eq(nj1_packer_new(&cfg, &p), -EINVAL); /* no codec */
	cfg = nj1_test_cfg(NJ1_MODE_FLOAT, 256, 2, 1);
	cfg.slots = 1;
	ck_assert_int_eq(nj1_unpacker_new(&cfg, &u), -EINVAL);
	cfg.slots = 8;
	cfg.midi_max_events = 0;
	ck_assert_int_eq(nj1_unpacker_new(&cfg, &u), -EINVAL);
	cfg.midi_max_events = 16;
	cfg.redundancy = NJ1_MAX_REDUNDANCY + 1;
	ck_assert_int_eq(nj1_packer_new(&cfg, &p), -EINVAL);
	cfg.redundancy = 1;
	cfg.audio_channels = NJ1_MAX_CHANNELS + 1;
	ck_assert_int_eq(nj1_packer_new(&cfg, &p), -EINVAL);
	/* 256 float channels at P 8192: past NJ1's packet bound */
	cfg = nj1_test_cfg(NJ1_MODE_FLOAT, 8192, 256, 0);
	ck_assert_int_eq(nj1_packer_new(&cfg, &p), -EINVAL);
	/* a session that does not describe this direction */
	cfg = nj1_test_cfg(NJ1_MODE_FLOAT, 256, 2, 1);
	s.down_audio = 3;
	cfg.session = &s;
	ck_assert_int_eq(nj1_unpacker_new(&cfg, &u), -EINVAL);
	s.down_audio = 2;
	ck_assert_int_eq(nj1_unpacker_new(&cfg, &u), 0);
	nj1_unpacker_free(u);
	ck_assert_ptr_null(p);
}
END_TEST

static Suite *netone_suite(void)
{
	Suite *s = suite_create("netone");
	TCase *t = tcase_create("codec");

	tcase_add_test(t, header_roundtrip);
	tcase_add_test(t, block_sizes);
	tcase_add_test(t, fragment_sizes);
	tcase_add_test(t, pcm_levels);
	tcase_add_test(t, midi_roundtrip);
	tcase_add_test(t, crash_table);
	tcase_add_test(t, lossy_float);
	tcase_add_test(t, lossy_float_redundant);
	tcase_add_test(t, slots_and_wrap);
	tcase_add_test(t, bad_configs);
	suite_add_tcase(s, t);
	suite_add_tcase(s, netone_golden_tcase());
	return s;
}

NJ_CHECK_MAIN(netone_suite)
