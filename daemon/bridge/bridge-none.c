/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bridge-none.c - the clock bridge's local side with --resampler none:
 * frames copied bit for bit, drift taken up by one-frame slips.
 */
#include <math.h>
#include <string.h>

#include "bridge-private.h"

/* Local side in NONE mode: frames copied bit for bit. When the clocks drift
 * the fill strays; once its average (@avg, over NONE_TAU_S) is past half the
 * margin one frame is dropped or repeated on both rings (counted as a slip),
 * the smallest disturbance there is, cycle after cycle until the fill (@err)
 * is back within a quarter of the margin: a fill left at the edge would slip
 * again on every wobble of the clock estimate. The average, not the fill
 * itself, starts it: on one clock (what NONE is for) the fill never moves,
 * only its estimate does, by the jitter of the two clocks' fits and at each
 * of their steps on a machine that stalls; slipping on that wrote a wrong
 * period per slip at an unchanged round trip (A drops what B adds), which
 * scenario 48 saw as thousands of bad periods at a constant delay. */
void bridge_run_none(struct bridge *b, unsigned nframes, double err, double avg,
		     float *const *capture, const float *const *playback)
{
	double bound = 0.5 * b->margin_us * 1e-6 * b->cfg.master_rate;
	uint64_t fill = nj_aring_fill(&b->a), take = nframes;
	unsigned give = nframes;

	fill -= nj_aring_pay_debt(&b->a, &b->debt_a, fill, nframes + 1);
	if (bound < 2) {
		bound = 2;
	}
	if ((b->slew > 0 && err < 0.5 * bound) || (b->slew < 0 && err > -0.5 * bound)) {
		b->slew = 0;
	}
	if (b->slew == 0 && fabs(avg) > bound) {
		b->slew = avg > 0 ? 1 : -1;
	}
	if (b->slew > 0 && fill > nframes) {
		take = nframes + 1; /* master faster: skip a frame here, add one on B */
		give = nframes + 1;
		b->slips++;
		b->none_avg -= 1; /* the fill moved by that frame */
	} else if (b->slew < 0 && nframes > 1) {
		take = nframes - 1; /* master slower: repeat a frame here, drop one on B */
		give = nframes - 1;
		b->slips++;
		b->none_avg += 1;
	}
	if (fill >= take) {
		nj_aring_read_planar(&b->a, capture, (unsigned)(take < nframes ? take : nframes));
		if (take > nframes) {
			nj_aring_drop(&b->a, take - nframes);
		} else if (take < nframes) {
			for (unsigned c = 0; c < b->cfg.capture_ch; c++) {
				capture[c][nframes - 1] = capture[c][nframes - 2];
			}
		}
	} else {
		nj_aring_read_planar(&b->a, capture, (unsigned)fill);
		for (unsigned c = 0; c < b->cfg.capture_ch; c++) {
			memset(capture[c] + fill, 0, sizeof(float) * (nframes - fill));
		}
		b->underruns_a++;
		b->debt_a += take - fill; /* as in run_src_a */
	}
	if (b->skip_b > 0) {
		/* a resync left too much on its way to the master: whole
		 * cycles are left out until it is back (bit-exact otherwise) */
		b->skip_b = b->skip_b > give ? b->skip_b - give : 0;
		return;
	}
	if (b->b.cap - nj_aring_fill(&b->b) < give) {
		b->overruns_b += give;
		return;
	}
	if (give <= nframes) {
		nj_aring_write_planar(&b->b, playback, give);
	} else {
		const float *last[NJ_BRIDGE_MAX_CH];
		unsigned ch = b->cfg.playback_ch < NJ_BRIDGE_MAX_CH ? b->cfg.playback_ch : NJ_BRIDGE_MAX_CH;

		nj_aring_write_planar(&b->b, playback, nframes);
		for (unsigned c = 0; c < ch; c++) {
			last[c] = (playback && playback[c]) ? playback[c] + nframes - 1 : NULL;
		}
		nj_aring_write_planar(&b->b, playback ? last : NULL, 1);
	}
}
