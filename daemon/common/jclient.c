/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jclient.c - a JACK client opened, set up and closed off the loop (jclient.h).
 *
 * jack_client_open() can wait for seconds on a server that is starting or
 * stopping (jackopen.h); so can jack_activate(), jack_port_register() and
 * jack_client_close(), each a round trip to the server. None of them runs on
 * the loop here. The object lives until nothing of it is in flight.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "jackopen.h"
#include "jclient.h"
#include "log.h"

enum { NOTE_SHUTDOWN = 1, NOTE_FORMAT = 2, NOTE_CLOSED = 3 };

struct nj_jclient {
	sd_event *event;
	const struct nj_jclient_ops *ops;
	void *ud;
	struct nj_jack_opener *opener;
	jack_client_t *client;
	int pipe[2];             /* JACK's threads and the closer -> the loop */
	sd_event_source *io;
	bool closing;            /* a closer thread runs */
	bool releasing;          /* free once nothing is in flight */
	_Atomic uint64_t xruns;
	/* nj_jclient_keep() */
	bool keep, waiting;
	char name[128];
	sd_event_source *retry;
};

#define RETRY_US 1000000

static void retry_later(struct nj_jclient *j)
{
	sd_event_source_set_time_relative(j->retry, RETRY_US);
	sd_event_source_set_enabled(j->retry, SD_EVENT_ONESHOT);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *ud)
{
	struct nj_jclient *j = ud;
	int r = nj_jclient_open(j, j->name);

	if (r < 0 && r != -EBUSY) {
		log_err("cannot start connecting to JACK: %s; retrying", strerror(-r));
		retry_later(j);
	}
	return 0;
}

static void jack_quiet(const char *msg)
{
	log_debug("jack: %s", msg);
}

static void note(struct nj_jclient *j, uint8_t code)
{
	/* JACK's threads: a non-blocking write only */
	ssize_t w = write(j->pipe[1], &code, 1);

	(void)w;
}

static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
	note(arg, NOTE_SHUTDOWN);
}

/* The same for a libjack that calls only jack_on_shutdown()'s callback:
 * PipeWire's (0.3.65) never calls jack_on_info_shutdown()'s, so a master
 * under pw-jack never saw its server go. jack2 calls only the info one when
 * both are set (jack.h), so a shutdown is noted once either way. */
static void on_shutdown_plain(void *arg)
{
	note(arg, NOTE_SHUTDOWN);
}

static int on_bufsize(jack_nframes_t n, void *arg)
{
	note(arg, NOTE_FORMAT);
	return 0;
}

static int on_srate(jack_nframes_t n, void *arg)
{
	note(arg, NOTE_FORMAT);
	return 0;
}

static int on_xrun(void *arg)
{
	struct nj_jclient *j = arg;

	atomic_fetch_add_explicit(&j->xruns, 1, memory_order_relaxed);
	return 0;
}

/* On the open thread: our notifications first, then the owner's setup. */
static int setup(void *ud, jack_client_t *c)
{
	struct nj_jclient *j = ud;

	jack_on_info_shutdown(c, on_shutdown, j);
	jack_on_shutdown(c, on_shutdown_plain, j);
	jack_set_buffer_size_callback(c, on_bufsize, j);
	jack_set_sample_rate_callback(c, on_srate, j);
	jack_set_xrun_callback(c, on_xrun, j);
	return j->ops->setup != NULL ? j->ops->setup(j->ud, c) : 0;
}

static void finish(struct nj_jclient *j)
{
	if (!j->releasing || j->closing || nj_jack_opener_busy(j->opener)) {
		return;
	}
	if (j->ops->released != NULL) {
		j->ops->released(j->ud);
	}
	nj_jclient_free_now(j);
}

struct closer {
	struct nj_jclient *j;
	jack_client_t *c;
};

