/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netjack-dump - print libnetproto's view of captured netJACK2 packets.
 *
 * Reads capture files in the project's text format (one packet per line, hex
 * payload in the last column, as the files in tests/vectors) and decodes every packet
 * with the library's own decoders: session parameters, headers, sync port
 * lists, float/int16/Opus audio layout and MIDI events. A packet the library
 * rejects is printed with the error, which is what makes this a debugging tool.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/audio.h>
#include <libnetproto/midi.h>
#include <libnetproto/wire.h>

#include "hexcap.h"

struct dump_ctx {
	struct nj2_params session; /* from the last SLAVE_SETUP/START_MASTER seen */
	bool have_session;
	bool quiet_audio;
	unsigned max_packets;
};

static const char *packet_id_name(int32_t id)
{
	switch ((enum nj2_packet_id)id) {
	case NJ2_SLAVE_AVAILABLE:
		return "SLAVE_AVAILABLE";
	case NJ2_SLAVE_SETUP:
		return "SLAVE_SETUP";
	case NJ2_START_MASTER:
		return "START_MASTER";
	case NJ2_START_SLAVE:
		return "START_SLAVE";
	case NJ2_KILL_MASTER:
		return "KILL_MASTER";
	case NJ2_LATENCY_REPORT:
		return "LATENCY_REPORT";
	}
	return "?";
}

static void dump_params(struct dump_ctx *c, const uint8_t *buf, size_t len)
{
	struct nj2_params p;
	int r = nj2_params_decode(buf, len, &p);

	if (r < 0) {
		printf("  params: REJECTED (%s)\n", strerror(-r));
		return;
	}
	printf("  %s id=%u name=\"%s\" slave_host=\"%s\" master_host=\"%s\"\n",
	       packet_id_name(p.packet_id), p.id, p.name, p.slave_name, p.master_name);
	printf("  rate=%u period=%u mtu=%u audio send/return=%d/%d midi=%d/%d encoder=%s kbps=%u "
	       "%s latency=%u%s\n",
	       p.sample_rate, p.period, p.mtu, p.send_audio, p.return_audio, p.send_midi,
	       p.return_midi, nj2_encoder_name(p.encoder), p.kbps, p.sync_mode ? "sync" : "async",
	       p.latency, p.has_slave_ext || p.has_master_ext ? " netjack-ext" : "");
	if (p.packet_id == NJ2_SLAVE_SETUP || p.packet_id == NJ2_START_MASTER) {
		c->session = p;
		c->have_session = true;
	}
}

static void dump_sync(const struct nj2_header *h, const uint8_t *payload, size_t plen)
{
	struct nj_portset set;
	int r = nj2_sync_decode(payload, plen, h->active_ports, NJ_MAX_CHANNELS, &set);

	if (r < 0) {
		printf("  sync: REJECTED (%s)\n", strerror(-r));
		return;
	}
	printf("  wants ports:");
	for (unsigned i = 0; i < NJ_MAX_CHANNELS; i++) {
		if (nj_portset_has(&set, i)) {
			printf(" %u", i);
		}
	}
	printf("%s\n", h->active_ports ? "" : " (none)");
}

static void dump_midi(const uint8_t *payload, size_t plen, unsigned period)
{
	size_t off = 0;
	unsigned port = 0;

	while (off < plen) {
		struct nj_midi_event ev[64];
		struct nj2_midi_record rec;
		int n = nj2_midi_decode(payload + off, plen - off, period, ev, 64, &rec);

		if (n < 0) {
			printf("  midi port %u: REJECTED (%s)\n", port, strerror(-n));
			return;
		}
		printf("  midi port %u: %u events, buffer_size %u, %u data bytes\n", port,
		       rec.event_count, rec.buffer_size, rec.write_pos);
		for (int i = 0; i < n; i++) {
			printf("    frame %4u:", ev[i].time);
			for (uint32_t k = 0; k < ev[i].size && k < 16; k++) {
				printf(" %02x", ev[i].data[k]);
			}
			printf("%s\n", ev[i].size > 16 ? " ..." : "");
		}
		off += rec.length;
		port++;
	}
}

