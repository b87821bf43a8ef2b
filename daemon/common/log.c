/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c - stderr logging with journald priority prefixes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *log_prog = "netjack";
static bool log_debug_on;

void nj_log_setup(const char *prog, bool debug)
{
	log_prog = prog;
	log_debug_on = debug;
}

void nj_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level >= 7 && !log_debug_on) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line so lines from several threads never interleave. */
	fprintf(stderr, "<%d>%s: %s\n", level, log_prog, line);
}

/* Ends the window if it is over (with its summary line); true if it ended. */
static bool ratelimit_roll(struct nj_ratelimit *rl)
{
	unsigned long long window = rl->window_us ? rl->window_us : NJ_RATELIMIT_WINDOW_S * 1000000ull;
	struct timespec ts;
	unsigned long long now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000;
	if (rl->start_us != 0 && now - rl->start_us < window) {
		return false;
	}
	if (rl->suppressed > 0) {
		nj_log(5, "%lu %s suppressed in %g s", rl->suppressed,
		       rl->what ? rl->what : "messages", (double)window / 1e6);
	}
	rl->start_us = now;
	rl->n = 0;
	rl->suppressed = 0;
	return true;
}

void nj_ratelimit_flush(struct nj_ratelimit *rl)
{
	if (rl->suppressed > 0) {
		ratelimit_roll(rl);
	}
}

bool nj_ratelimit_ok(struct nj_ratelimit *rl)
{
	ratelimit_roll(rl);
	if (rl->n < (rl->burst ? rl->burst : NJ_RATELIMIT_BURST)) {
		rl->n++;
		return true;
	}
	rl->suppressed++;
	return false;
}
