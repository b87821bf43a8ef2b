/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slave.c - netjack-slave's core: the local JACK client and its ports, the
 * session a joiner hands over (its network runner and clock bridge), the
 * bridge's log lines, the control socket. No protocol here (slave.h).
 *
 * The JACK callback sees ports and bridge only through a published view;
 * a view that is replaced is freed once the callback has let go of it
 * (retire.h), never by waiting for it. The ports outlive sessions, so
 * connections on this host survive a master that goes away.
 */
#include <errno.h>
#include <jack/jack.h>
#include <jack/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "../common/bridgeio.h"
#include "../common/clock.h"
#include "../common/jclient.h"
#include "../common/log.h"
#include "../common/retire.h"
#include "slave-private.h"

#define WATCH_US 100000
#define STATS_EVERY_US 2000000
/* A cycle still incomplete this long after its first packet is taken:
 * twice the spread of complete cycles and a pad, within these bounds. */
#define TAKE_MIN_US 400
#define TAKE_MAX_US 2000
#define TAKE_PAD_US 250

static const struct nj_port_names slave_ports = {
	.audio_in = "playback", .audio_out = "capture",
	.midi_in = "midi_playback", .midi_out = "midi_capture",
};

/* Metadata for patchbays and DAWs: which master the ports lead to. */
static void describe(const struct slave *s, const struct ssession *se)
{
	static const char *const dir[4] = {"to", "from", "MIDI to", "MIDI from"};
	const struct nj_exchange_info *i = &se->d.x->info;
	const char *addr = slave_addr_text(&se->d.master);
	const char *what[3] = {i->protocol, addr, i->auth ? i->auth : "none"};
	char pretty[400];

	snprintf(pretty, sizeof(pretty), "master %s (%s at %s)", se->d.master_name, i->protocol,
		 addr);
	nj_ports_describe(nj_jclient_get(s->jack), &s->ports, se->d.master_name, dir, pretty, what);
}

void slave_config_defaults(struct slave_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->multicast_ip, sizeof(c->multicast_ip), "%s", NJ2_DEFAULT_MCAST_IP);
	c->port = 0; /* the protocol's (main.c) */
	c->bits = 16;
	c->redundancy = 1;
	snprintf(c->client_name, sizeof(c->client_name), "netjack");
	c->capture = c->playback = c->midi_capture = c->midi_playback = -1;
	c->latency = 2;
	c->encoder = ENC_FLOAT;
	c->kbps = 128;
	c->mtu = 1500;
	c->resampler = BRIDGE_MEDIUM;
	c->margin_us = 1000;
	c->margin_max_us = 20000;
	c->timeout_us = 1500000;
}

/* ------------------------------------------- latency told to JACK's ports */

/*
 * A DAW here compensates what our ports tell: from the master's send ports
 * to our capture ports the master's own send latency and ring A (the
 * master's period, ours and the jitter margin), from our playback ports to
 * the master's receive ports ring B (the margin) and the master's latency
 * (L of its periods). The rings' targets move with the margin: the watch
 * tells JACK again when it does. JACK asks from a thread of its own: it
 * reads a copy of the ports under lat_lock, never held across a JACK call.
 */
static void latency_cb(jack_latency_callback_mode_t mode, void *arg)
{
	struct slave *s = arg;
	bool cap = mode == JackCaptureLatency;

	pthread_mutex_lock(&s->lat_lock);
	if (s->lat_view != NULL) {
		jack_latency_range_t r = {.min = s->lat_frames[!cap], .max = s->lat_frames[!cap]};
		const struct nj_port_group *g[2] = {
			cap ? &s->lat_view->audio_out : &s->lat_view->audio_in,
			cap ? &s->lat_view->midi_out : &s->lat_view->midi_in};

		for (unsigned k = 0; k < 2; k++) {
			for (unsigned p = 0; p < g[k]->n; p++) {
				jack_port_set_latency_range(g[k]->port[p], mode, &r);
			}
		}
	}
	pthread_mutex_unlock(&s->lat_lock);
}

