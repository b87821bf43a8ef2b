/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ports.c - the daemons' JACK ports (ports.h). */
#include <errno.h>
#include <jack/metadata.h>
#include <jack/midiport.h>
#include <jack/uuid.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "ports.h"

static int resize_group(jack_client_t *c, struct nj_port_group *g, const char *prefix,
			unsigned first, unsigned want, const char *type, unsigned long flags)
{
	char name[64];

	if (want > NJ_MAX_CHANNELS) {
		return -EINVAL;
	}
	while (g->n > want) {
		g->n--;
		jack_port_unregister(c, g->port[g->n]);
		g->port[g->n] = NULL;
	}
	while (g->n < want) {
		snprintf(name, sizeof(name), "%s_%u", prefix, first + g->n + 1);
		g->port[g->n] = jack_port_register(c, name, type, flags, 0);
		if (g->port[g->n] == NULL) {
			log_err("cannot register port %s", name);
			return -EIO;
		}
		g->n++;
	}
	return 0;
}

static bool describe_group(jack_client_t *c, const struct nj_port_group *g, const char *dir,
			   const char *peer)
{
	char text[160];

	for (unsigned i = 0; i < g->n; i++) {
		snprintf(text, sizeof(text), "%s %s %u", dir, peer, i + 1);
		if (jack_set_property(c, jack_port_uuid(g->port[i]), JACK_METADATA_PRETTY_NAME, text,
				      "text/plain") != 0) {
			return false;
		}
	}
	return true;
}

void nj_ports_describe(jack_client_t *c, const struct nj_ports *p, const char *peer,
		       const char *const dir[4], const char *pretty, const char *const what[3])
{
	static const char *const keys[3] = {NJ_META_PROTOCOL, NJ_META_PEER, NJ_META_AUTH};
	const struct nj_port_group *g[4] = {&p->audio_in, &p->audio_out, &p->midi_in,
					    &p->midi_out};
	char *text = jack_get_uuid_for_client_name(c, jack_get_client_name(c));
	jack_uuid_t uuid;
	bool ok = text != NULL && jack_uuid_parse(text, &uuid) == 0;

	jack_free(text);
	ok = ok && jack_set_property(c, uuid, JACK_METADATA_PRETTY_NAME, pretty, "text/plain") == 0;
	for (unsigned i = 0; ok && i < 3; i++) {
		ok = jack_set_property(c, uuid, keys[i], what[i], "text/plain") == 0;
	}
	for (unsigned i = 0; ok && i < 4; i++) {
		ok = describe_group(c, g[i], dir[i], peer);
	}
	if (!ok) {
		log_debug("the JACK server keeps no metadata: ports without pretty names");
	}
}

int nj_ports_resize(jack_client_t *c, struct nj_ports *p, const struct nj_port_names *names,
		    const unsigned counts[4])
{
	bool after = names->midi_after_audio;
	int r;

	if (after && (p->midi_in.n > 0 || p->midi_out.n > 0) &&
	    (counts[0] != p->audio_in.n || counts[1] != p->audio_out.n)) {
		/* MIDI numbers follow the audio count: renumber them */
		resize_group(c, &p->midi_in, names->midi_in, 0, 0, JACK_DEFAULT_MIDI_TYPE, 0);
		resize_group(c, &p->midi_out, names->midi_out, 0, 0, JACK_DEFAULT_MIDI_TYPE, 0);
	}
	r = resize_group(c, &p->audio_in, names->audio_in, 0, counts[0], JACK_DEFAULT_AUDIO_TYPE,
			 JackPortIsInput);
	if (r == 0) {
		r = resize_group(c, &p->audio_out, names->audio_out, 0, counts[1],
				 JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput);
	}
	if (r == 0) {
		r = resize_group(c, &p->midi_in, names->midi_in, after ? counts[0] : 0, counts[2],
				 JACK_DEFAULT_MIDI_TYPE, JackPortIsInput);
	}
	if (r == 0) {
		r = resize_group(c, &p->midi_out, names->midi_out, after ? counts[1] : 0, counts[3],
				 JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput);
	}
	return r;
}

void nj_ports_gather_audio(const struct nj_port_group *g, jack_nframes_t n, const float **bufs,
			   struct nj_portset *connected)
{
	nj_portset_clear(connected);
	for (unsigned i = 0; i < g->n; i++) {
		bufs[i] = jack_port_get_buffer(g->port[i], n);
		if (jack_port_connected(g->port[i]) > 0) {
			nj_portset_add(connected, i);
		}
	}
}

void nj_ports_output_audio(const struct nj_port_group *g, jack_nframes_t n, float **bufs,
			   struct nj_portset *connected)
{
	if (connected != NULL) {
		nj_portset_clear(connected);
	}
	for (unsigned i = 0; i < g->n; i++) {
		bufs[i] = jack_port_get_buffer(g->port[i], n);
		if (connected != NULL && jack_port_connected(g->port[i]) > 0) {
			nj_portset_add(connected, i);
		}
	}
}

void nj_ports_silence_audio(const struct nj_port_group *g, jack_nframes_t n)
{
	for (unsigned i = 0; i < g->n; i++) {
		memset(jack_port_get_buffer(g->port[i], n), 0, sizeof(float) * n);
	}
}

void nj_ports_silence_midi(const struct nj_port_group *g, jack_nframes_t n)
{
	for (unsigned i = 0; i < g->n; i++) {
		jack_midi_clear_buffer(jack_port_get_buffer(g->port[i], n));
	}
}

uint32_t nj_ports_gather_midi(jack_port_t *port, jack_nframes_t n, struct nj_midi_event *ev,
			      uint32_t max)
{
	void *buf = jack_port_get_buffer(port, n);
	uint32_t count = jack_midi_get_event_count(buf), k = 0;

	for (uint32_t e = 0; e < count && k < max; e++) {
		jack_midi_event_t je;

		if (jack_midi_event_get(&je, buf, e) == 0 && je.size > 0) {
			ev[k].time = je.time;
			ev[k].size = (uint32_t)je.size;
			ev[k].data = je.buffer;
			k++;
		}
	}
	return k;
}

void nj_ports_write_midi(jack_port_t *port, jack_nframes_t n, const struct nj_midi_event *ev,
			 uint32_t count)
{
	void *buf = jack_port_get_buffer(port, n);

	jack_midi_clear_buffer(buf);
	for (uint32_t k = 0; k < count; k++) {
		/* JACK wants time order; an out-of-order event fails and is dropped */
		jack_midi_event_write(buf, ev[k].time, ev[k].data, ev[k].size);
	}
}

void nj_ports_connect_physical(jack_client_t *c, const struct nj_ports *p)
{
	const char **cap = jack_get_ports(c, NULL, JACK_DEFAULT_AUDIO_TYPE,
					  JackPortIsPhysical | JackPortIsOutput);
	const char **play = jack_get_ports(c, NULL, JACK_DEFAULT_AUDIO_TYPE,
					   JackPortIsPhysical | JackPortIsInput);

	for (unsigned i = 0; cap != NULL && cap[i] != NULL && i < p->audio_in.n; i++) {
		jack_connect(c, cap[i], jack_port_name(p->audio_in.port[i]));
	}
	for (unsigned i = 0; play != NULL && play[i] != NULL && i < p->audio_out.n; i++) {
		jack_connect(c, jack_port_name(p->audio_out.port[i]), play[i]);
	}
	jack_free(cap);
	jack_free(play);
}
