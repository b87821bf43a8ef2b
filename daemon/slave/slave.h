/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slave.h - netjack-slave: find a master, run the session on a network
 * runner, and bridge its audio and MIDI into the local JACK server through
 * the clock bridge. The core (slave.c) knows no protocol: a joiner (one per
 * protocol, join-nj2.c for netJACK2) finds the master, negotiates, and hands
 * over the session's exchange; the core runs it.
 */
#ifndef NJ_SLAVE_SLAVE_H
#define NJ_SLAVE_SLAVE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include <libnetproto/wire.h>

enum slave_encoder { ENC_FLOAT = 0, ENC_INT16, ENC_OPUS };

enum slave_discovery { SDISC_BOTH = 0, SDISC_MULTICAST, SDISC_DNSSD };

enum slave_protocol { SPROTO_NETJACK2 = 0, SPROTO_JACKTRIP, SPROTO_JACKTRIP_P2P, SPROTO_NETONE };

struct nj_psk;

struct slave_config {
	int protocol;              /* enum slave_protocol */
	bool auto_discover;        /* --auto */
	int discovery;             /* enum slave_discovery (--auto) */
	char master_name[64];      /* --master-name: pick this DNS-SD master */
	char control[108];         /* control socket; "" = default, "none" = off */
	char master[128];          /* --master HOST[:PORT] */
	char multicast_ip[64];
	int port;
	char interface[IF_NAMESIZE];
	char name[NJ2_NAME_LEN + 1];
	char client_name[64];
	int capture, playback, midi_capture, midi_playback; /* -C -P -i -o, -1 = master's */
	int latency;
	int bits;                  /* JackTrip: 8, 16, 24 or 32 */
	int redundancy;            /* JackTrip: periods per datagram */
	int encoder;               /* enum slave_encoder */
	int kbps;
	int mtu;
	int resampler;             /* enum bridge_quality */
	uint64_t margin_us;
	uint64_t margin_max_us;
	uint64_t timeout_us;
	char psk_file[256];        /* --psk-file */
	bool encrypt;              /* --encrypt */
	bool require_auth;         /* --require-auth */
	int udp_offload;           /* --udp-offload: 0 auto (GSO), 1 off */
	struct nj_psk *psk;        /* the key, loaded at startup (not an option) */
	bool verbose;
};

void slave_config_defaults(struct slave_config *c);

struct slave;

/* ------------------------------------------------------ the joiner seam */

#include <libnetproto/exchange.h>
#include <libnetproto/udp.h>

#include "../common/ctl.h"

/** What a joiner negotiated. */
struct join_desc {
	char master_name[NJ2_NETNAME_LEN + 1];
	struct nj_sockaddr master;
	const char *encoder;
	uint32_t id, kbps, mtu;
	unsigned latency_cycles;
	struct nj_exchange *x; /* the core's from now on (also on failure) */
	int fd;                /* the socket the runner reads (the joiner keeps it) */
	/* the master waits for our periods on our clock (a JackTrip hub or
	 * P2P server): the JACK callback sends them, the network runner only
	 * receives (false: we answer each of the master's cycles) */
	bool send_own;
};

struct joiner_ops {
	const char *protocol;
	/* JACK is up: look for a master. */
	void (*start)(void *j);
	/* JACK is gone or we shut down: leave any session, stop looking. */
	void (*stop)(void *j);
	/* Leave the session (kick, the master's socket is gone, the local
	 * period changed) and look again. */
	void (*rejoin)(void *j, const char *why);
	/* A control message from the master that the runner set aside. */
	void (*control)(void *j, const uint8_t *buf, size_t len);
	/* Status: the head's members (@json: each ",\"k\":v"), the session's. */
	void (*status_head)(void *j, struct nj_buf *b, bool json);
	/* Optional: tell the master what we add each way (master frames: behind
	 * its send ports, ahead of its receive ports), where it takes it. */
	void (*latency)(void *j, uint32_t after, uint32_t before);
	void (*free)(void *j);
};

/** slave_set_joiner - the protocol that finds masters (the slave frees it). */
void slave_set_joiner(struct slave *s, const struct joiner_ops *ops, void *j);

/** slave_join - run the negotiated session (its exchange becomes the core's). */
int slave_join(struct slave *s, const struct join_desc *d);

/** slave_leave - the session is over: stop its runner, bridge silence, free it later. */
void slave_leave(struct slave *s, const char *why);

/** When data last came from the master (CLOCK_MONOTONIC us), 0 without a session. */
uint64_t slave_last_rx(const struct slave *s);

/** The local JACK server's rate and period, 0 while there is none. */
uint32_t slave_jack_rate(const struct slave *s);
uint32_t slave_jack_period(const struct slave *s);
sd_event *slave_event(const struct slave *s);
const struct slave_config *slave_cfg(const struct slave *s);
const char *slave_host(const struct slave *s);
const char *slave_client_name(const struct slave *s);
/** A peer address as text (a static buffer: one at a time). */
const char *slave_addr_text(const struct nj_sockaddr *a);

int slave_new(sd_event *e, const struct slave_config *cfg, struct slave **ret);
void slave_shutdown(struct slave *s, int code);
void slave_free(struct slave *s);

#endif
