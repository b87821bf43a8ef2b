/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netone-pack.c - one period's datagrams (doc/protocol/NETONE.md section 3):
 * the big packet (header, then one block per audio channel, then per MIDI
 * channel), cut as jack2's netjack_sendto cuts it, the set repeated for
 * redundancy. Everything is sized in nj1_packer_new(); packing never
 * allocates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/netone.h>

#include "cycle-private.h"
#include "netone-private.h"

struct nj1_packer {
	struct nj1_stream_config cfg;
	struct nj1_layout lay;
	unsigned copies;	  /* redundancy, >= 1 */
	uint8_t *big;		  /* the big packet: header + payload */
	uint8_t *frags;		  /* fragments * mtu: the cut datagrams (fragments > 1) */
	float *silence;		  /* one period of zeros for the codec */
	struct nj_datagram *list; /* fragments * copies */
	struct nj1_tx_stats stats;
};

int nj1_packer_new(const struct nj1_stream_config *cfg, struct nj1_packer **ret)
{
	struct nj1_packer *p;
	size_t nlist;
	int r;

	if (cfg == NULL || ret == NULL) {
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return -ENOMEM;
	}
	r = nj1_layout_of(cfg, &p->lay);
	if (r < 0) {
		free(p);
		return r;
	}
	p->cfg = *cfg;
	p->cfg.session = NULL; /* not ours to keep */
	p->copies = cfg->redundancy ? cfg->redundancy : 1;
	if (!nj_size_muladd(p->lay.fragments, p->copies, 0, &nlist)) {
		free(p);
		return -EINVAL;
	}
	p->big = nj_calloc_array(p->lay.packet, 1);
	p->frags = p->lay.fragments > 1 ? nj_calloc_array(p->lay.fragments, cfg->mtu) : NULL;
	p->silence = nj_calloc_array(cfg->period, sizeof(float));
	p->list = nj_calloc_array(nlist, sizeof(*p->list));
	if (p->big == NULL || (p->lay.fragments > 1 && p->frags == NULL) || p->silence == NULL ||
	    p->list == NULL) {
		nj1_packer_free(p);
		return -ENOMEM;
	}
	/* The datagrams never move: list them once, the copies for redundancy
	 * back to back (0 1 2 0 1 2), as jack2 sends them. */
	for (size_t i = 0; i < nlist; i++) {
		unsigned k = (unsigned)(i % p->lay.fragments);

		p->list[i].data = p->lay.fragments == 1 ? p->big : p->frags + (size_t)k * cfg->mtu;
		p->list[i].len = nj1_fragment_len(p->lay.packet, cfg->mtu, k);
	}
	*ret = p;
	return 0;
}

void nj1_packer_free(struct nj1_packer *p)
{
	if (p == NULL) {
		return;
	}
	free(p->big);
	free(p->frags);
	free(p->silence);
	free(p->list);
	free(p);
}

/* An Opus block from the caller's codec; on failure a length of 0 and zeros
 * (jack2 sends the encoder's negative error code as a length near 65535). */
static void pack_opus(struct nj1_packer *p, unsigned ch, const float *in, uint8_t *block)
{
	unsigned b = p->lay.block;
	int r = p->cfg.codec->encode(p->cfg.codec_ctx, ch, in ? in : p->silence, block);

	if (r < 0 || nj1_opus_len(block) > b - 2) {
		memset(block, 0, b);
		p->stats.codec_errors++;
	}
}

static void pack_payload(struct nj1_packer *p, const struct nj1_period_in *in)
{
	const struct nj1_stream_config *c = &p->cfg;
	uint8_t *pl = p->big + NJ1_HEADER_SIZE;
	unsigned b = p->lay.block;

	for (unsigned ch = 0; ch < c->audio_channels; ch++) {
		const float *x = in->audio ? in->audio[ch] : NULL;
		uint8_t *block = pl + (size_t)ch * b;

		if (c->mode == NJ1_MODE_OPUS) {
			pack_opus(p, ch, x, block);
		} else {
			nj1_audio_encode(c->mode, x, c->period, block);
		}
	}
	for (unsigned m = 0; m < c->midi_channels; m++) {
		uint8_t *block = pl + (size_t)(c->audio_channels + m) * b;
		const struct nj_midi_event *ev = in->midi ? in->midi[m] : NULL;
		uint32_t n = ev && in->midi_count ? in->midi_count[m] : 0, dropped = 0;

		if (nj1_midi_encode(block, b, ev, n, c->period, &dropped) < 0) {
			memset(block, 0, b); /* a block under 4 bytes: no room for any list */
			dropped = n;
		}
		p->stats.midi_dropped += dropped;
	}
}

int nj1_packer_pack(struct nj1_packer *p, const struct nj1_header *h,
		    const struct nj1_period_in *in, const struct nj_datagram **ret_list,
		    unsigned *ret_n)
{
	struct nj1_header hh;
	unsigned n, f;

	if (p == NULL || h == NULL || in == NULL || ret_list == NULL || ret_n == NULL) {
		return -EINVAL;
	}
	n = p->lay.fragments;
	f = p->lay.frag_payload;
	pack_payload(p, in);
	hh = *h;
	hh.fragment = 0;
	nj1_header_encode(&hh, p->big, NJ1_HEADER_SIZE);
	/* each fragment repeats the header with its number, then its part of the
	 * payload: all but the last are mtu bytes */
	for (unsigned k = 0; n > 1 && k < n; k++) {
		uint8_t *d = p->frags + (size_t)k * p->cfg.mtu;

		hh.fragment = k;
		nj1_header_encode(&hh, d, NJ1_HEADER_SIZE);
		memcpy(d + NJ1_HEADER_SIZE, p->big + NJ1_HEADER_SIZE + (size_t)k * f,
		       p->list[k].len - NJ1_HEADER_SIZE);
	}
	p->stats.periods++;
	p->stats.datagrams += (uint64_t)n * p->copies;
	*ret_list = p->list;
	*ret_n = n * p->copies;
	return 0;
}

const struct nj1_tx_stats *nj1_packer_stats(const struct nj1_packer *p)
{
	return &p->stats;
}
