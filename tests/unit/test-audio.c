/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-audio.c - float/int16/stream payloads: golden bytes, layout tables, hostile input. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/audio.h>
#include <libnetproto/wire.h>

#include "check-main.h"
#include "vectors.h"

/* The session a capture file negotiated (its SLAVE_SETUP), or @fallback. */
static struct nj2_params session_of(const struct vec_file *vf)
{
	struct nj2_params p;

	for (size_t i = 0; i < vf->n; i++) {
		if (strcmp(vf->pkt[i].kind, "SLAVE_SETUP") == 0) {
			ck_assert_int_eq(nj2_params_decode(vf->pkt[i].data, vf->pkt[i].len, &p), 0);
			return p;
		}
	}
	ck_abort_msg("%s has no SLAVE_SETUP", vf->name);
	return p;
}

static bool is_audio(const struct vec_packet *pk, struct nj2_header *h)
{
	return pk->cycle >= 0 && nj2_header_decode(pk->data, pk->len, h) == 0 &&
	       h->data_type == NJ2_DATA_AUDIO;
}

/*
 * Float: every captured audio packet decodes, re-encodes to the same bytes, and
 * carries the generator's ramp (c + i/1024 on channel 1, the negative on 2;
 * the slave returns 0.5x).
 */
START_TEST(test_float_golden)
{
	static const char *const files[] = {"jack2-float-2ch.hex", "jack2-float-2ch-p480.hex",
					    "jack2-discovery-restart.hex"};
	unsigned checked = 0, ramps = 0;

	for (unsigned f = 0; f < 3; f++) {
		struct vec_file *vf = vec_load(files[f]);
		struct nj2_params sp = session_of(vf);
		static float bufs[2][NJ_PERIOD_MAX];
		float *ports[2] = {bufs[0], bufs[1]};

		for (size_t i = 0; i < vf->n; i++) {
			const struct vec_packet *pk = &vf->pkt[i];
			const uint8_t *pl = pk->data + NJ2_HEADER_SIZE;
			size_t plen = pk->len - NJ2_HEADER_SIZE;
			struct nj_portset present;
			struct nj2_header h;
			const float *src[2];
			uint32_t idx[2];
			uint8_t out[2048];
			unsigned n = 0;
			int s;

			if (!is_audio(pk, &h) || h.active_ports == 0) {
				continue;
			}
			nj_portset_clear(&present);
			s = nj2_float_decode(pl, plen, h.active_ports, h.sub_cycle, sp.period, ports, 2,
					    &present);
			ck_assert_int_gt(s, 0);
			ck_assert_uint_eq((unsigned)s, nj2_float_subperiod(sp.mtu, h.active_ports,
									   sp.period));
			ck_assert_uint_eq(h.num_packet,
					  nj2_float_packets(sp.mtu, h.active_ports, sp.period));
			for (unsigned p = 0; p < 2; p++) {
				if (nj_portset_has(&present, p)) {
					src[n] = ports[p];
					idx[n++] = p;
				}
			}
			ck_assert_uint_eq(n, h.active_ports);
			ck_assert_int_eq(nj2_float_encode(out, sizeof(out), src, idx, n, h.sub_cycle,
							 (unsigned)s),
					 (int)plen);
			ck_assert_msg(memcmp(out, pl, plen) == 0, "%s #%u: float re-encode differs",
				      vf->name, pk->index);
			checked++;
			/* The ramp: neighbouring samples differ by 1/1024 (x 0.5 on return). */
			if (n == 2) {
				const float *a = ports[0] + h.sub_cycle * (unsigned)s;
				const float *b = ports[1] + h.sub_cycle * (unsigned)s;
				float step = (h.stream == NJ2_STREAM_SEND ? 1.0f : 0.5f) / 1024.0f;

				for (int k = 1; k < s; k++) {
					ck_assert_float_eq_tol(a[k] - a[k - 1], step, 1e-4f);
					ck_assert_float_eq(b[k], -a[k]);
				}
				ramps++;
			}
		}
		vec_free(vf);
	}
	ck_assert_uint_ge(checked, 10);
	ck_assert_uint_ge(ramps, 8);
}
END_TEST

