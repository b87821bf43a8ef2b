/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-cycle.c - packer -> lossy network -> unpacker round trips.
 *
 * Random configurations (encoder, channels, MIDI ports, period, MTU, slots)
 * under a seeded network that drops, duplicates, delays and reorders. The
 * test knows every datagram it sent and which of them arrived in time, and
 * checks: every push result, the missing frame ranges against the dropped
 * packets exactly, the samples and MIDI events everywhere else, and that the
 * counters add up (received + lost = sent). Replay a run with NJ_SEED=<seed>.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/audio.h>
#include <libnetproto/cycle.h>

#include "check-main.h"
#include "cycle-util.h"

#define MAXCH 16
#define MAXMIDI 3
#define MAXEV 4
#define HIST 8 /* sent cycles remembered; a power of two (cycle numbers wrap) */
#define MAXPK (1 + NJ2_MAX_PACKETS_PER_CYCLE * 2)
#define LAG 1  /* cycles between sending and taking */

/*
 * Check records the location of every ck_assert with a write(2); in the
 * per-packet and per-sample loops that is most of the run time.
 */
#define CHECK(cond, ...)                          \
	do {                                      \
		if (!(cond)) {                    \
			ck_abort_msg(__VA_ARGS__); \
		}                                 \
	} while (0)

struct sent_pkt {
	uint32_t type, sub, active;
	size_t len;
	bool accepted;
};

struct sent_cycle {
	uint32_t cycle;
	bool taken;
	unsigned n, nmidi, naudio;
	struct nj_portset we_want;
	struct sent_pkt pk[MAXPK];
};

struct rt {
	struct nj2_cycle_config cfg;
	struct fake_codec ftx, frx;
	struct nj2_packer *pk;
	struct nj2_unpacker *u;
	struct nj_portset connected, peer_wants, live;
	float audio[MAXCH][NJ_PERIOD_MAX];
	const float *bufs[MAXCH];
	struct nj_midi_event ev[MAXMIDI][MAXEV];
	uint8_t evdata[MAXMIDI][MAXEV][12];
	const struct nj_midi_event *evp[MAXMIDI];
	uint32_t nev;
	uint32_t evn[MAXMIDI];
	struct sent_cycle hist[HIST];
	struct lossy_net net;
	uint64_t rng;
	uint64_t ok, dup, late;
	unsigned missing_cycles, incomplete_cycles;
};

static float gen(uint32_t c, unsigned ch, unsigned i)
{
	return (float)((int)((c * 131u + ch * 17u + i * 3u) % 2001u) - 1000) / 1024.0f;
}

static void gen_midi(struct rt *t, uint32_t c)
{
	for (unsigned p = 0; p < t->cfg.midi_channels; p++) {
		for (unsigned j = 0; j < t->nev; j++) {
			struct nj_midi_event *e = &t->ev[p][j];
			uint8_t *d = t->evdata[p][j];

			e->time = j * (t->cfg.period / t->nev);
			e->size = j % 2 ? 9 : 3;
			for (unsigned b = 0; b < e->size; b++) {
				d[b] = (uint8_t)((c + p * 7 + j * 3 + b) & 0x7f);
			}
			d[0] = j % 2 ? 0xF0 : 0x90;
			d[e->size - 1] = j % 2 ? 0xF7 : d[e->size - 1];
			e->data = d;
		}
		t->evp[p] = t->ev[p];
		t->evn[p] = t->nev;
	}
}

static unsigned type_rank(uint32_t type)
{
	return type == NJ2_DATA_SYNC ? 0 : type == NJ2_DATA_MIDI ? 1 : 2;
}

