/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-nj2-exchange.c - netJACK2 behind the seam: a master's exchange and a
 * slave's, back to back through pack/classify/push/pick/take, carry audio and
 * MIDI bit for bit at latency N; classify tells a late START_MASTER (a
 * control message, never malformed), another session's packet, the other
 * direction's and garbage apart.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <libnetproto/nj2-exchange.h>

#include "check-main.h"

#define P 256
#define N 2

static struct nj2_params session(void)
{
	struct nj2_params p;

	nj2_params_init(&p);
	snprintf(p.name, sizeof(p.name), "s");
	p.id = 7;
	p.mtu = 1500;
	p.send_audio = p.return_audio = 2;
	p.send_midi = p.return_midi = 1;
	p.sample_rate = 48000;
	p.period = P;
	p.latency = N;
	p.encoder = NJ2_ENCODER_FLOAT;
	p.packet_id = NJ2_START_MASTER;
	return p;
}

static void fill(float a[2][P], uint32_t c)
{
	for (unsigned k = 0; k < 2; k++) {
		for (unsigned i = 0; i < P; i++) {
			a[k][i] = (float)c * 0.001f + (float)(k * P + i) * 1e-6f;
		}
	}
}

/* Deliver every datagram of @list to @to (classified as data first). */
static unsigned deliver(struct nj_exchange *to, const struct nj_datagram *list, unsigned n,
			uint32_t arrival)
{
	uint8_t buf[2048];
	unsigned pushed = 0;

	for (unsigned i = 0; i < n; i++) {
		uint32_t c;

		memcpy(buf, list[i].data, list[i].len);
		ck_assert_int_eq(nj_exchange_classify(to, buf, list[i].len), NJ_XDATA);
		ck_assert_int_ge(nj_exchange_push(to, buf, list[i].len, arrival, &c), 0);
		pushed++;
	}
	return pushed;
}

START_TEST(back_to_back)
{
	struct nj2_params p = session();
	struct nj_exchange *m, *s;
	float snd[2][P], ret[2][P];
	uint8_t note[3] = {0x90, 60, 1};
	unsigned exact = 0;

	ck_assert_int_eq(nj2_exchange_open(&p, NJ2_ROLE_MASTER, &m), 0);
	ck_assert_int_eq(nj2_exchange_open(&p, NJ2_ROLE_SLAVE, &s), 0);
	ck_assert_str_eq(m->info.protocol, "netjack2");
	ck_assert_uint_eq(m->info.audio_out, 2);
	ck_assert_uint_eq(m->info.latency, N);
	ck_assert_uint_ge(m->info.max_datagrams, 3);
	for (uint32_t t = 1; t <= 40; t++) {
		const float *sp[2] = {snd[0], snd[1]};
		struct nj_midi_event ev = {.time = t % P, .size = 3, .data = note};
		const struct nj_midi_event *evp[1] = {&ev};
		uint32_t one = 1, rc;
		struct nj_period_out o = {.cycle = t, .audio = sp, .midi = evp, .midi_count = &one};
		struct nj_period_in in;
		const struct nj_datagram *list;
		unsigned n;

		/* master cycle t */
		fill(snd, t);
		note[1] = (uint8_t)(t & 0x7f);
		ck_assert_int_eq(nj_exchange_pack(m, &o, &list, &n), 0);
		deliver(s, list, n, 0);
		/* the slave takes t and answers it with what it got, at once */
		ck_assert(nj_exchange_complete(s, t));
		ck_assert_int_eq(nj_exchange_take(s, t, &in), 0);
		ck_assert(in.complete);
		ck_assert_int_eq(memcmp(in.audio[0], snd[0], sizeof(snd[0])), 0);
		ck_assert_uint_eq(in.midi_count[0], 1);
		ck_assert_uint_eq(in.midi[0][0].data[1], t & 0x7f);
		{
			const float *back[2] = {in.audio[0], in.audio[1]};
			struct nj_period_out a = {.cycle = t, .audio = back, .midi = in.midi,
						  .midi_count = in.midi_count};

			ck_assert_int_eq(nj_exchange_pack(s, &a, &list, &n), 0);
			deliver(m, list, n, t);
		}
		/* the master renders t - N once latched */
		if (nj_exchange_pick(m, t, &rc)) {
			ck_assert_int_eq(nj_exchange_take(m, rc, &in), 0);
			if (t > N) {
				ck_assert_uint_eq(rc, t - N);
				fill(ret, t - N);
				exact += in.complete &&
					 memcmp(in.audio[1], ret[1], sizeof(ret[1])) == 0;
			}
		}
	}
	ck_assert_uint_eq(exact, 40 - N);
	nj_exchange_free(m);
	nj_exchange_free(s);
}
END_TEST

START_TEST(classify)
{
	struct nj2_params p = session();
	struct nj_exchange *m;
	struct nj2_header h = {.data_type = NJ2_DATA_SYNC, .stream = NJ2_STREAM_RETURN, .id = 7,
			       .packet_size = NJ2_HEADER_SIZE, .cycle = 3, .frames = -1};
	uint8_t buf[NJ2_PARAMS_SIZE];
	struct nj_exchange_stats st;

	ck_assert_int_eq(nj2_exchange_open(&p, NJ2_ROLE_MASTER, &m), 0);
	/* a late START_MASTER repeat: the main loop's, not malformed */
	ck_assert_int_eq(nj2_params_encode(&p, buf, sizeof(buf)), NJ2_PARAMS_SIZE);
	ck_assert_int_eq(nj_exchange_classify(m, buf, sizeof(buf)), NJ_XCONTROL);
	/* this session's return sync */
	ck_assert_int_eq(nj2_header_encode(&h, buf, sizeof(buf)), NJ2_HEADER_SIZE);
	ck_assert_int_eq(nj_exchange_classify(m, buf, NJ2_HEADER_SIZE), NJ_XDATA);
	/* another session's, the other direction's */
	h.id = 8;
	nj2_header_encode(&h, buf, sizeof(buf));
	ck_assert_int_eq(nj_exchange_classify(m, buf, NJ2_HEADER_SIZE), NJ_XFOREIGN);
	h.id = 7;
	h.stream = NJ2_STREAM_SEND;
	nj2_header_encode(&h, buf, sizeof(buf));
	ck_assert_int_eq(nj_exchange_classify(m, buf, NJ2_HEADER_SIZE), NJ_XFOREIGN);
	/* garbage, a short header, a truncated params packet */
	memset(buf, 0x5a, sizeof(buf));
	ck_assert_int_lt(nj_exchange_classify(m, buf, 100), 0);
	ck_assert_int_lt(nj_exchange_classify(m, buf, 20), 0);
	memcpy(buf, "params\0\0", 8);
	ck_assert_int_lt(nj_exchange_classify(m, buf, 300), 0);
	/* classify is stateless: nothing was counted */
	nj_exchange_stats(m, &st);
	ck_assert_uint_eq(st.rx.malformed, 0);
	ck_assert_uint_eq(st.rx.packets, 0);
	nj_exchange_free(m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nj2-exchange");
	TCase *tc = tcase_create("seam");

	tcase_add_test(tc, back_to_back);
	tcase_add_test(tc, classify);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