/* Opus streams: chunks placed by byte offset and cut again give the same bytes. */
START_TEST(test_stream_golden_opus)
{
	static const char *const files[] = {"jack2-opus64-2ch-p480.hex",
					    "jack2-opus400-2ch-p960.hex"};

	for (unsigned f = 0; f < 2; f++) {
		struct vec_file *vf = vec_load(files[f]);
		struct nj2_params sp = session_of(vf);
		unsigned b = (unsigned)((unsigned long long)sp.kbps * 1024 * sp.period /
					((unsigned long long)sp.sample_rate * 8));
		unsigned len = b + 2, chunk, n = nj2_stream_layout(sp.mtu, 2, len, &chunk);
		static uint8_t s0[2048], s1[2048];
		uint8_t *streams[2] = {s0, s1};
		unsigned checked = 0;

		ck_assert_uint_eq(sp.encoder, NJ2_ENCODER_OPUS);
		ck_assert_uint_gt(n, 0);
		for (size_t i = 0; i < vf->n; i++) {
			const struct vec_packet *pk = &vf->pkt[i];
			struct nj2_header h;
			uint8_t out[2048];
			size_t plen = pk->len - NJ2_HEADER_SIZE;

			if (!is_audio(pk, &h)) {
				continue;
			}
			ck_assert_uint_eq(h.num_packet, n);
			ck_assert_uint_eq(h.active_ports, 2);
			ck_assert_int_eq(nj2_stream_decode(pk->data + NJ2_HEADER_SIZE, plen, sp.mtu, 2,
							  len, h.sub_cycle, streams),
					 0);
			ck_assert_int_eq(nj2_stream_encode(out, sizeof(out), sp.mtu,
							  (const uint8_t *const *)streams, 2, len,
							  h.sub_cycle),
					 (int)plen);
			ck_assert(memcmp(out, pk->data + NJ2_HEADER_SIZE, plen) == 0);
			if (h.sub_cycle == 0) {
				/* BE length prefix: what the encoder produced, at most B. */
				unsigned l0 = (unsigned)(s0[0] << 8 | s0[1]);

				ck_assert_uint_gt(l0, 0);
				ck_assert_uint_le(l0, b);
			}
			checked++;
		}
		ck_assert_uint_ge(checked, 3);
		vec_free(vf);
	}
}
END_TEST

/*
 * Float layout for every channel count and many periods at MTU 1500 and 9000:
 * S is a power of two, the samples fit jack2's budget, and the datagram exceeds
 * the MTU exactly where the fact sheet says jack2's rule does (the port index
 * words are not in its budget).
 */
START_TEST(test_float_table)
{
	static const unsigned periods[] = {16, 32, 64, 128, 256, 480, 512, 960, 1024,
					   2048, 4096, 8192};
	static const unsigned mtus[] = {1500, 9000};
	unsigned over_1500[257] = {0};

	for (unsigned m = 0; m < 2; m++) {
		unsigned budget = nj2_payload_budget(mtus[m]);

		for (unsigned pi = 0; pi < sizeof(periods) / sizeof(periods[0]); pi++) {
			for (unsigned a = 1; a <= NJ_MAX_CHANNELS; a++) {
				unsigned P = periods[pi];
				unsigned s = nj2_float_subperiod(mtus[m], a, P);
				unsigned n = nj2_float_packets(mtus[m], a, P);

				if (4 * a > budget) {
					ck_assert_uint_eq(s, 0);
					ck_assert_uint_eq(n, 0);
					continue;
				}
				ck_assert_uint_gt(s, 0);
				ck_assert_uint_eq(s & (s - 1), P & (P - 1) ? (s & (s - 1)) : 0);
				ck_assert_uint_le(s, P);
				ck_assert_uint_le(4 * a * s, budget);
				ck_assert(s == P || 4 * a * 2 * s > budget);
				ck_assert_uint_eq(n, P / s);
				/* IPv4 datagram = payload + 20 (IP) + 8 (UDP) */
				if (mtus[m] == 1500 && P == 8192 &&
				    NJ2_HEADER_SIZE + a * (4 + 4 * s) + 28 > 1500) {
					over_1500[a] = 1;
				}
			}
		}
	}
	/* NETJACK2-WIRE.md: at MTU 1500, IPv4 datagrams exceed the MTU for
	 * A = 21, 40-43, 72-86, 119-173 and >= 179. */
	for (unsigned a = 1; a <= 347; a++) {
		bool expect = a == 21 || (a >= 40 && a <= 43) || (a >= 72 && a <= 86) ||
			      (a >= 119 && a <= 173) || a >= 179;

		if (a > NJ_MAX_CHANNELS) {
			break;
		}
		ck_assert_msg(over_1500[a] == expect, "A=%u: over MTU %u, sheet says %d", a,
			      over_1500[a], expect);
	}
}
END_TEST

