/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netone-wire.c - the netone header, the session a slave takes from it, the
 * big packet's sizes and fragments, and the PCM sample encodings
 * (doc/protocol/NETONE.md sections 2-4).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <libnetproto/netone.h>
#include <libnetproto/wire.h>

#include "netone-private.h"

int nj1_header_encode(const struct nj1_header *h, uint8_t *buf, size_t len)
{
	if (h == NULL || buf == NULL) {
		return -EINVAL;
	}
	if (len < NJ1_HEADER_SIZE) {
		return -ENOBUFS;
	}
	/* field by field, in wire order, every one big-endian (jack2 htonl()s all 14) */
	nj_put_be32(buf + 0, h->capture_audio);
	nj_put_be32(buf + 4, h->playback_audio);
	nj_put_be32(buf + 8, h->capture_midi);
	nj_put_be32(buf + 12, h->playback_midi);
	nj_put_be32(buf + 16, h->period);
	nj_put_be32(buf + 20, h->rate);
	nj_put_be32(buf + 24, h->sync_state);
	nj_put_be32(buf + 28, h->transport_frame);
	nj_put_be32(buf + 32, h->transport_state);
	nj_put_be32(buf + 36, h->framecnt);
	nj_put_be32(buf + 40, h->latency);
	nj_put_be32(buf + 44, h->reply_port);
	nj_put_be32(buf + 48, h->mtu);
	nj_put_be32(buf + 52, h->fragment);
	return NJ1_HEADER_SIZE;
}

int nj1_header_decode(const uint8_t *buf, size_t len, struct nj1_header *ret_h)
{
	/* jack2 reads framecnt and fragment_nr of a shorter datagram from stale memory */
	if (buf == NULL || ret_h == NULL || len < NJ1_HEADER_SIZE) {
		return -EBADMSG;
	}
	ret_h->capture_audio = nj_get_be32(buf + 0);
	ret_h->playback_audio = nj_get_be32(buf + 4);
	ret_h->capture_midi = nj_get_be32(buf + 8);
	ret_h->playback_midi = nj_get_be32(buf + 12);
	ret_h->period = nj_get_be32(buf + 16);
	ret_h->rate = nj_get_be32(buf + 20);
	ret_h->sync_state = nj_get_be32(buf + 24);
	ret_h->transport_frame = nj_get_be32(buf + 28);
	ret_h->transport_state = nj_get_be32(buf + 32);
	ret_h->framecnt = nj_get_be32(buf + 36);
	ret_h->latency = nj_get_be32(buf + 40);
	ret_h->reply_port = nj_get_be32(buf + 44);
	ret_h->mtu = nj_get_be32(buf + 48);
	ret_h->fragment = nj_get_be32(buf + 52);
	return 0;
}

static bool in_range(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v >= lo && v <= hi;
}

int nj1_session_from_header(const struct nj1_header *h, struct nj1_session *ret_s)
{
	size_t down, up;

	/*
	 * jack2's AutoConfig checks only capture x P x L x 4 <= 10^8 (a 32-bit
	 * product that can wrap), playback <= 1000, MTU >= 112 and rate != 0,
	 * and exit()s on failure. Here every value is bounded, and so is the
	 * memory it makes us allocate: both directions' packets as float (the
	 * largest PCM encoding) within NJ1_PACKET_MAX.
	 */
	if (h == NULL || ret_s == NULL || h->capture_audio > NJ1_MAX_CHANNELS ||
	    h->capture_midi > NJ1_MAX_CHANNELS || h->playback_audio > NJ1_MAX_CHANNELS ||
	    h->playback_midi > NJ1_MAX_CHANNELS ||
	    !in_range(h->period, NJ1_PERIOD_MIN, NJ1_PERIOD_MAX) ||
	    !in_range(h->rate, NJ1_RATE_MIN, NJ1_RATE_MAX) ||
	    !in_range(h->mtu, NJ1_MTU_MIN, NJ1_MTU_MAX) || h->latency > NJ1_MAX_LATENCY) {
		return -EBADMSG;
	}
	down = nj1_packet_size(4 * h->period, h->capture_audio + h->capture_midi);
	up = nj1_packet_size(4 * h->period, h->playback_audio + h->playback_midi);
	if (down == 0 || up == 0 || down > NJ1_PACKET_MAX || up > NJ1_PACKET_MAX) {
		return -EBADMSG;
	}
	ret_s->rate = h->rate;
	ret_s->period = h->period;
	ret_s->mtu = h->mtu;
	ret_s->latency = h->latency;
	ret_s->down_audio = h->capture_audio;
	ret_s->down_midi = h->capture_midi;
	ret_s->up_audio = h->playback_audio;
	ret_s->up_midi = h->playback_midi;
	return 0;
}

