/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jt-signal.h - the known signal of the JackTrip captures, as
 * tests/vectors/capture/jt-signal.py plays it (tests/vectors/README.md).
 */
#ifndef NJ_TEST_JT_SIGNAL_H
#define NJ_TEST_JT_SIGNAL_H

#include <math.h>
#include <stdint.h>

/* Sample @n of channel @c (0-based) of generator @tag; frame 9 of channel 0
 * is the period count @k as k / 256. Every value is an exact float32. */
static inline float jt_signal_value(int tag, unsigned c, unsigned n, int k)
{
	static const float special[13] = {
		1.0f, -1.0f, 1.5f, -1.5f, 0.5f, -0.25f, 0.0f, 0x1p-15f, 0x1.fffffep-1f,
		0.0f /* 9: below */, -0x1p-16f, 3.0f, -3.0f,
	};
	uint32_t u;

	if (n == 9 && c == 0) {
		return (float)(k % 256) / 256.0f;
	}
	if (n < 13 && n != 9) {
		return special[n];
	}
	u = (uint32_t)(n + 1000 * c + 100000u * (unsigned)tag) * 2654435761u >> 8;
	return (float)((int32_t)u - (1 << 23)) / 16777216.0f;
}

/* One channel's period of @frames samples into @out. */
static inline void jt_test_signal(int tag, unsigned c, unsigned frames, int k, float *out)
{
	for (unsigned n = 0; n < frames; n++) {
		out[n] = jt_signal_value(tag, c, n, k);
	}
}

#endif