static void *close_thread(void *arg)
{
	struct closer *k = arg;

	jack_client_close(k->c);
	note(k->j, NOTE_CLOSED);
	free(k);
	return NULL;
}

static void close_async(struct nj_jclient *j)
{
	struct closer *k;
	pthread_attr_t a;
	pthread_t t;

	if (j->client == NULL) {
		return;
	}
	k = malloc(sizeof(*k));
	if (k != NULL) {
		k->j = j;
		k->c = j->client;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &a, close_thread, k) == 0) {
			j->closing = true;
			j->client = NULL;
			pthread_attr_destroy(&a);
			return;
		}
		pthread_attr_destroy(&a);
		free(k);
	}
	/* no thread: close here (it returns once the server answers) */
	jack_client_close(j->client);
	j->client = NULL;
}

static void opened(void *ud, jack_client_t *c, jack_status_t st)
{
	struct nj_jclient *j = ud;

	(void)st;
	j->client = c;
	if (j->releasing) {
		close_async(j);
		finish(j);
		return;
	}
	if (j->keep && c == NULL) {
		retry_later(j);
		if (j->waiting) {
			return; /* said once per spell */
		}
		log_notice("no JACK server running; waiting for one (never starting one)");
		j->waiting = true;
	} else if (c != NULL) {
		j->waiting = false;
	}
	j->ops->opened(j->ud, c);
}

static int on_note(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct nj_jclient *j = ud;
	uint8_t codes[64];
	ssize_t n = read(fd, codes, sizeof(codes));
	bool down = false, format = false, closed = false;

	for (ssize_t i = 0; i < n; i++) {
		down |= codes[i] == NOTE_SHUTDOWN;
		format |= codes[i] == NOTE_FORMAT;
		closed |= codes[i] == NOTE_CLOSED;
	}
	if (closed) {
		j->closing = false;
		finish(j);
		return 0; /* freed, or a new client may be opening */
	}
	if (j->releasing) {
		return 0;
	}
	if (down) {
		if (j->ops->shutdown != NULL) {
			j->ops->shutdown(j->ud);
		}
		if (j->keep && !j->releasing) {
			/* not at once: a server that is still shutting down may
			 * accept our connection and never answer it */
			close_async(j);
			retry_later(j);
		}
	} else if (format && !down && j->client != NULL && j->ops->format != NULL) {
		j->ops->format(j->ud);
	}
	return 0;
}

int nj_jclient_new(sd_event *e, const struct nj_jclient_ops *ops, void *ud,
		   struct nj_jclient **ret)
{
	struct nj_jclient *j = calloc(1, sizeof(*j));
	int r;

