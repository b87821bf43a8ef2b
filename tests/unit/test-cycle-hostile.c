/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-cycle-hostile.c - the reassembler against bad input: random bytes,
 * valid headers with out-of-range fields, inconsistent packets, absurd MIDI
 * records, and jack2's MIDI packet count.
 *
 * Every bad packet must be rejected and counted, and must leave nothing behind:
 * the frames of a packet whose corrupt copies were pushed (and the good one
 * never) stay zero and are reported missing.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/audio.h>
#include <libnetproto/cycle.h>

#include "check-main.h"
#include "cycle-util.h"

#define P 256
#define CH 4

struct bench {
	struct nj2_cycle_config cfg;
	struct nj2_packer *pk;
	struct nj2_unpacker *u;
	float audio[CH][P];
	const float *bufs[CH];
	struct nj_midi_event ev[2];
	const struct nj_midi_event *evp[1];
	uint32_t evn[1];
	const struct nj_datagram *dg;
	unsigned n;
};

static const uint8_t note_on[3] = {0x90, 0x3c, 0x40};
static const uint8_t sysex[7] = {0xF0, 0x7D, 1, 2, 3, 4, 0xF7};

static void bench_init(struct bench *b, enum nj2_encoder enc, unsigned midi_ports, uint32_t cycle)
{
	struct nj2_cycle_in in;

	memset(b, 0, sizeof(*b));
	b->cfg = cycle_cfg(NJ2_STREAM_SEND, P, CH, midi_ports);
	b->cfg.mtu = 576; /* float, 4 ports: 16 packets of 16 frames */
	b->cfg.encoder = enc;
	ck_assert_int_eq(nj2_packer_new(&b->cfg, &b->pk), 0);
	ck_assert_int_eq(nj2_unpacker_new(&b->cfg, &b->u), 0);
	for (unsigned ch = 0; ch < CH; ch++) {
		for (unsigned i = 0; i < P; i++) {
			b->audio[ch][i] = (float)(ch + 1) * 0.125f + (float)i / 4096.0f;
		}
		b->bufs[ch] = b->audio[ch];
	}
	b->ev[0] = (struct nj_midi_event){.time = 3, .size = 3, .data = note_on};
	b->ev[1] = (struct nj_midi_event){.time = 9, .size = 7, .data = sysex};
	b->evp[0] = b->ev;
	b->evn[0] = 2;
	memset(&in, 0, sizeof(in));
	in.cycle = cycle;
	in.audio = b->bufs;
	in.midi = b->evp;
	in.midi_count = b->evn;
	in.we_want_n = 2;
	ck_assert_int_eq(nj2_packer_pack(b->pk, &in, &b->dg, &b->n), 0);
}

static void bench_free(struct bench *b)
{
	nj2_packer_free(b->pk);
	nj2_unpacker_free(b->u);
}

/* Index of the first datagram of @type. */
static unsigned find(const struct bench *b, uint32_t type)
{
	for (unsigned k = 0; k < b->n; k++) {
		if (nj_get_be32(b->dg[k].data + 8) == type) {
			return k;
		}
	}
	ck_abort_msg("no packet of type %c", (char)type);
	return 0;
}

/* Push a copy of datagram @k with @off set to @val; must be rejected. */
static void push_bad32(struct bench *b, unsigned k, size_t off, uint32_t val)
{
	uint8_t buf[2048];
	uint64_t before = nj2_unpacker_stats(b->u)->malformed;
	uint32_t rc = 12345;
	size_t len = b->dg[k].len;

	ck_assert_uint_le(len, sizeof(buf));
	memcpy(buf, b->dg[k].data, len);
	nj_put_be32(buf + off, val);
	ck_assert_msg(nj2_unpacker_push(b->u, buf, len, &rc) == -EBADMSG,
		      "packet %u with offset %zu = %u accepted", k, off, val);
	ck_assert_uint_eq(nj2_unpacker_stats(b->u)->malformed, before + 1);
	ck_assert_uint_eq(rc, 12345);
}

enum { H_NUM = 20, H_SIZE = 24, H_ACTIVE = 28, H_CYCLE = 32, H_SUB = 36, H_FRAMES = 40 };

