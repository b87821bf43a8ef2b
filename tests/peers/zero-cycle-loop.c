/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zero-cycle-loop: a netJACK2 slave that behaves on the wire as PipeWire's
 * netjack2 driver does (NETJACK2-WIRE.md sections 2, 5 and 9), for the
 * master's tests: Debian 12's PipeWire (0.3.65) has no netjack2 module.
 *
 * - an ephemeral source port, DSCP 34, SLAVE_AVAILABLE every second with sync
 *   mode 1 and the driver's defaults;
 * - START_MASTER once, the SLAVE_SETUP echoed with ID 2;
 * - every return packet carries cycle 0 and fFrames = the period (the real
 *   frame count), its sync list names every receive port whatever the
 *   master asked for;
 * - KILL_MASTER to the group when it stops.
 *
 * It answers each complete master cycle at once with what that cycle
 * carried: audio input k to audio output k, MIDI input k to MIDI output k at
 * the same frame offsets (a sync slave: the round trip is N periods).
 *
 * Usage: zero-cycle-loop [-a GROUP] [-p PORT] [-n NAME] [-C N] [-P N]
 *                        [-i N] [-o N] [-l LATENCY]
 * Runs until SIGTERM or SIGINT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libnetproto/cycle.h>
#include <libnetproto/udp.h>
#include <libnetproto/wire.h>

#define PEER_WITH_NETPROTO
#include "peer-util.h"

#define PROG "zero-cycle-loop"
#define BATCH 32

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct session {
	struct nj2_params p;
	struct nj2_unpacker *rx;
	struct nj2_packer *tx;
	unsigned long answered, packets;
};

static int session_start(struct session *s, const struct nj2_params *setup)
{
	struct nj2_cycle_config c = {
		.stream = NJ2_STREAM_SEND,
		.id = setup->id,
		.period = setup->period,
		.mtu = setup->mtu,
		.encoder = setup->encoder,
		.audio_channels = (unsigned)setup->send_audio,
		.midi_channels = (unsigned)setup->send_midi,
		.midi_max_events = 512,
		.slots = 8,
	};
	int r;

	s->p = *setup;
	r = nj2_unpacker_new(&c, &s->rx);
	if (r < 0) {
		return r;
	}
	c.stream = NJ2_STREAM_RETURN;
	c.audio_channels = (unsigned)setup->return_audio;
	c.midi_channels = (unsigned)setup->return_midi;
	return nj2_packer_new(&c, &s->tx);
}

/* Send back what cycle @cycle carried, the way PipeWire's driver numbers it. */
static void answer(int fd, struct session *s, uint32_t cycle)
{
	static const float *audio[NJ_MAX_CHANNELS];
	static const struct nj_midi_event *midi[NJ_MAX_CHANNELS];
	static uint32_t midi_count[NJ_MAX_CHANNELS];
	struct nj2_cycle_out out;
	struct nj2_cycle_in in = {.cycle = 0, .we_want_n = (unsigned)s->p.send_audio};
	const struct nj_datagram *dg;
	unsigned n;

	if (nj2_unpacker_take(s->rx, cycle, &out) < 0) {
		return;
	}
	for (int k = 0; k < s->p.return_audio; k++) {
		audio[k] = k < s->p.send_audio ? out.audio[k] : NULL;
	}
	for (int k = 0; k < s->p.return_midi; k++) {
		midi[k] = k < s->p.send_midi ? out.midi[k] : NULL;
		midi_count[k] = k < s->p.send_midi ? out.midi_count[k] : 0;
	}
	in.audio = audio;
	in.midi = midi;
	in.midi_count = midi_count;
	if (nj2_packer_pack(s->tx, &in, &dg, &n) < 0) {
		return;
	}
	peer_send_as(fd, dg, n, (int32_t)s->p.period, 0);
	s->answered++;
}

