/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * manager.c - netjack-master's slot table, JACK control client and control
 * socket, for every protocol alike.
 *
 * A JACK server that is not running is waited for (never started); one that
 * goes away ends every session, and the manager reconnects when it is back.
 * The listeners (one per protocol) own their sockets and handshakes; the
 * manager owns what a session is on this host: a slot counted against
 * --max-slaves, a JACK client opened off the loop, a runner.
 */
#include <errno.h>
#include <jack/jack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "../common/clock.h"
#include "../common/ctl.h"
#include "../common/jclient.h"
#include "../common/log.h"
#include "../common/status.h"
#include "manager-private.h"

#define HOUSEKEEPING_US 1000000

void master_config_defaults(struct master_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->multicast_ip, sizeof(c->multicast_ip), "%s", NJ2_DEFAULT_MCAST_IP);
	c->port = NJ2_DEFAULT_PORT;
	c->max_slaves = 32;
	c->redundancy = 1;
	c->max_channels = NJ_MAX_CHANNELS;
	c->mtu_min = NJ_MTU_MIN;
	c->mtu_max = NJ_MTU_MAX;
	c->timeout_us = 2000000;
	c->setup_retry_us = 1000000;
	c->setup_tries = 5;
	snprintf(c->client_name, sizeof(c->client_name), "netjack-master");
}

/* ------------------------------------------------------------ the seam */

const char *manager_name(const struct manager *m)
{
	return m->cfg.name;
}

const char *manager_host(const struct manager *m)
{
	return m->hostname;
}

sd_event *manager_event(const struct manager *m)
{
	return m->event;
}

unsigned slot_running(const struct manager *m)
{
	return manager_running(m);
}

void manager_status_changed(struct manager *m)
{
	/* the session table exists only once JACK has given us a format;
	 * READY=1 goes with the status, so that no reader of the unit sees
	 * "waiting" while it is still activating */
	sd_notifyf(false, "%sSTATUS=%u slave(s)%s", m->ready ? "READY=1\n" : "", slot_running(m),
		   m->jack_up ? ""
		   : m->ready ? ", waiting for the JACK server"
			      : ", connecting to the JACK server");
	for (unsigned i = 0; i < m->nlis; i++) {
		m->lis[i].ops->publish(m->lis[i].l);
	}
}

int slot_claim(struct manager *m, void *listener, const struct slot_desc *d)
{
	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		struct mslot *s = &m->slots[i];

		if (s->listener == NULL) {
			s->listener = listener;
			s->lops = NULL;
			for (unsigned k = 0; k < m->nlis; k++) {
				s->lops = m->lis[k].l == listener ? m->lis[k].ops : s->lops;
			}
			s->d = *d;
			s->d.x = NULL;
			s->d.fd = -1;
			s->since_us = now_us(m);
			s->ready = false;
			return (int)i;
		}
	}
	return -ENOSPC;
}

static void on_ready(void *ud, bool ok)
{
	struct mslot *s = ud;

	s->ready = ok;
	if (ok) {
		log_notice("slave \"%s\" at %s joined as JACK client \"%s\"", s->d.name,
			   addr_text(&s->d.peer), session_client_name(s->sess));
		manager_status_changed(s->m);
	} else {
		log_err("slave \"%s\": cannot open its JACK client", s->d.name);
	}
	s->lops->ready(s->listener, s->index, ok);
}

static void on_dead(void *ud)
{
	struct mslot *s = ud;

	if (s->releasing) {
		return;
	}
	log_notice("slave session %u: the peer is gone (connection refused) or JACK dropped its "
		   "client", s->index);
	s->lops->end(s->listener, s->index, "gone");
}

static void on_notice(void *ud)
{
	struct mslot *s = ud;

	if (!s->releasing) {
		s->lops->notice(s->listener, s->index);
	}
}

static void on_control(void *ud, const uint8_t *buf, size_t len)
{
	struct mslot *s = ud;

	if (!s->releasing) {
		s->lops->control(s->listener, s->index, buf, len);
	}
}

static void on_released(void *ud)
{
	struct mslot *s = ud;

	s->sess = NULL;
	s->releasing = false;
	s->listener = NULL;
	manager_status_changed(s->m);
}

static const struct session_ops session_ops = {
	.ready = on_ready,
	.dead = on_dead,
	.notice = on_notice,
	.control = on_control,
	.released = on_released,
};

int slot_start(struct manager *m, unsigned slot, const struct slot_desc *d)
{
	struct mslot *s = &m->slots[slot];
	int r;

	s->d = *d;
	s->d.offload = m->cfg.udp_offload == 0;
	s->since_us = now_us(m);
	r = session_new(m->event, &s->d, m->cfg.auto_connect, &session_ops, s, &s->sess);
	s->d.x = NULL;
	s->d.fd = -1;
	return r;
}

