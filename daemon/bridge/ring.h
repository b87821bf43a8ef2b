/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ring.h - the clock bridge's lock-free single-producer single-consumer
 * rings: interleaved audio frames, and MIDI records with their positions in
 * master frames. One thread writes, another reads; neither waits.
 */
#ifndef NJ_BRIDGE_RING_H
#define NJ_BRIDGE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libnetproto/types.h>

#define NJ_MRING_BYTES (64 * 1024)

struct nj_aring {
	float *buf;
	unsigned ch;
	uint64_t cap; /* frames, a power of two */
	_Atomic uint64_t head, tail;
};

/* Records: u64 position (master frames), u32 port, u32 size, data, padded to 8. */
struct nj_mring {
	uint8_t *buf;
	_Atomic uint64_t head, tail; /* bytes */
};

/* A ring of @ch channels holding at least @min_frames (a power of two). */
int nj_aring_init(struct nj_aring *r, unsigned ch, uint64_t min_frames);

/* Frames in the ring now (either side). */
uint64_t nj_aring_fill(struct nj_aring *r);

/* Producer: @n frames from planar @src (NULL buffers or NULL src = silence). */
void nj_aring_write_planar(struct nj_aring *r, const float *const *src, unsigned n);

/* Producer: @n interleaved frames. */
void nj_aring_write(struct nj_aring *r, const float *src, uint64_t n);

/* Consumer: copy @n interleaved frames out without consuming. */
void nj_aring_peek(struct nj_aring *r, float *dst, uint64_t n);

/* Consumer: @n frames into planar @dst (NULL = drop them). */
void nj_aring_read_planar(struct nj_aring *r, float *const *dst, unsigned n);

void nj_aring_drop(struct nj_aring *r, uint64_t n);

/* Frames a reader owes from an underrun (*@debt), dropped from @r as they
 * turn up beyond the @need of this cycle; returns how many went. Keeps the
 * reader on the writer's timeline. */
uint64_t nj_aring_pay_debt(struct nj_aring *r, uint64_t *debt, uint64_t fill, uint64_t need);

/* Producer: one event at master position @pos; false if it does not fit (or is empty
 * or longer than NJ_MIDI_MAX_EVENT). */
bool nj_mring_push(struct nj_mring *r, uint64_t pos, uint32_t port, const uint8_t *data,
		       uint32_t size);

/* Peek at the oldest record: false if none. */
bool nj_mring_peek(struct nj_mring *r, uint64_t *pos, uint32_t *port, uint32_t *size);

/* Consume the oldest record, copying its data to @dst (NULL = drop). */
void nj_mring_pop(struct nj_mring *r, uint32_t size, uint8_t *dst);

/** nj_aring_free, nj_mring_init, nj_mring_free - the rings' memory. */
void nj_aring_free(struct nj_aring *r);
int nj_mring_init(struct nj_mring *r);
void nj_mring_free(struct nj_mring *r);

#endif
