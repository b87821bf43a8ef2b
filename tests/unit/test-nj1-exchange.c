/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-nj1-exchange.c - netone behind the seam: a master's exchange (as
 * jack_netsource) and a slave's (as jackd -d netone) back to back, float at
 * P 256 (fragmented at MTU 1400) with MIDI both ways: the slave answers each
 * period with its own data, the master renders the answer to cycle t at
 * t + L bit-exact; the goodness the master sends follows its clock; a
 * fragment lost is concealed and counted; classify tells a datagram of the
 * wrong length (malformed) and a master with other settings (foreign)
 * apart; a restarted master (framecnt back at 1) is taken afresh.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include <libnetproto/nj1-exchange.h>

#include "check-main.h"

#define P 256
#define L 3

static uint64_t fake_now;

static uint64_t now_fn(void)
{
	return fake_now;
}

static struct nj1_exchange_config config(enum nj1_role role)
{
	return (struct nj1_exchange_config){
		.session = {.rate = 48000, .period = P, .mtu = 1400, .latency = L,
			    .down_audio = 2, .down_midi = 1, .up_audio = 2, .up_midi = 1},
		.role = role, .mode = NJ1_MODE_FLOAT, .now_us = now_fn,
	};
}

static float value(unsigned who, uint32_t cycle, unsigned ch, unsigned i)
{
	return (float)((int)((who * 7919 + cycle * 131 + ch * 17 + i) % 2001) - 1000) / 1024.0f;
}

/* One period of @who's audio and one MIDI event at frame cycle % P. */
struct period {
	float a[2][P];
	const float *ap[2];
	struct nj_midi_event ev;
	uint8_t data[3];
	const struct nj_midi_event *evp[1];
	uint32_t count[1];
};

static void make(struct period *p, unsigned who, uint32_t cycle, struct nj_period_out *o)
{
	for (unsigned ch = 0; ch < 2; ch++) {
		for (unsigned i = 0; i < P; i++) {
			p->a[ch][i] = value(who, cycle, ch, i);
		}
		p->ap[ch] = p->a[ch];
	}
	p->data[0] = 0x90;
	p->data[1] = (uint8_t)(cycle & 0x7f);
	p->data[2] = (uint8_t)(who + 1);
	p->ev = (struct nj_midi_event){.time = cycle % P, .size = 3, .data = p->data};
	p->evp[0] = &p->ev;
	p->count[0] = 1;
	*o = (struct nj_period_out){.cycle = cycle, .audio = p->ap, .midi = p->evp,
				    .midi_count = p->count};
}

static void check_period(const struct nj_period_in *in, unsigned who, uint32_t cycle)
{
	ck_assert(in->complete);
	for (unsigned ch = 0; ch < 2; ch++) {
		for (unsigned i = 0; i < P; i++) {
			ck_assert_float_eq(in->audio[ch][i], value(who, cycle, ch, i));
		}
	}
	ck_assert_uint_eq(in->midi_count[0], 1);
	ck_assert_uint_eq(in->midi[0][0].time, cycle % P);
	ck_assert_uint_eq(in->midi[0][0].data[1], cycle & 0x7f);
	ck_assert_uint_eq(in->midi[0][0].data[2], who + 1);
}

/* Deliver every datagram of @list to @to (dropping the one numbered @drop). */
static void deliver(struct nj_exchange *to, const struct nj_datagram *list, unsigned n, int drop)
{
	for (unsigned k = 0; k < n; k++) {
		uint8_t b[2048];
		uint32_t c;

		if ((int)k == drop) {
			continue;
		}
		ck_assert_uint_le(list[k].len, sizeof(b));
		memcpy(b, list[k].data, list[k].len);
		ck_assert_int_eq(nj_exchange_classify(to, b, list[k].len), NJ_XDATA);
		ck_assert_int_eq(nj_exchange_push(to, b, list[k].len, 0, &c), NJ_PUSH_OK);
	}
}

