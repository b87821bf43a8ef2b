/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clock.h - the clocks the daemons read, in one place. */
#ifndef NJ_CLOCK_H
#define NJ_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in microseconds: sd-event's clock, the main loop's time. */
static inline uint64_t nj_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* CLOCK_REALTIME in nanoseconds: the clock of the kernel's arrival stamps. */
static inline uint64_t nj_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A datagram's arrival on CLOCK_MONOTONIC: the kernel's stamp @rx_ns moved by
 * @rt_off (monotonic less realtime, in us, read at @now), or @now without a
 * sane stamp (none, in the future, or over a second old). */
static inline uint64_t nj_arrival_us(uint64_t rx_ns, uint64_t now, int64_t rt_off)
{
	int64_t t;

	if (rx_ns == 0) {
		return now;
	}
	t = (int64_t)(rx_ns / 1000) + rt_off;
	return t > (int64_t)now || t < (int64_t)now - 1000000 ? now : (uint64_t)t;
}

/* CLOCK_MONOTONIC less CLOCK_REALTIME in microseconds at @now (monotonic). */
static inline int64_t nj_rt_offset_us(uint64_t now)
{
	return (int64_t)now - (int64_t)(nj_realtime_ns() / 1000);
}

#endif
