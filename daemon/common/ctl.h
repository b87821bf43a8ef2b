/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.h - the control socket of netjack-master and netjack-slave.
 *
 * Protocol (documented in the README and netjack-ctl(1)): a client connects
 * to the unix stream socket, writes one request line (at most 512 bytes,
 * ending in '\n'):
 *
 *     status            a human-readable table
 *     status json       the same as one JSON object
 *     kick NAME         end the session NAME (owner of the daemon or root)
 *
 * and reads the reply until the daemon closes the connection. The reply's
 * first line is "ok" or "error: <reason>"; the body follows. The socket is
 * mode 0660 (the daemon's user and group), in a directory that is not
 * world-writable; a request from another uid may only read the status.
 */
#ifndef NJ_CTL_H
#define NJ_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

/** A growing reply buffer (the handler writes into it). */
struct nj_buf {
	char *data;
	size_t len, cap;
	bool oom;
};

void nj_buf_printf(struct nj_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** A JSON string literal for @s (quoted, escaped). */
void nj_buf_json_str(struct nj_buf *b, const char *s);
void nj_buf_free(struct nj_buf *b);

struct nj_ctl_request {
	const char *cmd;   /* first word */
	const char *arg;   /* the rest of the line, "" if none */
	bool privileged;   /* the peer is root or the daemon's own user */
};

/* Fill @out with the body; return 0, or a negative errno and set *@err. */
typedef int (*nj_ctl_handler)(void *ud, const struct nj_ctl_request *req, struct nj_buf *out,
			      const char **err);

/* The daemons' commands; nj_ctl_dispatch() parses the request for them. */
struct nj_ctl_ops {
	void (*status)(void *ud, bool json, struct nj_buf *out);
	/* end the session @name: 0, or a negative errno and *@err */
	int (*kick)(void *ud, const char *name, struct nj_buf *out, const char **err);
	/* where each session's round trip goes (@name: that one; "" every
	 * session): 0, or a negative errno and *@err */
	int (*latency)(void *ud, const char *name, bool json, struct nj_buf *out, const char **err);
};

/**
 * nj_ctl_dispatch - an nj_ctl_handler body for "status [json]",
 * "latency [json] [NAME]" and "kick NAME" (privileged peers only) over @ops.
 */
int nj_ctl_dispatch(const struct nj_ctl_ops *ops, void *ud, const struct nj_ctl_request *req,
		    struct nj_buf *out, const char **err);

struct nj_ctl;

/**
 * nj_ctl_new - listen on @path (its directory is created 0755 if missing).
 * A stale socket left by a dead daemon is replaced; a live one (another
 * daemon answering there) is an error: -EADDRINUSE.
 */
int nj_ctl_new(sd_event *e, const char *path, nj_ctl_handler h, void *ud, struct nj_ctl **ret);
/**
 * nj_ctl_open - a daemon's control socket: at @path (the --control value:
 * "" = nj_ctl_default_path(@file), "none" = no socket, *@ret stays NULL),
 * answering "status [json]" and "kick NAME" with @ops. An error is logged
 * naming --control.
 */
int nj_ctl_open(sd_event *e, const char *path, const char *file, const struct nj_ctl_ops *ops,
		void *ud, struct nj_ctl **ret);

/** nj_ctl_free - close, unlink the socket. NULL is fine. */
void nj_ctl_free(struct nj_ctl *c);

/**
 * nj_ctl_default_path - where @file (e.g. "master.sock") lives: in
 * $RUNTIME_DIRECTORY (systemd's RuntimeDirectory=), else /run/netjack as
 * root, else $XDG_RUNTIME_DIR/netjack. @for_client: the first of
 * $XDG_RUNTIME_DIR/netjack and /run/netjack where @file exists.
 */
void nj_ctl_default_path(const char *file, bool for_client, char *buf, size_t size);

#endif
