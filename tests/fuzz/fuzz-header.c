/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-header.c - nj2_header_decode and the sync payload on arbitrary bytes. */
#include <stdlib.h>
#include <string.h>

#include <libnetproto/wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nj2_header h, h2;
	struct nj_portset set;
	uint8_t out[NJ2_HEADER_SIZE];

	if (nj2_header_decode(data, size, &h) < 0) {
		return 0;
	}
	if (h.packet_size > size) {
		abort(); /* the decoder promised packet_size <= len */
	}
	if (nj2_header_encode(&h, out, sizeof(out)) != NJ2_HEADER_SIZE ||
	    nj2_header_decode(out, sizeof(out), &h2) < 0 && h.packet_size == NJ2_HEADER_SIZE) {
		abort();
	}
	if (h.data_type == NJ2_DATA_SYNC &&
	    nj2_sync_decode(data + NJ2_HEADER_SIZE, h.packet_size - NJ2_HEADER_SIZE, h.active_ports,
			   NJ_MAX_CHANNELS, &set) == 0 &&
	    nj_portset_count(&set) > h.active_ports) {
		abort();
	}
	return 0;
}
