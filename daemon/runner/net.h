/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * net.h - the network runner: a session whose peer keeps a clock of its own
 * (every master netjack-slave joins; a JackTrip client on our master). A
 * thread of its own receives, pushes into the exchange, takes each received
 * cycle when nj_takesched says so, hands it to a consumer (the clock bridge,
 * through which it reaches a JACK server on another clock) and sends the
 * consumer's answer at once.
 */
#ifndef NJ_RUNNER_NET_H
#define NJ_RUNNER_NET_H

#include <stdint.h>

#include <libnetproto/udp.h>

#include "runner.h"

/** Where the taken cycles go. Called on the runner's thread: real-time rules. */
struct nj_net_consumer {
	/* @in was taken; its first packet arrived at @first_us on the
	 * consumer's clock (0: never seen). Fill @reply (its cycle is set to
	 * @in's) with what to send back, or leave its audio NULL to send nothing. */
	void (*period)(void *ud, const struct nj_period_in *in, uint64_t first_us,
		       struct nj_period_out *reply);
	/* The stream jumped (the peer restarted its count). */
	void (*reset)(void *ud);
	/* The consumer's clock, us (JACK's, for the bridge). */
	uint64_t (*now)(void *ud);
};

struct nj_net_runner_config {
	struct nj_exchange *x;     /* the caller's; outlives the runner */
	int fd;                    /* the socket to read (the caller's) */
	struct nj_sockaddr peer;   /* where replies go; other sources are foreign */
	int control_fd;            /* control datagrams go here (SOCK_SEQPACKET), -1: dropped */
	int notify_fd;             /* eventfd written once when the peer's socket is gone, -1 */
	int priority;              /* SCHED_FIFO priority of the thread, 0: normal */
	const struct nj_net_consumer *consumer;
	void *consumer_ud;
	uint64_t take_min_us, take_max_us, take_pad_us; /* nj_takesched bounds */
	bool offload;              /* UDP GSO on send, GRO on receive, where the kernel has them */
};

struct nj_net_runner;

/** nj_net_runner_new - start the thread. */
int nj_net_runner_new(const struct nj_net_runner_config *c, struct nj_net_runner **ret);

/** nj_net_runner_stop - stop and join the thread; the counters stay readable. NULL is fine. */
void nj_net_runner_stop(struct nj_net_runner *r);

/** nj_net_runner_free - stop (if running) and free. NULL is fine. */
void nj_net_runner_free(struct nj_net_runner *r);

/** nj_net_runner_snapshot - the counters (any thread; lock-free). */
void nj_net_runner_snapshot(const struct nj_net_runner *r, struct nj_runner_counters *ret);

#endif
