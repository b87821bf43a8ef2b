/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rt.h - the real-time runner: a session whose peer runs on our period clock
 * (a netJACK2 or netJACK1 slave on our master), driven from inside our JACK
 * process callback, one call per cycle.
 *
 * Where the exchange has a socket filter (nj_exchange_filter), the kernel
 * drops everything but the session's data and control datagrams (counted:
 * dropped) and the callback reads the socket itself, at most a queue's worth
 * per cycle. Otherwise a receive thread of its own reads the socket, asks the
 * exchange to classify each datagram (O(1)), and queues only the session's
 * data packets. Either way every datagram is stamped with the cycle we had
 * sent when it arrived; control messages go to the main loop, everything
 * else is counted and dropped. So garbage never costs the process callback
 * anything, and its work per cycle is bounded by the queue's size whatever
 * arrives.
 */
#ifndef NJ_RUNNER_RT_H
#define NJ_RUNNER_RT_H

#include <stdint.h>

#include "runner.h"

struct nj_rt_runner_config {
	struct nj_exchange *x; /* the session's exchange (the caller's; outlives the runner) */
	int fd;                /* the session's connected socket (the runner's from now on) */
	int control_fd;        /* control datagrams are written here (SOCK_SEQPACKET), -1: dropped */
	int rx_priority;       /* SCHED_FIFO priority of the receive thread, 0: normal */
	int notify_fd;         /* eventfd written when the loop should look at the counters:
				  the peer's socket is gone, or the exchange found that the
				  peer counts no cycle (each once); -1: none */
	bool threaded;         /* read on a thread even where the exchange has a filter */
	bool keep_on_refused;  /* ICMP "port unreachable" is not the end (a netone slave
				  restarts on its port and is taken back): counted as a
				  send error */
	bool offload;          /* UDP GSO on send, GRO on receive, where the kernel has them */
};

struct nj_rt_runner;

/** nj_rt_runner_new - allocate, attach the filter or start the receive thread. On failure the fd is closed. */
int nj_rt_runner_new(const struct nj_rt_runner_config *c, struct nj_rt_runner **ret);

/** nj_rt_runner_free - stop the thread, close the socket. NULL is fine. */
void nj_rt_runner_free(struct nj_rt_runner *r);

/**
 * nj_rt_runner_cycle - one cycle, in the process callback (real-time safe):
 * send @out as our next cycle (the runner sets its cycle number), push what
 * arrived, with latency 0 wait up to @wait_us for the answer to this very
 * cycle, then take the cycle the exchange picks. Returns it, or NULL for
 * silence (nothing to render yet, or the peer is gone).
 */
const struct nj_period_in *nj_rt_runner_cycle(struct nj_rt_runner *r, struct nj_period_out *out,
					      uint64_t wait_us);

/** nj_rt_runner_snapshot - the counters (any thread; lock-free). */
void nj_rt_runner_snapshot(const struct nj_rt_runner *r, struct nj_runner_counters *ret);

#endif
