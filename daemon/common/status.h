/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status.h - what both daemons' control sockets say of a session, rendered
 * once: the counters every session has (JSON fields and the text table's
 * columns), the opening of the JSON object, and the table's header.
 */
#ifndef NJ_STATUS_H
#define NJ_STATUS_H

#include <stdint.h>

#include "ctl.h"

struct nj_status_counts {
	uint64_t cycles, packets, lost, late, duplicate, reordered, malformed, foreign;
	uint64_t concealed, xruns;
	uint64_t dropped; /* by the kernel on the session's socket (its filter, or no room) */
	uint64_t auth_failed, replayed; /* authenticated sessions: wrong tags, replays */
	uint64_t repaired; /* packets lost whose copy arrived (redundancy) */
	uint64_t sent, gso_sends; /* datagrams sent; sends that carried several (UDP GSO) */
	uint64_t gro_bursts; /* receives that carried several (UDP GRO) */
	const char *auth; /* "none", "psk", "psk+encrypt" (NULL: none) */
};

/** A session's row of the text table. */
struct nj_status_row {
	const char *name, *protocol, *state, *address, *encoder;
	unsigned audio_out, audio_in, midi_out, midi_in; /* ours: sent, received */
	unsigned latency_cycles, latency_frames;
	double uptime_s;
	struct nj_status_counts c;
};

/** nj_status_json_open - {"role":ROLE,"name":NAME, ... "uptime_s":U, (no closing). */
void nj_status_json_open(struct nj_buf *b, const char *role, const char *name, double uptime_s);

/** nj_status_json_counts - the counters as JSON members, each preceded by a comma. */
void nj_status_json_counts(struct nj_buf *b, const struct nj_status_counts *c);

/** nj_status_text_header - the table's header; @first names the first column. */
void nj_status_text_header(struct nj_buf *b, const char *first);

/** nj_status_text_row - one line of the table. */
void nj_status_text_row(struct nj_buf *b, const struct nj_status_row *r);

#endif
