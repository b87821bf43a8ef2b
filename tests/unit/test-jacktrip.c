/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-jacktrip.c - the JackTrip codec against JackTrip 1.7.0's own bytes
 * (tests/vectors/jacktrip-*.hex): every packet decodes, every datagram with
 * the known signal carries exactly the bytes our encoder makes of it, and the
 * sender rebuilds each captured datagram byte for byte; conversions, malformed
 * input and the hub handshake by table. Redundancy: test-jacktrip-stream.c.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/jacktrip.h>

#include "check-main.h"
#include "jt-signal.h"
#include "vectors.h"

/* The long name jt-capture.sh's names case gives one client with -K. */
static const char long_name[] =
	"ünïcödé-name-that-is-far-too-long-for-the-sixty-four-byte-field-€€€";

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

/* What a sub-packet carries: the known signal with period count k on the
 * channels in mask (the others silent: jack_connect patches them one at a
 * time), k -1 for silence, -2 for anything else. */
struct sub_sig {
	int k;
	uint32_t mask;
};

/* Fill @buf/@chans for @tag, @k and @mask (NULL for the silent channels). */
static void sig_period(int tag, const struct jt_header *h, int k, uint32_t mask, float *buf,
		       const float **chans)
{
	for (unsigned c = 0; c < jt_header_channels(h); c++) {
		chans[c] = NULL;
		if (k >= 0 && (mask >> c & 1)) {
			chans[c] = buf + (size_t)c * h->frames;
			jt_test_signal(tag, c, h->frames, k, buf + (size_t)c * h->frames);
		}
	}
}

/* Find k: the count whose encoding gives the captured bytes (channel 0,
 * frame 9 holds k / 256). */
static struct sub_sig find_k(const uint8_t *payload, const struct jt_header *h, int tag)
{
	unsigned ch = jt_header_channels(h), b = (unsigned)jt_sample_size(h->bits);
	size_t per = (size_t)h->frames * b, len = per * ch;
	float *buf = malloc(sizeof(float) * h->frames * ch);
	uint8_t *enc = malloc(len);
	const float *chans[JT_MAX_CHANNELS];
	struct sub_sig r = {-2, 0};

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(enc);
	ck_assert_uint_le(ch, 32);
	for (unsigned c = 0; c < ch; c++) {
		r.mask |= (uint32_t)!all_zero(payload + c * per, per) << c;
	}
	if (r.mask == 0) {
		r.k = -1;
	}
	for (int k = 0; k < 256 && r.k == -2; k++) {
		sig_period(tag, h, k, r.mask, buf, chans);
		ck_assert_int_eq(jt_audio_encode(chans, ch, h->frames, h->bits, enc, len), (int)len);
		if (memcmp(enc, payload, len) == 0) {
			r.k = k;
		}
		if (!(r.mask & 1)) {
			break; /* k is not on the wire */
		}
	}
	free(buf);
	free(enc);
	return r;
}

static int dir_tag(const struct vec_packet *p)
{
	return strcmp(p->dir, "S>C") == 0 ? 1 : 2;
}

static bool is_audio(const struct vec_packet *p)
{
	return strncmp(p->kind, "audio", 5) == 0;
}

/* Rebuild datagram @p (R sub-packets, newest @h) with a sender fed silence up
 * to the periods it carries, then those periods with their timestamps. */
static void rebuild(const struct vec_file *vf, const struct vec_packet *p, const struct jt_header *h,
		    unsigned r, const struct sub_sig *ks)
{
	struct jt_format f = {
		.frames = h->frames, .rate = h->rate, .bits = h->bits,
		.send_channels = jt_header_channels(h), .recv_channels = h->recv_channels,
		.redundancy = r,
	};
	size_t sub = jt_subpacket_size(f.frames, f.send_channels, f.bits);
	float *buf = calloc((size_t)f.frames * f.send_channels, sizeof(float));
	uint8_t *out = malloc(p->len);
	struct jt_sender *s;

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(jt_sender_new(&f, &s), 0);
	ck_assert_uint_eq(jt_sender_datagram_size(s), p->len);
	for (unsigned seq = 0; seq <= h->seq; seq++) {
		unsigned i = h->seq - seq; /* the sub-packet this period lands in */
		const float *chans[JT_MAX_CHANNELS] = {0};
		struct jt_header o = {0};

		if (i < r && p->data[i * sub + 13] != 0) {
			ck_assert_int_eq(jt_header_decode(p->data + i * sub, sub, &o), 0);
			sig_period(dir_tag(p), &o, ks[i].k, ks[i].mask, buf, chans);
		}
		ck_assert_uint_eq(jt_sender_seq(s), seq);
		ck_assert_int_eq(jt_sender_build(s, chans, o.timestamp_us, out, p->len), (int)p->len);
	}
	ck_assert_msg(memcmp(out, p->data, p->len) == 0, "%s packet %u: rebuilt datagram differs",
		      vf->name, p->index);
	jt_sender_free(s);
	free(buf);
	free(out);
}

