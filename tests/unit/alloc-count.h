/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * alloc-count.h - count the allocator calls of code linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free (alloc-count.c):
 * while alloc_counting is 1, every call adds one to alloc_calls. Check
 * itself allocates in its assertions: none may run while counting.
 */
#ifndef NJ_TEST_ALLOC_COUNT_H
#define NJ_TEST_ALLOC_COUNT_H

#include <stddef.h>

extern volatile int alloc_counting;
extern volatile unsigned long alloc_calls;

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);

#endif
