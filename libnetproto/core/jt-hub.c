/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jt-hub.c - a JackTrip hub handshake, server side (jt-hub.h). */
#include <string.h>

#include <libnetproto/jt-hub.h>

void jt_hubconn_init(struct jt_hubconn *c, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->started_us = now;
}

static enum jt_hub_step decide(struct jt_hubconn *c, unsigned len, struct jt_hub_request *ret)
{
	c->done = true;
	if (jt_hub_request_decode(c->buf, len, ret) < 0) {
		return JT_HUB_ERROR;
	}
	return ret->value == JT_HUB_AUTH_OK ? JT_HUB_AUTH : JT_HUB_REQUEST;
}

enum jt_hub_step jt_hubconn_feed(struct jt_hubconn *c, const uint8_t *data, size_t len,
				 uint64_t now, struct jt_hub_request *ret)
{
	if (c->done) {
		return JT_HUB_ERROR;
	}
	if (len > sizeof(c->buf) - c->have) {
		c->done = true;
		return JT_HUB_ERROR; /* more than any request */
	}
	memcpy(c->buf + c->have, data, len);
	c->have += (unsigned)len;
	if (c->have == JT_HUB_REQUEST_SIZE) {
		return decide(c, JT_HUB_REQUEST_SIZE, ret);
	}
	if (c->have >= JT_HUB_SHORT_SIZE && c->four_us == 0) {
		c->four_us = now;
		/* the auth request comes alone: no need to wait */
		if (c->have == JT_HUB_SHORT_SIZE && nj_get_le32(c->buf) == JT_HUB_AUTH_OK) {
			return decide(c, JT_HUB_SHORT_SIZE, ret);
		}
	}
	return JT_HUB_MORE;
}

enum jt_hub_step jt_hubconn_timeout(struct jt_hubconn *c, uint64_t now, struct jt_hub_request *ret)
{
	if (c->done) {
		return JT_HUB_ERROR;
	}
	if (c->have == JT_HUB_SHORT_SIZE && now >= c->four_us + JT_HUB_SHORT_WAIT_US) {
		return decide(c, JT_HUB_SHORT_SIZE, ret);
	}
	if (now >= c->started_us + JT_HUB_TIMEOUT_US) {
		c->done = true;
		return JT_HUB_ERROR;
	}
	return JT_HUB_MORE;
}

uint64_t jt_hubconn_deadline(const struct jt_hubconn *c)
{
	uint64_t end = c->started_us + JT_HUB_TIMEOUT_US;

	if (c->have == JT_HUB_SHORT_SIZE && c->four_us + JT_HUB_SHORT_WAIT_US < end) {
		return c->four_us + JT_HUB_SHORT_WAIT_US;
	}
	return end;
}
