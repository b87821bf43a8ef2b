/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rt.c - the real-time runner (rt.h).
 *
 * Per cycle t, in the process callback: pack and send period t; push every
 * queued data packet (bounded by the queue); with latency 0 wait for the
 * answer to t, but only as long as the caller allows; then take what the
 * exchange picks (t - N once latched), concealed where packets are missing.
 * jack2 blocks its whole graph up to 2 s here for a silent slave.
 *
 * Where the exchange writes a socket filter (nj_exchange_filter) the kernel
 * drops every datagram that is not the session's data or control before
 * anyone wakes, and the callback reads the socket itself: a bounded batch per
 * cycle, each datagram still classified. Otherwise a receive thread reads it
 * and queues the data packets; the callback takes them from the queue. The
 * thread costs a wake-up per datagram (~750 a second per 2-channel jack2
 * slave at period 256), the direct read none.
 *
 * The receive queue is single-producer (the receive thread, or the callback
 * itself) single-consumer (the callback): slots of one datagram each, the
 * reader receives straight into free slots and commits the data packets in
 * order.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libnetproto/udp.h>

#include "../common/clock.h"
#include "../common/seqlock.h"
#include "rt.h"
#include "thread.h"

#define RX_BATCH 32
#define RX_GRO 16 /* GRO buffers read at once (each up to NJ_UDP_GSO_SEGS datagrams) */
#define QUEUE_MIN 64
#define QUEUE_MAX 4096
#define QUEUE_BYTES_MAX (16u << 20)
#define STAMPS 16 /* cycles whose send and last arrival are remembered */

struct qslot {
	uint32_t len;
	uint32_t arrival; /* the cycle we had sent when it arrived */
	uint64_t rx_us;   /* when (CLOCK_MONOTONIC; the kernel's stamp if it gave one) */
	uint8_t *data;
};

struct nj_rt_runner {
	struct nj_exchange *x;
	int fd, control_fd, notify_fd;
	int wake_fd;  /* eventfd: the thread woke a waiting callback */
	struct nj_thread thread;
	int rx_priority;
	bool keep_on_refused;
	bool direct; /* the callback reads the filtered socket; no thread */

	struct qslot *q;
	uint8_t *qmem;
	uint8_t *scratch; /* RX_BATCH slots for a full queue */
	uint8_t *gro;     /* RX_GRO buffers of NJ_UDP_GRO_BUF: the socket has UDP GRO */
	unsigned qcap, qmask;
	size_t slot_size;
	_Atomic uint32_t head; /* written by the thread */
	_Atomic uint32_t tail; /* written by the callback */
	_Atomic int waiting;   /* the callback waits for the queue */
	_Atomic uint32_t sent_cycle;

	/* callback state */
	uint32_t cycle;
	bool uncounted_told;
	struct nj_period_in in;
	/* the network's round trip: cycle c sent at sent_us, its last datagram
	 * back at back_us (slot c % STAMPS, valid where the tag is c) */
	uint64_t sent_us[STAMPS], back_us[STAMPS];
	uint32_t sent_tag[STAMPS], back_tag[STAMPS];

	/* published */
	struct nj_udp_gso gso;
	_Atomic uint64_t cycles, last_rx_us, sent, send_errors, concealed, waits_missed;
	_Atomic uint64_t gso_sends, gro_bursts;
	_Atomic uint64_t busy_us, busy_max_us, overflow, control, malformed, foreign;
	_Atomic bool dead;
	struct nj_seqlock lock;
	struct nj_exchange_stats pub;
	_Atomic uint32_t rtt_us[NJ_RTT_WINDOW]; /* the last cycles' round trips */
	_Atomic uint64_t rtt_n;
};

bool nj_runner_set_priority(int priority)
{
	struct sched_param sp = {.sched_priority = priority};

	return priority <= 0 || pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
}

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void notify(struct nj_rt_runner *r)
{
	uint64_t one = 1;

	if (r->notify_fd >= 0 && write(r->notify_fd, &one, sizeof(one)) < 0) {
		/* the loop also sees it in the counters */
	}
}

/* The peer's socket is gone (ICMP port unreachable): tell the loop once. */
static void set_dead(struct nj_rt_runner *r)
{
	if (!atomic_exchange(&r->dead, true)) {
		notify(r);
	}
}

