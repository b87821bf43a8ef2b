/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-params.c - nj2_params_decode on arbitrary bytes; accepted input re-encodes stably. */
#include <stdlib.h>
#include <string.h>

#include <libnetproto/wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nj2_params p, q;
	uint8_t a[NJ2_PARAMS_SIZE], b[NJ2_PARAMS_SIZE];

	if (nj2_params_decode(data, size, &p) < 0) {
		return 0;
	}
	/* Accepted: our encoding of it must decode to an encoding of itself. */
	if (nj2_params_encode(&p, a, sizeof(a)) != NJ2_PARAMS_SIZE) {
		return 0; /* a name reaching into an extension block: refused, fine */
	}
	if (nj2_params_decode(a, sizeof(a), &q) != 0 ||
	    nj2_params_encode(&q, b, sizeof(b)) != NJ2_PARAMS_SIZE || memcmp(a, b, sizeof(a)) != 0) {
		abort();
	}
	return 0;
}
