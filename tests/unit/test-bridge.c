/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-bridge.c - the slave's clock bridge under simulated clocks.
 *
 * A master clock and a local clock run at rates that differ by a chosen ppm;
 * master cycles arrive with network jitter, local cycles wake with scheduler
 * jitter. A sine goes master -> local (capture), a one-period local loop
 * sends it back (playback), and the master records it. The test checks lock
 * time, the ratio's error against the simulated truth, no under- or overrun
 * after lock, the SNR of the round trip, and, without resampling, bit-exact
 * audio and MIDI frame offsets.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/bridge/bridge.h"
#include "check-main.h"

#define RATE 48000

struct sim {
	double ppm;           /* master clock against local */
	unsigned pm, ps;      /* periods */
	uint32_t local_rate;
	enum bridge_quality q;
	double seconds;
	double net_jitter_us, loc_jitter_us;
	unsigned seed;
	double sine_hz;
	bool noise;           /* white noise instead of a sine (bit-exact checks) */
	bool midi;
	/* disturbances, each a rate per second: the master's driver stalls and
	 * re-anchors its clock later (a jack2 xrun), our network thread is held
	 * off so a run of arrivals is stamped late, the local server stalls */
	double master_stall_hz, net_hold_hz, loc_stall_hz;
	double stall_max_us, hold_max_us;
	/* single master cycles arriving this much late (a packet delayed) */
	double late_hz, late_us;
	uint64_t margin_max_us; /* 0: the margin is fixed */
	/* the local callback runs cb_us after its cycle began (the clients
	 * before it in JACK's graph); from cb_step_at_s on, cb_step_us later
	 * (a client sorted before ours); single callbacks cb_late_us later */
	double cb_us, cb_step_at_s, cb_step_us, cb_late_hz, cb_late_us;
	/* one stall of the local server at stall_at_s for stall_us: the cycles
	 * due meanwhile all run when it is over */
	double stall_at_s, stall_us, stall_every_s; /* (and every stall_every_s after) */

	/* results */
	struct bridge_stats st;
	double snr_db;
	long delay;           /* bit-exact round trip delay, -1 = not exact */
	uint64_t underruns_after_lock;
	unsigned midi_ok, midi_sent, midi_bad_offset, midi_back, midi_bad;
	unsigned disturbances;
	double max_ring_b;    /* frames in ring B, most seen after 3 s */
	double good_windows;  /* share of 0.1 s windows (second half) with SNR >= 60 dB */
	double snr_min_db;    /* the worst 0.1 s window of the last third */
	double exact_share;   /* noise: share of local periods (second half) bit-exact at
			       * the delay most of them have */
};

static uint64_t rng_state;

