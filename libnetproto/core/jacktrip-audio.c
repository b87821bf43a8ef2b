/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jacktrip-audio.c - JackTrip 1.7.0's sample conversions and planar payload
 * (AudioInterface::fromSampleToBitConversion / fromBitToSampleConversion).
 * The arithmetic follows 1.7.0's types step by step (double products, float
 * intermediates, std::round, std::min/max argument order, x86 truncation),
 * so that our bytes equal its bytes for every float: the golden vectors hold
 * 1.0, 1.5, 3.0 and the largest float below 1 to prove it.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <libnetproto/jacktrip.h>

/* What cvttss2si/cvttsd2si (32-bit) give for a static_cast from a float or
 * double: the truncated value when it fits, 0x80000000 otherwise (NaN too).
 * 1.7.0 casts to int16_t and uint8_t through it, keeping the low bits. */
static int32_t x86_trunc(double v)
{
	if (v >= -2147483648.0 && v < 2147483648.0) {
		return (int32_t)v;
	}
	return INT32_MIN;
}

/* std::min(hi, v) then std::max(lo, .), with their comparisons: NaN ends up hi. */
static double clamp_like_std(double v, double lo, double hi)
{
	double m = v < hi ? v : hi;

	return lo < m ? m : lo;
}

static uint32_t f32_bits(float x)
{
	uint32_t u;

	memcpy(&u, &x, sizeof(u));
	return u;
}

static float f32_from_bits(uint32_t u)
{
	float x;

	memcpy(&x, &u, sizeof(x));
	return x;
}

void jt_sample_encode(float x, unsigned bits, uint8_t *out)
{
	double t;
	float h, r;
	uint32_t u;
	int32_t v;

	switch (bits) {
	case 8:
		v = (int32_t)clamp_like_std(round((double)x * 127.0), -127.0, 127.0);
		out[0] = (uint8_t)v;
		break;
	case 16:
		v = (int32_t)clamp_like_std(round((double)x * 32767.0), -32767.0, 32767.0);
		out[0] = (uint8_t)v;
		out[1] = (uint8_t)((uint32_t)v >> 8);
		break;
	case 24:
		/* tmp_sample (double) = x * 32768; tmp_sample16 (float) =
		 * floor(tmp_sample); int16 of it; the remainder times 256,
		 * floored into a float, as a uint8 */
		t = (double)x * 32768.0;
		h = (float)floor(t);
		v = x86_trunc(h);
		out[0] = (uint8_t)v;
		out[1] = (uint8_t)((uint32_t)v >> 8);
		r = (float)floor((t - (double)h) * 256.0);
		out[2] = (uint8_t)x86_trunc(r);
		break;
	case 32:
		u = f32_bits(x);
		out[0] = (uint8_t)u;
		out[1] = (uint8_t)(u >> 8);
		out[2] = (uint8_t)(u >> 16);
		out[3] = (uint8_t)(u >> 24);
		break;
	default:
		break;
	}
}

float jt_sample_decode(const uint8_t *in, unsigned bits)
{
	int16_t h;

	switch (bits) {
	case 8:
		return (float)((int8_t)in[0] / 128.0);
	case 16:
		h = (int16_t)(uint16_t)(in[0] | in[1] << 8);
		return (float)(h / 32768.0);
	case 24:
		/* (tmp_sample16 + u8 / 256) / 32768: exact in float */
		h = (int16_t)(uint16_t)(in[0] | in[1] << 8);
		return (float)((h * 256 + in[2]) / 8388608.0);
	case 32:
		return f32_from_bits((uint32_t)in[0] | (uint32_t)in[1] << 8 |
				     (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24);
	default:
		return 0.0f;
	}
}

/* Payload bytes for the counts, 0 if impossible. */
static size_t payload_size(unsigned channels, unsigned frames, unsigned bits)
{
	size_t sub = jt_subpacket_size(frames, channels, bits);

	return sub ? sub - JT_HEADER_SIZE : 0;
}

int jt_audio_encode(const float *const *ch, unsigned channels, unsigned frames, unsigned bits,
		    uint8_t *out, size_t len)
{
	size_t need = payload_size(channels, frames, bits);
	unsigned b = bits / 8;

	if (need == 0 || out == NULL) {
		return -EINVAL;
	}
	if (len < need) {
		return -ENOBUFS;
	}
	/* planar: channel c's N samples, then channel c+1's (the wire layout
	 * 1.7.0 converts its interleaved buffer into at the socket) */
	for (unsigned c = 0; c < channels; c++) {
		uint8_t *p = out + (size_t)c * frames * b;
		const float *src = ch != NULL ? ch[c] : NULL;

		if (src == NULL) {
			memset(p, 0, (size_t)frames * b);
			continue;
		}
		for (unsigned n = 0; n < frames; n++) {
			jt_sample_encode(src[n], bits, p + (size_t)n * b);
		}
	}
	return (int)need;
}

int jt_audio_decode(const uint8_t *in, size_t len, unsigned channels, unsigned frames,
		    unsigned bits, float *const *ch, unsigned nch)
{
	size_t need = payload_size(channels, frames, bits);
	unsigned b = bits / 8;

	if (need == 0 || (ch == NULL && nch > 0)) {
		return -EINVAL;
	}
	if (in == NULL || len != need) {
		return -EBADMSG;
	}
	for (unsigned c = 0; c < nch; c++) {
		const uint8_t *p;

		if (ch[c] == NULL) {
			continue;
		}
		if (c >= channels) {
			memset(ch[c], 0, sizeof(float) * frames);
			continue;
		}
		p = in + (size_t)c * frames * b;
		for (unsigned n = 0; n < frames; n++) {
			ch[c][n] = jt_sample_decode(p + (size_t)n * b, bits);
		}
	}
	return 0;
}

bool jt_audio_f32_broken(const uint8_t *payload, size_t len)
{
	bool nonzero = false;

	if (payload == NULL || len == 0 || len % 4 != 0) {
		return false;
	}
	/* 1.7.0 memcpy()s 4 bytes of a double holding the float: its low
	 * mantissa word, zero but for the float's 3 lowest mantissa bits */
	for (size_t i = 0; i < len; i += 4) {
		if (payload[i] != 0 || payload[i + 1] != 0 || payload[i + 2] != 0 ||
		    (payload[i + 3] & 0x1f) != 0) {
			return false;
		}
		nonzero |= payload[i + 3] != 0;
	}
	return nonzero;
}