/* The low 4 bytes of the double holding @x: what 1.7.0 sends for -b 32. */
static void broken_f32(float x, uint8_t *out)
{
	uint64_t u;
	double d = x;

	memcpy(&u, &d, sizeof(u));
	for (unsigned i = 0; i < 4; i++) {
		out[i] = (uint8_t)(u >> (8 * i));
	}
}

/* A 1.7.0 -b 32 payload: the broken transform of the known signal. */
static bool is_broken_signal(const uint8_t *payload, const struct jt_header *h, int tag)
{
	unsigned ch = jt_header_channels(h);
	float *buf = malloc(sizeof(float) * h->frames);
	bool ok = false;

	ck_assert_ptr_nonnull(buf);
	for (int k = 0; k < 256 && !ok; k++) {
		ok = true;
		for (unsigned c = 0; c < ch && ok; c++) {
			jt_test_signal(tag, c, h->frames, k, buf);
			for (unsigned n = 0; n < h->frames && ok; n++) {
				uint8_t b[4];

				broken_f32(buf[n], b);
				ok = memcmp(b, payload + ((size_t)c * h->frames + n) * 4, 4) == 0;
			}
		}
	}
	free(buf);
	return ok;
}

/* One audio datagram of the captures: parse, headers, signal, rebuild. */
static unsigned check_audio(const struct vec_file *vf, const struct vec_packet *p)
{
	struct jt_header h, o;
	int r = jt_datagram_parse(p->data, p->len, &h);
	struct sub_sig ks[JT_MAX_REDUNDANCY];
	size_t sub;
	uint8_t hb[JT_HEADER_SIZE];

	ck_assert_msg(r >= 1, "%s packet %u: parse %d", vf->name, p->index, r);
	ck_assert_uint_eq(h.seq, (unsigned)p->cycle);
	sub = p->len / (unsigned)r;
	for (int i = 0; i < r; i++) {
		const uint8_t *sp = p->data + (size_t)i * sub;

		ks[i] = (struct sub_sig){-1, 0};
		if (sp[13] == 0) {
			continue; /* an empty slot: all zero */
		}
		ck_assert_int_eq(jt_header_decode(sp, sub, &o), 0);
		ck_assert_int_eq(jt_header_encode(&o, hb, sizeof(hb)), JT_HEADER_SIZE);
		ck_assert(memcmp(hb, sp, JT_HEADER_SIZE) == 0);
		if (h.bits == 32) {
			/* 1.7.0's -b 32 sends the low half of a double */
			ck_assert(all_zero(sp + JT_HEADER_SIZE, sub - JT_HEADER_SIZE) ||
				  (jt_audio_f32_broken(sp + JT_HEADER_SIZE, sub - JT_HEADER_SIZE) &&
				   is_broken_signal(sp + JT_HEADER_SIZE, &o, dir_tag(p))));
			continue;
		}
		ks[i] = find_k(sp + JT_HEADER_SIZE, &o, dir_tag(p));
		ck_assert_msg(ks[i].k != -2, "%s packet %u sub %d: neither silence nor the signal",
			      vf->name, p->index, i);
	}
	ck_assert_msg(strcmp(p->kind, "audio/sig") != 0 || ks[0].k >= 0,
		      "%s packet %u: audio/sig without the signal", vf->name, p->index);
	if (h.bits != 32) {
		rebuild(vf, p, &h, (unsigned)r, ks);
	}
	return ks[0].k >= 0;
}

static const char *const jt_files[] = {
	"jacktrip-hub-b16.hex", "jacktrip-hub-b8.hex", "jacktrip-hub-b24.hex",
	"jacktrip-hub-b32.hex", "jacktrip-hub-n8.hex", "jacktrip-hub-r2.hex",
	"jacktrip-hub-period.hex", "jacktrip-hub-rate.hex", "jacktrip-hub-server-stops.hex",
	"jacktrip-p2p.hex", "jacktrip-p2p-r3.hex", "jacktrip-names-p0.hex",
	"jacktrip-names-p5.hex",
};

