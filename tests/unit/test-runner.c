/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-runner.c - both runners drive a protocol they have never heard of.
 *
 * "loop" is a toy protocol made here, through the seam alone (exchange.h):
 * one datagram per period, "LOOP", cycle, direction, then the float samples.
 * The real-time runner (as a master's JACK callback would) and the network
 * runner (as a slave's network thread does, with a consumer standing in for
 * the clock bridge) run it over real UDP sockets on loopback against a peer
 * played by the test: audio arrives bit for bit at the expected cycle,
 * garbage and another direction's packets are counted and never pushed,
 * control messages reach the main loop's socket, a lost period is concealed
 * and the next one still comes. The toy has a socket filter: the real-time
 * runner runs it both ways, the callback reading the filtered socket itself
 * (garbage then never leaves the kernel: counted as dropped) and with the
 * receive thread.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libnetproto/exchange.h>
#include <libnetproto/udp.h>

#include "../../daemon/runner/net.h"
#include "../../daemon/runner/rt.h"
#include "check-main.h"

#define P 64
#define CH 2
#define SLOTS 8
#define HDR 12
#define DGRAM (HDR + P * CH * 4)

/* ------------------------------------------------------------ the toy */

struct loopx {
	struct nj_exchange x;
	uint32_t rx_dir, tx_dir;
	struct {
		bool used;
		uint32_t cycle;
		float a[CH][P];
	} slot[SLOTS];
	float out[CH][P];
	float *outp[CH];
	uint8_t tx[DGRAM];
	struct nj_datagram dg;
	struct nj_rx_stats st;
	uint64_t pushes; /* every push: garbage must never get here */
};

static void put32(uint8_t *p, uint32_t v)
{
	nj_put_be32(p, v);
}

static int l_classify(const struct nj_exchange *x, const uint8_t *b, size_t n)
{
	const struct loopx *l = (const struct loopx *)x;

	if (n == 8 && memcmp(b, "CTRL", 4) == 0) {
		return NJ_XCONTROL;
	}
	if (n != DGRAM || memcmp(b, "LOOP", 4) != 0) {
		return -EBADMSG;
	}
	return nj_get_be32(b + 8) == l->rx_dir ? NJ_XDATA : NJ_XFOREIGN;
}

static int l_push(struct nj_exchange *x, uint8_t *b, size_t n, uint32_t arrival, uint32_t *ret)
{
	struct loopx *l = (struct loopx *)x;
	uint32_t c = nj_get_be32(b + 4);

	l->pushes++;
	ck_assert_int_eq(l_classify(x, b, n), NJ_XDATA);
	l->slot[c % SLOTS].used = true;
	l->slot[c % SLOTS].cycle = c;
	memcpy(l->slot[c % SLOTS].a, b + HDR, sizeof(l->slot[0].a));
	l->st.packets++;
	*ret = c;
	return NJ_PUSH_OK;
}

static bool l_has(const struct nj_exchange *x, uint32_t c)
{
	const struct loopx *l = (const struct loopx *)x;

	return l->slot[c % SLOTS].used && l->slot[c % SLOTS].cycle == c;
}

static bool l_pick(struct nj_exchange *x, uint32_t t, uint32_t *ret)
{
	if (t <= x->info.latency) {
		return false;
	}
	*ret = t - x->info.latency;
	return true;
}

static int l_take(struct nj_exchange *x, uint32_t c, struct nj_period_in *in)
{
	struct loopx *l = (struct loopx *)x;
	bool have = l_has(x, c);

	for (unsigned k = 0; k < CH; k++) {
		if (have) {
			memcpy(l->out[k], l->slot[c % SLOTS].a[k], sizeof(l->out[k]));
		} else {
			memset(l->out[k], 0, sizeof(l->out[k]));
		}
		l->outp[k] = l->out[k];
	}
	l->slot[c % SLOTS].used = false;
	l->st.cycles++;
	in->cycle = c;
	in->complete = have;
	in->audio = l->outp;
	in->midi = NULL;
	in->midi_count = NULL;
	return 0;
}

static int l_pack(struct nj_exchange *x, const struct nj_period_out *o,
		  const struct nj_datagram **list, unsigned *n)
{
	struct loopx *l = (struct loopx *)x;

	memcpy(l->tx, "LOOP", 4);
	put32(l->tx + 4, o->cycle);
	put32(l->tx + 8, l->tx_dir);
	for (unsigned k = 0; k < CH; k++) {
		if (o->audio[k] != NULL) {
			memcpy(l->tx + HDR + k * P * 4, o->audio[k], P * 4);
		} else {
			memset(l->tx + HDR + k * P * 4, 0, P * 4);
		}
	}
	l->dg.data = l->tx;
	l->dg.len = DGRAM;
	*list = &l->dg;
	*n = 1;
	return 0;
}

static void l_stats(const struct nj_exchange *x, struct nj_exchange_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->rx = ((const struct loopx *)x)->st;
}

static void l_free(struct nj_exchange *x)
{
	free(x);
}

/* classify's rules for the kernel: "CTRL" in 8 bytes, or "LOOP" of our direction. */
static unsigned l_filter(const struct nj_exchange *x, unsigned base, struct nj_bpf_insn *prog,
			 unsigned cap)
{
	const struct nj_bpf_insn f[] = {
		{NJ_BPF_LD_LEN, 0, 0, 0},
		{NJ_BPF_ALU_SUB_K, 0, 0, base},
		{NJ_BPF_JEQ_K, 0, 2, 8},                 /* 2: control? else 5 */
		{NJ_BPF_LD_W_ABS, 0, 0, base},
		{NJ_BPF_JEQ_K, 5, 6, 0x4354524c},        /* 4: "CTRL": keep, else drop */
		{NJ_BPF_JEQ_K, 0, 5, DGRAM},             /* 5: the length of data */
		{NJ_BPF_LD_W_ABS, 0, 0, base},
		{NJ_BPF_JEQ_K, 0, 3, 0x4c4f4f50},        /* 7: "LOOP" */
		{NJ_BPF_LD_W_ABS, 0, 0, base + 8},
		{NJ_BPF_JEQ_K, 0, 1, ((const struct loopx *)x)->rx_dir},
		{NJ_BPF_RET_K, 0, 0, UINT32_MAX},        /* 10: keep */
		{NJ_BPF_RET_K, 0, 0, 0},                 /* 11: drop */
	};
	unsigned n = sizeof(f) / sizeof(f[0]);

	if (cap < n) {
		return 0;
	}
	memcpy(prog, f, sizeof(f));
	return n;
}

static const struct nj_exchange_ops loop_ops = {
	.classify = l_classify, .push = l_push, .has = l_has, .complete = l_has,
	.pick = l_pick, .take = l_take, .pack = l_pack, .stats = l_stats, .free = l_free,
	.filter = l_filter,
};

static struct loopx *loop_new(uint32_t rx_dir, uint32_t tx_dir, unsigned latency)
{
	struct loopx *l = calloc(1, sizeof(*l));

	l->x.ops = &loop_ops;
	l->x.info = (struct nj_exchange_info){
		.protocol = "loop", .period = P, .rate = 48000, .audio_out = CH, .audio_in = CH,
		.latency = latency, .max_datagrams = 1, .max_datagram = DGRAM,
	};
	l->rx_dir = rx_dir;
	l->tx_dir = tx_dir;
	return l;
}

/* ------------------------------------------------------------- helpers */

/* Two UDP sockets on loopback, @b (the test's) connected to @a, and @a to @b
 * if @connect_a (a master's session socket is; a slave's is not). */
static void socket_pair(int *a, int *b, struct nj_sockaddr *addr_b, bool connect_a)
{
	struct nj_sockaddr lo, la;
	struct nj_udp_opts o;

	ck_assert_int_eq(nj_sockaddr_parse("127.0.0.1", 0, &lo), 0);
	nj_udp_opts_init(&o, AF_INET);
	o.bind = &lo;
	*a = nj_udp_open(&o);
	*b = nj_udp_open(&o);
	ck_assert_int_ge(*a, 0);
	ck_assert_int_ge(*b, 0);
	ck_assert_int_eq(nj_udp_local(*a, &la), 0);
	ck_assert_int_eq(nj_udp_local(*b, addr_b), 0);
	if (connect_a) {
		ck_assert_int_eq(nj_udp_connect(*a, addr_b), 0);
	}
	ck_assert_int_eq(nj_udp_connect(*b, &la), 0);
}

static void sample(float a[CH][P], uint32_t cycle)
{
	for (unsigned k = 0; k < CH; k++) {
		for (unsigned i = 0; i < P; i++) {
			a[k][i] = (float)cycle + (float)(k * P + i) / 1024.0f;
		}
	}
}

/* The peer sends period @cycle in direction @dir, its samples made from @seed. */
static void peer_make(uint8_t b[DGRAM], uint32_t cycle, uint32_t dir, uint32_t seed)
{
	float a[CH][P];

	sample(a, seed);
	memcpy(b, "LOOP", 4);
	put32(b + 4, cycle);
	put32(b + 8, dir);
	memcpy(b + HDR, a, sizeof(a));
}

static void peer_send(int fd, uint32_t cycle, uint32_t dir, uint32_t seed)
{
	uint8_t b[DGRAM];

	peer_make(b, cycle, dir, seed);
	ck_assert_int_eq(send(fd, b, sizeof(b), 0), DGRAM);
}

/* peer_send's datagram and 3 garbage datagrams of its size in one UDP GSO
 * send: on loopback a socket with UDP GRO gets them as one buffer. */
static void peer_send_burst(int fd, uint32_t cycle, uint32_t dir, uint32_t seed)
{
	static uint8_t b[4][DGRAM];
	struct nj_datagram d[4];
	struct nj_udp_gso g = {.seg_max = NJ_UDP_GSO_AUTO};

	peer_make(b[0], cycle, dir, seed);
	for (unsigned i = 0; i < 4; i++) {
		if (i > 0) {
			memset(b[i], 0xa0 + (int)i, DGRAM);
		}
		d[i] = (struct nj_datagram){.data = b[i], .len = DGRAM};
	}
	ck_assert_int_eq(nj_udp_send_gso(fd, d, 4, NULL, &g), 4);
	ck_assert_uint_eq(g.last_sends, 1);
}

/* Read one datagram of ours within 1 s; its cycle. */
static uint32_t peer_recv(int fd, uint8_t *b)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	ck_assert_int_eq(poll(&p, 1, 1000), 1);
	ck_assert_int_eq(recv(fd, b, DGRAM, 0), DGRAM);
	return nj_get_be32(b + 4);
}

