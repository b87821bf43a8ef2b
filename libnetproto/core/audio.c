/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * audio.c - audio payload layouts and the float / int16 / byte-stream codecs
 * (NETJACK2-WIRE.md section 7).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <libnetproto/audio.h>

unsigned nj2_float_subperiod(unsigned mtu, unsigned active, unsigned period)
{
	unsigned budget, per_port, s = 1;

	if (active == 0) {
		return period;
	}
	if (mtu <= NJ2_UDP_RESERVE + NJ2_HEADER_SIZE) {
		return 0;
	}
	budget = nj2_payload_budget(mtu);
	/* jack2 computes 2^floor(log2(budget / (4 * active))) with float logs;
	 * the integer form gives the same value for every MTU 200..9000. Below one
	 * frame jack2 would divide by zero: report 0 so callers refuse. */
	per_port = budget / (4 * active);
	if (per_port == 0) {
		return 0;
	}
	while (s <= per_port / 2) {
		s *= 2;
	}
	return s < period ? s : period;
}

unsigned nj2_float_packets(unsigned mtu, unsigned active, unsigned period)
{
	unsigned s;

	if (active == 0) {
		return 1; /* one header-only packet */
	}
	s = nj2_float_subperiod(mtu, active, period);
	return s ? period / s : 0;
}

unsigned nj2_stream_layout(unsigned mtu, unsigned channels, unsigned stream_len,
			  unsigned *ret_chunk)
{
	unsigned long long total, n;
	unsigned budget;

	if (channels == 0 || stream_len == 0 || mtu <= NJ2_UDP_RESERVE + NJ2_HEADER_SIZE) {
		return 0;
	}
	budget = nj2_payload_budget(mtu);
	total = (unsigned long long)channels * stream_len;
	n = (total + budget - 1) / budget;
	if (n == 0 || n > NJ2_MAX_PACKETS_PER_CYCLE || stream_len / n == 0) {
		return 0;
	}
	if (ret_chunk != NULL) {
		*ret_chunk = (unsigned)(stream_len / n);
	}
	return (unsigned)n;
}

static unsigned ceil_div_at_least_one(size_t d, unsigned chunk)
{
	size_t n = (d + chunk - 1) / chunk;

	return n == 0 ? 1 : (unsigned)n;
}

unsigned nj2_midi_packets_send(unsigned mtu, size_t d)
{
	return ceil_div_at_least_one(d, nj2_midi_chunk(mtu));
}

unsigned nj2_midi_packets_jack2(unsigned mtu, size_t d)
{
	return ceil_div_at_least_one(d, nj2_payload_budget(mtu));
}

/* Packets per cycle for @channels of audio in one direction, 0 if impossible. */
static unsigned audio_packets(const struct nj2_params *p, unsigned channels)
{
	unsigned mtu = nj2_params_layout_mtu(p);

	switch ((enum nj2_encoder)p->encoder) {
	case NJ2_ENCODER_FLOAT:
		/* Worst case: every port active. */
		return nj2_float_packets(mtu, channels, p->period);
	case NJ2_ENCODER_INT16:
		return nj2_stream_layout(mtu, channels, nj2_int16_stream_len(p->period), NULL);
	case NJ2_ENCODER_OPUS: {
		/* jack2's per-port budget B; the codec module checks the mode itself. */
		unsigned long long b = (unsigned long long)p->kbps * 1024 * p->period /
				       ((unsigned long long)p->sample_rate * 8);

		if (b == 0 || b > 65535) {
			return 0;
		}
		return nj2_stream_layout(mtu, channels, (unsigned)b + 2, NULL);
	}
	case NJ2_ENCODER_CELT:
		return 0;
	}
	return 0;
}

int nj2_params_check_session(const struct nj2_params *p)
{
	const int32_t counts[4] = {p->send_audio, p->return_audio, p->send_midi, p->return_midi};

	for (unsigned i = 0; i < 4; i++) {
		if (counts[i] < 0 || counts[i] > NJ_MAX_CHANNELS) {
			return -EINVAL;
		}
	}
	if (p->sample_rate == 0 || p->sample_rate > NJ_RATE_MAX || p->period < NJ_PERIOD_MIN ||
	    p->period > NJ_PERIOD_MAX || p->mtu < NJ_MTU_MIN || p->mtu > NJ_MTU_MAX ||
	    p->latency > NJ_MAX_LATENCY) {
		return -EINVAL;
	}
	if (p->encoder > NJ2_ENCODER_OPUS) {
		return -EINVAL;
	}
	for (unsigned dir = 0; dir < 2; dir++) {
		unsigned ch = (unsigned)counts[dir];

		if (ch > 0 && audio_packets(p, ch) == 0) {
			return -EINVAL;
		}
	}
	return 0;
}

int nj2_float_encode(uint8_t *buf, size_t len, const float *const *ports, const uint32_t *index,
		    unsigned nactive, unsigned sub, unsigned S)
{
	size_t need = (size_t)nactive * (4 + 4 * (size_t)S);
	uint8_t *w = buf;

	if (buf == NULL || (nactive > 0 && (ports == NULL || index == NULL)) || S == 0) {
		return -EINVAL;
	}
	if (need > len) {
		return -ENOBUFS;
	}
	for (unsigned i = 0; i < nactive; i++) {
		const float *x = ports[i] + (size_t)sub * S;

		nj_put_be32(w, index[i]);
		w += 4;
		for (unsigned k = 0; k < S; k++) {
			uint32_t bits;

			/* Samples go little-endian, as jack2 writes them on every
			 * host that matters (it swaps only on big-endian builds). */
			memcpy(&bits, &x[k], 4);
			nj_put_le32(w, bits);
			w += 4;
		}
	}
	return (int)need;
}

