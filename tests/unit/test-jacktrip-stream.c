/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-jacktrip-stream.c - the redundancy sender and the receiver: loss,
 * reordering, duplicates, the 16-bit wrap, a restarted sender, formats the
 * receiver refuses, and JackTrip 1.7.0's own -r 3 datagrams fed through it.
 * Each period carries its sequence number as a 32-bit sample value, so every
 * popped period is checked for being the one its number says.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/jacktrip.h>

#include "check-main.h"
#include "vectors.h"

#define FR  16
#define MAX 64

struct bed {
	uint8_t dg[MAX][JT_MAX_REDUNDANCY * (JT_HEADER_SIZE + FR * 2 * 4)];
	size_t len;
	uint16_t first; /* sequence number of dg[0] */
};

/* @count datagrams of a 2-channel, 32-bit sender of redundancy @r, after
 * @skip datagrams it built and threw away. Period s holds s and -s. */
static void make(struct bed *b, unsigned r, unsigned skip, unsigned count)
{
	struct jt_format f = {FR, JT_RATE_48000, 32, 2, 2, r};
	struct jt_sender *s;
	float a[FR], c[FR];
	const float *ch[2] = {a, c};
	uint8_t junk[sizeof(b->dg[0])];

	ck_assert_uint_le(count, MAX);
	ck_assert_int_eq(jt_sender_new(&f, &s), 0);
	b->len = jt_sender_datagram_size(s);
	for (unsigned i = 0; i < skip + count; i++) {
		uint16_t seq = jt_sender_seq(s);
		uint8_t *out = i < skip ? junk : b->dg[i - skip];

		for (unsigned n = 0; n < FR; n++) {
			a[n] = (float)seq;
			c[n] = -(float)seq - (float)n;
		}
		if (i == skip) {
			b->first = seq;
		}
		ck_assert_int_eq(jt_sender_build(s, ch, 1000u * i, out, sizeof(b->dg[0])),
				 (int)b->len);
	}
	jt_sender_free(s);
}

static struct jt_receiver *receiver(unsigned max_r)
{
	struct jt_rx_config cfg = {FR, JT_RATE_48000, 32, 2, max_r};
	struct jt_receiver *r;

	ck_assert_int_eq(jt_receiver_new(&cfg, &r), 0);
	return r;
}

/* Pop everything queued, check each period's content, append the numbers. */
static void drain(struct jt_receiver *r, uint16_t *got, unsigned *ngot)
{
	float a[FR], c[FR], extra[FR];
	float *ch[3] = {a, c, extra};
	uint16_t seq;

	while (jt_receiver_pop(r, ch, 3, &seq) == 1) {
		for (unsigned n = 0; n < FR; n++) {
			ck_assert(a[n] == (float)seq);
			ck_assert(c[n] == -(float)seq - (float)n);
			ck_assert(extra[n] == 0.0f);
		}
		ck_assert_uint_lt(*ngot, 4 * MAX);
		got[(*ngot)++] = seq;
	}
}

struct totals {
	unsigned lost, recovered, duplicate, late, dropped;
};

/* Deliver dg[plan[i]] in order; returns the popped sequence numbers. */
static unsigned deliver(struct jt_receiver *r, const struct bed *b, const int *plan,
			uint16_t *got, struct totals *t)
{
	unsigned ngot = 0;

	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; plan[i] >= 0; i++) {
		struct jt_rx_info info;
		int n = jt_receiver_push(r, b->dg[plan[i]], b->len, &info);

		ck_assert_int_ge(n, 0);
		ck_assert_uint_eq((unsigned)n, info.taken);
		t->lost += info.lost;
		t->recovered += info.recovered;
		t->duplicate += info.duplicate;
		t->late += info.late;
		t->dropped += info.dropped;
		drain(r, got, &ngot);
	}
	return ngot;
}

#define END -1

/* Loss and reordering by table: sender R, receiver max R, datagrams
 * delivered (indices from the first built), periods expected. */