int main(int argc, char **argv)
{
	const char *group = "225.3.19.154";
	int port = 19000, c, fd;
	struct nj2_params offer;
	struct nj_sockaddr grp;
	struct nj_udp_opts o;
	struct nj_udp_msg msgs[BATCH];
	static uint8_t bufs[BATCH][NJ_MTU_MAX];
	struct session s = {0};
	bool running = false;
	uint64_t next_announce = 0;

	nj2_params_init(&offer);
	offer.packet_id = NJ2_SLAVE_AVAILABLE;
	snprintf(offer.name, sizeof(offer.name), "PipeWire");
	gethostname(offer.slave_name, sizeof(offer.slave_name) - 1);
	offer.send_audio = offer.return_audio = 2;
	offer.send_midi = offer.return_midi = 1;
	offer.sync_mode = 1;
	offer.latency = 2;
	while ((c = getopt(argc, argv, "a:p:n:C:P:i:o:l:")) != -1) {
		switch (c) {
		case 'a': group = optarg; break;
		case 'p': port = peer_number(PROG, "-p", optarg, 1, 65535); break;
		case 'n': snprintf(offer.name, sizeof(offer.name), "%s", optarg); break;
		case 'C': offer.send_audio = peer_number(PROG, "-C", optarg, 0, 64); break;
		case 'P': offer.return_audio = peer_number(PROG, "-P", optarg, 0, 64); break;
		case 'i': offer.send_midi = peer_number(PROG, "-i", optarg, 0, 16); break;
		case 'o': offer.return_midi = peer_number(PROG, "-o", optarg, 0, 16); break;
		case 'l': offer.latency = (uint32_t)peer_number(PROG, "-l", optarg, 0, 10); break;
		default: return 2;
		}
	}
	if (nj_sockaddr_parse(group, (uint16_t)port, &grp) < 0) {
		fprintf(stderr, PROG ": -a: \"%s\" is not an address\n", group);
		return 2;
	}
	nj_udp_opts_init(&o, grp.u.sa.sa_family);
	o.dscp = 34;
	fd = nj_udp_open(&o);
	if (fd < 0) {
		fprintf(stderr, PROG ": socket: %s\n", strerror(-fd));
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		msgs[i].buf = bufs[i];
		msgs[i].cap = sizeof(bufs[i]);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop) {
		int n;

		if (!running && peer_mono_us() >= next_announce) {
			peer_send_params(fd, &offer, &grp);
			next_announce = peer_mono_us() + 1000000;
		}
		if (nj_udp_wait(fd, 100000) <= 0) {
			continue;
		}
		n = nj_udp_recvv(fd, msgs, BATCH);
		for (int i = 0; i < n; i++) {
			struct nj2_params p;
			uint32_t cyc;

			if (msgs[i].len == NJ2_PARAMS_SIZE &&
			    nj2_params_decode(msgs[i].buf, msgs[i].len, &p) == 0) {
				if (!running && p.packet_id == NJ2_SLAVE_SETUP &&
				    session_start(&s, &p) == 0 &&
				    nj_udp_connect(fd, &msgs[i].from) == 0) {
					p.packet_id = NJ2_START_MASTER;
					peer_send_params(fd, &p, NULL);
					running = true;
					printf(PROG ": joined \"%s\" as id %u: %u Hz, period %u, audio "
					       "%d/%d, MIDI %d/%d, latency %u\n",
					       p.master_name, p.id, p.sample_rate, p.period,
					       p.send_audio, p.return_audio, p.send_midi,
					       p.return_midi, p.latency);
					fflush(stdout);
				}
				continue;
			}
			if (running && nj2_unpacker_push(s.rx, msgs[i].buf, msgs[i].len, &cyc) >= 0) {
				s.packets++;
				if (nj2_unpacker_complete(s.rx, cyc)) {
					answer(fd, &s, cyc);
				}
			}
		}
	}
	if (running) {
		/* the driver's goodbye: KILL_MASTER with its parameters, to the group */
		s.p.packet_id = NJ2_KILL_MASTER;
		peer_send_params(fd, &s.p, &grp);
		printf(PROG ": %lu packets, %lu cycles answered, KILL_MASTER sent\n", s.packets,
		       s.answered);
	}
	nj2_packer_free(s.tx);
	nj2_unpacker_free(s.rx);
	close(fd);
	return 0;
}
