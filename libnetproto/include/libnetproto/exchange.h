/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exchange.h - the protocol seam: one session's exchange of periods.
 *
 * A protocol (netJACK2, JackTrip, netJACK1) implements these operations for
 * one session, created from what its negotiation gave; the daemons' runners
 * drive any of them the same way:
 *
 *  - the real-time runner, inside a JACK process callback, for a peer driven
 *    by our period clock (a netJACK2 or netJACK1 slave on our master): every
 *    cycle t it packs and sends period t, pushes what arrived, and renders
 *    the received cycle pick(t) names;
 *  - the network runner, on a thread of its own, for a peer with a clock of
 *    its own (every master we join, a JackTrip client on our master): it
 *    pushes what arrives, takes each received cycle when it is complete (or
 *    when it is given up on: nj_takesched), hands it to a consumer (the clock
 *    bridge) and sends the consumer's answer.
 *
 * Everything an exchange needs is allocated when it is created; classify,
 * push, has, complete, pick, take and pack are real-time safe (no
 * allocation, lock or syscall, bounded work per datagram and per period).
 * classify is stateless and may run on another thread than the rest.
 */
#ifndef LIBNETPROTO_EXCHANGE_H
#define LIBNETPROTO_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/bpf.h>
#include <libnetproto/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What classify() says of a datagram (negative: malformed). */
enum nj_xclass {
	NJ_XDATA = 0,    /* a data packet of this session: push() it */
	NJ_XCONTROL = 1, /* the protocol's control message: the main loop's business */
	NJ_XFOREIGN = 2, /* well formed, but another session's or direction's */
};

/** One period we send. */
struct nj_period_out {
	uint32_t cycle;                     /* our cycle number, or the one answered */
	const float *const *audio;          /* audio_out buffers of period frames (NULL entry: silence) */
	const struct nj_portset *connected; /* our send ports that carry something (NULL: all) */
	const struct nj_portset *wanted;    /* our receive ports someone listens to (NULL: all) */
	const struct nj_midi_event *const *midi; /* midi_out arrays (NULL: none) */
	const uint32_t *midi_count;
};

/** One received period, as take() hands it out (valid until the next take). */
struct nj_period_in {
	uint32_t cycle;
	bool complete;        /* nothing was missing */
	float *const *audio;  /* audio_in buffers of period frames, concealed where lost */
	const struct nj_midi_event *const *midi; /* midi_in arrays (empty when lost) */
	const uint32_t *midi_count;
};

/** What the negotiation gave, as the runners and the status need it. */
struct nj_exchange_info {
	const char *protocol;   /* "netjack2", "jacktrip", "netjack1" */
	unsigned period;        /* frames per exchanged period */
	uint32_t rate;
	unsigned audio_out, audio_in; /* channels we send, channels we receive */
	unsigned midi_out, midi_in;
	unsigned latency;       /* cycles between sending t and rendering its answer (RT runner) */
	unsigned max_datagrams; /* most datagrams of one received period */
	size_t max_datagram;    /* largest datagram accepted, bytes */
	unsigned max_datagrams_out; /* most datagrams pack() hands out for one period */
	size_t max_datagram_out;    /* largest datagram pack() hands out, bytes */
	const char *auth;       /* "none", "psk" or "psk+encrypt" (auth.h) */
	unsigned redundancy;    /* copies of each packet sent (redundant.h; 0, 1: once) */
};

/** Counters, for status. */
struct nj_exchange_stats {
	struct nj_rx_stats rx;
	uint64_t relatches;  /* the receive offset grew (a peer's numbers fell behind) */
	uint64_t auth_failed; /* datagrams with a wrong tag (forged, another key) */
	uint64_t replayed;    /* datagrams with a right tag seen before (or too old to tell) */
	uint64_t repaired;    /* packets whose first copies were lost, a later one arrived */
	bool peer_uncounted; /* the peer numbers no cycle (filed by arrival) */
};

struct nj_exchange;