/* The ports the callback may touch: the registered ones, or none while
 * they change (@on false). */
static void latency_ports(struct slave *s, bool on)
{
	struct nj_ports *v = on ? malloc(sizeof(*v)) : NULL, *old;

	if (v != NULL) {
		*v = s->ports;
	}
	pthread_mutex_lock(&s->lat_lock);
	old = s->lat_view;
	s->lat_view = v;
	pthread_mutex_unlock(&s->lat_lock);
	free(old);
}

/* What the session (none: 0) makes our ports' latency now; JACK is told
 * again if it changed. */
static void latency_update(struct slave *s)
{
	unsigned f[5] = {0, 0, 0, 0, 0};
	bool changed;

	if (s->sess != NULL && s->sess->bridge != NULL) {
		slave_session_delays(s, s->sess, f);
	}
	pthread_mutex_lock(&s->lat_lock);
	changed = (f[0] != s->lat_frames[0] || f[1] != s->lat_frames[1]) && s->lat_view != NULL;
	s->lat_frames[0] = f[0];
	s->lat_frames[1] = f[1];
	pthread_mutex_unlock(&s->lat_lock);
	if (changed && s->jack_up) {
		jack_recompute_total_latencies(nj_jclient_get(s->jack));
	}
	/* and the master, where it takes it (a netjack master): every second
	 * as well, a report may be lost */
	if (s->sess != NULL && s->jops->latency != NULL &&
	    (f[3] != s->lat_told[0] || f[4] != s->lat_told[1] ||
	     nj_mono_us() - s->lat_told_us >= 1000000)) {
		s->lat_told[0] = f[3];
		s->lat_told[1] = f[4];
		s->lat_told_us = nj_mono_us();
		if (f[3] != 0) {
			s->jops->latency(s->j, f[3], f[4]);
		}
	}
}

/* ------------------------------------------------------ views (JACK side) */

static int process(jack_nframes_t n, void *arg)
{
	struct slave *s = arg;
	struct nj_bridge_io *v;

	nj_retire_enter(&s->gate);
	v = atomic_load(&s->view);
	if (v != NULL) {
		nj_bridge_io_cycle(v, n);
	}
	nj_retire_leave(&s->gate);
	return 0;
}

static void view_free(void *p)
{
	struct nj_bridge_io *v = p;

	if (v != NULL) {
		nj_bridge_io_fini(v);
		free(v);
	}
}

/* Publish @v (NULL: the callback touches nothing); the old one goes later. */
static void view_publish(struct slave *s, struct nj_bridge_io *v)
{
	struct nj_bridge_io *old = atomic_exchange(&s->view, v);

	if (old != NULL) {
		nj_retire_later(s->retire, view_free, old);
	}
}

/* A view of the first @counts registered ports, for @b (NULL: silence). */
static struct nj_bridge_io *view_make(const struct slave *s, const unsigned counts[4],
				      struct bridge *b, unsigned reply_ch, unsigned reply_period)
{
	struct nj_bridge_io *v = calloc(1, sizeof(*v));

	if (v == NULL || nj_bridge_io_init(v, counts[3], reply_ch, reply_period) < 0) {
		view_free(v);
		return NULL;
	}
	v->ports = s->ports;
	v->ports.audio_in.n = counts[0];
	v->ports.audio_out.n = counts[1];
	v->ports.midi_in.n = counts[2];
	v->ports.midi_out.n = counts[3];
	/* the capture ports start wanted until the callback says */
	for (unsigned i = 0; i < counts[1]; i++) {
		v->connected[i / 64] |= 1ull << (i % 64);
	}
	v->bridge = b;
	/* (no client: the bridge's local clock stays our callback's wake-up
	 * here; with the cycle's start, JackTrip p2p's round trip through this
	 * bridge passed in none of 7 attempts, against 2 of 4 on the wake-up.
	 * JackTrip's bursts taken as clock steps were part of that, on either
	 * clock (clock.h); the cycle's start has not been tried since) */
	return v;
}

