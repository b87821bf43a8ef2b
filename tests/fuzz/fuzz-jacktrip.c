/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-jacktrip.c - the JackTrip decoders: the input is one datagram (or TCP
 * message) as captured (the seeds are the golden vectors), then, after it,
 * more datagrams each prefixed by a 2-byte length, fed to a receiver made
 * from the first one's header. Every output buffer is exactly as large as
 * the contract says, so the sanitizers catch any access past it; the
 * invariants the API promises abort when broken.
 */
#include <stdlib.h>
#include <string.h>

#include <libnetproto/jacktrip.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode every sub-packet of a parsed datagram into exact-size buffers. */
static void decode_all(const uint8_t *buf, size_t len, const struct jt_header *h, int r)
{
	unsigned ch = jt_header_channels(h), nch = 1 + ch % 3 + ch / 2;
	size_t sub = len / (size_t)r;
	float **out = malloc(sizeof(*out) * nch);

	if ((size_t)r * sub != len || sub != jt_subpacket_size(h->frames, ch, h->bits)) {
		abort();
	}
	for (unsigned c = 0; c < nch; c++) {
		out[c] = malloc(sizeof(float) * h->frames);
	}
	for (int i = 0; i < r; i++) {
		const uint8_t *p = buf + (size_t)i * sub + JT_HEADER_SIZE;

		if (jt_audio_decode(p, sub - JT_HEADER_SIZE, ch, h->frames, h->bits, out, nch) != 0) {
			abort();
		}
		jt_audio_f32_broken(p, sub - JT_HEADER_SIZE);
	}
	for (unsigned c = 0; c < nch; c++) {
		free(out[c]);
	}
	free(out);
}

/* A receiver for @h's format, fed the length-prefixed datagrams in @rest. */
static void receive(const uint8_t *first, size_t len, const struct jt_header *h,
		    const uint8_t *rest, size_t n)
{
	struct jt_rx_config cfg = {h->frames, h->rate, h->bits, jt_header_channels(h),
				   JT_MAX_REDUNDANCY};
	struct jt_receiver *r;
	unsigned nch = cfg.channels + 1;
	float **out;
	int got;

	if (jt_receiver_new(&cfg, &r) != 0) {
		abort();
	}
	out = malloc(sizeof(*out) * nch);
	for (unsigned c = 0; c < nch; c++) {
		out[c] = malloc(sizeof(float) * h->frames);
	}
	got = jt_receiver_push(r, first, len, NULL);
	while (got >= 0) {
		struct jt_rx_info info;
		uint16_t seq;
		int popped = 0;
		uint8_t *dg;
		size_t l;

		while (jt_receiver_pop(r, out, nch, &seq) == 1) {
			popped++;
		}
		if (popped != got || n < 2) {
			if (popped != got) {
				abort();
			}
			break;
		}
		l = (size_t)rest[0] << 8 | rest[1];
		rest += 2;
		n -= 2;
		if (l > n) {
			l = n;
		}
		dg = malloc(l ? l : 1); /* exact size: a read past it is caught */
		memcpy(dg, rest, l);
		got = jt_receiver_push(r, dg, l, &info);
		free(dg);
		if (got >= 0 && (got > JT_MAX_REDUNDANCY || (unsigned)got != info.taken)) {
			abort();
		}
		if (got < 0) {
			got = 0; /* refused: nothing queued, go on with the next */
		}
		rest += l;
		n -= l;
	}
	for (unsigned c = 0; c < nch; c++) {
		free(out[c]);
	}
	free(out);
	jt_receiver_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jt_hub_request q;
	struct jt_header h;
	uint8_t *buf;
	size_t len = size;
	uint32_t v;
	int r;

	/* the first datagram ends where a 0xA5 0x5A marker is (else at the end) */
	for (size_t i = 0; i + 1 < size; i++) {
		if (data[i] == 0xa5 && data[i + 1] == 0x5a) {
			len = i;
			break;
		}
	}
	buf = malloc(len ? len : 1);
	memcpy(buf, data, len);
	jt_is_exit(buf, len);
	if (jt_hub_request_decode(buf, len, &q) == 0 && strlen(q.name) >= JT_NAME_SIZE) {
		abort();
	}
	jt_hub_reply_decode(buf, len, &v);
	jt_header_decode(buf, len, &h);
	r = jt_datagram_parse(buf, len, &h);
	if (r > 0) {
		decode_all(buf, len, &h, r);
		receive(buf, len, &h, data + len + (len < size ? 2 : 0),
			size - len - (len < size ? 2 : 0));
	}
	free(buf);
	return 0;
}
