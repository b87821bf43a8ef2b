/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nj1-exchange.c - netJACK1 (netone) behind the seam (nj1-exchange.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/nj1-exchange.h>

#include "bpf-asm.h"

#define RESTART_BEHIND 200 /* a framecnt this far behind the last taken: a new master */

struct nj1_x {
	struct nj_exchange x; /* first: the seam's head */
	struct nj1_exchange_config c;
	struct nj1_packer *packer;
	struct nj1_unpacker *unpacker;
	size_t rx_packet;     /* the big packet we receive, header included */
	unsigned rx_frags;
	bool master, started, taken_any;
	uint32_t last_taken;
	int32_t goodness;
	uint64_t restarts;
	unsigned slack_us;    /* slave: the latency field of our replies */
};

static struct nj1_x *of(struct nj_exchange *x)
{
	return (struct nj1_x *)x;
}

static const struct nj1_x *cof(const struct nj_exchange *x)
{
	return (const struct nj1_x *)x;
}

static int x_classify(const struct nj_exchange *x, const uint8_t *buf, size_t len)
{
	const struct nj1_x *n = cof(x);
	const struct nj1_session *s = &n->c.session;
	struct nj1_header h;

	if (nj1_header_decode(buf, len, &h) < 0 || h.fragment >= n->rx_frags ||
	    len != nj1_fragment_len(n->rx_packet, s->mtu, h.fragment)) {
		return -EBADMSG;
	}
	if (!n->master &&
	    (h.capture_audio != s->down_audio || h.playback_audio != s->up_audio ||
	     h.capture_midi != s->down_midi || h.playback_midi != s->up_midi ||
	     h.period != s->period || h.rate != s->rate || h.mtu != s->mtu)) {
		return NJ_XFOREIGN; /* a master with other settings */
	}
	return NJ_XDATA;
}

/*
 * A master's classify for the kernel: a fragment number below the count and
 * the exact length of that fragment (a slave also compares the settings in
 * the header: it has no filter, its runner is the network one).
 */
static unsigned x_filter(const struct nj_exchange *x, unsigned base, struct nj_bpf_insn *prog,
			 unsigned cap)
{
	const struct nj1_x *n = cof(x);
	unsigned mtu = n->c.session.mtu, frags = n->rx_frags;
	struct nj_bpf_asm a;
	enum { LAST = 1 };

	if (!n->master) {
		return 0;
	}
	nj_bpf_begin(&a, prog, cap, base, x->info.max_datagram);
	nj_bpf_stmt(&a, NJ_BPF_LD_W_ABS, base + 52); /* the fragment number */
	nj_bpf_jump(&a, NJ_BPF_JGE_K, frags, NJ_BPF_DROP, NJ_BPF_NEXT);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, frags - 1, LAST, NJ_BPF_NEXT);
	nj_bpf_stmt(&a, NJ_BPF_TXA, 0);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, (uint32_t)nj1_fragment_len(n->rx_packet, mtu, 0), NJ_BPF_KEEP,
		    NJ_BPF_DROP);
	nj_bpf_label(&a, LAST);
	nj_bpf_stmt(&a, NJ_BPF_TXA, 0);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, (uint32_t)nj1_fragment_len(n->rx_packet, mtu, frags - 1),
		    NJ_BPF_KEEP, NJ_BPF_DROP);
	return nj_bpf_finish(&a);
}

