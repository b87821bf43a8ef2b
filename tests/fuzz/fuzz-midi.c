/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-midi.c - nj2_midi_decode; an accepted record re-encodes to the same events. */
#include <stdlib.h>
#include <string.h>

#include <libnetproto/midi.h>
#include <libnetproto/wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXEV 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nj_midi_event ev[MAXEV], ev2[MAXEV];
	struct nj2_midi_record rec, rec2;
	static uint8_t out[65536];
	int n, len;

	n = nj2_midi_decode(data, size, 8192, ev, MAXEV, &rec);
	if (n < 0) {
		return 0;
	}
	if (rec.length > size) {
		abort();
	}
	for (int i = 0; i < n; i++) {
		volatile uint8_t x = 0;

		for (uint32_t k = 0; k < ev[i].size; k++) {
			x ^= ev[i].data[k]; /* every byte handed out must be readable */
		}
		(void)x;
	}
	/* Out-of-order times are legal on the wire; encode only sorted sets. */
	for (int i = 1; i < n; i++) {
		if (ev[i].time < ev[i - 1].time) {
			return 0;
		}
	}
	len = nj2_midi_encode(out, sizeof(out), ev, (uint32_t)n, 8192, rec.buffer_size, 0);
	if (len < 0) {
		return 0; /* e.g. long data beyond the announced buffer size */
	}
	if (nj2_midi_decode(out, (size_t)len, 8192, ev2, MAXEV, &rec2) != n) {
		abort();
	}
	for (int i = 0; i < n; i++) {
		if (ev2[i].time != ev[i].time || ev2[i].size != ev[i].size ||
		    memcmp(ev2[i].data, ev[i].data, ev[i].size) != 0) {
			abort();
		}
	}
	return 0;
}
