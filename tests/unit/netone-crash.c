/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netone-crash.c - jack2's netone crash cases (NETONE-WIRE.md section 9,
 * doc/protocol/NETONE.md section 8) as a table: each builds what would make
 * jack2 overflow, trust, or die, and returns what our code made of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/wire.h>

#include "cycle-util.h"
#include "netone-util.h"

static uint8_t d[9000];

/* Push @len bytes of d into a fresh reassembler for @cfg. */
static int push_to(const struct nj1_stream_config *cfg, size_t len)
{
	struct nj1_unpacker *u;
	int r;

	if (nj1_unpacker_new(cfg, &u) < 0) {
		return -1000;
	}
	r = nj1_unpacker_push(u, d, len, 0, NULL);
	nj1_unpacker_free(u);
	return r;
}

static struct nj1_stream_config float_3ch(void)
{
	return nj1_test_cfg(NJ1_MODE_FLOAT, 256, 2, 1); /* 1400 + 1400 + 440 */
}

static int frag0_longer(int arg)
{
	struct nj1_stream_config c = nj1_test_cfg(NJ1_MODE_FLOAT, 64, 2, 1); /* 824 < MTU */
	size_t len = nj1_test_datagram(&c, 1, 0, d, sizeof(d));

	return len == 824 ? push_to(&c, 1400) : -1000;
}

/* Fragment k of a float 2+1 period at P 256 (1400, 1400, 440 bytes),
 * pushed with another length: arg = FRAG(k, length). */
#define FRAG(k, len) ((k)*100000 + (len))

static int fragment_resized(int arg)
{
	struct nj1_stream_config c = float_3ch();

	nj1_test_datagram(&c, 1, (unsigned)(arg / 100000), d, sizeof(d));
	return push_to(&c, (size_t)(arg % 100000));
}

static int frag_beyond(int k)
{
	struct nj1_stream_config c = float_3ch();
	size_t len = nj1_test_datagram(&c, 1, 2, d, sizeof(d));

	nj_put_be32(d + 52, (uint32_t)k);
	return push_to(&c, len);
}

static int int16_into_float(int arg)
{
	struct nj1_stream_config c16 = nj1_test_cfg(NJ1_MODE_INT16, 256, 2, 1), c = float_3ch();
	size_t len = nj1_test_datagram(&c16, 1, 1, d, sizeof(d));

	return len == 248 ? push_to(&c, len) : -1000;
}

static int float_into_int16(int arg)
{
	struct nj1_stream_config c16 = nj1_test_cfg(NJ1_MODE_INT16, 256, 2, 1), c = float_3ch();
	size_t len = nj1_test_datagram(&c, 1, 2, d, sizeof(d));

	return len == 440 ? push_to(&c16, len) : -1000;
}

static int int8_into_float(int arg)
{
	struct nj1_stream_config c8 = nj1_test_cfg(NJ1_MODE_INT8, 256, 2, 1), c = float_3ch();
	size_t len = nj1_test_datagram(&c8, 1, 0, d, sizeof(d));

	return len == 824 ? push_to(&c, len) : -1000;
}

static int foreign_session(int arg)
{
	struct nj1_stream_config c = float_3ch(), other = nj1_test_cfg(NJ1_MODE_FLOAT, 256, 3, 0);
	struct nj1_session s = {48000, 256, 1400, 2, 2, 1, 2, 1};

	/* 3 + 0 channels: the same sizes as 2 + 1, another session */
	nj1_test_datagram(&other, 1, 2, d, sizeof(d));
	c.session = &s;
	return push_to(&c, 440);
}

/*
 * Single-datagram periods (float 2 + 0 at P 64, 568 bytes): take @taken,
 * push @held, then return what pushing @probe gives, -1000 if @held is no
 * longer complete after it.
 */
