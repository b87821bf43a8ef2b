/* SPDX-License-Identifier: GPL-2.0-or-later */
/* alloc-count.c - the counting allocator wrappers (alloc-count.h). */
#include "alloc-count.h"

volatile int alloc_counting;
volatile unsigned long alloc_calls;

void *__wrap_malloc(size_t size)
{
	alloc_calls += alloc_counting;
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	alloc_calls += alloc_counting;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	alloc_calls += alloc_counting;
	return __real_realloc(p, size);
}

void __wrap_free(void *p)
{
	alloc_calls += alloc_counting;
	__real_free(p);
}
