/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vectors.h - load the jack2 golden packet captures (tests/vectors, *.hex). */
#ifndef NJ_TEST_VECTORS_H
#define NJ_TEST_VECTORS_H

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

/* The capture files, in a fixed order. */
extern const char *const vec_file_names[];
extern const unsigned vec_file_count;

/* Load tests/vectors/NAME (directory from $NJ_VECTORS). Aborts on I/O errors. */
struct vec_file *vec_load(const char *name);
/* Load a capture file by path; prints "path:line: what" and returns NULL on any error. */
struct vec_file *vec_load_path(const char *path);
void vec_free(struct vec_file *f);

#endif
