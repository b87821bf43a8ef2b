/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hexcap.c - reader of capture files (TAB-separated, hex payload; tests/vectors). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexcap.h"


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

/* Parse one line's columns into @p. Returns NULL or what is wrong. */
static const char *parse_line(char *line, struct vec_packet *p)
{
	char *col[10];
	char *save = NULL;
	unsigned ncol = 0;
	const char *hex;

	line[strcspn(line, "\n")] = '\0';
	for (char *t = strtok_r(line, "\t", &save); t && ncol < 10; t = strtok_r(NULL, "\t", &save)) {
		col[ncol++] = t;
	}
	if (ncol != 10) {
		return "a line without 10 TAB-separated columns";
	}
	p->index = (unsigned)strtoul(col[0], NULL, 10);
	snprintf(p->dir, sizeof(p->dir), "%s", col[2]);
	snprintf(p->kind, sizeof(p->kind), "%s", col[5]);
	p->cycle = strcmp(col[6], "-") == 0 ? -1 : strtol(col[6], NULL, 10);
	p->len = strtoul(col[7], NULL, 10);
	hex = col[9];
	if (strlen(hex) != 2 * p->len || p->len > 65536) {
		return "hex length does not match the length column";
	}
	p->data = malloc(p->len ? p->len : 1);
	if (p->data == NULL) {
		return "out of memory";
	}
	for (size_t i = 0; i < p->len; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			return "bad hex digit";
		}
		p->data[i] = (uint8_t)(hi << 4 | lo);
	}
	return NULL;
}

struct vec_file *vec_load_path(const char *path)
{
	const char *base = strrchr(path, '/');
	struct vec_file *f = calloc(1, sizeof(*f));
	const char *err = NULL;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	FILE *fp;

	if (f == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		return NULL;
	}
	snprintf(f->name, sizeof(f->name), "%s", base ? base + 1 : path);
	fp = fopen(path, "r");
	if (fp == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		free(f);
		return NULL;
	}
	while (err == NULL && getline(&line, &cap, fp) > 0) {
		struct vec_packet *grown;

		lineno++;
		if (line[0] == '#' || line[0] == '\n') {
			continue;
		}
		grown = realloc(f->pkt, (f->n + 1) * sizeof(*f->pkt));
		if (grown == NULL) {
			err = "out of memory";
			break;
		}
		f->pkt = grown;
		memset(&f->pkt[f->n], 0, sizeof(f->pkt[0]));
		err = parse_line(line, &f->pkt[f->n++]);
	}
	free(line);
	fclose(fp);
	if (err == NULL && f->n == 0) {
		err = "no packets";
	}
	if (err != NULL) {
		fprintf(stderr, "%s:%u: %s\n", path, lineno, err);
		vec_free(f);
		return NULL;
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