void slot_release(struct manager *m, unsigned slot, const char *why)
{
	struct mslot *s = &m->slots[slot];
	struct nj_runner_counters c;

	if (s->listener == NULL || s->releasing) {
		return;
	}
	if (s->sess == NULL) {
		s->listener = NULL;
		return;
	}
	session_snapshot(s->sess, &c);
	log_notice("slave at %s left (%s) after %llu cycles: %llu lost, %llu late, %llu malformed "
		   "packets (%llu more dropped by the kernel), %llu concealed cycles; callback "
		   "mean %.1f us, max %llu us",
		   addr_text(&s->d.peer), why, (unsigned long long)c.cycles,
		   (unsigned long long)c.x.rx.lost, (unsigned long long)c.x.rx.late,
		   (unsigned long long)c.x.rx.malformed, (unsigned long long)c.dropped,
		   (unsigned long long)c.concealed,
		   c.cycles ? (double)c.busy_us / (double)c.cycles : 0.0,
		   (unsigned long long)c.busy_max_us);
	s->releasing = true;
	if (m->shutting_down) {
		session_free_now(s->sess);
		on_released(s);
	} else {
		session_release(s->sess); /* on_released follows */
	}
	manager_status_changed(m);
}

uint64_t slot_last_rx(struct manager *m, unsigned slot)
{
	struct nj_runner_counters c;

	if (m->slots[slot].sess == NULL || !m->slots[slot].ready) {
		return 0;
	}
	session_snapshot(m->slots[slot].sess, &c);
	return c.last_rx_us;
}

bool slot_uncounted(struct manager *m, unsigned slot)
{
	struct nj_runner_counters c;

	if (m->slots[slot].sess == NULL || !m->slots[slot].ready) {
		return false;
	}
	session_snapshot(m->slots[slot].sess, &c);
	return c.x.peer_uncounted;
}

void slot_peer_latency(struct manager *m, unsigned slot, unsigned after, unsigned before)
{
	struct mslot *s = &m->slots[slot];

	if (s->sess != NULL && !s->releasing) {
		session_peer_latency(s->sess, after, before);
	}
}

static void end_all(struct manager *m, const char *why)
{
	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		struct mslot *s = &m->slots[i];

		if (s->listener != NULL && !s->releasing) {
			s->lops->end(s->listener, i, why);
		}
	}
}

/* ---------------------------------------------------------------- JACK */

static int count_ports(jack_client_t *c, const char *type, unsigned long flags)
{
	const char **ports = jack_get_ports(c, NULL, type, flags | JackPortIsPhysical);
	int n = 0;

	while (ports != NULL && ports[n] != NULL) {
		n++;
	}
	jack_free(ports);
	return n;
}

/* On the open thread: what the listeners need of the server, then activate. */
static int jack_setup(void *ud, jack_client_t *c)
{
	struct manager *m = ud;

	m->jk = (struct master_jack){
		.rate = jack_get_sample_rate(c),
		.period = jack_get_buffer_size(c),
		.phys_audio_capture = count_ports(c, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput),
		.phys_audio_playback = count_ports(c, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput),
		.phys_midi_capture = count_ports(c, JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput),
		.phys_midi_playback = count_ports(c, JACK_DEFAULT_MIDI_TYPE, JackPortIsInput),
	};
	return jack_activate(c) == 0 ? 0 : -EIO;
}

static void start_listeners(struct manager *m)
{
	for (unsigned i = 0; i < m->nlis; i++) {
		int r = m->lis[i].ops->start(m->lis[i].l, &m->jk);

		if (r < 0) {
			log_err("%s: cannot listen: %s", m->lis[i].ops->protocol, strerror(-r));
			manager_shutdown(m, EXIT_FAILURE);
			return;
		}
	}
}

static void jack_opened(void *ud, jack_client_t *c)
{
	struct manager *m = ud;

	if (m->shutting_down) {
		return;
	}
	if (c == NULL) {
		/* up and waiting for the server is a running service: ready, or
		 * systemd's start timeout would kill and restart it every 90 s */
		m->ready = true;
		manager_status_changed(m); /* waiting for the JACK server */
		return;
	}
	m->jack_up = true;
	start_listeners(m);
	if (!m->shutting_down) {
		m->ready = true;
		manager_status_changed(m);
	}
}

static void jack_gone(void *ud)
{
	struct manager *m = ud;

	log_warn("the JACK server went away: ending all sessions");
	end_all(m, "JACK went away");
	for (unsigned i = 0; i < m->nlis; i++) {
		m->lis[i].ops->stop(m->lis[i].l);
	}
	m->jack_up = false;
	manager_status_changed(m); /* the client opens again when the server is back */
}

