/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slave-info.c - what the core, its status and the joiners read of the slave. */
#include <stdio.h>

#include "slave-private.h"

const char *slave_addr_text(const struct nj_sockaddr *a)
{
	static char buf[80];

	return nj_sockaddr_format(a, buf, sizeof(buf));
}

sd_event *slave_event(const struct slave *s)
{
	return s->event;
}

const struct slave_config *slave_cfg(const struct slave *s)
{
	return &s->cfg;
}

const char *slave_host(const struct slave *s)
{
	return s->hostname;
}

const char *slave_client_name(const struct slave *s)
{
	jack_client_t *c = nj_jclient_get(s->jack);

	return c != NULL ? jack_get_client_name(c) : s->cfg.client_name;
}

uint32_t slave_jack_rate(const struct slave *s)
{
	jack_client_t *c = s->jack_up ? nj_jclient_get(s->jack) : NULL;

	return c != NULL ? jack_get_sample_rate(c) : 0;
}

uint32_t slave_jack_period(const struct slave *s)
{
	jack_client_t *c = s->jack_up ? nj_jclient_get(s->jack) : NULL;

	return c != NULL ? jack_get_buffer_size(c) : 0;
}

