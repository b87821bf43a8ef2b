/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-midi.c - MIDI records: golden bytes from jack2, SysEx done right, hostile input. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/midi.h>
#include <libnetproto/wire.h>

#include "check-main.h"
#include "vectors.h"

/*
 * Every captured MIDI packet: each record decodes, and encoding the decoded
 * events again (same buffer_size, nframes, lost) gives the same bytes. The
 * extra event slot jack2 sends is stale memory; it is zero in these captures,
 * which our encoder writes, so the comparison covers it too.
 */
START_TEST(test_midi_golden)
{
	static const char *const files[] = {"jack2-float-2ch.hex", "jack2-midi-sync-physports.hex",
					    "jack2-midi-sysex-bug.hex", "jack2-opus64-2ch-p480.hex"};
	unsigned records = 0, notes = 0;

	for (unsigned f = 0; f < 4; f++) {
		struct vec_file *vf = vec_load(files[f]);

		for (size_t i = 0; i < vf->n; i++) {
			const struct vec_packet *pk = &vf->pkt[i];
			struct nj2_header h;
			size_t off = NJ2_HEADER_SIZE;

			if (pk->cycle < 0 || nj2_header_decode(pk->data, pk->len, &h) < 0 ||
			    h.data_type != NJ2_DATA_MIDI) {
				continue;
			}
			ck_assert_uint_eq(h.num_packet, 1);
			while (off < h.packet_size) {
				struct nj_midi_event ev[16];
				struct nj2_midi_record rec;
				uint8_t out[512];
				int n = nj2_midi_decode(pk->data + off, h.packet_size - off, 480, ev, 16,
						       &rec);

				ck_assert_int_ge(n, 0);
				ck_assert_uint_eq(rec.buffer_size, NJ2_JACK2_MIDI_BUFSIZE);
				ck_assert_uint_eq((unsigned)n, rec.event_count);
				ck_assert_int_eq(nj2_midi_encode(out, sizeof(out), ev, (uint32_t)n,
								rec.nframes, rec.buffer_size,
								rec.lost_events),
						 (int)rec.length);
				ck_assert_msg(memcmp(out, pk->data + off, rec.length) == 0,
					      "%s #%u: MIDI record differs", vf->name, pk->index);
				/* The generator: note-on 90 xx 64 at 0, note-off 80 40 00 at 128;
				 * the slave echoes with the second byte + 1. */
				for (int k = 0; k < n; k++) {
					unsigned plus = h.stream == NJ2_STREAM_RETURN ? 1 : 0;

					if (ev[k].data[0] == 0x80) {
						ck_assert_uint_eq(ev[k].time, 128);
						ck_assert_uint_eq(ev[k].size, 3);
						ck_assert_uint_eq(ev[k].data[1], 0x40 + plus);
						notes++;
					} else if (ev[k].data[0] == 0x90) {
						ck_assert_uint_eq(ev[k].time, 0);
						ck_assert_uint_eq(ev[k].data[2], 0x64);
						notes++;
					}
				}
				off += rec.length;
				records++;
			}
			ck_assert_uint_eq(off, h.packet_size);
		}
		vec_free(vf);
	}
	ck_assert_uint_ge(records, 15);
	ck_assert_uint_ge(notes, 8);
}
END_TEST

/* jack2 1.9.21 puts the SysEx at the right offset but sends garbage data bytes. */
START_TEST(test_midi_sysex_jack2_bug)
{
	struct vec_file *vf = vec_load("jack2-midi-sysex-bug.hex");
	bool seen = false;

	for (size_t i = 0; i < vf->n; i++) {
		const struct vec_packet *pk = &vf->pkt[i];
		struct nj_midi_event ev[8];
		struct nj2_midi_record rec;
		int n;

		if (strncmp(pk->kind, "midi/", 5) != 0) {
			continue;
		}
		n = nj2_midi_decode(pk->data + NJ2_HEADER_SIZE, pk->len - NJ2_HEADER_SIZE, 256, ev, 8,
				   &rec);
		ck_assert_int_eq(n, 3);
		ck_assert_uint_eq(ev[1].time, 64);
		ck_assert_uint_eq(ev[1].size, 6);
		ck_assert_uint_eq(rec.write_pos, 6);
		/* not F0 7D 01 02 03 F7: zeros, as captured */
		for (unsigned k = 0; k < 6; k++) {
			ck_assert_uint_eq(ev[1].data[k], 0);
		}
		seen = true;
	}
	ck_assert(seen);
	vec_free(vf);
}
END_TEST

