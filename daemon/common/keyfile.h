/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keyfile.h - the daemons' --psk-file and --encrypt options. */
#ifndef NJ_KEYFILE_H
#define NJ_KEYFILE_H

#include <stdbool.h>

#include <libnetproto/auth.h>

/**
 * nj_key_option - load the key of --psk-file @path ("" for none) into *@ret
 * (NULL without one). A key that cannot be used, or --encrypt (@encrypt) or
 * --require-auth (@require) without a key, is said on stderr naming the
 * option, and -1 returned: the daemon stops at startup. The key id is logged
 * once the log is set up (nj_key_log).
 */
int nj_key_option(const char *prog, const char *path, bool encrypt, bool require,
		  struct nj_psk **ret);

/** nj_key_log - say which key is in use (its id, never the key). */
void nj_key_log(const struct nj_psk *k, bool encrypt, bool require);

#endif
