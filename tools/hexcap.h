/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hexcap.h - read capture files of packets (tests/vectors, *.hex). */
#ifndef NJ_TOOLS_HEXCAP_H
#define NJ_TOOLS_HEXCAP_H

#include <stddef.h>
#include <stdint.h>

struct vec_packet {
	unsigned index;     /* capture index */
	char dir[16];       /* "M>S", "S>M", "S>M(mcast)", ... */
	char kind[24];      /* SLAVE_AVAILABLE, sync/s, audio/r, ... */
	long cycle;         /* -1 for session params */
	size_t len;
	uint8_t *data;
};

struct vec_file {
	char name[64];
	size_t n;
	struct vec_packet *pkt;
};

/* Load a capture file by path; prints "path:line: what" and returns NULL on any error. */
struct vec_file *vec_load_path(const char *path);
void vec_free(struct vec_file *f);

#endif
