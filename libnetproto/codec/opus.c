/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * opus.c - netJACK2's Opus encoder (3): one mono libopus custom-mode codec per
 * channel, one frame per period, framed as uint16 BE length + B bytes.
 *
 * Debian 12's libopus 1.3.1 aborts while decoding custom modes with more than
 * 21 bands ("assertion failed: st->end <= 21"): at 48 kHz the periods 128,
 * 256, 512 and 1024, so a jack2 peer crashes on the first packet. Without the
 * netjack extension such sessions are refused (the master answers with
 * float). With it, both ends turn CELT's in-band signalling off
 * (CELT_SET_SIGNALLING 0, request 10016) and set the end band to 21
 * (CELT_SET_END_BAND, 10012): signalling would write the end band into each
 * frame's first byte rounded to a multiple of two from the top, and the
 * decoder would adopt 22 from the second frame on and abort. This costs only
 * content above ~20 kHz. Periods above 1024 (beyond custom modes) travel as m
 * equal frames per period, each with its own length.
 * netone (netJACK1) frames the same way, inside a block of N bytes rounded
 * down to even (doc/protocol/NETONE.md section 4): nj_opus_new_netone().
 */
#include <errno.h>
#include <opus/opus_custom.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/netone.h>
#include <libnetproto/opus.h>

#define CELT_SET_END_BAND 10012  /* libopus celt.h, not in the public headers */
#define CELT_SET_SIGNALLING 10016
#define MAX_END_BAND 21
#define CELT_MAX_BYTES 1275 /* largest CELT frame */

struct nj_opus {
	struct nj_codec_ops ops; /* first: the codec context is the object itself */
	unsigned channels;
	unsigned frames;     /* m: frames per period */
	unsigned frame_len;  /* F: samples per frame */
	unsigned frame_bytes;/* Bf: bytes reserved per frame (after the length) */
	OpusCustomMode *mode;
	OpusCustomEncoder **enc;
	OpusCustomDecoder **dec;
};

/*
 * Frame sizes we hand to libopus. libopus 1.3.1's opus_custom_mode_create
 * frees uninitialised pointers when it fails part-way (e.g. 48 kHz with 56,
 * 88, 104 or 112 frames: valgrind shows it; in a busy heap it crashes), so it
 * is only ever called for sizes measured to work here at 44.1 and 48 kHz (and
 * at other rates where libopus's own argument checks pass, below).
 */
static const unsigned safe_frames[] = {64,  96,  120, 128, 160, 192, 240, 256,
				       320, 384, 480, 512, 640, 768, 960, 1024};

static bool frame_safe(uint32_t rate, unsigned f)
{
	unsigned lm = 0;
	bool listed = false;

	for (unsigned i = 0; i < sizeof(safe_frames) / sizeof(safe_frames[0]); i++) {
		listed |= safe_frames[i] == f;
	}
	if (!listed || rate < 8000 || rate > 96000 || (unsigned long)f * 1000 < rate ||
	    (rate > 48000 && f < 96)) {
		return false;
	}
	/* libopus's own checks: the short-block size LM and "shorts longer than
	 * 3.3 ms are not supported" (they fail early, before any allocation). */
	if ((unsigned long)f * 75 >= rate && f % 16 == 0) {
		lm = 3;
	} else if ((unsigned long)f * 150 >= rate && f % 8 == 0) {
		lm = 2;
	} else if ((unsigned long)f * 300 >= rate && f % 4 == 0) {
		lm = 1;
	}
	return (unsigned long)(f >> lm) * 300 <= rate;
}

/* m and F for a period: one frame when a safe custom mode takes it, else the
 * fewest equal safe frames per period (extension only). */
static bool frame_layout(uint32_t rate, uint32_t period, bool ext, unsigned *ret_m,
			 unsigned *ret_f)
{
	for (unsigned m = 1; m <= period / 64; m++) {
		unsigned f = period / m;

		if (period % m != 0 || !frame_safe(rate, f)) {
			continue;
		}
		if (m > 1 && !ext) {
			return false;
		}
		*ret_m = m;
		*ret_f = f;
		return true;
	}
	return false;
}

