/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netone-util.c - helpers for the netone tests. */
#include <stdlib.h>
#include <string.h>

#include "netone-util.h"

struct nj1_stream_config nj1_test_cfg(enum nj1_mode mode, unsigned period, unsigned audio,
				      unsigned midi)
{
	struct nj1_stream_config c;

	memset(&c, 0, sizeof(c));
	c.mode = mode;
	c.period = period;
	c.rate = 48000;
	c.mtu = NJ1_MTU_DEFAULT;
	c.audio_channels = audio;
	c.midi_channels = midi;
	c.redundancy = 1;
	c.slots = 8;
	c.midi_max_events = 64;
	return c;
}

size_t nj1_test_datagram(const struct nj1_stream_config *cfg, uint32_t framecnt, unsigned k,
			 uint8_t *buf, size_t cap)
{
	static const uint8_t note[3] = {0x90, 0x40, 0x7F};
	const struct nj_midi_event ev = {0, 3, note};
	const struct nj_midi_event *evp[NJ1_MAX_CHANNELS];
	uint32_t evn[NJ1_MAX_CHANNELS];
	float *ramp = calloc(cfg->period, sizeof(float));
	const float **bufs = calloc(cfg->audio_channels + 1, sizeof(*bufs));
	struct nj1_period_in in = {NULL, evp, evn};
	struct nj1_header h = {0};
	const struct nj_datagram *dg;
	struct nj1_packer *p = NULL;
	size_t len = 0;
	unsigned n;

	if (ramp == NULL || bufs == NULL) {
		abort();
	}
	for (unsigned i = 0; i < cfg->period; i++) {
		ramp[i] = (float)i / (float)cfg->period - 0.5f;
	}
	for (unsigned c = 0; c < cfg->audio_channels; c++) {
		bufs[c] = ramp;
	}
	for (unsigned m = 0; m < cfg->midi_channels && m < NJ1_MAX_CHANNELS; m++) {
		evp[m] = &ev;
		evn[m] = 1;
	}
	in.audio = bufs;
	h.capture_audio = h.playback_audio = cfg->audio_channels;
	h.capture_midi = h.playback_midi = cfg->midi_channels;
	h.period = cfg->period;
	h.rate = cfg->rate;
	h.mtu = cfg->mtu;
	h.latency = 2;
	h.framecnt = framecnt;
	if (nj1_packer_new(cfg, &p) == 0 && nj1_packer_pack(p, &h, &in, &dg, &n) == 0 && k < n &&
	    dg[k].len <= cap) {
		memcpy(buf, dg[k].data, dg[k].len);
		len = dg[k].len;
	}
	nj1_packer_free(p);
	free(ramp);
	free(bufs);
	return len;
}
