/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * manager-status.c - netjack-master's control socket: every slot's status
 * row (the protocol adds its own members), and kick.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../common/log.h"
#include "../common/bridgeio.h"
#include "../common/status.h"
#include "manager-private.h"


static const char *const discovery_names[] = {"both", "multicast", "dnssd"};

static void counts_of(const struct mslot *s, struct nj_status_counts *ret, uint64_t *busy_max,
		      bool *direct)
{
	struct nj_runner_counters c = {0};

	if (s->sess != NULL) {
		session_snapshot(s->sess, &c);
	}
	*ret = (struct nj_status_counts){
		.cycles = c.cycles, .packets = c.x.rx.packets, .lost = c.x.rx.lost,
		.late = c.x.rx.late, .duplicate = c.x.rx.duplicate, .reordered = c.x.rx.reordered,
		.malformed = c.x.rx.malformed, .foreign = c.x.rx.foreign, .dropped = c.dropped,
		.concealed = c.concealed, .xruns = s->sess ? session_xruns(s->sess) : 0,
		.auth_failed = c.x.auth_failed, .replayed = c.x.replayed, .auth = s->d.auth,
		.repaired = c.x.repaired, .sent = c.sent, .gso_sends = c.gso_sends,
		.gro_bursts = c.gro_bursts,
	};
	*busy_max = c.busy_max_us;
	*direct = c.direct;
}

static void status_json(struct manager *m, struct nj_buf *b)
{
	bool first = true;

	nj_status_json_open(b, "master", m->cfg.name, (double)(now_us(m) - m->started_us) / 1e6);
	nj_buf_printf(b, ",\"jack\":{\"connected\":%s,\"rate\":%u,\"period\":%u},"
			 "\"discovery\":\"%s\",\"max_slaves\":%d",
		      m->jack_up ? "true" : "false", m->jack_up ? m->jk.rate : 0,
		      m->jack_up ? m->jk.period : 0, discovery_names[m->cfg.discovery],
		      m->cfg.max_slaves);
	manager_policy_status(m, b, true);
	for (unsigned i = 0; i < m->nlis; i++) {
		m->lis[i].ops->status_head(m->lis[i].l, b, true);
	}
	nj_buf_printf(b, ",\"sessions\":[");
	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		const struct mslot *s = &m->slots[i];
		struct nj_status_counts c;
		uint64_t busy_max;
		bool direct;

		if (s->listener == NULL || s->releasing) {
			continue;
		}
		counts_of(s, &c, &busy_max, &direct);
		nj_buf_printf(b, "%s{\"name\":", first ? "" : ",");
		first = false;
		nj_buf_json_str(b, s->d.name);
		nj_buf_printf(b, ",\"client\":");
		nj_buf_json_str(b, s->sess ? session_client_name(s->sess) : "");
		nj_buf_printf(b, ",\"protocol\":\"%s\",\"state\":\"%s\",\"address\":\"%s\","
				 "\"audio_to_slave\":%u,\"audio_from_slave\":%u,"
				 "\"midi_to_slave\":%u,\"midi_from_slave\":%u,\"encoder\":\"%s\","
				 "\"latency_cycles\":%u,\"latency_frames\":%u,\"uptime_s\":%.1f",
			      s->lops->protocol, s->sess ? "running" : "setup", addr_text(&s->d.peer),
			      s->d.audio_out, s->d.audio_in, s->d.midi_out, s->d.midi_in,
			      s->d.encoder, s->d.latency_cycles, s->d.latency_frames,
			      (double)(now_us(m) - s->since_us) / 1e6);
		nj_status_json_counts(b, &c);
		/* who reads the session's socket: the JACK callback (filtered) or a thread */
		nj_buf_printf(b, ",\"callback_max_us\":%llu,\"receive\":\"%s\"",
			      (unsigned long long)busy_max, direct ? "callback" : "thread");
		if (s->sess != NULL) {
			session_status_json(s->sess, b);
		}
		s->lops->status_json(s->listener, i, b);
		nj_buf_printf(b, "}");
	}
	nj_buf_printf(b, "]}\n");
}

