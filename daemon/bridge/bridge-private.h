/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridge-private.h - the clock bridge's state, shared by its network side
 * (bridge-net.c) and its local side, the controller (bridge.c).
 */
#ifndef NJ_BRIDGE_PRIVATE_H
#define NJ_BRIDGE_PRIVATE_H

#include <stdatomic.h>

#include "../common/seqlock.h"
#include "bridge.h"
#include "clock.h"
#include "convert.h"
#include "ring.h"

#define MIDI_POOL_BYTES  (64 * 1024)
#define CTRL_TAU_S       4.0    /* fill error time constant, locked */
#define CTRL_TAU_SETTLE_S 1.0   /* and before */
#define RATE_MEMORY_S    30.0    /* period fit: forgetting time */
#define NONE_TAU_S       0.5    /* NONE mode: the fill error's average that slips */
#define CTRL_MAX_CORR    2e-3   /* +-2000 ppm trim at most */
#define LOCK_HOLD_US     1000000
#define LOCK_MIN_S       1.0    /* clock fits this old before lock counts */
#define MIN_MASTER_CYCLES 8     /* master cycles seen before priming */
#define MARGIN_WINDOW_S  30     /* a raised margin comes down after this long quiet, */
#define MARGIN_WINDOW_MAX_S 960 /* the wait doubling at each lowering up to this */
#define NJ_BRIDGE_MAX_CH 256

/* What the network thread publishes for the local side (seqlock). */
struct net_pub {
	uint64_t written;   /* master frames written into ring A */
	double t_written;   /* absolute tracked time of that write, us */
	double period_us;   /* filtered master period */
	uint64_t last_us;   /* raw time of the last master cycle */
	uint64_t first_us;  /* first master data of this stream */
	uint64_t cycles;    /* master cycles of this stream */
	uint64_t stream;    /* stream generation (bridge_net_reset) */
	uint64_t tail_b;    /* ring B's read position after that cycle */
	double elapsed;     /* seconds the master's loop has run */
	uint64_t steps;     /* steps of the master's clock */
	uint64_t late_n;    /* master cycles later than the margin */
	double late_max_us;
	double recent_max_us; /* the latest master cycle of this margin window */
};

struct bridge {
	struct bridge_config cfg;
	unsigned lookahead; /* input a converter takes before its first output, frames */

	struct nj_aring a, b;
	struct nj_mring ma, mb;

	/* network side */
	struct nj_clk net_clk;
	uint64_t net_written;
	uint64_t net_stream;
	uint64_t net_first_us, net_cycles, net_last_us;
	uint64_t debt_b; /* frames sent as silence, to drop from ring B when they come */
	struct nj_midi_event **net_midi; /* per playback MIDI port */
	uint32_t *net_midi_count;
	uint8_t *net_midi_pool;
	struct nj_seqlock pub_lock;
	struct net_pub pub;
	_Atomic uint64_t underruns_b, overruns_a, midi_dropped_net, net_cycles_total;
	_Atomic uint64_t margin_pub_us; /* the margin now, for the network clock's late count */
	_Atomic uint64_t margin_window; /* the local side's margin window, numbered */
	uint64_t net_window;            /* the one the network clock's recent_max_us is of */

	/* local side */
	struct nj_clk loc_clk;
	enum bridge_state state;
	uint64_t stream_seen, steps_seen; /* both clocks' steps, last seen */
	uint64_t skip_b;    /* frames still to leave out of ring B (a resync) */
	int slew;           /* NONE mode: slipping +1 (drop) / -1 (repeat) until back inside */
	/* NONE mode: the fill error less what clock steps moved the estimate
	 * by (none_bias), and its average over NONE_TAU_S (none_avg) */
	double none_bias, none_avg;
	bool none_rebias;   /* a clock stepped: keep the error continuous */
	struct nj_conv *src_a, *src_b;
	float *in_a, *out_a, *in_b, *out_b; /* interleaved scratch */
	unsigned in_a_cap, out_a_cap, out_b_cap; /* frames */
	unsigned fifo_a;                    /* converted capture frames waiting */
	uint64_t debt_a;                    /* frames read as silence, to drop when they come */
	double acc_a;                       /* fractional input count */
	double ratio;
	uint64_t local_frames;
	uint64_t good_since_us;
	bool locked;
	/* ratio statistics since lock */
	double lock_pos, lock_local, sum_dev, sum_dev2, max_dev_abs_hi, max_dev_abs_lo;
	double ref_ratio, last_pos, last_local;
	double clock_ratio; /* the two fitted periods' ratio, master frames per local frame */
	uint64_t n_dev;
	uint8_t midi_buf[NJ_MIDI_MAX_EVENT];
	uint64_t underruns_a, overruns_b, slips, dropouts, resyncs, midi_dropped_loc, local_cycles;
	uint64_t lock_us, locked_at_us;
	double fill_a, fill_b, target_a, target_b;
	double margin_us;   /* the jitter margin now: cfg.margin_us, raised by late cycles */
	uint64_t underruns_seen; /* both rings' underruns, when the margin last looked */
	uint64_t margin_raises, margin_lowers;
	uint64_t window_from_us;  /* the margin window's start (a change starts one) */
	uint64_t window_us;       /* its length: MARGIN_WINDOW_S, doubled at each lowering */
	double window_prev_us;    /* the latest cycle of the window before */
	bool window_pending;      /* the window begins at window_from_us, not yet */

	struct nj_seqlock st_lock;
	struct bridge_stats st;
};

/* The network side's latest publication (any thread). */
void bridge_net_snapshot(const struct bridge *b, struct net_pub *p);

/* The local side in NONE mode (bridge-none.c): @err is the fill's error,
 * @avg its average. */
void bridge_run_none(struct bridge *b, unsigned nframes, double err, double avg,
		     float *const *capture, const float *const *playback);

#endif
