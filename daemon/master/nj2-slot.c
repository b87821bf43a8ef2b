/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nj2-slot.c - what the manager's slot says of a netJACK2 slave: its ports'
 * names, counts and latencies from the slave's parameters, and the
 * extensions the session runs with (listener-nj2.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libnetproto/auth.h>

#include "listener-nj2.h"

static const struct nj_port_names nj2_ports = {
	/* jack2's netmanager names them so */
	.audio_in = "to_slave", .audio_out = "from_slave",
	.midi_in = "midi_to_slave", .midi_out = "midi_from_slave",
};

static unsigned nonneg(int32_t v)
{
	return v > 0 ? (unsigned)v : 0;
}

void nj2_slot_desc(const struct nj2_params *p, const struct nj_sockaddr *peer,
		   struct slot_desc *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", p->name);
	d->peer = *peer;
	snprintf(d->encoder, sizeof(d->encoder), "%s", nj2_encoder_name(p->encoder));
	d->audio_out = nonneg(p->send_audio);
	d->audio_in = nonneg(p->return_audio);
	d->midi_out = nonneg(p->send_midi);
	d->midi_in = nonneg(p->return_midi);
	d->latency_cycles = p->latency;
	d->latency_frames = p->latency * p->period;
	/* a cycle's answer is ours N cycles later; an async slave plays what we
	 * send one period later than a sync one (its round trip is (N + 1) P) */
	d->return_latency = d->latency_frames;
	d->send_latency = p->sync_mode ? 0 : p->period;
	d->ports = &nj2_ports;
	d->fd = -1;
}

const char *nj2_ext_text(const struct nj2_params *p)
{
	static char buf[96];
	unsigned n = nj2_params_redundancy(p);
	bool authed = nj2_params_authenticated(p);

	snprintf(buf, sizeof(buf), "%s%s%s%s%.0u%s",
		 nj2_params_tiled(p) && p->encoder == NJ2_ENCODER_FLOAT ? ", in tiles" : "",
		 authed ? ", authenticated" : "",
		 authed && (p->master_ext.flags & NJ2_EXT_ENCRYPT) ? ", encrypted" : "",
		 n > 1 ? ", every packet sent " : "", n > 1 ? n : 0, n > 1 ? " times" : "");
	return buf;
}
