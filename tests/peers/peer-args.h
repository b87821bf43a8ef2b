/* SPDX-License-Identifier: GPL-2.0-or-later */
/* peer-args.h - option parsing shared by the test peers. */
#ifndef NJ_PEER_ARGS_H
#define NJ_PEER_ARGS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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

#endif
