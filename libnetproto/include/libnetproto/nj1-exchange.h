/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nj1-exchange.h - netJACK1 (netone) behind the seam (exchange.h), both
 * roles (doc/protocol/NETONE.md):
 *
 *  - NJ1_ROLE_MASTER, as jack_netsource: driven by our period clock (the
 *    real-time runner). Cycle t sends period t (framecnt t) down and renders
 *    the slave's reply to t - L (info.latency = L), so the round trip is
 *    L periods, as netsource's. The sync_state we send is netsource's deadline
 *    goodness: the time from the arrival of reply f (its last fragment) to
 *    the cycle that takes it, less the slack the slave reported in it; a
 *    jack2 slave moves its deadline by P/100 a period until that is its
 *    target, and so follows our clock. 0 until the first reply, kept while
 *    replies are missing.
 *  - NJ1_ROLE_SLAVE, as `jackd -d netone`: the master's clock (the network
 *    runner). Each down period is answered with a reply of the same framecnt
 *    (sync_state 1). A framecnt far behind the last one taken is a new master
 *    (netsource restarts at 0): the reassembler starts afresh.
 *
 * The bit depth (or Opus and its bit rate) is not on the wire: both ends are
 * told. classify is stateless: a datagram whose length is not that of its
 * fragment in this session's stream is malformed; a down packet whose
 * session fields differ is foreign (a master restarted with other settings).
 */
#ifndef LIBNETPROTO_NJ1_EXCHANGE_H
#define LIBNETPROTO_NJ1_EXCHANGE_H

#include <libnetproto/exchange.h>
#include <libnetproto/netone.h>

#ifdef __cplusplus
extern "C" {
#endif

enum nj1_role {
	NJ1_ROLE_MASTER = 0, /* sends down (slave capture), renders up */
	NJ1_ROLE_SLAVE,      /* the other way round */
};

#define NJ1_EXCHANGE_MIDI_EVENTS 512 /* per port per period */

struct nj1_exchange_config {
	struct nj1_session session; /* both directions' counts, P, SR, MTU, L */
	enum nj1_role role;
	enum nj1_mode mode;
	unsigned kbps;        /* Opus */
	unsigned redundancy;  /* copies of each period we send (1..NJ1_MAX_REDUNDANCY, 0 = 1) */
	/* the time in us (a monotonic clock), for the goodness; NULL: goodness 0 */
	uint64_t (*now_us)(void);
	/* Opus only: the codecs of each direction */
	const struct nj_codec_ops *tx_codec, *rx_codec;
	void *tx_ctx, *rx_ctx;
	void (*release)(void *owner); /* called once when freed, may be NULL */
	void *owner;
};

/** Counters beyond the neutral ones. */
struct nj1_exchange_stats {
	int32_t goodness_us;  /* master: the last sync_state sent */
	uint64_t restarts;    /* slave: a new master's framecnt taken */
};

/**
 * nj1_exchange_new - a netone session's exchange (copies @c). Returns 0 and
 * *@ret, -EINVAL, -EOPNOTSUPP or -ENOMEM; on failure @c->release is not called.
 */
int nj1_exchange_new(const struct nj1_exchange_config *c, struct nj_exchange **ret);

/**
 * nj1_exchange_open - the same with the Opus codecs made here when @c->mode
 * is NJ1_MODE_OPUS (libnetproto, not the pure core).
 */
int nj1_exchange_open(const struct nj1_exchange_config *c, struct nj_exchange **ret);

/** nj1_exchange_nj1_stats - netone's own counters of @x. */
void nj1_exchange_nj1_stats(const struct nj_exchange *x, struct nj1_exchange_stats *ret);

#ifdef __cplusplus
}
#endif

#endif
