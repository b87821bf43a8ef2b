/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ring.c - the clock bridge's audio and MIDI rings (ring.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/types.h>

#include "ring.h"

#define MIDI_RING_BYTES NJ_MRING_BYTES
#define MIDI_REC_HEADER 16



int nj_aring_init(struct nj_aring *r, unsigned ch, uint64_t min_frames)
{
	r->ch = ch;
	r->cap = 1;
	while (r->cap < min_frames) {
		r->cap <<= 1;
	}
	r->buf = calloc(r->cap * (ch ? ch : 1), sizeof(float));
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r->buf ? 0 : -ENOMEM;
}

uint64_t nj_aring_fill(struct nj_aring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}

/* Producer: @n frames from planar @src (NULL buffers or NULL src = silence). */
void nj_aring_write_planar(struct nj_aring *r, const float *const *src, unsigned n)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	for (unsigned f = 0; f < n; f++) {
		float *dst = r->buf + ((h + f) & (r->cap - 1)) * r->ch;

		for (unsigned c = 0; c < r->ch; c++) {
			dst[c] = (src && src[c]) ? src[c][f] : 0.0f;
		}
	}
	atomic_store_explicit(&r->head, h + n, memory_order_release);
}

/* Producer: @n interleaved frames. */
void nj_aring_write(struct nj_aring *r, const float *src, uint64_t n)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t at = h & (r->cap - 1), first = r->cap - at < n ? r->cap - at : n;

	if (src != NULL) {
		memcpy(r->buf + at * r->ch, src, first * r->ch * sizeof(float));
		memcpy(r->buf, src + first * r->ch, (n - first) * r->ch * sizeof(float));
	} else {
		memset(r->buf + at * r->ch, 0, first * r->ch * sizeof(float));
		memset(r->buf, 0, (n - first) * r->ch * sizeof(float));
	}
	atomic_store_explicit(&r->head, h + n, memory_order_release);
}

/* Consumer: copy @n interleaved frames out without consuming. */
void nj_aring_peek(struct nj_aring *r, float *dst, uint64_t n)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t at = t & (r->cap - 1), first = r->cap - at < n ? r->cap - at : n;

	memcpy(dst, r->buf + at * r->ch, first * r->ch * sizeof(float));
	memcpy(dst + first * r->ch, r->buf, (n - first) * r->ch * sizeof(float));
}

/* Consumer: @n frames into planar @dst (NULL = drop them). */
void nj_aring_read_planar(struct nj_aring *r, float *const *dst, unsigned n)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	for (unsigned f = 0; dst != NULL && f < n; f++) {
		const float *src = r->buf + ((t + f) & (r->cap - 1)) * r->ch;

		for (unsigned c = 0; c < r->ch; c++) {
			dst[c][f] = src[c];
		}
	}
	atomic_store_explicit(&r->tail, t + n, memory_order_release);
}

void nj_aring_drop(struct nj_aring *r, uint64_t n)
{
	atomic_fetch_add_explicit(&r->tail, n, memory_order_release);
}

/* Frames a reader owes from an underrun (*@debt), dropped from @r as they
 * turn up beyond the @need of this cycle; returns how many went. Keeps the
 * reader on the writer's timeline. */
uint64_t nj_aring_pay_debt(struct nj_aring *r, uint64_t *debt, uint64_t fill, uint64_t need)
{
	uint64_t extra = fill > need ? fill - need : 0;
	uint64_t n = *debt < extra ? *debt : extra;

	if (n > 0) {
		nj_aring_drop(r, n);
		*debt -= n;
	}
	return n;
}



static size_t mrec_len(uint32_t size)
{
	return (MIDI_REC_HEADER + size + 7) & ~(size_t)7;
}

static void mring_copy_in(struct nj_mring *r, uint64_t at, const void *src, size_t n)
{
	size_t o = at % MIDI_RING_BYTES, first = MIDI_RING_BYTES - o < n ? MIDI_RING_BYTES - o : n;

	memcpy(r->buf + o, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
}

static void mring_copy_out(const struct nj_mring *r, uint64_t at, void *dst, size_t n)
{
	size_t o = at % MIDI_RING_BYTES, first = MIDI_RING_BYTES - o < n ? MIDI_RING_BYTES - o : n;

	memcpy(dst, r->buf + o, first);
	memcpy((uint8_t *)dst + first, r->buf, n - first);
}

bool nj_mring_push(struct nj_mring *r, uint64_t pos, uint32_t port, const uint8_t *data,
		       uint32_t size)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t len = mrec_len(size);
	uint8_t hdr[MIDI_REC_HEADER];

	if (size == 0 || size > NJ_MIDI_MAX_EVENT || MIDI_RING_BYTES - (h - t) < len) {
		return false;
	}
	memcpy(hdr, &pos, 8);
	memcpy(hdr + 8, &port, 4);
	memcpy(hdr + 12, &size, 4);
	mring_copy_in(r, h, hdr, sizeof(hdr));
	mring_copy_in(r, h + MIDI_REC_HEADER, data, size);
	atomic_store_explicit(&r->head, h + len, memory_order_release);
	return true;
}

/* Peek at the oldest record: false if none. */
bool nj_mring_peek(struct nj_mring *r, uint64_t *pos, uint32_t *port, uint32_t *size)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
	uint8_t hdr[MIDI_REC_HEADER];

	if (h == t) {
		return false;
	}
	mring_copy_out(r, t, hdr, sizeof(hdr));
	memcpy(pos, hdr, 8);
	memcpy(port, hdr + 8, 4);
	memcpy(size, hdr + 12, 4);
	return true;
}

/* Consume the oldest record, copying its data to @dst (NULL = drop). */
void nj_mring_pop(struct nj_mring *r, uint32_t size, uint8_t *dst)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (dst != NULL) {
		mring_copy_out(r, t + MIDI_REC_HEADER, dst, size);
	}
	atomic_store_explicit(&r->tail, t + mrec_len(size), memory_order_release);
}


void nj_aring_free(struct nj_aring *r)
{
	free(r->buf);
	r->buf = NULL;
}

int nj_mring_init(struct nj_mring *r)
{
	r->buf = calloc(1, MIDI_RING_BYTES);
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r->buf ? 0 : -ENOMEM;
}

void nj_mring_free(struct nj_mring *r)
{
	free(r->buf);
	r->buf = NULL;
}