static void registered(const struct slave *s, unsigned ret[4])
{
	ret[0] = s->ports.audio_in.n;
	ret[1] = s->ports.audio_out.n;
	ret[2] = s->ports.midi_in.n;
	ret[3] = s->ports.midi_out.n;
}

/* Silence on the registered ports (no session). */
static void view_idle(struct slave *s)
{
	unsigned c[4];

	registered(s, c);
	view_publish(s, view_make(s, c, NULL, 0, 0));
}

/* ------------------------------------------------------------- sessions */

static void session_free(void *p)
{
	struct ssession *se = p;

	if (se == NULL) {
		return;
	}
	nj_net_runner_free(se->runner);
	view_free(se->io_unpublished);
	bridge_free(se->bridge);
	nj_exchange_free(se->d.x);
	nj_runlink_fini(&se->link);
	free(se);
}

static void on_control(void *ud, const uint8_t *buf, size_t len)
{
	struct slave *s = ud;

	if (s->sess != NULL) {
		s->jops->control(s->j, buf, len);
	}
}

static void on_dead(void *ud)
{
	struct slave *s = ud;

	if (s->sess != NULL) {
		log_notice("the master's socket is gone (connection refused)");
		s->jops->rejoin(s->j, "the master's socket is gone");
	}
}

/* The registered ports match the session now: bridge it and start its runner. */
static int session_run(struct slave *s, struct ssession *se)
{
	const struct nj_exchange_info *i = &se->d.x->info;
	const unsigned counts[4] = {i->audio_out, i->audio_in, i->midi_out, i->midi_in};
	struct nj_net_runner_config rc = {
		.x = se->d.x, .fd = se->d.fd, .peer = se->d.master, .control_fd = se->link.ctl[0],
		.notify_fd = se->link.notify_fd, .priority = s->rt_priority,
		.consumer = &nj_bridge_io_consumer, .offload = s->cfg.udp_offload == 0,
		.take_min_us = TAKE_MIN_US, .take_max_us = TAKE_MAX_US, .take_pad_us = TAKE_PAD_US,
	};
	struct nj_bridge_io *v;

	latency_ports(s, false);
	if (nj_ports_resize(nj_jclient_get(s->jack), &s->ports, &slave_ports, counts) < 0) {
		return -EIO;
	}
	latency_ports(s, true);
	latency_update(s);
	describe(s, se);
	v = view_make(s, counts, se->bridge, i->audio_out, i->period);
	if (v == NULL) {
		return -ENOMEM;
	}
	rc.consumer_ud = v;
	if (se->d.send_own) {
		v->tx_x = se->d.x;
		v->tx_fd = se->d.fd;
		v->tx_peer = se->d.master;
	}
	se->io_unpublished = v;
	if (nj_net_runner_new(&rc, &se->runner) < 0) {
		return -ENOMEM;
	}
	se->io_unpublished = NULL;
	view_publish(s, v);
	return 0;
}

static int session_alloc(struct slave *s, struct ssession *se)
{
	const struct nj_exchange_info *i = &se->d.x->info;
	struct bridge_config bc = {
		.capture_ch = i->audio_in, .playback_ch = se->d.send_own ? 0 : i->audio_out,
		.midi_capture_ch = i->midi_in, .midi_playback_ch = i->midi_out,
		.master_period = i->period, .master_rate = i->rate,
		.local_period = slave_jack_period(s), .local_rate = slave_jack_rate(s),
		.quality = (enum bridge_quality)s->cfg.resampler, .margin_us = s->cfg.margin_us,
		.margin_max_us = s->cfg.margin_max_us, .midi_max_events = NJ_PORTS_MIDI_EVENTS,
	};
	int r;

	if (bc.quality == BRIDGE_NONE && bc.master_rate != bc.local_rate) {
		log_err("cannot run the session: --resampler none needs the master's sample rate "
			"here");
		return -EINVAL;
	}
	se->local_period = bc.local_period;
	r = bridge_new(&bc, &se->bridge);
	if (r < 0) {
		log_err("cannot run the session: cannot set up the clock bridge: %s", strerror(-r));
		return r;
	}
	return nj_runlink_init(&se->link, s->event, on_control, on_dead, s);
}

