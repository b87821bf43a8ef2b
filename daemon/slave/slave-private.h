/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slave-private.h - netjack-slave's core state, shared by slave.c and slave-status.c. */
#ifndef NJ_SLAVE_PRIVATE_H
#define NJ_SLAVE_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>

#include "../bridge/bridge.h"
#include "../common/bridgeio.h"
#include "../common/ctl.h"
#include "../common/jclient.h"
#include "../common/retire.h"
#include "../common/runlink.h"
#include "../runner/net.h"
#include "slave.h"

/* The session a joiner handed over. */
struct ssession {
	struct join_desc d;
	struct bridge *bridge;
	struct nj_bridge_io *io_unpublished; /* made, not yet the callback's */
	struct nj_net_runner *runner;
	struct nj_runlink link; /* the runner's control messages, its "the master is gone" */
	uint64_t started_us;
	uint64_t lock_seen_us; /* the bridge's locked_at_us last logged (JACK's clock,
				  compared only for equality) */
	uint64_t margin_raises_logged, margin_lowers_logged;
	uint64_t last_stats_us;
	unsigned local_period; /* the JACK period the bridge was made for */
};

struct slave {
	sd_event *event;
	struct slave_config cfg;
	char hostname[NJ2_NETNAME_LEN + 1];
	uint64_t started_us;
	bool shutting_down;

	struct nj_jclient *jack;
	bool jack_up;
	int rt_priority;            /* JACK's client priority: the network thread's */
	struct nj_ports ports;      /* registered; they outlive sessions */
	unsigned last[4];           /* the counts registered when JACK went */
	struct nj_bridge_io *_Atomic view;
	struct nj_retire_gate gate;
	struct nj_retire *retire;
	bool pending_run;

	struct ssession *sess;
	const struct joiner_ops *jops;
	void *j;
	sd_event_source *watch, *housekeeping;
	struct nj_ctl *ctl;

	/* the latency our ports tell JACK (frames: capture, playback), and
	 * the ports the latency callback may touch (NULL: none), under lat_lock */
	pthread_mutex_t lat_lock;
	struct nj_ports *lat_view;
	unsigned lat_frames[2];
	unsigned lat_told[2];       /* told the master (its frames), when */
	uint64_t lat_told_us;
};

void slave_log_session_end(struct slave *s, struct ssession *se, const char *why);
void slave_log_bridge(struct slave *s, struct ssession *se);
int slave_ctl_open(struct slave *s);
/* netjack-ctl latency: where the session's delay goes (slave-status.c) */
void slave_latency(struct slave *s, struct ssession *se, bool json, struct nj_buf *b);
/* The delay each way through the session, in local frames (slave-status.c):
 * [0] from the master's send ports to our capture ports (the network's
 * part and ring A), [1] from our playback ports to the master's receive
 * ports (ring B and the master's latency); [2] the bridge's rings alone;
 * [3] and [4] rings A and B in the master's frames (what it is told). */
void slave_session_delays(const struct slave *s, const struct ssession *se, unsigned ret[5]);

#endif
