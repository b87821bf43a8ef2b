/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jt-exchange.h - JackTrip behind the protocol seam (exchange.h).
 *
 * A JackTrip peer keeps its own clock: one datagram per period of its own,
 * R periods in each (-r). The exchange numbers the received periods in order
 * of their sequence numbers (a gap is a cycle never seen, which the take
 * scheduler conceals once a later one is there) and answers each taken period
 * with one of ours in the peer's own format: its period, its rate, its bit
 * resolution, and as many channels as it receives, so a 1.7.0 peer sees
 * nothing to warn about. Audio it sends at 32 bits is unusable (1.7.0 sends
 * the low half of each sample's double): such periods are muted and counted.
 *
 * pack uses only the sender's state, and classify/push/has/take only the
 * receiver's: pack may run on another thread than the others (a client
 * sends from its JACK callback and receives on its network thread).
 */
#ifndef LIBNETPROTO_JT_EXCHANGE_H
#define LIBNETPROTO_JT_EXCHANGE_H

#include <libnetproto/exchange.h>
#include <libnetproto/jacktrip.h>

#ifdef __cplusplus
extern "C" {
#endif

struct jt_exchange_config {
	struct jt_header first;  /* the header of the peer's first datagram: its format */
	unsigned redundancy;     /* R of what we send, 1..JT_MAX_REDUNDANCY */
	unsigned max_redundancy; /* the largest R we accept, 1..JT_MAX_REDUNDANCY */
	/* What we send, when it is not an answer in the peer's format: a hub
	 * or P2P client sends its own period on its own clock, as JackTrip
	 * does (NULL: the peer's format; its redundancy field is ignored). */
	const struct jt_format *tx;
};

/** Periods muted because the peer's 32-bit audio cannot be decoded. */
struct jt_exchange_stats {
	uint64_t muted, recovered, resyncs;
};

/**
 * jt_exchange_new - an exchange for a peer whose first datagram had header
 * @c->first. Returns 0 and *@ret, -EINVAL (a format 1.7.0 cannot have, an
 * unknown rate code) or -ENOMEM. A client that must send first (a hub or
 * P2P server waits for it) gives @c->tx and a @c->first with frames 0: the
 * exchange can pack at once, and learns the peer's format from its first
 * datagram with jt_exchange_learn() before it receives anything.
 */
int jt_exchange_new(const struct jt_exchange_config *c, struct nj_exchange **ret);

/**
 * jt_exchange_learn - the peer's first datagram had header @first: make the
 * receiving side (allocates: before the exchange is run). Returns 0,
 * -EALREADY, -EINVAL (its format, or another rate than ours) or -ENOMEM.
 */
int jt_exchange_learn(struct nj_exchange *x, const struct jt_header *first);

/** jt_exchange_jt_stats - JackTrip's own counters of @x (made by jt_exchange_new). */
void jt_exchange_jt_stats(const struct nj_exchange *x, struct jt_exchange_stats *ret);

#ifdef __cplusplus
}
#endif

#endif