/* Every captured packet decodes, and encodes again to the same bytes. */
START_TEST(test_golden)
{
	unsigned sig = 0, audio = 0, tcp = 0, exits = 0;

	for (unsigned f = 0; f < sizeof(jt_files) / sizeof(jt_files[0]); f++) {
		struct vec_file *vf = vec_load(jt_files[f]);

		for (size_t i = 0; i < vf->n; i++) {
			const struct vec_packet *p = &vf->pkt[i];
			struct jt_hub_request q;
			uint8_t out[JT_HUB_REQUEST_SIZE];
			uint32_t v;

			if (is_audio(p)) {
				sig += check_audio(vf, p);
				audio++;
			} else if (strcmp(p->kind, "exit") == 0) {
				ck_assert(jt_is_exit(p->data, p->len));
				ck_assert_int_eq(jt_exit_build(out, sizeof(out)), JT_EXIT_SIZE);
				ck_assert(memcmp(out, p->data, JT_EXIT_SIZE) == 0);
				ck_assert_int_eq(jt_datagram_parse(p->data, p->len, NULL), -EBADMSG);
				exits++;
			} else if (strcmp(p->kind, "tcp/req") == 0) {
				ck_assert_int_eq(jt_hub_request_decode(p->data, p->len, &q), 0);
				ck_assert(q.has_name);
				ck_assert(jt_hub_value_is_port(q.value));
				ck_assert_int_eq(jt_hub_request_encode((uint16_t)q.value, q.name, out,
								       sizeof(out)),
						 JT_HUB_REQUEST_SIZE);
				ck_assert(memcmp(out, p->data, JT_HUB_REQUEST_SIZE) == 0);
				tcp++;
			} else if (strcmp(p->kind, "tcp/reply") == 0) {
				ck_assert_int_eq(jt_hub_reply_decode(p->data, p->len, &v), 0);
				ck_assert(jt_hub_value_is_port(v));
				ck_assert_int_eq(jt_hub_reply_encode(v, out, sizeof(out)),
						 JT_HUB_REPLY_SIZE);
				ck_assert(memcmp(out, p->data, JT_HUB_REPLY_SIZE) == 0);
				tcp++;
			} else {
				ck_abort_msg("%s packet %u: unknown kind %s", vf->name, p->index,
					     p->kind);
			}
		}
		vec_free(vf);
	}
	ck_assert_uint_ge(sig, 40);
	ck_assert_uint_ge(audio, 80);
	ck_assert_uint_ge(tcp, 30);
	ck_assert_uint_ge(exits, 40);
}
END_TEST

/* Look packet @index up in @vf. */
static const struct vec_packet *pkt(const struct vec_file *vf, unsigned index)
{
	for (size_t i = 0; i < vf->n; i++) {
		if (vf->pkt[i].index == index) {
			return &vf->pkt[i];
		}
	}
	ck_abort_msg("%s: no packet %u", vf->name, index);
	return NULL;
}

/* Fields as the captures show them (doc/protocol/JACKTRIP.md). */
START_TEST(test_golden_fields)
{
	struct vec_file *vf = vec_load("jacktrip-hub-b16.hex");
	struct vec_file *nf = vec_load("jacktrip-names-p0.hex");
	struct vec_file *rf = vec_load("jacktrip-hub-rate.hex");
	struct jt_hub_request q;
	struct jt_header h;
	uint8_t out[JT_HUB_REQUEST_SIZE];
	uint32_t v;
	unsigned asym = 0, longn = 0;

	ck_assert_int_eq(jt_hub_request_decode(vf->pkt[0].data, vf->pkt[0].len, &q), 0);
	ck_assert_uint_eq(q.value, 4464);
	ck_assert_str_eq(q.name, "goldclient");
	ck_assert_int_eq(jt_hub_reply_decode(vf->pkt[1].data, vf->pkt[1].len, &v), 0);
	ck_assert_uint_eq(v, JT_HUB_UDP_BASE);
	ck_assert_int_eq(jt_datagram_parse(vf->pkt[2].data, vf->pkt[2].len, &h), 1);
	ck_assert_uint_eq(h.seq, 0);
	ck_assert_uint_eq(h.frames, 128);
	ck_assert_uint_eq(h.rate, JT_RATE_48000);
	ck_assert_uint_eq(h.bits, 16);
	ck_assert_uint_eq(h.recv_channels, 2);
	ck_assert_uint_eq(h.send_field, 0);
	/* names: the long UTF-8 name is cut to 63 bytes before a character;
	 * the asymmetric client has --sendchannels 3 --receivechannels 1 */
	for (size_t i = 0; i < nf->n; i++) {
		const struct vec_packet *p = &nf->pkt[i];

		if (strcmp(p->kind, "tcp/req") == 0 &&
		    jt_hub_request_decode(p->data, p->len, &q) == 0 && q.value == 4482) {
			ck_assert_uint_eq(strlen(q.name), 63);
			ck_assert_int_eq(jt_hub_request_encode(4482, long_name, out, sizeof(out)),
					 JT_HUB_REQUEST_SIZE);
			ck_assert(memcmp(out, p->data, JT_HUB_REQUEST_SIZE) == 0);
			longn++;
		}
		if (is_audio(p) && jt_datagram_parse(p->data, p->len, &h) == 1 &&
		    h.send_field != 0) {
			if (strcmp(p->dir, "C>S") == 0) {
				unsigned snd, rcv;

				ck_assert_uint_eq(h.recv_channels, 1);
				ck_assert_uint_eq(h.send_field, 3);
				/* the server made asym:send_1 and asym:receive_1..3 */
				jt_hub_channels(&h, &snd, &rcv);
				ck_assert_uint_eq(snd, 1);
				ck_assert_uint_eq(rcv, 3);
			} else {
				ck_assert_uint_eq(h.recv_channels, 3);
				ck_assert_uint_eq(h.send_field, 1);
			}
			asym++;
		}
	}
	ck_assert_uint_eq(longn, 1);
	ck_assert_uint_eq(asym, 2);
	/* rate mismatch: the 44.1 kHz client sends code 2, the server 3 */
	ck_assert_int_eq(jt_header_decode(pkt(rf, 2)->data, pkt(rf, 2)->len, &h), 0);
	ck_assert_uint_eq(h.rate, JT_RATE_44100);
	ck_assert_str_eq(pkt(rf, 11)->dir, "S>C");
	ck_assert_int_eq(jt_header_decode(pkt(rf, 11)->data, pkt(rf, 11)->len, &h), 0);
	ck_assert_uint_eq(h.rate, JT_RATE_48000);
	vec_free(vf);
	vec_free(nf);
	vec_free(rf);
}
END_TEST

