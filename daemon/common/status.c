/* SPDX-License-Identifier: GPL-2.0-or-later */
/* status.c - the control sockets' shared rendering (status.h). */
#include <stdio.h>
#include <unistd.h>

#include "status.h"

void nj_status_json_open(struct nj_buf *b, const char *role, const char *name, double uptime_s)
{
	nj_buf_printf(b, "{\"role\":\"%s\",\"name\":", role);
	nj_buf_json_str(b, name);
	nj_buf_printf(b, ",\"version\":\"%s\",\"pid\":%d,\"uptime_s\":%.1f", NETJACK_VERSION,
		      (int)getpid(), uptime_s);
}

void nj_status_json_counts(struct nj_buf *b, const struct nj_status_counts *c)
{
	nj_buf_printf(b, ",\"cycles\":%llu,\"packets\":%llu,\"lost\":%llu,\"late\":%llu,"
			 "\"duplicate\":%llu,\"reordered\":%llu,\"malformed\":%llu,"
			 "\"foreign\":%llu,\"dropped\":%llu,\"concealed\":%llu,\"xruns\":%llu,"
			 "\"auth\":\"%s\",\"auth_failed\":%llu,\"replayed\":%llu,\"repaired\":%llu,"
			 "\"sent\":%llu,\"gso_sends\":%llu,\"gro_bursts\":%llu",
		      (unsigned long long)c->cycles, (unsigned long long)c->packets,
		      (unsigned long long)c->lost, (unsigned long long)c->late,
		      (unsigned long long)c->duplicate, (unsigned long long)c->reordered,
		      (unsigned long long)c->malformed, (unsigned long long)c->foreign,
		      (unsigned long long)c->dropped, (unsigned long long)c->concealed,
		      (unsigned long long)c->xruns, c->auth ? c->auth : "none",
		      (unsigned long long)c->auth_failed, (unsigned long long)c->replayed,
		      (unsigned long long)c->repaired, (unsigned long long)c->sent,
		      (unsigned long long)c->gso_sends, (unsigned long long)c->gro_bursts);
}

void nj_status_text_header(struct nj_buf *b, const char *first)
{
	nj_buf_printf(b, "%-16s %-8s %-8s %-22s %-11s %-6s %-11s %-11s %8s %10s %6s %6s %5s %5s %8s "
			 "%5s\n",
		      first, "PROTO", "STATE", "ADDRESS", "AUDIO/MIDI", "ENC", "AUTH", "LATENCY", "UPTIME",
		      "CYCLES", "LOST", "LATE", "DUP", "MALF", "CONCEAL", "XRUN");
}

void nj_status_text_row(struct nj_buf *b, const struct nj_status_row *r)
{
	char ch[32], lat[32];

	snprintf(ch, sizeof(ch), "%u:%u/%u:%u", r->audio_out, r->audio_in, r->midi_out, r->midi_in);
	snprintf(lat, sizeof(lat), "%u (%u fr)", r->latency_cycles, r->latency_frames);
	nj_buf_printf(b, "%-16s %-8s %-8s %-22s %-11s %-6s %-11s %-11s %7.0fs %10llu %6llu %6llu "
			 "%5llu %5llu %8llu %5llu\n",
		      r->name, r->protocol, r->state, r->address, ch, r->encoder,
		      r->c.auth ? r->c.auth : "none", lat, r->uptime_s,
		      (unsigned long long)r->c.cycles, (unsigned long long)r->c.lost,
		      (unsigned long long)r->c.late, (unsigned long long)r->c.duplicate,
		      (unsigned long long)r->c.malformed, (unsigned long long)r->c.concealed,
		      (unsigned long long)r->c.xruns);
}
