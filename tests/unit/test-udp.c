/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-udp.c - the UDP transport on loopback only: 127.0.0.1, ::1 and groups on lo. */
#include <arpa/inet.h>
#include <check.h>
#include <net/if.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libnetproto/audio.h>
#include <libnetproto/udp.h>

#include "check-main.h"

START_TEST(test_parse_format)
{
	static const struct {
		const char *in;
		const char *out;
	} good[] = {
		{"127.0.0.1", "127.0.0.1:19000"},
		{"225.3.19.154:19001", "225.3.19.154:19001"},
		{"::1", "[::1]:19000"},
		{"[::1]:5000", "[::1]:5000"},
		{"fe80::1%lo", "[fe80::1]:19000"},
		{"[ff15::7a:6e6a]", "[ff15::7a:6e6a]:19000"},
	};
	static const char *const bad[] = {
		"", "host.example", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:x",
		"[::1", "[::1]x", "[::1]:", "::1:99999", "1.2.3", "fe80::1%nosuchif0",
		"300.1.1.1",
	};
	struct nj_sockaddr a;
	char buf[64];

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(nj_sockaddr_parse(good[i].in, 19000, &a) == 0, "%s", good[i].in);
		ck_assert_str_eq(nj_sockaddr_format(&a, buf, sizeof(buf)), good[i].out);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(nj_sockaddr_parse(bad[i], 19000, &a) == -EINVAL, "accepted '%s'",
			      bad[i]);
	}
	nj_sockaddr_parse("225.3.19.154", 1, &a);
	ck_assert(nj_sockaddr_is_multicast(&a));
	nj_sockaddr_parse("198.18.0.1", 1, &a);
	ck_assert(!nj_sockaddr_is_multicast(&a));
	nj_sockaddr_parse("ff15::7a:6e6a", 1, &a);
	ck_assert(nj_sockaddr_is_multicast(&a));
}
END_TEST

START_TEST(test_addr_roundtrip)
{
	static const char *const in[] = {"198.18.0.2:19000", "[fd00:198:18::2]:42000"};

	for (unsigned i = 0; i < 2; i++) {
		struct nj_sockaddr a, b;
		struct nj_addr x, y;
		char s1[64], s2[64];

		ck_assert_int_eq(nj_sockaddr_parse(in[i], 1, &a), 0);
		nj_sockaddr_to_addr(&a, &x);
		ck_assert_int_eq(nj_sockaddr_from_addr(&x, &b), 0);
		ck_assert_str_eq(nj_sockaddr_format(&a, s1, 64), nj_sockaddr_format(&b, s2, 64));
		nj_sockaddr_to_addr(&b, &y);
		ck_assert(nj_addr_equal(&x, &y));
	}
}
END_TEST

START_TEST(test_same_host)
{
	static const struct {
		const char *a, *b;
		bool same;
	} t[] = {
		{"198.18.0.3:4464", "198.18.0.3:60012", true},
		{"198.18.0.3:4464", "198.18.0.4:4464", false},
		{"[fd00::3]:1", "[fd00::3]:2", true},
		{"[fd00::3]:1", "[fd00::4]:1", false},
		{"198.18.0.3:1", "[::ffff:198.18.0.3]:1", false}, /* families differ */
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct nj_sockaddr a, b;

		ck_assert_int_eq(nj_sockaddr_parse(t[i].a, 1, &a), 0);
		ck_assert_int_eq(nj_sockaddr_parse(t[i].b, 1, &b), 0);
		ck_assert_msg(nj_sockaddr_same_host(&a, &b) == t[i].same, "%s vs %s", t[i].a, t[i].b);
		ck_assert(nj_sockaddr_same_host(&b, &a) == t[i].same);
	}
}
END_TEST

/* A bound receiver and a connected sender on @host; returns both fds. */
static void pair_stamped(int family, const char *host, int *rx, int *tx,
			 struct nj_sockaddr *rx_addr, bool stamps)
{
	struct nj_udp_opts o;
	struct nj_sockaddr any;

	nj_udp_opts_init(&o, family);
	ck_assert_int_eq(nj_sockaddr_parse(host, 0, &any), 0);
	o.bind = &any;
	o.timestamps = stamps;
	*rx = nj_udp_open(&o);
	ck_assert_int_ge(*rx, 0);
	ck_assert_int_eq(nj_udp_local(*rx, rx_addr), 0);
	nj_udp_opts_init(&o, family);
	o.connect = rx_addr;
	*tx = nj_udp_open(&o);
	ck_assert_int_ge(*tx, 0);
}