static int sequence(uint32_t taken, uint32_t held, uint32_t probe)
{
	struct nj1_stream_config c = nj1_test_cfg(NJ1_MODE_FLOAT, 64, 2, 0);
	uint32_t f[3] = {taken, held, probe};
	struct nj1_period_out out;
	struct nj1_unpacker *u;
	int r = 0;

	if (nj1_unpacker_new(&c, &u) < 0) {
		return -1000;
	}
	for (unsigned i = 0; i < 3; i++) {
		size_t len = nj1_test_datagram(&c, f[i], 0, d, sizeof(d));

		r = nj1_unpacker_push(u, d, len, 0, NULL);
		if (i == 0) {
			nj1_unpacker_take(u, taken, &out);
		}
	}
	if (!nj1_unpacker_complete(u, held)) {
		r = -1000;
	}
	nj1_unpacker_free(u);
	return r;
}

static int wrap(int arg)
{
	/* 0xFFFFFFFF taken, 0 and 1 after it */
	return sequence(0xFFFFFFFFu, 0, 1);
}

static int future_evicts(int arg)
{
	/* 10 taken, 11 held; 11 + 8 x 1000 wants 11's slot (8 slots) */
	return sequence(10, 11, 11 + 8 * 1000);
}

/*
 * AutoConfig headers: the captured 2/2/1/1 session at P 256, 48 kHz, MTU
 * 1400, L 5 (row 0), then each with one value jack2 would trust or exit() on.
 */
static const struct nj1_header autoconf_tab[] = {
    {2, 2, 1, 1, 256, 48000, 0, 0, 0, 0, 5, 0, 1400, 0},
    {0xFFFFFFFFu, 2, 1, 1, 256, 48000, 0, 0, 0, 0, 5, 0, 1400, 0},
    {2, 1000, 1, 1, 256, 48000, 0, 0, 0, 0, 5, 0, 1400, 0},
    {2, 2, 1, 1, 0, 48000, 0, 0, 0, 0, 5, 0, 1400, 0},
    {2, 2, 1, 1, 1u << 20, 48000, 0, 0, 0, 0, 5, 0, 1400, 0},
    {2, 2, 1, 1, 256, 0, 0, 0, 0, 0, 5, 0, 1400, 0},
    {2, 2, 1, 1, 256, 48000, 0, 0, 0, 0, 5, 0, 111, 0},
    {2, 2, 1, 1, 256, 48000, 0, 0, 0, 0, 5, 0, 1u << 31, 0},
    {2, 2, 1, 1, 256, 48000, 0, 0, 0, 0, 100000, 0, 1400, 0},
    {256, 2, 256, 1, 8192, 48000, 0, 0, 0, 0, 5, 0, 1400, 0},
};

static int autoconf(int row)
{
	struct nj1_session s;
	int r = nj1_session_from_header(&autoconf_tab[row], &s);

	/* row 0: the session is the header's */
	if (r == 0 && (s.down_audio != 2 || s.down_midi != 1 || s.up_audio != 2 || s.up_midi != 1 ||
		       s.period != 256 || s.rate != 48000 || s.mtu != 1400 || s.latency != 5)) {
		return -1;
	}
	return r;
}

/* Hostile MIDI lists: BE words, zeros after, in a block of `block` bytes. */
static const struct {
	uint32_t w[12];
	unsigned nw;
	size_t block;
} midi_tab[] = {
    /* 0: size 0x7FFFFFFF (jack2 copies that much from beyond the packet) */
    {{4, 0, 0x7FFFFFFF, 0x90404000}, 4, 64},
    /* 1: size 0 (jack2 skips 2^30 words) */
    {{4, 0, 0, 0x90404000}, 4, 64},
    /* 2: a length word that is not 3 + ceil(size / 4) */
    {{9, 0, 3, 0x90404000}, 4, 64},
    /* 3: two notes, then a SysEx whose data runs past a 40-byte block */
    {{4, 0, 3, 0x90404000, 4, 1, 3, 0x80404000, 5, 2, 8, 0xF07D0102}, 12, 40},
    /* 4: records filling a 32-byte block to its last word, no end word */
    {{4, 0, 3, 0x90404000, 4, 1, 3, 0x80404000}, 8, 32},
};

