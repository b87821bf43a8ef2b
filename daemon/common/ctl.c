/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.c - the control socket: one request line per connection, the reply
 * written without ever blocking the main loop, connections and request size
 * bounded, a client that stalls dropped after 2 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"

#define MAX_CONNS 16
#define REQ_MAX 512
#define CONN_TIMEOUT_US 2000000

/* --------------------------------------------------------------- server */

struct conn {
	struct nj_ctl *ctl;
	int fd;
	sd_event_source *io, *timer;
	char req[REQ_MAX + 1];
	size_t req_len;
	struct nj_buf out;
	size_t sent;
	bool privileged;
};

struct nj_ctl {
	sd_event *event;
	int fd;
	sd_event_source *io;
	char path[108];
	nj_ctl_handler handler;
	void *ud;
	struct conn *conns[MAX_CONNS];
	void *owned; /* freed with it (nj_ctl_open's dispatch) */
};

static void conn_close(struct conn *c)
{
	for (unsigned i = 0; i < MAX_CONNS; i++) {
		if (c->ctl->conns[i] == c) {
			c->ctl->conns[i] = NULL;
		}
	}
	sd_event_source_disable_unref(c->io);
	sd_event_source_disable_unref(c->timer);
	close(c->fd);
	nj_buf_free(&c->out);
	free(c);
}

static void conn_answer(struct conn *c)
{
	struct nj_ctl_request req = {.privileged = c->privileged};
	struct nj_buf body = {0};
	const char *err = "unknown error";
	char *line = c->req, *sp;
	int r;

	line[strcspn(line, "\r\n")] = '\0';
	while (*line == ' ') {
		line++;
	}
	sp = strchr(line, ' ');
	if (sp != NULL) {
		*sp++ = '\0';
		while (*sp == ' ') {
			sp++;
		}
	}
	req.cmd = line;
	req.arg = sp ? sp : "";
	r = c->ctl->handler(c->ctl->ud, &req, &body, &err);
	if (r >= 0 && body.oom) {
		r = -ENOMEM;
		err = "out of memory";
	}
	if (r < 0) {
		nj_buf_printf(&c->out, "error: %s\n", err);
	} else {
		nj_buf_printf(&c->out, "ok\n");
		if (body.len > 0) {
			nj_buf_printf(&c->out, "%.*s", (int)body.len, body.data);
		}
	}
	nj_buf_free(&body);
}

static int conn_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct conn *c = ud;

	if (c->out.data == NULL && !c->out.oom) {
		ssize_t n = read(fd, c->req + c->req_len, REQ_MAX - c->req_len);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return 0;
		}
		if (n <= 0 && c->req_len == 0) {
			conn_close(c);
			return 0;
		}
		if (n > 0) {
			c->req_len += (size_t)n;
		}
		c->req[c->req_len] = '\0';
		if (memchr(c->req, '\n', c->req_len) == NULL && c->req_len < REQ_MAX && n > 0) {
			return 0; /* the line is not complete yet */
		}
		if (memchr(c->req, '\n', c->req_len) == NULL && c->req_len >= REQ_MAX) {
			nj_buf_printf(&c->out, "error: request longer than %d bytes\n", REQ_MAX);
		} else {
			conn_answer(c);
		}
		if (c->out.oom) {
			conn_close(c);
			return 0;
		}
		sd_event_source_set_io_events(s, EPOLLOUT);
		return 0;
	}
	while (c->sent < c->out.len) {
		ssize_t n = send(fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				return 0;
			}
			break;
		}
		c->sent += (size_t)n;
	}
	conn_close(c);
	return 0;
}

static int conn_timeout(sd_event_source *s, uint64_t usec, void *ud)
{
	conn_close(ud);
	return 0;
}