struct nj_exchange_ops {
	/* Stateless: enum nj_xclass, or -EBADMSG for a malformed datagram. */
	int (*classify)(const struct nj_exchange *x, const uint8_t *buf, size_t len);
	/* A NJ_XDATA datagram (may be rewritten in place). @arrival: the last
	 * cycle we had sent when it arrived (RT runner), else 0. Returns enum
	 * nj_push_result with *ret_cycle, or -EBADMSG (counted). */
	int (*push)(struct nj_exchange *x, uint8_t *buf, size_t len, uint32_t arrival,
		    uint32_t *ret_cycle);
	bool (*has)(const struct nj_exchange *x, uint32_t cycle);
	bool (*complete)(const struct nj_exchange *x, uint32_t cycle);
	/* RT runner: which received cycle to render at our cycle @t (false:
	 * nothing yet, render silence). */
	bool (*pick)(struct nj_exchange *x, uint32_t t, uint32_t *ret_cycle);
	/* Hand out @cycle (concealed where lost; a cycle never seen is silence). */
	int (*take)(struct nj_exchange *x, uint32_t cycle, struct nj_period_in *ret);
	/* Every datagram of one period; valid until the next pack. */
	int (*pack)(struct nj_exchange *x, const struct nj_period_out *in,
		    const struct nj_datagram **ret_list, unsigned *ret_n);
	void (*stats)(const struct nj_exchange *x, struct nj_exchange_stats *ret);
	void (*free)(struct nj_exchange *x);
	/* Optional: a socket filter (bpf.h) keeping exactly the datagrams that
	 * classify calls NJ_XDATA or NJ_XCONTROL and that are no longer than
	 * info.max_datagram; the count of instructions written, 0 for none. */
	unsigned (*filter)(const struct nj_exchange *x, unsigned base, struct nj_bpf_insn *prog,
			   unsigned cap);
};

/** The head of every exchange object (its first member). */
struct nj_exchange {
	const struct nj_exchange_ops *ops;
	struct nj_exchange_info info;
};

static inline int nj_exchange_classify(const struct nj_exchange *x, const uint8_t *buf,
				       size_t len)
{
	return x->ops->classify(x, buf, len);
}

static inline int nj_exchange_push(struct nj_exchange *x, uint8_t *buf, size_t len,
				   uint32_t arrival, uint32_t *ret_cycle)
{
	return x->ops->push(x, buf, len, arrival, ret_cycle);
}

static inline bool nj_exchange_has(const struct nj_exchange *x, uint32_t cycle)
{
	return x->ops->has(x, cycle);
}

static inline bool nj_exchange_complete(const struct nj_exchange *x, uint32_t cycle)
{
	return x->ops->complete(x, cycle);
}

static inline bool nj_exchange_pick(struct nj_exchange *x, uint32_t t, uint32_t *ret_cycle)
{
	return x->ops->pick(x, t, ret_cycle);
}

static inline int nj_exchange_take(struct nj_exchange *x, uint32_t cycle,
				   struct nj_period_in *ret)
{
	return x->ops->take(x, cycle, ret);
}

static inline int nj_exchange_pack(struct nj_exchange *x, const struct nj_period_out *in,
				   const struct nj_datagram **ret_list, unsigned *ret_n)
{
	return x->ops->pack(x, in, ret_list, ret_n);
}

static inline void nj_exchange_stats(const struct nj_exchange *x, struct nj_exchange_stats *ret)
{
	*ret = (struct nj_exchange_stats){0}; /* what a protocol does not count stays 0 */
	x->ops->stats(x, ret);
}

/**
 * nj_exchange_filter - the exchange's socket filter, seeing the datagram from
 * @base bytes before its payload: the instructions written to @prog (at most
 * @cap), 0 when the protocol has none (everything reaches classify).
 */
static inline unsigned nj_exchange_filter(const struct nj_exchange *x, unsigned base,
					  struct nj_bpf_insn *prog, unsigned cap)
{
	return x->ops->filter != NULL ? x->ops->filter(x, base, prog, cap) : 0;
}

/*
 * Exchanges that wrap another (redundant.h, auth.h) begin with this head; the
 * operations that only pass through to the inner exchange are shared.
 */