START_TEST(test_random_bytes)
{
	uint64_t rng = prng_seed("random_bytes");
	struct bench b;
	uint8_t buf[1600];
	unsigned pushes = 20000;

	bench_init(&b, NJ2_ENCODER_FLOAT, 1, 5);
	for (unsigned i = 0; i < pushes; i++) {
		size_t len = prng_below(&rng, sizeof(buf));
		uint32_t rc;
		int r;

		for (size_t j = 0; j < len; j++) {
			buf[j] = (uint8_t)prng_next(&rng);
		}
		/* Half of them get a plausible header: our ID, stream, types. */
		if (i % 2 && len >= NJ2_HEADER_SIZE) {
			memcpy(buf, "header", 7);
			nj_put_be32(buf + 8, (uint32_t[]){'s', 'm', 'a'}[i % 3]);
			nj_put_be32(buf + 12, 's');
			nj_put_be32(buf + 16, i % 4 ? 1 : 2);
			nj_put_be32(buf + H_SIZE, (uint32_t)(len - prng_below(&rng, 64)));
			nj_put_be32(buf + H_NUM, prng_below(&rng, 40));
			nj_put_be32(buf + H_SUB, prng_below(&rng, 40));
			nj_put_be32(buf + H_CYCLE, prng_below(&rng, 40));
			nj_put_be32(buf + H_ACTIVE, prng_below(&rng, 6));
			nj_put_be32(buf + H_FRAMES, (uint32_t)-1);
			nj_put_be32(buf + 44, prng_below(&rng, 2));
		}
		r = nj2_unpacker_push(b.u, buf, len, &rc);
		ck_assert(r == -EBADMSG || (r >= NJ_PUSH_OK && r <= NJ_PUSH_FOREIGN));
		if (i % 97 == 0) {
			struct nj2_cycle_out out;

			ck_assert_int_eq(nj2_unpacker_take(b.u, i / 97, &out), 0);
		}
	}
	{
		const struct nj_rx_stats *st = nj2_unpacker_stats(b.u);

		ck_assert_uint_eq(st->malformed + st->foreign + st->packets + st->duplicate +
					  st->late,
				  pushes);
		ck_assert_uint_gt(st->malformed, pushes / 2);
	}
	bench_free(&b);
}
END_TEST

