/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * redundant.c - every data packet sent more than once (redundant.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/redundant.h>
#include <libnetproto/wire.h>

#define WORDS (NJ_REDUNDANT_WINDOW / 64)

struct redundant {
	struct nj_exchange_wrapper w; /* first: x, in */
	unsigned copies;
	uint32_t tx_next;
	/* which of the last NJ_REDUNDANT_WINDOW numbers up to rx_top arrived */
	bool rx_started;
	uint32_t rx_top;
	uint64_t rx_seen[WORDS];
	uint64_t repaired, copies_dropped;
	uint8_t *out;
	size_t stride;
	struct nj_datagram *list;
};

static bool seen_bit(const struct redundant *r, uint32_t n)
{
	return (r->rx_seen[(n / 64) % WORDS] >> (n % 64)) & 1;
}

static void set_bit(struct redundant *r, uint32_t n, bool v)
{
	uint64_t *w = &r->rx_seen[(n / 64) % WORDS];
	uint64_t b = (uint64_t)1 << (n % 64);

	*w = v ? *w | b : *w & ~b;
}

/* Is packet number @n new? Marks it. Numbers more than the window behind
 * the newest count as seen (a copy that late is of no use). */
static bool first_copy(struct redundant *r, uint32_t n)
{
	int32_t ahead = (int32_t)(n - r->rx_top);

	if (!r->rx_started || ahead >= NJ_REDUNDANT_WINDOW) {
		memset(r->rx_seen, 0, sizeof(r->rx_seen));
		r->rx_started = true;
		r->rx_top = n;
		set_bit(r, n, true);
		return true;
	}
	if (ahead > 0) {
		/* forget the numbers the window slides past */
		for (uint32_t k = r->rx_top + 1; k != n + 1; k++) {
			set_bit(r, k, false);
		}
		r->rx_top = n;
	} else if (-ahead >= NJ_REDUNDANT_WINDOW) {
		return false;
	} else if (seen_bit(r, n)) {
		return false;
	}
	set_bit(r, n, true);
	return true;
}

static int r_classify(const struct nj_exchange *x, const uint8_t *buf, size_t len)
{
	const struct redundant *r = (const struct redundant *)x;
	int k = nj_exchange_classify(r->w.in, buf, len);

	if (k == NJ_XCONTROL) {
		return k;
	}
	if (len <= NJ2_REDUNDANCY_TRAILER || buf[len - 1] >= r->copies) {
		return -EBADMSG;
	}
	return nj_exchange_classify(r->w.in, buf, len - NJ2_REDUNDANCY_TRAILER);
}

static int r_push(struct nj_exchange *x, uint8_t *buf, size_t len, uint32_t arrival,
		  uint32_t *ret_cycle)
{
	struct redundant *r = (struct redundant *)x;
	const uint8_t *t;

	if (len <= NJ2_REDUNDANCY_TRAILER) {
		return -EBADMSG;
	}
	t = buf + len - NJ2_REDUNDANCY_TRAILER;
	if (!first_copy(r, nj_get_be32(t))) {
		r->copies_dropped++;
		return NJ_PUSH_DUPLICATE;
	}
	if (t[4] > 0) {
		r->repaired++; /* the copies before it were lost */
	}
	return nj_exchange_push(r->w.in, buf, len - NJ2_REDUNDANCY_TRAILER, arrival, ret_cycle);
}

static int r_pack(struct nj_exchange *x, const struct nj_period_out *in,
		  const struct nj_datagram **ret_list, unsigned *ret_n)
{
	struct redundant *r = (struct redundant *)x;
	const struct nj_datagram *list;
	unsigned n;
	int k = nj_exchange_pack(r->w.in, in, &list, &n);

	if (k < 0) {
		return k;
	}
	if (n * r->copies > r->w.x.info.max_datagrams_out) {
		return -EOVERFLOW;
	}
	/* copy c of packet i goes out right after original i + c: close enough
	 * to arrive before the cycle is given up on, apart enough not to share
	 * a short burst of loss */
	for (unsigned i = 0, o = 0; i < n + r->copies - 1; i++) {
		for (unsigned c = 0; c < r->copies; c++) {
			const struct nj_datagram *d;
			uint8_t *b;

			if (i < c || i - c >= n) {
				continue;
			}
			d = &list[i - c];
			if (d->len + NJ2_REDUNDANCY_TRAILER > r->stride) {
				return -EOVERFLOW;
			}
			b = r->out + (size_t)o * r->stride;
			memcpy(b, d->data, d->len);
			nj_put_be32(b + d->len, r->tx_next + (i - c));
			b[d->len + 4] = (uint8_t)c;
			r->list[o].data = b;
			r->list[o++].len = d->len + NJ2_REDUNDANCY_TRAILER;
		}
	}
	r->tx_next += n;
	*ret_list = r->list;
	*ret_n = n * r->copies;
	return k;
}

static void r_stats(const struct nj_exchange *x, struct nj_exchange_stats *ret)
{
	const struct redundant *r = (const struct redundant *)x;

	nj_exchange_stats(r->w.in, ret);
	ret->repaired = r->repaired;
}

static void r_free(struct nj_exchange *x)
{
	struct redundant *r = (struct redundant *)x;

	nj_exchange_free(r->w.in);
	free(r->out);
	free(r->list);
	free(r);
}

static const struct nj_exchange_ops redundant_ops = {
	.classify = r_classify,
	.push = r_push,
	.has = nj_wrapper_has,
	.complete = nj_wrapper_complete,
	.pick = nj_wrapper_pick,
	.take = nj_wrapper_take,
	.pack = r_pack,
	.stats = r_stats,
	.free = r_free,
};

int nj_redundant_exchange_new(struct nj_exchange *inner, unsigned copies,
			      struct nj_exchange **ret)
{
	struct redundant *r;
	unsigned n;

	if (inner == NULL || copies < 2 || copies > 8 || inner->info.max_datagrams_out == 0) {
		nj_exchange_free(inner);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		nj_exchange_free(inner);
		return -ENOMEM;
	}
	r->w.in = inner;
	r->copies = copies;
	r->w.x.ops = &redundant_ops;
	r->w.x.info = inner->info;
	r->w.x.info.max_datagrams *= copies;
	r->w.x.info.max_datagram += NJ2_REDUNDANCY_TRAILER;
	r->w.x.info.max_datagrams_out *= copies;
	r->w.x.info.max_datagram_out += NJ2_REDUNDANCY_TRAILER;
	r->w.x.info.redundancy = copies;
	n = r->w.x.info.max_datagrams_out;
	r->stride = r->w.x.info.max_datagram_out;
	r->out = calloc(n, r->stride);
	r->list = calloc(n, sizeof(*r->list));
	if (r->out == NULL || r->list == NULL) {
		r_free(&r->w.x);
		return -ENOMEM;
	}
	*ret = &r->w.x;
	return 0;
}