static int listen_io(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct nj_ctl *ctl = ud;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		struct conn *c;
		unsigned slot = MAX_CONNS;

		if (cfd < 0) {
			return 0;
		}
		for (unsigned i = 0; i < MAX_CONNS; i++) {
			if (ctl->conns[i] == NULL) {
				slot = i;
				break;
			}
		}
		c = slot < MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
		if (c == NULL) {
			close(cfd); /* too many at once: the client sees EOF */
			continue;
		}
		c->ctl = ctl;
		c->fd = cfd;
		c->privileged = getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 &&
				(cred.uid == 0 || cred.uid == geteuid());
		if (sd_event_add_io(ctl->event, &c->io, cfd, EPOLLIN, conn_io, c) < 0 ||
		    sd_event_add_time_relative(ctl->event, &c->timer, CLOCK_MONOTONIC,
					       CONN_TIMEOUT_US, 100000, conn_timeout, c) < 0) {
			ctl->conns[slot] = c;
			conn_close(c);
			continue;
		}
		ctl->conns[slot] = c;
	}
}

/* Is a live daemon answering on @path? */
static bool socket_alive(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0) {
		return false;
	}
	alive = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return alive;
}

int nj_ctl_new(sd_event *e, const char *path, nj_ctl_handler h, void *ud, struct nj_ctl **ret)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct nj_ctl *ctl;
	char dir[sizeof(sun.sun_path)];
	char *slash;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sun.sun_path) || path[0] != '/') {
		return -EINVAL;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			return -errno;
		}
	}
	if (socket_alive(&sun)) {
		return -EADDRINUSE;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL) {
		return -ENOMEM;
	}
	ctl->fd = -1;
	ctl->event = sd_event_ref(e);
	ctl->handler = h;
	ctl->ud = ud;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		r = -errno;
		goto fail;
	}
	unlink(path); /* a stale socket of a dead daemon */
	old = umask(0117); /* 0660 */
	r = bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r < 0 || listen(ctl->fd, MAX_CONNS) < 0) {
		r = -errno;
		goto fail;
	}
	r = sd_event_add_io(e, &ctl->io, ctl->fd, EPOLLIN, listen_io, ctl);
	if (r < 0) {
		goto fail;
	}
	*ret = ctl;
	return 0;
fail:
	ctl->path[0] = '\0'; /* not ours to unlink */
	nj_ctl_free(ctl);
	return r;
}

void nj_ctl_free(struct nj_ctl *ctl)
{
	if (ctl == NULL) {
		return;
	}
	for (unsigned i = 0; i < MAX_CONNS; i++) {
		if (ctl->conns[i] != NULL) {
			conn_close(ctl->conns[i]);
		}
	}
	sd_event_source_disable_unref(ctl->io);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		if (ctl->path[0]) {
			unlink(ctl->path);
		}
	}
	sd_event_unref(ctl->event);
	free(ctl->owned);
	free(ctl);
}

struct ctl_dispatch {
	const struct nj_ctl_ops *ops;
	void *ud;
};

static int dispatch(void *ud, const struct nj_ctl_request *req, struct nj_buf *out,
		    const char **err)
{
	struct ctl_dispatch *d = ud;

	return nj_ctl_dispatch(d->ops, d->ud, req, out, err);
}

int nj_ctl_open(sd_event *e, const char *path, const char *file, const struct nj_ctl_ops *ops,
		void *ud, struct nj_ctl **ret)
{
	char at[108];
	struct ctl_dispatch *d;
	int r;

	*ret = NULL;
	if (strcmp(path, "none") == 0) {
		return 0;
	}
	if (path[0] != '\0') {
		snprintf(at, sizeof(at), "%s", path);
	} else {
		nj_ctl_default_path(file, false, at, sizeof(at));
	}
	d = malloc(sizeof(*d));
	if (d == NULL) {
		return -ENOMEM;
	}
	d->ops = ops;
	d->ud = ud;
	r = nj_ctl_new(e, at, dispatch, d, ret);
	if (r < 0) {
		free(d);
		log_err("--control: cannot listen on %s: %s", at,
			r == -EADDRINUSE ? "another daemon answers there" : strerror(-r));
		return r;
	}
	(*ret)->owned = d;
	return 0;
}
