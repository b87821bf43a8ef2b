/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jackopen.h - jack_client_open() off the main loop. On a server that is
 * starting or shutting down, jack_client_open() can wait for seconds (CI saw
 * it never return after a server's SIGTERM); a daemon's sd-event loop, its
 * watchdog and its control socket must not wait with it. An attempt runs on a
 * thread of its own and its result comes back on the loop.
 */
#ifndef NJ_JACKOPEN_H
#define NJ_JACKOPEN_H

#include <jack/jack.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct nj_jack_opener;

/* The attempt's result, on the loop: a client (now the caller's), or NULL. */
typedef void (*nj_jack_opened_fn)(void *userdata, jack_client_t *client, jack_status_t status);

int nj_jack_opener_new(sd_event *e, nj_jack_opened_fn cb, void *userdata,
		       struct nj_jack_opener **ret);

/*
 * An optional hook run on the attempt's thread right after a successful
 * open (register ports, set callbacks, activate: libjack calls that wait on
 * the server). A negative errno closes the client there and the attempt
 * reports NULL. The hook's data must outlive any attempt in flight.
 */
typedef int (*nj_jack_setup_fn)(void *userdata, jack_client_t *client);
void nj_jack_opener_set_setup(struct nj_jack_opener *o, nj_jack_setup_fn fn, void *userdata);

/* Starts an attempt (JackNoStartServer) unless one is running: -EBUSY then. */
int nj_jack_opener_start(struct nj_jack_opener *o, const char *client_name);

bool nj_jack_opener_busy(const struct nj_jack_opener *o);

/* How long the running attempt has been waiting (CLOCK_MONOTONIC us), 0 if
 * none. */
uint64_t nj_jack_opener_waiting_us(const struct nj_jack_opener *o);

#define NJ_JACK_STUCK_US 15000000

/* True, with one error line naming @prog, when the running attempt has
 * waited longer than NJ_JACK_STUCK_US. libjack serialises opens in a
 * process, so an attempt that never returns blocks every later one: the
 * daemon can only exit for its service manager to start it afresh. */
bool nj_jack_opener_stuck(const struct nj_jack_opener *o, const char *prog);

/*
 * Waits up to @timeout_us for a running attempt to return, closes the client
 * it got and forgets it without calling back; true when none runs now. For
 * exits: a process that ends while libjack is inside jack_client_open() can
 * leave a lock of JACK's metadata database (/dev/shm/jack_db-UID) held, and
 * every JACK client on the machine then hangs in its open.
 */
bool nj_jack_opener_settle(struct nj_jack_opener *o, uint64_t timeout_us);

/* Never waits: an attempt still running is left to finish on its own, and
 * closes the client it gets. */
void nj_jack_opener_free(struct nj_jack_opener *o);

#endif
