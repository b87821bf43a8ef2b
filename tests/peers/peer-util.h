/* SPDX-License-Identifier: GPL-2.0-or-later */
/* peer-util.h - what the test peers share: option parsing, and (with
 * PEER_WITH_NETPROTO) the clock, params packets, and sending a packer's
 * datagrams with the header fields another implementation writes
 * differently. */
#ifndef NJ_PEER_UTIL_H
#define NJ_PEER_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The integer value of option @opt, in lo..hi, or exit 2 with a message naming it. */
static inline int peer_number(const char *prog, const char *opt, const char *v, int lo, int hi)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || end == v || x < lo || x > hi) {
		fprintf(stderr, "%s: %s: \"%s\" is not a number in %d..%d\n", prog, opt, v, lo, hi);
		exit(2);
	}
	return (int)x;
}

#ifdef PEER_WITH_NETPROTO
#include <time.h>

#include <libnetproto/cycle.h>
#include <libnetproto/udp.h>
#include <libnetproto/wire.h>

static inline uint64_t peer_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Send @p as a params packet on @fd (to @to, or connected when NULL). */
static inline int peer_send_params(int fd, const struct nj2_params *p, const struct nj_sockaddr *to)
{
	uint8_t buf[NJ2_PARAMS_SIZE];
	int r = nj2_params_encode(p, buf, sizeof(buf));

	return r < 0 ? r : nj_udp_send(fd, buf, sizeof(buf), to);
}

/* Send @n datagrams on connected @fd, each header with fFrames = @frames and,
 * when @cycle >= 0, that cycle number (PipeWire's driver always sends 0). */
static inline void peer_send_as(int fd, const struct nj_datagram *dg, unsigned n,
				int32_t frames, long cycle)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t buf[NJ_MTU_MAX];
		struct nj2_header h;

		if (dg[i].len > sizeof(buf) || nj2_header_decode(dg[i].data, dg[i].len, &h) < 0) {
			continue;
		}
		memcpy(buf, dg[i].data, dg[i].len);
		h.frames = frames;
		if (cycle >= 0) {
			h.cycle = (uint32_t)cycle;
		}
		nj2_header_encode(&h, buf, dg[i].len);
		nj_udp_send(fd, buf, dg[i].len, NULL);
	}
}
#endif

#endif
