/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nj2-open.c - a netJACK2 exchange with its Opus codecs: the one place that
 * turns negotiated parameters into everything a session's cycles need, for
 * the master's and the slave's side alike.
 */
#include <errno.h>
#include <stdlib.h>

#include <libnetproto/nj2-exchange.h>
#include <libnetproto/opus.h>
#include <libnetproto/redundant.h>

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

static int opus_for(const struct nj2_params *p, int32_t channels, struct nj_opus **ret)
{
	bool any = p->has_master_ext && (p->master_ext.flags & NJ2_EXT_OPUS_ANY_PERIOD);

	if (channels <= 0) {
		return 0;
	}
	return nj_opus_new(p->sample_rate, p->period, (unsigned)channels, p->kbps, any, ret);
}

int nj2_exchange_open(const struct nj2_params *p, enum nj2_role role, struct nj_exchange **ret)
{
	bool master = role == NJ2_ROLE_MASTER;
	struct nj2_exchange_config c = {.params = p, .role = role};
	struct codecs *k = NULL;
	int r;

	if (p->encoder == NJ2_ENCODER_OPUS) {
		k = calloc(1, sizeof(*k));
		if (k == NULL) {
			return -ENOMEM;
		}
		r = opus_for(p, master ? p->send_audio : p->return_audio, &k->tx);
		if (r == 0) {
			r = opus_for(p, master ? p->return_audio : p->send_audio, &k->rx);
		}
		if (r < 0) {
			codecs_free(k);
			return r;
		}
		c.tx_codec = k->tx ? nj_opus_ops(k->tx) : NULL;
		c.tx_ctx = k->tx;
		c.rx_codec = k->rx ? nj_opus_ops(k->rx) : NULL;
		c.rx_ctx = k->rx;
		c.release = codecs_free;
		c.owner = k;
	}
	r = nj2_exchange_new(&c, ret);
	if (r < 0 && k != NULL) {
		codecs_free(k);
	}
	if (r == 0 && nj2_params_redundancy(p) > 1) {
		struct nj_exchange *in = *ret;

		*ret = NULL;
		r = nj_redundant_exchange_new(in, nj2_params_redundancy(p), ret);
	}
	return r;
}