static void pair(int family, const char *host, int *rx, int *tx, struct nj_sockaddr *rx_addr)
{
	pair_stamped(family, host, rx, tx, rx_addr, false);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void batch_roundtrip(int family, const char *host, bool datagrams)
{
	static uint8_t out[100][1600], in[100][1600];
	struct nj_udp_msg sm[100], rm[NJ_UDP_BATCH];
	struct nj_datagram dg[100];
	struct nj_sockaddr ra, ta;
	unsigned got = 0;
	int rx, tx;
	uint64_t sent_ns;

	/* the datagram-list variant also has the kernel stamp arrivals */
	pair_stamped(family, host, &rx, &tx, &ra, datagrams);
	nj_udp_local(tx, &ta);
	for (unsigned i = 0; i < 100; i++) {
		sm[i].buf = out[i];
		sm[i].len = 48 + i * 13;
		for (unsigned k = 0; k < sm[i].len; k++) {
			out[i][k] = (uint8_t)(i ^ (k * 7));
		}
	}
	for (unsigned i = 0; i < 100; i++) {
		dg[i] = (struct nj_datagram){.data = out[i], .len = sm[i].len};
	}
	sent_ns = realtime_ns();
	if (datagrams) {
		ck_assert_int_eq(nj_udp_send_datagrams(tx, dg, 100, NULL), 100);
	} else {
		ck_assert_int_eq(nj_udp_sendv(tx, sm, 100, NULL), 100);
	}
	while (got < 100) {
		int n;

		ck_assert_int_eq(nj_udp_wait(rx, 1000000), 1);
		for (unsigned i = 0; i < NJ_UDP_BATCH; i++) {
			rm[i].buf = in[(got + i) % 100];
			rm[i].cap = sizeof(in[0]);
		}
		n = nj_udp_recvv(rx, rm, NJ_UDP_BATCH);
		ck_assert_int_gt(n, 0);
		for (int i = 0; i < n; i++) {
			char a[64], b[64];

			ck_assert_uint_eq(rm[i].len, sm[got + i].len);
			ck_assert(memcmp(rm[i].buf, out[got + i], rm[i].len) == 0);
			ck_assert(!rm[i].truncated);
			if (datagrams) {
				/* stamped on arrival: after the send, before now */
				ck_assert_uint_ge(rm[i].rx_ns, sent_ns);
				ck_assert_uint_le(rm[i].rx_ns, realtime_ns());
			} else {
				ck_assert_uint_eq(rm[i].rx_ns, 0);
			}
			ck_assert_str_eq(nj_sockaddr_format(&rm[i].from, a, 64),
					 nj_sockaddr_format(&ta, b, 64));
		}
		got += (unsigned)n;
	}
	ck_assert_int_eq(nj_udp_recvv(rx, rm, 4), 0); /* nothing left, no block */
	ck_assert_int_eq(nj_udp_wait(rx, 0), 0);
	close(rx);
	close(tx);
}

/*
 * UDP GSO sends (nj_udp_send_gso): runs of equal lengths, a shorter one
 * ending a run, runs longer than the kernel's segment and byte limits; the
 * receiver gets the very datagrams, in order. @refuse: the socket sends
 * without checksums (SO_NO_CHECK), which the kernel's GSO refuses (EINVAL):
 * the sender learns it and sends the same datagrams one by one.
 */
static void gso_roundtrip(int family, const char *host, size_t seg_max, bool refuse)
{
	enum { N = 200 };
	static uint8_t out[N][1500], in[NJ_UDP_BATCH][1600];
	static const struct { unsigned n, len; } runs[] = {
		{40, 1400}, {1, 700}, {30, 1400}, {10, 900}, {1, 48}, {100, 1200},
		{3, 1400}, {1, 1401}, {14, 333},
	};
	struct nj_datagram dg[N];
	struct nj_udp_msg rm[NJ_UDP_BATCH];
	struct nj_udp_gso g = {.seg_max = seg_max};
	struct nj_sockaddr ra;
	unsigned n = 0, got = 0;
	int rx, tx;

	pair(family, host, &rx, &tx, &ra);
	ck_assert_int_eq(nj_udp_set_buffers(rx, 0, 4 << 20), 0);
	if (refuse) {
		int one = 1;

		ck_assert_int_eq(setsockopt(tx, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)), 0);
	}
	for (unsigned r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		for (unsigned i = 0; i < runs[r].n; i++, n++) {
			for (unsigned k = 0; k < runs[r].len; k++) {
				out[n][k] = (uint8_t)(n * 31 + k);
			}
			dg[n] = (struct nj_datagram){.data = out[n], .len = runs[r].len};
		}
	}
	ck_assert_uint_eq(n, N);
	ck_assert_int_eq(nj_udp_send_gso(tx, dg, N, NULL, &g), N);
	if (refuse) {
		ck_assert_uint_eq(g.last_sends, 0);
		ck_assert_uint_lt(g.seg_max, 1401); /* the refused lengths are not tried again */
	} else if (seg_max == 0) {
		ck_assert_uint_eq(g.last_sends, 0);
	} else {
		/* 40, 30, 10, 100 (two sends: 54 x 1200 > 65000), 3 and 14: at least 7 */
		ck_assert_uint_ge(g.last_sends, 7);
		ck_assert_uint_eq(g.seg_max, seg_max);
	}
	while (got < N) {
		int k;

		ck_assert_int_eq(nj_udp_wait(rx, 1000000), 1);
		for (unsigned i = 0; i < NJ_UDP_BATCH; i++) {
			rm[i].buf = in[i];
			rm[i].cap = sizeof(in[0]);
		}
		k = nj_udp_recvv(rx, rm, NJ_UDP_BATCH);
		ck_assert_int_gt(k, 0);
		for (int i = 0; i < k; i++, got++) {
			ck_assert_uint_eq(rm[i].len, dg[got].len);
			ck_assert(memcmp(rm[i].buf, out[got], rm[i].len) == 0);
		}
	}
	ck_assert_int_eq(nj_udp_recvv(rx, rm, 4), 0);
	close(rx);
	close(tx);
}

