// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stall-probe - how late this machine wakes a real-time thread, for the
 * integration scenarios: they run several JACK servers on one shared VM, and
 * a failed zero-glitch check means something only if the machine itself did
 * not stall. It runs SCHED_FIFO at PRIORITY (the servers' own), wakes every
 * millisecond on an absolute CLOCK_MONOTONIC deadline and counts wake-ups
 * later than THRESHOLD_US, writing "COUNT WORST_US" to FILE (replaced
 * atomically) every 100 ms, until SIGTERM.
 *
 * Usage: stall-probe FILE PRIORITY THRESHOLD_US
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static long long ns_of(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void write_file(const char *path, unsigned long long count, long long worst_us)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		return;
	}
	fprintf(f, "%llu %lld\n", count, worst_us);
	if (fclose(f) == 0) {
		rename(tmp, path);
	}
}

int main(int argc, char **argv)
{
	struct sched_param sp = {0};
	struct timespec next, now;
	unsigned long long count = 0, ticks = 0;
	long long worst = 0, thr;

	if (argc != 4) {
		fprintf(stderr, "usage: stall-probe FILE PRIORITY THRESHOLD_US\n");
		return 2;
	}
	sp.sched_priority = atoi(argv[2]);
	thr = atoll(argv[3]) * 1000;
	if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
		fprintf(stderr, "stall-probe: SCHED_FIFO %d: %s (measuring without it)\n",
			sp.sched_priority, strerror(errno));
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	write_file(argv[1], 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		long long late;

		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR && !stop) {
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		late = ns_of(&now) - ns_of(&next);
		if (late > thr) {
			count++;
			/* start again from now: one stall is one count */
			next = now;
		}
		if (late > worst) {
			worst = late;
		}
		if (++ticks % 100 == 0) {
			write_file(argv[1], count, worst / 1000);
		}
	}
	write_file(argv[1], count, worst / 1000);
	return 0;
}
