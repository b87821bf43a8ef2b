/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nj1-open.c - a netone exchange with its Opus codecs (nj1-exchange.h). */
#include <errno.h>
#include <stdlib.h>

#include <libnetproto/nj1-exchange.h>
#include <libnetproto/opus.h>

struct codecs {
	struct nj_opus *tx, *rx;
};

static void codecs_free(void *owner)
{
	struct codecs *c = owner;

	nj_opus_free(c->tx);
	nj_opus_free(c->rx);
	free(c);
}

static int opus_for(const struct nj1_exchange_config *c, unsigned channels, struct nj_opus **ret)
{
	const struct nj1_session *s = &c->session;

	return channels == 0 ? 0 : nj_opus_new_netone(s->rate, s->period, channels, c->kbps, ret);
}

int nj1_exchange_open(const struct nj1_exchange_config *c, struct nj_exchange **ret)
{
	const struct nj1_session *s = &c->session;
	bool master = c->role == NJ1_ROLE_MASTER;
	struct nj1_exchange_config o = *c;
	struct codecs *k;
	int r;

	if (c->mode != NJ1_MODE_OPUS) {
		return nj1_exchange_new(c, ret);
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		return -ENOMEM;
	}
	r = opus_for(c, master ? s->down_audio : s->up_audio, &k->tx);
	if (r == 0) {
		r = opus_for(c, master ? s->up_audio : s->down_audio, &k->rx);
	}
	if (r == 0) {
		o.tx_codec = k->tx ? nj_opus_ops(k->tx) : NULL;
		o.tx_ctx = k->tx;
		o.rx_codec = k->rx ? nj_opus_ops(k->rx) : NULL;
		o.rx_ctx = k->rx;
		o.release = codecs_free;
		o.owner = k;
		r = nj1_exchange_new(&o, ret);
	}
	if (r < 0) {
		codecs_free(k);
	}
	return r;
}