/* One datagram the thread received: classify it and say whether to queue it. */
static bool judge(struct nj_rt_runner *r, const struct nj_udp_msg *m)
{
	int k;

	if (m->truncated || m->len == 0) {
		count(&r->malformed, 1);
		return false;
	}
	k = nj_exchange_classify(r->x, m->buf, m->len);
	switch (k) {
	case NJ_XDATA:
		return true;
	case NJ_XCONTROL:
		count(&r->control, 1);
		if (r->control_fd >= 0) {
			ssize_t w = send(r->control_fd, m->buf, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);

			(void)w;
		}
		return false;
	case NJ_XFOREIGN:
		count(&r->foreign, 1);
		return false;
	default:
		count(&r->malformed, 1);
		return false;
	}
}

/* nj_udp_recvv; -EAGAIN: read again (a refusal was taken, what follows it is still there). */
static int recv_some(struct nj_rt_runner *r, struct nj_udp_msg *msg, unsigned n)
{
	int got = nj_udp_recvv(r->fd, msg, n);

	if (got == -ECONNREFUSED) {
		if (!r->keep_on_refused) {
			set_dead(r);
		}
		return -EAGAIN;
	}
	return got;
}

/* Queue datagram @m (judged already) at @commit; false: no room. */
static bool enqueue(struct nj_rt_runner *r, uint32_t head, uint32_t *commit,
		    const struct nj_udp_msg *m, uint64_t rx_us)
{
	struct qslot *s;

	if (*commit - head >= r->qcap - (head - atomic_load_explicit(&r->tail, memory_order_acquire))) {
		count(&r->overflow, 1);
		return false;
	}
	s = &r->q[*commit & r->qmask];
	if (s->data != m->buf) {
		memcpy(s->data, m->buf, m->len);
	}
	s->len = (uint32_t)m->len;
	s->arrival = atomic_load_explicit(&r->sent_cycle, memory_order_relaxed);
	s->rx_us = rx_us;
	(*commit)++;
	return true;
}

/* Make what was queued up to @commit visible to the callback, wake it if it waits. */
static void publish_queue(struct nj_rt_runner *r, uint32_t head, uint32_t commit)
{
	uint64_t one = 1;

	if (commit == head) {
		return;
	}
	atomic_store(&r->head, commit); /* seq_cst: against the waiting flag */
	atomic_store_explicit(&r->last_rx_us, nj_mono_us(), memory_order_relaxed);
	if (atomic_load(&r->waiting) && write(r->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the callback is awake anyway */
	}
}

/*
 * receive() on a socket with UDP GRO: a buffer may hold a burst of the
 * peer's datagrams; each is judged and copied into the queue (a full queue
 * counts the rest as overflow). Only the receive thread reads so: the
 * callback's socket has a filter, and no GRO.
 */
static void receive_gro(struct nj_rt_runner *r)
{
	struct nj_udp_msg msg[RX_GRO];

	for (;;) {
		uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed), commit = head;
		uint32_t room = r->qcap - (head - atomic_load_explicit(&r->tail, memory_order_acquire));
		unsigned n = room / NJ_UDP_GSO_SEGS;
		uint64_t now;
		int64_t rt_off;
		int got;

		/* as many buffers as the queue has room for whole bursts, one at least */
		n = n < 1 ? 1 : n > RX_GRO ? RX_GRO : n;
		for (unsigned i = 0; i < n; i++) {
			msg[i].buf = r->gro + (size_t)i * NJ_UDP_GRO_BUF;
			msg[i].cap = NJ_UDP_GRO_BUF;
		}
		got = recv_some(r, msg, n);
		if (got == -EAGAIN) {
			continue;
		}
		if (got <= 0) {
			return;
		}
		now = nj_mono_us();
		rt_off = nj_rt_offset_us(now);
		for (int i = 0; i < got; i++) {
			uint64_t at = nj_arrival_us(msg[i].rx_ns, now, rt_off);
			size_t off = 0;

			if (msg[i].seg > 0) {
				count(&r->gro_bursts, 1);
			}
			do {
				struct nj_udp_msg one = msg[i];

				one.buf += off;
				one.len = nj_udp_next_seg(&msg[i], off);
				off += one.len;
				if (judge(r, &one)) {
					enqueue(r, head, &commit, &one, at);
				}
			} while (off < msg[i].len);
		}
		publish_queue(r, head, commit);
		if ((unsigned)got < n) {
			return;
		}
	}
}

/*
 * Receive what is there into free slots; commit the data packets. The thread
 * reads until the socket is empty (a full queue: received to count and drop);
 * the callback (direct) stops at a full queue or after qcap datagrams, and
 * leaves the rest in the socket for the next cycle.
 */
