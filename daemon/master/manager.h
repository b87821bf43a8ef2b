/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * manager.h - netjack-master's main object: the JACK control client, the
 * protocol-neutral slot table (limits, kick, status) with one session per
 * started slot, one listener per protocol (slot.h), all on one sd-event loop.
 */
#ifndef NJ_MASTER_MANAGER_H
#define NJ_MASTER_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include <libnetproto/auth.h>
#include <libnetproto/wire.h>

enum discovery_mode { DISCOVERY_BOTH = 0, DISCOVERY_MULTICAST, DISCOVERY_DNSSD };

struct master_config {
	char name[64];         /* DNS-SD instance name and master name (default: hostname) */
	int discovery;         /* enum discovery_mode */
	char control[108];     /* control socket path; "" = default, "none" = off */
	char multicast_ip[64];
	int port;
	char interface[32];
	int max_slaves;
	int max_channels;
	int mtu_min, mtu_max;
	uint64_t timeout_us;
	uint64_t setup_retry_us;
	int setup_tries;
	bool auto_connect;
	char client_name[64]; /* the control client's JACK name */
	int jacktrip;         /* JackTrip hub TCP port, 0 = off */
	char netone[4096];    /* --netone: netone slaves, one per line (listener-n1.c) */
	bool netone_dnssd;    /* --netone-dnssd: also drive netone slaves DNS-SD shows */
	char psk_file[256];   /* --psk-file: authenticate netjack slaves with this key */
	bool encrypt;         /* --encrypt: and encrypt their audio */
	int redundancy;       /* --redundancy: copies of each packet netjack slaves get */
	struct nj_psk *psk;   /* the key, loaded at startup (not an option) */
	char allow[4096];     /* --allow: CIDRs, one per line (common/policy.h) */
	char allow_name[4096];/* --allow-name: names, one per line */
	bool require_auth;    /* --require-auth */
	int udp_offload;      /* --udp-offload: 0 auto (GSO), 1 off */
	bool verbose;
};

void master_config_defaults(struct master_config *c);

struct manager;

int manager_new(sd_event *e, const struct master_config *cfg, struct manager **ret);
void manager_free(struct manager *m);

/** The configuration in use (the name filled in). */
const struct master_config *manager_cfg(const struct manager *m);

/** manager_shutdown - end every session (each protocol's goodbye), then exit the loop. */
void manager_shutdown(struct manager *m, int code);

#endif