static void settle(void)
{
	struct timespec ts = {0, 1000000};

	nanosleep(&ts, NULL);
}

/* ------------------------------------------------------- the RT runner */

/* Wait (up to 1 s) until the receive thread queued something after @before,
 * or (direct) until the socket @fd has something for the next cycle. */
static void queued(struct nj_rt_runner *r, uint64_t before, int fd)
{
	struct nj_runner_counters k;

	nj_rt_runner_snapshot(r, &k);
	if (k.direct) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		ck_assert_int_eq(poll(&p, 1, 1000), 1);
		return;
	}
	for (unsigned i = 0; i < 1000; i++) {
		nj_rt_runner_snapshot(r, &k);
		if (k.last_rx_us != before) {
			return;
		}
		settle();
	}
}

/*
 * _i 0: the callback reads the filtered socket; 1: the receive thread; 2:
 * the receive thread on a socket with UDP GRO, one answer coming in a burst
 * with garbage of its size (cut apart, the garbage counted).
 */
START_TEST(rt_runner_drives_loop)
{
	struct loopx *l = loop_new(2, 1, 1);
	struct nj_rt_runner_config c = {.x = &l->x, .rx_priority = 0, .notify_fd = -1,
					.threaded = _i >= 1, .offload = _i == 2};
	struct nj_rt_runner *r;
	struct nj_runner_counters k;
	struct nj_sockaddr pb;
	int ctl[2], fd, peer;
	float snd[CH][P];
	const float *sp[CH] = {snd[0], snd[1]};
	uint8_t b[DGRAM], cm[16];
	unsigned exact = 0;

	socket_pair(&fd, &peer, &pb, true);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, ctl), 0);
	c.fd = fd;
	c.control_fd = ctl[0];
	ck_assert_int_eq(nj_rt_runner_new(&c, &r), 0);
	for (uint32_t t = 1; t <= 40; t++) {
		struct nj_period_out o = {.audio = sp};
		const struct nj_period_in *in;

		sample(snd, t * 10);
		in = nj_rt_runner_cycle(r, &o, 0);
		ck_assert_uint_eq(o.cycle, t);
		if (t == 1) {
			ck_assert_ptr_null(in); /* latency 1: nothing to render yet */
		} else {
			float want[CH][P];

			ck_assert_ptr_nonnull(in);
			ck_assert_uint_eq(in->cycle, t - 1);
			sample(want, (t - 1) * 10);
			exact += in->complete && memcmp(in->audio[0], want[0], sizeof(want[0])) == 0 &&
				 memcmp(in->audio[1], want[1], sizeof(want[1])) == 0;
		}
		/* the peer: our period arrived whole; answer it (cycle t, "x 10") */
		ck_assert_uint_eq(peer_recv(peer, b), t);
		ck_assert_int_eq(memcmp(b + HDR, snd, sizeof(snd)), 0);
		if (t == 20) {
			/* garbage, another direction, a control message */
			for (unsigned g = 0; g < 50; g++) {
				memset(b, (int)g, 100);
				ck_assert_int_eq(send(peer, b, 100 + g, 0), (ssize_t)(100 + g));
			}
			peer_send(peer, t, 1, t * 10);
			ck_assert_int_eq(send(peer, "CTRL1234", 8, 0), 8);
		}
		nj_rt_runner_snapshot(r, &k);
		if (_i == 2 && t == 30) {
			peer_send_burst(peer, t, 2, t * 10);
		} else {
			peer_send(peer, t, 2, t * 10);
		}
		queued(r, k.last_rx_us, fd);
	}
	nj_rt_runner_snapshot(r, &k);
	ck_assert_uint_eq(exact, 39);
	ck_assert_uint_eq(k.cycles, 40);
	ck_assert_uint_eq(k.sent, 40);
	ck_assert_uint_eq(k.concealed, 0);
	ck_assert(k.direct == (_i == 0));
	if (k.direct) { /* the kernel dropped the garbage and the other direction */
		ck_assert_uint_eq(k.dropped, 51);
		ck_assert_uint_eq(k.x.rx.malformed, 0);
		ck_assert_uint_eq(k.x.rx.foreign, 0);
	} else {
		ck_assert_uint_eq(k.dropped, 0);
		ck_assert_uint_eq(k.x.rx.malformed, _i == 2 ? 53 : 50);
		ck_assert_uint_eq(k.x.rx.foreign, 1);
	}
	ck_assert_uint_eq(k.gro_bursts, _i == 2 ? 1 : 0);
	ck_assert_uint_eq(k.control, 1);
	/* nothing but data reached the exchange (the answer to 40 is still queued) */
	ck_assert_uint_eq(l->pushes, 39);
	ck_assert_uint_ne(k.last_rx_us, 0);
	ck_assert_int_eq(recv(ctl[1], cm, sizeof(cm), 0), 8);
	ck_assert_int_eq(memcmp(cm, "CTRL1234", 8), 0);
	nj_rt_runner_free(r); /* closes fd */
	close(peer);
	close(ctl[0]);
	close(ctl[1]);
	nj_exchange_free(&l->x);
}
END_TEST

