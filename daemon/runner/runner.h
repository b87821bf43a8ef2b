/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner.h - what both runners (rt.h, net.h) publish about a session. The
 * runners drive any protocol's exchange (libnetproto/exchange.h); they know
 * sockets, threads and clocks, never a wire layout, and no JACK either: their
 * callers hand them buffers.
 */
#ifndef NJ_RUNNER_H
#define NJ_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include <libnetproto/exchange.h>

/* The network's round trip of the last NJ_RTT_WINDOW whole cycles, in us:
 * from the send of a cycle's last datagram to the arrival (the kernel's
 * stamp) of the last datagram of its answer. */
#define NJ_RTT_WINDOW 256
struct nj_rtt {
	uint64_t total;   /* cycles measured since the start */
	unsigned window;  /* of which the figures below summarize the last */
	uint32_t min_us, median_us, p99_us, max_us;
};

struct nj_runner_counters {
	uint64_t cycles;         /* periods run (RT) or taken (network) */
	uint64_t last_rx_us;     /* CLOCK_MONOTONIC of the last data datagram, 0 = never */
	uint64_t sent;           /* datagrams sent */
	uint64_t gso_sends;      /* sends that carried several of them (UDP GSO) */
	uint64_t gro_bursts;     /* receives that carried several datagrams (UDP GRO) */
	uint64_t send_errors;    /* sends that failed (other than a full buffer) */
	uint64_t concealed;      /* periods rendered or taken with something missing */
	uint64_t waits_missed;   /* RT, latency 0: the answer came after the deadline */
	uint64_t busy_us, busy_max_us; /* RT: time in the cycle, summed and worst */
	uint64_t overflow;       /* RT: data datagrams the receive queue had no room for */
	uint64_t control;        /* control datagrams passed to the main loop */
	uint64_t taken_next, taken_deadline; /* network: cycles taken incomplete, and why */
	uint64_t take_deadline_us; /* network: the wait for an incomplete cycle now */
	uint64_t resyncs;        /* network: the stream jumped */
	uint64_t dropped;        /* the kernel dropped on the session's socket: refused
				  * by its filter (not the session's), or no room */
	bool dead;               /* the peer's socket is gone (connection refused) */
	bool direct;             /* RT: the callback reads the filtered socket itself */
	/* the exchange's counters, with what was turned away before it
	 * (malformed, foreign, from another address) folded in */
	struct nj_exchange_stats x;
	struct nj_rtt rtt;       /* RT: the network's round trip (window 0: none) */
};

/* SCHED_FIFO at @priority for the calling thread (0: leave it); false if not allowed. */
bool nj_runner_set_priority(int priority);

#endif
