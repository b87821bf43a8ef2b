/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * redundant.h - every data packet sent more than once (netjack's redundancy
 * extension, NJ2_EXT_REDUNDANCY: only between two netjack peers).
 *
 * A wrapper around a protocol's exchange: pack() hands out each period's
 * datagrams @copies times (copy c of packet i right after original i + c:
 * near enough to arrive before a cycle is given up on, not back to back),
 * each with a trailer of
 * NJ2_REDUNDANCY_TRAILER bytes, a 32-bit packet number (big-endian, the same
 * in every copy) and the copy's index. The receiver keeps the first copy of
 * each number to arrive and drops the others before the inner exchange sees
 * them (so they are neither duplicates nor late there); a first copy with an
 * index above 0 repaired a loss (counted). Control messages pass unchanged.
 */
#ifndef LIBNETPROTO_REDUNDANT_H
#define LIBNETPROTO_REDUNDANT_H

#include <libnetproto/exchange.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NJ_REDUNDANT_WINDOW 1024 /* packet numbers remembered */

/**
 * nj_redundant_exchange_new - wrap @inner (taken over: freed with the
 * wrapper, also on failure); @copies 2..8. Returns 0, -EINVAL or -ENOMEM.
 */
int nj_redundant_exchange_new(struct nj_exchange *inner, unsigned copies,
			      struct nj_exchange **ret);

#ifdef __cplusplus
}
#endif

#endif