START_TEST(test_gso)
{
	gso_roundtrip(AF_INET, "127.0.0.1", NJ_UDP_GSO_AUTO, false);
	gso_roundtrip(AF_INET6, "::1", NJ_UDP_GSO_AUTO, false);
	gso_roundtrip(AF_INET, "127.0.0.1", 0, false);
	gso_roundtrip(AF_INET, "127.0.0.1", NJ_UDP_GSO_AUTO, true);
}
END_TEST

/*
 * UDP GRO: a socket that asked for it (nj_udp_gro) gets a GSO burst as one
 * buffer with its segment length; nj_udp_next_seg cuts out the very
 * datagrams sent (the last shorter one included).
 */
START_TEST(test_gro)
{
	static uint8_t out[41][1000], in[4][NJ_UDP_GRO_BUF];
	struct nj_datagram dg[41];
	struct nj_udp_msg rm[4];
	struct nj_udp_gso g = {.seg_max = NJ_UDP_GSO_AUTO};
	struct nj_sockaddr ra;
	unsigned got = 0, bufs = 0;
	int rx, tx;

	pair(AF_INET, "127.0.0.1", &rx, &tx, &ra);
	ck_assert_int_eq(nj_udp_gro(rx), 0);
	for (unsigned i = 0; i < 41; i++) {
		for (unsigned k = 0; k < sizeof(out[0]); k++) {
			out[i][k] = (uint8_t)(i * 7 + k);
		}
		dg[i] = (struct nj_datagram){.data = out[i], .len = i < 40 ? 1000 : 500};
	}
	ck_assert_int_eq(nj_udp_send_gso(tx, dg, 41, NULL, &g), 41);
	ck_assert_uint_eq(g.last_sends, 1);
	while (got < 41) {
		int n;

		ck_assert_int_eq(nj_udp_wait(rx, 1000000), 1);
		for (unsigned i = 0; i < 4; i++) {
			rm[i].buf = in[i];
			rm[i].cap = sizeof(in[i]);
		}
		n = nj_udp_recvv(rx, rm, 4);
		ck_assert_int_gt(n, 0);
		for (int i = 0; i < n; i++, bufs++) {
			size_t off = 0, len;

			ck_assert(!rm[i].truncated);
			while ((len = nj_udp_next_seg(&rm[i], off)) > 0) {
				ck_assert_uint_lt(got, 41);
				ck_assert_uint_eq(len, dg[got].len);
				ck_assert(memcmp(rm[i].buf + off, out[got], len) == 0);
				off += len;
				got++;
			}
		}
	}
	/* on loopback the burst stays whole: one buffer, its length given */
	ck_assert_uint_eq(bufs, 1);
	ck_assert_uint_eq(rm[0].seg, 1000);
	ck_assert_int_eq(nj_udp_recvv(rx, rm, 4), 0);
	close(rx);
	close(tx);
}
END_TEST