START_TEST(back_to_back)
{
	struct nj1_exchange_config mc = config(NJ1_ROLE_MASTER), sc = config(NJ1_ROLE_SLAVE);
	struct nj_exchange *m, *s;
	struct nj_exchange_stats st;
	struct nj1_exchange_stats n1;
	unsigned rendered = 0;

	ck_assert_int_eq(nj1_exchange_new(&mc, &m), 0);
	ck_assert_int_eq(nj1_exchange_new(&sc, &s), 0);
	ck_assert_str_eq(m->info.protocol, "netjack1");
	ck_assert_uint_eq(m->info.latency, L);
	ck_assert_uint_eq(m->info.audio_out, 2);
	ck_assert_uint_eq(s->info.midi_in, 1);
	for (uint32_t t = 1; t <= 40; t++) {
		struct period pm, ps;
		struct nj_period_out om, os;
		const struct nj_datagram *list;
		struct nj_period_in in;
		unsigned n;
		uint32_t rc;

		fake_now = t * 5333;
		/* the master's cycle t: pack, the slave answers at once */
		make(&pm, 1, t, &om);
		ck_assert_int_eq(nj_exchange_pack(m, &om, &list, &n), 0);
		ck_assert_uint_eq(n, 3); /* 3 x 1024 bytes, 1344 per datagram at MTU 1400 */
		deliver(s, list, n, t == 20 ? 1 : -1);
		ck_assert(nj_exchange_has(s, t));
		ck_assert(nj_exchange_complete(s, t) == (t != 20));
		ck_assert_int_eq(nj_exchange_take(s, t, &in), 0);
		if (t == 20) {
			ck_assert(!in.complete); /* concealed, counted below */
		} else {
			check_period(&in, 1, t);
		}
		make(&ps, 2, t, &os);
		ck_assert_int_eq(nj_exchange_pack(s, &os, &list, &n), 0);
		fake_now += 1000;
		deliver(m, list, n, -1);
		/* the master renders the answer to t - L */
		fake_now += 2000;
		if (nj_exchange_pick(m, t, &rc)) {
			ck_assert_uint_eq(rc, t - L);
			ck_assert_int_eq(nj_exchange_take(m, rc, &in), 0);
			check_period(&in, 2, rc);
			rendered++;
		} else {
			ck_assert_uint_le(t, L);
		}
	}
	ck_assert_uint_eq(rendered, 40 - L);
	nj_exchange_stats(s, &st);
	ck_assert_uint_eq(st.rx.cycles_incomplete, 1);
	ck_assert_uint_eq(st.rx.lost, 1);
	ck_assert_uint_eq(st.rx.malformed, 0);
	/* each reply waited L periods here (+2 ms) and reported P_us/2 of slack */
	nj1_exchange_nj1_stats(m, &n1);
	ck_assert_int_eq(n1.goodness_us, (int32_t)((L - 1) * 5333 + 2000 + 5333 - 2666));
	nj_exchange_free(m);
	nj_exchange_free(s);
}
END_TEST

START_TEST(classify_and_restart)
{
	struct nj1_exchange_config mc = config(NJ1_ROLE_MASTER), sc = config(NJ1_ROLE_SLAVE);
	struct nj1_exchange_config other = config(NJ1_ROLE_MASTER);
	struct nj_exchange *m, *s, *o;
	const struct nj_datagram *list;
	struct nj_period_in in;
	struct nj1_exchange_stats n1;
	struct period p;
	struct nj_period_out out;
	uint8_t b[2048];
	unsigned n;

	other.session.period = 128;
	ck_assert_int_eq(nj1_exchange_new(&mc, &m), 0);
	ck_assert_int_eq(nj1_exchange_new(&sc, &s), 0);
	ck_assert_int_eq(nj1_exchange_new(&other, &o), 0);
	make(&p, 1, 5, &out);
	ck_assert_int_eq(nj_exchange_pack(m, &out, &list, &n), 0);
	memcpy(b, list[0].data, list[0].len);
	ck_assert_int_eq(nj_exchange_classify(s, b, list[0].len - 1), -EBADMSG);
	ck_assert_int_eq(nj_exchange_classify(s, b, 40), -EBADMSG);
	b[55] = 7; /* fragment 7 of 3 */
	ck_assert_int_eq(nj_exchange_classify(s, b, list[0].len), -EBADMSG);
	/* a master at another period: well formed, not this session's */
	ck_assert_int_eq(nj_exchange_pack(o, &out, &list, &n), 0);
	ck_assert_int_eq(nj_exchange_classify(s, list[0].data, list[0].len), NJ_XFOREIGN);
	/* the master reaches framecnt 500, then restarts at 1 */
	for (uint32_t t = 490; t <= 500; t++) {
		make(&p, 1, t, &out);
		ck_assert_int_eq(nj_exchange_pack(m, &out, &list, &n), 0);
		deliver(s, list, n, -1);
		ck_assert_int_eq(nj_exchange_take(s, t, &in), 0);
	}
	make(&p, 1, 1, &out);
	ck_assert_int_eq(nj_exchange_pack(m, &out, &list, &n), 0);
	deliver(s, list, n, -1);
	ck_assert(nj_exchange_complete(s, 1));
	ck_assert_int_eq(nj_exchange_take(s, 1, &in), 0);
	check_period(&in, 1, 1);
	nj1_exchange_nj1_stats(s, &n1);
	ck_assert_uint_eq(n1.restarts, 1);
	nj_exchange_free(m);
	nj_exchange_free(s);
	nj_exchange_free(o);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nj1-exchange");
	TCase *tc = tcase_create("seam");

	tcase_add_test(tc, back_to_back);
	tcase_add_test(tc, classify_and_restart);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