static int x_push(struct nj_exchange *x, uint8_t *buf, size_t len, uint32_t arrival,
		  uint32_t *ret_cycle)
{
	struct nj1_x *n = of(x);
	uint64_t now = n->c.now_us ? n->c.now_us() : 0;
	uint32_t fc = 0;
	int r = nj1_unpacker_push(n->unpacker, buf, len, now, &fc);

	if (r == NJ1_PUSH_LATE && !n->master && n->taken_any &&
	    (int32_t)(fc - n->last_taken) < -RESTART_BEHIND) {
		/* netsource restarted (its framecnt begins at 0 again) */
		nj1_unpacker_reset(n->unpacker);
		n->restarts++;
		n->taken_any = false;
		r = nj1_unpacker_push(n->unpacker, buf, len, now, &fc);
	}
	(void)arrival;
	*ret_cycle = fc;
	switch (r) {
	case NJ1_PUSH_OK:
	case NJ1_PUSH_COMPLETE:
		n->started = true;
		return NJ_PUSH_OK;
	case NJ1_PUSH_DUPLICATE:
		return NJ_PUSH_DUPLICATE;
	case NJ1_PUSH_LATE:
		return NJ_PUSH_LATE;
	case NJ1_PUSH_FOREIGN:
		return NJ_PUSH_FOREIGN;
	default:
		return -EBADMSG;
	}
}

static bool x_has(const struct nj_exchange *x, uint32_t cycle)
{
	return nj1_unpacker_has(cof(x)->unpacker, cycle);
}

static bool x_complete(const struct nj_exchange *x, uint32_t cycle)
{
	return nj1_unpacker_complete(cof(x)->unpacker, cycle);
}

/* The master renders the reply to cycle t - L, as netsource does; nothing
 * until the slave answered once (a slave not there yet is not "missing"). */
static bool x_pick(struct nj_exchange *x, uint32_t t, uint32_t *ret_cycle)
{
	struct nj1_x *n = of(x);
	uint32_t l = n->c.session.latency;

	if (!n->master || !n->started || t <= l) {
		return false;
	}
	*ret_cycle = t - l;
	return true;
}

static int x_take(struct nj_exchange *x, uint32_t cycle, struct nj_period_in *ret)
{
	struct nj1_x *n = of(x);
	struct nj1_period_out o;
	int r = nj1_unpacker_take(n->unpacker, cycle, &o);

	if (r < 0) {
		return r;
	}
	if (n->master && o.complete && n->c.now_us != NULL) {
		/* netsource's goodness: how long the reply waited here, less
		 * the slack the slave had left before its deadline */
		int64_t g = (int64_t)(n->c.now_us() - o.complete_at) - (int32_t)o.header.latency;

		n->goodness = g > INT32_MAX ? INT32_MAX : g < -INT32_MAX ? -INT32_MAX : (int32_t)g;
	}
	n->taken_any = true;
	n->last_taken = cycle;
	ret->cycle = cycle;
	ret->complete = o.complete;
	ret->audio = o.audio;
	ret->midi = o.midi;
	ret->midi_count = o.midi_count;
	return 0;
}

static int x_pack(struct nj_exchange *x, const struct nj_period_out *in,
		  const struct nj_datagram **ret_list, unsigned *ret_n)
{
	struct nj1_x *n = of(x);
	struct nj1_header h;
	struct nj1_period_in p = {.audio = in->audio, .midi = in->midi, .midi_count = in->midi_count};

	nj1_header_from_session(&n->c.session, &h);
	h.framecnt = in->cycle;
	if (n->master) {
		h.sync_state = (uint32_t)n->goodness;
	} else {
		h.sync_state = n->taken_any ? 1 : 0;
		h.latency = n->slack_us;
	}
	return nj1_packer_pack(n->packer, &h, &p, ret_list, ret_n);
}

static void x_stats(const struct nj_exchange *x, struct nj_exchange_stats *ret)
{
	const struct nj1_rx_stats *s = nj1_unpacker_stats(cof(x)->unpacker);

	memset(ret, 0, sizeof(*ret));
	ret->rx = (struct nj_rx_stats){
		.packets = s->datagrams, .malformed = s->malformed, .foreign = s->foreign,
		.duplicate = s->duplicate, .late = s->late, .lost = s->fragments_lost,
		.cycles = s->periods, .cycles_incomplete = s->periods_incomplete,
		.cycles_missing = s->periods_missing,
		.midi_dropped = s->midi_dropped + s->midi_bad + s->midi_lost,
		.cycles_dropped = s->evicted + s->skipped,
	};
}

