/* SPDX-License-Identifier: GPL-2.0-or-later */
/* alloc-wrap.c - the counting allocator wrappers of alloc-wrap.h. */
#include <stdlib.h>

#include "alloc-wrap.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);

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
