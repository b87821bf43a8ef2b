/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slave-status.c - what netjack-slave says of its session: the control
 * socket's status (text and JSON, the bridge included), kick, and the log
 * lines of the bridge and of a session's end.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../common/clock.h"
#include "../common/log.h"
#include "../common/status.h"
#include "slave-private.h"

static void snapshot(const struct ssession *se, struct nj_runner_counters *c)
{
	if (se->runner != NULL) {
		nj_net_runner_snapshot(se->runner, c);
	} else {
		memset(c, 0, sizeof(*c));
	}
}

static void counts_of(const struct slave *s, const struct nj_runner_counters *c,
		      struct nj_status_counts *ret)
{
	*ret = (struct nj_status_counts){
		.cycles = c->cycles, .packets = c->x.rx.packets, .lost = c->x.rx.lost,
		.late = c->x.rx.late, .duplicate = c->x.rx.duplicate,
		.reordered = c->x.rx.reordered, .malformed = c->x.rx.malformed,
		.foreign = c->x.rx.foreign, .concealed = c->concealed,
		.xruns = nj_jclient_xruns(s->jack), .auth_failed = c->x.auth_failed,
		.replayed = c->x.replayed, .repaired = c->x.repaired, .sent = c->sent,
		.gso_sends = c->gso_sends, .gro_bursts = c->gro_bursts,
	};
}

void slave_log_session_end(struct slave *s, struct ssession *se, const char *why)
{
	struct nj_runner_counters c;
	struct bridge_stats st;

	snapshot(se, &c);
	bridge_stats(se->bridge, &st);
	log_notice("left the master at %s (%s) after %llu cycles: %llu concealed, %llu malformed, "
		   "%llu foreign packets; bridge: lock %.2f s, clock %+.1f ppm, ratio error %.2f ppm "
		   "rms, underruns %llu/%llu, slips %llu",
		   slave_addr_text(&se->d.master), why, (unsigned long long)c.cycles,
		   (unsigned long long)c.concealed, (unsigned long long)c.x.rx.malformed,
		   (unsigned long long)c.x.rx.foreign, st.lock_us / 1e6, st.clock_ppm,
		   st.ratio_err_rms_ppm, (unsigned long long)st.underruns_a,
		   (unsigned long long)st.underruns_b, (unsigned long long)st.slips);
}

void slave_log_bridge(struct slave *s, struct ssession *se)
{
	struct nj_runner_counters c;
	struct bridge_stats st;

	snapshot(se, &c);
	bridge_stats(se->bridge, &st);
	log_info("bridge: %s, ratio %.6f, clock %+.2f ppm, ratio error %.3f ppm rms (max %.3f), "
		 "lock %.2f s, fill %.1f/%.1f + %.1f/%.1f frames (rings %llu + %llu), underruns "
		 "%llu/%llu, overruns %llu/%llu, slips %llu, dropouts %llu, clock steps %llu/%llu, "
		 "late beyond margin %llu/%llu (max %.1f/%.1f ms), margin %.1f ms, resyncs %llu, "
		 "cycles %llu, concealed %llu (taken early: %llu at the next cycle, %llu at the "
		 "deadline)",
		 st.state == BRIDGE_RUNNING ? "running" : st.state == BRIDGE_PRIMING ? "priming" : "idle",
		 st.ratio, st.clock_ppm, st.ratio_err_rms_ppm, st.ratio_err_max_ppm, st.lock_us / 1e6,
		 st.fill_a, st.target_a, st.fill_b, st.target_b, (unsigned long long)st.ring_a,
		 (unsigned long long)st.ring_b, (unsigned long long)st.underruns_a,
		 (unsigned long long)st.underruns_b, (unsigned long long)st.overruns_a,
		 (unsigned long long)st.overruns_b, (unsigned long long)st.slips,
		 (unsigned long long)st.dropouts, (unsigned long long)st.steps_master,
		 (unsigned long long)st.steps_local, (unsigned long long)st.late_master,
		 (unsigned long long)st.late_local, st.late_max_master_us / 1e3,
		 st.late_max_local_us / 1e3, st.margin_us / 1e3, (unsigned long long)st.resyncs,
		 (unsigned long long)c.cycles, (unsigned long long)c.concealed,
		 (unsigned long long)c.taken_next, (unsigned long long)c.taken_deadline);
}


