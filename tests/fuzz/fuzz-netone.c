/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-netone.c - the netone decoders on arbitrary bytes (seeds: the netone
 * vectors, one datagram each): the header and AutoConfig; the input as
 * datagrams of three fixed streams (float 2+1 at P 256, 16-bit 2+1, Opus
 * 2+1 at P 480: the captured sessions), cut at the fragment lengths they
 * expect, with takes and resets in between; the input as a stream of the
 * session its own header describes; the input as a MIDI block. Aborts on
 * any broken promise: events outside their block or out of order, a whole
 * period missing fragments, a float period not coming back bit-exact.
 */
#include <stdlib.h>
#include <string.h>

#include <libnetproto/netone.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A stand-in Opus codec: a block is its length (N - 2) and zeros. */
static int fake_encode(void *ctx, unsigned ch, const float *in, uint8_t *block)
{
	unsigned n = *(const unsigned *)ctx;

	memset(block, 0, n);
	block[0] = (uint8_t)((n - 2) >> 8);
	block[1] = (uint8_t)(n - 2);
	return 0;
}

static int fake_decode(void *ctx, unsigned ch, const uint8_t *block, float *out)
{
	unsigned n = *(const unsigned *)ctx;

	/* the core hands over only whole blocks whose length fits */
	if (block != NULL && ((unsigned)block[0] << 8 | block[1]) > n - 2) {
		abort();
	}
	memset(out, 0, 480 * sizeof(float));
	return 0;
}

static unsigned opus_block = 162;
static struct nj_codec_ops opus_ops = {fake_encode, fake_decode, 162};

/* Every event inside the block copy, in order, before the period's end. */
static void check_out(const struct nj1_stream_config *c, const struct nj1_period_out *o)
{
	if (o->complete && o->fragments_missing != 0) {
		abort();
	}
	for (unsigned m = 0; m < c->midi_channels; m++) {
		uint32_t last = 0;

		if (o->midi_count[m] > c->midi_max_events) {
			abort();
		}
		for (uint32_t i = 0; i < o->midi_count[m]; i++) {
			const struct nj_midi_event *e = &o->midi[m][i];

			if (e->time >= c->period || e->time < last || e->size == 0 ||
			    e->size > NJ_MIDI_MAX_EVENT || e->data == NULL) {
				abort();
			}
			(void)e->data[e->size - 1]; /* ASan: inside an allocation */
			last = e->time;
		}
	}
}

/* The input cut at @c's fragment lengths, each piece pushed (fragment
 * numbers as they are); takes and a reset steered by the input. */
static void as_stream(struct nj1_unpacker *u, const struct nj1_stream_config *c,
		      const uint8_t *data, size_t size)
{
	size_t packet = nj1_packet_size(nj1_block_size(c->mode, c->period, c->rate, c->kbps),
					c->audio_channels + c->midi_channels);
	unsigned n = nj1_fragment_count(packet, c->mtu);
	struct nj1_period_out out;
	size_t at = 0;
	uint32_t f = 0;

	nj1_unpacker_reset(u);
	for (unsigned k = 0; at < size; k = (k + 1) % n) {
		size_t len = nj1_fragment_len(packet, c->mtu, k);
		int r;

		if (len > size - at) {
			len = size - at;
		}
		r = nj1_unpacker_push(u, data + at, len, at, &f);
		if (r == NJ1_PUSH_COMPLETE && !nj1_unpacker_complete(u, f)) {
			abort();
		}
		if (r == NJ1_PUSH_COMPLETE || (data[at] & 3) == 0) {
			nj1_unpacker_take(u, f, &out);
			check_out(c, &out);
		}
		if (data[at] == 0xFF) {
			nj1_unpacker_reset(u);
		}
		at += len;
	}
	if (nj1_unpacker_newest_complete(u, &f)) {
		nj1_unpacker_take(u, f, &out);
		check_out(c, &out);
	}
}

static struct nj1_stream_config fixed_cfg(unsigned i)
{
	struct nj1_stream_config c;

