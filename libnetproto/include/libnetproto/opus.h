/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * opus.h - Opus frame codec over libopus custom modes (netJACK2 encoder 3).
 *
 * jack2 layout per port per period: uint16 BE length + B bytes,
 * B = floor(kbps * 1024 * P / (rate * 8)). With the netjack extension
 * NJ2_EXT_OPUS_ANY_PERIOD both ends turn CELT signalling off and set the end
 * band to 21, which avoids the libopus 1.3.1 decoder assertion at periods
 * 128/256/512/1024 (48 kHz), and
 * periods above 1024 are carried as m equal frames per period, each with its
 * own length prefix (m = 1 is exactly jack2's layout).
 */
#ifndef LIBNETPROTO_OPUS_H
#define LIBNETPROTO_OPUS_H

#include <stdbool.h>
#include <stdint.h>

#include <libnetproto/cycle.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * nj_opus_check - can a session run Opus at these settings?
 * Without @ext_any_period only what a jack2 peer on Debian 12 survives.
 */
bool nj_opus_check(uint32_t rate, uint32_t period, uint32_t kbps, bool ext_any_period);

/** nj_opus_stream_len - bytes per port per period on the wire (0 if impossible). */
unsigned nj_opus_stream_len(uint32_t rate, uint32_t period, uint32_t kbps, bool ext_any_period);

struct nj_opus;

/** nj_opus_new - @channels encoders and decoders (one mono codec per channel). */
int nj_opus_new(uint32_t rate, uint32_t period, unsigned channels, uint32_t kbps,
		bool ext_any_period, struct nj_opus **ret);
/**
 * nj_opus_new_netone - @channels codecs framed as netone sends Opus: one frame
 * per period in a block of N = nj1_block_size(NJ1_MODE_OPUS, ...) bytes, a
 * uint16 BE length then at most N - 2 bytes of frame, jack2's settings, no
 * extension. Only where a jack2 peer on Debian 12 survives
 * (nj_opus_check(rate, period, kbps, false)). The ops' stream_len is N.
 * Returns 0 and *@ret, -EINVAL or -ENOMEM.
 */
int nj_opus_new_netone(uint32_t rate, uint32_t period, unsigned channels, uint32_t kbps,
		       struct nj_opus **ret);

/** nj_opus_free - free @o; NULL is a no-op. */
void nj_opus_free(struct nj_opus *o);

/** The codec as the cycle code takes it; ctx is @o itself. */
const struct nj_codec_ops *nj_opus_ops(const struct nj_opus *o);

#ifdef __cplusplus
}
#endif

#endif