static void session_json(struct slave *s, const struct ssession *se, struct nj_buf *b)
{
	const struct nj_exchange_info *i = &se->d.x->info;
	struct nj_runner_counters c;
	struct nj_status_counts k;

	snapshot(se, &c);
	counts_of(s, &c, &k);
	k.auth = i->auth;
	nj_buf_printf(b, "{\"name\":");
	nj_buf_json_str(b, se->d.master_name);
	nj_buf_printf(b, ",\"protocol\":\"%s\",\"state\":\"%s\",\"address\":\"%s\",\"id\":%u,"
			 "\"audio_from_master\":%u,\"audio_to_master\":%u,"
			 "\"midi_from_master\":%u,\"midi_to_master\":%u,\"rate\":%u,"
			 "\"period\":%u,\"encoder\":\"%s\",\"kbps\":%u,\"mtu\":%u,"
			 "\"latency_cycles\":%u,\"latency_frames\":%u,\"uptime_s\":%.1f",
		      i->protocol, c.cycles ? "running" : "starting",
		      slave_addr_text(&se->d.master), se->d.id, i->audio_in, i->audio_out,
		      i->midi_in, i->midi_out, i->rate, i->period, se->d.encoder, se->d.kbps,
		      se->d.mtu, se->d.latency_cycles, se->d.latency_cycles * i->period,
		      (double)(nj_mono_us() - se->started_us) / 1e6);
	nj_status_json_counts(b, &k);
	nj_buf_printf(b, ",\"take_deadline_us\":%llu,", (unsigned long long)c.take_deadline_us);
	nj_bridge_status_json(b, se->bridge, (enum bridge_quality)s->cfg.resampler);
	nj_buf_printf(b, "}");
}

static void status_json(struct slave *s, struct nj_buf *b)
{
	nj_status_json_open(b, "slave", s->cfg.name[0] ? s->cfg.name : s->hostname,
			    (double)(nj_mono_us() - s->started_us) / 1e6);
	nj_buf_printf(b, ",\"client\":");
	nj_buf_json_str(b, slave_client_name(s));
	nj_buf_printf(b, ",\"jack\":{\"connected\":%s,\"rate\":%u,\"period\":%u,\"xruns\":%llu}",
		      s->jack_up ? "true" : "false", slave_jack_rate(s), slave_jack_period(s),
		      (unsigned long long)nj_jclient_xruns(s->jack));
	s->jops->status_head(s->j, b, true);
	nj_buf_printf(b, ",\"state\":\"%s\",\"sessions\":[",
		      s->sess ? "running" : s->jack_up ? "looking" : "waiting for JACK");
	if (s->sess != NULL) {
		session_json(s, s->sess, b);
	}
	nj_buf_printf(b, "]}\n");
}

static void status_text(struct slave *s, struct nj_buf *b)
{
	const struct ssession *se = s->sess;
	struct nj_runner_counters c;
	struct nj_status_row r = {0};
	struct bridge_stats st;

	nj_buf_printf(b, "netjack-slave \"%s\" %s: JACK client \"%s\" %s",
		      s->cfg.name[0] ? s->cfg.name : s->hostname, NETJACK_VERSION,
		      slave_client_name(s), s->jack_up ? "connected" : "waiting for the JACK server");
	if (s->jack_up) {
		nj_buf_printf(b, ", %u Hz, period %u, %llu xruns", slave_jack_rate(s),
			      slave_jack_period(s), (unsigned long long)nj_jclient_xruns(s->jack));
	}
	nj_buf_printf(b, "\n");
	if (se == NULL) {
		s->jops->status_head(s->j, b, false);
		return;
	}
	snapshot(se, &c);
	counts_of(s, &c, &r.c);
	r.c.auth = se->d.x->info.auth;
	bridge_stats(se->bridge, &st);
	r.name = se->d.master_name;
	r.protocol = se->d.x->info.protocol;
	r.state = c.cycles ? "running" : "starting";
	r.address = slave_addr_text(&se->d.master);
	r.encoder = se->d.encoder;
	r.audio_out = se->d.x->info.audio_out;
	r.audio_in = se->d.x->info.audio_in;
	r.midi_out = se->d.x->info.midi_out;
	r.midi_in = se->d.x->info.midi_in;
	r.latency_cycles = se->d.latency_cycles;
	r.latency_frames = se->d.latency_cycles * se->d.x->info.period;
	r.uptime_s = (double)(nj_mono_us() - se->started_us) / 1e6;
	nj_status_text_header(b, "MASTER");
	nj_status_text_row(b, &r);
	nj_buf_printf(b, "clock bridge: %s (%s), %s, master clock %+.1f ppm, ratio error %.2f ppm "
			 "rms, fill %.0f/%.0f frames, %llu underruns, %llu overruns, %llu resyncs\n",
		      nj_bridge_state_name(st.state),
		      bridge_quality_name((enum bridge_quality)s->cfg.resampler),
		      st.locked_at_us ? "locked" : "not locked", st.clock_ppm, st.ratio_err_rms_ppm,
		      st.fill_a, st.target_a, (unsigned long long)(st.underruns_a + st.underruns_b),
		      (unsigned long long)(st.overruns_a + st.overruns_b),
		      (unsigned long long)st.resyncs);
}

static void ctl_status(void *ud, bool json, struct nj_buf *out)
{
	(json ? status_json : status_text)(ud, out);
}

static int ctl_kick(void *ud, const char *name, struct nj_buf *out, const char **err)
{
	struct slave *s = ud;

	if (s->sess == NULL || strcmp(s->sess->d.master_name, name) != 0) {
		*err = "kick: no session with that master";
		return -ENOENT;
	}
	log_notice("control socket: leaving master \"%s\"", name);
	nj_buf_printf(out, "left master \"%s\"\n", name);
	s->jops->rejoin(s->j, "ended here");
	return 0;
}

