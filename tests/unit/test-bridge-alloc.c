/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-bridge-alloc.c - the clock bridge's per-cycle calls never allocate.
 * This program's own malloc family counts every call, zita-resampler's
 * included (its operator new calls malloc; the executable's definitions win
 * over libc's in every shared library). Both sides run for seconds of simulated time, with audio and
 * MIDI both ways, through priming, locking and a reset; once the bridge is
 * made, not one allocation may happen.
 */
#include <check.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../../daemon/bridge/bridge.h"
#include "check-main.h"

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t s);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static _Atomic int counting;
static _Atomic unsigned long calls;

void *malloc(size_t n)
{
	if (atomic_load(&counting)) {
		atomic_fetch_add(&calls, 1);
	}
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t s)
{
	if (atomic_load(&counting)) {
		atomic_fetch_add(&calls, 1);
	}
	return __libc_calloc(n, s);
}

void *realloc(void *p, size_t n)
{
	if (atomic_load(&counting)) {
		atomic_fetch_add(&calls, 1);
	}
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (atomic_load(&counting) && p != NULL) {
		atomic_fetch_add(&calls, 1);
	}
	__libc_free(p);
}

static void emit(void *ud, unsigned port, uint32_t time, const uint8_t *data, uint32_t size)
{
	(*(unsigned *)ud)++;
}

static void run(enum bridge_quality q)
{
	struct bridge_config c = {
		.capture_ch = 2, .playback_ch = 2, .midi_capture_ch = 1, .midi_playback_ch = 1,
		.master_period = 256, .master_rate = 48000, .local_period = 128,
		.local_rate = 48000, .quality = q, .margin_us = 1000, .margin_max_us = 20000,
		.midi_max_events = 64,
	};
	static float cap[2][256], pb[2][256], lcap[2][128], lpb[2][128];
	const float *capp[2] = {cap[0], cap[1]}, *lpbp[2] = {lpb[0], lpb[1]};
	float *pbp[2] = {pb[0], pb[1]}, *lcapp[2] = {lcap[0], lcap[1]};
	static const uint8_t note[3] = {0x90, 60, 100};
	struct nj_midi_event ev = {.time = 10, .size = 3, .data = note};
	const struct nj_midi_event *evp[1] = {&ev};
	uint32_t one[1] = {1};
	struct bridge_net_out out;
	struct bridge_stats st;
	struct bridge *b;
	uint64_t t_net = 1000000, t_loc = 1000000 + 777;
	unsigned emitted = 0;

	ck_assert_int_eq(bridge_new(&c, &b), 0);
	atomic_store(&calls, 0);
	atomic_store(&counting, 1);
	for (unsigned i = 0; i < 3000; i++) {
		/* master cycles every 5333 us, local ones every 2667 us */
		while (t_loc < t_net) {
			bridge_local_cycle(b, t_loc, 0, 128, lcapp, lpbp, evp, one, emit, &emitted);
			t_loc += 2667;
		}
		if (i == 1500) {
			bridge_net_reset(b);
		}
		bridge_net_cycle(b, t_net, capp, evp, one, pbp, &out);
		t_net += 5333;
	}
	atomic_store(&counting, 0);
	bridge_stats(b, &st);
	ck_assert_msg(atomic_load(&calls) == 0, "%s: %lu allocator calls in the cycle path",
		      bridge_quality_name(q), atomic_load(&calls));
	/* it did run: running (locked, where it converts), MIDI through */
	ck_assert_int_eq(st.state, BRIDGE_RUNNING);
	ck_assert(q == BRIDGE_NONE || st.lock_us != 0);
	ck_assert_uint_gt(emitted, 100);
	bridge_free(b);
}

START_TEST(cycles_never_allocate)
{
	run(BRIDGE_MEDIUM);
	run(BRIDGE_NONE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bridge-alloc");
	TCase *tc = tcase_create("alloc");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cycles_never_allocate);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(suite)
