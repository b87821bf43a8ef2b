/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * auth-exchange.c - an exchange whose data packets are sealed (auth.h): the
 * protocol's own exchange inside, a trailer on every data datagram outside.
 * pack() seals copies of the inner datagrams (buffers allocated at creation),
 * classify() checks the tag before the inner classify sees anything, push()
 * checks the replay window, decrypts and hands the bare datagram in.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <libnetproto/auth.h>

struct sealed {
	struct nj_exchange_wrapper w; /* first: x, in */
	uint8_t tx_key[NJ_AUTH_KEY], rx_key[NJ_AUTH_KEY];
	size_t clear;
	uint64_t tx_seq;
	/* receive window: the newest sequence number, and which of the 64 below it were seen */
	bool rx_started;
	uint64_t rx_top, rx_seen;
	uint64_t replayed;
	_Atomic uint64_t auth_failed; /* classify may run on the receive thread */
	uint8_t *out;
	size_t out_stride;
	struct nj_datagram *list;
};

static const struct nj_exchange_ops sealed_ops;

static int s_classify(const struct nj_exchange *x, const uint8_t *buf, size_t len)
{
	struct sealed *s = (struct sealed *)x;
	uint64_t seq;
	int k = nj_exchange_classify(s->w.in, buf, len);

	if (k == NJ_XCONTROL) {
		return k;
	}
	if (!nj_auth_check(s->rx_key, s->clear, buf, len, &seq)) {
		atomic_fetch_add_explicit(&s->auth_failed, 1, memory_order_relaxed);
		return -EBADMSG;
	}
	/* the header was checked with the tag; the inner verdict on the bare datagram */
	return nj_exchange_classify(s->w.in, buf, len - NJ_AUTH_TRAILER);
}

/* Sequence numbers start at 0; a number more than the window below the newest,
 * or one seen already, is a replay. */
static bool fresh(struct sealed *s, uint64_t seq)
{
	uint64_t back;

	if (!s->rx_started || seq > s->rx_top) {
		uint64_t shift = s->rx_started ? seq - s->rx_top : NJ_AUTH_WINDOW;

		s->rx_seen = shift >= NJ_AUTH_WINDOW ? 0 : s->rx_seen << shift;
		s->rx_seen |= 1;
		s->rx_top = seq;
		s->rx_started = true;
		return true;
	}
	back = s->rx_top - seq;
	if (back >= NJ_AUTH_WINDOW || (s->rx_seen >> back) & 1) {
		return false;
	}
	s->rx_seen |= (uint64_t)1 << back;
	return true;
}

static int s_push(struct nj_exchange *x, uint8_t *buf, size_t len, uint32_t arrival,
		  uint32_t *ret_cycle)
{
	struct sealed *s = (struct sealed *)x;
	uint64_t seq;

	/* classify() said NJ_XDATA (the seam's contract): the tag is right */
	if (len < NJ_AUTH_TRAILER) {
		return -EBADMSG;
	}
	seq = nj_get_be64(buf + len - NJ_AUTH_TRAILER);
	if (!fresh(s, seq)) {
		s->replayed++;
		return NJ_PUSH_DUPLICATE;
	}
	nj_auth_decrypt(s->rx_key, seq, s->clear, buf, len);
	return nj_exchange_push(s->w.in, buf, len - NJ_AUTH_TRAILER, arrival, ret_cycle);
}

static int s_pack(struct nj_exchange *x, const struct nj_period_out *in,
		  const struct nj_datagram **ret_list, unsigned *ret_n)
{
	struct sealed *s = (struct sealed *)x;
	const struct nj_datagram *list;
	unsigned n;
	int r = nj_exchange_pack(s->w.in, in, &list, &n);

	if (r < 0) {
		return r;
	}
	if (n > s->w.x.info.max_datagrams_out) {
		return -EOVERFLOW; /* the inner exchange broke its own bound */
	}
	for (unsigned i = 0; i < n; i++) {
		uint8_t *o = s->out + (size_t)i * s->out_stride;

		if (list[i].len + NJ_AUTH_TRAILER > s->out_stride) {
			return -EOVERFLOW;
		}
		s->list[i].data = o;
		s->list[i].len = nj_auth_seal(s->tx_key, s->tx_seq++, s->clear, list[i].data,
					      list[i].len, o);
	}
	*ret_list = s->list;
	*ret_n = n;
	return r;
}