static void receive(struct nj_rt_runner *r)
{
	struct nj_udp_msg msg[RX_BATCH];
	unsigned budget = r->qcap;
	uint64_t now = 0;
	int64_t rt_off = 0;

	if (r->gro != NULL) {
		receive_gro(r);
		return;
	}
	for (;;) {
		uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
		uint32_t room = r->qcap - (head - atomic_load_explicit(&r->tail, memory_order_acquire));
		unsigned n = room < RX_BATCH ? room : RX_BATCH;
		bool full = n == 0;
		uint32_t commit = head;
		int got;

		if (r->direct) {
			if (full || budget == 0) {
				return;
			}
			n = n < budget ? n : budget;
			budget -= n;
		}
		for (unsigned i = 0; i < (full ? RX_BATCH : n); i++) {
			/* a full queue: receive to count and drop */
			msg[i].buf = full ? r->scratch + i * r->slot_size : r->q[(head + i) & r->qmask].data;
			msg[i].cap = r->slot_size;
		}
		got = recv_some(r, msg, full ? RX_BATCH : n);
		if (got == -EAGAIN) {
			continue;
		}
		if (got <= 0) {
			return;
		}
		if (now == 0) {
			now = nj_mono_us();
			rt_off = nj_rt_offset_us(now);
		}
		for (int i = 0; i < got; i++) {
			if (!judge(r, &msg[i])) {
				continue;
			}
			if (full) {
				count(&r->overflow, 1);
				continue;
			}
			enqueue(r, head, &commit, &msg[i], nj_arrival_us(msg[i].rx_ns, now, rt_off));
		}
		publish_queue(r, head, commit);
		if ((unsigned)got < (full ? RX_BATCH : n)) {
			return;
		}
	}
}

static void *rx_thread(void *arg)
{
	struct nj_rt_runner *r = arg;
	struct pollfd p[2] = {{.fd = r->fd, .events = POLLIN}, {.fd = r->thread.stop_fd, .events = POLLIN}};

	nj_runner_set_priority(r->rx_priority);
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			break;
		}
		if (p[1].revents) {
			break;
		}
		if (p[0].revents & (POLLIN | POLLERR)) {
			receive(r);
		}
	}
	return NULL;
}

/* The callback's side of the queue: push every packet that is there. */
static void drain(struct nj_rt_runner *r)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);

	while (tail != head) {
		struct qslot *s = &r->q[tail & r->qmask];
		uint32_t cyc;

		if (nj_exchange_push(r->x, s->data, s->len, s->arrival, &cyc) == NJ_PUSH_OK) {
			unsigned k = cyc % STAMPS;

			if (r->back_tag[k] != cyc || r->back_us[k] < s->rx_us) {
				r->back_tag[k] = cyc;
				r->back_us[k] = s->rx_us;
			}
		}
		tail++;
	}
	atomic_store_explicit(&r->tail, tail, memory_order_release);
}

/* Cycle @c came back whole: how long after we sent it did its last datagram
 * arrive (a peer that numbers by arrival is filed under a later cycle: no
 * figure). */
static void note_rtt(struct nj_rt_runner *r, uint32_t c)
{
	unsigned k = c % STAMPS;
	uint64_t n;

	if (r->sent_tag[k] != c || r->back_tag[k] != c || r->back_us[k] < r->sent_us[k] ||
	    r->back_us[k] - r->sent_us[k] > UINT32_MAX) {
		return;
	}
	n = atomic_load_explicit(&r->rtt_n, memory_order_relaxed);
	atomic_store_explicit(&r->rtt_us[n % NJ_RTT_WINDOW], (uint32_t)(r->back_us[k] - r->sent_us[k]),
			      memory_order_relaxed);
	atomic_store_explicit(&r->rtt_n, n + 1, memory_order_release);
}

/* Latency 0: wait for the answer to this very cycle, up to @wait_us. */
static void wait_answer(struct nj_rt_runner *r, uint64_t start, uint64_t wait_us)
{
	uint64_t end = start + wait_us;

	while (!nj_exchange_complete(r->x, r->cycle)) {
		uint64_t now = nj_mono_us(), left;
		struct pollfd p = {.fd = r->direct ? r->fd : r->wake_fd, .events = POLLIN};
		struct timespec ts;
		uint64_t n;

		if (now >= end || atomic_load_explicit(&r->dead, memory_order_relaxed)) {
			count(&r->waits_missed, 1);
			return;
		}
		left = end - now;
		ts.tv_sec = (time_t)(left / 1000000);
		ts.tv_nsec = (long)(left % 1000000) * 1000;
		atomic_store(&r->waiting, 1);
		if (atomic_load(&r->head) == atomic_load_explicit(&r->tail, memory_order_relaxed)) {
			ppoll(&p, 1, &ts, NULL);
		}
		atomic_store(&r->waiting, 0);
		if (r->direct) {
			receive(r);
		} else if (read(r->wake_fd, &n, sizeof(n)) < 0) {
			/* nothing was signalled: a timeout or a packet already queued */
		}
		drain(r);
	}
}

