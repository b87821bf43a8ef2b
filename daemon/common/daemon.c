/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "jclient.h"
#include "log.h"

struct run {
	const struct nj_daemon *d;
	void *obj;
};

/* The service manager's watchdog, fed every quarter of its period (sd-event's
 * own feeds between a half and three quarters of it when the loop is idle). */
static int on_watchdog(sd_event_source *s, uint64_t usec, void *ud)
{
	uint64_t period = *(uint64_t *)ud;

	sd_notify(false, "WATCHDOG=1");
	sd_event_source_set_time(s, usec + period / 4);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
	struct run *run = ud;

	nj_jclient_exiting();
	run->d->shutdown(run->obj);
	return 0;
}

int nj_daemon_run(const struct nj_daemon *d, const void *cfg)
{
	struct run run = {.d = d};
	sd_event *e = NULL;
	uint64_t wd = 0;
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = sd_event_default(&e);
	if (r >= 0) {
		r = d->create(e, cfg, &run.obj);
	}
	if (r >= 0) {
		sd_event_add_signal(e, NULL, SIGTERM, on_signal, &run);
		sd_event_add_signal(e, NULL, SIGINT, on_signal, &run);
		if (sd_watchdog_enabled(false, &wd) > 0 && wd > 0) {
			sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, 0, wd / 20, on_watchdog,
						   &wd);
		}
		r = sd_event_loop(e);
	} else {
		log_err("cannot start: %s", strerror(-r));
		r = EXIT_FAILURE;
	}
	if (run.obj != NULL) {
		nj_jclient_exiting();
		d->destroy(run.obj);
	}
	if (nj_jclient_left_running()) {
		/* libjack's threads of a client the server never let go still
		 * run: no destructor, no free of what they use */
		log_info("stopped (a JACK client left to the exit)");
		_exit(r);
	}
	sd_event_unref(e);
	log_info("stopped");
	return r;
}