static unsigned frame_bytes(uint32_t rate, unsigned f, uint32_t kbps)
{
	/* jack2's B = floor(kbps * 1024 * P / (rate * 8)), per frame here */
	unsigned long long b = (unsigned long long)kbps * 1024 * f / ((unsigned long long)rate * 8);

	return b > 65535 ? 0 : (unsigned)b;
}

/*
 * Would this mode crash a jack2 peer? The decoder asserts end <= 21 and starts
 * with end = the mode's band count; asking for end band 22 succeeds exactly
 * when the mode has more than 21 bands. Derived from libopus itself rather
 * than a list, so it stays right for other rates and library builds.
 */
static bool mode_crashes_jack2(OpusCustomMode *mode)
{
	int err;
	OpusCustomDecoder *d = opus_custom_decoder_create(mode, 1, &err);
	bool crash;

	if (d == NULL) {
		return true;
	}
	crash = opus_custom_decoder_ctl(d, CELT_SET_END_BAND, MAX_END_BAND + 1) == OPUS_OK;
	opus_custom_decoder_destroy(d);
	return crash;
}

unsigned nj_opus_stream_len(uint32_t rate, uint32_t period, uint32_t kbps, bool ext)
{
	unsigned m, f, b;

	if (!frame_layout(rate, period, ext, &m, &f)) {
		return 0;
	}
	b = frame_bytes(rate, f, kbps);
	return b == 0 ? 0 : m * (2 + b);
}

bool nj_opus_check(uint32_t rate, uint32_t period, uint32_t kbps, bool ext)
{
	unsigned m = 0, f = 0;
	OpusCustomMode *mode;
	bool ok;
	int err;

	if (nj_opus_stream_len(rate, period, kbps, ext) == 0 || !frame_layout(rate, period, ext, &m, &f)) {
		return false;
	}
	mode = opus_custom_mode_create((opus_int32)rate, (int)f, &err);
	if (mode == NULL) {
		return false;
	}
	ok = ext || !mode_crashes_jack2(mode);
	opus_custom_mode_destroy(mode);
	return ok;
}

static int enc_frame(void *ctx, unsigned ch, const float *in, uint8_t *stream)
{
	struct nj_opus *o = ctx;

	for (unsigned k = 0; k < o->frames; k++) {
		uint8_t *fr = stream + (size_t)k * (2 + o->frame_bytes);
		unsigned cap = o->frame_bytes < CELT_MAX_BYTES ? o->frame_bytes : CELT_MAX_BYTES;
		int n = opus_custom_encode_float(o->enc[ch], in + (size_t)k * o->frame_len,
						 (int)o->frame_len, fr + 2, (int)cap);

		if (n < 0) {
			n = 0; /* jack2 sends length 0 on an encoder error */
		}
		fr[0] = (uint8_t)(n >> 8);
		fr[1] = (uint8_t)n;
		/* zero padding: jack2 leaves stale memory here */
		memset(fr + 2 + n, 0, o->frame_bytes - (unsigned)n);
	}
	return 0;
}

static int dec_frame(void *ctx, unsigned ch, const uint8_t *stream, float *out)
{
	struct nj_opus *o = ctx;

	for (unsigned k = 0; k < o->frames; k++) {
		const uint8_t *fr = stream ? stream + (size_t)k * (2 + o->frame_bytes) : NULL;
		unsigned len = fr ? (unsigned)(fr[0] << 8 | fr[1]) : 0;
		float *dst = out + (size_t)k * o->frame_len;
		int r;

		/* A lost frame, or a length that cannot be right: conceal (PLC). */
		if (fr == NULL || len == 0 || len > o->frame_bytes) {
			r = opus_custom_decode_float(o->dec[ch], NULL, 0, dst, (int)o->frame_len);
		} else {
			r = opus_custom_decode_float(o->dec[ch], fr + 2, (int)len, dst,
						     (int)o->frame_len);
		}
		if (r < 0) {
			memset(dst, 0, sizeof(float) * o->frame_len);
		}
	}
	return 0;
}

/* The codecs of @channels channels, m frames of f samples per period, each
 * frame in 2 + @fbytes bytes (a uint16 BE length, then the frame). */
