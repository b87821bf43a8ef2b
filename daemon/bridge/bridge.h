/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridge.h - the slave's clock bridge: audio and MIDI between the master's
 * period clock (the network thread, one call per master cycle) and the local
 * JACK server's own clock (its process callback, one call per local cycle).
 *
 * Two lock-free single-producer single-consumer rings carry interleaved audio,
 * A (master -> local, the capture ports) and B (local -> master, the playback
 * ports), and two more carry MIDI. Two clock trackers follow the arrival times
 * of the master's cycles and the wake-up times of the local cycles. Delays only
 * make events late, so each tracker's phase follows the early edge of its
 * events; a run of events late by the same amount is a step of that clock (a
 * jack2 server that overran restarts its timeline later) and moves the phase at
 * once. A least-squares line through the tracked times gives each period and a
 * smooth phase. From them the local side knows, at any instant, how many master
 * frames exist (a continuous position) and the ratio of the two frame rates. A
 * proportional controller on ring A's continuous fill trims that ratio, and
 * one converter (convert.h) each way runs at it, so ring A holds its target
 * fill and ring B, which sees the same ratio the other way round, holds its
 * own. A fill far off target (a step, a thread held off) primes the rings
 * afresh: one glitch instead of seconds of underruns or of extra latency. With
 * quality BRIDGE_NONE the bridge copies frames bit for bit (equal rates
 * required) and corrects drift by slipping single frames.
 *
 * No JACK or socket here: the owner passes times in microseconds of one
 * monotonic clock (the slave passes JACK's, with the kernel's arrival stamps
 * moved onto it). Both cycle calls are real-time safe: no allocation, lock or
 * syscall.
 */
#ifndef NJ_SLAVE_BRIDGE_H
#define NJ_SLAVE_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include <libnetproto/types.h>

#include "convert.h"


struct bridge_config {
	unsigned capture_ch, playback_ch;           /* audio: master->local, local->master */
	unsigned midi_capture_ch, midi_playback_ch; /* MIDI, same directions */
	unsigned master_period;
	uint32_t master_rate;
	unsigned local_period; /* the largest local period the bridge must serve */
	uint32_t local_rate;
	enum bridge_quality quality;
	uint64_t margin_us;    /* jitter margin on top of the two periods (default 1 ms) */
	uint64_t margin_max_us; /* late cycles raise the margin up to this (<= margin_us: fixed) */
	unsigned midi_max_events; /* per port per cycle, both sides */
};

enum bridge_state {
	BRIDGE_IDLE = 0, /* no master data: silence out */
	BRIDGE_PRIMING,  /* master data flowing, filling ring A to its target */
	BRIDGE_RUNNING,
};

/** What the bridge measured; read from any thread with bridge_stats(). */
struct bridge_stats {
	enum bridge_state state;
	double ratio;          /* master frames per local frame now */
	double ratio_nominal;  /* master_rate / local_rate */
	double clock_ppm;      /* master clock against the local one (the clock fits; locked or not) */
	double ratio_err_rms_ppm, ratio_err_max_ppm; /* ratio against the measured one, since lock */
	double fill_a, fill_b; /* continuous fills in master frames, last local cycle */
	double target_a, target_b;
	uint64_t ring_a, ring_b; /* frames in the rings now */
	uint64_t lock_us;      /* time from the first master data to lock; 0 = not locked */
	uint64_t locked_at_us; /* when it locked */
	uint64_t local_cycles, net_cycles;
	uint64_t underruns_a;  /* local cycles short of master audio while running */
	uint64_t underruns_b;  /* master cycles short of local audio while running */
	uint64_t overruns_a, overruns_b; /* frames that found a ring full */
	uint64_t slips;        /* BRIDGE_NONE: periods dropped or repeated */
	uint64_t dropouts;     /* running -> idle: the master's data stopped */
	uint64_t resyncs;      /* primed afresh: the fill was far off (a clock stepped) */
	uint64_t steps_master, steps_local; /* steps of either clock (a server overran) */
	/* master cycles arriving, and local cycles waking, later than the jitter
	 * margin (against each clock's prediction): the delays the bridge is not
	 * sized to absorb. An underrun without one is the bridge's own fault. */
	uint64_t late_master, late_local;
	double late_max_master_us, late_max_local_us;
	double margin_us;        /* the jitter margin now */
	uint64_t margin_raises;  /* times late cycles raised it */
	uint64_t margin_lowers;  /* times a quiet window brought it down */
	uint64_t midi_dropped; /* MIDI events that found a ring full or came too late */
};

struct bridge;

/** bridge_new - allocate everything for @cfg. Returns 0, -EINVAL or -ENOMEM. */
int bridge_new(const struct bridge_config *cfg, struct bridge **ret);
void bridge_free(struct bridge *b);

/** What the network thread gets back for one master cycle (valid until the next call). */
struct bridge_net_out {
	const struct nj_midi_event *const *midi; /* midi_playback_ch arrays */
	const uint32_t *midi_count;
};

/**
 * bridge_net_cycle - one master cycle (network thread). @seen_us: arrival time
 * of the cycle's first packet, or 0 for a cycle never seen (it still moves
 * the rings by one period, as silence). @capture: capture_ch buffers of
 * master_period frames (NULL = silence). @midi/@midi_count: capture MIDI per
 * port (NULL = none). @playback: playback_ch buffers filled from ring B.
 */
void bridge_net_cycle(struct bridge *b, uint64_t seen_us, const float *const *capture,
		      const struct nj_midi_event *const *midi, const uint32_t *midi_count,
		      float *const *playback, struct bridge_net_out *out);

/** bridge_net_reset - the master's stream restarted (new session or a gap). */
void bridge_net_reset(struct bridge *b);

/** Emits one capture MIDI event at a local frame offset (local side). */
typedef void (*bridge_midi_emit)(void *ud, unsigned port, uint32_t time, const uint8_t *data,
				 uint32_t size);

/**
 * bridge_local_cycle - one local cycle (JACK process callback). @now_us: when
 * this cycle began (the driver's wake-up, the same for every client of the
 * graph); @woke_after_us: how long after that this callback ran (the clients
 * before ours in the graph). The first is the local clock and both rings'
 * reference, so the round trip is what their targets say; the second only
 * takes from ring B's margin (a callback later than the margin is late).
 * Fills @capture (capture_ch buffers of @nframes), consumes @playback
 * (playback_ch buffers, NULL = silence) and the playback MIDI events, and
 * emits the capture MIDI due in this cycle.
 */
void bridge_local_cycle(struct bridge *b, uint64_t now_us, unsigned woke_after_us,
			unsigned nframes,
			float *const *capture, const float *const *playback,
			const struct nj_midi_event *const *midi, const uint32_t *midi_count,
			bridge_midi_emit emit, void *emit_ud);

/** bridge_stats - a consistent copy of the measurements (any thread). */
void bridge_stats(const struct bridge *b, struct bridge_stats *ret);

const char *bridge_quality_name(enum bridge_quality q);

#endif