static void status_text(struct manager *m, struct nj_buf *b)
{
	unsigned n = 0;

	nj_buf_printf(b, "netjack-master \"%s\" %s: JACK %s", m->cfg.name, NETJACK_VERSION,
		      m->jack_up ? "connected" : "not running (waiting)");
	if (m->jack_up) {
		nj_buf_printf(b, ", %u Hz, period %u", m->jk.rate, m->jk.period);
	}
	nj_buf_printf(b, "; discovery %s", discovery_names[m->cfg.discovery]);
	manager_policy_status(m, b, false);
	for (unsigned i = 0; i < m->nlis; i++) {
		m->lis[i].ops->status_head(m->lis[i].l, b, false);
	}
	nj_buf_printf(b, "; %u of %d slaves\n", manager_running(m), m->cfg.max_slaves);
	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		const struct mslot *s = &m->slots[i];
		struct nj_status_row r = {0};
		uint64_t busy_max;
		bool direct;

		if (s->listener == NULL || s->releasing) {
			continue;
		}
		if (n++ == 0) {
			nj_status_text_header(b, "NAME");
		}
		counts_of(s, &r.c, &busy_max, &direct);
		r.name = s->d.name;
		r.protocol = s->lops->protocol;
		r.state = s->sess ? "running" : "setup";
		r.address = addr_text(&s->d.peer);
		r.encoder = s->d.encoder;
		r.audio_out = s->d.audio_out;
		r.audio_in = s->d.audio_in;
		r.midi_out = s->d.midi_out;
		r.midi_in = s->d.midi_in;
		r.latency_cycles = s->d.latency_cycles;
		r.latency_frames = s->d.latency_frames;
		r.uptime_s = (double)(now_us(m) - s->since_us) / 1e6;
		nj_status_text_row(b, &r);
	}
}

static void ctl_status(void *ud, bool json, struct nj_buf *out)
{
	(json ? status_json : status_text)(ud, out);
}

static int ctl_kick(void *ud, const char *name, struct nj_buf *out, const char **err)
{
	struct manager *m = ud;

	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		struct mslot *s = &m->slots[i];

		if (s->listener != NULL && !s->releasing &&
		    (strcmp(s->d.name, name) == 0 ||
		     (s->sess != NULL && strcmp(session_client_name(s->sess), name) == 0))) {
			log_notice("control socket: kicking slave \"%s\"", name);
			s->lops->end(s->listener, i, "kicked");
			nj_buf_printf(out, "ended the session of \"%s\"\n", name);
			return 0;
		}
	}
	*err = "kick: no such slave";
	return -ENOENT;
}

/* ------------------------------------------------------------ latency */

/*
 * Where a session's round trip goes, as a client on this server that sends
 * to the slave's ports and records their answer (the slave looping them)
 * hears it: our send ports' latency, the return's, and the one period of
 * JACK's graph between a client's output and its next input. The network's
 * own round trip, measured on the last cycles, against the time the
 * session allows it: L periods (latency 0: the wait within the cycle,
 * about three quarters of a period).
 */
static void latency_one(struct manager *m, const struct mslot *s, bool json, bool first,
			struct nj_buf *b)
{
	struct nj_runner_counters c = {0};
	const struct bridge *br = session_bridge(s->sess);
	const struct nj_rtt *t = &c.rtt;
	unsigned p = m->jk.period, ports[2], total;
	double fms = 1e3 / m->jk.rate, allowed_us, margin_us;