static int opus_create(uint32_t rate, unsigned m, unsigned f, unsigned fbytes, unsigned channels,
		       uint32_t kbps, bool ext, struct nj_opus **ret)
{
	struct nj_opus *o;
	int err;

	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		return -ENOMEM;
	}
	o->channels = channels;
	o->frames = m;
	o->frame_len = f;
	o->frame_bytes = fbytes;
	o->ops.encode = enc_frame;
	o->ops.decode = dec_frame;
	o->ops.stream_len = m * (2 + o->frame_bytes);
	o->mode = opus_custom_mode_create((opus_int32)rate, (int)f, &err);
	o->enc = calloc(channels, sizeof(*o->enc));
	o->dec = calloc(channels, sizeof(*o->dec));
	if (o->mode == NULL || o->enc == NULL || o->dec == NULL) {
		nj_opus_free(o);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < channels; i++) {
		o->enc[i] = opus_custom_encoder_create(o->mode, 1, &err);
		o->dec[i] = opus_custom_decoder_create(o->mode, 1, &err);
		if (o->enc[i] == NULL || o->dec[i] == NULL) {
			nj_opus_free(o);
			return -ENOMEM;
		}
		/* jack2's settings (netJACK2 and netone alike): bit rate kbps * 1024,
		 * complexity 10 */
		opus_custom_encoder_ctl(o->enc[i], OPUS_SET_BITRATE((opus_int32)kbps * 1024));
		opus_custom_encoder_ctl(o->enc[i], OPUS_SET_COMPLEXITY(10));
		if (ext) {
			opus_custom_encoder_ctl(o->enc[i], CELT_SET_SIGNALLING, 0);
			opus_custom_decoder_ctl(o->dec[i], CELT_SET_SIGNALLING, 0);
			/* fails harmlessly where the mode has fewer bands */
			opus_custom_encoder_ctl(o->enc[i], CELT_SET_END_BAND, MAX_END_BAND);
			opus_custom_decoder_ctl(o->dec[i], CELT_SET_END_BAND, MAX_END_BAND);
		}
	}
	*ret = o;
	return 0;
}

int nj_opus_new(uint32_t rate, uint32_t period, unsigned channels, uint32_t kbps, bool ext,
		struct nj_opus **ret)
{
	unsigned m = 0, f = 0;

	if (ret == NULL || channels == 0 || channels > NJ_MAX_CHANNELS ||
	    !nj_opus_check(rate, period, kbps, ext)) {
		return -EINVAL;
	}
	frame_layout(rate, period, ext, &m, &f);
	return opus_create(rate, m, f, frame_bytes(rate, f, kbps), channels, kbps, ext, ret);
}

int nj_opus_new_netone(uint32_t rate, uint32_t period, unsigned channels, uint32_t kbps,
		       struct nj_opus **ret)
{
	/* netone: the block N includes the length, so the frame gets N - 2
	 * bytes (netJACK2: 2 + B); one frame per period, no extension (jack2
	 * peers have none), and only where their libopus survives */
	unsigned n = nj1_block_size(NJ1_MODE_OPUS, period, rate, kbps);

	if (ret == NULL || channels == 0 || channels > NJ1_MAX_CHANNELS || n == 0 ||
	    !nj_opus_check(rate, period, kbps, false)) {
		return -EINVAL;
	}
	return opus_create(rate, 1, period, n - 2, channels, kbps, false, ret);
}

void nj_opus_free(struct nj_opus *o)
{
	if (o == NULL) {
		return;
	}
	for (unsigned i = 0; i < o->channels; i++) {
		if (o->enc != NULL && o->enc[i] != NULL) {
			opus_custom_encoder_destroy(o->enc[i]);
		}
		if (o->dec != NULL && o->dec[i] != NULL) {
			opus_custom_decoder_destroy(o->dec[i]);
		}
	}
	free(o->enc);
	free(o->dec);
	if (o->mode != NULL) {
		opus_custom_mode_destroy(o->mode);
	}
	free(o);
}

const struct nj_codec_ops *nj_opus_ops(const struct nj_opus *o)
{
	return &o->ops;
}
