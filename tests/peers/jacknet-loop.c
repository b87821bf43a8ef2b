/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jacknet-loop: a netJACK2 slave made with jack2's own libjacknet (no JACK
 * server on its host), which sends back to the master what the master sends
 * it: audio input k to audio output k, MIDI input k to MIDI output k at the
 * same frame offsets. A reference peer for the master's tests, and the only
 * jack2 slave that can ask for the int16 encoder (jackd -d net cannot).
 *
 * Usage: jacknet-loop [-a GROUP] [-p PORT] [-n NAME] [-C N] [-P N] [-i N]
 *                     [-o N] [-e float|int16|opus] [-k KBPS] [-l LATENCY]
 *                     [-m MTU]
 * Runs until SIGTERM or SIGINT. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <jack/midiport.h>
#include <jack/net.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer-util.h"

static volatile sig_atomic_t stop;
static unsigned long midi_in, midi_out, cycles;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int loop(jack_nframes_t n, int ain, float **abin, int min, void **mbin, int aout,
		float **about, int mout, void **mbout, void *data)
{
	(void)data;
	cycles++;
	for (int k = 0; k < aout; k++) {
		if (k < ain) {
			memcpy(about[k], abin[k], sizeof(float) * n);
		} else {
			memset(about[k], 0, sizeof(float) * n);
		}
	}
	for (int k = 0; k < mout; k++) {
		/* libjacknet hands out MIDI output buffers it never initialised
		 * (new float[period]): jack_midi_clear_buffer() refuses one
		 * without the JACK MIDI magic. The header, as on the wire
		 * (NETJACK2-WIRE.md section 8): magic, buffer_size (its P x 4
		 * bytes), nframes, write_pos, event_count, lost_events. */
		uint32_t *h = mbout[k];

		h[0] = 0x900DF00D;
		h[1] = n * 4;
		h[2] = n;
		h[3] = h[4] = h[5] = 0;
		jack_midi_clear_buffer(mbout[k]);
		if (k >= min) {
			continue;
		}
		for (uint32_t e = 0, c = jack_midi_get_event_count(mbin[k]); e < c; e++) {
			jack_midi_event_t ev;

			midi_in++;
			if (jack_midi_event_get(&ev, mbin[k], e) == 0 &&
			    jack_midi_event_write(mbout[k], ev.time, ev.buffer, ev.size) == 0) {
				midi_out++;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *group = DEFAULT_MULTICAST_IP, *name = "jacknet-loop";
	int port = DEFAULT_PORT, c;
	jack_slave_t req = {.audio_input = 2, .audio_output = 2, .midi_input = 0, .midi_output = 0,
			    .mtu = DEFAULT_MTU, .time_out = -1, .encoder = JackFloatEncoder,
			    .kbps = 128, .latency = 2};
	jack_master_t res;
	jack_net_slave_t *net;

	while ((c = getopt(argc, argv, "a:p:n:C:P:i:o:e:k:l:m:")) != -1) {
		switch (c) {
		case 'a': group = optarg; break;
		case 'p': port = peer_number("jacknet-loop", "-p", optarg, 1, 65535); break;
		case 'n': name = optarg; break;
		case 'C': req.audio_input = peer_number("jacknet-loop", "-C", optarg, -1, 256); break;
		case 'P': req.audio_output = peer_number("jacknet-loop", "-P", optarg, -1, 256); break;
		case 'i': req.midi_input = peer_number("jacknet-loop", "-i", optarg, -1, 16); break;
		case 'o': req.midi_output = peer_number("jacknet-loop", "-o", optarg, -1, 16); break;
		case 'k': req.kbps = peer_number("jacknet-loop", "-k", optarg, 1, 1000); break;
		case 'l': req.latency = peer_number("jacknet-loop", "-l", optarg, 0, 10); break;
		case 'm': req.mtu = peer_number("jacknet-loop", "-m", optarg, 256, 9000); break;
		case 'e':
			if (strcmp(optarg, "float") == 0) {
				req.encoder = JackFloatEncoder;
			} else if (strcmp(optarg, "int16") == 0) {
				req.encoder = JackIntEncoder;
			} else if (strcmp(optarg, "opus") == 0) {
				req.encoder = JackOpusEncoder;
			} else {
				fprintf(stderr, "jacknet-loop: -e: \"%s\" is not float, int16 or opus\n", optarg);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	net = jack_net_slave_open(group, port, name, &req, &res);
	if (net == NULL) {
		fprintf(stderr, "jacknet-loop: jack_net_slave_open failed\n");
		return 1;
	}
	printf("jacknet-loop: joined \"%s\": %u Hz, period %u, audio %d/%d, MIDI %d/%d\n",
	       res.master_name, res.sample_rate, res.buffer_size, res.audio_input, res.audio_output,
	       res.midi_input, res.midi_output);
	fflush(stdout);
	jack_set_net_slave_process_callback(net, loop, NULL);
	if (jack_net_slave_activate(net) != 0) {
		fprintf(stderr, "jacknet-loop: jack_net_slave_activate failed\n");
		jack_net_slave_close(net);
		return 1;
	}
	while (!stop) {
		pause();
	}
	printf("jacknet-loop: %lu cycles, %lu MIDI events in, %lu out\n", cycles, midi_in, midi_out);
	jack_net_slave_deactivate(net);
	jack_net_slave_close(net);
	return 0;
}
