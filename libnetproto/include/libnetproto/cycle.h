/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cycle.h - per-cycle packetizer (sender) and reassembler (receiver).
 *
 * Both are created once from the negotiated parameters, with every buffer sized
 * then (overflow-checked), and never allocate afterwards: packing and unpacking
 * a cycle are real-time safe (no malloc, no locks, no syscalls, bounded loops).
 *
 * One direction each: a master packs NJ2_STREAM_SEND and unpacks NJ2_STREAM_RETURN,
 * a slave the other way round. Packet order per cycle is jack2's: sync, MIDI
 * packets, audio packets; is_last on the last packet of the direction.
 */
#ifndef LIBNETPROTO_CYCLE_H
#define LIBNETPROTO_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/midi.h>
#include <libnetproto/wire.h>

#ifdef __cplusplus
extern "C" {
#endif


/** Which direction, and what the negotiation gave it. */
struct nj2_cycle_config {
	enum nj2_stream stream;   /* direction of the packets handled */
	uint32_t id;             /* session ID in every header */
	unsigned period;         /* frames */
	unsigned mtu;
	enum nj2_encoder encoder; /* FLOAT, INT16, OPUS (CELT: -EOPNOTSUPP) */
	bool tiled;              /* FLOAT: NJ2_EXT_TILED's tiles, not jack2's sub-periods */
	unsigned audio_channels; /* in this direction */
	unsigned midi_channels;  /* in this direction */
	unsigned midi_max_events;/* per port per cycle (bound 1..4096; e.g. 512) */
	uint32_t midi_buffer_size; /* announced buffer_size (0 = NJ2_JACK2_MIDI_BUFSIZE) */
	unsigned slots;          /* receiver: cycles kept in flight (>= 2, <= NJ_MAX_LATENCY + 4) */
	const struct nj_codec_ops *codec; /* OPUS only */
	void *codec_ctx;
};

/** What the caller gives for one cycle (sender). */
struct nj2_cycle_in {
	uint32_t cycle;
	const float *const *audio;          /* audio_channels buffers of period frames;
					       a NULL buffer is silence (float: not sent) */
	const struct nj_portset *connected; /* locally connected audio ports (NULL = all) */
	const struct nj_portset *peer_wants;/* last list from the peer's sync (NULL = all) */
	const struct nj_portset *we_want;   /* our receive ports we need: the sync payload
					       (NULL = all we_want_n) */
	unsigned we_want_n;                 /* our receive audio channels (sync list bound) */
	const struct nj_midi_event *const *midi; /* midi_channels arrays (NULL = none) */
	const uint32_t *midi_count;         /* events per MIDI port (NULL = none) */
};


struct nj2_packer;

/**
 * nj2_packer_new - allocate a packer for @cfg (copied). Validates the
 * configuration (layouts exist, sizes do not overflow).
 * Returns 0 and *@ret, -EINVAL, -EOPNOTSUPP (CELT) or -ENOMEM.
 */
int nj2_packer_new(const struct nj2_cycle_config *cfg, struct nj2_packer **ret);
/** nj2_packer_free - free @p; NULL is a no-op. */
void nj2_packer_free(struct nj2_packer *p);

/**
 * nj2_packer_pack - build every datagram of one cycle. Real-time safe.
 * Float ports are sent if connected and wanted by the peer; int16/Opus send all
 * ports (unwanted as silence), as jack2 does. Sends frames = -1, as jack2 does.
 * MIDI is counted with mtu-48 chunks. Events beyond midi_max_events are
 * dropped and counted in the record's lost_events; so are events that are
 * invalid (size 0 or > NJ_MIDI_MAX_EVENT, time >= period, out of time order)
 * and those that would make the cycle's MIDI stream longer than
 * midi_channels x period x 4 bytes: jack2's receive buffer, which jack2 does
 * not bounds-check.
 * Stale header fields are jack2's: a sync packet carries the num_packet of
 * the previous cycle's last packet (0 at first), a MIDI packet the sync's
 * active_ports.
 * Returns 0 and sets *@ret_list and *@ret_n (valid until the next call), or a
 * negative errno (-EINVAL for bad input).
 */
int nj2_packer_pack(struct nj2_packer *p, const struct nj2_cycle_in *in,
		   const struct nj_datagram **ret_list, unsigned *ret_n);

/** A frame range missing from a taken cycle (for every port the packet carried). */
struct nj2_range {
	uint32_t start;
	uint32_t len;
};

/**
 * One reassembled cycle (receiver). Pointers valid until the next take.
 * missing lists frame ranges never received (float/int16), merged and in
 * order; a cycle with no audio packet at all has [0, period). With float and
 * a period that is not a multiple of the sub-period (P = 480), jack2's layout
 * never sends the last P - n*S frames: that tail is listed on every cycle,
 * without making the cycle incomplete. Opus lists no ranges: lost frames are
 * concealed by the codec (opus_lost), also for a cycle never seen.
 */
struct nj2_cycle_out {
	uint32_t cycle;
	bool complete;                  /* everything expected arrived */
	bool have_sync;                 /* the sync packet arrived */
	struct nj_portset peer_wants;   /* the peer's sync list (all NJ_MAX_CHANNELS if no sync) */
	struct nj_portset present;      /* audio ports carried this cycle */
	float *const *audio;            /* audio_channels buffers, period frames; zero where absent */
	const struct nj2_range *missing; /* frame ranges lost (float/int16) */
	unsigned nmissing;
	const struct nj_portset *opus_lost; /* Opus: ports whose frame was lost (decoded by PLC) */
	const struct nj_midi_event *const *midi; /* per MIDI port; empty if MIDI lost */
	const uint32_t *midi_count;     /* (with no MIDI ports: not to be indexed) */
};

struct nj2_unpacker;

/**
 * nj2_unpacker_new - allocate a reassembler for @cfg (copied), with cfg->slots
 * cycles in flight. Returns 0 and *@ret, -EINVAL, -EOPNOTSUPP (CELT) or -ENOMEM.
 */
int nj2_unpacker_new(const struct nj2_cycle_config *cfg, struct nj2_unpacker **ret);
/** nj2_unpacker_free - free @u; NULL is a no-op. */
void nj2_unpacker_free(struct nj2_unpacker *u);

/**
 * nj2_unpacker_push - take one received datagram. Real-time safe.
 * Validates the header and payload fully (bounds, sizes, indices) before
 * writing anything. Returns enum nj_push_result (>= 0) with *@ret_cycle set to
 * the packet's cycle, or -EBADMSG (counted as malformed).
 * Late: for a cycle at or before the last one taken, or one that may not
 * take its slot. The slot ring is indexed by cycle % slots. After a take, the
 * next `slots` cycles win their slots against any cycle beyond them (so a
 * corrupt cycle number from the future cannot block a slot), and a cycle
 * beyond them cannot evict one of them; otherwise the newer cycle evicts the
 * older (counted in cycles_dropped). At the 2^32 wrap one cycle may be
 * evicted early unless slots is a power of two.
 * The sync list is bounded by NJ_MAX_CHANNELS only (it names ports of the
 * other direction): the caller ignores indices it does not have.
 */
int nj2_unpacker_push(struct nj2_unpacker *u, const uint8_t *buf, size_t len,
		     uint32_t *ret_cycle);

/** nj2_unpacker_has - is anything of @cycle held? */
bool nj2_unpacker_has(const struct nj2_unpacker *u, uint32_t cycle);

/**
 * nj2_unpacker_complete - has all of @cycle arrived: the sync, every announced
 * audio packet, and every MIDI record? The MIDI count is not trusted alone:
 * jack2 announces ceil(D/(mtu-112)) packets of mtu-48 bytes (one may be an
 * empty extra), so MIDI is complete once the records of every port are in.
 */
bool nj2_unpacker_complete(const struct nj2_unpacker *u, uint32_t cycle);

/**
 * nj2_unpacker_take - hand out @cycle and release its slot; also drops every
 * held cycle older than it (counted lost). A cycle never seen comes back all
 * silent with complete = false and the whole period in missing.
 * Opus streams are decoded here (PLC for lost frames, and for a cycle never
 * seen). Loss accounting: the packets a cycle announced and that never came
 * count as lost; for a cycle (or a kind of packet) never seen, the last
 * counts seen are assumed, also for cycles skipped between two takes. Taking
 * a cycle at or before the last one taken gives silence and counts no loss.
 * Returns 0 or -EINVAL.
 */
int nj2_unpacker_take(struct nj2_unpacker *u, uint32_t cycle, struct nj2_cycle_out *out);

/** nj2_unpacker_stats - the counters. */
const struct nj_rx_stats *nj2_unpacker_stats(const struct nj2_unpacker *u);

/*
 * Receive scheduling for the master (which return cycle to render at master
 * cycle t). jack2 latches "offset = N" once and then reads one queued cycle
 * per cycle, so every lost cycle shortens its latency for good. Here the offset
 * D is latched at the first pick where a held return cycle r has t - r >= N
 * (the newest such r, so D = N whenever the slave keeps up; older held
 * cycles are dropped by the take), and from then on cycle t - D is rendered
 * (concealed if absent) so that the delay stays fixed.
 * An async slave counts its own cycles; if it misses one, its numbers fall
 * behind for good and its packets for t - D start arriving after we took
 * t - D. So: after NJ_RXSCHED_SLIP picks in a row where t - D is absent while
 * packets did arrive since the previous pick, the last of them for a cycle
 * before t - D (late ones included), D grows by one. Lost cycles (nothing arriving, or
 * newer cycles arriving) never move D. D never shrinks: the numbers of a jack2
 * or netjack slave never run ahead of the master's, and a burst of lost
 * cycles followed by newer ones cannot be told from numbers running ahead, so
 * shrinking would bring back jack2's shortening latency. With N = 0 the
 * caller waits for nj2_unpacker_complete(t) up to its deadline, then picks
 * (a slave that keeps missing that deadline ends up at D = 1).
 */
#define NJ_RXSCHED_SLIP 4

struct nj_rxsched {
	unsigned latency; /* N */
	bool latched;
	uint32_t offset;  /* D (modulo 2^32, like the cycle numbers) */
	unsigned slip_older; /* picks in a row that looked like a slip */
	uint64_t relatches;  /* times D grew */
	uint64_t arrivals; /* the unpacker's packet count at the previous pick */
};

/** nj_rxsched_init - start unlatched with latency N = @latency. */
void nj_rxsched_init(struct nj_rxsched *s, unsigned latency);

/**
 * nj_rxsched_pick - which return cycle to take at master cycle @t.
 * Returns true and *@ret_cycle, or false while still filling (render silence).
 */
bool nj_rxsched_pick(struct nj_rxsched *s, uint32_t t, const struct nj2_unpacker *u,
		     uint32_t *ret_cycle);

/*
 * Return-cycle numbers for a peer that does not count. PipeWire's netjack2
 * driver puts cycle 0 in every return packet (NETJACK2-WIRE.md sections 5, 9);
 * a jack2 or netjack slave never does: master cycles start at 1, and a jack2
 * async slave's own counter too (0 comes back only at the 2^32 wrap, which
 * happens with the master's number past 2^31). So return syncs with cycle 0
 * in NJ2_RELABEL_RUN master cycles in a row (arrival guesses below 2^31, no
 * other return sync in between: a burst spoofed between two real syncs does
 * not do) mark the session's peer as not counting. Until then its cycle-0
 * packets are dropped (filed as cycle 0 they would make the receive scheduler
 * latch on them); from then on its packets are filed by arrival order: a
 * sync packet opens the next label, data packets take the current one. The
 * first label is the caller's arrival guess (the master cycle the packet
 * answers, judged by when it arrived); after that each sync adds one, and
 * labels are moved to the arrival guess only when the two have disagreed by
 * the same amount for NJ2_RELABEL_RUN syncs in a row (a lost sync packet; a
 * peer that skipped a cycle). Arrival jitter of one cycle now and then moves
 * nothing, so the delay stays fixed.
 */
#define NJ2_RELABEL_RUN 4

struct nj2_relabel {
	bool active;      /* the peer sends cycle 0 */
	unsigned zero_run;     /* cycles in a row with a zero-cycle sync, while deciding */
	uint32_t zero_arrival; /* the arrival guess of the last of them */
	uint32_t label;   /* the current return cycle's number */
	int32_t drift;    /* arrival guess - label at the last sync */
	unsigned drift_run;
	uint64_t moves;   /* times the labels were moved to the arrival guess */
};

/** nj2_relabel_init - a new session: the peer is taken to count. */
void nj2_relabel_init(struct nj2_relabel *r);

/**
 * nj2_relabel_packet - file a received datagram of session @id under its label:
 * for a peer that does not count, rewrite the header's cycle in place. Other
 * datagrams (not a return data packet of @id, malformed) are left alone for
 * the unpacker to judge. @arrival: the master cycle the packet answers by its
 * arrival time. Returns false for a datagram to drop (a cycle-0 packet while
 * it is not yet known whether the peer counts). Real-time safe.
 */
bool nj2_relabel_packet(struct nj2_relabel *r, uint8_t *buf, size_t len, uint32_t id,
		       uint32_t arrival);

#ifdef __cplusplus
}
#endif

#endif
