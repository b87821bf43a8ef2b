/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exchange-wrap.c - what an exchange wrapping another passes through (exchange.h). */
#include <libnetproto/exchange.h>

static struct nj_exchange *inner(const struct nj_exchange *x)
{
	return ((const struct nj_exchange_wrapper *)x)->in;
}

bool nj_wrapper_has(const struct nj_exchange *x, uint32_t cycle)
{
	return nj_exchange_has(inner(x), cycle);
}

bool nj_wrapper_complete(const struct nj_exchange *x, uint32_t cycle)
{
	return nj_exchange_complete(inner(x), cycle);
}

bool nj_wrapper_pick(struct nj_exchange *x, uint32_t t, uint32_t *ret_cycle)
{
	return nj_exchange_pick(inner(x), t, ret_cycle);
}

int nj_wrapper_take(struct nj_exchange *x, uint32_t cycle, struct nj_period_in *ret)
{
	return nj_exchange_take(inner(x), cycle, ret);
}