static double urand(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

static float master_signal(const struct sim *s, uint64_t n)
{
	if (s->noise) {
		/* deterministic noise from the index: a hash */
		uint64_t x = n * 0x9E3779B97F4A7C15ull;

		x ^= x >> 29;
		x *= 0xBF58476D1CE4E5B9ull;
		x ^= x >> 32;
		return (float)((double)(x & 0xFFFFFF) / 16777216.0 - 0.5);
	}
	return (float)(0.5 * sin(2 * M_PI * s->sine_hz * (double)n / RATE));
}

/* Capture MIDI of one local cycle, echoed back on the next one. */
struct midi_capture {
	unsigned got, n, bad;
	struct nj_midi_event ev[8];
	uint8_t data[8][8];
};

static void on_midi(void *ud, unsigned port, uint32_t time, const uint8_t *data, uint32_t size)
{
	struct midi_capture *m = ud;

	m->got++;
	if (m->n < 8 && size <= 8) {
		memcpy(m->data[m->n], data, size);
		m->ev[m->n] = (struct nj_midi_event){.time = time, .size = size, .data = m->data[m->n]};
		m->n++;
	}
	if (size == 6 && memcmp(data, "\xF0\x7E\x01\x02\x03\xF7", 6) != 0) {
		m->bad++;
	}
}

static void run(struct sim *s)
{
	struct bridge_config cfg = {
		.capture_ch = 1, .playback_ch = 1,
		.midi_capture_ch = s->midi ? 1 : 0, .midi_playback_ch = s->midi ? 1 : 0,
		.master_period = s->pm, .master_rate = RATE,
		.local_period = s->ps, .local_rate = s->local_rate,
		.quality = s->q, .margin_us = 1000, .margin_max_us = s->margin_max_us,
		.midi_max_events = 64,
	};
	struct bridge *b;
	double master_fs = RATE * (1.0 + s->ppm * 1e-6);
	double tm = 1e6 * s->pm / master_fs, ts = 1e6 * s->ps / s->local_rate;
	uint64_t km = 0, ks = 0, sent = 0;
	size_t total = (size_t)(s->seconds * RATE) + 8192;
	float *rec = calloc(total, sizeof(float));
	float *mbuf = calloc(s->pm, sizeof(float)), *pbuf = calloc(s->pm, sizeof(float));
	float *cap = calloc(s->ps, sizeof(float)), *loop = calloc(s->ps, sizeof(float));
	uint64_t rec_n = 0, ur_at_lock = 0;
	bool was_locked = false;
	struct midi_capture mc = {0};
	uint8_t note[3] = {0x90, 60, 100};
	uint8_t sysex[6] = {0xF0, 0x7E, 0x01, 0x02, 0x03, 0xF7};
	/* MIDI back from the local side: echo what came in, next local cycle */
	struct nj_midi_event echo_ev[8];
	uint8_t echo_data[8][8];
	const struct nj_midi_event *echo_list[1] = {echo_ev};
	uint32_t echo_count = 0;

	rng_state = s->seed;
	ck_assert_int_eq(bridge_new(&cfg, &b), 0);
	s->midi_sent = s->midi_ok = s->midi_bad_offset = s->midi_back = 0;
	double jm = urand() * s->net_jitter_us, js = urand() * s->loc_jitter_us;
	double m_shift = 0, s_shift = 0, net_hold = 0, late = 0, cb_late = 0;

	s->disturbances = 0;
	s->max_ring_b = 0;
	for (;;) {
		/* each event draws its jitter once */
		double t_m_raw = 1e6 + (double)km * tm + m_shift + 300 + jm;
		double t_m = (t_m_raw < net_hold ? net_hold : t_m_raw) + late;
		double t_s = 1e6 + 777 + (double)ks * ts + s_shift + js;
		double cb = s->cb_us + cb_late +
			    (s->cb_step_at_s > 0 && t_s >= s->cb_step_at_s * 1e6 ? s->cb_step_us : 0);
		double stall_from = s->stall_at_s * 1e6;

		while (s->stall_every_s > 0 && t_s >= stall_from + s->stall_every_s * 1e6) {
			stall_from += s->stall_every_s * 1e6;
		}
		if (s->stall_at_s > 0 && t_s >= stall_from && t_s < stall_from + s->stall_us) {
			t_s = stall_from + s->stall_us;
		}

		if ((double)km * tm > s->seconds * 1e6) {
			break;
		}
		if (t_m <= t_s + cb) {
			const float *capin[1] = {mbuf};
			float *pbo[1] = {pbuf};
			struct bridge_net_out out;
			struct nj_midi_event ev[2];
			const struct nj_midi_event *evl[1] = {ev};
			uint32_t evn = 0;

			for (unsigned f = 0; f < s->pm; f++) {
				mbuf[f] = master_signal(s, sent + f);
			}
			if (s->midi && km % 10 == 5) {
				/* a note at frame 17 and a SysEx at frame 100 */
				ev[0] = (struct nj_midi_event){.time = 17, .size = 3, .data = note};
				ev[1] = (struct nj_midi_event){.time = 100 % s->pm, .size = 6,
							       .data = sysex};
				evn = 100 % s->pm > 17 ? 2 : 1;
				s->midi_sent += evn;
			}
			bridge_net_cycle(b, (uint64_t)t_m, capin, s->midi ? evl : NULL,
					 s->midi ? &evn : NULL, pbo, &out);
			for (unsigned i = 0; s->midi && i < out.midi_count[0]; i++) {
				s->midi_back++;
				if (out.midi[0][i].time >= s->pm) {
					s->midi_bad_offset++;
				}
			}
			sent += s->pm;
			for (unsigned f = 0; f < s->pm && rec_n < total; f++) {
				rec[rec_n++] = pbuf[f];
			}
			km++;
			jm = urand() * s->net_jitter_us;
			late = 0;
			if (s->late_hz > 0 && urand() < s->late_hz * tm * 1e-6) {
				late = s->late_us;
				s->disturbances++;
			}
			if (urand() < s->master_stall_hz * tm * 1e-6) {
				m_shift += urand() * s->stall_max_us;
				s->disturbances++;
			}
			if (t_m_raw >= net_hold && urand() < s->net_hold_hz * tm * 1e-6) {
				net_hold = t_m_raw + urand() * s->hold_max_us;
				s->disturbances++;
			}
		} else {
			float *capo[1] = {cap};
			const float *pbi[1] = {loop};

			mc.n = 0;
			bridge_local_cycle(b, (uint64_t)t_s, (unsigned)cb, s->ps, capo, pbi,
					   s->midi ? echo_list : NULL, s->midi ? &echo_count : NULL,
					   on_midi, &mc);
			echo_count = mc.n;
			for (unsigned i = 0; i < mc.n; i++) {
				memcpy(echo_data[i], mc.data[i], mc.ev[i].size);
				echo_ev[i] = mc.ev[i];
				echo_ev[i].data = echo_data[i];
			}
			/* the JACK loop: this cycle's capture is next cycle's playback */
			memcpy(loop, cap, sizeof(float) * s->ps);
			ks++;
			js = urand() * s->loc_jitter_us;
			cb_late = 0;
			if (s->cb_late_hz > 0 && urand() < s->cb_late_hz * ts * 1e-6) {
				cb_late = s->cb_late_us;
				s->disturbances++;
			}
			if (urand() < s->loc_stall_hz * ts * 1e-6) {
				s_shift += urand() * s->stall_max_us;
				s->disturbances++;
			}

			{
				struct bridge_stats st;

				bridge_stats(b, &st);
				if (t_s > 4e6 && (double)st.ring_b > s->max_ring_b) {
					s->max_ring_b = (double)st.ring_b;
				}
				if (getenv("NJ_TRACE") && ks % 100 == 0) {
					fprintf(stderr, "t %.2f state %d ratio %.7f fillA %.1f/%.1f fillB %.1f ur %llu/%llu\n",
						t_s / 1e6, st.state, st.ratio, st.fill_a, st.target_a, st.fill_b,
						(unsigned long long)st.underruns_a, (unsigned long long)st.underruns_b);
				}
				if (st.lock_us && !was_locked) {
					was_locked = true;
					ur_at_lock = st.underruns_a + st.underruns_b + st.overruns_a +
						     st.overruns_b + st.slips;
				}
			}
		}
	}
	bridge_stats(b, &s->st);
	s->midi_ok = mc.got;
	s->midi_bad = mc.bad;
	s->underruns_after_lock = was_locked ? s->st.underruns_a + s->st.underruns_b +
						       s->st.overruns_a + s->st.overruns_b +
						       s->st.slips - ur_at_lock
					     : UINT64_MAX;

	/* SNR: fit the sine over 0.1 s windows in the last third */
	s->snr_db = 0;
	s->snr_min_db = 999;
	if (!s->noise) {
		size_t w = RATE / 10, start = rec_n * 2 / 3;
		double sig = 0, err = 0;
		unsigned good = 0, windows = 0;

		for (size_t at = rec_n / 2; at + w <= rec_n; at += w) {
			double sc = 0, cc = 0, ss = 0, sx = 0, cx = 0, a, bb, det;
			double wsig = 0, werr = 0;

			for (size_t i = 0; i < w; i++) {
				double ph = 2 * M_PI * s->sine_hz * (double)(at + i) / RATE;
				double sv = sin(ph), cv = cos(ph);

				ss += sv * sv;
				cc += cv * cv;
				sc += sv * cv;
				sx += sv * rec[at + i];
				cx += cv * rec[at + i];
			}
			det = ss * cc - sc * sc;
			a = (sx * cc - cx * sc) / det;
			bb = (cx * ss - sx * sc) / det;
			for (size_t i = 0; i < w; i++) {
				double ph = 2 * M_PI * s->sine_hz * (double)(at + i) / RATE;
				double fit = a * sin(ph) + bb * cos(ph), e = rec[at + i] - fit;

				wsig += fit * fit;
				werr += e * e;
			}
			windows++;
			/* clean: the sine is there (not silence) and nothing else */
			good += wsig > 0.1 * (double)w && (werr == 0 || 10 * log10(wsig / werr) >= 60);
			if (at >= start) {
				sig += wsig;
				err += werr;
				if (werr > 0 && 10 * log10(wsig / werr) < s->snr_min_db) {
					s->snr_min_db = 10 * log10(wsig / werr);
				}
			}
		}
		s->snr_db = err > 0 ? 10 * log10(sig / err) : 999;
		s->good_windows = windows ? (double)good / windows : 0;
	}
	if (getenv("NJ_DUMP") && s->ppm == 300) {
		FILE *f = fopen(getenv("NJ_DUMP"), "wb");

		fwrite(rec, sizeof(float), rec_n, f);
		fclose(f);
	}
	/* bit-exact delay: the master's noise comes back unchanged */
	s->delay = -1;
	if (s->noise) {
		size_t probe = rec_n / 2;

		for (long d = 0; d < 16 * (long)(s->pm + s->ps) && s->delay < 0; d++) {
			bool ok = true;

			for (size_t i = 0; i < 64 && ok; i++) {
				ok = rec[probe + i] == master_signal(s, probe + i - (size_t)d);
			}
			if (ok) {
				s->delay = d;
			}
		}
		/* the periods of the second half bit-exact at the delay most
		 * of them have (each checked at the delays seen so far) */
		{
			long seen[8];
			unsigned hits[8] = {0}, nseen = 0, total_p = 0, best = 0;

			for (size_t at = rec_n / 2; at + s->ps <= rec_n - 4096; at += s->ps) {
				bool found = false;

				total_p++;
				for (unsigned k = 0; k < nseen && !found; k++) {
					bool ok = true;

					for (size_t i = 0; i < s->ps && ok; i++) {
						ok = rec[at + i] == master_signal(s, at + i - (size_t)seen[k]);
					}
					if (ok) {
						hits[k]++;
						found = true;
					}
				}
				for (long d = 0; !found && nseen < 8 && d < 16 * (long)(s->pm + s->ps); d++) {
					bool ok = true;

					for (size_t i = 0; i < s->ps && ok; i++) {
						ok = rec[at + i] == master_signal(s, at + i - (size_t)d);
					}
					if (ok) {
						seen[nseen] = d;
						hits[nseen++] = 1;
						found = true;
					}
				}
			}
			for (unsigned k = 0; k < nseen; k++) {
				best = hits[k] > best ? hits[k] : best;
			}
			s->exact_share = total_p ? (double)best / total_p : 0;
		}
		/* and it stays exact over the whole second half */
		for (size_t i = probe; s->delay >= 0 && i < rec_n - 4096; i++) {
			if (rec[i] != master_signal(s, i - (size_t)s->delay)) {
				s->delay = -2;
			}
		}
	}
	fprintf(stderr,
		"bridge %+.0f ppm pm %u ps %u local %u Hz %s: lock %.2f s, clock %+.2f ppm, ratio "
		"error rms %.3f ppm max %.3f ppm, fill A %.1f/%.1f B %.1f/%.1f, underruns %llu/%llu, "
		"overruns %llu/%llu, slips %llu, SNR %.1f dB, delay %ld, midi %u/%u back %u; "
		"%u disturbances, steps %llu/%llu, resyncs %llu, dropouts %llu, ring B max %.0f, good windows %.0f %%, "
		"exact periods %.1f %%\n",
		s->ppm, s->pm, s->ps, s->local_rate, bridge_quality_name(s->q),
		(double)s->st.lock_us / 1e6, s->st.clock_ppm, s->st.ratio_err_rms_ppm,
		s->st.ratio_err_max_ppm, s->st.fill_a, s->st.target_a, s->st.fill_b,
		s->st.target_b, (unsigned long long)s->st.underruns_a,
		(unsigned long long)s->st.underruns_b, (unsigned long long)s->st.overruns_a,
		(unsigned long long)s->st.overruns_b, (unsigned long long)s->st.slips, s->snr_db,
		s->delay, s->midi_ok, s->midi_sent, s->midi_back, s->disturbances,
		(unsigned long long)s->st.steps_master, (unsigned long long)s->st.steps_local,
		(unsigned long long)s->st.resyncs,
		(unsigned long long)s->st.dropouts, s->max_ring_b, 100 * s->good_windows,
		100 * s->exact_share);
	bridge_free(b);
	free(rec);
	free(mbuf);
	free(pbuf);
	free(cap);
	free(loop);
}

static void check_locked(const struct sim *s, double expect_ppm)
{
	ck_assert_msg(s->st.lock_us > 0, "never locked");
	ck_assert_msg(s->st.lock_us < 6000000, "locked only after %.2f s", s->st.lock_us / 1e6);
	ck_assert_msg(s->underruns_after_lock == 0, "%llu under/overruns after lock",
		      (unsigned long long)s->underruns_after_lock);
	ck_assert_msg(fabs(s->st.fill_a - s->st.target_a) < 5.0, "fill %.1f, target %.1f",
		      s->st.fill_a, s->st.target_a);
	ck_assert_msg(fabs(s->st.clock_ppm - expect_ppm) < 3.0, "clock measured %+.2f ppm, is %+.2f",
		      s->st.clock_ppm, expect_ppm);
	/* (the ratio's noise: 15 ppm rms still leaves an SNR above 110 dB) */
	ck_assert_msg(s->st.ratio_err_rms_ppm < 15.0, "ratio error %.2f ppm rms",
		      s->st.ratio_err_rms_ppm);
}

START_TEST(drift_plus_300)
{
	struct sim s = {.ppm = 300, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_MEDIUM,
			.seconds = 20, .net_jitter_us = 300, .loc_jitter_us = 100, .seed = 1,
			.sine_hz = 997};

	run(&s);
	check_locked(&s, 300);
	ck_assert_msg(s.snr_db >= 90, "SNR %.1f dB", s.snr_db);
}
END_TEST

START_TEST(drift_minus_300)
{
	struct sim s = {.ppm = -300, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_MEDIUM,
			.seconds = 20, .net_jitter_us = 300, .loc_jitter_us = 100, .seed = 2,
			.sine_hz = 997};

	run(&s);
	check_locked(&s, -300);
	ck_assert_msg(s.snr_db >= 90, "SNR %.1f dB", s.snr_db);
}
END_TEST

START_TEST(periods_differ)
{
	/* master 128, local 1024, and the other way round */
	struct sim s = {.ppm = 120, .pm = 128, .ps = 1024, .local_rate = RATE, .q = BRIDGE_MEDIUM,
			.seconds = 20, .net_jitter_us = 200, .loc_jitter_us = 100, .seed = 3,
			.sine_hz = 440};

	run(&s);
	check_locked(&s, 120);
	ck_assert_msg(s.snr_db >= 90, "SNR %.1f dB", s.snr_db);
	s = (struct sim){.ppm = -80, .pm = 1024, .ps = 64, .local_rate = RATE, .q = BRIDGE_MEDIUM,
			 .seconds = 20, .net_jitter_us = 300, .loc_jitter_us = 50, .seed = 4,
			 .sine_hz = 440};
	run(&s);
	check_locked(&s, -80);
	ck_assert_msg(s.snr_db >= 90, "SNR %.1f dB", s.snr_db);
}
END_TEST

START_TEST(rates_differ)
{
	/* a 44.1 kHz slave on a 48 kHz master */
	struct sim s = {.ppm = 50, .pm = 256, .ps = 256, .local_rate = 44100, .q = BRIDGE_MEDIUM,
			.seconds = 20, .net_jitter_us = 200, .loc_jitter_us = 100, .seed = 5,
			.sine_hz = 1000};

	run(&s);
	check_locked(&s, 50);
	ck_assert_msg(s.snr_db >= 90, "SNR %.1f dB", s.snr_db);
}
END_TEST

START_TEST(none_bit_exact)
{
	struct sim s = {.ppm = 0, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_NONE,
			.seconds = 10, .net_jitter_us = 300, .loc_jitter_us = 100, .seed = 6,
			.noise = true, .midi = true};

	run(&s);
	ck_assert_msg(s.delay >= 0, "round trip not bit-exact (%ld)", s.delay);
	ck_assert_uint_eq(s.st.slips, 0);
	ck_assert_uint_eq(s.st.underruns_a, 0);
	/* MIDI went through both ways, with offsets inside the period */
	ck_assert_uint_gt(s.midi_ok, s.midi_sent * 8 / 10);
	ck_assert_uint_gt(s.midi_back, s.midi_ok * 8 / 10);
	ck_assert_uint_eq(s.midi_bad, 0);
	ck_assert_uint_eq(s.midi_bad_offset, 0);
	/* the added latency stays within two periods plus the margin each way */
	ck_assert_msg(s.delay <= 2 * (2 * 256 + 48) + 256, "round trip %ld frames", s.delay);
}
END_TEST

START_TEST(none_slips_on_drift)
{
	struct sim s = {.ppm = 500, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_NONE,
			.seconds = 10, .net_jitter_us = 100, .loc_jitter_us = 50, .seed = 7,
			.noise = true};

	run(&s);
	/* 500 ppm over ~9 s is ~216 frames: about that many one-frame slips,
	 * and never an under- or overrun */
	ck_assert_uint_ge(s.st.slips, 150);
	ck_assert_uint_le(s.st.slips, 300);
	ck_assert_uint_eq(s.st.underruns_a + s.st.underruns_b, 0);
}
END_TEST

/* Two servers on one clock (what --resampler none is for) on a machine that
 * stalls: each stall moves a clock's estimate (a step), the rings stay
 * where they were. The stalls may cost the periods they hit and a re-prime
 * now and then, but never a slip (there is no drift to slip for): slips
 * drop a frame on one ring and add one on the other, so the round trip keeps
 * its delay while every period that slipped is wrong. */
START_TEST(none_stalling_machine)
{
	struct sim s = {.ppm = 0, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_NONE,
			.seconds = 30, .net_jitter_us = 400, .loc_jitter_us = 150, .seed = 30,
			.noise = true, .master_stall_hz = 0.3, .net_hold_hz = 1,
			.loc_stall_hz = 0.3, .stall_max_us = 15000, .hold_max_us = 15000,
			.margin_max_us = (uint64_t)(_i & 1) * 20000};

	s.seed = 30 + (unsigned)_i;
	if (getenv("NJ_SEED") != NULL) {
		s.seed = (unsigned)strtoul(getenv("NJ_SEED"), NULL, 10);
	}
	run(&s);
	ck_assert_uint_gt(s.disturbances, 15);
	ck_assert_msg(s.st.state == BRIDGE_RUNNING, "not running at the end");
	ck_assert_msg(s.st.slips == 0, "%llu slips without any drift",
		      (unsigned long long)s.st.slips);
	ck_assert_msg(s.st.lock_us > 0, "never locked (margin %.0f us)", s.st.margin_us);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* What those stalls cost, over 24 machines: the share of exact periods in the
 * second half of each run. One machine says little (a re-prime that lands in
 * the measured half costs a third of it; of 100 seeds, 49 had fewer than 90 %
 * exact, median 93 %, mean 83 %): here the median is 95 % and the mean 86 %
 * with the margin free to grow, 76 % with it fixed at 1 ms (this test fails). */
START_TEST(none_stalling_share)
{
	double share[24], sum = 0;
	unsigned n = sizeof(share) / sizeof(share[0]);

	for (unsigned i = 0; i < n; i++) {
		struct sim s = {.ppm = 0, .pm = 256, .ps = 256, .local_rate = RATE,
				.q = BRIDGE_NONE, .seconds = 30, .net_jitter_us = 400,
				.loc_jitter_us = 150, .seed = 100 + i, .noise = true,
				.master_stall_hz = 0.3, .net_hold_hz = 1, .loc_stall_hz = 0.3,
				.stall_max_us = 15000, .hold_max_us = 15000,
				.margin_max_us = getenv("NJ_FIXED") ? 0 : 20000};

		run(&s);
		share[i] = s.exact_share;
		sum += s.exact_share;
	}
	qsort(share, n, sizeof(share[0]), cmp_double);
	printf("none, stalling: exact periods median %.1f %%, mean %.1f %%, worst %.1f %%\n",
	       100 * (share[n / 2 - 1] + share[n / 2]) / 2, 100 * sum / n, 100 * share[0]);
	ck_assert_msg(share[n / 2 - 1] + share[n / 2] >= 2 * 0.9, "median %.1f %% of periods exact",
		      50 * (share[n / 2 - 1] + share[n / 2]));
	ck_assert_msg(sum / n >= 0.75, "mean %.1f %% of periods exact", 100 * sum / n);
}
END_TEST

/* A noisy machine (what CI runs on): the master's server stalls and moves its
 * clock on, our network thread is held off for up to 20 ms, the local server
 * stalls too. Each costs a glitch; none may leave the bridge off its target
 * or fill ring B without bound, and between them the audio must be clean. */
START_TEST(hostile_machine)
{
	struct sim s = {.ppm = 150, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_MEDIUM,
			.seconds = 30, .net_jitter_us = 400, .loc_jitter_us = 150, .seed = 8,
			.sine_hz = 997, .master_stall_hz = 0.5, .net_hold_hz = 2,
			.loc_stall_hz = 0.3, .stall_max_us = 20000, .hold_max_us = 20000,
			.margin_max_us = (uint64_t)(_i & 1) * 20000};
	/* seeds that failed the clock check before the fit took its slope
	 * between steps and the step threshold followed the jitter */
	static const unsigned seeds[] = {8, 5, 7, 13, 20, 28};

	/* _i: the margin fixed (even), then free to grow as the daemon's is
	 * (odd), on each seed; NJ_SEED=N replays another machine */
	s.seed = seeds[_i / 2];
	if (getenv("NJ_SEED") != NULL) {
		s.seed = (unsigned)strtoul(getenv("NJ_SEED"), NULL, 10);
	}
	run(&s);
	ck_assert_uint_gt(s.disturbances, 40);
	ck_assert_msg(s.st.state == BRIDGE_RUNNING, "not running at the end");
	/* within the window where it trims instead of priming afresh: a
	 * period, and a grown margin's worth more */
	ck_assert_msg(fabs(s.st.fill_a - s.st.target_a) < s.pm + s.st.margin_us * 1e-6 * RATE,
		      "fill %.1f, target %.1f", s.st.fill_a, s.st.target_a);
	ck_assert_msg(s.max_ring_b < s.st.target_b + 3 * (s.pm + s.ps) + s.st.margin_us * 1e-6 * RATE,
		      "ring B reached %.0f",
		      s.max_ring_b);
	ck_assert_msg(s.st.dropouts <= s.disturbances, "%llu dropouts",
		      (unsigned long long)s.st.dropouts);
	ck_assert_msg(s.good_windows >= 0.5, "only %.0f %% of windows clean",
		      100 * s.good_windows);
	/* the steps are taken out of the clock fits: the drift is still known */
	ck_assert_msg(fabs(s.st.clock_ppm - s.ppm) < 20, "clock measured %+.2f ppm, is %+.2f",
		      s.st.clock_ppm, s.ppm);
}
END_TEST

/* Master cycles now and then 3 ms late, three times the 1 ms margin. With the
 * margin fixed, those that come at an unlucky phase of the two clocks leave
 * the local side short; with the margin free to grow, the first one raises it
 * past 3 ms and the ones after are absorbed. */
START_TEST(adaptive_margin)
{
	struct sim s = {.ppm = 100, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_MEDIUM,
			.seconds = 30, .net_jitter_us = 200, .loc_jitter_us = 100, .seed = 21,
			.sine_hz = 997, .late_hz = 2, .late_us = 3000};
	uint64_t fixed_ur;

	run(&s);
	fixed_ur = s.st.underruns_a + s.st.underruns_b;
	ck_assert_uint_gt(s.disturbances, 30);
	ck_assert_msg(fixed_ur >= 5, "a fixed 1 ms margin absorbed 3 ms delays (%llu underruns)",
		      (unsigned long long)fixed_ur);
	ck_assert_uint_eq(s.st.margin_raises, 0);
	ck_assert_msg(s.st.late_master >= s.disturbances / 2, "%llu late of %u",
		      (unsigned long long)s.st.late_master, s.disturbances);

	s.margin_max_us = 20000;
	run(&s);
	ck_assert_uint_ge(s.st.margin_raises, 1);
	ck_assert_msg(s.st.margin_us > 3000 && s.st.margin_us < 6000, "margin %.0f us",
		      s.st.margin_us);
	ck_assert_msg(s.st.underruns_a + s.st.underruns_b <= 1,
		      "%llu underruns with the margin raised (fixed: %llu)",
		      (unsigned long long)(s.st.underruns_a + s.st.underruns_b),
		      (unsigned long long)fixed_ur);
	ck_assert_msg(s.good_windows >= 0.95, "only %.0f %% of windows clean",
		      100 * s.good_windows);
}
END_TEST

/* JACK sorts its graph afresh when a client is connected before ours (a
 * player, a DAW): from then on our callback runs that much later in every
 * cycle, while the cycles themselves keep their time. The bridge's clock is
 * the cycles' start, so nothing moves: no step, no trim, no window of the
 * sine worse than the rest (taken as the clock, a 350 us move was a step the
 * trim pulled back at up to 350 ppm: 71 dB through a JackTrip client). */
START_TEST(graph_resorted)
{
	struct sim s = {.ppm = 14, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_MEDIUM,
			.seconds = 20, .net_jitter_us = 300, .loc_jitter_us = 100, .seed = 40,
			.sine_hz = 997, .cb_us = 60, .cb_step_at_s = 15, .cb_step_us = 350};

	run(&s);
	check_locked(&s, 14);
	ck_assert_uint_eq(s.st.steps_local, 0);
	ck_assert_uint_eq(s.st.margin_raises, 0);
	ck_assert_msg(s.snr_min_db >= 90, "worst window %.1f dB (SNR %.1f dB)", s.snr_min_db,
		      s.snr_db);
}
END_TEST

/* A callback now and then 6 ms into its cycle, more than a period: what it
 * writes into ring B comes after the master's read. It counts as a late local
 * cycle, the margin grows past it at the first underrun, and the ones after
 * cost nothing. */
START_TEST(late_callback)
{
	struct sim s = {.ppm = 50, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_MEDIUM,
			.seconds = 30, .net_jitter_us = 200, .loc_jitter_us = 100, .seed = 41,
			.sine_hz = 997, .cb_us = 60, .cb_late_hz = 2, .cb_late_us = 6000,
			.margin_max_us = 20000};

	run(&s);
	ck_assert_uint_gt(s.disturbances, 30);
	ck_assert_uint_eq(s.st.steps_local, 0);
	ck_assert_uint_ge(s.st.late_local, 1);
	ck_assert_uint_eq(s.st.margin_raises, 1);
	ck_assert_msg(s.st.margin_us > 6000 && s.st.margin_us < 12000, "margin %.0f us",
		      s.st.margin_us);
	/* the first one misses one or two of the master's reads */
	ck_assert_msg(s.st.underruns_a + s.st.underruns_b <= 3, "%llu underruns",
		      (unsigned long long)(s.st.underruns_a + s.st.underruns_b));
	ck_assert_msg(s.good_windows >= 0.95, "only %.0f %% of windows clean",
		      100 * s.good_windows);
}
END_TEST

/* One stall of the local server (20 ms, its cycles run bunched after it):
 * the margin goes up at the underruns it causes and, a quiet window later,
 * back down to what the machine shows. (Raised for good, as it was, 20 ms of
 * margin cost some 40 ms of round trip for the rest of the stream.) */
START_TEST(one_stall)
{
	struct sim s = {.ppm = 50, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_MEDIUM,
			.seconds = 75, .net_jitter_us = 200, .loc_jitter_us = 100, .seed = 42,
			.sine_hz = 997, .cb_us = 60, .margin_max_us = 20000, .stall_at_s = 10,
			.stall_us = 20000};

	run(&s);
	ck_assert_uint_ge(s.st.margin_raises, 1);
	ck_assert_uint_eq(s.st.margin_lowers, 1);
	ck_assert_msg(s.st.margin_us <= 1500, "margin %.0f us at the end", s.st.margin_us);
	ck_assert_msg(s.good_windows >= 0.95, "only %.0f %% of windows clean",
		      100 * s.good_windows);
}
END_TEST

/* A machine that stalls every 45 s: the margin comes down after the first
 * quiet window (30 s) and goes up again at the next stall, but the lowering
 * doubled the window, so it settles on a margin that covers the stalls
 * instead of going up and down all along. */
START_TEST(stalls_settle)
{
	struct sim s = {.ppm = 50, .pm = 256, .ps = 256, .local_rate = RATE, .q = BRIDGE_MEDIUM,
			.seconds = 300, .net_jitter_us = 200, .loc_jitter_us = 100, .seed = 43,
			.sine_hz = 997, .cb_us = 60, .margin_max_us = 20000, .stall_at_s = 10,
			.stall_us = 8000, .stall_every_s = 45};

	run(&s);
	ck_assert_uint_ge(s.st.margin_raises, 2);
	ck_assert_uint_ge(s.st.margin_lowers, 1);
	ck_assert_msg(s.st.margin_raises <= 3 && s.st.margin_lowers <= 2,
		      "%llu raises, %llu lowerings", (unsigned long long)s.st.margin_raises,
		      (unsigned long long)s.st.margin_lowers);
	ck_assert_msg(s.st.margin_us > 2000, "margin %.0f us at the end", s.st.margin_us);
	ck_assert_msg(s.good_windows >= 0.95, "only %.0f %% of windows clean",
		      100 * s.good_windows);
}
END_TEST

START_TEST(bad_config)
{
	struct bridge *b;
	struct bridge_config cfg = {.capture_ch = 1, .playback_ch = 1, .master_period = 256,
				    .master_rate = 48000, .local_period = 256, .local_rate = 44100,
				    .quality = BRIDGE_NONE};

	ck_assert_int_eq(bridge_new(&cfg, &b), -EINVAL); /* NONE needs equal rates */
	cfg.quality = BRIDGE_MEDIUM;
	cfg.master_period = 0;
	ck_assert_int_eq(bridge_new(&cfg, &b), -EINVAL);
}
END_TEST

static Suite *bridge_suite(void)
{
	Suite *s = suite_create("bridge");
	TCase *tc = tcase_create("clocks");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, drift_plus_300);
	tcase_add_test(tc, drift_minus_300);
	tcase_add_test(tc, periods_differ);
	tcase_add_test(tc, rates_differ);
	tcase_add_test(tc, none_bit_exact);
	tcase_add_test(tc, none_slips_on_drift);
	tcase_add_loop_test(tc, none_stalling_machine, 0, 6);
	tcase_add_test(tc, none_stalling_share);
	tcase_add_loop_test(tc, hostile_machine, 0, 12);
	tcase_add_test(tc, adaptive_margin);
	tcase_add_test(tc, graph_resorted);
	tcase_add_test(tc, late_callback);
	tcase_add_test(tc, one_stall);
	tcase_add_test(tc, stalls_settle);
	tcase_add_test(tc, bad_config);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(bridge_suite)
