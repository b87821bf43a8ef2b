/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runlink.h - what a runner's thread tells the main loop: the control
 * messages it set aside (a SOCK_SEQPACKET pair, one message each) and "look
 * at my counters" (an eventfd). The loop's side as sd-event sources.
 */
#ifndef NJ_RUNLINK_H
#define NJ_RUNLINK_H

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct nj_runlink {
	int ctl[2];    /* [0]: the runner writes, [1]: the loop reads */
	int notify_fd; /* the runner writes, the loop reads */
	sd_event_source *ctl_io, *notify_io;
	void (*control)(void *ud, const uint8_t *buf, size_t len);
	void (*notify)(void *ud);
	void *ud;
};

/** nj_runlink_init - both channels and their sources on @e. 0 or a negative errno. */
int nj_runlink_init(struct nj_runlink *l, sd_event *e,
		    void (*control)(void *ud, const uint8_t *buf, size_t len),
		    void (*notify)(void *ud), void *ud);

/** nj_runlink_fini - close everything (the runner must be gone). */
void nj_runlink_fini(struct nj_runlink *l);

#endif
