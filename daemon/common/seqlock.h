/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seqlock.h - one writer (a real-time thread) publishes a struct; readers on
 * other threads copy it consistently without ever making the writer wait.
 *
 * The writer makes the count odd, writes, makes it even again; a reader
 * retries while the count was odd or changed across its copy. The fences are
 * what C11 needs on every CPU (x86 forgives their absence, ARM does not):
 * the writer's release fence orders the odd count before the data, the
 * reader's acquire fence orders the data before its second look at the count.
 */
#ifndef NJ_SEQLOCK_H
#define NJ_SEQLOCK_H

#include <stdatomic.h>
#include <string.h>

struct nj_seqlock {
	_Atomic unsigned seq;
};

static inline void nj_seqlock_write(struct nj_seqlock *l, void *dst, const void *src, size_t n)
{
	unsigned s = atomic_load_explicit(&l->seq, memory_order_relaxed);

	atomic_store_explicit(&l->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(dst, src, n);
	atomic_store_explicit(&l->seq, s + 2, memory_order_release);
}

static inline void nj_seqlock_read(const struct nj_seqlock *cl, void *dst, const void *src,
				   size_t n)
{
	struct nj_seqlock *l = (struct nj_seqlock *)cl;
	unsigned a, b;

	do {
		a = atomic_load_explicit(&l->seq, memory_order_acquire);
		memcpy(dst, src, n);
		atomic_thread_fence(memory_order_acquire);
		b = atomic_load_explicit(&l->seq, memory_order_relaxed);
	} while ((a & 1) || a != b);
}

#endif