void nj1_header_from_session(const struct nj1_session *s, struct nj1_header *ret_h)
{
	memset(ret_h, 0, sizeof(*ret_h));
	ret_h->capture_audio = s->down_audio;
	ret_h->playback_audio = s->up_audio;
	ret_h->capture_midi = s->down_midi;
	ret_h->playback_midi = s->up_midi;
	ret_h->period = s->period;
	ret_h->rate = s->rate;
	ret_h->latency = s->latency;
	ret_h->mtu = s->mtu;
}

unsigned nj1_block_size(enum nj1_mode mode, unsigned period, unsigned rate, unsigned kbps)
{
	uint32_t n;

	if (!in_range(period, NJ1_PERIOD_MIN, NJ1_PERIOD_MAX) ||
	    !in_range(rate, NJ1_RATE_MIN, NJ1_RATE_MAX)) {
		return 0;
	}
	switch (mode) {
	case NJ1_MODE_FLOAT:
		return 4 * period;
	case NJ1_MODE_INT16:
		return 2 * period;
	case NJ1_MODE_INT8:
		return period;
	case NJ1_MODE_OPUS:
		if (kbps == 0 || kbps > NJ1_KBPS_MAX || period > NJ1_OPUS_PERIOD_MAX) {
			return 0;
		}
		/* jack2: (kbps * P * 1024 / rate / 8) & ~1 in 32-bit unsigned; the
		 * bounds above keep the product from wrapping */
		n = ((uint32_t)kbps * period * 1024u / rate / 8u) & ~1u;
		return n >= 4 ? n : 0;
	case NJ1_MODE_CELT:
		return 0;
	}
	return 0;
}

size_t nj1_packet_size(unsigned block, unsigned channels)
{
	size_t m, r;

	if (__builtin_mul_overflow((size_t)block, (size_t)channels, &m) ||
	    __builtin_add_overflow(m, (size_t)NJ1_HEADER_SIZE, &r)) {
		return 0;
	}
	return r;
}

unsigned nj1_fragment_count(size_t packet_size, unsigned mtu)
{
	size_t f = (size_t)mtu - NJ1_HEADER_SIZE, n;

	if (mtu < NJ1_MTU_MIN || packet_size < NJ1_HEADER_SIZE) {
		return 0;
	}
	/* jack2's netjack_sendto: as is when it fits, else full fragments and a rest */
	if (packet_size <= mtu) {
		return 1;
	}
	n = (packet_size - NJ1_HEADER_SIZE + f - 1) / f;
	return n > 0xFFFFFFFFu ? 0 : (unsigned)n;
}

size_t nj1_fragment_len(size_t packet_size, unsigned mtu, unsigned k)
{
	unsigned n = nj1_fragment_count(packet_size, mtu);
	size_t f = (size_t)mtu - NJ1_HEADER_SIZE;

	if (n == 0 || k >= n) {
		return 0;
	}
	if (n == 1) {
		return packet_size;
	}
	return k + 1 < n ? mtu : NJ1_HEADER_SIZE + (packet_size - NJ1_HEADER_SIZE) - (size_t)k * f;
}

/* Clip to [-1, 1]; NaN is silence. jack2 casts out-of-range values (undefined). */
static double clip(float x)
{
	if (isnan(x)) {
		return 0.0;
	}
	return x > 1.0f ? 1.0 : x < -1.0f ? -1.0 : (double)x;
}