static void record_sent(struct sent_cycle *sc, const struct nj_datagram *dg, unsigned n,
			unsigned int16_period)
{
	sc->n = n;
	sc->nmidi = sc->naudio = 0;
	for (unsigned k = 0; k < n; k++) {
		struct nj2_header h;

		CHECK(nj2_header_decode(dg[k].data, dg[k].len, &h) == 0, "our header %u", k);
		/* fFrames is jack2's -1, but for int16 audio: the period (a jack2
		 * receiver converts that many samples) */
		CHECK(h.packet_size == dg[k].len &&
			      h.frames == (h.data_type == NJ2_DATA_AUDIO && int16_period ?
						   (int32_t)int16_period : -1),
		      "header fields %u", k);
		sc->pk[k].type = h.data_type;
		sc->pk[k].sub = h.sub_cycle;
		sc->pk[k].active = h.active_ports;
		sc->pk[k].len = dg[k].len;
		sc->pk[k].accepted = false;
		sc->nmidi += h.data_type == NJ2_DATA_MIDI;
		sc->naudio += h.data_type == NJ2_DATA_AUDIO;
		/* jack2's order (one sync, MIDI, audio) and is_last on the last one */
		CHECK(h.is_last == (k + 1 == n), "is_last on packet %u of %u", k, n);
		CHECK((type_rank(h.data_type) == 0) == (k == 0), "sync first, once (%u)", k);
		CHECK(k == 0 || type_rank(h.data_type) >= type_rank(sc->pk[k - 1].type),
		      "order: sync, MIDI, audio (%u)", k);
	}
}

static void send_cycle(struct rt *t, uint32_t c, unsigned now)
{
	struct sent_cycle *sc = &t->hist[c % HIST];
	const struct nj_datagram *dg;
	struct nj2_cycle_in in;
	unsigned n, we_n = 8;

	for (unsigned ch = 0; ch < t->cfg.audio_channels; ch++) {
		for (unsigned i = 0; i < t->cfg.period; i++) {
			t->audio[ch][i] = gen(c, ch, i);
		}
	}
	gen_midi(t, c);
	nj_portset_clear(&sc->we_want);
	for (unsigned i = 0; i < we_n; i++) {
		if (prng_below(&t->rng, 2)) {
			nj_portset_add(&sc->we_want, i);
		}
	}
	memset(&in, 0, sizeof(in));
	in.cycle = c;
	in.audio = t->bufs;
	in.connected = &t->connected;
	in.peer_wants = &t->peer_wants;
	in.we_want = &sc->we_want;
	in.we_want_n = we_n;
	in.midi = t->evp;
	in.midi_count = t->evn;
	ck_assert_int_eq(nj2_packer_pack(t->pk, &in, &dg, &n), 0);
	sc->cycle = c;
	sc->taken = false;
	record_sent(sc, dg, n, t->cfg.encoder == NJ2_ENCODER_INT16 ? t->cfg.period : 0);
	for (unsigned k = 0; k < n; k++) {
		/* tiles never exceed the MTU less the IPv6 and UDP headers */
		CHECK(!t->cfg.tiled || dg[k].len <= t->cfg.mtu - NJ2_TILE_RESERVE,
		      "tiled datagram %u of %zu bytes at MTU %u", k, dg[k].len, t->cfg.mtu);
		net_send(&t->net, dg[k].data, dg[k].len, now);
	}
}

/* Every delivery: the push result must be what the test expects. */
static void deliver(void *ctx, const uint8_t *data, size_t len)
{
	struct rt *t = ctx;
	struct nj2_header h;
	struct sent_cycle *sc;
	struct sent_pkt *sp;
	uint32_t rc;
	int want, r;

	CHECK(nj2_header_decode(data, len, &h) == 0, "delivered header");
	sc = &t->hist[h.cycle % HIST];
	CHECK(sc->cycle == h.cycle, "cycle %u not remembered", h.cycle);
	sp = &sc->pk[h.data_type == NJ2_DATA_SYNC   ? 0
		     : h.data_type == NJ2_DATA_MIDI ? 1 + h.sub_cycle
						   : 1 + sc->nmidi + h.sub_cycle];
	want = sc->taken ? NJ_PUSH_LATE : sp->accepted ? NJ_PUSH_DUPLICATE : NJ_PUSH_OK;
	r = nj2_unpacker_push(t->u, data, len, &rc);
	CHECK(r == want && rc == h.cycle, "cycle %u type %c sub %u: push %d, want %d", h.cycle,
	      (char)h.data_type, h.sub_cycle, r, want);
	t->ok += r == NJ_PUSH_OK;
	t->dup += r == NJ_PUSH_DUPLICATE;
	t->late += r == NJ_PUSH_LATE;
	sp->accepted |= r == NJ_PUSH_OK;
}

