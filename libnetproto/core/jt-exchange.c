/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jt-exchange.c - JackTrip behind the seam (jt-exchange.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/jt-exchange.h>

#define SLOTS 16 /* received periods in flight (a cycle a period: many) */

struct jt_slot {
	bool used, muted;
	uint32_t cycle;
};

struct jt_x {
	struct nj_exchange x; /* first: the seam's head */
	struct jt_header fmt; /* the peer's */
	unsigned rx_ch, tx_ch, frames, bits;
	struct jt_sender *sender;
	struct jt_receiver *receiver;
	struct jt_slot slot[SLOTS];
	float *audio;         /* SLOTS x rx_ch x frames */
	float *pop[JT_MAX_CHANNELS];
	float *out[JT_MAX_CHANNELS];
	float *out_mem, *pop_mem;
	uint8_t *tx;
	size_t tx_cap;
	struct nj_datagram dg;
	bool started;
	uint16_t last_seq;
	uint32_t last_cycle;
	struct nj_rx_stats st;
	struct jt_exchange_stats jst;
	uint64_t period_us;
	unsigned tx_rate, max_redundancy;
};

static struct jt_x *of(struct nj_exchange *x)
{
	return (struct jt_x *)x;
}

static const struct jt_x *cof(const struct nj_exchange *x)
{
	return (const struct jt_x *)x;
}

static float *slot_audio(const struct jt_x *j, unsigned s, unsigned ch)
{
	return j->audio + ((size_t)s * j->rx_ch + ch) * j->frames;
}

static bool same_format(const struct jt_x *j, const struct jt_header *h)
{
	return h->frames == j->fmt.frames && h->rate == j->fmt.rate && h->bits == j->fmt.bits &&
	       jt_header_channels(h) == j->rx_ch;
}

static int x_classify(const struct nj_exchange *x, const uint8_t *buf, size_t len)
{
	struct jt_header h;

	if (jt_is_exit(buf, len)) {
		return NJ_XCONTROL; /* the peer leaves */
	}
	if (jt_datagram_parse(buf, len, &h) < 0) {
		return -EBADMSG;
	}
	return same_format(cof(x), &h) ? NJ_XDATA : NJ_XFOREIGN;
}

static int x_push(struct nj_exchange *x, uint8_t *buf, size_t len, uint32_t arrival,
		  uint32_t *ret_cycle)
{
	struct jt_x *j = of(x);
	struct jt_rx_info info;
	bool muted = false;
	uint16_t seq;
	int n = jt_receiver_push(j->receiver, buf, len, &info);

	if (n < 0) {
		j->st.malformed += n == -EBADMSG;
		j->st.foreign += n == -EPROTO;
		return -EBADMSG;
	}
	j->st.lost += info.lost;
	j->st.duplicate += info.duplicate;
	j->jst.recovered += info.recovered;
	if (info.late) {
		j->st.late++;
		return NJ_PUSH_LATE;
	}
	if (n == 0) {
		return NJ_PUSH_DUPLICATE;
	}
	j->st.packets++;
	if (j->bits == 32) {
		muted = jt_audio_f32_broken(buf + JT_HEADER_SIZE,
					    jt_subpacket_size(j->frames, j->rx_ch, 32) - JT_HEADER_SIZE);
	}
	if (info.resync) {
		j->jst.resyncs++;
		j->started = false;
	}
	for (;;) {
		uint32_t c;
		unsigned s;

		/* decoded first, then filed under its cycle (its number is known
		 * once it is out) */
		if (jt_receiver_pop(j->receiver, j->pop, j->rx_ch, &seq) != 1) {
			break;
		}
		if (!j->started) {
			/* the first period, or a restarted sender: a jump of more
			 * than the take scheduler's gap tells its owner to reset */
			c = j->last_cycle + (j->last_cycle ? NJ_TAKE_GAP + 2 : 1);
			j->started = true;
		} else {
			c = j->last_cycle + (uint16_t)(seq - j->last_seq);
		}
		j->last_seq = seq;
		j->last_cycle = c;
		s = c % SLOTS;
		if (j->slot[s].used && j->slot[s].cycle != c) {
			j->st.cycles_dropped++;
		}
		j->slot[s] = (struct jt_slot){.used = true, .muted = muted, .cycle = c};
		for (unsigned ch = 0; ch < j->rx_ch; ch++) {
			memcpy(slot_audio(j, s, ch), j->pop[ch], sizeof(float) * j->frames);
		}
		*ret_cycle = c;
	}
	(void)arrival;
	return NJ_PUSH_OK;
}

static bool x_has(const struct nj_exchange *x, uint32_t cycle)
{
	const struct jt_slot *s = &cof(x)->slot[cycle % SLOTS];

	return s->used && s->cycle == cycle;
}

static bool x_pick(struct nj_exchange *x, uint32_t t, uint32_t *ret_cycle)
{
	return false; /* a JackTrip peer keeps its own clock: the network runner's */
}

static int x_take(struct nj_exchange *x, uint32_t cycle, struct nj_period_in *ret)
{
	struct jt_x *j = of(x);
	unsigned s = cycle % SLOTS;
	bool have = x_has(x, cycle), muted = have && j->slot[s].muted;

	for (unsigned ch = 0; ch < j->rx_ch; ch++) {
		if (have && !muted) {
			memcpy(j->out[ch], slot_audio(j, s, ch), sizeof(float) * j->frames);
		} else {
			memset(j->out[ch], 0, sizeof(float) * j->frames);
		}
	}
	j->jst.muted += muted;
	j->st.cycles++;
	j->st.cycles_missing += !have;
	j->st.cycles_incomplete += !have || muted;
	if (have) {
		j->slot[s].used = false;
	}
	ret->cycle = cycle;
	ret->complete = have && !muted;
	ret->audio = j->out;
	ret->midi = NULL;
	ret->midi_count = NULL;
	return 0;
}

static int x_pack(struct nj_exchange *x, const struct nj_period_out *in,
		  const struct nj_datagram **ret_list, unsigned *ret_n)
{
	struct jt_x *j = of(x);
	/* 1.7.0 reads no timestamp: ours counts periods, in microseconds */
	int n = jt_sender_build(j->sender, in->audio, (uint64_t)in->cycle * j->period_us, j->tx,
				j->tx_cap);

	if (n < 0) {
		return n;
	}
	j->dg.data = j->tx;
	j->dg.len = (size_t)n;
	*ret_list = &j->dg;
	*ret_n = 1;
	return 0;
}

static void x_stats(const struct nj_exchange *x, struct nj_exchange_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->rx = cof(x)->st;
}

static void x_free(struct nj_exchange *x)
{
	struct jt_x *j = of(x);

	jt_sender_free(j->sender);
	jt_receiver_free(j->receiver);
	free(j->audio);
	free(j->out_mem);
	free(j->pop_mem);
	free(j->tx);
	free(j);
}

static const struct nj_exchange_ops jt_ops = {
	.classify = x_classify,
	.push = x_push,
	.has = x_has,
	.complete = x_has, /* a JackTrip period is one datagram: whole or absent */
	.pick = x_pick,
	.take = x_take,
	.pack = x_pack,
	.stats = x_stats,
	.free = x_free,
};

void jt_exchange_jt_stats(const struct nj_exchange *x, struct jt_exchange_stats *ret)
{
	*ret = cof(x)->jst;
}

/* The receiving side, for a peer whose first datagram had @h. */
static int learn(struct jt_x *j, const struct jt_header *h, unsigned max_redundancy)
{
	unsigned rx_ch = jt_header_channels(h);
	struct jt_rx_config rc = {
		.frames = h->frames, .rate = h->rate, .bits = h->bits, .channels = rx_ch,
		.max_redundancy = max_redundancy,
	};
	struct jt_format rxf = {
		.frames = h->frames, .rate = h->rate, .bits = h->bits, .send_channels = rx_ch,
		.recv_channels = h->recv_channels ? h->recv_channels : 1,
		.redundancy = max_redundancy,
	};
	int r;

	if (rx_ch == 0 || jt_rate_hz(h->rate) == 0 || h->frames > NJ_PERIOD_MAX ||
	    h->frames < NJ_PERIOD_MIN) {
		return -EINVAL;
	}
	r = jt_receiver_new(&rc, &j->receiver);
	if (r < 0) {
		return r;
	}
	j->fmt = *h;
	j->rx_ch = rx_ch;
	j->frames = h->frames;
	j->x.info.period = h->frames;
	j->x.info.audio_in = rx_ch;
	j->x.info.max_datagram = jt_datagram_size(&rxf);
	if (j->x.info.max_datagram == 0 || j->x.info.max_datagram > JT_MAX_DATAGRAM) {
		j->x.info.max_datagram = JT_MAX_DATAGRAM;
	}
	j->audio = calloc((size_t)SLOTS * rx_ch * h->frames, sizeof(float));
	j->out_mem = calloc((size_t)rx_ch * h->frames, sizeof(float));
	j->pop_mem = calloc((size_t)rx_ch * h->frames, sizeof(float));
	if (!j->audio || !j->out_mem || !j->pop_mem) {
		return -ENOMEM;
	}
	for (unsigned ch = 0; ch < rx_ch; ch++) {
		j->out[ch] = j->out_mem + (size_t)ch * h->frames;
		j->pop[ch] = j->pop_mem + (size_t)ch * h->frames;
	}
	return 0;
}

int jt_exchange_learn(struct nj_exchange *x, const struct jt_header *first)
{
	struct jt_x *j = of(x);

	if (j->receiver != NULL) {
		return -EALREADY;
	}
	if (first->rate != j->tx_rate || first->bits != j->bits) {
		return -EINVAL;
	}
	return learn(j, first, j->max_redundancy);
}

int jt_exchange_new(const struct jt_exchange_config *c, struct nj_exchange **ret)
{
	const struct jt_header *h = &c->first;
	struct jt_format tx = {
		.frames = h->frames, .rate = h->rate, .bits = h->bits,
		.send_channels = h->recv_channels, .recv_channels = jt_header_channels(h),
	};
	struct jt_x *j;
	unsigned hz;
	int r;

	if (c->tx != NULL) {
		tx = *c->tx;
	}
	tx.redundancy = c->redundancy;
	hz = jt_rate_hz(tx.rate);
	if (hz == 0 || tx.send_channels == 0 || jt_format_check(&tx) < 0 ||
	    (c->tx == NULL && h->recv_channels == 0)) {
		return -EINVAL;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		return -ENOMEM;
	}
	j->tx_ch = tx.send_channels;
	j->bits = tx.bits;
	j->tx_rate = tx.rate;
	j->max_redundancy = c->max_redundancy;
	j->period_us = (uint64_t)tx.frames * 1000000 / hz;
	j->x.ops = &jt_ops;
	j->x.info = (struct nj_exchange_info){
		.protocol = "jacktrip", .period = tx.frames, .rate = hz,
		.audio_out = j->tx_ch, .audio_in = tx.recv_channels, .max_datagrams = 1,
		.max_datagram = JT_MAX_DATAGRAM,
	};
	r = jt_sender_new(&tx, &j->sender);
	if (r == 0) {
		j->tx_cap = jt_sender_datagram_size(j->sender);
		j->tx = malloc(j->tx_cap);
		r = j->tx != NULL ? 0 : -ENOMEM;
	}
	if (r == 0 && h->frames != 0) {
		r = h->bits == tx.bits && h->rate == tx.rate ? learn(j, h, c->max_redundancy)
							     : -EINVAL;
	}
	if (r < 0) {
		x_free(&j->x);
		return r;
	}
	*ret = &j->x;
	return 0;
}