int nj2_float_decode(const uint8_t *payload, size_t len, uint32_t active, uint32_t sub,
		    unsigned period, float *const *ports, unsigned nports,
		    struct nj_portset *ret_present)
{
	size_t per_port, s;

	if (ports == NULL && nports > 0) {
		return -EINVAL;
	}
	if (active == 0 || active > nports || payload == NULL || len % active != 0) {
		return -EBADMSG;
	}
	/* S from the size, so jack2's and PipeWire's sub-period rules both work. */
	per_port = len / active;
	if (per_port < 8 || (per_port - 4) % 4 != 0) {
		return -EBADMSG;
	}
	s = (per_port - 4) / 4;
	if (s > period || (size_t)sub >= period / s || ((size_t)sub + 1) * s > period) {
		return -EBADMSG;
	}
	/* Check every index before writing anything. */
	for (uint32_t i = 0; i < active; i++) {
		if (nj_get_be32(payload + i * per_port) >= nports) {
			return -EBADMSG;
		}
	}
	for (uint32_t i = 0; i < active; i++) {
		const uint8_t *r = payload + i * per_port;
		uint32_t port = nj_get_be32(r);
		float *x = ports[port] + (size_t)sub * s;

		r += 4;
		for (size_t k = 0; k < s; k++) {
			uint32_t bits = nj_get_le32(r + 4 * k);

			memcpy(&x[k], &bits, 4);
		}
		if (ret_present != NULL) {
			nj_portset_add(ret_present, port);
		}
	}
	return (int)s;
}

void nj2_int16_from_float(uint8_t *stream, const float *samples, unsigned frames)
{
	for (unsigned i = 0; i < frames; i++) {
		float x = samples[i];
		int16_t v;

		/* jack2 truncates (short)(x * 32767) without clipping, which is
		 * undefined out of range; clip first, then truncate the same way. */
		if (!(x >= -1.0f)) { /* also catches NaN */
			x = x != x ? 0.0f : -1.0f;
		} else if (x > 1.0f) {
			x = 1.0f;
		}
		v = (int16_t)(x * 32767.0f);
		stream[2 * i] = (uint8_t)((uint16_t)v & 0xFF);
		stream[2 * i + 1] = (uint8_t)((uint16_t)v >> 8);
	}
}

void nj2_int16_to_float(float *samples, const uint8_t *stream, unsigned frames)
{
	for (unsigned i = 0; i < frames; i++) {
		int16_t v = (int16_t)(uint16_t)(stream[2 * i] | (stream[2 * i + 1] << 8));

		samples[i] = (float)v / 32767.0f;
	}
}

int nj2_stream_encode(uint8_t *buf, size_t len, unsigned mtu, const uint8_t *const *streams,
		     unsigned channels, unsigned stream_len, unsigned k)
{
	unsigned chunk, n = nj2_stream_layout(mtu, channels, stream_len, &chunk);
	unsigned clen;
	size_t need;

	if (buf == NULL || streams == NULL || n == 0 || k >= n) {
		return -EINVAL;
	}
	clen = nj2_stream_chunk_len(stream_len, n, chunk, k);
	need = (size_t)channels * clen;
	if (need > len) {
		return -ENOBUFS;
	}
	for (unsigned i = 0; i < channels; i++) {
		memcpy(buf + (size_t)i * clen, streams[i] + (size_t)k * chunk, clen);
	}
	return (int)need;
}

int nj2_stream_decode(const uint8_t *payload, size_t len, unsigned mtu, unsigned channels,
		     unsigned stream_len, unsigned k, uint8_t *const *streams)
{
	unsigned chunk, n = nj2_stream_layout(mtu, channels, stream_len, &chunk);
	unsigned clen;

	if (streams == NULL) {
		return -EINVAL;
	}
	if (n == 0 || k >= n || payload == NULL) {
		return -EBADMSG;
	}
	clen = nj2_stream_chunk_len(stream_len, n, chunk, k);
	if (len != (size_t)channels * clen) {
		return -EBADMSG;
	}
	/* Byte offsets: jack2's int16 receiver uses sample offsets k * (c / 2),
	 * which misplaces every chunk when c is odd. */
	for (unsigned i = 0; i < channels; i++) {
		memcpy(streams[i] + (size_t)k * chunk, payload + (size_t)i * clen, clen);
	}
	return 0;
}

int nj2_socket_buffer_size(const struct nj2_params *p)
{
	unsigned send = p->send_audio > 0 ? (unsigned)p->send_audio : 0;
	unsigned ret = p->return_audio > 0 ? (unsigned)p->return_audio : 0;
	unsigned midi = (unsigned)(p->send_midi > p->return_midi ? p->send_midi : p->return_midi);
	unsigned long long audio_packets, midi_packets, size;

	/* jack2: float with every port of the larger direction active, packets
	 * of the send direction's layout (or the return one without send audio). */
	audio_packets = nj2_float_packets(p->mtu, send > ret ? send : ret, p->period);
	midi_packets = (unsigned long long)midi * p->period * 4 / nj2_midi_chunk(p->mtu);
	size = 30ull * ((unsigned long long)p->mtu * (1 + audio_packets + midi_packets));
	return size > INT_MAX ? INT_MAX : (int)size;
}