/* Valid headers with fields out of range: each rejected, nothing stored. */
START_TEST(test_bad_fields_float)
{
	struct bench b;
	struct nj2_cycle_out out;
	unsigned sync, midi, a0, a1;
	size_t per;

	bench_init(&b, NJ2_ENCODER_FLOAT, 1, 7);
	sync = find(&b, 's');
	midi = find(&b, 'm');
	a0 = find(&b, 'a');
	a1 = a0 + 1;
	ck_assert_uint_ge(b.n, a1 + 2); /* at least 3 audio packets */
	per = (b.dg[a1].len - NJ2_HEADER_SIZE) / CH;
	/* sync */
	push_bad32(&b, sync, H_SUB, 1);
	push_bad32(&b, sync, H_ACTIVE, NJ_MAX_CHANNELS + 1);
	push_bad32(&b, sync, H_ACTIVE, 1000);
	push_bad32(&b, sync, NJ2_HEADER_SIZE, NJ_MAX_CHANNELS);
	push_bad32(&b, sync, H_FRAMES, P + 1);
	push_bad32(&b, sync, H_SIZE, (uint32_t)b.dg[sync].len + 1);
	push_bad32(&b, sync, H_SIZE, NJ2_HEADER_SIZE - 1);
	push_bad32(&b, sync, 8, 'x');
	push_bad32(&b, sync, 12, 'q');
	/* MIDI */
	push_bad32(&b, midi, H_NUM, 0);
	push_bad32(&b, midi, H_NUM, NJ2_MAX_PACKETS_PER_CYCLE + 1);
	push_bad32(&b, midi, H_NUM, NJ2_MAX_PACKETS_PER_CYCLE);
	push_bad32(&b, midi, H_SUB, 1);
	push_bad32(&b, midi, H_NUM, 0xFFFFFFFF);
	/* audio packet 1: every corruption, never the good copy */
	push_bad32(&b, a1, H_SUB, NJ2_MAX_PACKETS_PER_CYCLE);
	push_bad32(&b, a1, H_SUB, b.n - a0);
	push_bad32(&b, a1, H_NUM, b.n - a0 + 1);
	push_bad32(&b, a1, H_NUM, 0);
	push_bad32(&b, a1, H_ACTIVE, CH + 1);
	push_bad32(&b, a1, H_ACTIVE, CH - 1);
	push_bad32(&b, a1, H_ACTIVE, 0);
	push_bad32(&b, a1, H_ACTIVE, 0xFFFFFFFF);
	push_bad32(&b, a1, H_SIZE, (uint32_t)b.dg[a1].len - 4);
	push_bad32(&b, a1, H_SIZE, (uint32_t)b.dg[a1].len + 4);
	/* port indices: the last one out of range, then a huge one */
	push_bad32(&b, a1, NJ2_HEADER_SIZE + (CH - 1) * per, CH);
	push_bad32(&b, a1, NJ2_HEADER_SIZE + (CH - 1) * per, 0x80000000);
	/* foreign ones are counted as such, not as malformed */
	{
		uint8_t buf[2048];
		uint32_t rc;

		memcpy(buf, b.dg[a1].data, b.dg[a1].len);
		nj_put_be32(buf + 16, 99);
		ck_assert_int_eq(nj2_unpacker_push(b.u, buf, b.dg[a1].len, &rc), NJ_PUSH_FOREIGN);
		nj_put_be32(buf + 16, 1);
		nj_put_be32(buf + 12, 'r');
		ck_assert_int_eq(nj2_unpacker_push(b.u, buf, b.dg[a1].len, &rc), NJ_PUSH_FOREIGN);
		ck_assert_uint_eq(nj2_unpacker_stats(b.u)->foreign, 2);
	}
	ck_assert(!nj2_unpacker_has(b.u, 7));
	/* Now every good packet but audio 1. */
	for (unsigned k = 0; k < b.n; k++) {
		if (k != a1) {
			ck_assert_int_eq(nj2_unpacker_push(b.u, b.dg[k].data, b.dg[k].len, NULL),
					 NJ_PUSH_OK);
		}
	}
	/*
	 * An audio packet valid on its own but not with its cycle's others:
	 * one active port, so another sub-period and packet count.
	 */
	{
		struct nj2_packer *other;
		const struct nj_datagram *dg;
		struct nj_portset one;
		struct nj2_cycle_in in;
		unsigned n;

		ck_assert_int_eq(nj2_packer_new(&b.cfg, &other), 0);
		memset(&in, 0, sizeof(in));
		in.cycle = 7;
		in.audio = b.bufs;
		nj_portset_fill(&one, 1);
		in.connected = &one;
		ck_assert_int_eq(nj2_packer_pack(other, &in, &dg, &n), 0);
		ck_assert_uint_eq(nj_get_be32(dg[n - 1].data + H_ACTIVE), 1);
		ck_assert_int_eq(nj2_unpacker_push(b.u, dg[n - 1].data, dg[n - 1].len, NULL),
				 -EBADMSG);
		nj2_packer_free(other);
	}
	ck_assert(!nj2_unpacker_complete(b.u, 7));
	ck_assert_int_eq(nj2_unpacker_take(b.u, 7, &out), 0);
	ck_assert(!out.complete);
	ck_assert_uint_eq(out.nmissing, 1);
	{
		uint32_t s = out.missing[0].len;

		ck_assert_uint_eq(out.missing[0].start, s);
		for (unsigned ch = 0; ch < CH; ch++) {
			for (unsigned i = 0; i < P; i++) {
				float want = i >= s && i < 2 * s ? 0.0f : b.audio[ch][i];

				ck_assert(out.audio[ch][i] == want);
			}
		}
	}
	ck_assert_uint_eq(out.midi_count[0], 2);
	ck_assert_uint_eq(nj2_unpacker_stats(b.u)->packets, b.n - 1);
	bench_free(&b);
}
END_TEST

