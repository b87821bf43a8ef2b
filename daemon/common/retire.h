/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * retire.h - freeing what a real-time callback may still hold, without the
 * main loop ever waiting for it. The callback brackets each run with
 * nj_retire_enter()/nj_retire_leave() (two atomic increments); the loop
 * swaps in what the callback should see next and hands the old thing to
 * nj_retire_later(), which calls its function once every run that could have
 * seen it has left (checked on a 1 ms timer while anything is pending).
 */
#ifndef NJ_RETIRE_H
#define NJ_RETIRE_H

#include <stdatomic.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct nj_retire_gate {
	_Atomic uint64_t entered, left;
};

static inline void nj_retire_enter(struct nj_retire_gate *g)
{
	atomic_fetch_add(&g->entered, 1); /* seq_cst: before the callback reads the pointer */
}

static inline void nj_retire_leave(struct nj_retire_gate *g)
{
	atomic_fetch_add_explicit(&g->left, 1, memory_order_release);
}

struct nj_retire;

int nj_retire_new(sd_event *e, struct nj_retire_gate *gate, struct nj_retire **ret);

/**
 * nj_retire_later - call @fn(@p) on the loop once every callback run that
 * began before now has left (at once if none runs). Call it after the
 * callback's pointer was swapped. The callback runs on one thread (JACK's
 * process thread), so runs leave in the order they entered. Returns 0, or
 * -ENOMEM: then @p is leaked rather than freed under the callback.
 */
int nj_retire_later(struct nj_retire *r, void (*fn)(void *p), void *p);

/** nj_retire_free - run what is pending if the callback has left, else leak it. */
void nj_retire_free(struct nj_retire *r);

#endif
