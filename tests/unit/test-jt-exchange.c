/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-jt-exchange.c - JackTrip behind the seam. A peer made with the codec's
 * own sender (what 1.7.0 sends: -r 2, 16 bits) feeds the exchange with
 * datagrams lost now and then: every period comes out at its cycle (the
 * sequence number + 1), those a later datagram still carried are recovered,
 * a period no datagram carried is absent (concealed by the take); what the
 * exchange packs back is the peer's own format and decodes to what was put
 * in. classify tells the exit packet, another format and garbage apart;
 * 1.7.0's broken 32-bit audio is muted, not played.
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include <libnetproto/jt-exchange.h>
#include <libnetproto/jt-hub.h>

#include "check-main.h"

#define N 128
#define CH 2

static void sine(float a[CH][N], unsigned period)
{
	for (unsigned k = 0; k < CH; k++) {
		for (unsigned i = 0; i < N; i++) {
			a[k][i] = (float)(0.5 * sin(0.01 * (period * N + i) + k));
		}
	}
}

static struct jt_format peer_format(unsigned bits, unsigned r)
{
	return (struct jt_format){.frames = N, .rate = JT_RATE_48000, .bits = bits,
				  .send_channels = CH, .recv_channels = CH, .redundancy = r};
}

START_TEST(lossy_stream_and_answer)
{
	struct jt_format pf = peer_format(16, 2);
	struct jt_sender *peer;
	struct jt_receiver *back;
	struct jt_rx_config bc = {.frames = N, .rate = JT_RATE_48000, .bits = 16, .channels = CH,
				  .max_redundancy = 4};
	struct nj_exchange *x = NULL;
	struct nj_exchange_stats st;
	struct jt_exchange_stats js;
	uint8_t dg[4096];
	unsigned taken = 0, exact = 0, absent = 0;

	ck_assert_int_eq(jt_sender_new(&pf, &peer), 0);
	ck_assert_int_eq(jt_receiver_new(&bc, &back), 0);
	for (unsigned p = 0; p < 50; p++) {
		float a[CH][N];
		const float *ap[CH] = {a[0], a[1]};
		int n, k;
		uint32_t c = 0;

		sine(a, p);
		n = jt_sender_build(peer, ap, p * 2667, dg, sizeof(dg));
		ck_assert_int_gt(n, 0);
		if (x == NULL) {
			struct jt_exchange_config cfg = {.redundancy = 1, .max_redundancy = 4};

			ck_assert_int_eq(jt_header_decode(dg, (size_t)n, &cfg.first), 0);
			ck_assert_int_eq(jt_exchange_new(&cfg, &x), 0);
			ck_assert_str_eq(x->info.protocol, "jacktrip");
			ck_assert_uint_eq(x->info.period, N);
			ck_assert_uint_eq(x->info.rate, 48000);
			ck_assert_uint_eq(x->info.audio_in, CH);
			ck_assert_uint_eq(x->info.audio_out, CH);
		}
		if (p == 10 || p == 20 || p == 21) {
			continue; /* lost: 10 comes with 11 (-r 2), 20 with nothing */
		}
		ck_assert_int_eq(nj_exchange_classify(x, dg, (size_t)n), NJ_XDATA);
		k = nj_exchange_push(x, dg, (size_t)n, 0, &c);
		ck_assert_int_eq(k, NJ_PUSH_OK);
		ck_assert_uint_eq(c, p + 1);
		/* take what is due, as the network runner would */
		while (taken < c) {
			struct nj_period_in in;
			float want[CH][N];
			const struct nj_datagram *list;
			unsigned nl;
			const float *back_audio[CH];
			struct nj_period_out o;

			ck_assert_int_eq(nj_exchange_take(x, taken + 1, &in), 0);
			taken++;
			sine(want, taken - 1);
			if (!in.complete) {
				absent++;
				ck_assert(in.audio[0][5] == 0.0f);
			} else {
				bool ok = true;

				for (unsigned i = 0; i < N; i++) {
					ok &= fabsf(in.audio[1][i] - want[1][i]) <= 1.5f / 32768;
				}
				exact += ok;
			}
			/* answer it */
			back_audio[0] = in.audio[0];
			back_audio[1] = in.audio[1];
			o = (struct nj_period_out){.cycle = taken, .audio = back_audio};
			ck_assert_int_eq(nj_exchange_pack(x, &o, &list, &nl), 0);
			ck_assert_uint_eq(nl, 1);
			{
				struct jt_header h;
				float got[CH][N];
				float *gp[CH] = {got[0], got[1]};
				uint16_t seq;

				ck_assert_int_eq(jt_datagram_parse(list[0].data, list[0].len, &h), 1);
				ck_assert_uint_eq(h.frames, N);
				ck_assert_uint_eq(h.bits, 16);
				ck_assert_uint_eq(jt_header_channels(&h), CH);
				ck_assert_int_ge(jt_receiver_push(back, list[0].data, list[0].len, NULL),
						 0);
				ck_assert_int_eq(jt_receiver_pop(back, gp, CH, &seq), 1);
				ck_assert(fabsf(got[0][7] - in.audio[0][7]) <= 1.5f / 32768);
			}
		}
	}
	nj_exchange_stats(x, &st);
	jt_exchange_jt_stats(x, &js);
	ck_assert_uint_eq(taken, 50);
	ck_assert_uint_eq(absent, 1); /* period 20 */
	ck_assert_uint_eq(exact, 49);
	ck_assert_uint_eq(st.rx.lost, 1);
	ck_assert_uint_ge(js.recovered, 2);
	ck_assert_uint_eq(st.rx.cycles_missing, 1);
	/* a datagram again: a duplicate */
	ck_assert_int_eq(nj_exchange_push(x, dg, 2 * (16 + N * CH * 2), 0, &(uint32_t){0}),
			 NJ_PUSH_DUPLICATE);
	nj_exchange_free(x);
	jt_sender_free(peer);
	jt_receiver_free(back);
}
END_TEST

