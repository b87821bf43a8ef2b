/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon.h - the part of main() both daemons share: signals, the sd-event
 * loop with its watchdog, and the object that runs on it.
 */
#ifndef NJ_DAEMON_H
#define NJ_DAEMON_H

#include <systemd/sd-event.h>

struct nj_daemon {
	/* create the daemon's object on @e; 0 or a negative errno */
	int (*create)(sd_event *e, const void *cfg, void **ret);
	/* SIGTERM or SIGINT: end cleanly (ends with sd_event_exit) */
	void (*shutdown)(void *obj);
	void (*destroy)(void *obj);
};

/**
 * nj_daemon_run - block SIGTERM/SIGINT (they come through the loop), ignore
 * SIGPIPE, create the object, run the loop until it exits, destroy the
 * object. Returns the exit code; a failed start is logged.
 */
int nj_daemon_run(const struct nj_daemon *d, const void *cfg);

#endif
