/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cycle-util.h - helpers for the cycle tests: fake codec, seeded PRNG, configs. */
#ifndef NJ_TEST_CYCLE_UTIL_H
#define NJ_TEST_CYCLE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/cycle.h>

#define FAKE_MAX_CH 16
#define FAKE_MAX_STREAM 4096
/* What the fake decoder outputs when asked to conceal. */
#define FAKE_PLC_VALUE 7.0f

/*
 * A stand-in for the Opus codec. "Lossy" in a checkable way: a stream holds a
 * BE length, then as many of the period's first samples as fit (raw LE
 * floats), then a fill pattern; decoding gives those samples back and zeros
 * after them. In golden mode encode() writes golden_tx[ch] and decode()
 * records what it was given in golden_rx[ch].
 */
struct fake_codec {
	struct nj_codec_ops ops;
	unsigned period;
	bool golden;
	uint8_t golden_tx[FAKE_MAX_CH][FAKE_MAX_STREAM];
	uint8_t golden_rx[FAKE_MAX_CH][FAKE_MAX_STREAM];
	unsigned decodes, plcs;
};

void fake_codec_init(struct fake_codec *f, unsigned period, unsigned stream_len);
/* Samples of a period the fake codec carries (the rest decodes as 0). */
unsigned fake_codec_kept(const struct fake_codec *f);

/* xorshift64* with the seed from $NJ_SEED or the clock, printed to stderr. */
uint64_t prng_seed(const char *test);
uint64_t prng_next(uint64_t *state);
/* Uniform in [0, n). */
unsigned prng_below(uint64_t *state, unsigned n);

/* A config with defaults: id 1, MTU 1500, float, 512 MIDI events, 8 slots. */
struct nj2_cycle_config cycle_cfg(enum nj2_stream stream, unsigned period, unsigned audio,
				 unsigned midi);

/*
 * An in-memory network that drops, duplicates and delays datagrams (by whole
 * cycles), and delivers the due ones in random order. All memory is taken in
 * net_init(): sending and delivering never allocate.
 */
struct net_pkt {
	uint8_t *data;
	size_t len;
	unsigned due;
};

struct lossy_net {
	uint64_t *rng;
	unsigned drop_pct, dup_pct, delay_pct, max_delay;
	unsigned clean_until; /* sends at times up to this one are delivered as they are */
	struct net_pkt *q;
	size_t n, cap, max_len;
	uint8_t *pool;
	uint8_t **free_bufs;
	size_t nfree;
	unsigned sent, dropped, copies;
};

void net_init(struct lossy_net *n, uint64_t *rng, size_t cap, size_t max_len);
void net_free(struct lossy_net *n);
/* Queue @data at time @now, maybe dropped, duplicated or delayed. */
void net_send(struct lossy_net *n, const uint8_t *data, size_t len, unsigned now);
/* Hand every datagram due at @now to @cb, in random order. Returns how many. */
unsigned net_deliver(struct lossy_net *n, unsigned now,
		     void (*cb)(void *ctx, const uint8_t *data, size_t len), void *ctx);

#endif
