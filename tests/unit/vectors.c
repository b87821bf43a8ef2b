/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vectors.c - parser for the golden capture files (TAB-separated, hex payload). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int hexval(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

static void die(const char *what, const char *name)
{
	fprintf(stderr, "vectors: %s: %s\n", what, name);
	abort();
}

struct vec_file *vec_load(const char *name)
{
	const char *dir = getenv("NJ_VECTORS");
	char path[1024];
	struct vec_file *f = calloc(1, sizeof(*f));
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;

	if (f == NULL) {
		die("out of memory", name);
	}
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/vectors", name);
	snprintf(f->name, sizeof(f->name), "%s", name);
	fp = fopen(path, "r");
	if (fp == NULL) {
		die("cannot open", path);
	}
	while (getline(&line, &cap, fp) > 0) {
		char *col[10];
		char *save = NULL;
		unsigned ncol = 0;
		struct vec_packet *p;
		const char *hex;
		size_t hlen;

		if (line[0] == '#' || line[0] == '\n') {
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(line, "\t", &save); t && ncol < 10;
		     t = strtok_r(NULL, "\t", &save)) {
			col[ncol++] = t;
		}
		if (ncol != 10) {
			die("bad line (want 10 columns)", path);
		}
		f->pkt = realloc(f->pkt, (f->n + 1) * sizeof(*f->pkt));
		if (f->pkt == NULL) {
			die("out of memory", path);
		}
		p = &f->pkt[f->n++];
		memset(p, 0, sizeof(*p));
		p->index = (unsigned)strtoul(col[0], NULL, 10);
		snprintf(p->dir, sizeof(p->dir), "%s", col[2]);
		snprintf(p->kind, sizeof(p->kind), "%s", col[5]);
		p->cycle = strcmp(col[6], "-") == 0 ? -1 : strtol(col[6], NULL, 10);
		p->len = strtoul(col[7], NULL, 10);
		hex = col[9];
		hlen = strlen(hex);
		if (hlen != 2 * p->len) {
			die("hex length does not match the length column", path);
		}
		p->data = malloc(p->len ? p->len : 1);
		if (p->data == NULL) {
			die("out of memory", path);
		}
		for (size_t i = 0; i < p->len; i++) {
			int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				die("bad hex digit", path);
			}
			p->data[i] = (uint8_t)(hi << 4 | lo);
		}
	}
	free(line);
	fclose(fp);
	if (f->n == 0) {
		die("no packets", path);
	}
	return f;
}

void vec_free(struct vec_file *f)
{
	if (f == NULL) {
		return;
	}
	for (size_t i = 0; i < f->n; i++) {
		free(f->pkt[i].data);
	}
	free(f->pkt);
	free(f);
}
