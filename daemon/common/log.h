/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - daemon logging to stderr with sd-daemon priority prefixes ("<3>"),
 * so journald keeps the level. Never call from a real-time thread: the RT
 * paths count, and the main loop logs what they counted.
 */
#ifndef NJ_LOG_H
#define NJ_LOG_H

#include <stdbool.h>

/** nj_log_setup - program name for messages, and whether debug is shown. */
void nj_log_setup(const char *prog, bool debug);

/** nj_log - one line at @level (LOG_ERR .. LOG_DEBUG from <syslog.h>). */
void nj_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A rate limit for messages that a peer can trigger at will (announcements,
 * handshakes, refusals): at most NJ_RATELIMIT_BURST in NJ_RATELIMIT_WINDOW_S
 * seconds; when a window that dropped some ends, one line says how many.
 */
#define NJ_RATELIMIT_BURST    10
#define NJ_RATELIMIT_WINDOW_S 10

struct nj_ratelimit {
	const char *what;        /* "handshake messages", for the summary line */
	unsigned burst;          /* 0: NJ_RATELIMIT_BURST */
	unsigned long long window_us; /* 0: NJ_RATELIMIT_WINDOW_S */
	unsigned long long start_us;
	unsigned n;
	unsigned long suppressed;
};

/** nj_ratelimit_ok - true if a message of this kind may be logged now. */
bool nj_ratelimit_ok(struct nj_ratelimit *rl);

/** nj_ratelimit_flush - from a timer: the summary of a window that is over. */
void nj_ratelimit_flush(struct nj_ratelimit *rl);

#define log_err(...)    nj_log(3, __VA_ARGS__)
#define log_warn(...)   nj_log(4, __VA_ARGS__)
#define log_notice(...) nj_log(5, __VA_ARGS__)
#define log_info(...)   nj_log(6, __VA_ARGS__)
#define log_debug(...)  nj_log(7, __VA_ARGS__)

#endif