START_TEST(test_batch_v4)
{
	batch_roundtrip(AF_INET, "127.0.0.1", false);
}
END_TEST

START_TEST(test_batch_datagrams)
{
	batch_roundtrip(AF_INET, "127.0.0.1", true);
}
END_TEST

START_TEST(test_batch_v6)
{
	batch_roundtrip(AF_INET6, "::1", false);
}
END_TEST

START_TEST(test_truncation_and_refused)
{
	uint8_t big[3000] = {1}, small[100];
	struct nj_udp_msg m = {.buf = small, .cap = sizeof(small)};
	struct nj_sockaddr ra;
	int rx, tx, r;

	pair(AF_INET, "127.0.0.1", &rx, &tx, &ra);
	ck_assert_int_eq(nj_udp_send(tx, big, sizeof(big), NULL), (int)sizeof(big));
	ck_assert_int_eq(nj_udp_wait(rx, 1000000), 1);
	ck_assert_int_eq(nj_udp_recvv(rx, &m, 1), 1);
	ck_assert(m.truncated);
	ck_assert_uint_eq(m.len, sizeof(small));
	/* The peer's socket closes: the next sends report ECONNREFUSED (ICMP). */
	close(rx);
	nj_udp_send(tx, big, 10, NULL);
	usleep(20000);
	r = nj_udp_send(tx, big, 10, NULL);
	if (r >= 0) {
		r = nj_udp_recvv(tx, &m, 1);
	}
	ck_assert_int_eq(r, -ECONNREFUSED);
	close(tx);
}
END_TEST

START_TEST(test_socket_options)
{
	struct nj_udp_opts o;
	int fd, v = 0;
	socklen_t l = sizeof(v);

	nj_udp_opts_init(&o, AF_INET);
	o.sndbuf = 135000;
	o.rcvbuf = 135000;
	fd = nj_udp_open(&o);
	ck_assert_int_ge(fd, 0);
	getsockopt(fd, IPPROTO_IP, IP_TOS, &v, &l);
	ck_assert_int_eq(v, 0xB8); /* jack2's TOS: DSCP 46 (EF) */
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &l);
	ck_assert_int_ge(v, 135000); /* Linux doubles it, capped by wmem_max */
	getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &l);
	ck_assert_int_eq(v, 1);
	getsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &v, &l);
	ck_assert_int_eq(v, 0);
	close(fd);
	nj_udp_opts_init(&o, AF_INET6);
	fd = nj_udp_open(&o);
	ck_assert_int_ge(fd, 0);
	getsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &v, &l);
	ck_assert_int_eq(v, 0xB8);
	close(fd);
	o.ifname = "nosuchif0";
	ck_assert_int_eq(nj_udp_open(&o), -ENODEV);
	o.family = 99;
	ck_assert_int_eq(nj_udp_open(&o), -EINVAL);
}
END_TEST