/* Redundant copies are the very bytes of the earlier datagram's period. */
START_TEST(test_golden_redundant_copies)
{
	static const struct {
		const char *file;
		unsigned older, newer, r;
	} pairs[] = {
		{"jacktrip-p2p-r3.hex", 141, 143, 3},
		{"jacktrip-p2p-r3.hex", 718, 720, 3},
		{"jacktrip-hub-r2.hex", 0, 0, 2},
	};

	for (unsigned t = 0; t < sizeof(pairs) / sizeof(pairs[0]); t++) {
		struct vec_file *vf = vec_load(pairs[t].file);
		const struct vec_packet *a, *b;
		size_t sub;

		if (pairs[t].older == 0) {
			/* the first two audio/sig datagrams of the client */
			size_t i = 0;

			while (strcmp(vf->pkt[i].kind, "audio/sig") != 0) {
				i++;
			}
			a = &vf->pkt[i];
			b = &vf->pkt[i + 1];
		} else {
			a = pkt(vf, pairs[t].older);
			b = pkt(vf, pairs[t].newer);
		}
		ck_assert_int_eq(jt_datagram_parse(a->data, a->len, NULL), (int)pairs[t].r);
		ck_assert_int_eq(jt_datagram_parse(b->data, b->len, NULL), (int)pairs[t].r);
		ck_assert_int_eq(b->cycle, a->cycle + 1);
		sub = a->len / pairs[t].r;
		for (unsigned i = 0; i + 1 < pairs[t].r; i++) {
			ck_assert(memcmp(a->data + i * sub, b->data + (i + 1) * sub, sub) == 0);
		}
		vec_free(vf);
	}
}
END_TEST

/* Samples as 1.7.0 converts them: the captured specials and then some. */
START_TEST(test_sample_table)
{
	static const struct {
		float x;
		unsigned bits;
		uint8_t b[4];
	} t[] = {
		{1.0f, 8, {0x7f}}, {-1.0f, 8, {0x81}}, {1.5f, 8, {0x7f}}, {0.5f, 8, {0x40}},
		{-0.25f, 8, {0xe0}}, {NAN, 8, {0x7f}}, {-INFINITY, 8, {0x81}},
		{1.0f, 16, {0xff, 0x7f}}, {-1.0f, 16, {0x01, 0x80}}, {0.5f, 16, {0x00, 0x40}},
		{-0.25f, 16, {0x00, 0xe0}}, {0x1p-15f, 16, {0x01, 0x00}}, {NAN, 16, {0xff, 0x7f}},
		{-3.0f, 16, {0x01, 0x80}}, {0x1.5p-16f, 16, {0x01, 0x00}},
		{1.0f, 24, {0x00, 0x80, 0x00}}, {-1.0f, 24, {0x00, 0x80, 0x00}},
		{1.5f, 24, {0x00, 0xc0, 0x00}}, {-1.5f, 24, {0x00, 0x40, 0x00}},
		{0.5f, 24, {0x00, 0x40, 0x00}}, {-0.25f, 24, {0x00, 0xe0, 0x00}},
		{0x1p-15f, 24, {0x01, 0x00, 0x00}}, {0x1.fffffep-1f, 24, {0xff, 0x7f, 0xff}},
		{-0x1p-16f, 24, {0xff, 0xff, 0x80}}, {3.0f, 24, {0x00, 0x80, 0x00}},
		{-3.0f, 24, {0x00, 0x80, 0x00}}, {NAN, 24, {0x00, 0x00, 0x00}},
		{65536.0f, 24, {0x00, 0x00, 0x00}}, /* 2^31: cvttss2si's 0x80000000 */
		{1.0f, 32, {0x00, 0x00, 0x80, 0x3f}}, {-0.25f, 32, {0x00, 0x00, 0x80, 0xbe}},
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t out[4] = {0};

		jt_sample_encode(t[i].x, t[i].bits, out);
		ck_assert_msg(memcmp(out, t[i].b, t[i].bits / 8) == 0, "row %u: %02x %02x %02x", i,
			      out[0], out[1], out[2]);
	}
	/* decoding: int / 2^(bits-1); 24-bit 00 80 00 is -1.0 */
	ck_assert(jt_sample_decode((const uint8_t[]){0x81}, 8) == -127.0f / 128);
	ck_assert(jt_sample_decode((const uint8_t[]){0xff, 0x7f}, 16) == 32767.0f / 32768);
	ck_assert(jt_sample_decode((const uint8_t[]){0x00, 0x80, 0x00}, 24) == -1.0f);
	ck_assert(jt_sample_decode((const uint8_t[]){0xff, 0xff, 0x80}, 24) == -0x1p-16f);
	ck_assert(jt_sample_decode((const uint8_t[]){0xff, 0x7f, 0xff}, 24) ==
		  (float)(8388607.0 / 8388608.0));
}
END_TEST