/* Latency 0: the answer to this very cycle is waited for, within the budget. */
struct late {
	int fd;
	uint32_t cycle;
};

/* The peer answers @cycle 3 ms from now. */
static void *answer_late(void *arg)
{
	const struct late *a = arg;
	struct timespec ts = {0, 3000000};

	nanosleep(&ts, NULL);
	peer_send(a->fd, a->cycle, 2, a->cycle);
	return NULL;
}

START_TEST(rt_runner_latency0_waits)
{
	struct loopx *l = loop_new(2, 1, 0);
	struct nj_rt_runner_config c = {.x = &l->x, .control_fd = -1, .notify_fd = -1,
					.threaded = _i == 1};
	struct nj_rt_runner *r;
	struct nj_runner_counters k;
	struct nj_sockaddr pb;
	int fd, peer;
	float snd[CH][P] = {{0}};
	const float *sp[CH] = {snd[0], snd[1]};
	struct nj_period_out o = {.audio = sp};
	const struct nj_period_in *in;
	uint8_t b[DGRAM];

	socket_pair(&fd, &peer, &pb, true);
	c.fd = fd;
	ck_assert_int_eq(nj_rt_runner_new(&c, &r), 0);
	/* the peer answers 1 ms late: within a 20 ms budget, rendered at once */
	peer_send(peer, 1, 2, 1); /* sent ahead: its queue entry is cycle 1's answer */
	in = nj_rt_runner_cycle(r, &o, 20000);
	ck_assert_ptr_nonnull(in);
	ck_assert_uint_eq(in->cycle, 1);
	ck_assert(in->complete);
	ck_assert_uint_eq(peer_recv(peer, b), 1);
	/* no answer at all: the budget ends the wait and the period is concealed */
	in = nj_rt_runner_cycle(r, &o, 2000);
	ck_assert_ptr_nonnull(in);
	ck_assert(!in->complete);
	nj_rt_runner_snapshot(r, &k);
	ck_assert_uint_eq(k.waits_missed, 1);
	ck_assert_uint_eq(k.concealed, 1);
	ck_assert_uint_lt(k.busy_max_us, 20000);
	ck_assert_uint_eq(peer_recv(peer, b), 2);
	/* an answer that comes 3 ms into the wait wakes it: rendered whole */
	{
		struct late a = {.fd = peer, .cycle = 3};
		pthread_t t;

		ck_assert_int_eq(pthread_create(&t, NULL, answer_late, &a), 0);
		in = nj_rt_runner_cycle(r, &o, 200000);
		pthread_join(t, NULL);
	}
	ck_assert_ptr_nonnull(in);
	ck_assert_uint_eq(in->cycle, 3);
	ck_assert(in->complete);
	nj_rt_runner_snapshot(r, &k);
	ck_assert_uint_eq(k.waits_missed, 1);
	ck_assert_uint_ge(k.busy_max_us, 2500);
	ck_assert_uint_lt(k.busy_max_us, 200000);
	ck_assert(k.direct == (_i == 0));
	nj_rt_runner_free(r);
	close(peer);
	nj_exchange_free(&l->x);
}
END_TEST

