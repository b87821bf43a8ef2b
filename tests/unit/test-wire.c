/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-wire.c - session_params, packet_header and sync payload against jack2's bytes. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/wire.h>

#include "check-main.h"
#include "vectors.h"

static bool is_params(const struct vec_packet *p)
{
	return p->cycle < 0;
}

/* Every captured session_params packet decodes and encodes to the same bytes. */
START_TEST(test_params_roundtrip)
{
	unsigned seen = 0;

	for (unsigned f = 0; f < vec_file_count; f++) {
		struct vec_file *vf = vec_load(vec_file_names[f]);

		for (size_t i = 0; i < vf->n; i++) {
			const struct vec_packet *pk = &vf->pkt[i];
			struct nj2_params p;
			uint8_t out[NJ2_PARAMS_SIZE];

			if (!is_params(pk)) {
				continue;
			}
			ck_assert_uint_eq(pk->len, NJ2_PARAMS_SIZE);
			ck_assert_int_eq(nj2_params_decode(pk->data, pk->len, &p), 0);
			ck_assert_int_eq(nj2_params_encode(&p, out, sizeof(out)), NJ2_PARAMS_SIZE);
			ck_assert_msg(memcmp(out, pk->data, NJ2_PARAMS_SIZE) == 0,
				      "%s packet %u: re-encoded params differ", vf->name, pk->index);
			ck_assert(!p.has_master_ext && !p.has_slave_ext);
			seen++;
		}
		vec_free(vf);
	}
	ck_assert_uint_ge(seen, 15);
}
END_TEST

/* The fields of the first float capture's handshake, as NETJACK2-WIRE.md states them. */
START_TEST(test_params_fields)
{
	struct vec_file *vf = vec_load("jack2-float-2ch.hex");
	struct nj2_params a, s;

	ck_assert_str_eq(vf->pkt[0].kind, "SLAVE_AVAILABLE");
	ck_assert_str_eq(vf->pkt[1].kind, "SLAVE_SETUP");
	ck_assert_int_eq(nj2_params_decode(vf->pkt[0].data, vf->pkt[0].len, &a), 0);
	ck_assert_int_eq(nj2_params_decode(vf->pkt[1].data, vf->pkt[1].len, &s), 0);
	ck_assert_int_eq(a.packet_id, NJ2_SLAVE_AVAILABLE);
	ck_assert_str_eq(a.name, "goldslave");
	ck_assert_str_eq(a.slave_name, "njslave");
	ck_assert_str_eq(a.master_name, "");
	ck_assert_uint_eq(a.mtu, 1500);
	ck_assert_int_eq(a.send_audio, 2);
	ck_assert_int_eq(a.return_midi, 1);
	ck_assert_uint_eq(a.sample_rate, 0);
	ck_assert_uint_eq(a.latency, 2);
	ck_assert_int_eq(s.packet_id, NJ2_SLAVE_SETUP);
	ck_assert_uint_eq(s.id, 1);
	ck_assert_str_eq(s.master_name, "njmaster");
	ck_assert_uint_eq(s.sample_rate, 48000);
	ck_assert_uint_eq(s.period, 256);
	vec_free(vf);
}
END_TEST