/* The callback no longer sees the old view: the ports can change. */
static void ports_free_to_change(void *p)
{
	struct slave *s = p;
	struct ssession *se = s->sess;
	int r;

	s->pending_run = false;
	if (se == NULL || se->runner != NULL) {
		return;
	}
	r = session_run(s, se);
	if (r < 0) {
		log_err("cannot run the session with %s: %s", slave_addr_text(&se->d.master),
			strerror(-r));
		s->jops->rejoin(s->j, "the session could not run");
	}
}

int slave_join(struct slave *s, const struct join_desc *d)
{
	struct ssession *se = calloc(1, sizeof(*se));
	const struct nj_exchange_info *i = &d->x->info;
	unsigned have[4];
	int r;

	if (se == NULL || !s->jack_up) {
		nj_exchange_free(d->x);
		free(se);
		return -ENOMEM;
	}
	se->d = *d;
	se->link = (struct nj_runlink){.ctl = {-1, -1}, .notify_fd = -1};
	se->started_us = nj_mono_us();
	r = session_alloc(s, se);
	if (r < 0) {
		session_free(se);
		return r;
	}
	s->sess = se;
	registered(s, have);
	log_notice("joined master \"%s\" at %s: %u Hz, period %u, audio %u in / %u out, MIDI %u/%u, "
		   "%s, latency %u, authentication %s; bridged into JACK at %u Hz, period %u "
		   "(%s resampling)",
		   d->master_name, slave_addr_text(&d->master), i->rate, i->period, i->audio_in,
		   i->audio_out, i->midi_in, i->midi_out, d->encoder, d->latency_cycles,
		   i->auth ? i->auth : "none",
		   slave_jack_rate(s), slave_jack_period(s),
		   bridge_quality_name((enum bridge_quality)s->cfg.resampler));
	sd_notifyf(false, "STATUS=joined %s", slave_addr_text(&d->master));
	if (have[0] == i->audio_out && have[1] == i->audio_in && have[2] == i->midi_out &&
	    have[3] == i->midi_in) {
		ports_free_to_change(s);
	} else {
		/* the callback must let go of ports that are to go: a view with
		 * only those both sessions have, the rest once it let go */
		const unsigned keep[4] = {
			have[0] < i->audio_out ? have[0] : i->audio_out,
			have[1] < i->audio_in ? have[1] : i->audio_in,
			have[2] < i->midi_out ? have[2] : i->midi_out,
			have[3] < i->midi_in ? have[3] : i->midi_in,
		};

		view_publish(s, view_make(s, keep, NULL, 0, 0));
		s->pending_run = true;
		nj_retire_later(s->retire, ports_free_to_change, s);
	}
	sd_event_source_set_time_relative(s->watch, WATCH_US);
	sd_event_source_set_enabled(s->watch, SD_EVENT_ON);
	return 0;
}

void slave_leave(struct slave *s, const char *why)
{
	struct ssession *se = s->sess;

	if (se == NULL) {
		return;
	}
	nj_net_runner_stop(se->runner); /* its counters are final after this */
	slave_log_session_end(s, se, why);
	s->sess = NULL;
	latency_update(s);
	sd_event_source_set_enabled(s->watch, SD_EVENT_OFF);
	if (s->jack_up) {
		view_idle(s);
	}
	/* after the callback let go of the bridge */
	nj_retire_later(s->retire, session_free, se);
	sd_notify(false, "STATUS=looking for a master");
}

uint64_t slave_last_rx(const struct slave *s)
{
	struct nj_runner_counters c;

	if (s->sess == NULL || s->sess->runner == NULL) {
		return 0;
	}
	nj_net_runner_snapshot(s->sess->runner, &c);
	return c.last_rx_us;
}