static void mark(uint8_t *miss, uint32_t start, uint32_t end)
{
	for (uint32_t i = start; i < end; i++) {
		miss[i] = 1;
	}
}

/* The frames the test expects missing, from the packets that did not arrive. */
static bool expected_missing(const struct rt *t, const struct sent_cycle *sc, uint8_t *miss)
{
	unsigned period = t->cfg.period, first = 1 + sc->nmidi;
	bool any = false;

	memset(miss, 0, period);
	for (unsigned k = first; k < sc->n; k++) {
		any |= sc->pk[k].accepted;
	}
	if (!any) {
		mark(miss, 0, period);
		return false;
	}
	if (t->cfg.encoder == NJ2_ENCODER_FLOAT && t->cfg.tiled && sc->pk[first].active > 0) {
		/* a lost tile takes its frames (of every port) */
		struct nj2_tiles ti;
		uint32_t a = sc->pk[first].active;

		ck_assert_uint_eq(nj2_float_tiles(t->cfg.mtu, a, period, &ti), sc->naudio);
		for (unsigned k = 0; k < sc->naudio; k++) {
			unsigned f0, nf, p0, np;

			nj2_tile_span(&ti, a, period, k, &f0, &nf, &p0, &np);
			if (!sc->pk[first + k].accepted) {
				mark(miss, f0, f0 + nf);
			}
		}
	} else if (t->cfg.encoder == NJ2_ENCODER_FLOAT) {
		uint32_t a = sc->pk[first].active;
		uint32_t s = a ? (uint32_t)((sc->pk[first].len - NJ2_HEADER_SIZE) / a - 4) / 4 : period;

		for (unsigned k = 0; k < sc->naudio; k++) {
			if (!sc->pk[first + k].accepted) {
				mark(miss, k * s, (k + 1) * s);
			}
		}
		mark(miss, sc->naudio * s, period);
	} else if (t->cfg.encoder == NJ2_ENCODER_INT16) {
		unsigned chunk, n = nj2_stream_layout(t->cfg.mtu, t->cfg.audio_channels, 2 * period,
						     &chunk);

		ck_assert_uint_eq(n, sc->naudio);
		for (unsigned k = 0; k < n; k++) {
			uint32_t b0 = k * chunk, b1 = b0 + nj2_stream_chunk_len(2 * period, n, chunk, k);

			if (!sc->pk[first + k].accepted) {
				mark(miss, b0 / 2, (b1 + 1) / 2);
			}
		}
	}
	return true;
}

static void check_missing(const struct rt *t, const struct nj2_cycle_out *out, const uint8_t *miss)
{
	static uint8_t got[NJ_PERIOD_MAX];

	memset(got, 0, t->cfg.period);
	for (unsigned r = 0; r < out->nmissing; r++) {
		const struct nj2_range *g = &out->missing[r];

		CHECK(g->len > 0 && g->start + g->len <= t->cfg.period, "range %u", r);
		/* merged: in order, never touching */
		CHECK(r == 0 || out->missing[r - 1].start + out->missing[r - 1].len < g->start,
		      "ranges %u and %u not merged", r - 1, r);
		mark(got, g->start, g->start + g->len);
	}
	ck_assert_msg(memcmp(got, miss, t->cfg.period) == 0, "cycle %u: missing ranges differ",
		      out->cycle);
}