	if (j == NULL) {
		return -ENOMEM;
	}
	j->event = sd_event_ref(e);
	j->ops = ops;
	j->ud = ud;
	j->pipe[0] = j->pipe[1] = -1;
	if (pipe2(j->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		r = -errno;
		nj_jclient_free_now(j);
		return r;
	}
	jack_set_error_function(jack_quiet);
	jack_set_info_function(jack_quiet);
	r = nj_jack_opener_new(e, opened, j, &j->opener);
	if (r >= 0) {
		r = sd_event_add_io(e, &j->io, j->pipe[0], EPOLLIN, on_note, j);
	}
	if (r >= 0) {
		r = sd_event_add_time(e, &j->retry, CLOCK_MONOTONIC, 0, 100000, on_retry, j);
		if (r >= 0) {
			sd_event_source_set_enabled(j->retry, SD_EVENT_OFF);
		}
	}
	if (r < 0) {
		nj_jclient_free_now(j);
		return r;
	}
	nj_jack_opener_set_setup(j->opener, setup, j);
	*ret = j;
	return 0;
}

int nj_jclient_keep(struct nj_jclient *j, const char *name)
{
	j->keep = true;
	snprintf(j->name, sizeof(j->name), "%s", name);
	sd_event_source_set_time_relative(j->retry, 0);
	sd_event_source_set_enabled(j->retry, SD_EVENT_ONESHOT);
	return 0;
}

int nj_jclient_open(struct nj_jclient *j, const char *name)
{
	if (j->client != NULL || j->releasing) {
		return -EBUSY;
	}
	return nj_jack_opener_start(j->opener, name);
}

jack_client_t *nj_jclient_get(const struct nj_jclient *j)
{
	return j != NULL ? j->client : NULL;
}

uint64_t nj_jclient_xruns(const struct nj_jclient *j)
{
	return atomic_load_explicit(&((struct nj_jclient *)j)->xruns, memory_order_relaxed);
}

bool nj_jclient_stuck(const struct nj_jclient *j, const char *prog)
{
	return nj_jack_opener_stuck(j->opener, prog);
}

void nj_jclient_close(struct nj_jclient *j)
{
	close_async(j);
}

void nj_jclient_release(struct nj_jclient *j)
{
	if (j == NULL) {
		return;
	}
	j->releasing = true;
	close_async(j);
	finish(j);
}

/* At exit: how long an open or a close in flight is waited for (see
 * nj_jack_opener_settle: ending inside libjack can hang every JACK client). */
#define SETTLE_US 2000000

/* Once the daemon is ending, every wait below shares one budget: a server
 * that answers nobody (stopped, or blocked itself) costs SETTLE_US in all,
 * not SETTLE_US per client. 0: not ending. */
static uint64_t exit_until_us;
/* A client was left to the process's exit (nj_jclient_left_running). */
static bool left_running;

void nj_jclient_exiting(void)
{
	if (exit_until_us == 0) {
		exit_until_us = nj_mono_us() + SETTLE_US;
	}
}

bool nj_jclient_left_running(void)
{
	return left_running;
}

static uint64_t settle_until(void)
{
	uint64_t until = nj_mono_us() + SETTLE_US;

	return exit_until_us != 0 && exit_until_us < until ? exit_until_us : until;
}

/* Waits for the closer thread's note, until settle_until(); false if it is late. */
static bool settle_close(struct nj_jclient *j)
{
	uint64_t until = settle_until();

	while (j->closing) {
		struct pollfd p = {.fd = j->pipe[0], .events = POLLIN};
		uint64_t now = nj_mono_us();
		uint8_t codes[64];
		ssize_t n;

		if (now >= until || poll(&p, 1, (int)((until - now + 999) / 1000)) <= 0) {
			return false;
		}
		n = read(j->pipe[0], codes, sizeof(codes));
		for (ssize_t i = 0; i < n; i++) {
			if (codes[i] == NOTE_CLOSED) {
				j->closing = false;
			}
		}
	}
	return true;
}

bool nj_jclient_free_now(struct nj_jclient *j)
{
	bool in_flight;

	if (j == NULL) {
		return true;
	}
	/* Closed off the loop too: jack_client_close() waits for the server's
	 * answer, forever when the server is stopped or itself blocked. */
	close_async(j);
	/* An open or a close in flight still uses @j (the setup hook, JACK's
	 * callbacks, the pipe): it is given until settle_until(), then left to
	 * the exit. */
	in_flight = !settle_close(j);
	if (!in_flight && j->opener != NULL) {
		uint64_t now = nj_mono_us(), until = settle_until();

		in_flight = !nj_jack_opener_settle(j->opener, until > now ? until - now : 0);
	}
	if (in_flight) {
		log_warn("the JACK server did not answer a client's %s in time; "
			    "the client is left to the exit", j->closing ? "close" : "open");
		left_running = true;
		return false;
	}
	nj_jack_opener_free(j->opener);
	sd_event_source_disable_unref(j->io);
	sd_event_source_disable_unref(j->retry);
	for (int i = 0; i < 2; i++) {
		if (j->pipe[i] >= 0) {
			close(j->pipe[i]);
		}
	}
	sd_event_unref(j->event);
	free(j);
	return true;
}