/* int16 and Opus stream layouts: chunks cover the stream exactly, within limits. */
START_TEST(test_stream_table)
{
	static const unsigned mtus[] = {1500, 9000};
	unsigned layouts = 0;

	for (unsigned m = 0; m < 2; m++) {
		for (unsigned P = 16; P <= NJ_PERIOD_MAX; P *= 2) {
			for (unsigned c = 1; c <= NJ_MAX_CHANNELS; c++) {
				unsigned len = nj2_int16_stream_len(P), chunk;
				unsigned n = nj2_stream_layout(mtus[m], c, len, &chunk);
				unsigned long long total = 0;

				if (n == 0) {
					/* only when the packet count bound is hit */
					ck_assert_uint_gt((unsigned long long)c * len,
							  (unsigned long long)NJ2_MAX_PACKETS_PER_CYCLE *
								  nj2_payload_budget(mtus[m]) -
								  nj2_payload_budget(mtus[m]));
					continue;
				}
				ck_assert_uint_eq(n, ((unsigned long long)c * len +
						      nj2_payload_budget(mtus[m]) - 1) /
							     nj2_payload_budget(mtus[m]));
				for (unsigned k = 0; k < n; k++) {
					total += nj2_stream_chunk_len(len, n, chunk, k);
				}
				ck_assert_uint_eq(total, len);
				/* all but the last chunk fit the budget exactly as jack2's */
				ck_assert_uint_le((unsigned long long)c * chunk,
						  nj2_payload_budget(mtus[m]));
				layouts++;
			}
		}
	}
	ck_assert_uint_gt(layouts, 4500); /* 4867 of 5120: the rest exceed 1024 packets */
}
END_TEST

/* Encode then decode every packet of a cycle: the period comes back exactly. */
START_TEST(test_float_roundtrip)
{
	static const unsigned periods[] = {16, 64, 256, 480, 1024, 4096};
	static const unsigned chans[] = {1, 2, 3, 8, 21, 64, 256};
	static float in[16][4096], outb[16][4096];
	uint8_t pkt[9000];

	for (unsigned pi = 0; pi < 6; pi++) {
		for (unsigned ci = 0; ci < 7; ci++) {
			for (unsigned mtu = 1500; mtu <= 9000; mtu += 7500) {
				unsigned P = periods[pi], C = chans[ci], A = C < 16 ? C : 16;
				unsigned s = nj2_float_subperiod(mtu, C, P);
				const float *src[16];
				float *dst[16];
				uint32_t idx[16];

				if (s == 0) {
					continue;
				}
				/* Encode A of the C ports (the highest indices). */
				for (unsigned i = 0; i < A; i++) {
					idx[i] = C - A + i;
					src[i] = in[i];
					for (unsigned k = 0; k < P; k++) {
						in[i][k] = (float)(i + 1) * 0.001f * (float)k - 0.5f;
						outb[i][k] = 99.0f;
					}
				}
				s = nj2_float_subperiod(mtu, A, P);
				for (unsigned k = 0; k < P / s; k++) {
					int len = nj2_float_encode(pkt, sizeof(pkt), src, idx, A, k, s);
					float *ports[NJ_MAX_CHANNELS] = {0};

					ck_assert_int_eq(len, (int)(A * (4 + 4 * s)));
					for (unsigned i = 0; i < A; i++) {
						ports[C - A + i] = outb[i];
						dst[i] = outb[i];
					}
					ck_assert_int_eq(nj2_float_decode(pkt, (size_t)len, A, k, P, ports,
									 C, NULL),
							 (int)s);
				}
				for (unsigned i = 0; i < A; i++) {
					unsigned sent = (P / s) * s;

					ck_assert(memcmp(dst[i], in[i], sent * sizeof(float)) == 0);
					/* jack2 never sends the frames past n * S */
					for (unsigned k = sent; k < P; k++) {
						ck_assert_float_eq(dst[i][k], 99.0f);
					}
				}
			}
		}
	}
}
END_TEST

