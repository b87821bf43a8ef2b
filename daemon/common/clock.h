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

#endif