/* -------------------------------------------------- the bridge's log lines */

static int watch(sd_event_source *es, uint64_t usec, void *ud)
{
	struct slave *s = ud;
	struct ssession *se = s->sess;
	struct bridge_stats st;
	uint64_t now = nj_mono_us();

	if (se == NULL) {
		return 0;
	}
	bridge_stats(se->bridge, &st);
	latency_update(s); /* the rings' targets: set when primed, moved by a raise */
	if (st.locked_at_us != 0 && st.locked_at_us != se->lock_seen_us) {
		bool again = se->lock_seen_us != 0;

		se->lock_seen_us = st.locked_at_us;
		if (again) {
			log_info("clock bridge locked again (clock steps %llu/%llu, resyncs %llu so "
				 "far)", (unsigned long long)st.steps_master,
				 (unsigned long long)st.steps_local, (unsigned long long)st.resyncs);
		} else {
			log_notice("clock bridge locked after %.2f s: master clock %+.1f ppm against "
				   "this one", st.lock_us / 1e6, st.clock_ppm);
		}
		se->last_stats_us = now;
	}
	if (st.margin_raises != se->margin_raises_logged) {
		se->margin_raises_logged = st.margin_raises;
		log_notice("clock bridge: jitter margin raised to %.1f ms (cycles came up to %.1f ms "
			   "late here, %.1f ms from the master)", st.margin_us / 1e3,
			   st.late_max_local_us / 1e3, st.late_max_master_us / 1e3);
	}
	if (st.margin_lowers != se->margin_lowers_logged) {
		se->margin_lowers_logged = st.margin_lowers;
		log_notice("clock bridge: jitter margin lowered to %.1f ms (a quiet spell)",
			   st.margin_us / 1e3);
	}
	if (now - se->last_stats_us >= STATS_EVERY_US) {
		slave_log_bridge(s, se);
		se->last_stats_us = now;
	}
	sd_event_source_set_time(es, usec + WATCH_US);
	sd_event_source_set_enabled(es, SD_EVENT_ON);
	return 0;
}

/* ----------------------------------------------------------------- JACK */

static int jack_setup(void *ud, jack_client_t *c)
{
	struct slave *s = ud;

	jack_set_process_callback(c, process, s);
	jack_set_latency_callback(c, latency_cb, s);
	return jack_activate(c) == 0 ? 0 : -EIO;
}

static void jack_opened(void *ud, jack_client_t *c)
{
	struct slave *s = ud;
	const struct slave_config *k = &s->cfg;
	unsigned want[4];

	if (s->shutting_down) {
		return;
	}
	if (c == NULL) {
		/* ready while it waits (systemd's start timeout would restart it) */
		sd_notify(false, "READY=1\nSTATUS=waiting for the JACK server");
		return;
	}
	s->jack_up = true;
	s->rt_priority = jack_client_real_time_priority(c);
	/* Ports known before a master answers: the counts asked for (-1: none
	 * until the master says how many). The last session's counts win. */
	want[0] = s->last[0] ? s->last[0] : k->playback > 0 ? (unsigned)k->playback : 0;
	want[1] = s->last[1] ? s->last[1] : k->capture > 0 ? (unsigned)k->capture : 0;
	want[2] = s->last[2] ? s->last[2] : k->midi_playback > 0 ? (unsigned)k->midi_playback : 0;
	want[3] = s->last[3] ? s->last[3] : k->midi_capture > 0 ? (unsigned)k->midi_capture : 0;
	latency_ports(s, false);
	memset(&s->ports, 0, sizeof(s->ports));
	nj_ports_resize(c, &s->ports, &slave_ports, want);
	latency_ports(s, true);
	view_idle(s);
	log_notice("connected to JACK as \"%s\": %u Hz, period %u; looking for a master",
		   jack_get_client_name(c), jack_get_sample_rate(c), jack_get_buffer_size(c));
	sd_notify(false, "READY=1\nSTATUS=looking for a master");
	s->jops->start(s->j);
}

