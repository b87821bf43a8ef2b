/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cycle-util.c - helpers for the cycle tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cycle-util.h"

static int fake_encode(void *ctx, unsigned ch, const float *in, uint8_t *stream)
{
	struct fake_codec *f = ctx;
	unsigned len = f->ops.stream_len, kept = fake_codec_kept(f);

	if (ch >= FAKE_MAX_CH) {
		return -1;
	}
	if (f->golden) {
		memcpy(stream, f->golden_tx[ch], len);
		return 0;
	}
	memset(stream, 0, len);
	stream[0] = (uint8_t)((len - 2) >> 8);
	stream[1] = (uint8_t)(len - 2);
	memcpy(stream + 2, in, kept * sizeof(float));
	for (unsigned i = 2 + kept * 4; i < len; i++) {
		stream[i] = (uint8_t)(i * 7 + ch);
	}
	return 0;
}

static int fake_decode(void *ctx, unsigned ch, const uint8_t *stream, float *out)
{
	struct fake_codec *f = ctx;
	unsigned len = f->ops.stream_len, kept = fake_codec_kept(f);

	if (ch >= FAKE_MAX_CH) {
		return -1;
	}
	if (stream == NULL) {
		f->plcs++;
		for (unsigned i = 0; i < f->period; i++) {
			out[i] = FAKE_PLC_VALUE;
		}
		return 0;
	}
	f->decodes++;
	memset(out, 0, f->period * sizeof(float));
	if (f->golden) {
		memcpy(f->golden_rx[ch], stream, len);
		return 0;
	}
	/* A real decoder checks its input: so does this one. */
	if (((unsigned)stream[0] << 8 | stream[1]) != len - 2) {
		return -1;
	}
	for (unsigned i = 2 + kept * 4; i < len; i++) {
		if (stream[i] != (uint8_t)(i * 7 + ch)) {
			return -1;
		}
	}
	memcpy(out, stream + 2, kept * sizeof(float));
	return 0;
}

void fake_codec_init(struct fake_codec *f, unsigned period, unsigned stream_len)
{
	memset(f, 0, sizeof(*f));
	f->ops.encode = fake_encode;
	f->ops.decode = fake_decode;
	f->ops.stream_len = stream_len;
	f->period = period;
}

unsigned fake_codec_kept(const struct fake_codec *f)
{
	unsigned n = (f->ops.stream_len - 2) / 4;

	return n < f->period ? n : f->period;
}

uint64_t prng_seed(const char *test)
{
	const char *env = getenv("NJ_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u;

	if (seed == 0) {
		seed = 1;
	}
	fprintf(stderr, "%s: NJ_SEED=%llu\n", test, (unsigned long long)seed);
	return seed;
}

uint64_t prng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

unsigned prng_below(uint64_t *state, unsigned n)
{
	return n ? (unsigned)((prng_next(state) >> 32) % n) : 0;
}

struct nj2_cycle_config cycle_cfg(enum nj2_stream stream, unsigned period, unsigned audio,
				 unsigned midi)
{
	struct nj2_cycle_config c;

	memset(&c, 0, sizeof(c));
	c.stream = stream;
	c.id = 1;
	c.period = period;
	c.mtu = 1500;
	c.encoder = NJ2_ENCODER_FLOAT;
	c.audio_channels = audio;
	c.midi_channels = midi;
	c.midi_max_events = 512;
	c.midi_buffer_size = NJ2_JACK2_MIDI_BUFSIZE;
	c.slots = 8;
	return c;
}

void net_init(struct lossy_net *n, uint64_t *rng, size_t cap, size_t max_len)
{
	memset(n, 0, sizeof(*n));
	n->rng = rng;
	n->cap = cap;
	n->max_len = max_len;
	n->q = calloc(cap, sizeof(*n->q));
	n->pool = calloc(cap, max_len);
	n->free_bufs = calloc(cap, sizeof(*n->free_bufs));
	if (n->q == NULL || n->pool == NULL || n->free_bufs == NULL) {
		abort();
	}
	for (size_t i = 0; i < cap; i++) {
		n->free_bufs[n->nfree++] = n->pool + i * max_len;
	}
}

void net_free(struct lossy_net *n)
{
	free(n->q);
	free(n->pool);
	free(n->free_bufs);
}

static void net_queue(struct lossy_net *n, const uint8_t *data, size_t len, unsigned due)
{
	struct net_pkt *p;

	if (n->n == n->cap || n->nfree == 0 || len > n->max_len) {
		fprintf(stderr, "lossy_net: out of room (%zu in flight, %zu bytes)\n", n->n, len);
		abort();
	}
	p = &n->q[n->n++];
	p->data = n->free_bufs[--n->nfree];
	memcpy(p->data, data, len);
	p->len = len;
	p->due = due;
	n->copies++;
}

static unsigned net_delay(struct lossy_net *n)
{
	return prng_below(n->rng, 100) < n->delay_pct ? 1 + prng_below(n->rng, n->max_delay) : 0;
}

void net_send(struct lossy_net *n, const uint8_t *data, size_t len, unsigned now)
{
	n->sent++;
	if (now <= n->clean_until) {
		net_queue(n, data, len, now);
		return;
	}
	if (prng_below(n->rng, 100) < n->drop_pct) {
		n->dropped++;
		return;
	}
	net_queue(n, data, len, now + net_delay(n));
	if (prng_below(n->rng, 100) < n->dup_pct) {
		net_queue(n, data, len, now + net_delay(n));
	}
}

unsigned net_deliver(struct lossy_net *n, unsigned now,
		     void (*cb)(void *ctx, const uint8_t *data, size_t len), void *ctx)
{
	size_t due = 0, keep = 0;

	/* Due packets to the front (in queue order), the rest after them. */
	for (size_t i = 0; i < n->n; i++) {
		if (n->q[i].due <= now) {
			struct net_pkt t = n->q[due];

			n->q[due++] = n->q[i];
			n->q[i] = t;
		}
	}
	/* Shuffle the due ones: that is the reordering. */
	for (size_t i = due; i > 1; i--) {
		size_t j = prng_below(n->rng, (unsigned)i);
		struct net_pkt t = n->q[i - 1];

		n->q[i - 1] = n->q[j];
		n->q[j] = t;
	}
	for (size_t i = 0; i < due; i++) {
		cb(ctx, n->q[i].data, n->q[i].len);
		n->free_bufs[n->nfree++] = n->q[i].data;
	}
	for (size_t i = due; i < n->n; i++) {
		n->q[keep++] = n->q[i];
	}
	n->n = keep;
	return (unsigned)due;
}
