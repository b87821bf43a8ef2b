/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jt-hub.h - one JackTrip hub handshake, as a server takes it (pure: bytes
 * and times in, a decision out; the owner keeps the TCP socket).
 *
 * A 1.7.0 client sends its whole request in one segment: 68 bytes (its UDP
 * port, then a 64-byte name) or, asking for TLS authentication, the 4 bytes of
 * JT_HUB_AUTH_OK alone. Older clients send the port alone. So: 68 bytes make
 * a request; 4 bytes that stay alone for JT_HUB_SHORT_WAIT_US make one
 * without a name (or the auth request); anything else, more than 68 bytes, or
 * no request within JT_HUB_TIMEOUT_US, is an error. The server answers a
 * request with the UDP port it gives the client, the auth request with
 * JT_HUB_AUTH_NOT_REQUIRED (netjack has no TLS), then closes.
 */
#ifndef LIBNETPROTO_JT_HUB_H
#define LIBNETPROTO_JT_HUB_H

#include <stdint.h>

#include <libnetproto/jacktrip.h>
#include <libnetproto/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define JT_HUB_TIMEOUT_US    5000000 /* a handshake may take this long */
#define JT_HUB_SHORT_WAIT_US 200000  /* 4 bytes alone for this long: a short request */

enum jt_hub_step {
	JT_HUB_MORE = 0,   /* keep reading (deadline: jt_hubconn_deadline) */
	JT_HUB_REQUEST,    /* *ret holds the request: answer with a UDP port */
	JT_HUB_AUTH,       /* the client asks for TLS: answer JT_HUB_AUTH_NOT_REQUIRED */
	JT_HUB_ERROR,      /* malformed, too long, or too late: close */
};

struct jt_hubconn {
	uint8_t buf[JT_HUB_REQUEST_SIZE];
	unsigned have;
	uint64_t started_us, four_us;
	bool done;
};

/** jt_hubconn_init - a connection accepted at @now. */
void jt_hubconn_init(struct jt_hubconn *c, uint64_t now);

/** jt_hubconn_feed - @len bytes arrived at @now. */
enum jt_hub_step jt_hubconn_feed(struct jt_hubconn *c, const uint8_t *data, size_t len,
				 uint64_t now, struct jt_hub_request *ret);

/** jt_hubconn_timeout - the time passed @now (call at jt_hubconn_deadline). */
enum jt_hub_step jt_hubconn_timeout(struct jt_hubconn *c, uint64_t now, struct jt_hub_request *ret);

/** jt_hubconn_deadline - when jt_hubconn_timeout() is next due. */
uint64_t jt_hubconn_deadline(const struct jt_hubconn *c);

#ifdef __cplusplus
}
#endif

#endif