/* Round trips: 32-bit bit-exact; 24-bit within one step (it floors); 16 and
 * 8 bits within one step up to half scale and 1.5 steps at full scale, since
 * 1.7.0 encodes with 32767 (127) and decodes with 32768 (128). */
START_TEST(test_sample_roundtrip)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (unsigned i = 0; i < 200000; i++) {
		uint32_t u;
		float x, y;
		uint8_t b[4];

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		u = (uint32_t)(s >> 32);
		memcpy(&x, &u, sizeof(x));
		if (isfinite(x)) {
			jt_sample_encode(x, 32, b);
			y = jt_sample_decode(b, 32);
			ck_assert(memcmp(&x, &y, sizeof(x)) == 0);
		}
		x = (float)((double)u / 4294967296.0 * 2.0 - 1.0); /* [-1, 1) */
		jt_sample_encode(x, 16, b);
		y = jt_sample_decode(b, 16);
		ck_assert(fabsf(y - x) <= (fabsf(x) <= 0.5f ? 1.0f : 1.5f) / 32768);
		ck_assert(fabs((double)(int16_t)(b[0] | b[1] << 8) - x * 32767.0) <= 0.5);
		jt_sample_encode(x, 8, b);
		y = jt_sample_decode(b, 8);
		ck_assert(fabsf(y - x) <= (fabsf(x) <= 0.5f ? 1.0f : 1.5f) / 128);
		jt_sample_encode(x, 24, b);
		y = jt_sample_decode(b, 24);
		ck_assert(y <= x && x - y < 0x1p-23f);
	}
}
END_TEST

/* Payload layout: planar, NULL buffers, fewer and more local channels. */
START_TEST(test_payload)
{
	float a[4] = {0.5f, -0.5f, 0.25f, 0}, b[4] = {1, 2, 3, 4};
	const float *in[3] = {a, NULL, b};
	float o0[4], o1[4], o2[4], o3[4] = {9, 9, 9, 9};
	float *out[4] = {o0, o1, o2, o3};
	uint8_t p[3 * 4 * 4];

	ck_assert_int_eq(jt_audio_encode(in, 3, 4, 32, p, sizeof(p)), 48);
	ck_assert_int_eq(jt_audio_encode(in, 3, 4, 32, p, 47), -ENOBUFS);
	ck_assert_int_eq(jt_audio_encode(in, 3, 4, 12, p, sizeof(p)), -EINVAL);
	ck_assert_int_eq(jt_audio_encode(in, 0, 4, 32, p, sizeof(p)), -EINVAL);
	ck_assert_int_eq(jt_audio_decode(p, 47, 3, 4, 32, out, 4), -EBADMSG);
	ck_assert_int_eq(jt_audio_decode(p, 48, 3, 4, 32, out, 4), 0);
	ck_assert(memcmp(o0, a, sizeof(a)) == 0);
	ck_assert(o1[0] == 0 && o1[3] == 0);
	ck_assert(memcmp(o2, b, sizeof(b)) == 0);
	ck_assert(o3[0] == 0 && o3[3] == 0); /* beyond the payload: zeroed */
	ck_assert_int_eq(jt_audio_decode(p, 48, 3, 4, 32, out, 1), 0);
	/* channel 2 starts at frames * channel * 4 */
	ck_assert(jt_sample_decode(p + 2 * 4 * 4, 32) == 1.0f);
	ck_assert(!jt_audio_f32_broken(p, sizeof(p)));
	memset(p, 0, sizeof(p));
	ck_assert(!jt_audio_f32_broken(p, sizeof(p)));
	p[3] = 0xe0;
	ck_assert(jt_audio_f32_broken(p, sizeof(p)));
	ck_assert(!jt_audio_f32_broken(p, 5));
}
END_TEST