static void jack_format(void *ud)
{
	struct manager *m = ud;
	jack_client_t *c = nj_jclient_get(m->jack);

	if (c == NULL || !m->jack_up ||
	    (jack_get_sample_rate(c) == m->jk.rate && jack_get_buffer_size(c) == m->jk.period)) {
		return;
	}
	/* jack2's masters leave when the rate or period changes; the slaves
	 * come back and get the new format. */
	log_notice("JACK format changed to %u Hz, period %u: ending all sessions",
		   jack_get_sample_rate(c), jack_get_buffer_size(c));
	end_all(m, "the JACK format changed");
	m->jk.rate = jack_get_sample_rate(c);
	m->jk.period = jack_get_buffer_size(c);
	start_listeners(m);
	manager_status_changed(m);
}

static const struct nj_jclient_ops jack_ops = {
	.setup = jack_setup,
	.opened = jack_opened,
	.shutdown = jack_gone,
	.format = jack_format,
};

/* --------------------------------------------------------- housekeeping */

static int housekeeping(sd_event_source *es, uint64_t usec, void *ud)
{
	struct manager *m = ud;
	bool stuck = nj_jclient_stuck(m->jack, "netjack-master");

	for (unsigned i = 0; i < m->nlis; i++) {
		m->lis[i].ops->housekeeping(m->lis[i].l);
	}
	nj_ratelimit_flush(&m->rl_policy);
	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		if (m->slots[i].sess != NULL) {
			session_bridge_latency(m->slots[i].sess);
		}
	}
	for (unsigned i = 0; !stuck && i < (unsigned)m->cfg.max_slaves; i++) {
		stuck = m->slots[i].sess != NULL && session_stuck(m->slots[i].sess);
	}
	if (stuck && !m->shutting_down) {
		manager_shutdown(m, EXIT_FAILURE);
		return 0;
	}
	sd_event_source_set_time(es, usec + HOUSEKEEPING_US);
	sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
	return 0;
}

/* ---------------------------------------------------------- lifecycle */

int manager_new(sd_event *e, const struct master_config *cfg, struct manager **ret)
{
	struct manager *m = calloc(1, sizeof(*m));
	int r;

	if (m == NULL) {
		return -ENOMEM;
	}
	m->event = sd_event_ref(e);
	m->cfg = *cfg;
	m->slots = calloc((size_t)cfg->max_slaves, sizeof(*m->slots));
	if (m->slots == NULL) {
		manager_free(m);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < (unsigned)cfg->max_slaves; i++) {
		m->slots[i].index = i;
		m->slots[i].m = m;
	}
	if (gethostname(m->hostname, sizeof(m->hostname) - 1) < 0) {
		snprintf(m->hostname, sizeof(m->hostname), "netjack");
	}
	if (m->cfg.name[0] == '\0') {
		snprintf(m->cfg.name, sizeof(m->cfg.name), "%.63s", m->hostname);
	}
	m->started_us = now_us(m);
	r = manager_policy_init(m);
	if (r >= 0) {
		r = nj_jclient_new(e, &jack_ops, m, &m->jack);
	}
	if (r >= 0) {
		r = sd_event_add_time(e, &m->housekeeping, CLOCK_MONOTONIC,
				      now_us(m) + HOUSEKEEPING_US, 100000, housekeeping, m);
	}
	if (r >= 0) {
		r = nj_jclient_keep(m->jack, m->cfg.client_name);
	}
	if (r >= 0) {
		r = manager_ctl_open(m);
	}
	if (r < 0) {
		manager_free(m);
		return r;
	}
	manager_status_changed(m);
	*ret = m;
	return 0;
}

int manager_add_listener(struct manager *m, const struct listener_ops *ops, void *l)
{
	if (m->nlis >= MAX_LISTENERS) {
		ops->free(l);
		return -ENOSPC;
	}
	m->lis[m->nlis].ops = ops;
	m->lis[m->nlis].l = l;
	m->nlis++;
	return 0;
}

const struct master_config *manager_cfg(const struct manager *m)
{
	return &m->cfg;
}

void manager_shutdown(struct manager *m, int code)
{
	if (!m->shutting_down) {
		m->shutting_down = true;
		sd_notify(false, "STOPPING=1");
		end_all(m, "ended here"); /* each protocol's goodbye (KILL_MASTER, as jack2) */
	}
	sd_event_exit(m->event, code);
}

void manager_free(struct manager *m)
{
	if (m == NULL) {
		return;
	}
	m->shutting_down = true;
	for (unsigned i = 0; m->slots != NULL && i < (unsigned)m->cfg.max_slaves; i++) {
		if (m->slots[i].sess != NULL) {
			session_free_now(m->slots[i].sess);
			m->slots[i].sess = NULL;
		}
	}
	if (nj_jclient_left_running()) {
		return; /* a session's callbacks may still use the slots: all left to the exit */
	}
	for (unsigned i = 0; i < m->nlis; i++) {
		m->lis[i].ops->free(m->lis[i].l);
	}
	nj_ctl_free(m->ctl);
	nj_jclient_free_now(m->jack);
	sd_event_source_disable_unref(m->housekeeping);
	free(m->slots);
	sd_event_unref(m->event);
	free(m);
}