/* Every data packet header round-trips; sync payloads round-trip through a portset. */
START_TEST(test_header_sync_roundtrip)
{
	unsigned headers = 0, syncs = 0;

	for (unsigned f = 0; f < vec_file_count; f++) {
		struct vec_file *vf = vec_load(vec_file_names[f]);

		for (size_t i = 0; i < vf->n; i++) {
			const struct vec_packet *pk = &vf->pkt[i];
			struct nj2_header h;
			uint8_t out[NJ2_HEADER_SIZE + 4 * NJ_MAX_CHANNELS];

			if (is_params(pk)) {
				continue;
			}
			ck_assert_int_eq(nj2_header_decode(pk->data, pk->len, &h), 0);
			ck_assert_uint_eq(h.packet_size, pk->len);
			ck_assert_uint_eq(h.cycle, (uint32_t)pk->cycle);
			ck_assert_int_eq(nj2_header_encode(&h, out, sizeof(out)), NJ2_HEADER_SIZE);
			ck_assert_msg(memcmp(out, pk->data, NJ2_HEADER_SIZE) == 0,
				      "%s packet %u: header differs", vf->name, pk->index);
			headers++;
			if (h.data_type == NJ2_DATA_SYNC) {
				struct nj_portset set;
				int n;

				ck_assert_int_eq(nj2_sync_decode(pk->data + NJ2_HEADER_SIZE,
								pk->len - NJ2_HEADER_SIZE,
								h.active_ports, NJ_MAX_CHANNELS, &set),
						 0);
				ck_assert_uint_eq(nj_portset_count(&set), h.active_ports);
				n = nj2_sync_encode(&set, NJ_MAX_CHANNELS, out + NJ2_HEADER_SIZE,
						   sizeof(out) - NJ2_HEADER_SIZE);
				ck_assert_int_eq(n, (int)(pk->len - NJ2_HEADER_SIZE));
				ck_assert(memcmp(out, pk->data, pk->len) == 0);
				syncs++;
			}
		}
		vec_free(vf);
	}
	ck_assert_uint_ge(headers, 50);
	ck_assert_uint_ge(syncs, 10);
}
END_TEST

static void base_setup(uint8_t *buf)
{
	struct nj2_params p;

	nj2_params_init(&p);
	strcpy(p.name, "slave");
	strcpy(p.slave_name, "host");
	p.packet_id = NJ2_SLAVE_SETUP;
	p.sample_rate = 48000;
	p.period = 256;
	p.send_audio = 2;
	p.return_audio = 2;
	ck_assert_int_eq(nj2_params_encode(&p, buf, NJ2_PARAMS_SIZE), NJ2_PARAMS_SIZE);
}

static void put32(uint8_t *buf, unsigned off, uint32_t v)
{
	nj_put_be32(buf + off, v);
}

/* Malformed session parameters: each one changed field is refused. */
START_TEST(test_params_malformed)
{
	static const struct {
		unsigned off;
		uint32_t value;
		int err;
	} cases[] = {
		{8, 7, -EPROTO},              /* version */
		{8, 9, -EPROTO},
		{12, 5, -EBADMSG},            /* packet id */
		{12, 0xFFFFFFFFu, -EBADMSG},
		{604, (uint32_t)-2, -EBADMSG}, /* channels below -1 */
		{608, 257, -EBADMSG},         /* above the limit */
		{612, 0x80000000u, -EBADMSG},
		{616, 100000, -EBADMSG},
		{592, 255, -EBADMSG},         /* MTU */
		{592, 9001, -EBADMSG},
		{592, 0, -EBADMSG},
		{620, 0, -EBADMSG},           /* rate 0 in a SETUP */
		{620, 10000000, -EBADMSG},
		{624, 15, -EBADMSG},          /* period */
		{624, 8193, -EBADMSG},
		{628, 4, -EBADMSG},           /* encoder */
		{636, 2, -EBADMSG},           /* sync mode */
		{640, 31, -EBADMSG},          /* latency */
	};
	uint8_t buf[NJ2_PARAMS_SIZE + 1];
	struct nj2_params p;

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		base_setup(buf);
		ck_assert_int_eq(nj2_params_decode(buf, NJ2_PARAMS_SIZE, &p), 0);
		put32(buf, cases[i].off, cases[i].value);
		ck_assert_msg(nj2_params_decode(buf, NJ2_PARAMS_SIZE, &p) == cases[i].err,
			      "case %u (offset %u = %u)", i, cases[i].off, cases[i].value);
	}
	base_setup(buf);
	for (size_t len = 0; len < NJ2_PARAMS_SIZE; len += 7) {
		ck_assert_int_eq(nj2_params_decode(buf, len, &p), -EBADMSG);
	}
	ck_assert_int_eq(nj2_params_decode(buf, NJ2_PARAMS_SIZE + 1, &p), -EBADMSG);
	buf[0] = 'P';
	ck_assert_int_eq(nj2_params_decode(buf, NJ2_PARAMS_SIZE, &p), -EBADMSG);
	/* A SLAVE_AVAILABLE may carry rate and period 0. */
	base_setup(buf);
	put32(buf, 12, NJ2_SLAVE_AVAILABLE);
	put32(buf, 620, 0);
	put32(buf, 624, 0);
	ck_assert_int_eq(nj2_params_decode(buf, NJ2_PARAMS_SIZE, &p), 0);
}
END_TEST

