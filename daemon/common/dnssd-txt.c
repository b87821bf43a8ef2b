/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dnssd-txt.c - TXT records: assembled for publishing, read as checked input. */
#include <stdarg.h>
#include <stdio.h>

#include "dnssd.h"

void nj_txt_init(struct nj_txt *t)
{
	t->n = 0;
	nj_txt_add(t, "txtvers=1");
}

void nj_txt_add(struct nj_txt *t, const char *fmt, ...)
{
	va_list ap;

	if (t->n >= NJ_DNSSD_TXT_MAX) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(t->t[t->n], sizeof(t->t[0]), fmt, ap);
	va_end(ap);
	t->n++;
}

int nj_dnssd_publish_txt(struct nj_dnssd *d, const char *type, const char *name, uint16_t port,
			 struct nj_txt *t)
{
	const char *p[NJ_DNSSD_TXT_MAX];

	nj_txt_add(t, "version=%s", NETJACK_VERSION);
	for (unsigned i = 0; i < t->n; i++) {
		p[i] = t->t[i];
	}
	return nj_dnssd_publish(d, type, name, port, p, t->n);
}

bool nj_dnssd_txt_uint(const struct nj_dnssd_found *f, const char *key, unsigned max,
		       unsigned *ret)
{
	const char *v = nj_dnssd_txt(f, key);
	unsigned long n = 0;

	if (v == NULL || *v == '\0') {
		return false;
	}
	for (const char *c = v; *c != '\0'; c++) {
		if (*c < '0' || *c > '9') {
			return false;
		}
		n = n * 10 + (unsigned long)(*c - '0');
		if (n > max) {
			return false;
		}
	}
	*ret = (unsigned)n;
	return true;
}
