/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * session-auth.c - the handshake tags of session.h: where they go in a params
 * packet and how they are checked. The keyed function is the owner's.
 */
#include <string.h>

#include <libnetproto/session.h>

void nj2_auth_sign(const struct nj2_auth *a, enum nj2_auth_role role, uint8_t *pkt)
{
	uint8_t view[NJ2_PARAMS_SIZE];

	nj2_params_auth_view(pkt, view);
	a->tag(a->userdata, role, view, pkt + nj2_params_tag_offset(role == NJ2_AUTH_BY_MASTER));
}

bool nj2_auth_verify(const struct nj2_auth *a, enum nj2_auth_role role, const uint8_t *pkt)
{
	const uint8_t *got = pkt + nj2_params_tag_offset(role == NJ2_AUTH_BY_MASTER);
	uint8_t view[NJ2_PARAMS_SIZE], want[NJ2_AUTH_TAG];
	unsigned diff = 0;

	nj2_params_auth_view(pkt, view);
	a->tag(a->userdata, role, view, want);
	/* every byte compared, whatever the first difference */
	for (size_t i = 0; i < NJ2_AUTH_TAG; i++) {
		diff |= (unsigned)(want[i] ^ got[i]);
	}
	return diff == 0;
}
