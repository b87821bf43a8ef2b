/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-filter.c - the exchanges' socket filters (netJACK2, and netJACK1's
 * master), run by the kernel on a loopback socket, keep exactly what
 * classify calls data or control (and what fits the receive slot): a real
 * slave's packets, a params repeat, and thousands of mutations of them
 * (header bytes at random, header fields set to boundary values, lengths cut
 * and grown) are sent one by one and each is checked against classify; the
 * socket's drop counter agrees.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnetproto/nj1-exchange.h>
#include <libnetproto/nj2-exchange.h>
#include <libnetproto/udp.h>

#include "check-main.h"

#define P 256
#define MARK_CYCLE 0xfff00000u


static struct nj2_params session(void)
{
	struct nj2_params p;

	nj2_params_init(&p);
	snprintf(p.name, sizeof(p.name), "s");
	p.id = 7;
	p.mtu = 1500;
	p.send_audio = p.return_audio = 3;
	p.send_midi = p.return_midi = 1;
	p.sample_rate = 48000;
	p.period = P;
	p.latency = 2;
	p.encoder = NJ2_ENCODER_FLOAT;
	p.packet_id = NJ2_START_MASTER;
	return p;
}

/* A receiving socket (the master's session socket) and a sender connected to it. */
static void sockets(int *rx, int *tx)
{
	struct nj_sockaddr lo, a, b;
	struct nj_udp_opts o;

	ck_assert_int_eq(nj_sockaddr_parse("127.0.0.1", 0, &lo), 0);
	nj_udp_opts_init(&o, AF_INET);
	o.bind = &lo;
	*rx = nj_udp_open(&o);
	*tx = nj_udp_open(&o);
	ck_assert_int_ge(*rx, 0);
	ck_assert_int_ge(*tx, 0);
	ck_assert_int_eq(nj_udp_local(*rx, &a), 0);
	ck_assert_int_eq(nj_udp_local(*tx, &b), 0);
	ck_assert_int_eq(nj_udp_connect(*rx, &b), 0);
	ck_assert_int_eq(nj_udp_connect(*tx, &a), 0);
	ck_assert_int_eq(nj_udp_set_buffers(*rx, 1 << 20, 1 << 20), 0);
}

/* What the filter must keep. */
static bool wanted(const struct nj_exchange *x, const uint8_t *b, size_t len)
{
	int k = nj_exchange_classify(x, b, len);

	return (k == NJ_XDATA || k == NJ_XCONTROL) && len <= x->info.max_datagram;
}

/* A datagram the filter keeps, numbered k at @off (a 32-bit field no rule reads). */
struct marker {
	uint8_t b[2048];
	size_t len, off;
};

/* Send @len bytes of @b, then marker @k; true if @b came through before it. */
static bool passes(int rx, int tx, const uint8_t *b, size_t len, struct marker *m, uint32_t k)
{
	uint8_t got[2048];
	bool seen = false;

	nj_put_be32(m->b + m->off, MARK_CYCLE + k);
	ck_assert_int_eq(send(tx, b, len, 0), (ssize_t)len);
	ck_assert_int_eq(send(tx, m->b, m->len, 0), (ssize_t)m->len);
	for (;;) {
		struct pollfd p = {.fd = rx, .events = POLLIN};
		ssize_t n;

		ck_assert_int_eq(poll(&p, 1, 2000), 1);
		n = recv(rx, got, sizeof(got), 0);
		ck_assert_int_ge(n, 0);
		if ((size_t)n == m->len && memcmp(got, m->b, m->len) == 0) {
			return seen;
		}
		ck_assert_msg(!seen && (size_t)n == len && memcmp(got, b, len) == 0,
			      "an unexpected datagram of %zd bytes", n);
		seen = true;
	}
}

/* Values a mutation writes into a header field: the rules' edges. */
static uint32_t edge(unsigned r)
{
	static const uint32_t v[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 47, 48, 49, 's', 'm', 'a', 'r', 'x',
				     1023, 1024, 1025, 1400, 0xffffffffu, 0x68656164u, 644};

	return v[r % (sizeof(v) / sizeof(v[0]))];
}

/* The packets a peer really sends us. */
struct corpus {
	uint8_t b[16][2048];
	size_t len[16];
	unsigned n;
};

static void add(struct corpus *c, const void *b, size_t len)
{
	ck_assert_uint_lt(c->n, 16);
	memcpy(c->b[c->n], b, len);
	c->len[c->n++] = len;
}