/* Join the discovery group on lo and hear a datagram sent to it there. */
static void multicast_on_lo(int family, const char *group)
{
	struct nj_udp_opts o;
	struct nj_sockaddr g, any, local;
	uint8_t buf[644] = "params", in[1000];
	struct nj_udp_msg m = {.buf = in, .cap = sizeof(in)};
	int rx, tx, r;

	ck_assert_int_eq(nj_sockaddr_parse(family == AF_INET ? "0.0.0.0" : "::", 0, &any), 0);
	nj_udp_opts_init(&o, family);
	o.bind = &any;
	rx = nj_udp_open(&o);
	ck_assert_int_ge(rx, 0);
	nj_udp_local(rx, &local);
	ck_assert_int_eq(nj_sockaddr_parse(group, 0, &g), 0);
	if (family == AF_INET) {
		g.u.in.sin_port = local.u.in.sin_port;
	} else {
		g.u.in6.sin6_port = local.u.in6.sin6_port;
	}
	close(rx);
	nj_udp_opts_init(&o, family);
	o.bind = &g; /* bound to the group address and its port, as a listener */
	if (family == AF_INET6) {
		o.bind = NULL;
	}
	o.join = &g;
	o.ifname = "lo";
	rx = nj_udp_open(&o);
	if (rx == -EADDRNOTAVAIL && family == AF_INET6) {
		/* no IPv6 multicast route on lo here */
		return;
	}
	ck_assert_msg(rx >= 0, "join %s on lo: %s", group, strerror(-rx));
	if (family == AF_INET6) {
		struct nj_sockaddr b6;

		close(rx);
		nj_sockaddr_parse("::", 0, &b6);
		b6.u.in6.sin6_port = g.u.in6.sin6_port;
		o.bind = &b6;
		rx = nj_udp_open(&o);
		ck_assert_int_ge(rx, 0);
	}
	nj_udp_opts_init(&o, family);
	o.ifname = "lo";
	o.mcast_loop = true;
	tx = nj_udp_open(&o);
	ck_assert_int_ge(tx, 0);
	r = nj_udp_send(tx, buf, sizeof(buf), &g);
	if (r == -ENETUNREACH && family == AF_INET6) {
		/* lo has no IPv6 multicast route on this kernel: the namespace
		 * integration tests cover IPv6 multicast on a real link. */
		printf("multicast_on_lo: no IPv6 multicast route on lo, send not tested\n");
		close(rx);
		close(tx);
		return;
	}
	ck_assert_int_eq(r, (int)sizeof(buf));
	ck_assert_int_eq(nj_udp_wait(rx, 1000000), 1);
	ck_assert_int_eq(nj_udp_recvv(rx, &m, 1), 1);
	ck_assert_uint_eq(m.len, sizeof(buf));
	ck_assert(memcmp(in, buf, sizeof(buf)) == 0);
	/* joined again after a network change: a member already (renewed),
	 * and still receiving; a missing interface is named as such */
	ck_assert_int_eq(nj_udp_join(rx, &g, "lo", true), 1);
	ck_assert_int_eq(nj_udp_join(rx, &g, "lo", false), -EADDRINUSE);
	ck_assert_int_eq(nj_udp_join(rx, &g, "nj-no-such-if", true), -ENODEV);
	ck_assert_int_eq(nj_udp_send(tx, buf, sizeof(buf), &g), (int)sizeof(buf));
	ck_assert_int_eq(nj_udp_wait(rx, 1000000), 1);
	ck_assert_int_eq(nj_udp_recvv(rx, &m, 1), 1);
	ck_assert_int_eq(nj_udp_multicast_if(tx, family, "lo"), (int)if_nametoindex("lo"));
	ck_assert_int_eq(nj_udp_multicast_if(tx, family, NULL), 0);
	close(rx);
	close(tx);
}

START_TEST(test_multicast_v4)
{
	multicast_on_lo(AF_INET, "225.3.19.154");
}
END_TEST

START_TEST(test_multicast_v6)
{
	multicast_on_lo(AF_INET6, "ff15::7a:6e6a");
}
END_TEST

START_TEST(test_buffer_size_rule)
{
	struct nj2_params p;

	nj2_params_init(&p);
	p.period = 256;
	p.send_audio = p.return_audio = 2;
	p.send_midi = p.return_midi = 1;
	/* NETJACK2-WIRE.md section 1: 30 x (1500 + 3000 + 0) */
	ck_assert_int_eq(nj2_socket_buffer_size(&p), 135000);
	p.send_midi = 8; /* 8 x 256 x 4 / 1452 = 5 MIDI packets */
	ck_assert_int_eq(nj2_socket_buffer_size(&p), 30 * (1500 + 3000 + 5 * 1500));
}
END_TEST

static Suite *udp_suite(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = tcase_create("loopback");

	tcase_add_test(tc, test_parse_format);
	tcase_add_test(tc, test_addr_roundtrip);
	tcase_add_test(tc, test_same_host);
	tcase_add_test(tc, test_batch_v4);
	tcase_add_test(tc, test_batch_datagrams);
	tcase_add_test(tc, test_batch_v6);
	tcase_add_test(tc, test_gso);
	tcase_add_test(tc, test_gro);
	tcase_add_test(tc, test_truncation_and_refused);
	tcase_add_test(tc, test_socket_options);
	tcase_add_test(tc, test_multicast_v4);
	tcase_add_test(tc, test_multicast_v6);
	tcase_add_test(tc, test_buffer_size_rule);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(udp_suite)