START_TEST(test_bad_fields_stream)
{
	for (int opus = 0; opus < 2; opus++) {
		struct fake_codec *fc = calloc(1, sizeof(*fc));
		struct bench b;
		struct nj2_cycle_config cfg;
		unsigned a0;

		fake_codec_init(fc, P, 300);
		memset(&b, 0, sizeof(b));
		cfg = cycle_cfg(NJ2_STREAM_SEND, P, CH, 0);
		cfg.mtu = 576;
		if (opus) {
			cfg.encoder = NJ2_ENCODER_OPUS;
			cfg.codec = &fc->ops;
			cfg.codec_ctx = fc;
		} else {
			cfg.encoder = NJ2_ENCODER_INT16;
		}
		ck_assert_int_eq(nj2_packer_new(&cfg, &b.pk), 0);
		ck_assert_int_eq(nj2_unpacker_new(&cfg, &b.u), 0);
		{
			struct nj2_cycle_in in;

			memset(&in, 0, sizeof(in));
			in.cycle = 3;
			ck_assert_int_eq(nj2_packer_pack(b.pk, &in, &b.dg, &b.n), 0);
		}
		a0 = find(&b, 'a');
		ck_assert_uint_ge(b.n - a0, 2);
		push_bad32(&b, a0, H_NUM, b.n - a0 + 1);
		push_bad32(&b, a0, H_SIZE, (uint32_t)b.dg[a0].len - 1);
		push_bad32(&b, b.n - 1, H_SIZE, (uint32_t)b.dg[b.n - 1].len - CH);
		push_bad32(&b, a0, H_SUB, b.n - a0);
		/* A MIDI packet where this direction has no MIDI ports. */
		push_bad32(&b, a0, 8, 'm');
		ck_assert(!nj2_unpacker_has(b.u, 3));
		bench_free(&b);
		free(fc);
	}
}
END_TEST

/* Build a cycle whose MIDI record is replaced by @rec (@len bytes). */
static void push_midi_record(struct bench *b, uint32_t cycle, const uint8_t *rec, size_t len)
{
	uint8_t buf[2048];
	struct nj2_header h = {
		.data_type = NJ2_DATA_MIDI, .stream = NJ2_STREAM_SEND, .id = 1, .num_packet = 1,
		.packet_size = (uint32_t)(NJ2_HEADER_SIZE + len), .cycle = cycle, .frames = -1,
	};

	ck_assert_int_eq(nj2_header_encode(&h, buf, sizeof(buf)), NJ2_HEADER_SIZE);
	memcpy(buf + NJ2_HEADER_SIZE, rec, len);
	ck_assert_int_eq(nj2_unpacker_push(b->u, buf, NJ2_HEADER_SIZE + len, NULL), NJ_PUSH_OK);
}

/* MIDI records that lie: the cycle's MIDI is dropped, nothing read out of bounds. */
START_TEST(test_absurd_midi)
{
	struct bench b;
	unsigned midi;
	uint8_t rec[256];
	size_t len;

	bench_init(&b, NJ2_ENCODER_FLOAT, 1, 1);
	midi = find(&b, 'm');
	len = b.dg[midi].len - NJ2_HEADER_SIZE;
	ck_assert_uint_le(len, sizeof(rec));
	for (unsigned v = 0; v < 6; v++) {
		struct nj2_cycle_out out;
		uint64_t dropped = nj2_unpacker_stats(b.u)->midi_dropped;

		memcpy(rec, b.dg[midi].data + NJ2_HEADER_SIZE, len);
		switch (v) {
		case 0: nj_put_be32(rec, 0x900DF00E); break;      /* magic */
		case 1: nj_put_be32(rec + 16, 0xFFFFFFFF); break; /* event count */
		case 2: nj_put_be32(rec + 12, 0xFFFFFFF0); break; /* write_pos */
		case 3: nj_put_be32(rec + 16, 3); break;          /* count past the record */
		case 4: nj_put_le32(rec + 24 + 12 + 8, 0xFFFFFF00); break; /* long event offset */
		case 5: nj_put_le32(rec + 24 + 4, 0); break;      /* event size 0 */
		}
		push_midi_record(&b, 10 + v, rec, len);
		ck_assert_int_eq(nj2_unpacker_take(b.u, 10 + v, &out), 0);
		ck_assert_uint_eq(out.midi_count[0], 0);
		ck_assert_uint_eq(nj2_unpacker_stats(b.u)->midi_dropped, dropped + 1);
	}
	bench_free(&b);
}
END_TEST