/* Rates: codes as 1.7.0 computes them, its 19200 typo included. */
START_TEST(test_rates)
{
	ck_assert_uint_eq(jt_rate_code(48000), JT_RATE_48000);
	ck_assert_uint_eq(jt_rate_code(47901), JT_RATE_48000);
	ck_assert_uint_eq(jt_rate_code(47900), JT_RATE_UNDEF);
	ck_assert_uint_eq(jt_rate_code(44100), JT_RATE_44100);
	ck_assert_uint_eq(jt_rate_code(22050), JT_RATE_22050);
	ck_assert_uint_eq(jt_rate_code(96000), JT_RATE_96000);
	ck_assert_uint_eq(jt_rate_code(192000), JT_RATE_UNDEF);
	ck_assert_uint_eq(jt_rate_code(19200), JT_RATE_192000);
	ck_assert_uint_eq(jt_rate_code(0), JT_RATE_UNDEF);
	ck_assert_uint_eq(jt_rate_hz(JT_RATE_88200), 88200);
	ck_assert_uint_eq(jt_rate_hz(JT_RATE_192000), 192000);
	ck_assert_uint_eq(jt_rate_hz(JT_RATE_UNDEF), 0);
	ck_assert_uint_eq(jt_rate_hz(200), 0);
	ck_assert_int_eq(jt_sample_size(24), 3);
	ck_assert_int_eq(jt_sample_size(4), -EINVAL);
	ck_assert_uint_eq(jt_send_field(2, 2), 0);
	ck_assert_uint_eq(jt_send_field(3, 1), 3);
	ck_assert_uint_eq(jt_subpacket_size(128, 2, 16), 528);
	ck_assert_uint_eq(jt_subpacket_size(65535, 255, 32), 0);
}
END_TEST

/* Formats a sender refuses. */
START_TEST(test_format_check)
{
	static const struct jt_format bad[] = {
		{0, 3, 16, 2, 2, 1},      /* no frames */
		{65536, 3, 8, 1, 1, 1},   /* N is 16 bits */
		{128, 8, 16, 2, 2, 1},    /* rate code */
		{128, 3, 12, 2, 2, 1},    /* bits */
		{128, 3, 16, 0, 2, 1},    /* no channel */
		{128, 3, 16, 2, 0, 1},    /* byte 14 */
		{128, 3, 16, 256, 2, 1},  /* uint8 */
		{128, 3, 16, 2, 2, 0},    /* R */
		{128, 3, 16, 2, 2, 17},   /* R above our bound */
		{4096, 3, 32, 8, 8, 1},   /* 131088 bytes */
		{47, 3, 8, 1, 1, 1},      /* 63 bytes: an exit packet to 1.7.0 */
	};
	struct jt_format ok = {128, 3, 16, 2, 2, 3};
	struct jt_sender *s = (void *)1;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(jt_format_check(&bad[i]) == -EINVAL, "row %u", i);
		ck_assert_int_eq(jt_sender_new(&bad[i], &s), -EINVAL);
		ck_assert_uint_eq(jt_datagram_size(&bad[i]), 0);
	}
	ck_assert_ptr_eq(s, (void *)1);
	ck_assert_int_eq(jt_format_check(&ok), 0);
	ck_assert_uint_eq(jt_datagram_size(&ok), 3 * 528);
	jt_sender_free(NULL);
	jt_receiver_free(NULL);
}
END_TEST

/* A valid datagram to mutate: 2 sub-packets of N 4, 16-bit, 2 channels. */
static size_t sample_dgram(uint8_t *buf, uint16_t seq)
{
	struct jt_header h = {123, seq, 4, 3, 16, 2, 0};

	memset(buf, 0, 64);
	jt_header_encode(&h, buf, 16);
	h.seq--;
	jt_header_encode(&h, buf + 32, 16);
	return 64;
}

