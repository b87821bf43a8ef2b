/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-redundant.c - netjack's redundancy extension (redundant.h): a master's
 * and a slave's netJACK2 exchange negotiated with 2 copies, back to back
 * over a seeded lossy link, against the same pair without copies over the
 * same link; the copies' trailers; the extension block's byte; redundancy
 * under authentication (sealed outside, copies inside).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/auth.h>
#include <libnetproto/nj2-exchange.h>
#include <libnetproto/redundant.h>

#include "check-main.h"

#define P 128
#define CH 8

static struct nj2_params session(unsigned copies, bool auth)
{
	struct nj2_params p;

	nj2_params_init(&p);
	snprintf(p.name, sizeof(p.name), "r");
	p.id = 9;
	p.mtu = 1500;
	p.send_audio = p.return_audio = CH;
	p.sample_rate = 48000;
	p.period = P;
	p.latency = 2;
	p.packet_id = NJ2_START_MASTER;
	p.has_slave_ext = p.has_master_ext = true;
	p.slave_ext.version = p.master_ext.version = NJ2_EXT_VERSION;
	p.master_ext.flags = (copies > 1 ? NJ2_EXT_REDUNDANCY : 0) | (auth ? NJ2_EXT_AUTH : 0);
	p.slave_ext.flags = p.master_ext.flags;
	p.master_ext.redundancy = (uint8_t)copies;
	for (unsigned i = 0; i < 16; i++) {
		p.slave_ext.auth_nonce[i] = (uint8_t)(i + 1);
		p.master_ext.auth_nonce[i] = (uint8_t)(i + 50);
	}
	return p;
}

/* Periods the slave takes whole, of @periods sent over a link dropping each
 * datagram with probability @loss (seed @seed). */
static unsigned run(unsigned copies, bool auth, double loss, unsigned periods, unsigned seed,
		    uint64_t *ret_repaired)
{
	struct nj2_params p = session(copies, auth);
	struct nj_psk *k = NULL;
	struct nj_exchange *m, *s;
	struct nj_exchange_stats st;
	float snd[CH][P];
	const float *sp[CH];
	unsigned exact = 0;
	uint8_t key[NJ_PSK_SIZE] = {3};

	srand(seed);
	if (auth) {
		ck_assert_int_eq(nj_psk_new(key, &k), 0);
	}
	ck_assert_int_eq(nj2_exchange_open_keyed(&p, NJ2_ROLE_MASTER, k, &m), 0);
	ck_assert_int_eq(nj2_exchange_open_keyed(&p, NJ2_ROLE_SLAVE, k, &s), 0);
	ck_assert_uint_eq(m->info.redundancy, copies > 1 ? copies : 0);
	for (unsigned c = 0; c < CH; c++) {
		sp[c] = snd[c];
	}
	for (uint32_t t = 1; t <= periods; t++) {
		struct nj_period_out o = {.cycle = t, .audio = sp};
		const struct nj_datagram *list;
		struct nj_period_in in;
		unsigned n;

		for (unsigned c = 0; c < CH; c++) {
			for (unsigned i = 0; i < P; i++) {
				snd[c][i] = (float)t * 1e-3f + (float)(c * P + i) * 1e-6f;
			}
		}
		ck_assert_int_eq(nj_exchange_pack(m, &o, &list, &n), 0);
		ck_assert_uint_eq(n % (copies > 1 ? copies : 1), 0);
		for (unsigned i = 0; i < n; i++) {
			uint8_t buf[2048];
			uint32_t c;

			ck_assert_uint_le(list[i].len, p.mtu);
			if ((double)rand() / RAND_MAX < loss) {
				continue;
			}
			memcpy(buf, list[i].data, list[i].len);
			if (nj_exchange_classify(s, buf, list[i].len) == NJ_XDATA) {
				nj_exchange_push(s, buf, list[i].len, 0, &c);
			}
		}
		ck_assert_int_eq(nj_exchange_take(s, t, &in), 0);
		exact += in.complete && memcmp(in.audio[CH - 1], snd[CH - 1], sizeof(snd[0])) == 0;
	}
	nj_exchange_stats(s, &st);
	*ret_repaired = st.repaired;
	/* the copies never reach the inner exchange: nothing duplicate or late there */
	ck_assert_uint_eq(st.rx.duplicate, 0);
	nj_exchange_free(m);
	nj_exchange_free(s);
	nj_psk_free(k);
	return exact;
}

