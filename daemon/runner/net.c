/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.c - the network runner (net.h).
 *
 * Arrival times go to the consumer, which compares them with its own clock
 * (the clock bridge: JACK's clock, which jack2 reads from
 * CLOCK_MONOTONIC_RAW, not CLOCK_MONOTONIC: NTP slews the latter; here they
 * were 200 ms and some ppm apart). The kernel stamps each arrival
 * (CLOCK_REALTIME), and the stamp is moved onto the consumer's clock, so a
 * late wake-up of this thread does not make the peer's cycles look late.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/clock.h"
#include "../common/seqlock.h"
#include "net.h"
#include "thread.h"

#define RX_BATCH 32

struct nj_net_runner {
	struct nj_net_runner_config c;
	struct nj_addr peer;
	struct nj_thread thread;
	struct nj_takesched ts;
	struct nj_udp_msg rx[RX_BATCH];
	uint8_t *rx_buf;
	size_t slot;

	struct nj_udp_gso gso;
	_Atomic uint64_t cycles, last_rx_us, sent, send_errors, concealed, control, gso_sends, gro_bursts;
	_Atomic uint64_t taken_next, taken_deadline, take_deadline_us, resyncs, malformed, foreign;
	_Atomic bool dead;
	struct nj_seqlock lock;
	struct nj_exchange_stats pub;
};

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* The peer's socket is gone (ICMP port unreachable): tell the loop once. */
static void set_dead(struct nj_net_runner *r)
{
	uint64_t one = 1;

	if (!atomic_exchange(&r->dead, true) && r->c.notify_fd >= 0 &&
	    write(r->c.notify_fd, &one, sizeof(one)) < 0) {
		/* the loop also sees the flag in the counters */
	}
}

static void publish(struct nj_net_runner *r)
{
	struct nj_exchange_stats st;

	nj_exchange_stats(r->c.x, &st);
	nj_seqlock_write(&r->lock, &r->pub, &st, sizeof(st));
	atomic_store_explicit(&r->take_deadline_us, nj_takesched_wait(&r->ts),
			      memory_order_relaxed);
}

static void take(struct nj_net_runner *r, uint32_t c, enum nj_take_why why)
{
	struct nj_period_in in;
	struct nj_period_out reply = {0};
	const struct nj_datagram *list;
	unsigned n;
	int s;

	if (why == NJ_TAKE_NEXT) {
		count(&r->taken_next, 1);
	} else if (why == NJ_TAKE_DEADLINE) {
		count(&r->taken_deadline, 1);
	}
	if (nj_exchange_take(r->c.x, c, &in) < 0) {
		return;
	}
	if (!in.complete) {
		count(&r->concealed, 1);
	}
	reply.cycle = in.cycle;
	r->c.consumer->period(r->c.consumer_ud, &in, nj_takesched_first(&r->ts, c), &reply);
	publish(r);
	count(&r->cycles, 1);
	if (reply.audio == NULL && r->c.x->info.audio_out > 0) {
		return;
	}
	if (nj_exchange_pack(r->c.x, &reply, &list, &n) < 0) {
		count(&r->send_errors, 1);
		return;
	}
	s = nj_udp_send_gso(r->c.fd, list, n, &r->c.peer, &r->gso);
	if (s == -ECONNREFUSED) {
		set_dead(r);
	} else if (s < 0) {
		count(&r->send_errors, 1);
	} else {
		count(&r->sent, (uint64_t)s);
		count(&r->gso_sends, r->gso.last_sends);
	}
}

/* Take every cycle that is due now. */
static void poll_takes(struct nj_net_runner *r, uint64_t now)
{
	for (;;) {
		uint32_t e = r->ts.expected, c;
		enum nj_take_why why = nj_takesched_poll(&r->ts, now, nj_exchange_has(r->c.x, e),
							nj_exchange_complete(r->c.x, e), &c);

		if (why == NJ_TAKE_NONE) {
			return;
		}
		take(r, c, why);
	}
}

