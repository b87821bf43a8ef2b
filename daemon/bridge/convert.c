/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * convert.c - the converter over zita-resampler's VResampler (convert.h),
 * through its C face (zita-shim.h). The three qualities are filter
 * half-lengths whose passbands match libsamplerate's three sinc converters,
 * which the bridge used before (README, "Benchmarks"): fastest 16 (flat to
 * ~17 kHz at 48 kHz, as SRC_SINC_FASTEST), medium 32 (to ~21 kHz, as
 * SRC_SINC_MEDIUM_QUALITY), best 96 (to ~22.5 kHz, as SRC_SINC_BEST_QUALITY).
 */
#include <errno.h>
#include <stdlib.h>

#include "convert.h"
#include "zita-shim.h"

struct nj_conv {
	struct nj_zita *z;
};

static unsigned hlen(enum bridge_quality q)
{
	switch (q) {
	case BRIDGE_FASTEST:
		return 16;
	case BRIDGE_BEST:
		return 96;
	default:
		return 32;
	}
}

const char *bridge_quality_name(enum bridge_quality q)
{
	static const char *const names[] = {"none", "fastest", "medium", "best"};

	return q <= BRIDGE_BEST ? names[q] : "?";
}

unsigned nj_conv_lookahead(enum bridge_quality q)
{
	struct nj_zita *z = nj_zita_new(1, hlen(q), 1.0);
	float in[1] = {0}, out[64];
	unsigned fed = 0;

	if (z == NULL) {
		return 0;
	}
	while (fed < 4096) {
		fed++;
		if (nj_zita_run(z, 1.0, in, 1, out, 64) > 0) {
			break;
		}
	}
	nj_zita_free(z);
	return fed;
}

int nj_conv_new(enum bridge_quality q, unsigned ch, double ratio, struct nj_conv **ret)
{
	struct nj_conv *c;

	if (q == BRIDGE_NONE || q > BRIDGE_BEST || ch == 0 || !(ratio > 0)) {
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	c->z = nj_zita_new(ch, hlen(q), ratio);
	if (c->z == NULL) {
		free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void nj_conv_free(struct nj_conv *c)
{
	if (c != NULL) {
		nj_zita_free(c->z);
		free(c);
	}
}

void nj_conv_reset(struct nj_conv *c)
{
	nj_zita_reset(c->z);
}

long nj_conv_run(struct nj_conv *c, double ratio, const float *in, unsigned n_in, float *out,
		 unsigned out_cap)
{
	return (long)nj_zita_run(c->z, ratio, in, n_in, out, out_cap);
}