static void s_stats(const struct nj_exchange *x, struct nj_exchange_stats *ret)
{
	const struct sealed *s = (const struct sealed *)x;

	nj_exchange_stats(s->w.in, ret);
	ret->auth_failed = atomic_load_explicit(&((struct sealed *)s)->auth_failed,
						memory_order_relaxed);
	ret->replayed = s->replayed;
}

static void s_free(struct nj_exchange *x)
{
	struct sealed *s = (struct sealed *)x;

	nj_exchange_free(s->w.in);
	free(s->out);
	free(s->list);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

static const struct nj_exchange_ops sealed_ops = {
	.classify = s_classify,
	.push = s_push,
	.has = nj_wrapper_has,
	.complete = nj_wrapper_complete,
	.pick = nj_wrapper_pick,
	.take = nj_wrapper_take,
	.pack = s_pack,
	.stats = s_stats,
	.free = s_free,
};

int nj_auth_exchange_new(struct nj_exchange *inner, const uint8_t *tx_key, const uint8_t *rx_key,
			 size_t clear, struct nj_exchange **ret)
{
	struct sealed *s;
	unsigned n;

	if (inner == NULL || inner->info.max_datagrams_out == 0) {
		nj_exchange_free(inner);
		return -EINVAL;
	}
	n = inner->info.max_datagrams_out;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		nj_exchange_free(inner);
		return -ENOMEM;
	}
	s->w.in = inner;
	s->w.x.ops = &sealed_ops;
	s->w.x.info = inner->info;
	s->w.x.info.max_datagram += NJ_AUTH_TRAILER;
	s->w.x.info.max_datagram_out += NJ_AUTH_TRAILER;
	s->w.x.info.auth = clear > 0 ? "psk+encrypt" : "psk";
	s->clear = clear;
	s->out_stride = s->w.x.info.max_datagram_out;
	s->out = calloc(n, s->out_stride);
	s->list = calloc(n, sizeof(*s->list));
	memcpy(s->tx_key, tx_key, NJ_AUTH_KEY);
	memcpy(s->rx_key, rx_key, NJ_AUTH_KEY);
	if (s->out == NULL || s->list == NULL) {
		s_free(&s->w.x);
		return -ENOMEM;
	}
	*ret = &s->w.x;
	return 0;
}

int nj2_exchange_open_keyed(const struct nj2_params *p, enum nj2_role role, const struct nj_psk *k,
			    struct nj_exchange **ret)
{
	uint8_t ms[NJ_AUTH_KEY], sm[NJ_AUTH_KEY];
	struct nj_exchange *in;
	bool master = role == NJ2_ROLE_MASTER;
	int r;

	if (!nj2_params_authenticated(p)) {
		return nj2_exchange_open(p, role, ret);
	}
	if (k == NULL) {
		return -EACCES;
	}
	r = nj2_exchange_open(p, role, &in);
	if (r < 0) {
		return r;
	}
	nj_psk_session_keys(k, p->slave_ext.auth_nonce, p->master_ext.auth_nonce, ms, sm);
	r = nj_auth_exchange_new(in, master ? ms : sm, master ? sm : ms,
				 (p->master_ext.flags & NJ2_EXT_ENCRYPT) ? NJ2_HEADER_SIZE : 0, ret);
	sodium_memzero(ms, sizeof(ms));
	sodium_memzero(sm, sizeof(sm));
	return r;
}
