/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pw-like-master: a netJACK2 master that behaves on the wire as PipeWire's
 * netjack2 manager does (NETJACK2-WIRE.md sections 2, 8 and 9), for the
 * slave's tests: Debian 12's PipeWire (0.3.65) has no netjack2 module.
 *
 * - one SLAVE_SETUP per slave, never repeated, with session ID 0 and its own
 *   MTU, encoder, rate and period whatever the slave asked; -1 channel
 *   counts become 2 audio and 1 MIDI (its defaults);
 * - fFrames = the period in every data packet, MIDI records announcing a
 *   buffer of P x 4 bytes, every port in its sync list and the slave's lists
 *   ignored (all ports sent);
 * - KILL_MASTER from the slave is ignored.
 *
 * It serves the first slave that announces itself, runs its own cycle clock
 * for SECONDS, sends seeded noise on every audio port and MIDI events (notes
 * and SysEx) on every MIDI port, and checks what comes back over the last
 * half of the run (the first is the slave's to settle: its bridge may prime
 * afresh with a wider jitter margin, which moves the delay): the audio of
 * each return period equal, bit for bit, to what it sent a constant number of
 * frames earlier (the slave host loops capture to playback), and every MIDI
 * event back at that same delay. It prints one JSON line and exits 0 when
 * every period of that half came back exact.
 *
 * Usage: pw-like-master [-a GROUP] [-p PORT] [-r RATE] [-P PERIOD]
 *                       [-m MTU] [-s SECONDS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
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

#define PROG "pw-like-master"
#define MAXCH 8
#define HIST 256 /* periods of sent audio kept */
#define MIDI_EVERY 10
#define BATCH 32

/* Seeded noise: the sample of channel @ch at frame @n, exactly representable. */
static float noise(unsigned ch, uint64_t n)
{
	uint64_t x = (n + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)(ch + 1) * 0xD1B54A32D192ED03ull;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return (float)((int)(x & 0xFFFF) - 32768) / 65536.0f;
}

struct state {
	struct nj2_params p;
	int fd;
	unsigned period, ach_send, ach_ret, mch_send, mch_ret;
	struct nj2_packer *tx;
	struct nj2_unpacker *rx;
	struct nj_rxsched sched;
	uint32_t cycle;
	uint32_t check_from;    /* our cycle where the checks begin */
	/* checking */
	long delay;             /* frames, -1 until found */
	uint64_t exact, bad, silent_before;
	uint64_t midi_sent, midi_back, midi_bad, midi_expected;
	float hist[MAXCH][HIST * 1024];
};

/* Wait up to @timeout_us for a params packet with @id on @fd. */
static int wait_params(int fd, int32_t id, struct nj2_params *ret, struct nj_sockaddr *from,
		       uint64_t timeout_us)
{
	uint64_t end = peer_mono_us() + timeout_us;
	uint8_t buf[NJ_MTU_MAX];
	struct nj_udp_msg m = {.buf = buf, .cap = sizeof(buf)};

	while (peer_mono_us() < end) {
		if (nj_udp_wait(fd, end - peer_mono_us()) <= 0 || nj_udp_recvv(fd, &m, 1) != 1) {
			continue;
		}
		if (m.len == NJ2_PARAMS_SIZE && nj2_params_decode(buf, m.len, ret) == 0 &&
		    ret->packet_id == id) {
			if (from != NULL) {
				*from = m.from;
			}
			return 0;
		}
	}
	return -ETIMEDOUT;
}

static const uint8_t sysex[] = {0xF0, 0x7D, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xF7};

/* One cycle out: noise on every audio port, a note and a SysEx now and then. */
static void send_cycle(struct state *s)
{
	static float bufs[MAXCH][8192];
	const float *audio[MAXCH];
	struct nj_midi_event ev[MAXCH][2];
	const struct nj_midi_event *midi[MAXCH];
	uint32_t midi_count[MAXCH];
	uint8_t note[3] = {0x90, 60, (uint8_t)(1 + s->cycle % 127)};
	struct nj2_cycle_in in = {.cycle = s->cycle, .we_want_n = s->ach_ret};
	const struct nj_datagram *dg;
	uint64_t base = (uint64_t)(s->cycle - 1) * s->period;
	unsigned n;

	for (unsigned c = 0; c < s->ach_send; c++) {
		for (unsigned i = 0; i < s->period; i++) {
			bufs[c][i] = noise(c, base + i);
		}
		memcpy(&s->hist[c][(base % ((uint64_t)HIST * s->period))], bufs[c],
		       sizeof(float) * s->period);
		audio[c] = bufs[c];
	}
	for (unsigned c = 0; c < s->mch_send; c++) {
		midi_count[c] = 0;
		if (s->cycle % MIDI_EVERY == 0) {
			ev[c][0] = (struct nj_midi_event){.time = 17, .size = 3, .data = note};
			ev[c][1] = (struct nj_midi_event){.time = s->period / 2, .size = sizeof(sysex),
							  .data = sysex};
			midi_count[c] = 2;
			s->midi_sent += 2;
		}
		midi[c] = ev[c];
	}
	in.audio = audio;
	in.midi = midi;
	in.midi_count = midi_count;
	if (nj2_packer_pack(s->tx, &in, &dg, &n) < 0) {
		return;
	}
	peer_send_as(s->fd, dg, n, (int32_t)s->period, -1); /* PipeWire: the real count */
}

/* The audio of return cycle @rc (taken at our cycle s->cycle) against what we sent. */
static void check_return(struct state *s, const struct nj2_cycle_out *out)
{
	uint64_t now_end = (uint64_t)s->cycle * s->period; /* frames sent so far */
	uint64_t span = (uint64_t)HIST * s->period;
	bool silent = true;

	for (unsigned c = 0; c < s->ach_ret && silent; c++) {
		for (unsigned i = 0; i < s->period && silent; i++) {
			silent = out->audio[c][i] == 0.0f;
		}
	}
	if (s->delay < 0) {
		if (silent || !out->complete) {
			s->silent_before++;
			return;
		}
		/* find where the first returned frame was sent */
		for (uint64_t d = 1; d < span - s->period && s->delay < 0; d++) {
			uint64_t at = now_end - d;
			bool ok = d <= now_end;

			for (unsigned i = 0; ok && i < 16; i++) {
				ok = out->audio[0][i] == s->hist[0][(at + i) % span];
			}
			if (ok) {
				s->delay = (long)d;
			}
		}
		if (s->delay < 0) {
			s->bad++;
			return;
		}
	}
	{
		uint64_t at = now_end - (uint64_t)s->delay;
		bool ok = out->complete;

		for (unsigned c = 0; ok && c < s->ach_ret && c < s->ach_send; c++) {
			for (unsigned i = 0; ok && i < s->period; i++) {
				ok = out->audio[c][i] == s->hist[c][(at + i) % span];
			}
		}
		if (ok) {
			s->exact++;
		} else {
			s->bad++;
		}
	}
	/* MIDI: each event at its offset within the looped period, none missing */
	{
		uint64_t lo = now_end - (uint64_t)s->delay;

		for (uint64_t cyc = lo / s->period + 1; cyc <= lo / s->period + 2; cyc++) {
			const uint64_t offs[2] = {17, s->period / 2};

			for (unsigned j = 0; cyc % MIDI_EVERY == 0 && j < 2; j++) {
				uint64_t pos = (cyc - 1) * s->period + offs[j];

				if (pos >= lo && pos < lo + s->period) {
					s->midi_expected += s->mch_ret < s->mch_send ? s->mch_ret
										    : s->mch_send;
				}
			}
		}
	}
	for (unsigned c = 0; c < s->mch_ret && c < s->mch_send; c++) {
		for (uint32_t k = 0; k < out->midi_count[c]; k++) {
			const struct nj_midi_event *e = &out->midi[c][k];
			uint64_t sent_at = now_end - (uint64_t)s->delay + e->time;
			uint64_t cyc = sent_at / s->period + 1, off = sent_at % s->period;
			bool ok = cyc % MIDI_EVERY == 0 &&
				  ((e->size == 3 && off == 17 && e->data[0] == 0x90 &&
				    e->data[2] == (uint8_t)(1 + cyc % 127)) ||
				   (e->size == sizeof(sysex) && off == s->period / 2 &&
				    memcmp(e->data, sysex, sizeof(sysex)) == 0));

			s->midi_back++;
			s->midi_bad += !ok;
		}
	}
}

static void drain(struct state *s)
{
	static uint8_t bufs[BATCH][NJ_MTU_MAX];
	struct nj_udp_msg msgs[BATCH];
	int n;

	for (int i = 0; i < BATCH; i++) {
		msgs[i] = (struct nj_udp_msg){.buf = bufs[i], .cap = sizeof(bufs[i])};
	}
	while ((n = nj_udp_recvv(s->fd, msgs, BATCH)) > 0) {
		for (int i = 0; i < n; i++) {
			/* KILL_MASTER and other params: ignored, as PipeWire's manager does */
			if (msgs[i].len != NJ2_PARAMS_SIZE) {
				nj2_unpacker_push(s->rx, msgs[i].buf, msgs[i].len, NULL);
			}
		}
	}
}

int main(int argc, char **argv)
{
	const char *group = "225.3.19.154";
	int port = 19000, c, lfd;
	unsigned rate = 48000, period = 256, mtu = 1400, seconds = 6;
	struct nj_sockaddr grp, any, slave;
	struct nj_udp_opts o;
	struct nj2_params offer;
	struct nj2_cycle_config cc = {0};
	static struct state s;
	struct sched_param sp = {.sched_priority = 70};
	uint64_t next, period_ns, cycles;

	while ((c = getopt(argc, argv, "a:p:r:P:m:s:")) != -1) {
		switch (c) {
		case 'a': group = optarg; break;
		case 'p': port = peer_number(PROG, "-p", optarg, 1, 65535); break;
		case 'r': rate = (unsigned)peer_number(PROG, "-r", optarg, 8000, 192000); break;
		case 'P': period = (unsigned)peer_number(PROG, "-P", optarg, 16, 8192); break;
		case 'm': mtu = (unsigned)peer_number(PROG, "-m", optarg, 256, 9000); break;
		case 's': seconds = (unsigned)peer_number(PROG, "-s", optarg, 1, 3600); break;
		default: return 2;
		}
	}
	if (period > 1024) {
		fprintf(stderr, PROG ": -P: at most 1024 frames here\n");
		return 2;
	}
	if (nj_sockaddr_parse(group, (uint16_t)port, &grp) < 0 ||
	    nj_sockaddr_parse("0.0.0.0", (uint16_t)port, &any) < 0) {
		fprintf(stderr, PROG ": -a: \"%s\" is not an address\n", group);
		return 2;
	}
	nj_udp_opts_init(&o, AF_INET);
	o.bind = &any;
	o.reuse_addr = true;
	o.join = &grp;
	lfd = nj_udp_open(&o);
	if (lfd < 0) {
		fprintf(stderr, PROG ": listen socket: %s\n", strerror(-lfd));
		return 1;
	}
	if (wait_params(lfd, NJ2_SLAVE_AVAILABLE, &offer, &slave, 30000000) < 0) {
		fprintf(stderr, PROG ": no slave announced itself in 30 s\n");
		return 1;
	}
	/* SLAVE_SETUP, once, from a socket of this session: our settings win */
	s.p = offer;
	s.p.packet_id = NJ2_SLAVE_SETUP;
	s.p.id = 0;
	s.p.mtu = mtu;
	s.p.encoder = NJ2_ENCODER_FLOAT;
	s.p.kbps = 0;
	s.p.sample_rate = rate;
	s.p.period = period;
	gethostname(s.p.master_name, sizeof(s.p.master_name) - 1);
	s.p.send_audio = s.p.send_audio < 0 ? 2 : s.p.send_audio;
	s.p.return_audio = s.p.return_audio < 0 ? 2 : s.p.return_audio;
	s.p.send_midi = s.p.send_midi < 0 ? 1 : s.p.send_midi;
	s.p.return_midi = s.p.return_midi < 0 ? 1 : s.p.return_midi;
	s.p.has_master_ext = false;
	if (s.p.send_audio > MAXCH || s.p.return_audio > MAXCH || s.p.send_midi > MAXCH ||
	    s.p.return_midi > MAXCH) {
		fprintf(stderr, PROG ": at most %d channels per kind\n", MAXCH);
		return 2;
	}
	nj_udp_opts_init(&o, AF_INET);
	o.dscp = 34;
	s.fd = nj_udp_open(&o);
	if (s.fd < 0 || peer_send_params(s.fd, &s.p, &slave) < 0) {
		fprintf(stderr, PROG ": cannot send SLAVE_SETUP\n");
		return 1;
	}
	if (wait_params(s.fd, NJ2_START_MASTER, &offer, NULL, 5000000) < 0) {
		fprintf(stderr, PROG ": no START_MASTER within 5 s of the one SLAVE_SETUP\n");
		return 1;
	}
	nj_udp_connect(s.fd, &slave);
	printf(PROG ": serving \"%s\" as id 0: %u Hz, period %u, MTU %u, float, audio %d/%d, "
	       "MIDI %d/%d, latency %u\n",
	       s.p.name, rate, period, mtu, s.p.send_audio, s.p.return_audio, s.p.send_midi,
	       s.p.return_midi, s.p.latency);
	fflush(stdout);

	s.period = period;
	s.ach_send = (unsigned)s.p.send_audio;
	s.ach_ret = (unsigned)s.p.return_audio;
	s.mch_send = (unsigned)s.p.send_midi;
	s.mch_ret = (unsigned)s.p.return_midi;
	s.delay = -1;
	cc = (struct nj2_cycle_config){.stream = NJ2_STREAM_SEND, .id = 0, .period = period,
				      .mtu = mtu, .encoder = NJ2_ENCODER_FLOAT,
				      .audio_channels = s.ach_send, .midi_channels = s.mch_send,
				      .midi_max_events = 64, .midi_buffer_size = period * 4,
				      .slots = 16};
	if (nj2_packer_new(&cc, &s.tx) < 0) {
		fprintf(stderr, PROG ": packer\n");
		return 1;
	}
	cc.stream = NJ2_STREAM_RETURN;
	cc.audio_channels = s.ach_ret;
	cc.midi_channels = s.mch_ret;
	if (nj2_unpacker_new(&cc, &s.rx) < 0) {
		fprintf(stderr, PROG ": unpacker\n");
		return 1;
	}
	nj_rxsched_init(&s.sched, s.p.latency);
	sched_setscheduler(0, SCHED_FIFO, &sp); /* best effort */

	period_ns = (uint64_t)period * 1000000000u / rate;
	cycles = (uint64_t)seconds * rate / period;
	s.check_from = (uint32_t)(cycles / 2);
	next = peer_mono_us() * 1000u;
	for (uint64_t k = 0; k < cycles; k++) {
		struct timespec ts;
		struct nj2_cycle_out out;
		uint32_t rc;

		next += period_ns;
		ts.tv_sec = (time_t)(next / 1000000000u);
		ts.tv_nsec = (long)(next % 1000000000u);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		s.cycle++;
		send_cycle(&s);
		drain(&s);
		if (nj_rxsched_pick(&s.sched, s.cycle, s.rx, &rc) &&
		    nj2_unpacker_take(s.rx, rc, &out) == 0 && s.cycle >= s.check_from) {
			check_return(&s, &out);
		}
	}
	printf("{\"cycles\": %llu, \"delay\": %ld, \"exact_periods\": %llu, \"bad_periods\": %llu, "
	       "\"silent_first\": %llu, \"midi_sent\": %llu, \"midi_expected\": %llu, "
	       "\"midi_back\": %llu, "
	       "\"midi_bad\": %llu, \"lost\": %llu, \"malformed\": %llu}\n",
	       (unsigned long long)cycles, s.delay, (unsigned long long)s.exact,
	       (unsigned long long)s.bad, (unsigned long long)s.silent_before,
	       (unsigned long long)s.midi_sent, (unsigned long long)s.midi_expected,
	       (unsigned long long)s.midi_back,
	       (unsigned long long)s.midi_bad, (unsigned long long)nj2_unpacker_stats(s.rx)->lost,
	       (unsigned long long)nj2_unpacker_stats(s.rx)->malformed);
	nj2_packer_free(s.tx);
	nj2_unpacker_free(s.rx);
	close(s.fd);
	close(lfd);
	return s.delay >= 0 && s.bad == 0 && s.exact > cycles / 3 && s.midi_bad == 0 &&
			       s.midi_back == s.midi_expected && (s.mch_ret == 0 || s.midi_back > 0)
		       ? 0
		       : 1;
}
