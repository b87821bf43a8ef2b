/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ports.h - a JACK client's ports as the daemons use them: four groups
 * (audio and MIDI, each way) named PREFIX_N from 1, registered and trimmed
 * to the counts a session needs, and the real-time helpers that turn them
 * into the buffers, connected sets and MIDI event lists the runners and the
 * clock bridge take.
 */
#ifndef NJ_PORTS_H
#define NJ_PORTS_H

#include <jack/jack.h>
#include <stdbool.h>

#include <libnetproto/types.h>

/* Events gathered per MIDI port per cycle. */
#define NJ_PORTS_MIDI_EVENTS 512

/** The four groups' name prefixes (e.g. "to_slave", "from_slave", ...). */
struct nj_port_names {
	const char *audio_in;   /* our input ports: audio we send away */
	const char *audio_out;  /* our output ports: audio we received */
	const char *midi_in;
	const char *midi_out;
	/* MIDI ports numbered on after the audio ports of their direction
	 * (jack_netsource: capture_1, capture_2 audio, capture_3 MIDI) */
	bool midi_after_audio;
};

struct nj_port_group {
	unsigned n;
	jack_port_t *port[NJ_MAX_CHANNELS];
};

struct nj_ports {
	struct nj_port_group audio_in, audio_out, midi_in, midi_out;
};

/**
 * nj_ports_resize - register or unregister ports of @c until each group has
 * its count (@counts: audio_in, audio_out, midi_in, midi_out). Not real-time
 * (the caller keeps the process callback off ports it removes). Returns 0,
 * or -EIO naming nothing (the port that failed is logged).
 */
int nj_ports_resize(jack_client_t *c, struct nj_ports *p, const struct nj_port_names *names,
		    const unsigned counts[4]);

/**
 * nj_ports_describe - tell JACK's metadata what the ports carry, for
 * patchbays and DAWs: each port's pretty name ("@dir[k] @peer N", e.g. "to
 * studio-b 1"; @dir: audio in, audio out, MIDI in, MIDI out), and on the
 * client its pretty name (@pretty) and the netjack keys NJ_META_* (@what:
 * protocol, peer address, authentication). Not real-time. A server without
 * metadata support is left alone (debug log).
 */
#define NJ_META_PROTOCOL "urn:netjack:protocol"
#define NJ_META_PEER     "urn:netjack:peer-address"
#define NJ_META_AUTH     "urn:netjack:auth"
void nj_ports_describe(jack_client_t *c, const struct nj_ports *p, const char *peer,
		       const char *const dir[4], const char *pretty, const char *const what[3]);

/* ------------------------------------------------- in the process callback */

/** Buffers of the input ports, and which of them are connected. */
void nj_ports_gather_audio(const struct nj_port_group *g, jack_nframes_t n, const float **bufs,
			   struct nj_portset *connected);

/** Buffers of the output ports, and which of them are connected (may be NULL). */
void nj_ports_output_audio(const struct nj_port_group *g, jack_nframes_t n, float **bufs,
			   struct nj_portset *connected);

/** Silence on every (audio, MIDI) output port of @g. */
void nj_ports_silence_audio(const struct nj_port_group *g, jack_nframes_t n);
void nj_ports_silence_midi(const struct nj_port_group *g, jack_nframes_t n);

/** The events of one MIDI input port (up to @max), times in frames. Returns how many. */
uint32_t nj_ports_gather_midi(jack_port_t *port, jack_nframes_t n, struct nj_midi_event *ev,
			      uint32_t max);

/** Write @count events to a MIDI output port (its buffer cleared first). */
void nj_ports_write_midi(jack_port_t *port, jack_nframes_t n, const struct nj_midi_event *ev,
			 uint32_t count);

/** Connect to the physical ports, in order: capture -> audio_in, audio_out -> playback. */
void nj_ports_connect_physical(jack_client_t *c, const struct nj_ports *p);

#endif