int nj1_audio_encode(enum nj1_mode mode, const float *in, unsigned n, uint8_t *out)
{
	uint32_t bits;

	switch (mode) {
	case NJ1_MODE_FLOAT:
		for (unsigned i = 0; i < n; i++) {
			float x = in ? in[i] : 0.0f;

			memcpy(&bits, &x, sizeof(bits));
			nj_put_be32(out + 4 * i, bits);
		}
		return (int)(4 * n);
	case NJ1_MODE_INT16:
		for (unsigned i = 0; i < n; i++) {
			/* jack2: (uint16_t)((x + 1.0) * 32767.0), in double, truncated */
			uint16_t v = (uint16_t)((clip(in ? in[i] : 0.0f) + 1.0) * 32767.0);

			out[2 * i] = (uint8_t)(v >> 8);
			out[2 * i + 1] = (uint8_t)v;
		}
		return (int)(2 * n);
	case NJ1_MODE_INT8:
		for (unsigned i = 0; i < n; i++) {
			/* jack2: (int8_t)(x * 127.0), truncated toward zero */
			int8_t s = (int8_t)(clip(in ? in[i] : 0.0f) * 127.0);

			out[i] = (uint8_t)s;
		}
		return (int)n;
	case NJ1_MODE_OPUS:
	case NJ1_MODE_CELT:
		break;
	}
	return -EINVAL;
}

int nj1_audio_decode(enum nj1_mode mode, const uint8_t *in, unsigned n, float *out)
{
	uint32_t bits;

	switch (mode) {
	case NJ1_MODE_FLOAT:
		for (unsigned i = 0; i < n; i++) {
			bits = nj_get_be32(in + 4 * i);
			memcpy(&out[i], &bits, sizeof(bits));
		}
		return 0;
	case NJ1_MODE_INT16:
		for (unsigned i = 0; i < n; i++) {
			unsigned v = (unsigned)in[2 * i] << 8 | in[2 * i + 1];

			out[i] = (float)((double)v / 32768.0 - 1.0);
		}
		return 0;
	case NJ1_MODE_INT8:
		for (unsigned i = 0; i < n; i++) {
			out[i] = (float)((double)(int8_t)in[i] / 127.0);
		}
		return 0;
	case NJ1_MODE_OPUS:
	case NJ1_MODE_CELT:
		break;
	}
	return -EINVAL;
}

int nj1_layout_of(const struct nj1_stream_config *cfg, struct nj1_layout *ret)
{
	struct nj1_layout l;

	if (cfg == NULL || ret == NULL) {
		return -EINVAL;
	}
	if (cfg->mode == NJ1_MODE_CELT) {
		return -EOPNOTSUPP;
	}
	memset(&l, 0, sizeof(l));
	l.block = nj1_block_size(cfg->mode, cfg->period, cfg->rate, cfg->kbps);
	l.channels = cfg->audio_channels + cfg->midi_channels;
	if (l.block == 0 || cfg->audio_channels > NJ1_MAX_CHANNELS ||
	    cfg->midi_channels > NJ1_MAX_CHANNELS ||
	    !in_range(cfg->mtu, NJ1_MTU_MIN, NJ1_MTU_MAX) || cfg->redundancy > NJ1_MAX_REDUNDANCY) {
		return -EINVAL;
	}
	if (cfg->mode == NJ1_MODE_OPUS && cfg->audio_channels > 0 &&
	    (cfg->codec == NULL || cfg->codec->encode == NULL || cfg->codec->decode == NULL ||
	     cfg->codec->stream_len != l.block)) {
		return -EINVAL;
	}
	l.packet = nj1_packet_size(l.block, l.channels);
	if (l.packet == 0 || l.packet > NJ1_PACKET_MAX) {
		return -EINVAL;
	}
	l.payload = l.packet - NJ1_HEADER_SIZE;
	l.frag_payload = cfg->mtu - NJ1_HEADER_SIZE;
	l.fragments = nj1_fragment_count(l.packet, cfg->mtu);
	if (l.fragments == 0) {
		return -EINVAL;
	}
	*ret = l;
	return 0;
}
