/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jacktrip.c - JackTrip 1.7.0's datagram header, sizes, exit packet and hub
 * handshake messages (doc/protocol/JACKTRIP.md). Samples and payloads are in
 * jacktrip-audio.c, the redundancy sender and the receiver in
 * jacktrip-stream.c.
 */
#include <errno.h>
#include <string.h>

#include <libnetproto/jacktrip.h>

static const unsigned rate_hz[] = {22050, 32000, 44100, 48000, 88200, 96000, 192000};

unsigned jt_rate_code(unsigned hz)
{
	/* AudioInterface::getSampleRateType(): |rate - listed| < 100, the last
	 * comparison against 19200 instead of 192000 (so 192 kHz is UNDEF). */
	static const unsigned cmp[] = {22050, 32000, 44100, 48000, 88200, 96000, 19200};

	for (unsigned i = 0; i < sizeof(cmp) / sizeof(cmp[0]); i++) {
		unsigned d = hz > cmp[i] ? hz - cmp[i] : cmp[i] - hz;

		if (d < 100) {
			return i;
		}
	}
	return JT_RATE_UNDEF;
}

unsigned jt_rate_hz(unsigned rate)
{
	return rate < sizeof(rate_hz) / sizeof(rate_hz[0]) ? rate_hz[rate] : 0;
}

int jt_sample_size(unsigned bits)
{
	switch (bits) {
	case 8:
	case 16:
	case 24:
	case 32:
		return (int)(bits / 8);
	default:
		return -EINVAL;
	}
}

size_t jt_subpacket_size(unsigned frames, unsigned channels, unsigned bits)
{
	int b = jt_sample_size(bits);
	unsigned long long n;

	if (b < 0 || frames == 0 || channels == 0) {
		return 0;
	}
	n = JT_HEADER_SIZE + (unsigned long long)frames * channels * (unsigned)b;
	return n > JT_MAX_DATAGRAM ? 0 : (size_t)n;
}

int jt_format_check(const struct jt_format *f)
{
	size_t sub;

	if (f == NULL || f->frames > 65535 || f->rate > JT_RATE_UNDEF ||
	    f->send_channels > JT_MAX_CHANNELS || f->recv_channels == 0 ||
	    f->recv_channels > JT_MAX_CHANNELS || f->redundancy == 0 ||
	    f->redundancy > JT_MAX_REDUNDANCY) {
		return -EINVAL;
	}
	sub = jt_subpacket_size(f->frames, f->send_channels, f->bits);
	if (sub == 0 || sub * f->redundancy > JT_MAX_DATAGRAM || sub * f->redundancy == JT_EXIT_SIZE) {
		return -EINVAL;
	}
	return 0;
}

size_t jt_datagram_size(const struct jt_format *f)
{
	if (jt_format_check(f) < 0) {
		return 0;
	}
	return jt_subpacket_size(f->frames, f->send_channels, f->bits) * f->redundancy;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		v |= (uint64_t)p[i] << (8 * i);
	}
	return v;
}

int jt_header_encode(const struct jt_header *h, uint8_t *buf, size_t len)
{
	if (h == NULL || buf == NULL) {
		return -EINVAL;
	}
	if (len < JT_HEADER_SIZE) {
		return -ENOBUFS;
	}
	put_le(buf, h->timestamp_us, 8);
	put_le(buf + 8, h->seq, 2);
	put_le(buf + 10, h->frames, 2);
	buf[12] = h->rate;
	buf[13] = h->bits;
	buf[14] = h->recv_channels;
	buf[15] = h->send_field;
	return JT_HEADER_SIZE;
}

int jt_header_decode(const uint8_t *buf, size_t len, struct jt_header *ret)
{
	struct jt_header h;

	if (buf == NULL || len < JT_HEADER_SIZE) {
		return -EBADMSG;
	}
	h.timestamp_us = get_le(buf, 8);
	h.seq = (uint16_t)get_le(buf + 8, 2);
	h.frames = (uint16_t)get_le(buf + 10, 2);
	h.rate = buf[12];
	h.bits = buf[13];
	h.recv_channels = buf[14];
	h.send_field = buf[15];
	if (h.frames == 0 || h.rate > JT_RATE_UNDEF || jt_sample_size(h.bits) < 0 ||
	    jt_header_channels(&h) == 0) {
		return -EBADMSG;
	}
	if (ret != NULL) {
		*ret = h;
	}
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

int jt_datagram_parse(const uint8_t *buf, size_t len, struct jt_header *ret_hdr)
{
	struct jt_header h, o;
	size_t sub;
	unsigned r;

	/* 1.7.0 takes every 63-byte datagram as control, whatever it holds */
	if (len == JT_EXIT_SIZE || jt_header_decode(buf, len, &h) < 0) {
		return -EBADMSG;
	}
	sub = jt_subpacket_size(h.frames, jt_header_channels(&h), h.bits);
	if (sub == 0 || len % sub != 0 || len / sub > JT_MAX_REDUNDANCY) {
		return -EBADMSG;
	}
	r = (unsigned)(len / sub);
	for (unsigned i = 1; i < r; i++) {
		const uint8_t *p = buf + i * sub;

		if (all_zero(p, JT_HEADER_SIZE)) {
			continue; /* a slot the sender had not filled yet */
		}
		if (jt_header_decode(p, sub, &o) < 0 || o.frames != h.frames || o.rate != h.rate ||
		    o.bits != h.bits || o.recv_channels != h.recv_channels ||
		    o.send_field != h.send_field || o.seq != (uint16_t)(h.seq - i)) {
			return -EBADMSG;
		}
	}
	if (ret_hdr != NULL) {
		*ret_hdr = h;
	}
	return (int)r;
}

int jt_exit_build(uint8_t *buf, size_t len)
{
	if (buf == NULL) {
		return -EINVAL;
	}
	if (len < JT_EXIT_SIZE) {
		return -ENOBUFS;
	}
	memset(buf, 0xff, JT_EXIT_SIZE);
	return JT_EXIT_SIZE;
}

bool jt_is_exit(const uint8_t *buf, size_t len)
{
	if (buf == NULL || len != JT_EXIT_SIZE) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != 0xff) {
			return false;
		}
	}
	return true;
}