START_TEST(test_redundancy_table)
{
	static const struct {
		unsigned r, max_r, skip;
		int plan[24];
		int want[24];
		unsigned lost, recovered, late;
	} t[] = {
		/* in order: every period once, nothing recovered */
		{3, 3, 0, {0, 1, 2, 3, 4, 5, END}, {0, 1, 2, 3, 4, 5, END}, 0, 0, 0},
		/* two lost in a row: both come from the next datagram's copies */
		{3, 3, 0, {0, 1, 2, 3, 6, 7, END}, {0, 1, 2, 3, 4, 5, 6, 7, END}, 0, 2, 0},
		/* three lost: the oldest of them is gone */
		{3, 3, 0, {0, 1, 2, 3, 7, 8, END}, {0, 1, 2, 3, 5, 6, 7, 8, END}, 1, 2, 0},
		/* reordered: 4 before 3; 3 arrives late and is ignored */
		{3, 3, 0, {0, 1, 2, 4, 3, 5, END}, {0, 1, 2, 3, 4, 5, END}, 0, 1, 1},
		/* duplicated datagram */
		{3, 3, 0, {0, 1, 1, 2, END}, {0, 1, 2, END}, 0, 0, 0},
		/* a stream joined late: only the newest of the first datagram */
		{3, 3, 0, {5, 6, 7, END}, {5, 6, 7, END}, 0, 0, 0},
		/* no redundancy: a lost datagram is a lost period */
		{1, 3, 0, {0, 1, 3, 4, END}, {0, 1, 3, 4, END}, 1, 0, 0},
		/* R 2 from a receiver that allows 4 */
		{2, 4, 0, {0, 2, 4, 5, END}, {0, 1, 2, 3, 4, 5, END}, 0, 2, 0},
		/* across the 16-bit wrap: 65533 .. 2, with 65535 and 0 lost */
		{3, 3, 65533, {0, 1, 4, 5, END}, {65533, 65534, 65535, 0, 1, 2, END}, 0, 2, 0},
		/* across the wrap with loss beyond the copies */
		{2, 2, 65534, {0, 4, 5, END}, {65534, 1, 2, 3, END}, 2, 1, 0},
		/* loss at start-up: empty slots of the first datagrams carry nothing */
		{3, 3, 0, {0, 2, END}, {0, 1, 2, END}, 0, 1, 0},
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		static struct bed b;
		struct jt_receiver *r = receiver(t[i].max_r);
		uint16_t got[4 * MAX];
		struct totals tot;
		unsigned ngot, nwant = 0;

		make(&b, t[i].r, t[i].skip, 24);
		ngot = deliver(r, &b, t[i].plan, got, &tot);
		while (t[i].want[nwant] != END) {
			nwant++;
		}
		ck_assert_msg(ngot == nwant, "row %u: %u periods, want %u", i, ngot, nwant);
		for (unsigned k = 0; k < ngot; k++) {
			ck_assert_msg(got[k] == (uint16_t)t[i].want[k], "row %u period %u: seq %u", i,
				      k, got[k]);
		}
		ck_assert_msg(tot.lost == t[i].lost, "row %u: lost %u", i, tot.lost);
		ck_assert_msg(tot.recovered == t[i].recovered, "row %u: recovered %u", i,
			      tot.recovered);
		ck_assert_msg(tot.late == t[i].late, "row %u: late %u", i, tot.late);
		ck_assert_uint_eq(tot.dropped, 0);
		jt_receiver_free(r);
	}
}
END_TEST

