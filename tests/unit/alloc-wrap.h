/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * alloc-wrap.h - count allocator calls. A test linked with alloc-wrap.c and
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free sees every call
 * the core (a static library linked in) makes while alloc_counting is set.
 * Check may allocate inside ck_assert: assert only while not counting.
 */
#ifndef NJ_TEST_ALLOC_WRAP_H
#define NJ_TEST_ALLOC_WRAP_H

extern volatile int alloc_counting;
extern volatile unsigned long alloc_calls;

#endif
