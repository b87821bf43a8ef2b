/* SPDX-License-Identifier: GPL-2.0-or-later */
/* retire.c - deferred frees behind a real-time callback (retire.h). */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "retire.h"

#define POLL_US 1000

struct pending {
	struct pending *next;
	uint64_t need;  /* the gate's left count that lets it go */
	void (*fn)(void *p);
	void *p;
};

struct nj_retire {
	sd_event *event;
	struct nj_retire_gate *gate;
	struct pending *head;
	sd_event_source *timer;
};

static uint64_t left(const struct nj_retire *r)
{
	return atomic_load_explicit(&r->gate->left, memory_order_acquire);
}

/* Run what may go now; true if anything is still pending. */
static bool run(struct nj_retire *r)
{
	struct pending **pp = &r->head;

	while (*pp != NULL) {
		struct pending *q = *pp;

		if (left(r) >= q->need) {
			*pp = q->next;
			q->fn(q->p);
			free(q);
		} else {
			pp = &q->next;
		}
	}
	return r->head != NULL;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *ud)
{
	struct nj_retire *r = ud;

	if (run(r)) {
		sd_event_source_set_time(s, usec + POLL_US);
		sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	return 0;
}

int nj_retire_new(sd_event *e, struct nj_retire_gate *gate, struct nj_retire **ret)
{
	struct nj_retire *r = calloc(1, sizeof(*r));
	int err;

	if (r == NULL) {
		return -ENOMEM;
	}
	r->event = sd_event_ref(e);
	r->gate = gate;
	err = sd_event_add_time_relative(e, &r->timer, CLOCK_MONOTONIC, POLL_US, 100, on_timer, r);
	if (err < 0) {
		sd_event_unref(r->event);
		free(r);
		return err;
	}
	sd_event_source_set_enabled(r->timer, SD_EVENT_OFF);
	*ret = r;
	return 0;
}

int nj_retire_later(struct nj_retire *r, void (*fn)(void *p), void *p)
{
	/* every run that entered before now has left once left reaches this */
	uint64_t need = atomic_load(&r->gate->entered);
	struct pending *q;

	if (left(r) >= need && r->head == NULL) {
		fn(p);
		return 0;
	}
	q = malloc(sizeof(*q));
	if (q == NULL) {
		log_err("out of memory: a buffer the JACK callback used is leaked");
		return -ENOMEM;
	}
	*q = (struct pending){.next = NULL, .need = need, .fn = fn, .p = p};
	/* keep the order: append */
	{
		struct pending **pp = &r->head;

		while (*pp != NULL) {
			pp = &(*pp)->next;
		}
		*pp = q;
	}
	sd_event_source_set_time_relative(r->timer, POLL_US);
	sd_event_source_set_enabled(r->timer, SD_EVENT_ONESHOT);
	return 0;
}

void nj_retire_free(struct nj_retire *r)
{
	if (r == NULL) {
		return;
	}
	if (run(r)) {
		log_debug("the JACK callback still runs at exit: its buffers are left to the exit");
	}
	sd_event_source_disable_unref(r->timer);
	sd_event_unref(r->event);
	free(r);
}
