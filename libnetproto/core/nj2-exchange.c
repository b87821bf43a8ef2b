/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nj2-exchange.c - netJACK2 behind the protocol seam.
 *
 * A master packs the SEND stream and renders the RETURN stream the receive
 * scheduler picks (t - N once latched), numbering by arrival a peer that puts
 * cycle 0 in every return packet (PipeWire's driver). A slave unpacks SEND
 * and answers each master cycle with RETURN packets of the same number. Each
 * side sends the ports the other wants: the other side's last sync list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/nj2-exchange.h>

#include "bpf-asm.h"
#include "unpacker-private.h"

struct nj2_exchange {
	struct nj_exchange x; /* first: the seam's head */
	struct nj2_params p;
	enum nj2_role role;
	uint32_t rx_stream;
	struct nj2_packer *packer;
	struct nj2_unpacker *unpacker;
	struct nj_rxsched sched;   /* master */
	struct nj2_relabel relabel; /* master */
	struct nj_portset peer_wants;
	void (*release)(void *owner);
	void *owner;
};

static struct nj2_exchange *of(struct nj_exchange *x)
{
	return (struct nj2_exchange *)x;
}

static const struct nj2_exchange *cof(const struct nj_exchange *x)
{
	return (const struct nj2_exchange *)x;
}

static int x_classify(const struct nj_exchange *x, const uint8_t *buf, size_t len)
{
	const struct nj2_exchange *e = cof(x);
	struct nj2_header h;

	/* a repeated SLAVE_SETUP, a late START_MASTER, a KILL_MASTER */
	if (len == NJ2_PARAMS_SIZE && memcmp(buf, "params", 6) == 0) {
		return NJ_XCONTROL;
	}
	if (nj2_header_decode(buf, len, &h) < 0) {
		return -EBADMSG;
	}
	return h.id == e->p.id && h.stream == e->rx_stream ? NJ_XDATA : NJ_XFOREIGN;
}

/*
 * classify's rules, and the receive slot's size, for the kernel: a 644-byte
 * "params" packet, or a data packet of our id and receive stream whose header
 * nj2_header_decode accepts. Offsets of wire.c's header layout.
 */
static unsigned x_filter(const struct nj_exchange *x, unsigned base, struct nj_bpf_insn *prog,
			 unsigned cap)
{
	const struct nj2_exchange *e = cof(x);
	struct nj_bpf_asm a;
	enum { DATA = 1, COUNTED };

	nj_bpf_begin(&a, prog, cap, base, x->info.max_datagram);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, NJ2_PARAMS_SIZE, NJ_BPF_NEXT, DATA);
	nj_bpf_stmt(&a, NJ_BPF_LD_W_ABS, base);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, 0x70617261, NJ_BPF_NEXT, DATA); /* "para" */
	nj_bpf_stmt(&a, NJ_BPF_LD_H_ABS, base + 4);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, 0x6d73, NJ_BPF_KEEP, DATA); /* "ms" */
	nj_bpf_label(&a, DATA);
	nj_bpf_stmt(&a, NJ_BPF_TXA, 0);
	nj_bpf_jump(&a, NJ_BPF_JGE_K, NJ2_HEADER_SIZE, NJ_BPF_NEXT, NJ_BPF_DROP);
	nj_bpf_stmt(&a, NJ_BPF_LD_W_ABS, base);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, 0x68656164, NJ_BPF_NEXT, NJ_BPF_DROP); /* "head" */
	nj_bpf_stmt(&a, NJ_BPF_LD_H_ABS, base + 4);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, 0x6572, NJ_BPF_NEXT, NJ_BPF_DROP); /* "er" */
	nj_bpf_stmt(&a, NJ_BPF_LD_B_ABS, base + 6);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, 0, NJ_BPF_NEXT, NJ_BPF_DROP);
	nj_bpf_stmt(&a, NJ_BPF_LD_W_ABS, base + 12);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, e->rx_stream, NJ_BPF_NEXT, NJ_BPF_DROP);
	nj_bpf_stmt(&a, NJ_BPF_LD_W_ABS, base + 16);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, e->p.id, NJ_BPF_NEXT, NJ_BPF_DROP);
	nj_bpf_stmt(&a, NJ_BPF_LD_W_ABS, base + 44); /* is_last */
	nj_bpf_jump(&a, NJ_BPF_JGT_K, 1, NJ_BPF_DROP, NJ_BPF_NEXT);
	nj_bpf_stmt(&a, NJ_BPF_LD_W_ABS, base + 24); /* packet_size, within the datagram */
	nj_bpf_jump(&a, NJ_BPF_JGE_K, NJ2_HEADER_SIZE, NJ_BPF_NEXT, NJ_BPF_DROP);
	nj_bpf_jump(&a, NJ_BPF_JGT_X, 0, NJ_BPF_DROP, NJ_BPF_NEXT);
	nj_bpf_stmt(&a, NJ_BPF_LD_W_ABS, base + 8); /* data type */
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, NJ2_DATA_SYNC, NJ_BPF_KEEP, NJ_BPF_NEXT);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, NJ2_DATA_MIDI, COUNTED, NJ_BPF_NEXT);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, NJ2_DATA_AUDIO, COUNTED, NJ_BPF_DROP);
	nj_bpf_label(&a, COUNTED); /* 0 < num_packet <= the most, sub_cycle < num_packet */
	nj_bpf_stmt(&a, NJ_BPF_LD_W_ABS, base + 20);
	nj_bpf_jump(&a, NJ_BPF_JEQ_K, 0, NJ_BPF_DROP, NJ_BPF_NEXT);
	nj_bpf_jump(&a, NJ_BPF_JGT_K, NJ2_MAX_PACKETS_PER_CYCLE, NJ_BPF_DROP, NJ_BPF_NEXT);
	nj_bpf_stmt(&a, NJ_BPF_TAX, 0);
	nj_bpf_stmt(&a, NJ_BPF_LD_W_ABS, base + 36);
	nj_bpf_jump(&a, NJ_BPF_JGE_X, 0, NJ_BPF_DROP, NJ_BPF_KEEP);
	return nj_bpf_finish(&a);
}