/* --------------------------------------------------- the network runner */

struct consumer {
	float back[CH][P];
	float *bp[CH];
	unsigned periods, resets, silent;
	uint32_t last;
};

static void c_period(void *ud, const struct nj_period_in *in, uint64_t first_us,
		     struct nj_period_out *reply)
{
	struct consumer *c = ud;

	c->periods++;
	c->last = in->cycle;
	c->silent += !in->complete;
	for (unsigned k = 0; k < CH; k++) {
		for (unsigned i = 0; i < P; i++) {
			c->back[k][i] = in->audio[k][i] * 2; /* the "bridge" answers x 2 */
		}
		c->bp[k] = c->back[k];
	}
	reply->audio = (const float *const *)c->bp;
}

static void c_reset(void *ud)
{
	((struct consumer *)ud)->resets++;
}

static uint64_t c_now(void *ud)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static const struct nj_net_consumer consumer_ops = {c_period, c_reset, c_now};

/* _i 1: on a socket with UDP GRO, period 20 in a burst with garbage of its size. */
START_TEST(net_runner_drives_loop)
{
	struct loopx *l = loop_new(1, 2, 0);
	struct consumer cs = {0};
	struct nj_net_runner_config c = {
		.x = &l->x, .control_fd = -1, .notify_fd = -1, .consumer = &consumer_ops, .consumer_ud = &cs,
		.take_min_us = 400, .take_max_us = 2000, .take_pad_us = 250, .offload = _i == 1,
	};
	struct nj_net_runner *r;
	struct nj_runner_counters k;
	struct nj_sockaddr pb, lo, to;
	struct nj_udp_opts o;
	int fd, peer, other;
	uint8_t b[DGRAM];
	unsigned exact = 0;

	socket_pair(&fd, &peer, &pb, false);
	ck_assert_int_eq(nj_sockaddr_parse("127.0.0.1", 0, &lo), 0);
	nj_udp_opts_init(&o, AF_INET);
	o.bind = &lo;
	other = nj_udp_open(&o); /* a third party */
	ck_assert_int_ge(other, 0);
	c.fd = fd;
	c.peer = pb;
	ck_assert_int_eq(nj_net_runner_new(&c, &r), 0);
	for (uint32_t t = 1; t <= 30; t++) {
		float want[CH][P];

		if (t == 10) {
			continue; /* lost: taken when 11 arrives, silence */
		}
		if (_i == 1 && t == 20) {
			peer_send_burst(peer, t, 1, t);
		} else {
			peer_send(peer, t, 1, t);
		}
		if (t == 11) {
			uint32_t got = peer_recv(peer, b);

			ck_assert_uint_eq(got, 10);
			for (unsigned i = 0; i < CH * P; i++) {
				ck_assert(b[HDR + i * 4] == 0);
			}
		}
		ck_assert_uint_eq(peer_recv(peer, b), t);
		sample(want, t);
		for (unsigned k2 = 0; k2 < CH; k2++) {
			for (unsigned i = 0; i < P; i++) {
				want[k2][i] *= 2;
			}
		}
		exact += memcmp(b + HDR, want, sizeof(want)) == 0;
	}
	/* the last reply's counters */
	for (unsigned i = 0; i < 1000 && (nj_net_runner_snapshot(r, &k), k.sent < 30); i++) {
		settle();
	}
	ck_assert_uint_eq(exact, 29);
	ck_assert_uint_eq(cs.periods, 30);
	ck_assert_uint_eq(cs.silent, 1);
	ck_assert_uint_eq(k.taken_next, 1);
	ck_assert_uint_eq(k.concealed, 1);
	ck_assert_uint_eq(k.sent, 30);
	/* another direction from the peer, and a datagram from a third party */
	peer_send(peer, 31, 2, 31);
	ck_assert_int_eq(nj_udp_local(fd, &to), 0);
	ck_assert_int_eq(nj_udp_send(other, "LOOP", 4, &to), 4);
	peer_send(peer, 32, 1, 32); /* and the real one: 31 is taken first, as lost */
	ck_assert_uint_eq(peer_recv(peer, b), 31);
	ck_assert_uint_eq(peer_recv(peer, b), 32);
	for (unsigned i = 0; i < 1000 && (nj_net_runner_snapshot(r, &k), k.x.rx.foreign < 2); i++) {
		settle();
	}
	ck_assert_uint_eq(k.x.rx.foreign, 2);
	ck_assert_uint_eq(k.x.rx.malformed, _i == 1 ? 3 : 0);
	ck_assert_uint_eq(k.gro_bursts, _i == 1 ? 1 : 0);
	ck_assert_uint_eq(l->pushes, 30);
	/* the peer restarts its count: the consumer is reset */
	peer_send(peer, 1000, 1, 1000);
	ck_assert_uint_eq(peer_recv(peer, b), 1000);
	ck_assert_uint_eq(cs.resets, 1);
	nj_net_runner_free(r);
	close(fd);
	close(peer);
	close(other);
	nj_exchange_free(&l->x);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("runner");
	TCase *tc = tcase_create("loop");

	tcase_add_loop_test(tc, rt_runner_drives_loop, 0, 3);
	tcase_add_loop_test(tc, rt_runner_latency0_waits, 0, 2);
	tcase_add_loop_test(tc, net_runner_drives_loop, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
