/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * keyfile.c - the daemons' --psk-file, --encrypt and --require-auth: checked
 * at startup, so a key that cannot be used stops the daemon with a message
 * that names the option, before it waits for JACK or a peer.
 */
#include <stdio.h>

#include "keyfile.h"
#include "log.h"

int nj_key_option(const char *prog, const char *path, bool encrypt, bool require,
		  struct nj_psk **ret)
{
	char err[160];

	*ret = NULL;
	if (path[0] == '\0') {
		if (encrypt || require) {
			fprintf(stderr, "%s: %s needs --psk-file (a key to authenticate with)\n",
				prog, encrypt ? "--encrypt" : "--require-auth");
			return -1;
		}
		return 0;
	}
	if (nj_psk_load(path, ret, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: --psk-file %s: %s\n", prog, path, err);
		return -1;
	}
	return 0;
}

void nj_key_log(const struct nj_psk *k, bool encrypt, bool require)
{
	char id[NJ_PSK_ID_LEN + 1];

	if (k == NULL) {
		return;
	}
	nj_psk_id(k, id);
	log_info("pre-shared key %s: netjack peers authenticate%s; %s", id,
		 encrypt ? " and encrypt" : "",
		 require ? "peers that cannot are refused (--require-auth)"
			 : "peers that cannot (jack2, netone, JackTrip) join unauthenticated");
}