static void x_free(struct nj_exchange *x)
{
	struct nj1_x *n = of(x);

	nj1_packer_free(n->packer);
	nj1_unpacker_free(n->unpacker);
	if (n->c.release != NULL) {
		n->c.release(n->c.owner);
	}
	free(n);
}

static const struct nj_exchange_ops nj1_ops = {
	.classify = x_classify,
	.push = x_push,
	.has = x_has,
	.complete = x_complete,
	.pick = x_pick,
	.take = x_take,
	.pack = x_pack,
	.stats = x_stats,
	.free = x_free,
	.filter = x_filter,
};

void nj1_exchange_nj1_stats(const struct nj_exchange *x, struct nj1_exchange_stats *ret)
{
	const struct nj1_x *n = cof(x);

	ret->goodness_us = n->goodness;
	ret->restarts = n->restarts;
}

int nj1_exchange_new(const struct nj1_exchange_config *c, struct nj_exchange **ret)
{
	const struct nj1_session *s = &c->session;
	bool master = c->role == NJ1_ROLE_MASTER;
	unsigned slots = s->latency + 8;
	struct nj1_stream_config tx = {
		.mode = c->mode, .period = s->period, .rate = s->rate, .kbps = c->kbps,
		.mtu = s->mtu, .redundancy = c->redundancy ? c->redundancy : 1,
		.codec = c->tx_codec, .codec_ctx = c->tx_ctx,
		.audio_channels = master ? s->down_audio : s->up_audio,
		.midi_channels = master ? s->down_midi : s->up_midi,
	};
	struct nj1_stream_config rx = {
		.mode = c->mode, .period = s->period, .rate = s->rate, .kbps = c->kbps,
		.mtu = s->mtu, .slots = slots > NJ1_MAX_SLOTS ? NJ1_MAX_SLOTS : slots,
		.midi_max_events = NJ1_EXCHANGE_MIDI_EVENTS,
		.codec = c->rx_codec, .codec_ctx = c->rx_ctx,
		.audio_channels = master ? s->up_audio : s->down_audio,
		.midi_channels = master ? s->up_midi : s->down_midi,
		.session = master ? NULL : s,
	};
	struct nj1_header h;
	struct nj1_x *n;
	unsigned block;
	int r;

	nj1_header_from_session(s, &h);
	if (nj1_session_from_header(&h, &(struct nj1_session){0}) < 0 ||
	    tx.audio_channels + tx.midi_channels == 0 || rx.audio_channels + rx.midi_channels == 0) {
		return -EINVAL;
	}
	block = nj1_block_size(c->mode, s->period, s->rate, c->kbps);
	if (block == 0) {
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (n == NULL) {
		return -ENOMEM;
	}
	n->c = *c;
	n->master = master;
	n->rx_packet = nj1_packet_size(block, rx.audio_channels + rx.midi_channels);
	n->rx_frags = nj1_fragment_count(n->rx_packet, s->mtu);
	n->slack_us = (unsigned)((uint64_t)s->period * 1000000 / s->rate / 2);
	rx.session = master ? NULL : &n->c.session;
	n->x.ops = &nj1_ops;
	n->x.info = (struct nj_exchange_info){
		.protocol = "netjack1", .period = s->period, .rate = s->rate,
		.audio_out = tx.audio_channels, .audio_in = rx.audio_channels,
		.midi_out = tx.midi_channels, .midi_in = rx.midi_channels,
		.latency = master ? s->latency : 0,
		.max_datagrams = n->rx_frags * NJ1_MAX_REDUNDANCY, .max_datagram = s->mtu,
	};
	r = nj1_packer_new(&tx, &n->packer);
	if (r == 0) {
		r = nj1_unpacker_new(&rx, &n->unpacker);
	}
	if (r < 0 || n->rx_frags == 0) {
		n->c.release = NULL; /* not ours on failure */
		x_free(&n->x);
		return r < 0 ? r : -EINVAL;
	}
	*ret = &n->x;
	return 0;
}