/* Names without a NUL are read bounded and terminated. */
START_TEST(test_params_unterminated_names)
{
	uint8_t buf[NJ2_PARAMS_SIZE];
	struct nj2_params p;

	base_setup(buf);
	memset(buf + 16, 'a', 64);
	memset(buf + 80, 'b', 256);
	memset(buf + 336, 'c', 256);
	ck_assert_int_eq(nj2_params_decode(buf, sizeof(buf), &p), 0);
	ck_assert_uint_eq(strlen(p.name), 64);
	ck_assert_uint_eq(strlen(p.master_name), 256);
	ck_assert_uint_eq(strlen(p.slave_name), 256);
	ck_assert(!p.has_master_ext && !p.has_slave_ext);
}
END_TEST

/* The extension block survives a round trip, and a corrupted one is not taken. */
START_TEST(test_params_extension)
{
	struct nj2_params p, q;
	uint8_t buf[NJ2_PARAMS_SIZE];

	nj2_params_init(&p);
	strcpy(p.name, "x");
	strcpy(p.slave_name, "slavehost");
	p.has_slave_ext = true;
	p.slave_ext.version = NJ2_EXT_VERSION;
	p.slave_ext.flags = NJ2_EXT_OPUS_ANY_PERIOD;
	p.slave_ext.nonce = 0xdeadbeef;
	ck_assert_int_eq(nj2_params_encode(&p, buf, sizeof(buf)), NJ2_PARAMS_SIZE);
	ck_assert_int_eq(nj2_params_decode(buf, sizeof(buf), &q), 0);
	ck_assert(q.has_slave_ext);
	ck_assert(!q.has_master_ext);
	ck_assert_uint_eq(q.slave_ext.flags, NJ2_EXT_OPUS_ANY_PERIOD);
	ck_assert_uint_eq(q.slave_ext.nonce, 0xdeadbeef);
	ck_assert_str_eq(q.slave_name, "slavehost");
	buf[336 + NJ2_EXT_OFFSET + 9] ^= 1;
	ck_assert_int_eq(nj2_params_decode(buf, sizeof(buf), &q), 0);
	ck_assert(!q.has_slave_ext);
	/* A host name reaching into the block cannot carry one. */
	memset(p.slave_name, 'h', NJ2_EXT_OFFSET);
	p.slave_name[NJ2_EXT_OFFSET] = '\0';
	ck_assert_int_eq(nj2_params_encode(&p, buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(test_header_malformed)
{
	struct nj2_header h = {
		.data_type = NJ2_DATA_AUDIO, .stream = NJ2_STREAM_SEND, .id = 1, .num_packet = 2,
		.packet_size = 100, .active_ports = 1, .cycle = 5, .sub_cycle = 1,
		.frames = -1, .is_last = 1,
	};
	uint8_t buf[100] = {0};
	struct nj2_header out;

	ck_assert_int_eq(nj2_header_encode(&h, buf, 47), -ENOBUFS);
	ck_assert_int_eq(nj2_header_encode(&h, buf, sizeof(buf)), NJ2_HEADER_SIZE);
	ck_assert_int_eq(nj2_header_decode(buf, sizeof(buf), &out), 0);
	ck_assert_int_eq(nj2_header_decode(buf, 99, &out), -EBADMSG); /* packet_size > len */
	ck_assert_int_eq(nj2_header_decode(buf, 47, &out), -EBADMSG);

	h.sub_cycle = 2; /* >= num_packet */
	nj2_header_encode(&h, buf, sizeof(buf));
	ck_assert_int_eq(nj2_header_decode(buf, sizeof(buf), &out), -EBADMSG);
	h.sub_cycle = 0;
	h.num_packet = NJ2_MAX_PACKETS_PER_CYCLE + 1;
	nj2_header_encode(&h, buf, sizeof(buf));
	ck_assert_int_eq(nj2_header_decode(buf, sizeof(buf), &out), -EBADMSG);
	h.num_packet = 0;
	nj2_header_encode(&h, buf, sizeof(buf));
	ck_assert_int_eq(nj2_header_decode(buf, sizeof(buf), &out), -EBADMSG);
	h.num_packet = 1;
	h.data_type = 'x';
	nj2_header_encode(&h, buf, sizeof(buf));
	ck_assert_int_eq(nj2_header_decode(buf, sizeof(buf), &out), -EBADMSG);
	h.data_type = NJ2_DATA_SYNC;
	h.stream = 'q';
	nj2_header_encode(&h, buf, sizeof(buf));
	ck_assert_int_eq(nj2_header_decode(buf, sizeof(buf), &out), -EBADMSG);
	h.stream = NJ2_STREAM_RETURN;
	h.is_last = 2;
	nj2_header_encode(&h, buf, sizeof(buf));
	ck_assert_int_eq(nj2_header_decode(buf, sizeof(buf), &out), -EBADMSG);
	h.is_last = 0;
	h.packet_size = 47;
	nj2_header_encode(&h, buf, sizeof(buf));
	ck_assert_int_eq(nj2_header_decode(buf, sizeof(buf), &out), -EBADMSG);
	/* A sync packet's num_packet is stale: any value is accepted. */
	h.packet_size = 48;
	h.num_packet = 0xFFFFFFFFu;
	h.sub_cycle = 0;
	nj2_header_encode(&h, buf, sizeof(buf));
	ck_assert_int_eq(nj2_header_decode(buf, sizeof(buf), &out), 0);
	memcpy(buf, "heade\0", 6);
	ck_assert_int_eq(nj2_header_decode(buf, sizeof(buf), &out), -EBADMSG);
}
END_TEST

START_TEST(test_sync_bounds)
{
	uint8_t buf[16];
	struct nj_portset s;

	nj_put_be32(buf, 0);
	nj_put_be32(buf + 4, 3);
	ck_assert_int_eq(nj2_sync_decode(buf, 8, 2, 4, &s), 0);
	ck_assert(nj_portset_has(&s, 0) && nj_portset_has(&s, 3) && !nj_portset_has(&s, 1));
	ck_assert_int_eq(nj2_sync_decode(buf, 8, 2, 3, &s), -EBADMSG);  /* index >= nports */
	ck_assert_int_eq(nj2_sync_decode(buf, 7, 2, 4, &s), -EBADMSG);  /* short */
	ck_assert_int_eq(nj2_sync_decode(buf, 8, 300, 4, &s), -EBADMSG);
	nj_put_be32(buf, 0x80000000u);
	ck_assert_int_eq(nj2_sync_decode(buf, 8, 2, 4, &s), -EBADMSG);
	nj_portset_fill(&s, 5);
	ck_assert_int_eq(nj2_sync_encode(&s, 5, buf, sizeof(buf)), -ENOBUFS);
	ck_assert_int_eq(nj2_sync_encode(&s, 4, buf, sizeof(buf)), 16);
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_params_roundtrip);
	tcase_add_test(tc, test_params_fields);
	tcase_add_test(tc, test_header_sync_roundtrip);
	tcase_add_test(tc, test_params_malformed);
	tcase_add_test(tc, test_params_unterminated_names);
	tcase_add_test(tc, test_params_extension);
	tcase_add_test(tc, test_header_malformed);
	tcase_add_test(tc, test_sync_bounds);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(wire_suite)