/* PipeWire's sub-period rule floor(log2((B-4A)/(4A))) differs; we still decode it. */
START_TEST(test_float_pipewire_rule)
{
	static float bufs[200][256];
	float *ports[200];
	const float *src[200];
	uint32_t idx[200];
	uint8_t pkt[1600];
	unsigned differ = 0;

	for (unsigned i = 0; i < 200; i++) {
		ports[i] = bufs[i];
		src[i] = bufs[i];
		idx[i] = i;
	}
	for (unsigned a = 1; a < 200; a++) {
		unsigned b = nj2_payload_budget(1500), q = (b - 4 * a) / (4 * a), s = 1;
		int len;

		if (q == 0) {
			break;
		}
		while (s * 2 <= q) {
			s *= 2;
		}
		if (s > 256) {
			s = 256;
		}
		if (s != nj2_float_subperiod(1500, a, 256)) {
			differ++;
		}
		len = nj2_float_encode(pkt, sizeof(pkt), src, idx, a, 0, s);
		ck_assert_int_gt(len, 0);
		ck_assert_int_eq(nj2_float_decode(pkt, (size_t)len, a, 0, 256, ports, 200, NULL),
				 (int)s);
	}
	ck_assert_uint_gt(differ, 10); /* the two rules really do differ */
}
END_TEST

