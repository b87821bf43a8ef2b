/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runlink.c - a runner's messages to the main loop (runlink.h). */
#include <errno.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libnetproto/types.h>

#include "runlink.h"

static int on_control(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct nj_runlink *l = ud;
	uint8_t buf[NJ_MTU_MAX];
	ssize_t n;

	/* bounded: a flood of control messages yields to the rest of the loop */
	for (unsigned i = 0; i < 64 && (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0; i++) {
		l->control(l->ud, buf, (size_t)n);
	}
	return 0;
}

static int on_notify(sd_event_source *es, int fd, uint32_t revents, void *ud)
{
	struct nj_runlink *l = ud;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == sizeof(v)) {
		l->notify(l->ud);
	}
	return 0;
}

int nj_runlink_init(struct nj_runlink *l, sd_event *e,
		    void (*control)(void *ud, const uint8_t *buf, size_t len),
		    void (*notify)(void *ud), void *ud)
{
	int r;

	*l = (struct nj_runlink){.ctl = {-1, -1}, .notify_fd = -1, .control = control,
				 .notify = notify, .ud = ud};
	l->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->notify_fd < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, l->ctl) < 0) {
		return -errno;
	}
	r = sd_event_add_io(e, &l->ctl_io, l->ctl[1], EPOLLIN, on_control, l);
	if (r >= 0) {
		r = sd_event_add_io(e, &l->notify_io, l->notify_fd, EPOLLIN, on_notify, l);
	}
	return r < 0 ? r : 0;
}

void nj_runlink_fini(struct nj_runlink *l)
{
	l->ctl_io = sd_event_source_disable_unref(l->ctl_io);
	l->notify_io = sd_event_source_disable_unref(l->notify_io);
	for (int i = 0; i < 2; i++) {
		if (l->ctl[i] >= 0) {
			close(l->ctl[i]);
			l->ctl[i] = -1;
		}
	}
	if (l->notify_fd >= 0) {
		close(l->notify_fd);
		l->notify_fd = -1;
	}
}