/*
 * jack2's sender counts ceil(D/(mtu-112)) MIDI packets but sends mtu-48
 * chunks: for D = 2 (mtu-48) it announces 3 and the third is header-only.
 * Its receiver and ours render once the records are in.
 */
START_TEST(test_jack2_midi_count)
{
	struct nj2_cycle_config cfg = cycle_cfg(NJ2_STREAM_SEND, 1024, 0, 1);
	struct nj2_packer *pk;
	const struct nj_datagram *dg;
	struct nj_midi_event ev[300];
	const struct nj_midi_event *evp[1] = {ev};
	static const uint8_t d3[3] = {0x90, 1, 2};
	uint32_t cnt[1];
	struct nj2_cycle_in in;
	unsigned n;
	size_t chunk = 1500 - 48, events;

	/* 36 + 12 e = 2 * 1452 needs e = 239 events */
	events = (2 * chunk - 36) / 12;
	ck_assert_uint_eq(36 + 12 * events, 2 * chunk);
	for (unsigned e = 0; e < events; e++) {
		ev[e] = (struct nj_midi_event){.time = e, .size = 3, .data = d3};
	}
	cnt[0] = (uint32_t)events;
	ck_assert_int_eq(nj2_packer_new(&cfg, &pk), 0);
	memset(&in, 0, sizeof(in));
	in.midi = evp;
	in.midi_count = cnt;
	for (unsigned order = 0; order < 3; order++) {
		struct nj2_unpacker *u;
		struct nj2_cycle_out out;
		uint8_t pkts[3][1500];
		size_t lens[3];

		in.cycle = 40 + order;
		ck_assert_int_eq(nj2_packer_pack(pk, &in, &dg, &n), 0);
		ck_assert_uint_eq(n, 3); /* sync + 2 MIDI: our correct count */
		ck_assert_int_eq(nj2_unpacker_new(&cfg, &u), 0);
		/* Rewrite as jack2 sends it: num 3, and an empty third packet. */
		for (unsigned k = 0; k < 2; k++) {
			memcpy(pkts[k], dg[1 + k].data, dg[1 + k].len);
			lens[k] = dg[1 + k].len;
			nj_put_be32(pkts[k] + H_NUM, 3);
			nj_put_be32(pkts[k] + 44, 0);
		}
		memcpy(pkts[2], pkts[1], NJ2_HEADER_SIZE);
		nj_put_be32(pkts[2] + H_SUB, 2);
		nj_put_be32(pkts[2] + H_SIZE, NJ2_HEADER_SIZE);
		nj_put_be32(pkts[2] + 44, 1);
		lens[2] = NJ2_HEADER_SIZE;
		ck_assert_int_eq(nj2_unpacker_push(u, dg[0].data, dg[0].len, NULL), NJ_PUSH_OK);
		if (order == 1) {
			ck_assert_int_eq(nj2_unpacker_push(u, pkts[2], lens[2], NULL), NJ_PUSH_OK);
		}
		ck_assert_int_eq(nj2_unpacker_push(u, pkts[1], lens[1], NULL), NJ_PUSH_OK);
		ck_assert(!nj2_unpacker_complete(u, in.cycle));
		ck_assert_int_eq(nj2_unpacker_push(u, pkts[0], lens[0], NULL), NJ_PUSH_OK);
		/* Complete without the empty packet (orders 0 and 2). */
		ck_assert(nj2_unpacker_complete(u, in.cycle));
		if (order == 2) {
			ck_assert_int_eq(nj2_unpacker_push(u, pkts[2], lens[2], NULL), NJ_PUSH_OK);
		}
		ck_assert_int_eq(nj2_unpacker_take(u, in.cycle, &out), 0);
		ck_assert(out.complete);
		ck_assert_uint_eq(out.midi_count[0], events);
		ck_assert_uint_eq(out.midi[0][events - 1].time, events - 1);
		nj2_unpacker_free(u);
	}
	nj2_packer_free(pk);
}
END_TEST

/*
 * A corrupt cycle number from far ahead must not block its slot: once a
 * cycle was taken, the next `slots` cycles win their slots.
 */
