/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "pick.h"

static bool has_room(const struct found_master *f)
{
	return f->max_slaves == 0 || f->slaves < f->max_slaves;
}

/* Is @a a better choice than @b? */
static bool better(const struct found_master *a, const struct found_master *b)
{
	if (has_room(a) != has_room(b)) {
		return has_room(a);
	}
	if (a->slaves != b->slaves) {
		return a->slaves < b->slaves;
	}
	return strcmp(a->name, b->name) < 0;
}

const struct found_master *pick_master(const struct found_master *f, unsigned n,
				       const char *want, unsigned *ret_count)
{
	const struct found_master *best = NULL;

	*ret_count = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!f[i].used) {
			continue;
		}
		(*ret_count)++;
		if (want != NULL && want[0] != '\0') {
			if (best == NULL && strcmp(f[i].name, want) == 0) {
				best = &f[i];
			}
		} else if (best == NULL || better(&f[i], best)) {
			best = &f[i];
		}
	}
	return best;
}
