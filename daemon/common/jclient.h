/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jclient.h - a JACK client's whole life, with the main loop never waiting on
 * the server: opened, set up (ports, callbacks, activation) and closed on
 * threads of their own, the results and the server's notifications (shut
 * down, a new period or rate) delivered on the sd-event loop, xruns counted.
 * The daemons' control client, each session's client on the master and the
 * slave's client all live this way.
 */
#ifndef NJ_JCLIENT_H
#define NJ_JCLIENT_H

#include <jack/jack.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct nj_jclient_ops {
	/* On the open thread, after jack_client_open(): register ports, set the
	 * process callback, activate. A negative errno gives up (the client
	 * is closed there). May be NULL. */
	int (*setup)(void *ud, jack_client_t *c);
	/* On the loop: the client is up, or @c is NULL (no server, setup failed). */
	void (*opened)(void *ud, jack_client_t *c);
	/* On the loop, after nj_jclient_release(): nothing of the client runs
	 * any more; the owner may free what its callbacks used. May be NULL. */
	void (*released)(void *ud);
	/* On the loop: the server shut the client down (it is closed by
	 * release, or by the next open). May be NULL. */
	void (*shutdown)(void *ud);
	/* On the loop: the server's period or rate changed. May be NULL. */
	void (*format)(void *ud);
};

struct nj_jclient;

int nj_jclient_new(sd_event *e, const struct nj_jclient_ops *ops, void *ud,
		   struct nj_jclient **ret);

/**
 * nj_jclient_keep - keep a client named @name open: open it now, try again
 * every second while no server answers (ops->opened(NULL) and one log line
 * once per such spell: a server is waited for, never started), and open it
 * afresh a second after the server shut it down (after ops->shutdown).
 */
int nj_jclient_keep(struct nj_jclient *j, const char *name);

/** nj_jclient_open - start opening client @name; -EBUSY while open or opening. */
int nj_jclient_open(struct nj_jclient *j, const char *name);

/** The open client, or NULL. */
jack_client_t *nj_jclient_get(const struct nj_jclient *j);

/** The server's xrun notifications seen by this client. */
uint64_t nj_jclient_xruns(const struct nj_jclient *j);

/** nj_jclient_stuck - an open has waited past NJ_JACK_STUCK_US (logged once, naming @prog). */
bool nj_jclient_stuck(const struct nj_jclient *j, const char *prog);

/**
 * nj_jclient_close - close the client off the loop and be ready to open
 * again; ops->released() is not called. Nothing happens if none is open.
 */
void nj_jclient_close(struct nj_jclient *j);

/**
 * nj_jclient_release - the owner is done: close whatever is open or
 * opening, off the loop, then call ops->released() and free @j. NULL is fine.
 */
void nj_jclient_release(struct nj_jclient *j);

/**
 * nj_jclient_free_now - close and free, for shutdown (no callback), waiting
 * on the loop for the close (at most 2 s). Returns false when an open or a
 * close is still in flight: then @j (and what the setup hook uses) is left to
 * the process's exit. NULL is fine.
 */
bool nj_jclient_free_now(struct nj_jclient *j);

/**
 * nj_jclient_exiting - the daemon is ending: from now on every
 * nj_jclient_free_now() shares one wait of at most 2 s in all.
 */
void nj_jclient_exiting(void);

/**
 * nj_jclient_left_running - true once nj_jclient_free_now() has left a client
 * to the exit: its threads may still run our callbacks, so the process must
 * end without running destructors or freeing what they use (_exit).
 */
bool nj_jclient_left_running(void);

#endif
