/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nj2-exchange.h - netJACK2's implementation of the period exchange
 * (exchange.h): the packetizer and reassembler of cycle.h, the master's
 * receive scheduler and its numbering of a peer that counts no cycle, and the
 * sync lists (which ports each side wants) kept between cycles.
 */
#ifndef LIBNETPROTO_NJ2_EXCHANGE_H
#define LIBNETPROTO_NJ2_EXCHANGE_H

#include <libnetproto/cycle.h>
#include <libnetproto/exchange.h>
#include <libnetproto/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

enum nj2_role {
	NJ2_ROLE_MASTER = 0, /* sends the SEND stream, renders the RETURN stream */
	NJ2_ROLE_SLAVE,      /* the other way round */
};

#define NJ2_EXCHANGE_MIDI_EVENTS 512 /* per port per cycle, both ways */

struct nj2_exchange_config {
	const struct nj2_params *params; /* the negotiated session (copied) */
	enum nj2_role role;
	unsigned slots;                  /* cycles in flight; 0: latency + 4 (master), 8 (slave) */
	/* Opus only: the frame codecs of each direction (see opus.h) */
	const struct nj_codec_ops *tx_codec, *rx_codec;
	void *tx_ctx, *rx_ctx;
	/* called once when the exchange is freed (the codecs' owner), may be NULL */
	void (*release)(void *owner);
	void *owner;
};

/**
 * nj2_exchange_new - a netJACK2 session's exchange (copies @c). Returns 0 and
 * *@ret, -EINVAL (parameters no layout fits), -EOPNOTSUPP or -ENOMEM. On
 * failure @c->release is not called.
 */
int nj2_exchange_new(const struct nj2_exchange_config *c, struct nj_exchange **ret);

/**
 * nj2_exchange_open - the same with Opus codecs made here when the session
 * uses Opus (libnetproto, not the pure core): what both daemons call.
 */
int nj2_exchange_open(const struct nj2_params *p, enum nj2_role role, struct nj_exchange **ret);

#ifdef __cplusplus
}
#endif

#endif