/* Malformed datagrams: each row mutates one byte or the length. */
START_TEST(test_datagram_malformed)
{
	static const struct {
		size_t off;     /* byte to set, or SIZE_MAX for none */
		uint8_t val;
		size_t len;     /* length to pass */
		int want;
	} t[] = {
		{SIZE_MAX, 0, 64, 2},
		{SIZE_MAX, 0, 32, 1},      /* one sub-packet is fine too */
		{SIZE_MAX, 0, 15, -EBADMSG},
		{SIZE_MAX, 0, 0, -EBADMSG},
		{SIZE_MAX, 0, 31, -EBADMSG},
		{SIZE_MAX, 0, 33, -EBADMSG},
		{SIZE_MAX, 0, 63, -EBADMSG},
		{10, 0, 64, -EBADMSG},     /* N = 0 */
		{10, 5, 64, -EBADMSG},     /* N 5: the size does not match */
		{11, 1, 64, -EBADMSG},     /* N 260 */
		{12, 8, 64, -EBADMSG},     /* rate code */
		{13, 12, 64, -EBADMSG},    /* bits */
		{13, 32, 64, -EBADMSG},    /* 32 bits: twice the size */
		{14, 0, 64, -EBADMSG},     /* no channel */
		{15, 1, 64, -EBADMSG},     /* one channel: half the size */
		{40, 9, 64, -EBADMSG},     /* older seq wrong */
		{42, 8, 64, -EBADMSG},     /* older N differs */
		{44, 2, 64, -EBADMSG},     /* older rate differs */
		{46, 3, 64, -EBADMSG},     /* older channels differ */
		{47, 2, 64, -EBADMSG},
		{16, 0x55, 64, 2},         /* audio bytes are anything */
		{0, 0xff, 64, 2},          /* the timestamp too */
	};
	uint8_t buf[64];
	struct jt_header h;

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sample_dgram(buf, 7);
		if (t[i].off != SIZE_MAX) {
			buf[t[i].off] = t[i].val;
		}
		ck_assert_msg(jt_datagram_parse(buf, t[i].len, &h) == t[i].want, "row %u", i);
	}
	/* the oldest slot empty (all zero), as at start-up: fine */
	sample_dgram(buf, 7);
	memset(buf + 32, 0, 32);
	ck_assert_int_eq(jt_datagram_parse(buf, 64, &h), 2);
	ck_assert_uint_eq(h.seq, 7);
	/* seq wraps: 0 then 65535 */
	sample_dgram(buf, 0);
	ck_assert_int_eq(jt_datagram_parse(buf, 64, &h), 2);
	ck_assert_int_eq(jt_datagram_parse(NULL, 64, &h), -EBADMSG);
	ck_assert_int_eq(jt_header_decode(buf, 15, &h), -EBADMSG);
	ck_assert_int_eq(jt_header_encode(&h, buf, 15), -ENOBUFS);
	/* more sub-packets than JT_MAX_REDUNDANCY */
	{
		static uint8_t big[17 * 20];
		struct jt_header one = {0, 100, 1, 3, 16, 2, 0};

		for (unsigned i = 0; i < 17; i++) {
			one.seq = (uint16_t)(100 - i);
			jt_header_encode(&one, big + i * 20, 20);
		}
		ck_assert_int_eq(jt_datagram_parse(big, 16 * 20, NULL), 16);
		ck_assert_int_eq(jt_datagram_parse(big, 17 * 20, NULL), -EBADMSG);
	}
}
END_TEST

/* The exit packet: 63 x 0xFF only. */
START_TEST(test_exit)
{
	uint8_t b[64];

	ck_assert_int_eq(jt_exit_build(b, 62), -ENOBUFS);
	ck_assert_int_eq(jt_exit_build(b, sizeof(b)), 63);
	ck_assert(jt_is_exit(b, 63));
	ck_assert(!jt_is_exit(b, 62));
	ck_assert(!jt_is_exit(b, 64));
	b[62] = 0xfe;
	ck_assert(!jt_is_exit(b, 63));
	ck_assert(!jt_is_exit(NULL, 63));
}
END_TEST

