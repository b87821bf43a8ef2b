/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-cycle.c - the reassembler fed arbitrary datagrams.
 *
 * The first 8 input bytes choose the configuration (encoder, direction,
 * channels, MIDI ports, period, MTU, slots, Opus stream length); the rest is
 * a script of records: a 16-bit big-endian word, then
 *   w < 0x8000: a datagram of w & 0x7ff bytes (its first 48 bytes get the
 *     "header" type string, our ID and stream unless bit 0x800 is set, so
 *     most inputs reach the payload checks);
 *   w >= 0x8000: take cycle (w & 0x7fff), or with bit 0x4000 ask the
 *     receive scheduler which cycle to take at master cycle (w & 0x3fff).
 * Every datagram goes through nj2_relabel_packet() first, as on the master
 * (arrival: the last master cycle asked about), so a zero-cycle sync turns
 * the numbering by arrival on.
 * Every output of a take is read in full so that the sanitizers see bad
 * pointers and lengths.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libnetproto/cycle.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A codec stand-in that reads its stream the way a real decoder would. */
static int fz_encode(void *ctx, unsigned ch, const float *in, uint8_t *stream)
{
	return -1;
}

static int fz_decode(void *ctx, unsigned ch, const uint8_t *stream, float *out)
{
	const struct nj_codec_ops *ops = ctx;
	unsigned len;

	if (stream == NULL) {
		return 0;
	}
	len = (unsigned)stream[0] << 8 | stream[1];
	if (len > ops->stream_len - 2) {
		return -1;
	}
	/* Touch every byte the length claims, as a decoder would. */
	for (unsigned i = 0; i < len; i++) {
		out[0] += stream[2 + i];
	}
	return 0;
}

static volatile float sink;

static void consume(const struct nj2_cycle_config *cfg, const struct nj2_cycle_out *out)
{
	float acc = 0;

	for (unsigned ch = 0; ch < cfg->audio_channels; ch++) {
		for (unsigned i = 0; i < cfg->period; i++) {
			acc += out->audio[ch][i];
		}
	}
	for (unsigned r = 0; r < out->nmissing; r++) {
		acc += (float)(out->missing[r].start + out->missing[r].len);
	}
	for (unsigned p = 0; p < cfg->midi_channels; p++) {
		for (uint32_t e = 0; e < out->midi_count[p]; e++) {
			const struct nj_midi_event *ev = &out->midi[p][e];

			for (uint32_t b = 0; b < ev->size; b++) {
				acc += ev->data[b];
			}
			acc += (float)ev->time;
		}
	}
	sink = acc;
}

static const unsigned periods[] = {16, 32, 64, 128, 256, 480, 1024, 4096};
static const unsigned mtus[] = {256, 300, 576, 1500, 9000};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nj_codec_ops ops = {fz_encode, fz_decode, 0};
	struct nj2_cycle_config cfg;
	struct nj2_unpacker *u;
	struct nj_rxsched rs;
	struct nj2_relabel rl;
	uint32_t t = 1;
	uint8_t pkt[2048];
	size_t pos = 8;

	if (size < 8) {
		return 0;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.encoder = (enum nj2_encoder[]){NJ2_ENCODER_FLOAT, NJ2_ENCODER_INT16, NJ2_ENCODER_OPUS,
					  NJ2_ENCODER_FLOAT}[data[0] & 3];
	cfg.stream = data[0] & 4 ? NJ2_STREAM_RETURN : NJ2_STREAM_SEND;
	cfg.id = 1;
	cfg.audio_channels = data[1] % 17;
	cfg.midi_channels = data[2] % 5;
	cfg.period = periods[data[3] % 8];
	cfg.mtu = mtus[data[4] % 5];
	cfg.slots = 2 + data[5] % 8;
	cfg.midi_max_events = 1 + data[6] % 64;
	ops.stream_len = 3 + (unsigned)data[7] * 4;
	cfg.codec = &ops;
	cfg.codec_ctx = &ops;
	if (nj2_unpacker_new(&cfg, &u) < 0) {
		return 0;
	}
	nj_rxsched_init(&rs, data[5] >> 4);
	nj2_relabel_init(&rl);
	while (pos + 2 <= size) {
		unsigned w = (unsigned)data[pos] << 8 | data[pos + 1];
		struct nj2_cycle_out out;
		uint32_t c;

		pos += 2;
		if (w & 0x8000) {
			if (!(w & 0x4000)) {
				c = w & 0x7fff;
			} else {
				t = w & 0x3fff;
				if (!nj_rxsched_pick(&rs, t, u, &c)) {
					continue;
				}
			}
			nj2_unpacker_complete(u, c);
			if (nj2_unpacker_take(u, c, &out) == 0) {
				consume(&cfg, &out);
			}
			continue;
		}
		{
			size_t len = w & 0x7ff;

			if (len > size - pos) {
				len = size - pos;
			}
			memcpy(pkt, data + pos, len);
			pos += len;
			if (!(w & 0x800) && len >= 48) {
				memcpy(pkt, "header", 7);
				pkt[16] = pkt[17] = pkt[18] = 0;
				pkt[19] = 1;
				pkt[12] = pkt[13] = pkt[14] = 0;
				pkt[15] = (uint8_t)cfg.stream;
			}
			if (nj2_relabel_packet(&rl, pkt, len, cfg.id, t)) {
				nj2_unpacker_push(u, pkt, len, &c);
			}
		}
	}
	nj2_unpacker_stats(u);
	nj2_unpacker_free(u);
	return 0;
}