/*
 * @x's filter on a loopback socket against classify: every packet of @c, and
 * 4000 mutations of them (a byte of the first @hdr set at random, a 32-bit
 * field of the header set to an edge value, the length cut or grown).
 */
static void agree(const struct nj_exchange *x, const struct corpus *c, size_t hdr,
		  struct marker *mk)
{
	struct nj_bpf_insn prog[NJ_BPF_MAX];
	uint8_t b[2048];
	unsigned n, kept = 0, dropped = 0;
	uint32_t seed = 12345, k = 0;
	uint64_t drops0, drops1;
	int rx, tx;

	n = nj_exchange_filter(x, NJ_UDP_FILTER_BASE, prog, NJ_BPF_MAX);
	ck_assert_uint_gt(n, 5);
	ck_assert_uint_eq(nj_exchange_filter(x, NJ_UDP_FILTER_BASE, prog, 5), 0); /* too short */
	n = nj_exchange_filter(x, NJ_UDP_FILTER_BASE, prog, NJ_BPF_MAX);
	sockets(&rx, &tx);
	ck_assert_int_eq(nj_udp_attach_filter(rx, prog, n), 0);
	ck_assert_int_eq(nj_udp_drops(rx, &drops0), 0);
	for (unsigned i = 0; i < c->n; i++) {
		ck_assert(wanted(x, c->b[i], c->len[i]));
		ck_assert(passes(rx, tx, c->b[i], c->len[i], mk, k++));
	}
	for (unsigned i = 0; i < 4000; i++) {
		unsigned which = (seed = seed * 1103515245u + 12345u) >> 16;
		size_t len = c->len[which % c->n];
		unsigned muts = 1 + (which >> 4) % 3;
		bool want, got;

		memcpy(b, c->b[which % c->n], len);
		for (unsigned j = 0; j < muts; j++) {
			unsigned r = (seed = seed * 1103515245u + 12345u) >> 8;

			switch (r % 3) {
			case 0:
				b[(r >> 4) % hdr] = (uint8_t)(r >> 12);
				break;
			case 1:
				nj_put_be32(b + 4 * ((r >> 4) % (hdr / 4)), edge(r >> 9));
				break;
			default: { /* the length: cut or grown */
				size_t nl = (r >> 4) % 3 == 0 ? (r >> 6) % 64 : len + (r >> 6) % 1400;

				nl = nl > sizeof(b) ? sizeof(b) : nl ? nl : 1;
				if (nl > len) {
					memset(b + len, 0, nl - len);
				}
				len = nl;
			}
			}
		}
		want = wanted(x, b, len);
		got = passes(rx, tx, b, len, mk, k++);
		ck_assert_msg(want == got, "mutation %u (%zu bytes): classify %d, kernel %d", i, len,
			      want, got);
		kept += got;
		dropped += !got;
	}
	ck_assert_int_eq(nj_udp_drops(rx, &drops1), 0);
	ck_assert_uint_eq(drops1 - drops0, dropped);
	/* both sides of the rules were exercised */
	ck_assert_uint_gt(kept, 200);
	ck_assert_uint_gt(dropped, 2000);
	close(rx);
	close(tx);
}

START_TEST(nj2_master)
{
	struct nj2_params p = session();
	struct nj_exchange *m, *s;
	const struct nj_datagram *list;
	static struct corpus c;
	static struct marker mk;
	struct nj2_header h = {.data_type = NJ2_DATA_SYNC, .stream = NJ2_STREAM_RETURN, .id = 7,
			       .packet_size = NJ2_HEADER_SIZE};
	float a[3][P] = {{0}};
	const float *ap[3] = {a[0], a[1], a[2]};
	uint8_t note[3] = {0x90, 60, 100}, params[NJ2_PARAMS_SIZE];
	struct nj_midi_event ev = {.time = 5, .size = 3, .data = note};
	const struct nj_midi_event *evp[1] = {&ev};
	uint32_t one = 1;
	unsigned n;
	struct nj_period_out o = {.cycle = 9, .audio = ap, .midi = evp, .midi_count = &one};

	ck_assert_int_eq(nj2_exchange_open(&p, NJ2_ROLE_MASTER, &m), 0);
	ck_assert_int_eq(nj2_exchange_open(&p, NJ2_ROLE_SLAVE, &s), 0);
	/* the slave's real packets (sync, MIDI, audio) and a params repeat */
	c.n = 0;
	ck_assert_int_eq(nj_exchange_pack(s, &o, &list, &n), 0);
	ck_assert_uint_ge(n, 3);
	for (unsigned i = 0; i < n && i < 15; i++) {
		add(&c, list[i].data, list[i].len);
	}
	ck_assert_int_eq(nj2_params_encode(&p, params, sizeof(params)), NJ2_PARAMS_SIZE);
	add(&c, params, sizeof(params));
	/* markers: return syncs numbered in the cycle field */
	mk.len = (size_t)nj2_header_encode(&h, mk.b, sizeof(mk.b));
	mk.off = 32;
	agree(m, &c, NJ2_HEADER_SIZE, &mk);
	nj_exchange_free(m);
	nj_exchange_free(s);
}
END_TEST