START_TEST(test_future_cycle)
{
	struct bench good, bogus;
	struct nj2_cycle_out out;
	uint32_t far = 11 + 8 * 100000;

	bench_init(&good, NJ2_ENCODER_FLOAT, 1, 11);
	bench_init(&bogus, NJ2_ENCODER_FLOAT, 1, far);
	ck_assert_uint_eq(good.cfg.slots, 8);
	ck_assert_int_eq(nj2_unpacker_take(good.u, 10, &out), 0);
	/* Held while its slot is free... */
	ck_assert_int_eq(nj2_unpacker_push(good.u, bogus.dg[0].data, bogus.dg[0].len, NULL),
			 NJ_PUSH_OK);
	ck_assert(nj2_unpacker_has(good.u, far));
	/* ...given up for cycle 11, which then refuses it back. */
	for (unsigned k = 0; k < good.n; k++) {
		ck_assert_int_eq(nj2_unpacker_push(good.u, good.dg[k].data, good.dg[k].len, NULL),
				 NJ_PUSH_OK);
	}
	ck_assert(!nj2_unpacker_has(good.u, far));
	ck_assert_uint_eq(nj2_unpacker_stats(good.u)->cycles_dropped, 1);
	ck_assert_int_eq(nj2_unpacker_push(good.u, bogus.dg[1].data, bogus.dg[1].len, NULL),
			 NJ_PUSH_LATE);
	ck_assert_int_eq(nj2_unpacker_take(good.u, 11, &out), 0);
	ck_assert(out.complete);
	ck_assert(out.audio[2][5] == good.audio[2][5]);
	bench_free(&good);
	bench_free(&bogus);
}
END_TEST

/* Configurations the layout cannot carry are refused at creation. */
START_TEST(test_bad_configs)
{
	struct nj2_cycle_config c = cycle_cfg(NJ2_STREAM_SEND, 256, 2, 1);
	struct nj2_packer *pk = NULL;
	struct nj2_unpacker *u = NULL;
	struct fake_codec fc;

	ck_assert_int_eq(nj2_packer_new(NULL, &pk), -EINVAL);
	c.encoder = NJ2_ENCODER_CELT;
	ck_assert_int_eq(nj2_packer_new(&c, &pk), -EOPNOTSUPP);
	c.encoder = NJ2_ENCODER_OPUS; /* no codec */
	ck_assert_int_eq(nj2_unpacker_new(&c, &u), -EINVAL);
	fake_codec_init(&fc, 256, 0);
	c.codec = &fc.ops;
	ck_assert_int_eq(nj2_unpacker_new(&c, &u), -EINVAL);
	c = cycle_cfg(NJ2_STREAM_SEND, 256, 2, 1);
	c.slots = 1;
	ck_assert_int_eq(nj2_unpacker_new(&c, &u), -EINVAL);
	c.slots = NJ_MAX_LATENCY + 5;
	ck_assert_int_eq(nj2_unpacker_new(&c, &u), -EINVAL);
	c = cycle_cfg(NJ2_STREAM_SEND, 8192, 256, 1);
	c.mtu = 256; /* jack2's sub-period would be 0: it divides by zero */
	ck_assert_int_eq(nj2_packer_new(&c, &pk), -EINVAL);
	c = cycle_cfg(NJ2_STREAM_SEND, 256, NJ_MAX_CHANNELS + 1, 0);
	ck_assert_int_eq(nj2_packer_new(&c, &pk), -EINVAL);
	c = cycle_cfg(NJ2_STREAM_SEND, 256, 2, 1);
	c.midi_max_events = 0;
	ck_assert_int_eq(nj2_packer_new(&c, &pk), -EINVAL);
	c = cycle_cfg((enum nj2_stream)'x', 256, 2, 1);
	ck_assert_int_eq(nj2_packer_new(&c, &pk), -EINVAL);
	ck_assert_ptr_null(pk);
	ck_assert_ptr_null(u);
	nj2_packer_free(NULL);
	nj2_unpacker_free(NULL);
}
END_TEST

static Suite *hostile_suite(void)
{
	Suite *s = suite_create("cycle-hostile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_random_bytes);
	tcase_add_test(tc, test_bad_fields_float);
	tcase_add_test(tc, test_bad_fields_stream);
	tcase_add_test(tc, test_absurd_midi);
	tcase_add_test(tc, test_jack2_midi_count);
	tcase_add_test(tc, test_bad_configs);
	tcase_add_test(tc, test_future_cycle);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(hostile_suite)
