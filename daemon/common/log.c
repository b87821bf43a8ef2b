/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c - stderr logging with journald priority prefixes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
