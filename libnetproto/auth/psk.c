/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * psk.c - the pre-shared key (auth.h): loading it, the handshake tags, the
 * session keys and the data packets' trailer. libsodium does the crypto.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <libnetproto/auth.h>

struct nj_psk {
	uint8_t key[NJ_PSK_SIZE];
};

static const char label_hs[] = "netjack-auth-v1 hs";
static const char label_key[] = "netjack-auth-v1 key";
static const char label_id[] = "netjack-auth-v1 id";

/* BLAKE2b keyed with the PSK over label, one byte, and up to two parts. */
static void keyed(const struct nj_psk *k, const char *label, uint8_t b, const uint8_t *p1,
		  size_t n1, const uint8_t *p2, size_t n2, uint8_t *out, size_t outlen)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, k->key, sizeof(k->key), outlen);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, &b, 1);
	if (n1 > 0) {
		crypto_generichash_update(&st, p1, n1);
	}
	if (n2 > 0) {
		crypto_generichash_update(&st, p2, n2);
	}
	crypto_generichash_final(&st, out, outlen);
	sodium_memzero(&st, sizeof(st));
}

int nj_psk_new(const uint8_t *key, struct nj_psk **ret)
{
	struct nj_psk *k;

	if (sodium_init() < 0) {
		return -EIO;
	}
	k = sodium_malloc(sizeof(*k)); /* guarded, locked where the system allows */
	if (k == NULL) {
		return -ENOMEM;
	}
	memcpy(k->key, key, NJ_PSK_SIZE);
	*ret = k;
	return 0;
}

void nj_psk_free(struct nj_psk *k)
{
	if (k != NULL) {
		sodium_free(k); /* wipes */
	}
}

static int fail(char *err, size_t errlen, int r, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return r;
}

/* 64 hex digits with whitespace around them, or exactly 32 bytes. */
static int parse_key(const uint8_t *buf, size_t n, uint8_t *key)
{
	size_t a = 0, b = n, got = 0;
	const char *end = NULL;

	while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\n' || buf[a] == '\r')) {
		a++;
	}
	while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\n' ||
			 buf[b - 1] == '\r')) {
		b--;
	}
	if (b - a == 2 * NJ_PSK_SIZE &&
	    sodium_hex2bin(key, NJ_PSK_SIZE, (const char *)buf + a, b - a, NULL, &got, &end) == 0 &&
	    got == NJ_PSK_SIZE && end == (const char *)buf + b) {
		return 0;
	}
	if (n == NJ_PSK_SIZE) {
		memcpy(key, buf, NJ_PSK_SIZE);
		return 0;
	}
	return -EINVAL;
}

int nj_psk_load(const char *path, struct nj_psk **ret, char *err, size_t errlen)
{
	uint8_t buf[2 * NJ_PSK_SIZE + 16], key[NJ_PSK_SIZE];
	struct stat st;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open it: %s", strerror(errno));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, -EINVAL, "not a regular file");
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		close(fd);
		snprintf(err, errlen, "others may read or write it (mode %04o): chmod o-rw it",
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf));
	r = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read it: %s", strerror(r));
		return -r;
	}
	r = parse_key(buf, (size_t)n, key);
	sodium_memzero(buf, sizeof(buf));
	if (r < 0) {
		return fail(err, errlen, r,
			    "not a key: 64 hex digits (netjack-ctl genkey) or 32 raw bytes expected");
	}
	r = nj_psk_new(key, ret);
	sodium_memzero(key, sizeof(key));
	return r < 0 ? fail(err, errlen, r, "no memory for the key") : 0;
}

void nj_psk_id(const struct nj_psk *k, char *out)
{
	uint8_t id[NJ_PSK_ID_LEN / 2];

	keyed(k, label_id, 0, NULL, 0, NULL, 0, id, sizeof(id));
	sodium_bin2hex(out, NJ_PSK_ID_LEN + 1, id, sizeof(id));
}

void nj_psk_generate(char *out)
{
	uint8_t key[NJ_PSK_SIZE];

	if (sodium_init() < 0) {
		out[0] = '\0';
		return;
	}
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(out, 2 * NJ_PSK_SIZE + 1, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
}

void nj_psk_handshake_tag(const struct nj_psk *k, enum nj2_auth_role role, const uint8_t *view,
			  uint8_t *out)
{
	keyed(k, label_hs, (uint8_t)role, view, NJ2_PARAMS_SIZE, NULL, 0, out, NJ2_AUTH_TAG);
}

void nj_psk_session_keys(const struct nj_psk *k, const uint8_t *ns, const uint8_t *nm,
			 uint8_t *master_to_slave, uint8_t *slave_to_master)
{
	keyed(k, label_key, 'M', ns, NJ2_AUTH_NONCE, nm, NJ2_AUTH_NONCE, master_to_slave, NJ_AUTH_KEY);
	keyed(k, label_key, 'S', ns, NJ2_AUTH_NONCE, nm, NJ2_AUTH_NONCE, slave_to_master, NJ_AUTH_KEY);
}

static void hook_nonce(void *ud, uint8_t *out)
{
	(void)ud;
	randombytes_buf(out, NJ2_AUTH_NONCE);
}

static void hook_tag(void *ud, enum nj2_auth_role role, const uint8_t *view, uint8_t *out)
{
	nj_psk_handshake_tag(ud, role, view, out);
}

void nj_psk_nj2_auth(const struct nj_psk *k, struct nj2_auth *a)
{
	a->userdata = (void *)k;
	a->nonce = hook_nonce;
	a->tag = hook_tag;
}

/* ---------------------------------------------------------------- trailer */

static void seq_nonce(uint64_t seq, uint8_t *n)
{
	memset(n, 0, 4);
	nj_put_be64(n + 4, seq);
}

size_t nj_auth_seal(const uint8_t *key, uint64_t seq, size_t clear, const uint8_t *in, size_t len,
		    uint8_t *out)
{
	uint8_t n[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t *t = out + len;
	size_t ad = clear > 0 && clear < len ? clear : len;

	seq_nonce(seq, n);
	memcpy(t, n + 4, NJ_AUTH_SEQ);
	memcpy(out, in, ad);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(out + ad, t + NJ_AUTH_SEQ, NULL, in + ad,
							   len - ad, in, ad, NULL, n, key);
	return len + NJ_AUTH_TRAILER;
}

bool nj_auth_check(const uint8_t *key, size_t clear, const uint8_t *buf, size_t len,
		   uint64_t *ret_seq)
{
	uint8_t n[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	size_t body, ad;
	uint64_t seq;

	if (len < NJ_AUTH_TRAILER) {
		return false;
	}
	body = len - NJ_AUTH_TRAILER;
	ad = clear > 0 && clear < body ? clear : body;
	seq = nj_get_be64(buf + body);
	seq_nonce(seq, n);
	/* no message buffer: libsodium verifies the tag only */
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(NULL, NULL, buf + ad, body - ad,
							       buf + body + NJ_AUTH_SEQ, buf, ad,
							       n, key) != 0) {
		return false;
	}
	*ret_seq = seq;
	return true;
}

void nj_auth_decrypt(const uint8_t *key, uint64_t seq, size_t clear, uint8_t *buf, size_t len)
{
	uint8_t n[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	size_t body = len - NJ_AUTH_TRAILER;

	if (clear == 0 || clear >= body) {
		return;
	}
	seq_nonce(seq, n);
	/* block 0 keyed the tag; the message is counter 1 on, as the AEAD does */
	crypto_stream_chacha20_ietf_xor_ic(buf + clear, buf + clear, body - clear, n, 1, key);
}