/* Our own output carries SysEx and several long events correctly. */
START_TEST(test_midi_long_events)
{
	static const uint8_t sx1[] = {0xF0, 0x7D, 0x01, 0x02, 0x03, 0xF7};
	static const uint8_t note[] = {0x90, 0x40, 0x7F};
	static uint8_t big[NJ_MIDI_MAX_EVENT];
	static const uint8_t sx2[] = {0xF0, 0x43, 0x10, 0x4C, 0x00, 0x00, 0x7E, 0x00, 0xF7};
	struct nj_midi_event in[4] = {
		{0, sizeof(note), note}, {10, sizeof(sx1), sx1},
		{20, sizeof(sx2), sx2}, {30, sizeof(big), big},
	};
	struct nj_midi_event out[4];
	struct nj2_midi_record rec;
	static uint8_t buf[8192];
	int len, n;

	big[0] = 0xF0;
	for (unsigned i = 1; i < sizeof(big) - 1; i++) {
		big[i] = (uint8_t)(i & 0x7F);
	}
	big[sizeof(big) - 1] = 0xF7;
	len = nj2_midi_encode(buf, sizeof(buf), in, 4, 256, NJ2_JACK2_MIDI_BUFSIZE, 0);
	ck_assert_int_eq(len, (int)nj2_midi_record_size(4, 6 + 9 + sizeof(big)));
	/* jack2's layout: the first long event's data is last in the area */
	ck_assert_uint_eq(nj_get_le32(buf + 24 + 12 + 8), NJ2_JACK2_MIDI_BUFSIZE - 6);
	ck_assert(memcmp(buf + len - 6, sx1, 6) == 0);
	n = nj2_midi_decode(buf, (size_t)len, 256, out, 4, &rec);
	ck_assert_int_eq(n, 4);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(out[i].time, in[i].time);
		ck_assert_uint_eq(out[i].size, in[i].size);
		ck_assert(memcmp(out[i].data, in[i].data, in[i].size) == 0);
	}
	/* Decoding uses the record's buffer_size (PipeWire announces P * 4). */
	len = nj2_midi_encode(buf, sizeof(buf), in, 3, 256, 1024, 0);
	n = nj2_midi_decode(buf, (size_t)len, 256, out, 4, &rec);
	ck_assert_int_eq(n, 3);
	ck_assert(memcmp(out[2].data, sx2, sizeof(sx2)) == 0);
	/* Too much data for the announced buffer */
	ck_assert_int_eq(nj2_midi_encode(buf, sizeof(buf), in, 4, 256, 1024, 0), -EINVAL);
	ck_assert_int_eq(nj2_midi_encode(buf, 40, in, 1, 256, 1024, 0), -ENOBUFS);
	in[0].time = 256;
	ck_assert_int_eq(nj2_midi_encode(buf, sizeof(buf), in, 1, 256, 1024, 0), -EINVAL);
}
END_TEST

static int encode_two(uint8_t *buf, size_t len)
{
	static const uint8_t sx[] = {0xF0, 1, 2, 3, 4, 0xF7};
	static const uint8_t on[] = {0x90, 1, 2};
	struct nj_midi_event ev[2] = {{5, 3, on}, {7, 6, sx}};

	return nj2_midi_encode(buf, len, ev, 2, 256, 32768, 0);
}

START_TEST(test_midi_hostile)
{
	uint8_t buf[256];
	struct nj_midi_event ev[4];
	struct nj2_midi_record rec;
	int len = encode_two(buf, sizeof(buf));

	ck_assert_int_eq(len, 36 + 24 + 6);
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 4, &rec), 2);
	/* truncated anywhere */
	for (int l = 0; l < len; l++) {
		ck_assert_int_eq(nj2_midi_decode(buf, (size_t)l, 256, ev, 4, &rec), -EBADMSG);
	}
	/* more events than the caller can take */
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 1, &rec), -EBADMSG);
	/* bad magic */
	buf[0] ^= 1;
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 4, &rec), -EBADMSG);
	buf[0] ^= 1;
	/* event count beyond the record */
	nj_put_be32(buf + 16, 1000);
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 2000, &rec), -EBADMSG);
	nj_put_be32(buf + 16, 0xFFFFFFFFu);
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 0xFFFFFFFFu, &rec), -EBADMSG);
	nj_put_be32(buf + 16, 2);
	/* write_pos beyond buffer_size */
	nj_put_be32(buf + 4, 5);
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 4, &rec), -EBADMSG);
	nj_put_be32(buf + 4, 32768);
	/* long event offset outside the data area */
	nj_put_le32(buf + 24 + 12 + 8, 32768 - 5);
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 4, &rec), -EBADMSG);
	nj_put_le32(buf + 24 + 12 + 8, 100);
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 4, &rec), -EBADMSG);
	nj_put_le32(buf + 24 + 12 + 8, 32768 - 6);
	/* sizes: zero, negative, huge */
	nj_put_le32(buf + 24 + 4, 0);
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 4, &rec), -EBADMSG);
	nj_put_le32(buf + 24 + 4, 0xFFFFFFFFu);
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 4, &rec), -EBADMSG);
	nj_put_le32(buf + 24 + 4, 3);
	/* an event past the period is dropped and counted, not fatal */
	nj_put_le32(buf + 24, 300);
	ck_assert_int_eq(nj2_midi_decode(buf, (size_t)len, 256, ev, 4, &rec), 1);
	ck_assert_uint_eq(rec.lost_events, 1);
	ck_assert_uint_eq(ev[0].time, 7);
}
END_TEST

static Suite *midi_suite(void)
{
	Suite *s = suite_create("midi");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_midi_golden);
	tcase_add_test(tc, test_midi_sysex_jack2_bug);
	tcase_add_test(tc, test_midi_long_events);
	tcase_add_test(tc, test_midi_hostile);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(midi_suite)
