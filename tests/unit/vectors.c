/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vectors.c - the golden capture files the unit tests load. */
#include <stdio.h>
#include <stdlib.h>

#include "vectors.h"

const char *const vec_file_names[] = {
	"jack2-float-2ch.hex",
	"jack2-float-2ch-p480.hex",
	"jack2-opus64-2ch-p480.hex",
	"jack2-opus400-2ch-p960.hex",
	"jack2-midi-sync-physports.hex",
	"jack2-midi-sysex-bug.hex",
	"jack2-discovery-restart.hex",
};
const unsigned vec_file_count = sizeof(vec_file_names) / sizeof(vec_file_names[0]);

struct vec_file *vec_load(const char *name)
{
	const char *dir = getenv("NJ_VECTORS");
	char path[1024];
	struct vec_file *f;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/vectors", name);
	f = vec_load_path(path);
	if (f == NULL) {
		abort(); /* a broken golden file is a broken test set-up */
	}
	return f;
}