static void check_audio(struct rt *t, const struct sent_cycle *sc, const struct nj2_cycle_out *out)
{
	static uint8_t miss[NJ_PERIOD_MAX];
	unsigned chans = t->cfg.audio_channels, period = t->cfg.period;
	bool any = expected_missing(t, sc, miss), all = true;

	for (unsigned k = 1 + sc->nmidi; k < sc->n; k++) {
		all &= sc->pk[k].accepted;
	}
	if (t->cfg.encoder == NJ2_ENCODER_OPUS) {
		ck_assert_uint_eq(out->nmissing, 0);
		ck_assert_uint_eq(nj_portset_count(out->opus_lost), all ? 0 : chans);
	} else {
		check_missing(t, out, miss);
	}
	if (t->cfg.encoder == NJ2_ENCODER_FLOAT && t->cfg.tiled && any && sc->pk[1 + sc->nmidi].active) {
		/* the live ports of every group with a tile that arrived */
		struct nj2_tiles ti;
		unsigned a = sc->pk[1 + sc->nmidi].active, want = 0;

		nj2_float_tiles(t->cfg.mtu, a, period, &ti);
		for (unsigned g = 0; g * ti.g < a; g++) {
			bool got = false;

			for (unsigned b = 0; b < ti.nb; b++) {
				got |= sc->pk[1 + sc->nmidi + nj2_tile_k(&ti, b, g)].accepted;
			}
			want += got ? (a - g * ti.g < ti.g ? a - g * ti.g : ti.g) : 0;
		}
		ck_assert_uint_eq(nj_portset_count(&out->present), want);
	} else if (t->cfg.encoder == NJ2_ENCODER_FLOAT) {
		ck_assert_uint_eq(nj_portset_count(&out->present),
				  any ? nj_portset_count(&t->live) : 0);
	}
	for (unsigned ch = 0; ch < chans; ch++) {
		bool live = nj_portset_has(&t->live, ch);

		for (unsigned i = 0; i < period; i++) {
			float v = out->audio[ch][i];
			float want = live && !miss[i] ? gen(sc->cycle, ch, i) : 0.0f;

			if (t->cfg.encoder == NJ2_ENCODER_OPUS) {
				want = !all ? FAKE_PLC_VALUE
				       : live && i < fake_codec_kept(&t->ftx) ? gen(sc->cycle, ch, i)
									  : 0.0f;
			}
			if (t->cfg.encoder == NJ2_ENCODER_INT16) {
				CHECK(fabsf(v - want) <= 1.0f / 32767.0f + 1e-7f,
					      "cycle %u ch %u frame %u: %f, want %f", sc->cycle, ch,
					      i, (double)v, (double)want);
			} else {
				CHECK(v == want, "cycle %u ch %u frame %u: %f, want %f",
					      sc->cycle, ch, i, (double)v, (double)want);
			}
		}
	}
}

static void check_midi(struct rt *t, const struct sent_cycle *sc, const struct nj2_cycle_out *out)
{
	bool all = true;

	for (unsigned k = 1; k <= sc->nmidi; k++) {
		all &= sc->pk[k].accepted;
	}
	gen_midi(t, sc->cycle);
	for (unsigned p = 0; p < t->cfg.midi_channels; p++) {
		ck_assert_uint_eq(out->midi_count[p], all ? t->nev : 0);
		for (unsigned j = 0; all && j < t->nev; j++) {
			const struct nj_midi_event *e = &out->midi[p][j];

			CHECK(e->time == t->ev[p][j].time && e->size == t->ev[p][j].size &&
				      memcmp(e->data, t->ev[p][j].data, e->size) == 0,
			      "cycle %u port %u event %u differs", sc->cycle, p, j);
		}
	}
}

static void take_cycle(struct rt *t, uint32_t c)
{
	struct sent_cycle *sc = &t->hist[c % HIST];
	struct nj2_cycle_out out;
	bool all = true, none = true;

	ck_assert_uint_eq(sc->cycle, c);
	ck_assert_int_eq(nj2_unpacker_take(t->u, c, &out), 0);
	sc->taken = true;
	for (unsigned k = 0; k < sc->n; k++) {
		all &= sc->pk[k].accepted;
		none &= !sc->pk[k].accepted;
	}
	t->missing_cycles += none;
	t->incomplete_cycles += !all;
	ck_assert_uint_eq(out.cycle, c);
	ck_assert_int_eq(out.complete, all);
	ck_assert_int_eq(out.have_sync, sc->pk[0].accepted);
	if (out.have_sync) {
		ck_assert(memcmp(&out.peer_wants, &sc->we_want, sizeof(sc->we_want)) == 0);
	} else {
		ck_assert_uint_eq(nj_portset_count(&out.peer_wants), NJ_MAX_CHANNELS);
	}
	if (t->cfg.audio_channels > 0) {
		check_audio(t, sc, &out);
	}
	if (t->cfg.midi_channels > 0) {
		check_midi(t, sc, &out);
	}
}