const struct nj_period_in *nj_rt_runner_cycle(struct nj_rt_runner *r, struct nj_period_out *out,
					      uint64_t wait_us)
{
	uint64_t start = nj_mono_us(), busy;
	const struct nj_datagram *list;
	const struct nj_period_in *ret = NULL;
	struct nj_exchange_stats st;
	uint32_t rc;
	unsigned n;

	if (atomic_load_explicit(&r->dead, memory_order_relaxed)) {
		return NULL;
	}
	if (r->direct) {
		/* before this cycle's send: what is there arrived after the last one */
		receive(r);
	}
	out->cycle = ++r->cycle;
	if (nj_exchange_pack(r->x, out, &list, &n) < 0) {
		count(&r->send_errors, 1);
	} else {
		/* a socket buffer that fills drops the rest of this cycle */
		int s = nj_udp_send_gso(r->fd, list, n, NULL, &r->gso);

		if (s == -ECONNREFUSED && !r->keep_on_refused) {
			set_dead(r);
		} else if (s < 0) {
			count(&r->send_errors, 1);
		} else {
			count(&r->sent, (uint64_t)s);
			count(&r->gso_sends, r->gso.last_sends);
		}
	}
	atomic_store_explicit(&r->sent_cycle, r->cycle, memory_order_relaxed);
	r->sent_us[r->cycle % STAMPS] = nj_mono_us();
	r->sent_tag[r->cycle % STAMPS] = r->cycle;
	drain(r);
	if (r->x->info.latency == 0) {
		wait_answer(r, start, wait_us);
	}
	if (nj_exchange_pick(r->x, r->cycle, &rc) && nj_exchange_take(r->x, rc, &r->in) == 0) {
		ret = &r->in;
		if (!r->in.complete) {
			count(&r->concealed, 1);
		} else {
			note_rtt(r, rc);
		}
	}
	nj_exchange_stats(r->x, &st);
	nj_seqlock_write(&r->lock, &r->pub, &st, sizeof(st));
	if (st.peer_uncounted && !r->uncounted_told) {
		r->uncounted_told = true;
		notify(r);
	}
	count(&r->cycles, 1);
	busy = nj_mono_us() - start;
	count(&r->busy_us, busy);
	if (busy > atomic_load_explicit(&r->busy_max_us, memory_order_relaxed)) {
		atomic_store_explicit(&r->busy_max_us, busy, memory_order_relaxed);
	}
	return ret;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The round trips of the last cycles: least, median, 99th percentile, most. */
static void rtt_summary(struct nj_rt_runner *r, struct nj_rtt *ret)
{
	uint32_t v[NJ_RTT_WINDOW];
	uint64_t n = atomic_load_explicit(&r->rtt_n, memory_order_acquire);
	unsigned k = n < NJ_RTT_WINDOW ? (unsigned)n : NJ_RTT_WINDOW;

	memset(ret, 0, sizeof(*ret));
	ret->total = n;
	if (k == 0) {
		return;
	}
	for (unsigned i = 0; i < k; i++) {
		v[i] = atomic_load_explicit(&r->rtt_us[i], memory_order_relaxed);
	}
	qsort(v, k, sizeof(v[0]), cmp_u32);
	ret->window = k;
	ret->min_us = v[0];
	ret->median_us = v[k / 2];
	ret->p99_us = v[(k * 99) / 100];
	ret->max_us = v[k - 1];
}

void nj_rt_runner_snapshot(const struct nj_rt_runner *cr, struct nj_runner_counters *ret)
{
	struct nj_rt_runner *r = (struct nj_rt_runner *)cr;

	memset(ret, 0, sizeof(*ret));
	ret->cycles = atomic_load(&r->cycles);
	ret->last_rx_us = atomic_load(&r->last_rx_us);
	ret->sent = atomic_load(&r->sent);
	ret->gso_sends = atomic_load(&r->gso_sends);
	ret->gro_bursts = atomic_load(&r->gro_bursts);
	ret->send_errors = atomic_load(&r->send_errors);
	ret->concealed = atomic_load(&r->concealed);
	ret->waits_missed = atomic_load(&r->waits_missed);
	ret->busy_us = atomic_load(&r->busy_us);
	ret->busy_max_us = atomic_load(&r->busy_max_us);
	ret->overflow = atomic_load(&r->overflow);
	ret->control = atomic_load(&r->control);
	ret->dead = atomic_load(&r->dead);
	ret->direct = r->direct;
	if (nj_udp_drops(r->fd, &ret->dropped) < 0) {
		ret->dropped = 0;
	}
	nj_seqlock_read(&r->lock, &ret->x, &r->pub, sizeof(ret->x));
	ret->x.rx.malformed += atomic_load(&r->malformed);
	ret->x.rx.foreign += atomic_load(&r->foreign);
	rtt_summary(r, &ret->rtt);
}

static int queue_alloc(struct nj_rt_runner *r)
{
	const struct nj_exchange_info *i = &r->x->info;
	unsigned want = 4 * (i->max_datagrams ? i->max_datagrams : 16), cap = QUEUE_MIN;

	r->slot_size = i->max_datagram ? i->max_datagram + 1 : NJ_MTU_MAX + 1;
	while (cap < want && cap < QUEUE_MAX && (size_t)cap * 2 * r->slot_size <= QUEUE_BYTES_MAX) {
		cap *= 2;
	}
	r->qcap = cap;
	r->qmask = cap - 1;
	r->q = calloc(cap, sizeof(*r->q));
	r->qmem = malloc((size_t)cap * r->slot_size);
	r->scratch = malloc((size_t)RX_BATCH * r->slot_size);
	if (r->q == NULL || r->qmem == NULL || r->scratch == NULL) {
		return -ENOMEM;
	}
	for (unsigned k = 0; k < cap; k++) {
		r->q[k].data = r->qmem + (size_t)k * r->slot_size;
	}
	return 0;
}

/* The exchange's socket filter on the session's socket: true if attached. */
static bool attach_filter(struct nj_rt_runner *r)
{
	struct nj_bpf_insn prog[NJ_BPF_MAX];
	unsigned n = nj_exchange_filter(r->x, NJ_UDP_FILTER_BASE, prog, NJ_BPF_MAX);

	return n > 0 && nj_udp_attach_filter(r->fd, prog, n) == 0;
}

int nj_rt_runner_new(const struct nj_rt_runner_config *c, struct nj_rt_runner **ret)
{
	struct nj_rt_runner *r = calloc(1, sizeof(*r));
	int e;

	if (r == NULL) {
		close(c->fd);
		return -ENOMEM;
	}
	r->thread.stop_fd = -1;
	r->x = c->x;
	r->fd = c->fd;
	r->keep_on_refused = c->keep_on_refused;
	r->gso.seg_max = c->offload ? NJ_UDP_GSO_AUTO : 0;
	r->control_fd = c->control_fd;
	r->notify_fd = c->notify_fd;
	r->rx_priority = c->rx_priority;
	r->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e = r->wake_fd < 0 ? -errno : nj_thread_init(&r->thread);
	if (e == 0) {
		e = queue_alloc(r);
	}
	if (e == 0 && !c->threaded) {
		r->direct = attach_filter(r);
	}
	/*
	 * GRO where no filter is attached: the kernel runs a socket filter
	 * once on a coalesced burst (its length check would drop it whole),
	 * and the filter's guarantee is worth more to the callback than fewer
	 * receive calls.
	 */
	if (e == 0 && !r->direct && c->offload && nj_udp_gro(r->fd) == 0) {
		r->gro = malloc((size_t)RX_GRO * NJ_UDP_GRO_BUF);
		e = r->gro == NULL ? -ENOMEM : 0;
	}
	if (e == 0 && !r->direct) {
		e = nj_thread_start(&r->thread, rx_thread, r);
	}
	if (e < 0) {
		nj_rt_runner_free(r);
		return e;
	}
	*ret = r;
	return 0;
}

void nj_rt_runner_free(struct nj_rt_runner *r)
{
	if (r == NULL) {
		return;
	}
	nj_thread_fini(&r->thread);
	if (r->fd >= 0) {
		close(r->fd);
	}
	if (r->wake_fd >= 0) {
		close(r->wake_fd);
	}
	free(r->q);
	free(r->qmem);
	free(r->scratch);
	free(r->gro);
	free(r);
}