/* Hub requests: lengths, values, names. */
START_TEST(test_hub_request)
{
	static const struct {
		const char *name; /* 64 bytes of field, NUL-padded; NULL: 4-byte form */
		size_t namelen;
		uint32_t value;
		int want;
	} t[] = {
		{NULL, 0, 4464, 0},
		{NULL, 0, JT_HUB_AUTH_OK, 0},
		{NULL, 0, 0, -EBADMSG},
		{NULL, 0, 65537, -EBADMSG},
		{NULL, 0, 0xffffffffu, -EBADMSG},
		{"", 0, 4464, 0},
		{"studio-b", 8, 61000, 0},
		{"studio-b", 8, 0, -EBADMSG},
		{"studio-b", 8, JT_HUB_AUTH_OK, -EBADMSG},
		{"\xc3\xbc", 2, 1, 0},
		{"\xc3", 1, 1, -EBADMSG},          /* cut character */
		{"\xc0\xaf", 2, 1, -EBADMSG},      /* overlong */
		{"\xed\xa0\x80", 3, 1, -EBADMSG},  /* surrogate */
		{"\xf4\x90\x80\x80", 4, 1, -EBADMSG}, /* above U+10FFFF */
		{"\xff", 1, 1, -EBADMSG},
		{"\xe2\x82\xac", 3, 65535, 0},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64, 1,
		 -EBADMSG}, /* no NUL */
	};
	uint8_t b[JT_HUB_REQUEST_SIZE];
	struct jt_hub_request q;

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = t[i].name ? JT_HUB_REQUEST_SIZE : JT_HUB_SHORT_SIZE;

		memset(b, 0, sizeof(b));
		for (unsigned k = 0; k < 4; k++) {
			b[k] = (uint8_t)(t[i].value >> (8 * k));
		}
		if (t[i].name) {
			memcpy(b + 4, t[i].name, t[i].namelen);
		}
		memset(&q, 0x5a, sizeof(q));
		ck_assert_msg(jt_hub_request_decode(b, len, &q) == t[i].want, "row %u", i);
		if (t[i].want == 0) {
			ck_assert_uint_eq(q.value, t[i].value);
			ck_assert(q.has_name == (t[i].name != NULL));
			ck_assert_uint_eq(strlen(q.name), t[i].namelen);
		}
	}
	for (size_t len = 0; len <= sizeof(b); len++) {
		if (len != 4 && len != 68) {
			ck_assert_int_eq(jt_hub_request_decode(b, len, &q), -EBADMSG);
		}
	}
	/* encoding: no name is 64 zeros; a long ASCII name is cut to 63 */
	ck_assert_int_eq(jt_hub_request_encode(4464, NULL, b, sizeof(b)), 68);
	ck_assert(b[0] == 0x70 && b[1] == 0x11 && b[2] == 0 && b[3] == 0 && b[4] == 0);
	ck_assert_int_eq(jt_hub_request_encode(0, "x", b, sizeof(b)), -EINVAL);
	ck_assert_int_eq(jt_hub_request_encode(1, "x", b, 67), -ENOBUFS);
	ck_assert_int_eq(jt_hub_request_encode(1, t[16].name, b, sizeof(b)), 68);
	ck_assert_int_eq(jt_hub_request_decode(b, 68, &q), 0);
	ck_assert_uint_eq(strlen(q.name), 63);
	ck_assert_int_eq(jt_hub_auth_request_encode(b, sizeof(b)), 4);
	ck_assert(b[0] == 0 && b[1] == 0 && b[2] == 1 && b[3] == 0);
}
END_TEST

/* Hub replies: ports and the auth codes, nothing else. */
START_TEST(test_hub_reply)
{
	static const struct {
		uint32_t v;
		int want;
	} t[] = {
		{61002, 0}, {1, 0}, {65535, 0}, {0, -EBADMSG}, {65536, 0}, {131072, 0},
		{196608, 0}, {262144, 0}, {327680, 0}, {393216, -EBADMSG}, {65537, -EBADMSG},
		{0x80000000u, -EBADMSG},
	};
	uint8_t b[5];
	uint32_t v;

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (unsigned k = 0; k < 4; k++) {
			b[k] = (uint8_t)(t[i].v >> (8 * k));
		}
		v = 7;
		ck_assert_msg(jt_hub_reply_decode(b, 4, &v) == t[i].want, "row %u", i);
		ck_assert_uint_eq(v, t[i].want == 0 ? t[i].v : 7);
		ck_assert_int_eq(jt_hub_reply_encode(t[i].v, b, 4), t[i].want ? -EINVAL : 4);
	}
	ck_assert_int_eq(jt_hub_reply_decode(b, 3, &v), -EBADMSG);
	ck_assert_int_eq(jt_hub_reply_decode(b, 5, &v), -EBADMSG);
	ck_assert_int_eq(jt_hub_reply_encode(61002, b, 3), -ENOBUFS);
	ck_assert_int_eq(jt_hub_reply_encode(JT_HUB_AUTH_NOT_REQUIRED, b, 4), 4);
	ck_assert(b[0] == 0 && b[1] == 0 && b[2] == 3 && b[3] == 0);
	ck_assert(!jt_hub_value_is_port(JT_HUB_AUTH_NOT_REQUIRED));
}
END_TEST

static Suite *jacktrip_suite(void)
{
	Suite *s = suite_create("jacktrip");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_golden_fields);
	tcase_add_test(tc, test_golden_redundant_copies);
	tcase_add_test(tc, test_sample_table);
	tcase_add_test(tc, test_sample_roundtrip);
	tcase_add_test(tc, test_payload);
	tcase_add_test(tc, test_rates);
	tcase_add_test(tc, test_format_check);
	tcase_add_test(tc, test_datagram_malformed);
	tcase_add_test(tc, test_exit);
	tcase_add_test(tc, test_hub_request);
	tcase_add_test(tc, test_hub_reply);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(jacktrip_suite)
