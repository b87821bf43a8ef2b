/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slot.h - the seam between netjack-master's manager and its protocols.
 *
 * The manager keeps a protocol-neutral table of slots (the --max-slaves
 * limit over every protocol, kick, status rows) and runs each session (its
 * JACK client, its ports, a runner for its exchange). A protocol's listener
 * does the rest: its sockets, discovery and handshakes, and its DNS-SD
 * records. It claims a slot when a peer asks to join, starts the slot with
 * the negotiated exchange, and releases it when the session is over; the
 * manager calls it back to end a session, with the control messages the
 * runner set aside, and for its part of the status.
 */
#ifndef NJ_MASTER_SLOT_H
#define NJ_MASTER_SLOT_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include <libnetproto/exchange.h>
#include <libnetproto/udp.h>

#include "../common/ctl.h"
#include "../common/policy.h"
#include "../common/ports.h"

struct manager;

/** What the status shows of a slot, and what a started slot runs. */
struct slot_desc {
	char name[65];          /* the peer's name: its JACK client's (JACK appends -01.. on a clash) */
	struct nj_sockaddr peer;
	char encoder[16];
	const char *auth;       /* "none", "psk", "psk+encrypt" (static text; NULL: none) */
	unsigned audio_out, audio_in, midi_out, midi_in; /* to the peer, from it */
	unsigned latency_cycles, latency_frames;
	/* told to JACK (port latency ranges, frames): the time from our send
	 * ports until the peer plays the period, and from the peer's capture
	 * until it leaves our receive ports; their sum is the round trip */
	unsigned send_latency, return_latency;
	/* a started slot */
	bool peer_clock;        /* the peer keeps its own clock: network runner + clock bridge */
	bool keep_on_refused;   /* the peer's port may be closed a while (netone): keep sending */
	bool offload;           /* UDP GSO and GRO (--udp-offload; set by the manager) */
	const struct nj_port_names *ports;
	struct nj_exchange *x;  /* the slot's from now on */
	int fd;                 /* the session's connected socket, the slot's from now on */
};

/** JACK's side, as a listener needs it. */
struct master_jack {
	uint32_t rate, period;
	int phys_audio_capture, phys_audio_playback, phys_midi_capture, phys_midi_playback;
};

struct listener_ops {
	const char *protocol;
	/* JACK is up (again, or with a new format): listen with it. */
	int (*start)(void *l, const struct master_jack *jk);
	/* JACK is gone: take no one new until start() (every slot was ended). */
	void (*stop)(void *l);
	/* End @slot (kick, shutdown, JACK gone, the runner saw it die): say
	 * goodbye as the protocol does, then slot_release() it. */
	void (*end)(void *l, unsigned slot, const char *why);
	/* @slot's runner has news for the status (slot_uncounted()). */
	void (*notice)(void *l, unsigned slot);
	/* A control message of @slot's peer that the runner set aside. */
	void (*control)(void *l, unsigned slot, const uint8_t *buf, size_t len);
	/* @slot's JACK client is up, or could not be made (@ok false). */
	void (*ready)(void *l, unsigned slot, bool ok);
	/* The protocol's members of the status's head (@json: each ",\"k\":v"). */
	void (*status_head)(void *l, struct nj_buf *b, bool json);
	/* The protocol's own members of @slot's JSON status row (each ",\"k\":v"). */
	void (*status_json)(void *l, unsigned slot, struct nj_buf *b);
	/* Republish DNS-SD records (the slave count or JACK changed). */
	void (*publish)(void *l);
	/* Once a second: summaries of rate-limited log lines. */
	void (*housekeeping)(void *l);
	void (*free)(void *l);
};

/** slot_claim - a slot for a peer that asks to join: 0..max-1, or -ENOSPC. */
int slot_claim(struct manager *m, void *listener, const struct slot_desc *d);

/**
 * slot_admit - may a peer asking @listener join (--allow, --allow-name,
 * --require-auth)? NJ_ADMIT, or why not; a refusal is counted in the
 * status under @listener's protocol. @names: the peer's names (NULL or ""
 * skipped). The listener logs each refused peer once (slot_log_refused()).
 */
enum nj_verdict slot_admit(struct manager *m, void *listener, const struct nj_sockaddr *peer,
			   const char *const *names, unsigned nnames, bool authenticated);

/**
 * slot_log_refused - the one line for a refused peer: @what ("netJACK2
 * slave"), its @name (and @host, NULL: none), its address and why.
 */
void slot_log_refused(struct manager *m, const char *what, const char *name, const char *host,
		      const struct nj_sockaddr *peer, enum nj_verdict v);

/** slot_start - run @slot with @d's exchange and socket (opens its JACK client). */
int slot_start(struct manager *m, unsigned slot, const struct slot_desc *d);

/** slot_release - the session of @slot is over: free it (its JACK client goes off the loop). */
void slot_release(struct manager *m, unsigned slot, const char *why);

/** slot_last_rx - when data last came for @slot (CLOCK_MONOTONIC us, 0 = never). */
uint64_t slot_last_rx(struct manager *m, unsigned slot);

/** slot_uncounted - @slot's peer numbers no cycle (its exchange says so). */
bool slot_uncounted(struct manager *m, unsigned slot);

/** slot_peer_latency - @slot's peer adds @after frames behind our send ports
 * and @before ahead of our receive ports (its bridge): told to JACK. */
void slot_peer_latency(struct manager *m, unsigned slot, unsigned after, unsigned before);

/** The number of slots started (sessions running). */
unsigned slot_running(const struct manager *m);

/** manager_add_listener - @l serves its protocol from now on (the manager frees it). */
int manager_add_listener(struct manager *m, const struct listener_ops *ops, void *l);

/** The manager's name (DNS-SD instance) and host name. */
const char *manager_name(const struct manager *m);
const char *manager_host(const struct manager *m);
sd_event *manager_event(const struct manager *m);
/** Re-publish every listener's DNS-SD records and the service status. */
void manager_status_changed(struct manager *m);

#endif
