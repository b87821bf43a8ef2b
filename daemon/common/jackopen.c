/* SPDX-License-Identifier: GPL-2.0-or-later */
/* jackopen.c - jack_client_open() on a thread, the result on the loop. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "jackopen.h"
#include "log.h"

/* Shared by the loop and one attempt's thread; the last one out frees it. */
struct attempt {
	pthread_mutex_t lock;
	int refs;
	int efd;               /* signalled when done; owned by the opener */
	bool abandoned;        /* the opener is gone: close what we get */
	bool done;
	jack_client_t *client;
	jack_status_t status;
	char name[128];
	nj_jack_setup_fn setup;
	void *setup_ud;
};

struct nj_jack_opener {
	sd_event_source *io;
	int efd;
	nj_jack_opened_fn cb;
	void *userdata;
	struct attempt *cur;
	uint64_t started_us;
	nj_jack_setup_fn setup;
	void *setup_ud;
};

static void attempt_unref(struct attempt *a)
{
	int left;

	pthread_mutex_lock(&a->lock);
	left = --a->refs;
	pthread_mutex_unlock(&a->lock);
	if (left == 0) {
		pthread_mutex_destroy(&a->lock);
		free(a);
	}
}

static void *attempt_run(void *arg)
{
	struct attempt *a = arg;
	jack_status_t st = 0;
	jack_client_t *c = jack_client_open(a->name, JackNoStartServer, &st);
	bool abandoned;

	if (c != NULL && a->setup != NULL && a->setup(a->setup_ud, c) < 0) {
		jack_client_close(c);
		c = NULL;
		st |= JackFailure;
	}

	pthread_mutex_lock(&a->lock);
	a->client = c;
	a->status = st;
	a->done = true;
	abandoned = a->abandoned;
	if (!abandoned) {
		uint64_t one = 1;
		ssize_t w = write(a->efd, &one, sizeof(one));

		(void)w;
	}
	pthread_mutex_unlock(&a->lock);
	if (abandoned && c != NULL) {
		jack_client_close(c);
	}
	attempt_unref(a);
	return NULL;
}

/* Takes the running attempt's result if it has returned: true then, and the
 * opener is free again. */
static bool collect(struct nj_jack_opener *o, jack_client_t **c, jack_status_t *st)
{
	struct attempt *a = o->cur;

	if (a == NULL) {
		return false;
	}
	pthread_mutex_lock(&a->lock);
	if (!a->done) {
		pthread_mutex_unlock(&a->lock);
		return false;
	}
	*c = a->client;
	*st = a->status;
	pthread_mutex_unlock(&a->lock);
	o->cur = NULL;
	attempt_unref(a);
	return true;
}

static int on_done(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct nj_jack_opener *o = ud;
	uint64_t n;
	jack_client_t *c;
	jack_status_t st;

	if (read(fd, &n, sizeof(n)) >= 0 && collect(o, &c, &st)) {
		o->cb(o->userdata, c, st);
	}
	return 0;
}

int nj_jack_opener_new(sd_event *e, nj_jack_opened_fn cb, void *userdata,
		       struct nj_jack_opener **ret)
{
	struct nj_jack_opener *o = calloc(1, sizeof(*o));
	int r;

	if (o == NULL) {
		return -ENOMEM;
	}
	o->cb = cb;
	o->userdata = userdata;
	o->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (o->efd < 0) {
		r = -errno;
		free(o);
		return r;
	}
	r = sd_event_add_io(e, &o->io, o->efd, EPOLLIN, on_done, o);
	if (r < 0) {
		close(o->efd);
		free(o);
		return r;
	}
	*ret = o;
	return 0;
}

void nj_jack_opener_set_setup(struct nj_jack_opener *o, nj_jack_setup_fn fn, void *userdata)
{
	o->setup = fn;
	o->setup_ud = userdata;
}

bool nj_jack_opener_busy(const struct nj_jack_opener *o)
{
	return o->cur != NULL;
}

uint64_t nj_jack_opener_waiting_us(const struct nj_jack_opener *o)
{
	return o != NULL && o->cur != NULL ? nj_mono_us() - o->started_us : 0;
}

bool nj_jack_opener_stuck(const struct nj_jack_opener *o, const char *prog)
{
	if (nj_jack_opener_waiting_us(o) <= NJ_JACK_STUCK_US) {
		return false;
	}
	log_err("connecting to JACK has not returned for %d s (libjack waits on a server that "
		"does not answer, or on a lock in /dev/shm/jack_db-%u that a JACK client killed "
		"while connecting left held: then every JACK client hangs, and only removing "
		"that directory helps); exiting so that the service manager starts %s afresh",
		NJ_JACK_STUCK_US / 1000000, (unsigned)getuid(), prog);
	return true;
}

int nj_jack_opener_start(struct nj_jack_opener *o, const char *client_name)
{
	struct attempt *a;
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (o->cur != NULL) {
		return -EBUSY;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return -ENOMEM;
	}
	pthread_mutex_init(&a->lock, NULL);
	a->refs = 2; /* the opener's and the thread's */
	a->efd = o->efd;
	snprintf(a->name, sizeof(a->name), "%s", client_name);
	a->setup = o->setup;
	a->setup_ud = o->setup_ud;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, attempt_run, a);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		pthread_mutex_destroy(&a->lock);
		free(a);
		return -r;
	}
	o->cur = a;
	o->started_us = nj_mono_us();
	return 0;
}

bool nj_jack_opener_settle(struct nj_jack_opener *o, uint64_t timeout_us)
{
	uint64_t until = nj_mono_us() + timeout_us;
	jack_client_t *c;
	jack_status_t st;

	while (o->cur != NULL) {
		struct pollfd p = {.fd = o->efd, .events = POLLIN};
		uint64_t now = nj_mono_us(), n;

		if (collect(o, &c, &st)) {
			if (c != NULL) {
				jack_client_close(c);
			}
			break;
		}
		/* the attempt's thread signals the eventfd when it returns */
		if (now >= until) {
			return false;
		}
		if (poll(&p, 1, (int)((until - now + 999) / 1000)) < 0 && errno != EINTR) {
			return false;
		}
		if (read(o->efd, &n, sizeof(n)) < 0) {
			/* nothing signalled yet: the timeout */
		}
	}
	return true;
}

void nj_jack_opener_free(struct nj_jack_opener *o)
{
	if (o == NULL) {
		return;
	}
	if (o->cur != NULL) {
		struct attempt *a = o->cur;
		jack_client_t *c = NULL;

		pthread_mutex_lock(&a->lock);
		if (a->done) {
			c = a->client; /* finished, not yet collected: ours to close */
		} else {
			a->abandoned = true;
		}
		pthread_mutex_unlock(&a->lock);
		if (c != NULL) {
			jack_client_close(c);
		}
		attempt_unref(a);
	}
	sd_event_source_disable_unref(o->io);
	/* a running attempt no longer writes to the eventfd (abandoned) */
	close(o->efd);
	free(o);
}