static const unsigned chans_choice[] = {0, 1, 2, 3, 5, 8, 16};
static const unsigned midi_choice[] = {0, 1, 3};
static const unsigned period_choice[] = {16, 32, 64, 128, 256, 480, 1024, 2048};
static const unsigned mtu_choice[] = {256, 576, 1500, 9000};
static const unsigned slots_choice[] = {4, 8, 16};

#define PICK(a) (a)[prng_below(&t->rng, sizeof(a) / sizeof((a)[0]))]

/* A random configuration; false if the layout is impossible (both sides agree). */
static bool rt_setup(struct rt *t, bool lossy)
{
	struct nj2_cycle_config *c = &t->cfg;
	struct nj2_packer *probe;
	const struct nj_datagram *dg;
	struct nj2_cycle_in in;
	size_t max_len;
	unsigned n;
	int r;

	*c = cycle_cfg(NJ2_STREAM_RETURN, PICK(period_choice), PICK(chans_choice),
		       PICK(midi_choice));
	c->id = (uint32_t)prng_next(&t->rng);
	c->mtu = PICK(mtu_choice);
	c->slots = PICK(slots_choice);
	c->encoder = (enum nj2_encoder[]){NJ2_ENCODER_FLOAT, NJ2_ENCODER_INT16,
					 NJ2_ENCODER_OPUS}[prng_below(&t->rng, 3)];
	c->tiled = c->encoder == NJ2_ENCODER_FLOAT && prng_below(&t->rng, 2);
	fake_codec_init(&t->ftx, c->period, 10 + prng_below(&t->rng, 1200));
	fake_codec_init(&t->frx, c->period, t->ftx.ops.stream_len);
	if (c->encoder == NJ2_ENCODER_OPUS) {
		c->codec = &t->ftx.ops;
		c->codec_ctx = &t->ftx;
	}
	t->nev = c->period >= 64 ? MAXEV : 1;
	nj_portset_clear(&t->connected);
	nj_portset_clear(&t->peer_wants);
	nj_portset_clear(&t->live);
	for (unsigned ch = 0; ch < c->audio_channels; ch++) {
		bool conn = prng_below(&t->rng, 4) != 0, want = prng_below(&t->rng, 4) != 0;

		if (conn) {
			nj_portset_add(&t->connected, ch);
		}
		if (want) {
			nj_portset_add(&t->peer_wants, ch);
		}
		/* int16/Opus send every port, silence where not live. */
		if (conn && want) {
			nj_portset_add(&t->live, ch);
		}
		t->bufs[ch] = t->audio[ch];
	}
	r = nj2_packer_new(c, &t->pk);
	if (r < 0) {
		ck_assert_int_eq(nj2_unpacker_new(c, &t->u), r);
		return false;
	}
	if (c->encoder == NJ2_ENCODER_OPUS) {
		/* The receiver has its own codec instance. */
		c->codec = &t->frx.ops;
		c->codec_ctx = &t->frx;
	}
	ck_assert_int_eq(nj2_unpacker_new(c, &t->u), 0);
	/* Size the network from a cycle's worth of datagrams. */
	ck_assert_int_eq(nj2_packer_new(c, &probe), 0);
	memset(&in, 0, sizeof(in));
	in.audio = t->bufs;
	gen_midi(t, 0);
	in.midi = t->evp;
	in.midi_count = t->evn;
	ck_assert_int_eq(nj2_packer_pack(probe, &in, &dg, &n), 0);
	/* int16/Opus: jack2's last packet carries the remainders and can pass the MTU. */
	max_len = c->mtu + 4 * MAXCH + 64;
	for (unsigned k = 0; k < n; k++) {
		max_len = dg[k].len > max_len ? dg[k].len : max_len;
	}
	nj2_packer_free(probe);
	net_init(&t->net, &t->rng, (size_t)n * 3 * 4 + 16, max_len);
	if (lossy) {
		t->net.drop_pct = prng_below(&t->rng, 12);
		t->net.dup_pct = prng_below(&t->rng, 12);
		t->net.delay_pct = prng_below(&t->rng, 20);
		t->net.max_delay = 2;
		/*
		 * The first cycle arrives whole: a receiver can only guess the
		 * packet counts of a cycle it never saw from the counts it saw.
		 */
		t->net.clean_until = 1;
	}
	t->ok = t->dup = t->late = 0;
	t->missing_cycles = t->incomplete_cycles = 0;
	memset(t->hist, 0, sizeof(t->hist));
	return true;
}

