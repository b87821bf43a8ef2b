/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl-util.c - the control protocol's pieces that need no loop: reply
 * buffers, the command parser, the socket's default path. netjack-ctl links
 * only these.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

/* ------------------------------------------------------------- buffers */

void nj_buf_printf(struct nj_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom) {
		return;
	}
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;

		while (cap - b->len <= (size_t)n) {
			cap *= 2;
		}
		char *d = realloc(b->data, cap);

		if (d == NULL) {
			b->oom = true;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
}

void nj_buf_json_str(struct nj_buf *b, const char *s)
{
	nj_buf_printf(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			nj_buf_printf(b, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			nj_buf_printf(b, "\\u%04x", *p);
		} else {
			nj_buf_printf(b, "%c", *p);
		}
	}
	nj_buf_printf(b, "\"");
}

void nj_buf_free(struct nj_buf *b)
{
	free(b->data);
	*b = (struct nj_buf){0};
}

/* ------------------------------------------------------------ commands */

int nj_ctl_dispatch(const struct nj_ctl_ops *ops, void *ud, const struct nj_ctl_request *req,
		    struct nj_buf *out, const char **err)
{
	if (strcmp(req->cmd, "status") == 0) {
		if (strcmp(req->arg, "json") != 0 && req->arg[0] != '\0') {
			*err = "usage: status [json]";
			return -EINVAL;
		}
		ops->status(ud, req->arg[0] != '\0', out);
		return 0;
	}
	if (strcmp(req->cmd, "kick") == 0) {
		if (!req->privileged) {
			*err = "kick: permission denied (root or the daemon's user only)";
			return -EPERM;
		}
		if (req->arg[0] == '\0') {
			*err = "usage: kick NAME";
			return -EINVAL;
		}
		return ops->kick(ud, req->arg, out, err);
	}
	if (strcmp(req->cmd, "latency") == 0) {
		bool json = strncmp(req->arg, "json", 4) == 0 &&
			    (req->arg[4] == '\0' || req->arg[4] == ' ');
		const char *name = req->arg + (json ? 4 : 0);

		return ops->latency(ud, name + (*name == ' '), json, out, err);
	}
	*err = "unknown command (status [json], latency [json] [NAME], kick NAME)";
	return -EINVAL;
}

/* --------------------------------------------------------------- paths */

void nj_ctl_default_path(const char *file, bool for_client, char *buf, size_t size)
{
	const char *rd = getenv("RUNTIME_DIRECTORY");
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (for_client) {
		if (xdg != NULL && xdg[0] == '/') {
			snprintf(buf, size, "%s/netjack/%s", xdg, file);
			if (access(buf, F_OK) == 0) {
				return;
			}
		}
		snprintf(buf, size, "/run/netjack/%s", file);
		return;
	}
	if (rd != NULL && rd[0] == '/') {
		/* RuntimeDirectory= may list several: the first is ours */
		size_t n = strcspn(rd, ":");

		snprintf(buf, size, "%.*s/%s", (int)n, rd, file);
	} else if (geteuid() == 0 || xdg == NULL || xdg[0] != '/') {
		snprintf(buf, size, "/run/netjack/%s", file);
	} else {
		snprintf(buf, size, "%s/netjack/%s", xdg, file);
	}
}