/* Decode row @arg / 2 of midi_tab; odd @arg: the number of events, even:
 * how the list ended. No event may point outside the block. */
static int midi_list(int arg)
{
	uint8_t blk[256] = {0};
	struct nj_midi_event ev[8];
	struct nj1_midi_list list;
	unsigned row = (unsigned)arg / 2;
	int n;

	for (unsigned i = 0; i < midi_tab[row].nw; i++) {
		nj_put_be32(blk + 4 * i, midi_tab[row].w[i]);
	}
	n = nj1_midi_decode(blk, midi_tab[row].block, 256, ev, 8, &list);
	for (int i = 0; i < n; i++) {
		if (ev[i].data < blk || ev[i].data + ev[i].size > blk + midi_tab[row].block) {
			return -1000;
		}
	}
	return arg % 2 ? n : (int)list.end;
}

static int midi_times(int arg)
{
	static const uint32_t w[] = {4, 10,	    3, 0x90404000, 4, 5,
				     3, 0x90404000, 4, 300,	   3, 0x90404000};
	uint8_t blk[64] = {0};
	struct nj_midi_event ev[4];
	struct nj1_midi_list list;

	for (unsigned i = 0; i < 12; i++) {
		nj_put_be32(blk + 4 * i, w[i]);
	}
	return nj1_midi_decode(blk, sizeof(blk), 256, ev, 4, &list) == 1 ? (int)list.dropped : -1;
}

/* Opus at P 480 / 128 kbit/s: 162-byte blocks through the fake codec. */
static struct nj1_stream_config opus_cfg(struct fake_codec *fc)
{
	struct nj1_stream_config c = nj1_test_cfg(NJ1_MODE_OPUS, 480, 2, 0);

	c.kbps = 128;
	fake_codec_init(fc, 480, 162);
	c.codec = &fc->ops;
	c.codec_ctx = fc;
	return c;
}

static int opus_len_beyond(int arg)
{
	static struct fake_codec fc;
	struct nj1_stream_config c = opus_cfg(&fc);
	struct nj1_period_out out;
	struct nj1_unpacker *u;
	size_t len = nj1_test_datagram(&c, 3, 0, d, sizeof(d));
	int r = -1;

	/* channel 2's length says 1275: libopus's largest frame */
	d[NJ1_HEADER_SIZE + 162] = 0x04;
	d[NJ1_HEADER_SIZE + 163] = 0xFB;
	if (len == 56 + 324 && nj1_unpacker_new(&c, &u) == 0) {
		if (nj1_unpacker_push(u, d, len, 0, NULL) == NJ1_PUSH_COMPLETE &&
		    nj1_unpacker_take(u, 3, &out) == 0 && !out.audio_lost[0] && out.audio_lost[1] &&
		    out.audio[1][0] == FAKE_PLC_VALUE && fc.plcs == 1) {
			r = (int)nj1_unpacker_stats(u)->opus_bad;
		}
		nj1_unpacker_free(u);
	}
	return r;
}

static int failing_encode(void *ctx, unsigned ch, const float *in, uint8_t *stream)
{
	memset(stream, 0xFF, 162); /* what jack2 would send: the error as a length */
	return -1;
}

static int opus_encoder_error(int arg)
{
	static struct fake_codec fc;
	struct nj1_stream_config c = opus_cfg(&fc);
	struct nj1_period_in in = {NULL, NULL, NULL};
	struct nj1_header h = {0};
	const struct nj_datagram *dg;
	struct nj1_packer *p;
	unsigned n;
	int r = -1;

	fc.ops.encode = failing_encode;
	if (nj1_packer_new(&c, &p) == 0) {
		if (nj1_packer_pack(p, &h, &in, &dg, &n) == 0 &&
		    nj1_packer_stats(p)->codec_errors == 2) {
			const uint8_t *b = dg[0].data + NJ1_HEADER_SIZE;

			r = b[0] << 8 | b[1];
		}
		nj1_packer_free(p);
	}
	return r;
}