static void rt_run(struct rt *t, unsigned ncycles, uint32_t base)
{
	const struct nj_rx_stats *st;

	for (unsigned now = 1; now <= ncycles + LAG + 3; now++) {
		if (now <= ncycles) {
			send_cycle(t, base + now, now);
		}
		net_deliver(&t->net, now, deliver, t);
		if (now > LAG && now - LAG <= ncycles) {
			take_cycle(t, base + now - LAG);
		}
	}
	st = nj2_unpacker_stats(t->u);
	if (st->packets + st->lost != t->net.sent) {
		fprintf(stderr, "enc %d ch %u midi %u P %u mtu %u slots %u base %u lost %llu\n",
			t->cfg.encoder, t->cfg.audio_channels, t->cfg.midi_channels, t->cfg.period,
			t->cfg.mtu, t->cfg.slots, base, (unsigned long long)st->lost);
	}
	ck_assert_uint_eq(st->packets, t->ok);
	ck_assert_uint_eq(st->duplicate, t->dup);
	ck_assert_uint_eq(st->late, t->late);
	ck_assert_uint_eq(st->malformed, 0);
	ck_assert_uint_eq(st->foreign, 0);
	ck_assert_uint_eq(st->cycles, ncycles);
	ck_assert_uint_eq(st->cycles_missing, t->missing_cycles);
	ck_assert_uint_eq(st->cycles_incomplete, t->incomplete_cycles);
	ck_assert_uint_eq(st->cycles_dropped, 0);
	ck_assert_msg(st->packets + st->lost == t->net.sent,
		      "accounting: %llu received + %llu lost != %u sent",
		      (unsigned long long)st->packets, (unsigned long long)st->lost, t->net.sent);
}

static void rt_free(struct rt *t)
{
	nj2_packer_free(t->pk);
	nj2_unpacker_free(t->u);
	net_free(&t->net);
	t->pk = NULL;
	t->u = NULL;
}

static void run_many(const char *name, unsigned configs, bool lossy)
{
	struct rt *t = calloc(1, sizeof(*t));
	unsigned ran = 0;

	ck_assert_ptr_nonnull(t);
	t->rng = prng_seed(name);
	for (unsigned i = 0; i < configs; i++) {
		/* Some runs cross the 2^32 wrap of the cycle counter. */
		uint32_t base = prng_below(&t->rng, 4) == 0 ? UINT32_MAX - 10 : prng_below(&t->rng, 1000);

		if (!rt_setup(t, lossy)) {
			continue;
		}
		rt_run(t, 24, base);
		rt_free(t);
		ran++;
	}
	fprintf(stderr, "%s: %u configurations\n", name, ran);
	ck_assert_uint_ge(ran, configs / 2);
	free(t);
}

START_TEST(test_roundtrip_clean)
{
	run_many("roundtrip_clean", 40, false);
}
END_TEST

START_TEST(test_roundtrip_lossy)
{
	run_many("roundtrip_lossy", 120, true);
}
END_TEST

static Suite *cycle_suite(void)
{
	Suite *s = suite_create("cycle");
	TCase *tc = tcase_create("roundtrip");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_roundtrip_clean);
	tcase_add_test(tc, test_roundtrip_lossy);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(cycle_suite)
