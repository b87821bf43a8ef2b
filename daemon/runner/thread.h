/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * thread.h - a runner's thread: started once, asked to stop through an
 * eventfd the thread polls beside its socket, joined on stop.
 */
#ifndef NJ_RUNNER_THREAD_H
#define NJ_RUNNER_THREAD_H

#include <pthread.h>
#include <stdbool.h>

struct nj_thread {
	pthread_t t;
	int stop_fd; /* readable once the thread is to stop */
	bool running;
};

/** nj_thread_init - the stop eventfd (before start). 0 or a negative errno. */
int nj_thread_init(struct nj_thread *t);

/** nj_thread_start - run @fn(@arg). 0 or a negative errno. */
int nj_thread_start(struct nj_thread *t, void *(*fn)(void *), void *arg);

/** nj_thread_stop - ask the thread to stop and join it (no-op if not running). */
void nj_thread_stop(struct nj_thread *t);

/** nj_thread_fini - stop, close the eventfd. */
void nj_thread_fini(struct nj_thread *t);

#endif