/* Length of the valid UTF-8 sequence at @s (at most @n bytes), 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_char(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80) {
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n) {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
		return 0;
	}
	return len;
}

int jt_hub_request_encode(uint16_t port, const char *name, uint8_t *buf, size_t len)
{
	size_t n = 0;

	if (buf == NULL || port == 0) {
		return -EINVAL;
	}
	if (len < JT_HUB_REQUEST_SIZE) {
		return -ENOBUFS;
	}
	put_le(buf, port, 4);
	memset(buf + 4, 0, JT_NAME_SIZE);
	if (name != NULL) {
		n = strlen(name);
		/* JackTrip::receivedConnectionTCP: at most 63 bytes, moved back
		 * so that no multi-byte character is cut */
		if (n > JT_NAME_SIZE - 1) {
			n = JT_NAME_SIZE - 1;
			while (n > 0 && ((uint8_t)name[n] & 0xc0) == 0x80) {
				n--;
			}
		}
		memcpy(buf + 4, name, n);
	}
	return JT_HUB_REQUEST_SIZE;
}

int jt_hub_auth_request_encode(uint8_t *buf, size_t len)
{
	return jt_hub_reply_encode(JT_HUB_AUTH_OK, buf, len);
}

int jt_hub_request_decode(const uint8_t *buf, size_t len, struct jt_hub_request *ret)
{
	struct jt_hub_request q;
	const uint8_t *name, *nul;
	size_t n, i, c;

	if (buf == NULL || (len != JT_HUB_SHORT_SIZE && len != JT_HUB_REQUEST_SIZE)) {
		return -EBADMSG;
	}
	memset(&q, 0, sizeof(q));
	q.value = (uint32_t)get_le(buf, 4);
	if (len == JT_HUB_SHORT_SIZE) {
		if (!jt_hub_value_is_port(q.value) && q.value != JT_HUB_AUTH_OK) {
			return -EBADMSG;
		}
	} else {
		if (!jt_hub_value_is_port(q.value)) {
			return -EBADMSG;
		}
		name = buf + 4;
		nul = memchr(name, 0, JT_NAME_SIZE);
		if (nul == NULL) {
			return -EBADMSG; /* no NUL in the field */
		}
		n = (size_t)(nul - name);
		for (i = 0; i < n; i += c) {
			c = utf8_char(name + i, n - i);
			if (c == 0) {
				return -EBADMSG;
			}
		}
		memcpy(q.name, name, n);
		q.has_name = true;
	}
	if (ret != NULL) {
		*ret = q;
	}
	return 0;
}

static bool hub_code(uint32_t v)
{
	switch (v) {
	case JT_HUB_AUTH_OK:
	case JT_HUB_AUTH_REQUIRED:
	case JT_HUB_AUTH_NOT_REQUIRED:
	case JT_HUB_AUTH_WRONG_CREDS:
	case JT_HUB_AUTH_WRONG_TIME:
		return true;
	default:
		return false;
	}
}

int jt_hub_reply_encode(uint32_t value, uint8_t *buf, size_t len)
{
	if (buf == NULL || (!jt_hub_value_is_port(value) && !hub_code(value))) {
		return -EINVAL;
	}
	if (len < JT_HUB_REPLY_SIZE) {
		return -ENOBUFS;
	}
	put_le(buf, value, 4);
	return JT_HUB_REPLY_SIZE;
}

int jt_hub_reply_decode(const uint8_t *buf, size_t len, uint32_t *ret_value)
{
	uint32_t v;

	if (buf == NULL || len != JT_HUB_REPLY_SIZE) {
		return -EBADMSG;
	}
	v = (uint32_t)get_le(buf, 4);
	if (!jt_hub_value_is_port(v) && !hub_code(v)) {
		return -EBADMSG;
	}
	if (ret_value != NULL) {
		*ret_value = v;
	}
	return 0;
}
