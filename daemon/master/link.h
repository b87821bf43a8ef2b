/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * link.h - one running slave on the master: its own JACK client, its ports
 * (to_slave_N, from_slave_N, midi_to_slave_N, midi_from_slave_N, named as
 * jack2's netmanager names them) and the real-time process callback that runs
 * the cycle exchange on the session's connected UDP socket.
 */
#ifndef NJ_MASTER_LINK_H
#define NJ_MASTER_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include <libnetproto/cycle.h>
#include <libnetproto/wire.h>

struct link;

/** Counters the real-time side publishes (read with link_snapshot). */
struct link_counters {
	uint64_t cycles;        /* process callbacks run */
	uint64_t last_rx_us;    /* CLOCK_MONOTONIC of the last accepted packet, 0 = never */
	uint64_t sent;          /* datagrams sent */
	uint64_t send_errors;   /* sends that failed (other than a full buffer) */
	uint64_t concealed;     /* cycles rendered with something missing */
	uint64_t waits_missed;  /* latency 0: deadline passed before the cycle was complete */
	uint64_t busy_us;       /* time spent in the process callback, summed */
	uint64_t busy_max_us;   /* the longest callback */
	uint64_t xruns;         /* the JACK server's xrun notifications during the session */
	bool dead;              /* ECONNREFUSED from the peer, or JACK shut the client down */
	bool uncounted;         /* the peer sends cycle 0 (PipeWire's driver): filed by arrival */
	struct nj_rx_stats rx;  /* the reassembler's counters */
};

/**
 * link_new - open the JACK client named @name (JACK appends -01.. on a clash),
 * register the ports for @p, allocate every buffer from @p, then activate.
 * @fd: the session's connected non-blocking UDP socket (the link owns it from
 * now on and closes it). @auto_connect: connect to the physical ports.
 * Returns 0 and *@ret, or a negative errno (the caller logs @ret_err).
 */
int link_new(const char *name, const struct nj2_params *p, int fd, bool auto_connect,
	     struct link **ret, const char **ret_err);

/** link_free - deactivate and close the JACK client, close the socket. NULL is fine. */
void link_free(struct link *l);

/** link_snapshot - copy the counters (main thread; lock-free). */
void link_snapshot(const struct link *l, struct link_counters *ret);

/** The session's parameters. */
const struct nj2_params *link_params(const struct link *l);

/** The JACK client name actually given (after any -01 suffix). */
const char *link_client_name(const struct link *l);

#endif