START_TEST(test_float_hostile)
{
	static float bufs[4][256];
	float *ports[4] = {bufs[0], bufs[1], bufs[2], bufs[3]};
	uint8_t pkt[2 * (4 + 4 * 64)] = {0};

	nj_put_be32(pkt, 0);
	nj_put_be32(pkt + 260, 1);
	ck_assert_int_eq(nj2_float_decode(pkt, sizeof(pkt), 2, 0, 256, ports, 4, NULL), 64);
	ck_assert_int_eq(nj2_float_decode(pkt, sizeof(pkt), 2, 3, 256, ports, 4, NULL), 64);
	ck_assert_int_eq(nj2_float_decode(pkt, sizeof(pkt), 2, 4, 256, ports, 4, NULL), -EBADMSG);
	ck_assert_int_eq(nj2_float_decode(pkt, sizeof(pkt), 2, 0, 32, ports, 4, NULL), -EBADMSG);
	ck_assert_int_eq(nj2_float_decode(pkt, sizeof(pkt) - 1, 2, 0, 256, ports, 4, NULL), -EBADMSG);
	ck_assert_int_eq(nj2_float_decode(pkt, sizeof(pkt), 0, 0, 256, ports, 4, NULL), -EBADMSG);
	ck_assert_int_eq(nj2_float_decode(pkt, sizeof(pkt), 5, 0, 256, ports, 4, NULL), -EBADMSG);
	ck_assert_int_eq(nj2_float_decode(pkt, sizeof(pkt), 3, 0, 256, ports, 4, NULL), -EBADMSG);
	ck_assert_int_eq(nj2_float_decode(pkt, 8, 2, 0, 256, ports, 4, NULL), -EBADMSG);
	nj_put_be32(pkt + 260, 4); /* port index out of range */
	ck_assert_int_eq(nj2_float_decode(pkt, sizeof(pkt), 2, 0, 256, ports, 4, NULL), -EBADMSG);
	nj_put_be32(pkt + 260, 0xFFFFFFFFu);
	ck_assert_int_eq(nj2_float_decode(pkt, sizeof(pkt), 2, 0, 256, ports, 4, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_stream_hostile)
{
	static uint8_t s0[512], s1[512];
	uint8_t *streams[2] = {s0, s1};
	uint8_t pkt[1024] = {0};

	/* int16, 2 ch, P 256: one 1024-byte packet at MTU 1500 */
	ck_assert_int_eq(nj2_stream_decode(pkt, 1024, 1500, 2, 512, 0, streams), 0);
	ck_assert_int_eq(nj2_stream_decode(pkt, 1023, 1500, 2, 512, 0, streams), -EBADMSG);
	ck_assert_int_eq(nj2_stream_decode(pkt, 1024, 1500, 2, 512, 1, streams), -EBADMSG);
	ck_assert_int_eq(nj2_stream_decode(pkt, 1024, 100, 2, 512, 0, streams), -EBADMSG);
	ck_assert_int_eq(nj2_stream_decode(pkt, 0, 1500, 0, 512, 0, streams), -EBADMSG);
	ck_assert_int_eq(nj2_stream_encode(pkt, 1000, 1500, (const uint8_t *const *)streams, 2, 512,
					  0),
			 -ENOBUFS);
}
END_TEST

START_TEST(test_int16)
{
	static const float x[] = {0.0f, 0.5f, -0.5f, 1.0f, -1.0f, 2.0f, -7.0f, 1e-6f};
	static const int16_t want[] = {0, 16383, -16383, 32767, -32767, 32767, -32767, 0};
	uint8_t st[16];
	float back[8];

	nj2_int16_from_float(st, x, 8);
	for (unsigned i = 0; i < 8; i++) {
		int16_t v = (int16_t)(uint16_t)(st[2 * i] | st[2 * i + 1] << 8);

		ck_assert_int_eq(v, want[i]);
	}
	nj2_int16_to_float(back, st, 8);
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_float_eq_tol(back[i], x[i], 1.0f / 32767.0f);
	}
}
END_TEST

START_TEST(test_check_session)
{
	struct nj2_params p;

	nj2_params_init(&p);
	p.packet_id = NJ2_SLAVE_SETUP;
	p.sample_rate = 48000;
	p.period = 256;
	p.send_audio = p.return_audio = 2;
	ck_assert_int_eq(nj2_params_check_session(&p), 0);
	p.send_audio = -1;
	ck_assert_int_eq(nj2_params_check_session(&p), -EINVAL);
	p.send_audio = 256;
	p.mtu = 256; /* 144-byte budget: 36 float ports at most */
	ck_assert_int_eq(nj2_params_check_session(&p), -EINVAL);
	p.send_audio = 36;
	ck_assert_int_eq(nj2_params_check_session(&p), 0);
	p.encoder = NJ2_ENCODER_CELT;
	ck_assert_int_eq(nj2_params_check_session(&p), -EINVAL);
	p.encoder = NJ2_ENCODER_OPUS;
	p.kbps = 0;
	ck_assert_int_eq(nj2_params_check_session(&p), -EINVAL);
	p.kbps = 64;
	ck_assert_int_eq(nj2_params_check_session(&p), 0);
	p.encoder = NJ2_ENCODER_INT16;
	p.period = 8192;
	p.mtu = 1500;
	p.send_audio = 256; /* 256 * 16384 bytes: over 1024 packets */
	ck_assert_int_eq(nj2_params_check_session(&p), -EINVAL);
}
END_TEST

/* IP packets jack2's float layout takes for a cycle at @mtu over IPv6 (fragments
 * carry mtu - 48 bytes rounded down to 8: header and fragment header). */
static unsigned jack2_ip_packets(unsigned mtu, unsigned a, unsigned P)
{
	unsigned s = nj2_float_subperiod(mtu, a, P), frag = (mtu - 48) / 8 * 8;
	unsigned udp = 8 + NJ2_HEADER_SIZE + a * (4 + 4 * s);

	if (s == 0 || P % s != 0) {
		return 0; /* (jack2 leaves frames n S.. unsent: no comparison) */
	}
	return (P / s) * (40 + udp <= mtu ? 1 : (udp + frag - 1) / frag);
}

/*
 * Tiles for every active count 1..256 at small and large periods and three
 * MTUs: each tile within the budget (never more than the MTU less IPv6 and
 * UDP headers), the tiles cover A x P exactly once, the count never above
 * the IP packets jack2's layout takes (fragments counted) and within 20 %
 * (+1) of the bound that index overhead allows.
 */
START_TEST(test_tiles_layout)
{
	static const unsigned periods[] = {16, 64, 128, 256, 480, 1024, 4096};
	static const unsigned mtus[] = {576, 1500, 9000};
	double worst = 0;

	for (unsigned mi = 0; mi < 3; mi++) {
		for (unsigned pi = 0; pi < 7; pi++) {
			for (unsigned a = 1; a <= NJ_MAX_CHANNELS; a++) {
				unsigned mtu = mtus[mi], P = periods[pi], budget = nj2_tile_budget(mtu);
				unsigned long long cover = 0, bound;
				unsigned n, j2;
				struct nj2_tiles t;

				n = nj2_float_tiles(mtu, a, P, &t);
				if (n == 0) {
					/* only where even the fewest packets pass the limit */
					ck_assert_uint_gt((unsigned long long)a * P * 4 / budget,
							  NJ2_MAX_PACKETS_PER_CYCLE / 2);
					continue;
				}
				ck_assert_uint_eq(n, t.n);
				ck_assert_uint_eq(n % t.nb, 0);
				for (unsigned k = 0, runs = 0, last = 0; k < n; k++) {
					unsigned f0, nf, p0, np, ng = n / t.nb, size;

					nj2_tile_span(&t, a, P, k, &f0, &nf, &p0, &np);
					/* nj2_tile_k is its inverse */
					ck_assert_uint_eq(nj2_tile_k(&t, f0 / t.s, p0 / t.g), k);
					/* equal sizes in runs (one GSO send each): at
					 * most min(blocks, groups) + 1 of them */
					size = np * (4 + 4 * nf);
					runs += k == 0 || size > last;
					last = size;
					ck_assert_uint_le(runs, (t.nb < ng ? t.nb : ng) + 1);
					ck_assert_uint_le(np * (4 + 4 * nf), budget);
					ck_assert_uint_le(f0 + nf, P);
					ck_assert_uint_le(p0 + np, a);
					cover += (unsigned long long)np * nf;
				}
				ck_assert_uint_eq(cover, (unsigned long long)a * P);
				j2 = jack2_ip_packets(mtu, a, P);
				if (j2 > 0) {
					ck_assert_msg(n <= j2, "mtu %u A %u P %u: %u tiles, jack2 %u", mtu,
						      a, P, n, j2);
				}
				/* a record of one frame per port at the least */
				bound = ((unsigned long long)a * (4 * P + 4) + budget - 1) / budget;
				ck_assert_msg(n <= bound * 1.2 + 1, "mtu %u A %u P %u: %u tiles, bound %llu",
					      mtu, a, P, n, bound);
				worst = (double)n / (double)bound > worst ? (double)n / (double)bound
									  : worst;
			}
		}
	}
	fprintf(stderr, "tiles: at most %.3f x the bound\n", worst);
}
END_TEST

/* Tiles round trip bit-exact, ports scattered among 256; hostile tiles refused before a write. */
START_TEST(test_tiles_roundtrip)
{
	static float in[NJ_MAX_CHANNELS][256], out[NJ_MAX_CHANNELS][256];
	static uint8_t pkt[9000];
	const float *src[NJ_MAX_CHANNELS];
	float *ports[NJ_MAX_CHANNELS];
	uint32_t idx[NJ_MAX_CHANNELS];
	static const unsigned cases[][3] = {{1500, 256, 128}, {1500, 40, 256}, {1500, 7, 256},
					    {9000, 256, 256}, {576, 100, 64}};

	for (unsigned c = 0; c < 5; c++) {
		unsigned mtu = cases[c][0], a = cases[c][1], P = cases[c][2], frames = 0;
		struct nj2_portset_holder {
			struct nj_portset s;
		} present;
		struct nj2_tiles t;
		unsigned n = nj2_float_tiles(mtu, a, P, &t);

		ck_assert_uint_gt(n, 0);
		nj_portset_clear(&present.s);
		for (unsigned i = 0; i < a; i++) {
			/* every other index when they fit, so records are not positions */
			idx[i] = a <= NJ_MAX_CHANNELS / 2 ? 2 * i + 1 : i;
			src[i] = in[i];
			for (unsigned k = 0; k < P; k++) {
				in[i][k] = (float)((i * 7919u + k * 31u) % 1999u) / 1000.0f - 1.0f;
			}
		}
		for (unsigned i = 0; i < NJ_MAX_CHANNELS; i++) {
			ports[i] = out[i];
			memset(out[i], 0, sizeof(out[i]));
		}
		for (unsigned k = 0; k < n; k++) {
			int len = nj2_tile_encode(pkt, sizeof(pkt), src, idx, a, P, &t, k);
			unsigned f0, nf, p0, np;
			int f;

			ck_assert_int_gt(len, 0);
			ck_assert_uint_le((unsigned)len, nj2_tile_budget(mtu));
			/* a byte short or over, a tile past the last, an index out of range */
			ck_assert_int_eq(nj2_tile_decode(pkt, (size_t)len - 4, a, k, P, &t, ports,
							 NJ_MAX_CHANNELS, NULL), -EBADMSG);
			ck_assert_int_eq(nj2_tile_decode(pkt, (size_t)len + 4, a, k, P, &t, ports,
							 NJ_MAX_CHANNELS, NULL), -EBADMSG);
			ck_assert_int_eq(nj2_tile_decode(pkt, (size_t)len, a, n, P, &t, ports,
							 NJ_MAX_CHANNELS, NULL), -EBADMSG);
			nj2_tile_span(&t, a, P, k, &f0, &nf, &p0, &np);
			ck_assert_int_eq(nj2_tile_decode(pkt, (size_t)len, a, k, P, &t, ports,
							 idx[p0], NULL), -EBADMSG);
			f = nj2_tile_decode(pkt, (size_t)len, a, k, P, &t, ports, NJ_MAX_CHANNELS,
					    &present.s);
			ck_assert_int_gt(f, 0);
			frames += (unsigned)f;
		}
		ck_assert_uint_eq(frames, (a + t.g - 1) / t.g * P); /* each group's whole period */
		ck_assert_uint_eq(nj_portset_count(&present.s), a);
		for (unsigned i = 0; i < a; i++) {
			ck_assert(memcmp(out[idx[i]], in[i], P * sizeof(float)) == 0);
		}
		fprintf(stderr, "tiles: mtu %u, %u ports, P %u: %u packets (%u frames x %u ports), jack2 %u IP packets\n",
			mtu, a, P, n, t.s, t.g, jack2_ip_packets(mtu, a, P));
	}
}
END_TEST

static Suite *audio_suite(void)
{
	Suite *s = suite_create("audio");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_float_golden);
	tcase_add_test(tc, test_stream_golden_opus);
	tcase_add_test(tc, test_float_table);
	tcase_add_test(tc, test_stream_table);
	tcase_add_test(tc, test_float_roundtrip);
	tcase_add_test(tc, test_float_pipewire_rule);
	tcase_add_test(tc, test_float_hostile);
	tcase_add_test(tc, test_stream_hostile);
	tcase_add_test(tc, test_int16);
	tcase_add_test(tc, test_check_session);
	tcase_add_test(tc, test_tiles_layout);
	tcase_add_test(tc, test_tiles_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(audio_suite)