static void on_datagram(struct nj_net_runner *r, struct nj_udp_msg *m, uint64_t at)
{
	struct nj_addr from;
	uint32_t cyc;
	int k;

	nj_sockaddr_to_addr(&m->from, &from);
	if (!nj_addr_equal(&from, &r->peer)) {
		count(&r->foreign, 1);
		return;
	}
	if (m->truncated || m->len == 0) {
		count(&r->malformed, 1);
		return;
	}
	k = nj_exchange_classify(r->c.x, m->buf, m->len);
	if (k == NJ_XCONTROL) {
		count(&r->control, 1);
		if (r->c.control_fd >= 0 &&
		    send(r->c.control_fd, m->buf, m->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			/* the main loop is behind: a control message is resent by its peer */
		}
		return;
	}
	if (k != NJ_XDATA) {
		count(k == NJ_XFOREIGN ? &r->foreign : &r->malformed, 1);
		return;
	}
	atomic_store_explicit(&r->last_rx_us, nj_mono_us(), memory_order_relaxed);
	k = nj_exchange_push(r->c.x, m->buf, m->len, 0, &cyc);
	if (k == NJ_PUSH_LATE) {
		nj_takesched_late(&r->ts, cyc, at);
	}
	if (k != NJ_PUSH_OK) {
		return; /* malformed, late, duplicate: the exchange counted it */
	}
	if (nj_takesched_packet(&r->ts, cyc, at)) {
		count(&r->resyncs, 1);
		r->c.consumer->reset(r->c.consumer_ud);
		return;
	}
	poll_takes(r, at);
}

static void *net_thread(void *arg)
{
	struct nj_net_runner *r = arg;

	nj_runner_set_priority(r->c.priority);
	for (;;) {
		struct pollfd p[2] = {{.fd = r->c.fd, .events = POLLIN},
				      {.fd = r->thread.stop_fd, .events = POLLIN}};
		uint64_t now = r->c.consumer->now(r->c.consumer_ud);
		uint64_t due = nj_takesched_due(&r->ts, nj_exchange_has(r->c.x, r->ts.expected));
		struct timespec t = {.tv_sec = 1}, *tp = &t;
		int n;

		if (due != NJ_TIME_NEVER) {
			uint64_t w = due > now ? due - now : 0;

			t.tv_sec = (time_t)(w / 1000000);
			t.tv_nsec = (long)(w % 1000000) * 1000;
		}
		if (ppoll(p, 2, tp, NULL) < 0 && errno != EINTR) {
			break;
		}
		if (p[1].revents) {
			break;
		}
		n = nj_udp_recvv(r->c.fd, r->rx, RX_BATCH);
		now = r->c.consumer->now(r->c.consumer_ud);
		if (n > 0) {
			int64_t rt_off = nj_rt_offset_us(now);

			for (int i = 0; i < n; i++) {
				uint64_t at = nj_arrival_us(r->rx[i].rx_ns, now, rt_off);
				size_t off = 0;

				/* one datagram, or a GRO buffer of several */
				if (r->rx[i].seg > 0) {
					count(&r->gro_bursts, 1);
				}
				do {
					struct nj_udp_msg one = r->rx[i];

					one.buf += off;
					one.len = nj_udp_next_seg(&r->rx[i], off);
					on_datagram(r, &one, at);
					off += one.len;
				} while (off < r->rx[i].len);
			}
		} else if (n == -ECONNREFUSED) {
			set_dead(r);
		}
		/* complete cycles go at once; an incomplete one after its deadline */
		poll_takes(r, now);
	}
	return NULL;
}

int nj_net_runner_new(const struct nj_net_runner_config *c, struct nj_net_runner **ret)
{
	struct nj_net_runner *r = calloc(1, sizeof(*r));
	int e;

	if (r == NULL) {
		return -ENOMEM;
	}
	r->c = *c;
	r->thread.stop_fd = -1;
	r->gso.seg_max = c->offload ? NJ_UDP_GSO_AUTO : 0;
	nj_sockaddr_to_addr(&c->peer, &r->peer);
	nj_takesched_init(&r->ts, c->take_min_us, c->take_max_us, c->take_pad_us);
	atomic_store(&r->take_deadline_us, nj_takesched_wait(&r->ts));
	atomic_store(&r->last_rx_us, nj_mono_us());
	r->slot = (c->x->info.max_datagram ? c->x->info.max_datagram : NJ_MTU_MAX) + 64;
	if (c->offload && nj_udp_gro(c->fd) == 0) {
		r->slot = NJ_UDP_GRO_BUF; /* a burst of the peer's datagrams in one */
	}
	r->rx_buf = malloc(RX_BATCH * r->slot);
	e = r->rx_buf == NULL ? -ENOMEM : nj_thread_init(&r->thread);
	if (e < 0) {
		nj_net_runner_free(r);
		return e;
	}
	for (unsigned i = 0; i < RX_BATCH; i++) {
		r->rx[i].buf = r->rx_buf + i * r->slot;
		r->rx[i].cap = r->slot;
	}
	e = nj_thread_start(&r->thread, net_thread, r);
	if (e < 0) {
		nj_net_runner_free(r);
		return e;
	}
	*ret = r;
	return 0;
}

void nj_net_runner_stop(struct nj_net_runner *r)
{
	if (r != NULL) {
		nj_thread_stop(&r->thread);
	}
}

void nj_net_runner_free(struct nj_net_runner *r)
{
	if (r == NULL) {
		return;
	}
	nj_thread_fini(&r->thread);
	free(r->rx_buf);
	free(r);
}

void nj_net_runner_snapshot(const struct nj_net_runner *cr, struct nj_runner_counters *ret)
{
	struct nj_net_runner *r = (struct nj_net_runner *)cr;

	memset(ret, 0, sizeof(*ret));
	ret->cycles = atomic_load(&r->cycles);
	ret->last_rx_us = atomic_load(&r->last_rx_us);
	ret->sent = atomic_load(&r->sent);
	ret->gso_sends = atomic_load(&r->gso_sends);
	ret->gro_bursts = atomic_load(&r->gro_bursts);
	ret->send_errors = atomic_load(&r->send_errors);
	ret->concealed = atomic_load(&r->concealed);
	ret->control = atomic_load(&r->control);
	ret->taken_next = atomic_load(&r->taken_next);
	ret->taken_deadline = atomic_load(&r->taken_deadline);
	ret->take_deadline_us = atomic_load(&r->take_deadline_us);
	ret->resyncs = atomic_load(&r->resyncs);
	ret->dead = atomic_load(&r->dead);
	nj_seqlock_read(&r->lock, &ret->x, &r->pub, sizeof(ret->x));
	ret->x.rx.malformed += atomic_load(&r->malformed);
	ret->x.rx.foreign += atomic_load(&r->foreign);
}
