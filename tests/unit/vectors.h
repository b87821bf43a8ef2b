/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vectors.h - the golden packet captures of tests/vectors, for the unit tests. */
#ifndef NJ_TEST_VECTORS_H
#define NJ_TEST_VECTORS_H

#include "../../tools/hexcap.h"

/* The capture files, in a fixed order. */
extern const char *const vec_file_names[];
extern const unsigned vec_file_count;

/* Load tests/vectors/NAME (directory from $NJ_VECTORS). Aborts on I/O errors. */
struct vec_file *vec_load(const char *name);

#endif
