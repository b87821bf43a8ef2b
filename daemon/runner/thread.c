/* SPDX-License-Identifier: GPL-2.0-or-later */
/* thread.c - a runner's thread (thread.h). */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "thread.h"

int nj_thread_init(struct nj_thread *t)
{
	t->running = false;
	t->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return t->stop_fd < 0 ? -errno : 0;
}

int nj_thread_start(struct nj_thread *t, void *(*fn)(void *), void *arg)
{
	int e = pthread_create(&t->t, NULL, fn, arg);

	t->running = e == 0;
	return -e;
}

void nj_thread_stop(struct nj_thread *t)
{
	uint64_t one = 1;

	if (t->running && write(t->stop_fd, &one, sizeof(one)) == sizeof(one)) {
		pthread_join(t->t, NULL);
		t->running = false;
	}
}

void nj_thread_fini(struct nj_thread *t)
{
	nj_thread_stop(t);
	if (t->stop_fd >= 0) {
		close(t->stop_fd);
		t->stop_fd = -1;
	}
}
