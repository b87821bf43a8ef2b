/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netone-util.h - helpers for the netone tests: configs, datagrams, jack2's crash cases. */
#ifndef NJ_TEST_NETONE_UTIL_H
#define NJ_TEST_NETONE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <libnetproto/netone.h>

/* 48 kHz, MTU 1400, slots 8, 64 MIDI events, no redundancy, no session check. */
struct nj1_stream_config nj1_test_cfg(enum nj1_mode mode, unsigned period, unsigned audio,
				      unsigned midi);

/*
 * nj1_test_datagram - fragment @k of a well-formed period @framecnt of
 * @cfg (float/int: a ramp; MIDI: one note), the header carrying @cfg's
 * counts for both directions. Returns its length (0 if it does not fit).
 */
size_t nj1_test_datagram(const struct nj1_stream_config *cfg, uint32_t framecnt, unsigned k,
			 uint8_t *buf, size_t cap);

/* One of jack2's crash cases: run(arg) returns what our code returned. */
struct nj1_crash_case {
	const char *what;
	int (*run)(int arg);
	int arg;
	int expect;
};

extern const struct nj1_crash_case nj1_crash_cases[];
extern const unsigned nj1_crash_count;

#endif