/* Duplicates counted; periods not popped before the next push are dropped. */
START_TEST(test_duplicates_dropped)
{
	static struct bed b;
	struct jt_receiver *r = receiver(3);
	struct jt_rx_info info;

	make(&b, 3, 0, 8);
	ck_assert_int_eq(jt_receiver_push(r, b.dg[0], b.len, &info), 1);
	ck_assert_uint_eq(info.duplicate, 0);
	ck_assert_int_eq(jt_receiver_push(r, b.dg[1], b.len, &info), 1);
	ck_assert_uint_eq(info.dropped, 1);
	ck_assert_uint_eq(info.duplicate, 1); /* seq 0; the third slot is empty */
	ck_assert_int_eq(jt_receiver_push(r, b.dg[4], b.len, &info), 3);
	ck_assert_uint_eq(info.dropped, 1);
	ck_assert_uint_eq(info.recovered, 2);
	ck_assert_int_eq(jt_receiver_push(r, b.dg[4], b.len, &info), 0);
	ck_assert_uint_eq(info.dropped, 3);
	ck_assert_uint_eq(info.duplicate, 3);
	ck_assert_int_eq(jt_receiver_pop(r, NULL, 0, NULL), 0);
	ck_assert_int_eq(jt_receiver_push(r, b.dg[5], b.len, NULL), 1);
	ck_assert_int_eq(jt_receiver_pop(r, NULL, 0, NULL), 1);
	ck_assert_int_eq(jt_receiver_pop(r, NULL, 0, NULL), 0);
	jt_receiver_free(r);
}
END_TEST

/* A restarted sender (numbers from 0 again) is taken after JT_RESYNC_AFTER. */
START_TEST(test_resync)
{
	static struct bed a, b;
	struct jt_receiver *r = receiver(3);
	struct jt_rx_info info;
	uint16_t got[4 * MAX];
	unsigned ngot = 0;

	make(&a, 3, 3000, 4);
	make(&b, 3, 0, 12);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_ge(jt_receiver_push(r, a.dg[i], a.len, NULL), 1);
		drain(r, got, &ngot);
	}
	for (unsigned i = 0; i < JT_RESYNC_AFTER - 1; i++) {
		ck_assert_int_eq(jt_receiver_push(r, b.dg[i], b.len, &info), 0);
		ck_assert(info.late && !info.resync);
	}
	ck_assert_int_eq(jt_receiver_push(r, b.dg[5], b.len, &info), 1);
	ck_assert(info.resync && !info.late);
	drain(r, got, &ngot);
	ck_assert_int_eq(jt_receiver_push(r, b.dg[6], b.len, &info), 1);
	drain(r, got, &ngot);
	ck_assert_uint_eq(ngot, 6);
	ck_assert_uint_eq(got[3], 3003);
	ck_assert_uint_eq(got[4], 5);
	ck_assert_uint_eq(got[5], 6);
	/* a jump of more than JT_SEQ_WINDOW counts as outside, not as loss */
	make(&a, 1, 2000, 1);
	ck_assert_int_eq(jt_receiver_push(r, a.dg[0], a.len, &info), 0);
	ck_assert(info.late);
	ck_assert_uint_eq(info.lost, 0);
	jt_receiver_free(r);
}
END_TEST

/* What the receiver refuses, and the objects' parameters. */
START_TEST(test_receiver_refuses)
{
	static struct bed b;
	struct jt_rx_config bad[] = {
		{0, 3, 32, 2, 3}, {FR, 8, 32, 2, 3}, {FR, 3, 12, 2, 3}, {FR, 3, 32, 0, 3},
		{FR, 3, 32, 2, 0}, {FR, 3, 32, 2, 17}, {FR, 3, 32, 256, 3}, {70000, 3, 8, 1, 1},
	};
	struct jt_rx_config other[] = {
		{FR * 2, 3, 32, 2, 3}, {FR, 2, 32, 2, 3}, {FR, 3, 16, 2, 3}, {FR, 3, 32, 1, 3},
		{FR, 3, 32, 2, 2},
	};
	struct jt_receiver *r = (void *)1;
	uint8_t x[JT_EXIT_SIZE];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(jt_receiver_new(&bad[i], &r) == -EINVAL, "row %u", i);
	}
	ck_assert_ptr_eq(r, (void *)1);
	make(&b, 3, 0, 2);
	for (unsigned i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		ck_assert_int_eq(jt_receiver_new(&other[i], &r), 0);
		ck_assert_msg(jt_receiver_push(r, b.dg[1], b.len, NULL) == -EPROTO, "row %u", i);
		jt_receiver_free(r);
	}
	r = receiver(3);
	jt_exit_build(x, sizeof(x));
	ck_assert_int_eq(jt_receiver_push(r, x, sizeof(x), NULL), -EBADMSG);
	ck_assert_int_eq(jt_receiver_push(r, b.dg[1], b.len - 1, NULL), -EBADMSG);
	ck_assert_int_eq(jt_receiver_push(r, b.dg[1], b.len, NULL), 1);
	jt_receiver_free(r);
}
END_TEST