static int x_push(struct nj_exchange *x, uint8_t *buf, size_t len, uint32_t arrival,
		  uint32_t *ret_cycle)
{
	struct nj2_exchange *e = of(x);

	if (e->role == NJ2_ROLE_MASTER &&
	    !nj2_relabel_packet(&e->relabel, buf, len, e->p.id, arrival)) {
		return NJ_PUSH_HELD;
	}
	return nj2_unpacker_push(e->unpacker, buf, len, ret_cycle);
}

static bool x_has(const struct nj_exchange *x, uint32_t cycle)
{
	return nj2_unpacker_has(cof(x)->unpacker, cycle);
}

static bool x_complete(const struct nj_exchange *x, uint32_t cycle)
{
	return nj2_unpacker_complete(cof(x)->unpacker, cycle);
}

static bool x_pick(struct nj_exchange *x, uint32_t t, uint32_t *ret_cycle)
{
	struct nj2_exchange *e = of(x);

	return nj_rxsched_pick(&e->sched, t, e->unpacker, ret_cycle);
}

static int x_take(struct nj_exchange *x, uint32_t cycle, struct nj_period_in *ret)
{
	struct nj2_exchange *e = of(x);
	struct nj2_cycle_out out;
	int r = nj2_unpacker_take(e->unpacker, cycle, &out);

	if (r < 0) {
		return r;
	}
	if (out.have_sync) {
		e->peer_wants = out.peer_wants;
	}
	ret->cycle = out.cycle;
	ret->complete = out.complete;
	ret->audio = out.audio;
	ret->midi = x->info.midi_in > 0 ? out.midi : NULL;
	ret->midi_count = x->info.midi_in > 0 ? out.midi_count : NULL;
	return 0;
}

static int x_pack(struct nj_exchange *x, const struct nj_period_out *in,
		  const struct nj_datagram **ret_list, unsigned *ret_n)
{
	struct nj2_exchange *e = of(x);
	struct nj2_cycle_in c = {
		.cycle = in->cycle,
		.audio = in->audio,
		.connected = in->connected,
		.peer_wants = &e->peer_wants,
		.we_want = in->wanted,
		.we_want_n = x->info.audio_in,
		.midi = x->info.midi_out > 0 ? in->midi : NULL,
		.midi_count = x->info.midi_out > 0 ? in->midi_count : NULL,
	};

	return nj2_packer_pack(e->packer, &c, ret_list, ret_n);
}

