/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netone-golden.h - the netone golden-vector test case (netone-golden.c). */
#ifndef NJ_TEST_NETONE_GOLDEN_H
#define NJ_TEST_NETONE_GOLDEN_H

#include <check.h>

/* The vectors: decode, the known signal, re-encode byte for byte. */
TCase *netone_golden_tcase(void);

#endif
