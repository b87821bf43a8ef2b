/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * convert.h - the clock bridge's converter: one direction's variable-ratio
 * sample-rate conversion of interleaved frames, behind one small interface
 * so that the library under it can change (zita-resampler's VResampler
 * today; libsamplerate before it).
 */
#ifndef NJ_BRIDGE_CONVERT_H
#define NJ_BRIDGE_CONVERT_H

#include <stdint.h>

enum bridge_quality {
	BRIDGE_NONE = 0, /* no resampling: bit-exact, equal rates, slips on drift */
	BRIDGE_FASTEST,  /* filter half-length 16: passband as SRC_SINC_FASTEST's */
	BRIDGE_MEDIUM,   /* 32: as SRC_SINC_MEDIUM_QUALITY's */
	BRIDGE_BEST,     /* 96: as SRC_SINC_BEST_QUALITY's */
};

/** bridge_quality_name - "none", "fastest", "medium", "best". */
const char *bridge_quality_name(enum bridge_quality q);

struct nj_conv;

/**
 * nj_conv_new - a converter of @ch interleaved channels (not for BRIDGE_NONE)
 * around the nominal @ratio (output frames per input frame; nj_conv_run()'s
 * ratio may stray from it by a few percent, not below 0.95 times it).
 */
int nj_conv_new(enum bridge_quality q, unsigned ch, double ratio, struct nj_conv **ret);
void nj_conv_free(struct nj_conv *c);

/** nj_conv_reset - forget what it holds (a stream primed afresh). */
void nj_conv_reset(struct nj_conv *c);

/**
 * nj_conv_run - convert @n_in frames of @in at @ratio (output frames per
 * input frame) into @out, room for @out_cap frames. The converter keeps what
 * it has not output yet; output frame j is input time j / ratio (no delay
 * beyond what it keeps). Returns the frames written, or -1. Real-time safe.
 */
long nj_conv_run(struct nj_conv *c, double ratio, const float *in, unsigned n_in, float *out,
		 unsigned out_cap);

/**
 * nj_conv_lookahead - how many input frames a fresh converter of quality @q
 * takes before its first output: the delay it adds (measured once, with the
 * real converter).
 */
unsigned nj_conv_lookahead(enum bridge_quality q);

#endif