static void x_stats(const struct nj_exchange *x, struct nj_exchange_stats *ret)
{
	const struct nj2_exchange *e = cof(x);

	ret->rx = *nj2_unpacker_stats(e->unpacker);
	ret->relatches = e->sched.relatches;
	ret->peer_uncounted = e->relabel.active;
}

static void x_free(struct nj_exchange *x)
{
	struct nj2_exchange *e = of(x);

	nj2_packer_free(e->packer);
	nj2_unpacker_free(e->unpacker);
	if (e->release != NULL) {
		e->release(e->owner);
	}
	free(e);
}

static const struct nj_exchange_ops nj2_ops = {
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

static unsigned nonneg(int32_t v)
{
	return v > 0 ? (unsigned)v : 0;
}

int nj2_exchange_new(const struct nj2_exchange_config *c, struct nj_exchange **ret)
{
	const struct nj2_params *p = c->params;
	bool master = c->role == NJ2_ROLE_MASTER;
	struct nj2_exchange *e;
	struct nj2_cycle_config cc;
	int r;

	if (p == NULL || p->sample_rate == 0 || p->period == 0) {
		return -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		return -ENOMEM;
	}
	e->p = *p;
	e->role = c->role;
	e->rx_stream = master ? NJ2_STREAM_RETURN : NJ2_STREAM_SEND;
	e->x.ops = &nj2_ops;
	e->x.info = (struct nj_exchange_info){
		.protocol = "netjack2",
		.period = p->period,
		.rate = p->sample_rate,
		.audio_out = nonneg(master ? p->send_audio : p->return_audio),
		.audio_in = nonneg(master ? p->return_audio : p->send_audio),
		.midi_out = nonneg(master ? p->send_midi : p->return_midi),
		.midi_in = nonneg(master ? p->return_midi : p->send_midi),
		.latency = p->latency,
	};
	memset(&cc, 0, sizeof(cc));
	cc.id = p->id;
	cc.period = p->period;
	cc.mtu = nj2_params_layout_mtu(p);
	cc.encoder = (enum nj2_encoder)p->encoder;
	cc.tiled = nj2_params_tiled(p);
	cc.midi_max_events = NJ2_EXCHANGE_MIDI_EVENTS;
	cc.midi_buffer_size = NJ2_JACK2_MIDI_BUFSIZE;
	cc.slots = c->slots ? c->slots : master ? p->latency + 4 : 8;
	cc.stream = master ? NJ2_STREAM_SEND : NJ2_STREAM_RETURN;
	cc.audio_channels = e->x.info.audio_out;
	cc.midi_channels = e->x.info.midi_out;
	cc.codec = c->tx_codec;
	cc.codec_ctx = c->tx_ctx;
	r = nj2_packer_new(&cc, &e->packer);
	if (r == 0) {
		struct nj2_layout tx;

		nj2_cycle_layout(&cc, &tx); /* the packer just validated it */
		e->x.info.max_datagrams_out = 1 + tx.midi_tx_packets + tx.audio_max;
		e->x.info.max_datagram_out = cc.mtu > NJ2_PARAMS_SIZE ? cc.mtu : NJ2_PARAMS_SIZE;
		cc.stream = e->rx_stream;
		cc.audio_channels = e->x.info.audio_in;
		cc.midi_channels = e->x.info.midi_in;
		cc.codec = c->rx_codec;
		cc.codec_ctx = c->rx_ctx;
		r = nj2_unpacker_new(&cc, &e->unpacker);
	}
	if (r < 0) {
		nj2_packer_free(e->packer);
		free(e);
		return r;
	}
	e->x.info.max_datagrams = 1 + e->unpacker->lay.midi_rx_packets + e->unpacker->lay.audio_max;
	e->x.info.max_datagram = cc.mtu > NJ2_PARAMS_SIZE ? cc.mtu : NJ2_PARAMS_SIZE;
	nj_rxsched_init(&e->sched, p->latency);
	nj2_relabel_init(&e->relabel);
	nj_portset_fill(&e->peer_wants, NJ_MAX_CHANNELS); /* all wanted until told */
	e->release = c->release;
	e->owner = c->owner;
	*ret = &e->x;
	return 0;
}