START_TEST(nj1_master)
{
	struct nj1_exchange_config mc = {
		.session = {.rate = 48000, .period = P, .mtu = 1400, .latency = 3,
			    .down_audio = 2, .down_midi = 1, .up_audio = 3, .up_midi = 1},
		.role = NJ1_ROLE_MASTER, .mode = NJ1_MODE_FLOAT,
	};
	struct nj1_exchange_config sc = mc;
	struct nj_exchange *m, *s;
	const struct nj_datagram *list;
	static struct corpus c;
	static struct marker mk;
	float a[3][P] = {{0}};
	const float *ap[3] = {a[0], a[1], a[2]};
	uint32_t zero[1] = {0};
	unsigned n;
	struct nj_period_out o = {.cycle = 9, .audio = ap, .midi_count = zero};

	sc.role = NJ1_ROLE_SLAVE;
	ck_assert_int_eq(nj1_exchange_new(&mc, &m), 0);
	ck_assert_int_eq(nj1_exchange_new(&sc, &s), 0);
	{ /* a slave's classify compares settings too: no filter (its runner reads on a thread) */
		struct nj_bpf_insn prog[NJ_BPF_MAX];

		ck_assert_uint_eq(nj_exchange_filter(s, NJ_UDP_FILTER_BASE, prog, NJ_BPF_MAX), 0);
	}
	/* the slave's fragments of one period (float at MTU 1400: several) */
	c.n = 0;
	ck_assert_int_eq(nj_exchange_pack(s, &o, &list, &n), 0);
	ck_assert_uint_ge(n, 3);
	for (unsigned i = 0; i < n && i < 16; i++) {
		add(&c, list[i].data, list[i].len);
	}
	/* markers: the first fragment, numbered in framecnt */
	memcpy(mk.b, list[0].data, list[0].len);
	mk.len = list[0].len;
	mk.off = 36;
	agree(m, &c, NJ1_HEADER_SIZE, &mk);
	nj_exchange_free(m);
	nj_exchange_free(s);
}
END_TEST

/* A netJACK2 slave's side: the master's SEND stream kept, its own RETURN refused. */
START_TEST(nj2_slave)
{
	struct nj2_params p = session();
	struct nj_exchange *s;
	struct nj_bpf_insn prog[NJ_BPF_MAX];
	struct nj2_header h = {.data_type = NJ2_DATA_SYNC, .stream = NJ2_STREAM_SEND, .id = 7,
			       .packet_size = NJ2_HEADER_SIZE, .cycle = 1};
	static struct marker mk;
	uint8_t b[NJ2_HEADER_SIZE];
	unsigned n;
	int rx, tx;

	ck_assert_int_eq(nj2_exchange_open(&p, NJ2_ROLE_SLAVE, &s), 0);
	n = nj_exchange_filter(s, NJ_UDP_FILTER_BASE, prog, NJ_BPF_MAX);
	sockets(&rx, &tx);
	ck_assert_int_eq(nj_udp_attach_filter(rx, prog, n), 0);
	mk.len = (size_t)nj2_header_encode(&h, mk.b, sizeof(mk.b));
	mk.off = 32;
	nj2_header_encode(&h, b, sizeof(b));
	ck_assert(passes(rx, tx, b, sizeof(b), &mk, 0));
	h.stream = NJ2_STREAM_RETURN;
	nj2_header_encode(&h, b, sizeof(b));
	ck_assert(!passes(rx, tx, b, sizeof(b), &mk, 1));
	ck_assert_int_eq(nj_udp_attach_filter(rx, prog, 0), -EINVAL);
	close(rx);
	close(tx);
	nj_exchange_free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("kernel");

	tcase_add_test(tc, nj2_master);
	tcase_add_test(tc, nj1_master);
	tcase_add_test(tc, nj2_slave);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
