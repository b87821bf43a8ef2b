/* SPDX-License-Identifier: GPL-2.0-or-later */
/* convert.c - the converter over libsamplerate (convert.h). */
#include <errno.h>
#include <samplerate.h>
#include <stdlib.h>

#include "convert.h"

struct nj_conv {
	SRC_STATE *s;
};

static int converter(enum bridge_quality q)
{
	switch (q) {
	case BRIDGE_FASTEST:
		return SRC_SINC_FASTEST;
	case BRIDGE_BEST:
		return SRC_SINC_BEST_QUALITY;
	default:
		return SRC_SINC_MEDIUM_QUALITY;
	}
}

const char *bridge_quality_name(enum bridge_quality q)
{
	static const char *const names[] = {"none", "fastest", "medium", "best"};

	return q <= BRIDGE_BEST ? names[q] : "?";
}

unsigned nj_conv_lookahead(enum bridge_quality q)
{
	int err;
	SRC_STATE *s = src_new(converter(q), 1, &err);
	float in[64] = {0}, out[64];
	unsigned fed = 0;

	if (s == NULL) {
		return 0;
	}
	for (unsigned i = 0; i < 256; i++) {
		SRC_DATA d = {.data_in = in, .data_out = out, .input_frames = 1,
			      .output_frames = 64, .src_ratio = 1.0};

		if (src_process(s, &d) != 0) {
			break;
		}
		fed += (unsigned)d.input_frames_used;
		if (d.output_frames_gen > 0) {
			break;
		}
	}
	src_delete(s);
	return fed;
}

int nj_conv_new(enum bridge_quality q, unsigned ch, struct nj_conv **ret)
{
	struct nj_conv *c;
	int err = 0;

	if (q == BRIDGE_NONE || q > BRIDGE_BEST || ch == 0) {
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return -ENOMEM;
	}
	c->s = src_new(converter(q), (int)ch, &err);
	if (c->s == NULL) {
		free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void nj_conv_free(struct nj_conv *c)
{
	if (c != NULL) {
		src_delete(c->s);
		free(c);
	}
}

void nj_conv_reset(struct nj_conv *c)
{
	src_reset(c->s);
}

long nj_conv_run(struct nj_conv *c, double ratio, const float *in, unsigned n_in, float *out,
		 unsigned out_cap)
{
	SRC_DATA d = {.data_in = in, .data_out = out, .input_frames = (long)n_in,
		      .output_frames = (long)out_cap, .src_ratio = ratio};

	return src_process(c->s, &d) == 0 ? d.output_frames_gen : -1;
}
