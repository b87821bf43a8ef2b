/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * session.h - one started slot on the master: its JACK client (opened off the
 * loop), its ports, and the real-time runner of its exchange inside the
 * client's process callback, driven by the master's period clock.
 */
#ifndef NJ_MASTER_SESSION_H
#define NJ_MASTER_SESSION_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "../runner/runner.h"
#include "slot.h"

struct session_ops {
	/* the JACK client is up (@ok) or could not be made */
	void (*ready)(void *ud, bool ok);
	/* the peer's socket is gone (connection refused) or JACK dropped the client */
	void (*dead)(void *ud);
	/* the runner has news for the status (the peer counts no cycle) */
	void (*notice)(void *ud);
	/* a control message the runner set aside */
	void (*control)(void *ud, const uint8_t *buf, size_t len);
	/* session_release() is done: nothing of the session runs any more */
	void (*released)(void *ud);
};

struct session;

/**
 * session_new - run @d (its exchange and socket become the session's, also
 * on failure): the runner starts, the JACK client opens off the loop.
 */
int session_new(sd_event *e, const struct slot_desc *d, bool auto_connect,
		const struct session_ops *ops, void *ud, struct session **ret);

/** session_release - stop and free, off the loop; ops->released follows. */
void session_release(struct session *s);

/** session_free_now - at exit: stop and free here. When its JACK client
 * could not be closed (the server did not answer, nj_jclient_left_running())
 * nothing of it is freed: what its callbacks use is left to the exit. */
void session_free_now(struct session *s);

void session_snapshot(const struct session *s, struct nj_runner_counters *ret);
uint64_t session_xruns(const struct session *s);
/** The JACK client's name, "" until it is up. */
const char *session_client_name(const struct session *s);
bool session_stuck(const struct session *s);
/** The clock bridge's members (",\"bridge\":{...}") of a peer on its own clock, else nothing. */
/* The peer adds @after frames behind our send ports and @before ahead of our
 * receive ports (its own bridge): the ports tell JACK so from now on. */
void session_peer_latency(struct session *s, unsigned after, unsigned before);
/* What the ports tell JACK now: [0] the send ports, [1] the receive ports. */
/* A session bridged onto the peer's clock (JackTrip): its ports tell JACK
 * the bridge's rings too (housekeeping, when they moved). */
void session_bridge_latency(struct session *s);

void session_latency_frames(const struct session *s, unsigned ret[2]);
/* The session's clock bridge (a peer with a clock of its own), or NULL. */
const struct bridge *session_bridge(const struct session *s);
void session_status_json(const struct session *s, struct nj_buf *b);

#endif
