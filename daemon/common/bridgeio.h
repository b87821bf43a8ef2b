/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridgeio.h - a clock bridge between a JACK client's ports and a network
 * runner: the local side, run in the client's process callback (the port
 * buffers, MIDI gathered and emitted, which receive ports are connected
 * here), and the network side, the runner's consumer (each taken cycle into
 * the bridge, the answer out of it). netjack-slave runs its session this
 * way, and so does netjack-master for a peer that keeps its own clock.
 */
#ifndef NJ_BRIDGEIO_H
#define NJ_BRIDGEIO_H

#include <jack/jack.h>
#include <stdatomic.h>

#include "../bridge/bridge.h"
#include "../runner/net.h"
#include "ports.h"

struct nj_bridge_io {
	/* what the callback sees; the owner sets these before it runs */
	struct nj_ports ports;  /* audio_out: what the network brings; audio_in: what goes back */
	struct bridge *bridge;  /* NULL: silence */
	jack_client_t *client;  /* for the cycles' start (NULL: the callback's wake-up) */
	int64_t cb_off_us;      /* (callback) our callback's last offset in its cycle */
	/* published by the callback: the audio_out ports connected here (the
	 * network side asks its peer only for those) */
	_Atomic uint64_t connected[NJ_MAX_CHANNELS / 64];
	/* callback scratch */
	float *outbuf[NJ_MAX_CHANNELS];
	const float *inbuf[NJ_MAX_CHANNELS];
	void *moutbuf[NJ_MAX_CHANNELS];
	struct nj_midi_event *min_ev[NJ_MAX_CHANNELS];
	uint32_t min_n[NJ_MAX_CHANNELS];
	/* A client that sends its own periods on its own clock (JackTrip, as
	 * JackTrip's clients do): the callback packs the audio_in ports with
	 * tx_x and sends them to tx_peer on tx_fd; the network side answers
	 * nothing then (the bridge carries only the network's audio). */
	struct nj_exchange *tx_x;
	int tx_fd;
	struct nj_sockaddr tx_peer;
	uint32_t tx_cycle;
	_Atomic uint64_t tx_sent, tx_errors;
	/* network side scratch */
	struct nj_portset wanted;
	float **reply;  /* audio_in channels of the exchange's period */
	unsigned reply_ch, reply_period;
};

/** nj_bridge_io_init - scratch for @midi_in MIDI input ports, replies of @ch x @period. */
int nj_bridge_io_init(struct nj_bridge_io *v, unsigned midi_in, unsigned ch, unsigned period);
void nj_bridge_io_fini(struct nj_bridge_io *v);

/** nj_bridge_io_cycle - the local side, in the process callback. */
void nj_bridge_io_cycle(struct nj_bridge_io *v, jack_nframes_t n);

struct nj_buf;

/** "running", "priming", "idle". */
const char *nj_bridge_state_name(enum bridge_state st);

/** nj_bridge_status_json - "\"bridge\":{...}" for a control socket's status. */
void nj_bridge_status_json(struct nj_buf *b, const struct bridge *br, enum bridge_quality q);

/** The network runner's consumer over a bridge_io (ud: the nj_bridge_io). */
extern const struct nj_net_consumer nj_bridge_io_consumer;

#endif
