/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-cycle-sched.c - nj_rxsched: which return cycle the master renders.
 *
 * A simulated slave answers master cycle m with a return cycle labelled L(m)
 * whose audio says m (sample i = m + i/1024), arriving at master time A(m).
 * Every master cycle t delivers what has arrived, then picks and takes. A
 * peer that does not count (PipeWire's driver) labels everything 0; its
 * packets go through nj2_relabel_packet() with the master's arrival guess t - 1
 * (what link.c passes for packets drained right after sending cycle t).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/cycle.h>

#include "check-main.h"
#include "cycle-util.h"

#define P 64
#define T 90
#define ABSENT 0xFFFFFFFFu

struct slave {
	uint32_t (*label)(uint32_t m);  /* L(m); ABSENT = no answer */
	uint32_t (*arrive)(uint32_t m); /* A(m) */
	bool (*lost)(uint32_t m);       /* the answer is lost on the way */
	bool (*sync_lost)(uint32_t m);  /* only its sync packet is lost */
	bool zero;                      /* every packet says cycle 0 */
};

struct result {
	bool picked[T + 1];
	uint32_t cycle[T + 1];
	uint32_t answers[T + 1]; /* master cycle the taken data answered; 0 = none */
	uint32_t offset[T + 1];
	uint64_t relatches;
	struct nj2_relabel rl;
	unsigned dropped; /* datagrams nj2_relabel_packet() turned away */
};

static void run(const struct slave *sl, unsigned latency, struct result *res)
{
	struct nj2_cycle_config cfg = cycle_cfg(NJ2_STREAM_RETURN, P, 1, 0);
	struct nj2_packer *pk;
	struct nj2_unpacker *u;
	struct nj_rxsched rs;
	float audio[P];
	const float *bufs[1] = {audio};

	memset(res, 0, sizeof(*res));
	ck_assert_int_eq(nj2_packer_new(&cfg, &pk), 0);
	ck_assert_int_eq(nj2_unpacker_new(&cfg, &u), 0);
	nj_rxsched_init(&rs, latency);
	nj2_relabel_init(&res->rl);
	for (uint32_t t = 1; t <= T; t++) {
		struct nj2_cycle_out out;
		uint32_t c;

		/* Deliver the answers arriving now. */
		for (uint32_t m = 1; m <= t; m++) {
			const struct nj_datagram *dg;
			struct nj2_cycle_in in;
			unsigned n;

			if (sl->arrive(m) != t || sl->label(m) == ABSENT || (sl->lost && sl->lost(m))) {
				continue;
			}
			for (unsigned i = 0; i < P; i++) {
				audio[i] = (float)m + (float)i / 1024.0f;
			}
			memset(&in, 0, sizeof(in));
			in.cycle = sl->zero ? 0 : sl->label(m);
			in.audio = bufs;
			ck_assert_int_eq(nj2_packer_pack(pk, &in, &dg, &n), 0);
			for (unsigned k = 0; k < n; k++) {
				uint8_t buf[2048];

				if (k == 0 && sl->sync_lost && sl->sync_lost(m)) {
					continue;
				}
				ck_assert_uint_le(dg[k].len, sizeof(buf));
				memcpy(buf, dg[k].data, dg[k].len);
				if (!nj2_relabel_packet(&res->rl, buf, dg[k].len, cfg.id, t - 1)) {
					res->dropped++;
					continue;
				}
				ck_assert_int_ge(nj2_unpacker_push(u, buf, dg[k].len, NULL), 0);
			}
		}
		res->picked[t] = nj_rxsched_pick(&rs, t, u, &c);
		if (!res->picked[t]) {
			ck_assert(!rs.latched);
			continue;
		}
		res->cycle[t] = c;
		res->offset[t] = rs.offset;
		ck_assert_int_eq(nj2_unpacker_take(u, c, &out), 0);
		ck_assert_uint_eq(out.cycle, c);
		res->answers[t] = out.complete ? (uint32_t)out.audio[0][0] : 0;
		if (out.complete) {
			ck_assert(out.audio[0][P - 1] == (float)res->answers[t] + (P - 1) / 1024.0f);
		} else {
			ck_assert(out.audio[0][0] == 0.0f);
		}
	}
	res->relatches = rs.relatches;
	if (getenv("NJ_DEBUG")) {
		for (uint32_t t = 1; t <= T; t++) {
			fprintf(stderr, "t %u picked %d cycle %u answers %u D %u\n", t, res->picked[t],
				res->cycle[t], res->answers[t], res->offset[t]);
		}
	}
	nj2_packer_free(pk);
	nj2_unpacker_free(u);
}

static uint32_t same(uint32_t m)
{
	return m;
}

static uint32_t next(uint32_t m)
{
	return m + 1;
}

/* A sync slave, answers arriving before the next master cycle: D = N. */
START_TEST(test_latch)
{
	static const unsigned lat[] = {0, 1, 2, 5};

	for (unsigned i = 0; i < 4; i++) {
		unsigned n = lat[i];
		struct slave sl = {.label = same, .arrive = n == 0 ? same : next};
		struct result r;
		uint32_t first = n == 0 ? 1 : n + 1;

		run(&sl, n, &r);
		for (uint32_t t = 1; t <= T; t++) {
			ck_assert_int_eq(r.picked[t], t >= first);
			if (t >= first) {
				ck_assert_uint_eq(r.offset[t], n);
				ck_assert_uint_eq(r.cycle[t], t - n);
				ck_assert_uint_eq(r.answers[t], t - n);
			}
		}
		ck_assert_uint_eq(r.relatches, 0);
	}
}
END_TEST

/* N = 0 but the answers come a cycle later: the latch settles at D = 1. */
START_TEST(test_latch_zero_late)
{
	struct slave sl = {.label = same, .arrive = next};
	struct result r;

	run(&sl, 0, &r);
	ck_assert(!r.picked[1]);
	for (uint32_t t = 2; t <= T; t++) {
		ck_assert_uint_eq(r.offset[t], 1);
		ck_assert_uint_eq(r.answers[t], t - 1);
	}
}
END_TEST

static bool lost_cycles(uint32_t m)
{
	return m == 20 || (m >= 30 && m <= 41) || m == 60 || m == 61;
}

/* Lost return cycles are concealed; the latency stays N (jack2's shrinks). */
START_TEST(test_fixed_delay_under_loss)
{
	static const unsigned lat[] = {1, 2, 5};

	for (unsigned i = 0; i < 3; i++) {
		unsigned n = lat[i];
		struct slave sl = {.label = same, .arrive = next, .lost = lost_cycles};
		struct result r;

		run(&sl, n, &r);
		for (uint32_t t = n + 1; t <= T; t++) {
			ck_assert_uint_eq(r.offset[t], n);
			ck_assert_uint_eq(r.cycle[t], t - n);
			ck_assert_uint_eq(r.answers[t], lost_cycles(t - n) ? 0 : t - n);
		}
		ck_assert_uint_eq(r.relatches, 0);
	}
}
END_TEST

/* A stalled slave whose backlog arrives at once: no relatch either. */
static uint32_t stalled(uint32_t m)
{
	return m >= 30 && m <= 35 ? 36 : m + 1;
}

START_TEST(test_stall)
{
	struct slave sl = {.label = same, .arrive = stalled};
	struct result r;

	run(&sl, 2, &r);
	for (uint32_t t = 3; t <= T; t++) {
		ck_assert_uint_eq(r.offset[t], 2);
		ck_assert_uint_eq(r.answers[t], t - 2 >= 30 && t - 2 <= 33 ? 0 : t - 2);
	}
	ck_assert_uint_eq(r.relatches, 0);
}
END_TEST

/*
 * An async slave counts its own cycles. It misses master cycle 20 (its
 * numbers fall one behind: no gap, the margin shrinks), then cycle 40 (two
 * behind: its packets come after we took their cycle). D grows by one,
 * NJ_RXSCHED_SLIP cycles later, and everything arrives in time again.
 */
static uint32_t async_label(uint32_t m)
{
	if (m == 20 || m == 40) {
		return ABSENT;
	}
	return m < 20 ? m : m < 40 ? m - 1 : m - 2;
}

START_TEST(test_async_slip)
{
	struct slave sl = {.label = async_label, .arrive = next};
	struct result r;
	uint32_t relatch = 0;

	run(&sl, 2, &r);
	for (uint32_t t = 3; t <= 41; t++) {
		ck_assert_uint_eq(r.offset[t], 2);
		/* the first miss only eats margin; the second leaves label 39 late */
		ck_assert_uint_eq(r.answers[t], t == 41 ? 0 : t <= 21 ? t - 2 : t - 1);
	}
	for (uint32_t t = 42; t <= T; t++) {
		if (r.offset[t] == 3 && relatch == 0) {
			relatch = t;
		}
	}
	/*
	 * From t = 42 every pick misses while the label it wanted arrives just
	 * after (label 40, from master 42, arrives at 43): four slips in a row.
	 */
	ck_assert_uint_eq(relatch, 42 + NJ_RXSCHED_SLIP - 1);
	/* The relatch pick asks again for the cycle taken just before: silence. */
	ck_assert_uint_eq(r.cycle[relatch], r.cycle[relatch - 1]);
	ck_assert_uint_eq(r.answers[relatch], 0);
	for (uint32_t t = relatch + 1; t <= T; t++) {
		ck_assert_uint_eq(r.offset[t], 3);
		ck_assert_uint_eq(r.answers[t], t - 1);
	}
	ck_assert_uint_eq(r.relatches, 1);
}
END_TEST

/* A slave that counts (jack2, netjack) is never relabelled. */
START_TEST(test_counting_peer_kept)
{
	struct slave sl = {.label = async_label, .arrive = next};
	struct result r;

	run(&sl, 2, &r);
	ck_assert(!r.rl.active);
	ck_assert_uint_eq(r.relatches, 1);
}
END_TEST

/*
 * PipeWire's driver: cycle 0 in every return packet. Its first
 * NJ2_RELABEL_RUN - 1 answers are dropped while that is being decided; from
 * then on, filed by arrival, its answers come back at a fixed delay of N, as
 * a sync slave's do.
 */
START_TEST(test_zero_cycle_peer)
{
	static const unsigned lat[] = {1, 2, 5};

	for (unsigned i = 0; i < 3; i++) {
		unsigned n = lat[i];
		struct slave sl = {.label = same, .arrive = next, .zero = true};
		struct result r;

		run(&sl, n, &r);
		ck_assert(r.rl.active);
		ck_assert_uint_eq(r.dropped, 2 * (NJ2_RELABEL_RUN - 1)); /* sync + audio each */
		for (uint32_t t = 1; t <= T; t++) {
			ck_assert_int_eq(r.picked[t], t >= NJ2_RELABEL_RUN + n);
			if (t >= NJ2_RELABEL_RUN + n) {
				ck_assert_uint_eq(r.answers[t], t - n);
			}
		}
		ck_assert_uint_eq(r.relatches, 0);
		ck_assert_uint_eq(r.rl.moves, 0);
	}
}
END_TEST

/* One answer a cycle late now and then (arrival jitter): nothing moves. */
static uint32_t jitter(uint32_t m)
{
	return m % 7 == 0 ? m + 2 : m + 1;
}

START_TEST(test_zero_cycle_jitter)
{
	struct slave sl = {.label = same, .arrive = jitter, .zero = true};
	struct result r;

	run(&sl, 2, &r);
	for (uint32_t t = NJ2_RELABEL_RUN + 2; t <= T; t++) {
		ck_assert_uint_eq(r.answers[t], t - 2);
	}
	ck_assert_uint_eq(r.rl.moves, 0);
	ck_assert_uint_eq(r.relatches, 0);
}
END_TEST

/*
 * The sync packet of answer 30 is lost: its audio is filed under label 29
 * (a duplicate, dropped) and the labels run one behind, so for a while each
 * answer is heard a cycle early. NJ2_RELABEL_RUN syncs later they are moved
 * back: one label is skipped (silence) and the delay is N again.
 */
static bool sync_lost_30(uint32_t m)
{
	return m == 30;
}

START_TEST(test_zero_cycle_lost_sync)
{
	struct slave sl = {.label = same, .arrive = next, .zero = true,
			   .sync_lost = sync_lost_30};
	struct result r;
	unsigned bad = 0;

	run(&sl, 2, &r);
	for (uint32_t t = NJ2_RELABEL_RUN + 2; t <= T; t++) {
		if (r.answers[t] != t - 2) {
			bad++;
			ck_assert_uint_ge(t, 32);
			ck_assert_uint_le(t, 32 + NJ2_RELABEL_RUN + 1);
		}
	}
	ck_assert_uint_eq(r.rl.moves, 1);
	ck_assert_uint_le(bad, NJ2_RELABEL_RUN + 1);
	for (uint32_t t = 32 + NJ2_RELABEL_RUN + 2; t <= T; t++) {
		ck_assert_uint_eq(r.answers[t], t - 2);
	}
}
END_TEST

/*
 * A counting slave, and a burst of cycle-0 syncs spoofed between two of its
 * real ones now and then: the burst is dropped, the numbering never changes.
 */
START_TEST(test_zero_cycle_spoofed_burst)
{
	struct nj2_cycle_config cfg = cycle_cfg(NJ2_STREAM_RETURN, P, 1, 0);
	struct nj2_packer *pk;
	struct nj2_relabel rl;
	float audio[P] = {0};
	const float *bufs[1] = {audio};
	unsigned dropped = 0;

	ck_assert_int_eq(nj2_packer_new(&cfg, &pk), 0);
	nj2_relabel_init(&rl);
	for (uint32_t t = 1; t <= T; t++) {
		for (int who = 0; who < 2; who++) {
			/* the real answer to t - 1, then (every 5th cycle) 8 spoofed syncs */
			unsigned copies = who == 0 ? 1 : t % 5 == 0 ? 8 : 0;
			struct nj2_cycle_in in = {.cycle = who == 0 ? t - 1 : 0, .audio = bufs};
			const struct nj_datagram *dg;
			unsigned n;

			if (who == 0 && t == 1) {
				continue;
			}
			ck_assert_int_eq(nj2_packer_pack(pk, &in, &dg, &n), 0);
			for (unsigned c = 0; c < copies; c++) {
				uint8_t buf[2048];
				struct nj2_header h;

				memcpy(buf, dg[0].data, dg[0].len);
				if (!nj2_relabel_packet(&rl, buf, dg[0].len, cfg.id, t - 1)) {
					dropped++;
					continue;
				}
				ck_assert_int_eq(nj2_header_decode(buf, dg[0].len, &h), 0);
				ck_assert_uint_eq(h.cycle, who == 0 ? t - 1 : 0);
			}
		}
	}
	ck_assert(!rl.active);
	ck_assert_uint_eq(dropped, 8 * (T / 5));
	nj2_packer_free(pk);
}
END_TEST

static Suite *sched_suite(void)
{
	Suite *s = suite_create("cycle-sched");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_latch);
	tcase_add_test(tc, test_latch_zero_late);
	tcase_add_test(tc, test_fixed_delay_under_loss);
	tcase_add_test(tc, test_stall);
	tcase_add_test(tc, test_async_slip);
	tcase_add_test(tc, test_counting_peer_kept);
	tcase_add_test(tc, test_zero_cycle_peer);
	tcase_add_test(tc, test_zero_cycle_jitter);
	tcase_add_test(tc, test_zero_cycle_lost_sync);
	tcase_add_test(tc, test_zero_cycle_spoofed_burst);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(sched_suite)