/* The sender: newest first, zero slots at first, -ENOBUFS changes nothing. */
START_TEST(test_sender)
{
	struct jt_format f = {4, JT_RATE_44100, 16, 1, 2, 3};
	struct jt_sender *s;
	uint8_t out[3 * 24], prev[3 * 24];
	float a[4] = {0.5f, 0.5f, 0.5f, 0.5f};
	const float *ch[1] = {a};
	struct jt_header h;

	ck_assert_int_eq(jt_sender_new(&f, &s), 0);
	ck_assert_uint_eq(jt_sender_datagram_size(s), 72);
	ck_assert_int_eq(jt_sender_build(s, ch, 5, out, 71), -ENOBUFS);
	ck_assert_uint_eq(jt_sender_seq(s), 0);
	ck_assert_int_eq(jt_sender_build(s, ch, 5, out, sizeof(out)), 72);
	for (unsigned i = 24; i < 72; i++) {
		ck_assert_uint_eq(out[i], 0);
	}
	ck_assert_int_eq(jt_datagram_parse(out, 72, &h), 3);
	ck_assert_uint_eq(h.timestamp_us, 5);
	ck_assert_uint_eq(h.recv_channels, 2);
	ck_assert_uint_eq(h.send_field, 1);
	ck_assert_uint_eq(h.rate, JT_RATE_44100);
	ck_assert(out[16] == 0x00 && out[17] == 0x40);
	memcpy(prev, out, sizeof(out));
	ck_assert_int_eq(jt_sender_build(s, NULL, 6, out, sizeof(out)), 72);
	ck_assert(memcmp(out + 24, prev, 24) == 0);
	ck_assert_int_eq(jt_datagram_parse(out, 72, &h), 3);
	ck_assert_uint_eq(h.seq, 1);
	for (unsigned i = 16; i < 24; i++) {
		ck_assert_uint_eq(out[i], 0); /* NULL buffers: silence */
	}
	ck_assert_int_eq(jt_sender_build(s, ch, 7, NULL, 72), -EINVAL);
	jt_sender_free(s);
}
END_TEST

/* JackTrip 1.7.0's own -r 3 datagrams through our receiver. */
START_TEST(test_receiver_golden)
{
	struct vec_file *vf = vec_load("jacktrip-p2p-r3.hex");
	struct jt_rx_config cfg = {128, JT_RATE_48000, 16, 2, 3};
	struct jt_receiver *r;
	struct jt_rx_info info;
	float a[128], c[128];
	float *ch[2] = {a, c};
	uint16_t seq;
	unsigned fed = 0;

	ck_assert_int_eq(jt_receiver_new(&cfg, &r), 0);
	for (size_t i = 0; i < vf->n; i++) {
		const struct vec_packet *p = &vf->pkt[i];

		if (strcmp(p->dir, "C>S") != 0 || strcmp(p->kind, "audio/sig") != 0) {
			continue;
		}
		ck_assert_int_eq(jt_receiver_push(r, p->data, p->len, &info), 1);
		ck_assert_int_eq(jt_receiver_pop(r, ch, 2, &seq), 1);
		ck_assert_uint_eq(seq, (unsigned)p->cycle);
		ck_assert(a[4] == 0.5f && a[5] == -0.25f && c[0] == 32767.0f / 32768);
		ck_assert_uint_eq(info.duplicate, fed ? 2 : 0);
		fed++;
	}
	ck_assert_uint_eq(fed, 2);
	jt_receiver_free(r);
	vec_free(vf);
}
END_TEST

static Suite *stream_suite(void)
{
	Suite *s = suite_create("jacktrip-stream");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_redundancy_table);
	tcase_add_test(tc, test_duplicates_dropped);
	tcase_add_test(tc, test_resync);
	tcase_add_test(tc, test_receiver_refuses);
	tcase_add_test(tc, test_sender);
	tcase_add_test(tc, test_receiver_golden);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(stream_suite)