static int opus_p2048(int arg)
{
	static struct fake_codec fc;
	struct nj1_stream_config c = opus_cfg(&fc);
	struct nj1_packer *p = NULL;
	int r;

	c.period = 2048;
	r = nj1_packer_new(&c, &p);
	nj1_packer_free(p);
	return r;
}

static int new_with(int mode)
{
	struct nj1_stream_config c = nj1_test_cfg((enum nj1_mode)mode, 256, 2, 0);
	struct nj1_packer *p = NULL;
	int r = nj1_packer_new(&c, &p);

	nj1_packer_free(p);
	return r;
}

static int defined_bytes(int arg)
{
	struct nj1_stream_config c = nj1_test_cfg(NJ1_MODE_FLOAT, 64, 1, 1);
	size_t len = nj1_test_datagram(&c, 1, 0, d, sizeof(d));

	/* the MIDI block: one 3-byte note (4 words), the end word, zeros */
	for (size_t i = NJ1_HEADER_SIZE + 256 + 15; i < len; i++) {
		if (d[i] != 0) {
			return (int)i;
		}
	}
	return len == 56 + 512 ? 0 : -1;
}

static int lost_fragment(int arg)
{
	struct nj1_stream_config c = float_3ch();
	struct nj1_period_out out;
	struct nj1_unpacker *u;
	size_t len;
	int r = -1;

	if (nj1_unpacker_new(&c, &u) < 0) {
		return -1000;
	}
	len = nj1_test_datagram(&c, 5, 0, d, sizeof(d));
	nj1_unpacker_push(u, d, len, 0, NULL);
	len = nj1_test_datagram(&c, 5, 2, d, sizeof(d));
	nj1_unpacker_push(u, d, len, 0, NULL);
	/* fragment 1 (payload bytes 1344..2687) lost: channel 0 (0..1023) is
	 * whole, channel 1 (1024..2047) has its first 80 frames, the MIDI block
	 * (2048..3071) is gone */
	if (nj1_unpacker_take(u, 5, &out) == 0 && !out.complete && out.fragments_missing == 1 &&
	    out.audio_lost[1] && out.audio[1][80] == 0.0f && out.audio[1][0] == -0.5f &&
	    out.audio[1][79] == 79.0f / 256.0f - 0.5f && out.midi_count[0] == 0) {
		r = out.audio_lost[0] ? 1 : 0;
	}
	nj1_unpacker_free(u);
	return r;
}