static void dump_float(const struct dump_ctx *c, const struct nj2_header *h,
		       const uint8_t *payload, size_t plen)
{
	unsigned period = c->have_session ? c->session.period : 256;
	static float bufs[NJ_MAX_CHANNELS][NJ_PERIOD_MAX];
	float *ports[NJ_MAX_CHANNELS];
	struct nj_portset present;
	int s;

	for (unsigned i = 0; i < NJ_MAX_CHANNELS; i++) {
		ports[i] = bufs[i];
	}
	unsigned f0;

	nj_portset_clear(&present);
	if (c->have_session && nj2_params_tiled(&c->session)) {
		/* NJ2_EXT_TILED: the tile's frames, from the session's layout */
		struct nj2_tiles t;
		unsigned nf, p0, np;

		s = h->active_ports > 0 && h->active_ports <= NJ_MAX_CHANNELS &&
				    nj2_float_tiles(nj2_params_layout_mtu(&c->session),
						    h->active_ports, period, &t)
			    ? nj2_tile_decode(payload, plen, h->active_ports, h->sub_cycle, period,
					      &t, ports, NJ_MAX_CHANNELS, &present)
			    : -EBADMSG;
		if (s >= 0) {
			nj2_tile_span(&t, h->active_ports, period, h->sub_cycle, &f0, &nf, &p0, &np);
			printf("  tile %u of %u: ports %u..%u of the active, frames %u..%u\n",
			       h->sub_cycle + 1, t.n, p0, p0 + np - 1, f0, f0 + nf - 1);
		}
	} else {
		s = nj2_float_decode(payload, plen, h->active_ports, h->sub_cycle, period, ports,
				    NJ_MAX_CHANNELS, &present);
		f0 = s > 0 ? h->sub_cycle * (unsigned)s : 0;
	}
	if (s < 0) {
		printf("  float: REJECTED (%s)\n", strerror(-s));
		return;
	}
	for (unsigned i = 0; i < NJ_MAX_CHANNELS; i++) {
		const float *x = bufs[i] + f0;

		if (!nj_portset_has(&present, i)) {
			continue;
		}
		printf("  port %u frames %u..%u: %.6f %.6f ... %.6f\n", i, f0, f0 + (unsigned)s - 1,
		       x[0], s > 1 ? x[1] : x[0], x[s - 1]);
	}
}

static void dump_stream_audio(const struct nj2_header *h, const uint8_t *payload, size_t plen)
{
	unsigned ch = h->active_ports;

	if (ch == 0 || plen % ch != 0) {
		printf("  stream audio: %zu bytes over %u ports (uneven)\n", plen, ch);
		return;
	}
	printf("  stream audio: %u ports x %zu bytes (chunk %u of %u)", ch, plen / ch,
	       h->sub_cycle + 1, h->num_packet);
	if (h->sub_cycle == 0 && plen / ch >= 2) {
		printf(", opus frame lengths:");
		for (unsigned i = 0; i < ch; i++) {
			const uint8_t *b = payload + i * (plen / ch);

			printf(" %u", (unsigned)(b[0] << 8 | b[1]));
		}
	}
	printf("\n");
}

static void dump_data(struct dump_ctx *c, const uint8_t *buf, size_t len)
{
	struct nj2_header h;
	int r = nj2_header_decode(buf, len, &h);
	const uint8_t *payload = buf + NJ2_HEADER_SIZE;
	size_t plen;

	if (r < 0) {
		printf("  header: REJECTED (%s)\n", strerror(-r));
		return;
	}
	plen = h.packet_size - NJ2_HEADER_SIZE;
	printf("  %c/%c id=%u cycle=%u sub=%u/%u size=%u active=%u frames=%d%s\n",
	       (char)h.data_type, (char)h.stream, h.id, h.cycle, h.sub_cycle, h.num_packet,
	       h.packet_size, h.active_ports, h.frames, h.is_last ? " last" : "");
	switch ((enum nj2_data_type)h.data_type) {
	case NJ2_DATA_SYNC:
		dump_sync(&h, payload, plen);
		break;
	case NJ2_DATA_MIDI:
		if (h.sub_cycle == 0) {
			dump_midi(payload, plen, c->have_session ? c->session.period : 256);
		}
		break;
	case NJ2_DATA_AUDIO:
		if (c->quiet_audio || plen == 0) {
			break;
		}
		if (!c->have_session || c->session.encoder == NJ2_ENCODER_FLOAT) {
			dump_float(c, &h, payload, plen);
		} else {
			dump_stream_audio(&h, payload, plen);
		}
		break;
	}
}

static int dump_file(struct dump_ctx *c, const char *path)
{
	struct vec_file *f = vec_load_path(path);

	if (f == NULL) {
		return 1;
	}

	printf("== %s: %zu packets\n", path, f->n);
	for (size_t i = 0; i < f->n && (c->max_packets == 0 || i < c->max_packets); i++) {
		const struct vec_packet *p = &f->pkt[i];

		printf("#%u %s %zu bytes\n", p->index, p->dir, p->len);
		if (p->cycle < 0) {
			dump_params(c, p->data, p->len);
		} else {
			dump_data(c, p->data, p->len);
		}
	}
	vec_free(f);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: netjack-dump [OPTIONS] CAPTURE.hex...\n"
		     "Decode captured netJACK2 packets with libnetproto.\n\n"
		     "  -q, --quiet-audio   do not print audio samples\n"
		     "  -n, --max N         at most N packets per file\n"
		     "  -h, --help          this text\n"
		     "  -V, --version       print the version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"quiet-audio", no_argument, NULL, 'q'},
		{"max", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct dump_ctx c = {0};
	int o, rc = 0;

	while ((o = getopt_long(argc, argv, "qn:hV", opts, NULL)) != -1) {
		switch (o) {
		case 'q':
			c.quiet_audio = true;
			break;
		case 'n': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end != '\0' || end == optarg) {
				fprintf(stderr, "netjack-dump: --max: \"%s\" is not a number\n", optarg);
				return 2;
			}
			c.max_packets = (unsigned)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("netjack-dump %s\n", NETJACK_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		c.have_session = false;
		rc |= dump_file(&c, argv[i]);
	}
	return rc ? 1 : 0;
}