	session_snapshot(s->sess, &c);
	session_latency_frames(s->sess, ports); /* with what the peer reported */
	total = ports[0] + ports[1] + p;
	allowed_us = (s->d.latency_cycles ? s->d.latency_cycles : 0.75) * p * fms * 1e3;
	margin_us = allowed_us - t->max_us;
	if (json) {
		nj_buf_printf(b, "%s{\"name\":", first ? "" : ",");
		nj_buf_json_str(b, s->d.name);
		nj_buf_printf(b, ",\"protocol\":\"%s\",\"rate\":%u,\"period\":%u,"
				 "\"round_trip_frames\":%u,\"round_trip_ms\":%.3f,\"send_frames\":%u,"
				 "\"return_frames\":%u,\"graph_frames\":%u,\"latency_cycles\":%u",
			      s->lops->protocol, m->jk.rate, p, total, total * fms, ports[0], ports[1], p,
			      s->d.latency_cycles);
		if (t->window > 0) {
			nj_buf_printf(b, ",\"network\":{\"cycles\":%u,\"min_us\":%u,\"median_us\":%u,"
					 "\"p99_us\":%u,\"max_us\":%u,\"allowed_us\":%.0f,"
					 "\"margin_us\":%.0f}",
				      t->window, t->min_us, t->median_us, t->p99_us, t->max_us,
				      allowed_us, margin_us);
		}
		session_status_json(s->sess, b); /* the bridge, if any */
		nj_buf_printf(b, "}");
		return;
	}
	nj_buf_printf(b, "%s (%s at %s, period %u at %u Hz = %.2f ms)\n", s->d.name,
		      s->lops->protocol, addr_text(&s->d.peer), p, m->jk.rate, p * fms);
	nj_buf_printf(b, "  round trip through a loop at the slave: %u frames = %.2f ms\n", total,
		      total * fms);
	nj_buf_printf(b, "    to the slave's ports   %6u frames (%u the slave's own)\n", ports[0],
		      ports[0] - s->d.send_latency);
	nj_buf_printf(b, "    back to ours           %6u frames (latency %u: the periods the "
			 "answer has; %u the slave's own)\n",
		      ports[1], s->d.latency_cycles, ports[1] - s->d.return_latency);
	nj_buf_printf(b, "    JACK's graph           %6u frames (a client hears its own output "
			 "a period later)\n", p);
	if (t->window > 0) {
		nj_buf_printf(b, "  network round trip, last %u periods: min %.2f, median %.2f, "
				 "99%% %.2f, max %.2f ms\n",
			      t->window, t->min_us / 1e3, t->median_us / 1e3, t->p99_us / 1e3,
			      t->max_us / 1e3);
		nj_buf_printf(b, "  margin %.2f ms: the answer may come that much later than the "
				 "slowest did before a period is lost (%.2f ms allowed)\n",
			      margin_us / 1e3, allowed_us / 1e3);
	} else if (br != NULL) {
		struct bridge_stats bs;

		bridge_stats(br, &bs);
		nj_buf_printf(b, "  the peer keeps its own clock: the bridge holds %.0f frames "
				 "(target %.0f), jitter margin %.2f ms\n",
			      bs.fill_a, bs.target_a, bs.margin_us / 1e3);
	} else {
		nj_buf_printf(b, "  network round trip: no whole cycle measured yet\n");
	}
}

static int ctl_latency(void *ud, const char *name, bool json, struct nj_buf *out,
		       const char **err)
{
	struct manager *m = ud;
	unsigned n = 0;

	if (json) {
		nj_buf_printf(out, "{\"sessions\":[");
	}
	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		const struct mslot *s = &m->slots[i];

		if (s->listener == NULL || s->releasing || s->sess == NULL || !m->jack_up ||
		    (name[0] != '\0' && strcmp(s->d.name, name) != 0 &&
		     strcmp(session_client_name(s->sess), name) != 0)) {
			continue;
		}
		latency_one(m, s, json, n++ == 0, out);
	}
	if (json) {
		nj_buf_printf(out, "]}\n");
	}
	if (n == 0 && name[0] != '\0') {
		*err = "latency: no such session";
		return -ENOENT;
	}
	if (n == 0 && !json) {
		nj_buf_printf(out, "no session\n");
	}
	return 0;
}

static const struct nj_ctl_ops ctl_ops = {ctl_status, ctl_kick, ctl_latency};

int manager_ctl_open(struct manager *m)
{
	return nj_ctl_open(m->event, m->cfg.control, "master.sock", &ctl_ops, m, &m->ctl);
}
