/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* types.c - the neutral helpers of types.h. */
#include <string.h>

#include <libnetproto/types.h>

void nj_portset_fill(struct nj_portset *s, unsigned n)
{
	nj_portset_clear(s);
	for (unsigned i = 0; i < n && i < NJ_MAX_CHANNELS; i++) {
		nj_portset_add(s, i);
	}
}

unsigned nj_portset_count(const struct nj_portset *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < NJ_MAX_CHANNELS / 64; i++) {
		n += (unsigned)__builtin_popcountll(s->bits[i]);
	}
	return n;
}

bool nj_addr_equal(const struct nj_addr *a, const struct nj_addr *b)
{
	return a->len == b->len && a->len <= sizeof(a->bytes) &&
	       memcmp(a->bytes, b->bytes, a->len) == 0;
}