START_TEST(lossy_link)
{
	uint64_t rep1, rep2;
	unsigned once = run(1, false, 0.05, 2000, 7, &rep1);
	unsigned twice = run(2, false, 0.05, 2000, 7, &rep2);

	printf("5 %% loss: %u of 2000 periods whole without copies, %u with 2 (%llu repaired)\n",
	       once, twice, (unsigned long long)rep2);
	ck_assert_uint_eq(rep1, 0);
	ck_assert_uint_gt(rep2, 50);
	ck_assert_uint_lt(once, 1900);
	/* ~5 datagrams a period: 1 - 0.95^5 = 23 % of periods lose one without
	 * copies, 5 x 0.05^2 = 1.3 % with 2 */
	ck_assert_uint_ge(twice, 1950);
	/* no loss: every period whole, nothing repaired */
	ck_assert_uint_eq(run(2, false, 0, 200, 1, &rep2), 200);
	ck_assert_uint_eq(rep2, 0);
}
END_TEST

START_TEST(under_auth)
{
	uint64_t rep;

	/* 10 % loss, 3 copies: 5 x 0.1^3 = 0.5 % of periods lose a packet */
	ck_assert_uint_ge(run(3, true, 0.1, 1000, 5, &rep), 985);
	ck_assert_uint_gt(rep, 50);
}
END_TEST

START_TEST(trailers)
{
	struct nj2_params p = session(2, false);
	struct nj_exchange *m, *s;
	float a[CH][P] = {{0}};
	const float *sp[CH];
	struct nj_period_out o = {.cycle = 1, .audio = sp};
	const struct nj_datagram *list;
	uint8_t buf[2048];
	unsigned n;
	uint32_t c;

	for (unsigned i = 0; i < CH; i++) {
		sp[i] = a[i];
	}
	ck_assert_int_eq(nj2_exchange_open(&p, NJ2_ROLE_MASTER, &m), 0);
	ck_assert_int_eq(nj2_exchange_open(&p, NJ2_ROLE_SLAVE, &s), 0);
	ck_assert_int_eq(nj_exchange_pack(m, &o, &list, &n), 0);
	ck_assert_uint_ge(n, 4);
	/* every packet twice: the same bytes and number, indexes 0 and 1, the
	 * copy right after the next original (or last); originals numbered 0.. */
	for (unsigned i = 0, k = 0; i < n; i++) {
		const uint8_t *x = list[i].data;
		size_t l = list[i].len;
		unsigned pair = n;

		if (x[l - 1] != 0) {
			continue;
		}
		for (unsigned j = i + 1; j < n; j++) {
			const uint8_t *y = list[j].data;

			if (list[j].len == l && memcmp(x, y, l - 1) == 0) {
				pair = j;
			}
		}
		ck_assert_uint_lt(pair, n);
		ck_assert_uint_eq(((const uint8_t *)list[pair].data)[l - 1], 1);
		ck_assert_uint_le(pair - i, 3);
		ck_assert_uint_eq(nj_get_be32(x + l - 5), k++);
	}
	/* an index the session does not have is malformed */
	memcpy(buf, list[0].data, list[0].len);
	buf[list[0].len - 1] = 2;
	ck_assert_int_lt(nj_exchange_classify(s, buf, list[0].len), 0);
	/* the copy first (list[2]: copy 1 of packet 0), then the original: dropped */
	memcpy(buf, list[2].data, list[2].len);
	ck_assert_uint_eq(buf[list[2].len - 1], 1);
	ck_assert_int_eq(nj_exchange_push(s, buf, list[2].len, 0, &c), NJ_PUSH_OK);
	memcpy(buf, list[0].data, list[0].len);
	ck_assert_int_eq(nj_exchange_push(s, buf, list[0].len, 0, &c), NJ_PUSH_DUPLICATE);
	nj_exchange_free(m);
	nj_exchange_free(s);
	/* the extension block carries the count through encode and decode */
	{
		uint8_t pkt[NJ2_PARAMS_SIZE];
		struct nj2_params q;

		p.packet_id = NJ2_SLAVE_SETUP;
		ck_assert_int_eq(nj2_params_encode(&p, pkt, sizeof(pkt)), NJ2_PARAMS_SIZE);
		ck_assert_int_eq(nj2_params_decode(pkt, sizeof(pkt), &q), 0);
		ck_assert_uint_eq(nj2_params_redundancy(&q), 2);
		ck_assert_uint_eq(nj2_params_layout_mtu(&q), 1500 - NJ2_REDUNDANCY_TRAILER);
	}
}
END_TEST

static Suite *redundant_suite(void)
{
	Suite *su = suite_create("redundant");
	TCase *tc = tcase_create("redundant");

	tcase_add_test(tc, lossy_link);
	tcase_add_test(tc, under_auth);
	tcase_add_test(tc, trailers);
	suite_add_tcase(su, tc);
	return su;
}

NJ_CHECK_MAIN(redundant_suite)