	memset(&c, 0, sizeof(c));
	c.mode = i == 0 ? NJ1_MODE_FLOAT : i == 1 ? NJ1_MODE_INT16 : NJ1_MODE_OPUS;
	c.period = i == 2 ? 480 : 256;
	c.rate = 48000;
	c.kbps = 128;
	c.mtu = NJ1_MTU_DEFAULT;
	c.audio_channels = 2;
	c.midi_channels = 1;
	c.slots = 4;
	c.midi_max_events = 32;
	c.codec = i == 2 ? &opus_ops : NULL;
	c.codec_ctx = &opus_block;
	return c;
}

/* A period of the session the input's header describes, packed from the
 * input's bytes as float, must come back whole and bit-exact. */
static void own_session(const uint8_t *data, size_t size)
{
	struct nj1_header h;
	struct nj1_session s;
	struct nj1_stream_config c;
	struct nj1_packer *p = NULL;
	struct nj1_unpacker *u = NULL;
	const struct nj_datagram *dg;
	static float x[8][NJ1_PERIOD_MAX];
	const float *bufs[8];
	struct nj1_period_in in = {bufs, NULL, NULL};
	struct nj1_period_out out;
	unsigned n, last = 0;

	if (nj1_header_decode(data, size, &h) < 0 || nj1_session_from_header(&h, &s) < 0 ||
	    s.down_audio > 8 || s.down_midi > 2 ||
	    nj1_packet_size(4 * s.period, s.down_audio + s.down_midi) > (256u << 10)) {
		return;
	}
	c = fixed_cfg(0);
	c.period = s.period;
	c.rate = s.rate;
	c.mtu = s.mtu;
	c.audio_channels = s.down_audio;
	c.midi_channels = s.down_midi;
	c.slots = 2;
	c.session = &s;
	/* samples: the input's bytes, round and round (any bit pattern, NaN too) */
	for (unsigned ch = 0; ch < s.down_audio; ch++) {
		for (unsigned i = 0; i < s.period; i++) {
			uint8_t b[4];

			for (unsigned j = 0; j < 4; j++) {
				b[j] = data[(4 * (i + ch * s.period) + j) % size];
			}
			memcpy(&x[ch][i], b, sizeof(b));
		}
		bufs[ch] = x[ch];
	}
	if (nj1_packer_new(&c, &p) == 0 && nj1_unpacker_new(&c, &u) == 0 &&
	    nj1_packer_pack(p, &h, &in, &dg, &n) == 0) {
		for (unsigned k = 0; k < n; k++) {
			last = (unsigned)nj1_unpacker_push(u, dg[k].data, dg[k].len, k, NULL);
		}
		if (last != NJ1_PUSH_COMPLETE || nj1_unpacker_take(u, h.framecnt, &out) < 0 ||
		    !out.complete) {
			abort();
		}
		for (unsigned ch = 0; ch < s.down_audio; ch++) {
			if (memcmp(out.audio[ch], x[ch], s.period * sizeof(float)) != 0) {
				abort();
			}
		}
		/* the input itself, as a datagram of that session */
		nj1_unpacker_push(u, data, size, 0, NULL);
	}
	nj1_packer_free(p);
	nj1_unpacker_free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nj1_unpacker *fixed[3];
	struct nj_midi_event ev[64];
	struct nj1_midi_list list;
	int n;

	for (unsigned i = 0; i < 3; i++) {
		struct nj1_stream_config c = fixed_cfg(i);

		if (fixed[i] == NULL && nj1_unpacker_new(&c, &fixed[i]) < 0) {
			abort();
		}
		as_stream(fixed[i], &c, data, size);
	}
	own_session(data, size);
	if (size > NJ1_HEADER_SIZE) {
		n = nj1_midi_decode(data + NJ1_HEADER_SIZE, size - NJ1_HEADER_SIZE, 256, ev, 64,
				    &list);
		for (int i = 0; i < n; i++) {
			if (ev[i].data < data || ev[i].data + ev[i].size > data + size) {
				abort();
			}
		}
	}
	return 0;
}
