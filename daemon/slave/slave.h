/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slave.h - netjack-slave: find a netJACK2 master, run the slave side of the
 * session on a real-time network thread, and bridge its audio and MIDI into
 * the local JACK server through the clock bridge.
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

struct slave_config {
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
	int encoder;               /* enum slave_encoder */
	int kbps;
	int mtu;
	int resampler;             /* enum bridge_quality */
	uint64_t margin_us;
	uint64_t margin_max_us;
	uint64_t timeout_us;
	bool verbose;
};

void slave_config_defaults(struct slave_config *c);

struct slave;

int slave_new(sd_event *e, const struct slave_config *cfg, struct slave **ret);
void slave_shutdown(struct slave *s, int code);
void slave_free(struct slave *s);

#endif