/* The rings' targets in local frames, with the network's share each way
 * (slave-private.h; told to JACK by slave.c). */
void slave_session_delays(const struct slave *s, const struct ssession *se, unsigned ret[5])
{
	const struct nj_exchange_info *i = &se->d.x->info;
	double r = (double)slave_jack_rate(s) / i->rate;
	struct bridge_stats st;

	bridge_stats(se->bridge, &st);
	ret[0] = (unsigned)lround(st.target_a * r);
	ret[1] = (unsigned)lround((st.target_b + (double)se->d.latency_cycles * i->period) * r);
	ret[2] = (unsigned)lround((st.target_a + st.target_b) * r);
	ret[3] = (unsigned)lround(st.target_a);
	ret[4] = (unsigned)lround(st.target_b);
}

/*
 * Where the round trip goes, as a client here that plays to our ports and
 * records them hears it with a loop client on the master: what our ports
 * tell JACK each way (slave.c), this graph's period and the master's (its
 * loop client). The margin is the bridge's jitter margin: a cycle that
 * comes later than that is a glitch (netjack-master's own `latency` shows
 * the network's round trip against its latency).
 */
void slave_latency(struct slave *s, struct ssession *se, bool json, struct nj_buf *b)
{
	const struct nj_exchange_info *i = &se->d.x->info;
	unsigned rate = slave_jack_rate(s), p = slave_jack_period(s), f[5];
	unsigned pm = (unsigned)((double)i->period * rate / i->rate + 0.5);
	unsigned net = (unsigned)((double)se->d.latency_cycles * i->period * rate / i->rate + 0.5);
	unsigned total;
	double fms = 1e3 / rate;
	struct bridge_stats st;

	slave_session_delays(s, se, f);
	bridge_stats(se->bridge, &st);
	total = f[0] + f[1] + p + pm;
	if (json) {
		nj_buf_printf(b, "{\"sessions\":[{\"master\":");
		nj_buf_json_str(b, se->d.master_name);
		nj_buf_printf(b, ",\"protocol\":\"%s\",\"rate\":%u,\"period\":%u,"
				 "\"master_rate\":%u,\"master_period\":%u,\"latency_cycles\":%u,"
				 "\"round_trip_frames\":%u,\"round_trip_ms\":%.3f,"
				 "\"capture_frames\":%u,\"playback_frames\":%u,\"bridge_frames\":%u,"
				 "\"network_frames\":%u,\"graph_frames\":%u,\"master_graph_frames\":%u,"
				 "\"margin_ms\":%.2f,\"locked\":%s}]}\n",
			      i->protocol, rate, p, i->rate, i->period, se->d.latency_cycles, total,
			      total * fms, f[0], f[1], f[2], net, p, pm, st.margin_us / 1e3,
			      st.locked_at_us ? "true" : "false");
		return;
	}
	nj_buf_printf(b, "master \"%s\" (%s at %s, period %u at %u Hz; here %u at %u Hz)\n",
		      se->d.master_name, i->protocol, slave_addr_text(&se->d.master), i->period,
		      i->rate, p, rate);
	nj_buf_printf(b, "  round trip through a loop at the master: %u frames = %.2f ms\n", total,
		      total * fms);
	nj_buf_printf(b, "    to our capture ports   %6u frames (ring A of the bridge)\n", f[0]);
	nj_buf_printf(b, "    from our playback ports%6u frames (ring B %u, the master's "
			 "latency %u)\n",
		      f[1], f[1] - net, net);
	nj_buf_printf(b, "    JACK's graph here      %6u frames, the master's %u\n", p, pm);
	nj_buf_printf(b, "  bridge: %u frames in all, %s, jitter margin %.2f ms (raised %llu "
			 "times, lowered %llu); cycles later than it: %llu here, %llu from "
			 "the master\n",
		      f[2], st.locked_at_us ? "locked" : "not locked yet", st.margin_us / 1e3,
		      (unsigned long long)st.margin_raises, (unsigned long long)st.margin_lowers,
		      (unsigned long long)st.late_local,
		      (unsigned long long)st.late_master);
}

static int ctl_latency(void *ud, const char *name, bool json, struct nj_buf *out,
		       const char **err)
{
	struct slave *s = ud;

	if (s->sess == NULL || (name[0] != '\0' && strcmp(s->sess->d.master_name, name) != 0)) {
		*err = "latency: no session with that master";
		return -ENOENT;
	}
	slave_latency(s, s->sess, json, out);
	return 0;
}

static const struct nj_ctl_ops ctl_ops = {ctl_status, ctl_kick, ctl_latency};

int slave_ctl_open(struct slave *s)
{
	return nj_ctl_open(s->event, s->cfg.control, "slave.sock", &ctl_ops, s, &s->ctl);
}