START_TEST(classify_and_mute)
{
	struct jt_format pf = peer_format(32, 1), other = peer_format(16, 1);
	struct jt_exchange_config cfg = {.redundancy = 1, .max_redundancy = 1};
	struct jt_sender *peer, *wrong;
	struct nj_exchange *x;
	struct nj_period_in in;
	uint8_t dg[2048], ex[JT_EXIT_SIZE];
	float a[CH][N];
	const float *ap[CH] = {a[0], a[1]};
	uint32_t c = 0;
	int n;

	ck_assert_int_eq(jt_sender_new(&pf, &peer), 0);
	ck_assert_int_eq(jt_sender_new(&other, &wrong), 0);
	sine(a, 0);
	n = jt_sender_build(peer, ap, 0, dg, sizeof(dg));
	ck_assert_int_eq(jt_header_decode(dg, (size_t)n, &cfg.first), 0);
	ck_assert_int_eq(jt_exchange_new(&cfg, &x), 0);
	ck_assert_int_eq(jt_exit_build(ex, sizeof(ex)), JT_EXIT_SIZE);
	ck_assert_int_eq(nj_exchange_classify(x, ex, sizeof(ex)), NJ_XCONTROL);
	ex[5] = 0;
	ck_assert_int_lt(nj_exchange_classify(x, ex, sizeof(ex)), 0);
	ck_assert_int_lt(nj_exchange_classify(x, dg, 40), 0);
	{
		uint8_t w[2048];
		int m = jt_sender_build(wrong, ap, 0, w, sizeof(w));

		ck_assert_int_eq(nj_exchange_classify(x, w, (size_t)m), NJ_XFOREIGN);
	}
	/* our own 32-bit is real float32: it plays */
	ck_assert_int_eq(nj_exchange_push(x, dg, (size_t)n, 0, &c), NJ_PUSH_OK);
	ck_assert_int_eq(nj_exchange_take(x, c, &in), 0);
	ck_assert(in.complete);
	ck_assert(in.audio[0][9] == a[0][9]);
	/* what a 1.7.0 sender sends at 32 bits (each sample: the low 4 bytes of
	 * its double): muted and counted */
	for (unsigned i = JT_HEADER_SIZE; i + 4 <= (unsigned)n; i += 4) {
		dg[i] = dg[i + 1] = dg[i + 2] = 0;
		dg[i + 3] = (uint8_t)(0x20 * (1 + (i / 4) % 7));
	}
	dg[8] = 1; /* seq 1 */
	ck_assert_int_eq(nj_exchange_push(x, dg, (size_t)n, 0, &c), NJ_PUSH_OK);
	ck_assert_int_eq(nj_exchange_take(x, c, &in), 0);
	ck_assert(!in.complete);
	ck_assert(in.audio[1][3] == 0.0f);
	{
		struct jt_exchange_stats js;

		jt_exchange_jt_stats(x, &js);
		ck_assert_uint_eq(js.muted, 1);
	}
	nj_exchange_free(x);
	jt_sender_free(peer);
	jt_sender_free(wrong);
}
END_TEST