struct nj_exchange_wrapper {
	struct nj_exchange x;
	struct nj_exchange *in;
};

bool nj_wrapper_has(const struct nj_exchange *x, uint32_t cycle);
bool nj_wrapper_complete(const struct nj_exchange *x, uint32_t cycle);
bool nj_wrapper_pick(struct nj_exchange *x, uint32_t t, uint32_t *ret_cycle);
int nj_wrapper_take(struct nj_exchange *x, uint32_t cycle, struct nj_period_in *ret);

/** nj_exchange_free - free @x; NULL is a no-op. */
static inline void nj_exchange_free(struct nj_exchange *x)
{
	if (x != NULL) {
		x->ops->free(x);
	}
}

/*
 * When the network runner takes a received cycle (pure: times are passed in).
 * A complete cycle goes at once; one that is not is taken once a packet of a
 * later cycle arrived (it is as complete as it will get) or once its deadline
 * passed: twice the longest spread seen between the first and the last packet
 * of complete cycles, plus a pad, within [min_us, max_us]. The spread is
 * learnt from complete cycles (decaying to half in ~700 cycles) and from
 * packets that arrived after their cycle was taken (the spread was at least
 * that). A fixed wait longer than the clock bridge's jitter margin cost an
 * underrun per lossy cycle; the spread of a few channels between hosts is
 * ~80 us, so the wait is ~0.4 ms.
 * A jump of more than NJ_TAKE_GAP cycles restarts the count (the peer
 * restarted, or we fell far behind).
 */
#define NJ_TAKE_SEEN 16
#define NJ_TAKE_GAP  16

struct nj_takesched {
	uint64_t min_us, max_us, pad_us;
	double spread_us;    /* the longest first-to-last spread of complete cycles, decaying */
	bool started;        /* expected is valid */
	uint32_t expected;   /* the next cycle to take */
	uint32_t newest;     /* the newest cycle a packet was accepted for */
	struct {
		uint32_t cycle;
		uint64_t first_us, last_us;
	} seen[NJ_TAKE_SEEN];
	uint64_t resyncs;
};

/** Why a cycle is taken. */
enum nj_take_why {
	NJ_TAKE_NONE = 0,
	NJ_TAKE_COMPLETE, /* everything arrived */
	NJ_TAKE_NEXT,     /* a later cycle's packet arrived */
	NJ_TAKE_DEADLINE, /* waited long enough */
};

/** nj_takesched_init - deadline bounds and pad in us; the first wait is the longest. */
void nj_takesched_init(struct nj_takesched *s, uint64_t min_us, uint64_t max_us, uint64_t pad_us);

/**
 * nj_takesched_packet - a packet of @cycle was accepted at @now. Returns true
 * when the stream jumped (the count restarted at @cycle: the caller resets
 * whatever follows the stream, e.g. the clock bridge).
 */
bool nj_takesched_packet(struct nj_takesched *s, uint32_t cycle, uint64_t now);

/** nj_takesched_late - a packet of @cycle, already taken, arrived at @now. */
void nj_takesched_late(struct nj_takesched *s, uint32_t cycle, uint64_t now);

/**
 * nj_takesched_poll - the next cycle to take now, if any. @has and @complete
 * describe the cycle s->expected in the exchange. On a take (not NONE) it
 * sets *@ret_cycle and moves on to the next cycle.
 */
enum nj_take_why nj_takesched_poll(struct nj_takesched *s, uint64_t now, bool has,
				   bool complete, uint32_t *ret_cycle);

/** nj_takesched_due - when the expected cycle is to be given up on, or NJ_TIME_NEVER. */
uint64_t nj_takesched_due(const struct nj_takesched *s, bool has);

/** nj_takesched_first - when @cycle's first packet arrived, 0 if unknown. */
uint64_t nj_takesched_first(const struct nj_takesched *s, uint32_t cycle);

/** nj_takesched_wait - the current deadline after a cycle's first packet, us. */
uint64_t nj_takesched_wait(const struct nj_takesched *s);

#ifdef __cplusplus
}
#endif

#endif