const struct nj1_crash_case nj1_crash_cases[] = {
    {"9.1 fragment 0 of 1400 bytes where 824 are expected (copied whole: heap overflow)",
     frag0_longer, 0, -EBADMSG},
    {"9.1 a datagram shorter than the header (framecnt read from stale memory)", fragment_resized,
     FRAG(0, 20), -EBADMSG},
    {"9.1 a header-only datagram for a stream with channels", fragment_resized, FRAG(0, 56),
     -EBADMSG},
    {"9.1 a last fragment one byte short (taken as complete, stale tail)", fragment_resized,
     FRAG(2, 439), -EBADMSG},
    {"9.1 a middle fragment one byte long", fragment_resized, FRAG(1, 1401), -EBADMSG},
    {"9.1 a 9000-byte datagram on an MTU 1400 stream", fragment_resized, FRAG(0, 9000), -EBADMSG},
    {"4 fragment number = fragment count (ignored by jack2)", frag_beyond, 3, -EBADMSG},
    {"4 fragment number 0xFFFFFFFF", frag_beyond, -1, -EBADMSG},
    {"9.2 a 16-bit fragment (248 bytes) into a float stream", int16_into_float, 0, -EBADMSG},
    {"9.2 a float fragment (440 bytes, number 2) into a 16-bit stream", float_into_int16, 0,
     -EBADMSG},
    {"9.2 an 8-bit period (824 bytes) into a float stream", int8_into_float, 0, -EBADMSG},
    {"9.8 another session's down packet, same size, session checked", foreign_session, 0,
     NJ1_PUSH_FOREIGN},
    {"9.10 framecnt 0 after 0xFFFFFFFF (jack2 drops all after the wrap)", wrap, 0,
     NJ1_PUSH_COMPLETE},
    {"4 a framecnt from the future cannot evict a period due next", future_evicts, 0,
     NJ1_PUSH_LATE},
    {"9.5 AutoConfig: capture channels 0xFFFFFFFF (jack2's size product wraps)", autoconf, 1,
     -EBADMSG},
    {"9.5 AutoConfig: 1000 playback channels (jack2's limit)", autoconf, 2, -EBADMSG},
    {"9.5 AutoConfig: period 0 (unchecked in jack2)", autoconf, 3, -EBADMSG},
    {"9.5 AutoConfig: period 2^20", autoconf, 4, -EBADMSG},
    {"9.5 AutoConfig: rate 0 (jack2 exit()s)", autoconf, 5, -EBADMSG},
    {"9.5 AutoConfig: MTU 111 (jack2 exit()s)", autoconf, 6, -EBADMSG},
    {"9.5 AutoConfig: MTU 2^31 (jack2 alloca()s it)", autoconf, 7, -EBADMSG},
    {"9.5 AutoConfig: latency 100000 (jack2 allocates L + 50 packets)", autoconf, 8, -EBADMSG},
    {"9.5 AutoConfig: 512 channels at P 8192 (16 MiB a packet)", autoconf, 9, -EBADMSG},
    {"9.5 AutoConfig: the captured 2/2/1/1 session at P 256, MTU 1400, L 5", autoconf, 0, 0},
    {"9.3 MIDI size 0x7FFFFFFF (copied from beyond the packet)", midi_list, 0, NJ1_MIDI_END_BAD},
    {"9.3 MIDI size 0 (jack2 skips 2^30 words)", midi_list, 2, NJ1_MIDI_END_BAD},
    {"9.3 MIDI length word not 3 + ceil(size/4)", midi_list, 4, NJ1_MIDI_END_BAD},
    {"9.3 a MIDI list cut by the block's end (jack2's Opus encoder): 2 events kept", midi_list, 7,
     2},
    {"9.3 ... and that list ends as malformed", midi_list, 6, NJ1_MIDI_END_BAD},
    {"9.3 a MIDI list without end word (jack2's 8-bit decoder reads 2B)", midi_list, 8,
     NJ1_MIDI_END_BLOCK},
    {"9.3 MIDI times out of order and past the period: dropped", midi_times, 0, 2},
    {"9.4 Opus length 1275 in a 162-byte block: concealed, counted", opus_len_beyond, 0, 1},
    {"9.4 Opus encoder error (jack2 sends it as a length): length 0", opus_encoder_error, 0, 0},
    {"9.4 Opus at P 2048 (no custom mode)", opus_p2048, 0, -EINVAL},
    {"9.6 bit depth 12 (jack2 half-initialises)", new_with, 12, -EINVAL},
    {"9.6 CELT (not built in Debian)", new_with, NJ1_MODE_CELT, -EOPNOTSUPP},
    {"9.9 every byte we send is defined (MIDI tail and padding zero)", defined_bytes, 0, 0},
    {"9.11 a lost fragment costs its bytes, not the period (channel 0 whole)", lost_fragment, 0, 0},
    {"9.13 a short reply (netsource never checks the size)", fragment_resized, FRAG(2, 340),
     -EBADMSG},
};

const unsigned nj1_crash_count = sizeof(nj1_crash_cases) / sizeof(nj1_crash_cases[0]);