/* The hub handshake, server side: 1.7.0's one 68-byte segment, the same in
 * pieces, a port alone, the auth request, garbage, too much, too late. */
START_TEST(hub_handshake)
{
	struct jt_hubconn c;
	struct jt_hub_request rq;
	uint8_t b[JT_HUB_REQUEST_SIZE + 8];

	ck_assert_int_eq(jt_hub_request_encode(4464, "goldname", b, sizeof(b)), 68);
	jt_hubconn_init(&c, 1000);
	ck_assert_int_eq(jt_hubconn_feed(&c, b, 68, 1100, &rq), JT_HUB_REQUEST);
	ck_assert_uint_eq(rq.value, 4464);
	ck_assert_str_eq(rq.name, "goldname");
	/* in three pieces, with a pause after the port shorter than the wait */
	jt_hubconn_init(&c, 0);
	ck_assert_int_eq(jt_hubconn_feed(&c, b, 4, 10, &rq), JT_HUB_MORE);
	ck_assert_uint_eq(jt_hubconn_deadline(&c), 10 + JT_HUB_SHORT_WAIT_US);
	ck_assert_int_eq(jt_hubconn_timeout(&c, 100000, &rq), JT_HUB_MORE);
	ck_assert_int_eq(jt_hubconn_feed(&c, b + 4, 30, 150000, &rq), JT_HUB_MORE);
	ck_assert_int_eq(jt_hubconn_feed(&c, b + 34, 34, 160000, &rq), JT_HUB_REQUEST);
	ck_assert_str_eq(rq.name, "goldname");
	/* the port alone (an older client): a request without a name */
	jt_hubconn_init(&c, 0);
	ck_assert_int_eq(jt_hubconn_feed(&c, b, 4, 10, &rq), JT_HUB_MORE);
	ck_assert_int_eq(jt_hubconn_timeout(&c, 10 + JT_HUB_SHORT_WAIT_US, &rq), JT_HUB_REQUEST);
	ck_assert_uint_eq(rq.value, 4464);
	ck_assert(!rq.has_name);
	/* the auth request: at once */
	jt_hubconn_init(&c, 0);
	ck_assert_int_eq(jt_hub_auth_request_encode(b, sizeof(b)), 4);
	ck_assert_int_eq(jt_hubconn_feed(&c, b, 4, 10, &rq), JT_HUB_AUTH);
	/* garbage that fills the request, and too much */
	jt_hubconn_init(&c, 0);
	memset(b, 0xff, sizeof(b));
	ck_assert_int_eq(jt_hubconn_feed(&c, b, 68, 10, &rq), JT_HUB_ERROR);
	jt_hubconn_init(&c, 0);
	ck_assert_int_eq(jt_hubconn_feed(&c, b, 70, 10, &rq), JT_HUB_ERROR);
	/* a client that says nothing, or too little, within the time */
	jt_hubconn_init(&c, 0);
	ck_assert_int_eq(jt_hubconn_feed(&c, b, 2, 10, &rq), JT_HUB_MORE);
	ck_assert_uint_eq(jt_hubconn_deadline(&c), JT_HUB_TIMEOUT_US);
	ck_assert_int_eq(jt_hubconn_timeout(&c, JT_HUB_TIMEOUT_US - 1, &rq), JT_HUB_MORE);
	ck_assert_int_eq(jt_hubconn_timeout(&c, JT_HUB_TIMEOUT_US, &rq), JT_HUB_ERROR);
	/* nothing after a decision */
	ck_assert_int_eq(jt_hubconn_feed(&c, b, 1, JT_HUB_TIMEOUT_US + 1, &rq), JT_HUB_ERROR);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("jt-exchange");
	TCase *tc = tcase_create("seam");

	tcase_add_test(tc, lossy_stream_and_answer);
	tcase_add_test(tc, classify_and_mute);
	tcase_add_test(tc, hub_handshake);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
