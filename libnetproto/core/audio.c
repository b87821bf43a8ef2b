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
	case NJ2_ENCODER_FLOAT: {
		/* Worst case: every port active. */
		struct nj2_tiles t;

		return nj2_params_tiled(p) ? nj2_float_tiles(mtu, channels, p->period, &t)
					   : nj2_float_packets(mtu, channels, p->period);
	}
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

/* Records of ports @p0.. (@np of them), frames @f0.. (@nf): BE index, LE samples. */
static uint8_t *put_records(uint8_t *w, const float *const *ports, const uint32_t *index,
			    unsigned p0, unsigned np, unsigned f0, unsigned nf)
{
	for (unsigned i = p0; i < p0 + np; i++) {
		const float *x = ports[i] + f0;

		nj_put_be32(w, index[i]);
		w += 4;
		for (unsigned k = 0; k < nf; k++) {
			uint32_t bits;

			/* Samples go little-endian, as jack2 writes them on every
			 * host that matters (it swaps only on big-endian builds). */
			memcpy(&bits, &x[k], 4);
			nj_put_le32(w, bits);
			w += 4;
		}
	}
	return w;
}

/* @count records of @nf frames each from @r into frames @f0..; indices checked by the caller. */
static void get_records(const uint8_t *r, unsigned count, unsigned f0, unsigned nf,
			float *const *ports, struct nj_portset *ret_present)
{
	for (unsigned i = 0; i < count; i++) {
		uint32_t port = nj_get_be32(r);
		float *x = ports[port] + f0;

		r += 4;
		for (unsigned k = 0; k < nf; k++) {
			uint32_t bits = nj_get_le32(r + 4 * k);

			memcpy(&x[k], &bits, 4);
		}
		r += 4 * (size_t)nf;
		if (ret_present != NULL) {
			nj_portset_add(ret_present, port);
		}
	}
}

/* Are all @count record indices (records of @per bytes) below @nports? */
static bool indices_ok(const uint8_t *r, unsigned count, size_t per, unsigned nports)
{
	for (unsigned i = 0; i < count; i++) {
		if (nj_get_be32(r + i * per) >= nports) {
			return false;
		}
	}
	return true;
}

int nj2_float_encode(uint8_t *buf, size_t len, const float *const *ports, const uint32_t *index,
		    unsigned nactive, unsigned sub, unsigned S)
{
	size_t need = (size_t)nactive * (4 + 4 * (size_t)S);

	if (buf == NULL || (nactive > 0 && (ports == NULL || index == NULL)) || S == 0) {
		return -EINVAL;
	}
	if (need > len) {
		return -ENOBUFS;
	}
	put_records(buf, ports, index, 0, nactive, sub * S, S);
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
	if (!indices_ok(payload, active, per_port, nports)) {
		return -EBADMSG;
	}
	get_records(payload, active, (unsigned)(sub * s), (unsigned)s, ports, ret_present);
	return (int)s;
}

unsigned nj2_float_tiles(unsigned mtu, unsigned active, unsigned period, struct nj2_tiles *ret)
{
	unsigned budget, best = 0;

	if (ret == NULL || active == 0 || active > NJ_MAX_CHANNELS || period == 0 ||
	    period > UINT16_MAX || mtu <= NJ2_UDP_RESERVE + NJ2_HEADER_SIZE) {
		return 0;
	}
	budget = nj2_tile_budget(mtu);
	/* from the longest block down: the first of the fewest packets has the
	 * fewest blocks (the fewest records, so the fewest bytes) */
	for (unsigned s = period; s >= 1; s--) {
		unsigned g = budget / (4 + 4 * s), nb, n;

		if (g == 0) {
			continue;
		}
		g = g < active ? g : active;
		nb = (period + s - 1) / s;
		n = (active + g - 1) / g * nb;
		if (n <= NJ2_MAX_PACKETS_PER_CYCLE && (best == 0 || n < best)) {
			best = n;
			*ret = (struct nj2_tiles){.s = (uint16_t)s, .g = (uint16_t)g, .nb = (uint16_t)nb,
						  .n = (uint16_t)n};
		}
	}
	return best;
}

void nj2_tile_span(const struct nj2_tiles *t, unsigned active, unsigned period, unsigned k,
		   unsigned *ret_f0, unsigned *ret_nf, unsigned *ret_p0, unsigned *ret_np)
{
	unsigned ng = t->n / t->nb, f0, p0;

	if (t->nb < ng) { /* nj2_tile_k's order */
		f0 = (k / ng) * t->s;
		p0 = (k % ng) * t->g;
	} else {
		f0 = (k % t->nb) * t->s;
		p0 = (k / t->nb) * t->g;
	}
	*ret_f0 = f0;
	*ret_nf = period - f0 < t->s ? period - f0 : t->s;
	*ret_p0 = p0;
	*ret_np = active - p0 < t->g ? active - p0 : t->g;
}

/* Tile @k's spans, or false when k is out of range or the tiles do not fit @active x @period. */
static bool tile_span_ok(const struct nj2_tiles *t, unsigned active, unsigned period, unsigned k,
			 unsigned *f0, unsigned *nf, unsigned *p0, unsigned *np)
{
	if (t == NULL || t->s == 0 || t->g == 0 || t->nb == 0 || k >= t->n || t->n % t->nb != 0 ||
	    (size_t)(t->nb - 1) * t->s >= period) {
		return false;
	}
	nj2_tile_span(t, active, period, k, f0, nf, p0, np);
	return *p0 < active;
}

int nj2_tile_encode(uint8_t *buf, size_t len, const float *const *ports, const uint32_t *index,
		    unsigned nactive, unsigned period, const struct nj2_tiles *t, unsigned k)
{
	unsigned f0, nf, p0, np;
	size_t need;

	if (buf == NULL || ports == NULL || index == NULL ||
	    !tile_span_ok(t, nactive, period, k, &f0, &nf, &p0, &np)) {
		return -EINVAL;
	}
	need = (size_t)np * (4 + 4 * (size_t)nf);
	if (need > len) {
		return -ENOBUFS;
	}
	put_records(buf, ports, index, p0, np, f0, nf);
	return (int)need;
}

bool nj2_tile_check(const uint8_t *payload, size_t len, unsigned active, unsigned k,
		    unsigned period, const struct nj2_tiles *t, unsigned nports)
{
	unsigned f0, nf, p0, np;
	size_t per;

	if (payload == NULL || active > nports ||
	    !tile_span_ok(t, active, period, k, &f0, &nf, &p0, &np)) {
		return false;
	}
	per = 4 + 4 * (size_t)nf;
	return len == np * per && indices_ok(payload, np, per, nports);
}

int nj2_tile_decode(const uint8_t *payload, size_t len, unsigned active, unsigned k,
		    unsigned period, const struct nj2_tiles *t, float *const *ports, unsigned nports,
		    struct nj_portset *ret_present)
{
	unsigned f0, nf, p0, np;

	if ((ports == NULL && nports > 0) ||
	    !nj2_tile_check(payload, len, active, k, period, t, nports)) {
		return -EBADMSG;
	}
	nj2_tile_span(t, active, period, k, &f0, &nf, &p0, &np);
	get_records(payload, np, f0, nf, ports, ret_present);
	return (int)nf;
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
