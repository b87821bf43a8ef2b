/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * auth.h - pre-shared-key authentication between netjack peers (libsodium;
 * outside the pure core, like the Opus codec).
 *
 * The key: 32 bytes, in a file as 64 hex digits (or the 32 raw bytes),
 * readable by its owner (and group) only. From it:
 *  - handshake tags (session.h's nj2_auth): BLAKE2b-128 keyed with the key
 *    over "netjack-auth-v1 hs", the sender's role ('M' or 'S') and the params
 *    packet with its tag slots zeroed (both nonces in it);
 *  - session keys, one per direction: BLAKE2b-256 keyed with the key over
 *    "netjack-auth-v1 key", the direction ('M': master to slave, 'S': slave
 *    to master), the slave's and the master's nonce;
 *  - a key id for logs and status (so both ends can be compared without
 *    showing the key): BLAKE2b-64 keyed over "netjack-auth-v1 id", in hex.
 * Every data packet of an authenticated session is followed by a trailer:
 * a big-endian 64-bit sequence number and the 16-byte tag of
 * ChaCha20-Poly1305 (IETF) under the direction's key, nonce = 4 zero bytes
 * and the sequence number. Without encryption the whole datagram is the
 * associated data; with it, the first @clear bytes (the protocol's header,
 * which the socket filter and classify read) and the rest is encrypted.
 * The receiver checks the tag before anything is decoded and keeps a window
 * of 64 sequence numbers against replay.
 */
#ifndef LIBNETPROTO_AUTH_H
#define LIBNETPROTO_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/exchange.h>
#include <libnetproto/nj2-exchange.h>
#include <libnetproto/session.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NJ_PSK_SIZE     32
#define NJ_AUTH_KEY     32
#define NJ_AUTH_SEQ     8
#define NJ_AUTH_MAC     16
#define NJ_AUTH_TRAILER (NJ_AUTH_SEQ + NJ_AUTH_MAC) /* = NJ2_AUTH_TRAILER */
#define NJ_AUTH_WINDOW  64
#define NJ_PSK_ID_LEN   16 /* hex digits of the key id */

struct nj_psk;

/**
 * nj_psk_load - read a key file. Refuses (-EPERM) a file others may read or
 * write, -EINVAL one that is neither 64 hex digits (surrounding whitespace
 * allowed) nor 32 bytes, -errno when it cannot be read; @err says why in
 * words. The key lives in locked memory, wiped when freed.
 */
int nj_psk_load(const char *path, struct nj_psk **ret, char *err, size_t errlen);

/** nj_psk_new - a key from 32 bytes (tests, tools). */
int nj_psk_new(const uint8_t *key, struct nj_psk **ret);

/** nj_psk_free - wipe and free; NULL is a no-op. */
void nj_psk_free(struct nj_psk *k);

/** nj_psk_id - the key id, NJ_PSK_ID_LEN hex digits and a NUL. */
void nj_psk_id(const struct nj_psk *k, char *out);

/** nj_psk_generate - NJ_PSK_SIZE random bytes as 64 hex digits and a NUL. */
void nj_psk_generate(char *out);

/** nj_psk_nj2_auth - @a's nonce and tag hooks bound to @k (encrypt, require: the caller's). */
void nj_psk_nj2_auth(const struct nj_psk *k, struct nj2_auth *a);

/** nj_psk_handshake_tag - the tag of a NJ2_PARAMS_SIZE @view sent by @role. */
void nj_psk_handshake_tag(const struct nj_psk *k, enum nj2_auth_role role, const uint8_t *view,
			  uint8_t *out);

/** nj_psk_session_keys - the two directions' keys of the session of nonces @ns and @nm. */
void nj_psk_session_keys(const struct nj_psk *k, const uint8_t *ns, const uint8_t *nm,
			 uint8_t *master_to_slave, uint8_t *slave_to_master);

/**
 * nj_auth_seal - write datagram @in (@len bytes) with trailer to @out (room
 * for @len + NJ_AUTH_TRAILER), under @key and @seq; @clear > 0: encrypt the
 * bytes after the first @clear. Returns the sealed length.
 */
size_t nj_auth_seal(const uint8_t *key, uint64_t seq, size_t clear, const uint8_t *in, size_t len,
		    uint8_t *out);

/**
 * nj_auth_check - is sealed datagram @buf's tag right? On true, *@ret_seq.
 * Reads only (@clear as at sealing). Constant time in the tag.
 */
bool nj_auth_check(const uint8_t *key, size_t clear, const uint8_t *buf, size_t len,
		   uint64_t *ret_seq);

/** nj_auth_decrypt - decrypt a checked datagram in place (@clear > 0). */
void nj_auth_decrypt(const uint8_t *key, uint64_t seq, size_t clear, uint8_t *buf, size_t len);

/**
 * nj_auth_exchange_new - wrap @inner (taken over: freed with the wrapper,
 * also on failure) so that pack() seals under @tx_key and classify()/push()
 * check under @rx_key: a wrong tag is malformed (counted as auth_failed), a
 * sequence number seen before or older than the window is dropped (replayed).
 * The protocol's control messages (@is_control: classify's NJ_XCONTROL on the
 * bare datagram, e.g. netJACK2's params packets) pass unsealed; they carry
 * their own tags where it matters. @clear: 0 for tags only, else the header
 * length left in the clear. The wrapper has no socket filter.
 */
int nj_auth_exchange_new(struct nj_exchange *inner, const uint8_t *tx_key, const uint8_t *rx_key,
			 size_t clear, struct nj_exchange **ret);

/**
 * nj2_exchange_open_keyed - nj2_exchange_open(), sealed with the session's
 * keys when the negotiation settled on authentication (@k must then be set:
 * -EACCES if not).
 */
int nj2_exchange_open_keyed(const struct nj2_params *p, enum nj2_role role, const struct nj_psk *k,
			    struct nj_exchange **ret);

#ifdef __cplusplus
}
#endif

#endif
