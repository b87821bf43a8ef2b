/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zita-shim.h - a C face for zita-resampler's VResampler (a C++ class), so
 * that C code can drive it: one variable-ratio converter of interleaved
 * float frames.
 */
#ifndef NJ_ZITA_SHIM_H
#define NJ_ZITA_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

struct nj_zita;

/**
 * nj_zita_new - @ch channels, filter half-length @hlen (8 to 96), around the
 * nominal @ratio (output per input; nj_zita_run()'s ratio may stray from it
 * by a few percent, not below 0.95 times it). NULL on error (allocates).
 */
struct nj_zita *nj_zita_new(unsigned ch, unsigned hlen, double ratio);
void nj_zita_free(struct nj_zita *z);
/**
 * nj_zita_reset - as fresh: output frame j is input time j / ratio, and the
 * first output comes after the filter's delay (half its length) of input,
 * as libsamplerate does. Real-time safe.
 */
void nj_zita_reset(struct nj_zita *z);
/**
 * nj_zita_run - @n_in frames at @ratio (output per input), into room for
 * @cap frames of @out; returns the frames written (all input is taken
 * unless @out fills up). Real-time safe.
 */
unsigned nj_zita_run(struct nj_zita *z, double ratio, const float *in, unsigned n_in, float *out,
		     unsigned cap);

#ifdef __cplusplus
}
#endif

#endif