static void jack_gone(void *ud)
{
	struct slave *s = ud;

	log_warn("the JACK server went away: leaving the master until it is back");
	latency_ports(s, false); /* nothing to tell a server that is gone */
	s->jops->stop(s->j); /* ends the session */
	slave_leave(s, "JACK went away");
	registered(s, s->last);
	s->jack_up = false;
	view_publish(s, NULL); /* the client opens again when the server is back */
}

static void jack_format(void *ud)
{
	struct slave *s = ud;

	if (s->sess != NULL && slave_jack_period(s) != s->sess->local_period) {
		/* the bridge is sized for the local period: rejoin with the new one */
		log_notice("the local JACK period changed to %u: rejoining", slave_jack_period(s));
		s->jops->rejoin(s->j, "the local JACK period changed");
	}
}

static const struct nj_jclient_ops jack_ops = {
	.setup = jack_setup,
	.opened = jack_opened,
	.shutdown = jack_gone,
	.format = jack_format,
};

static int housekeeping(sd_event_source *es, uint64_t usec, void *ud)
{
	struct slave *s = ud;

	if (!s->shutting_down && nj_jclient_stuck(s->jack, "netjack-slave")) {
		slave_shutdown(s, EXIT_FAILURE);
		return 0;
	}
	sd_event_source_set_time(es, usec + 1000000);
	sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
	return 0;
}

/* ------------------------------------------------------------ lifecycle */

int slave_new(sd_event *e, const struct slave_config *cfg, struct slave **ret)
{
	struct slave *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL) {
		return -ENOMEM;
	}
	s->event = sd_event_ref(e);
	s->cfg = *cfg;
	pthread_mutex_init(&s->lat_lock, NULL);
	s->started_us = nj_mono_us();
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) < 0) {
		snprintf(s->hostname, sizeof(s->hostname), "netjack");
	}
	r = nj_retire_new(e, &s->gate, &s->retire);
	if (r >= 0) {
		r = nj_jclient_new(e, &jack_ops, s, &s->jack);
	}
	if (r >= 0) {
		r = nj_jclient_keep(s->jack, s->cfg.client_name);
	}
	if (r >= 0) {
		r = sd_event_add_time_relative(e, &s->watch, CLOCK_MONOTONIC, WATCH_US, 10000, watch,
					       s);
		if (r >= 0) {
			sd_event_source_set_enabled(s->watch, SD_EVENT_OFF);
		}
	}
	if (r >= 0) {
		r = sd_event_add_time_relative(e, &s->housekeeping, CLOCK_MONOTONIC, 1000000, 100000,
					       housekeeping, s);
	}
	if (r >= 0) {
		r = slave_ctl_open(s);
	}
	if (r < 0) {
		slave_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void slave_set_joiner(struct slave *s, const struct joiner_ops *ops, void *j)
{
	s->jops = ops;
	s->j = j;
}

void slave_shutdown(struct slave *s, int code)
{
	if (!s->shutting_down) {
		s->shutting_down = true;
		sd_notify(false, "STOPPING=1");
		if (s->jops != NULL) {
			s->jops->stop(s->j);
		}
		slave_leave(s, "shutting down");
	}
	sd_event_exit(s->event, code);
}

void slave_free(struct slave *s)
{
	if (s == NULL) {
		return;
	}
	s->shutting_down = true;
	slave_leave(s, "shutting down");
	if (s->jops != NULL) {
		s->jops->free(s->j);
	}
	if (!nj_jclient_free_now(s->jack)) {
		return; /* the server never let the client go: its callback may
			 * still run, so what it uses is left to the exit */
	}
	view_free(atomic_exchange(&s->view, NULL));
	latency_ports(s, false);
	pthread_mutex_destroy(&s->lat_lock);
	nj_retire_free(s->retire);
	nj_ctl_free(s->ctl);
	sd_event_source_disable_unref(s->watch);
	sd_event_source_disable_unref(s->housekeeping);
	sd_event_unref(s->event);
	free(s);
}
