/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * manager.c - discovery, handshakes and session lifecycle for netjack-master.
 *
 * The libnetproto master machine decides; this file acts: it owns the sockets,
 * the JACK clients and the timers. A JACK server that is not running is waited
 * for (never started); one that goes away ends every session, and the manager
 * reconnects when it is back.
 */
#include <errno.h>
#include <fcntl.h>
#include <jack/jack.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include <libnetproto/audio.h>
#include <libnetproto/opus.h>
#include <libnetproto/session.h>
#include <libnetproto/udp.h>

#include "../common/ctl.h"
#include "../common/jackopen.h"
#include "../common/dnssd.h"
#include "../common/log.h"
#include "link.h"
#include "manager.h"

#define TICK_US 50000          /* liveness polling and state machine timers */
#define JACK_RETRY_US 1000000

struct slot {
	int fd;                  /* session socket (handshake phase; then the link's) */
	sd_event_source *io;     /* handshake reader */
	struct link *link;
	struct nj_sockaddr peer;
	struct nj2_params setup;  /* what we answered (valid while fd >= 0 or link) */
	uint64_t started_us;     /* handshake, then session start */
	bool uncounted_logged;
};

struct manager {
	sd_event *event;
	struct master_config cfg;
	struct nj2_master *fsm;
	struct slot *slots;
	/* what any host can make us log by announcing itself */
	struct nj_ratelimit rl_handshake, rl_refused;

	struct nj_sockaddr group;
	int disc_fd;
	int disc2_fd; /* the other address family, unicast announcements only */
	sd_event_source *disc2_io;
	sd_event_source *disc_io, *tick, *jack_retry, *notify_io;

	jack_client_t *jack;     /* control client */
	int notify_pipe[2];      /* JACK threads -> main loop */
	bool jack_waiting_logged;
	struct nj_jack_opener *opener; /* jack_client_open() off the loop */
	uint32_t rate, period; /* the format the session table was made for */
	bool shutting_down;
	char hostname[NJ2_NETNAME_LEN + 1];
	struct nj_dnssd *dnssd;
	struct nj_ctl *ctl;
	uint64_t started_us;
};

enum notify_code { NOTIFY_SHUTDOWN = 1, NOTIFY_FORMAT = 2 };

void master_config_defaults(struct master_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->multicast_ip, sizeof(c->multicast_ip), "%s", NJ2_DEFAULT_MCAST_IP);
	c->port = NJ2_DEFAULT_PORT;
	c->max_slaves = 32;
	c->max_channels = NJ_MAX_CHANNELS;
	c->mtu_min = NJ_MTU_MIN;
	c->mtu_max = NJ_MTU_MAX;
	c->timeout_us = 2000000;
	c->setup_retry_us = 1000000;
	c->setup_tries = 5;
	snprintf(c->client_name, sizeof(c->client_name), "netjack-master");
}

static uint64_t now_us(struct manager *m)
{
	uint64_t t = 0;

	sd_event_now(m->event, CLOCK_MONOTONIC, &t);
	return t;
}

static const char *addr_text(const struct nj_sockaddr *a)
{
	static char buf[80];

	return nj_sockaddr_format(a, buf, sizeof(buf));
}

static const char *const discovery_names[] = {"both", "multicast", "dnssd"};

static unsigned running_count(const struct manager *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		n += m->slots[i].link != NULL;
	}
	return n;
}

/* DNS-SD: our service and its TXT records (rate, period, slaves, ...). */
static void publish(struct manager *m)
{
	char t[12][NJ_DNSSD_TXT_LEN];
	const char *txt[12];
	unsigned n = 0;

	if (m->dnssd == NULL) {
		return;
	}
	snprintf(t[n++], sizeof(t[0]), "txtvers=1");
	snprintf(t[n++], sizeof(t[0]), "proto=%d", NJ2_PROTOCOL_VERSION);
	snprintf(t[n++], sizeof(t[0]), "rate=%u", m->jack ? m->rate : 0);
	snprintf(t[n++], sizeof(t[0]), "period=%u", m->jack ? m->period : 0);
	snprintf(t[n++], sizeof(t[0]), "group=%s",
		 m->cfg.discovery == DISCOVERY_DNSSD ? "none" : m->cfg.multicast_ip);
	snprintf(t[n++], sizeof(t[0]), "port=%d", m->cfg.port);
	snprintf(t[n++], sizeof(t[0]), "host=%.64s", m->hostname);
	snprintf(t[n++], sizeof(t[0]), "slaves=%u", running_count(m));
	snprintf(t[n++], sizeof(t[0]), "max_slaves=%d", m->cfg.max_slaves);
	snprintf(t[n++], sizeof(t[0]), "auth=none");
	snprintf(t[n++], sizeof(t[0]), "jack=%s", m->jack ? "running" : "waiting");
	snprintf(t[n++], sizeof(t[0]), "version=%s", NETJACK_VERSION);
	for (unsigned i = 0; i < n; i++) {
		txt[i] = t[i];
	}
	nj_dnssd_publish(m->dnssd, NJ_DNSSD_MASTER_TYPE, m->cfg.name, (uint16_t)m->cfg.port, txt, n);
}

static void update_status(struct manager *m)
{
	/* the session table exists only once JACK has given us a format */
	sd_notifyf(false, "STATUS=%u slave(s)%s", running_count(m),
		   m->jack ? "" : ", waiting for the JACK server");
	publish(m);
}

/* --------------------------------------------------- state machine ops */

static void op_send(void *ud, unsigned sess, const uint8_t *buf, size_t len)
{
	struct manager *m = ud;
	int r = nj_udp_send(m->slots[sess].fd, buf, len, NULL);

	if (r < 0) {
		log_debug("session %u: send: %s", sess, strerror(-r));
	}
}

static void op_send_group(void *ud, const uint8_t *buf, size_t len)
{
	struct manager *m = ud;

	nj_udp_send(m->disc_fd, buf, len, &m->group);
}

static int session_rx(sd_event_source *s, int fd, uint32_t revents, void *ud);

static int op_session_new(void *ud, unsigned sess, const struct nj_addr *peer,
			  const struct nj2_params *setup)
{
	struct manager *m = ud;
	struct slot *sl = &m->slots[sess];
	struct nj_udp_opts o;
	int fd;

	nj_sockaddr_from_addr(peer, &sl->peer);
	sl->setup = *setup;
	sl->started_us = now_us(m);
	nj_udp_opts_init(&o, sl->peer.u.sa.sa_family);
	o.connect = &sl->peer;
	o.reuse_addr = false;
	o.sndbuf = o.rcvbuf = nj2_socket_buffer_size(setup);
	fd = nj_udp_open(&o);
	if (fd < 0) {
		log_err("%s: cannot open a session socket: %s", addr_text(&sl->peer), strerror(-fd));
		sl->fd = -1;
		return fd;
	}
	sl->fd = fd;
	sd_event_add_io(m->event, &sl->io, fd, EPOLLIN, session_rx, (void *)(uintptr_t)sess);
	sd_event_source_set_userdata(sl->io, m);
	if (nj_ratelimit_ok(&m->rl_handshake)) {
		log_info("slave \"%s\" at %s: answering (ID %u, %u Hz, period %u, audio %d/%d, "
			 "MIDI %d/%d, %s, latency %u)",
			 setup->name, addr_text(&sl->peer), setup->id, setup->sample_rate,
			 setup->period, setup->send_audio, setup->return_audio, setup->send_midi,
			 setup->return_midi, nj2_encoder_name(setup->encoder), setup->latency);
	}
	return 0;
}

static void close_slot(struct slot *sl)
{
	sl->io = sd_event_source_disable_unref(sl->io);
	if (sl->link != NULL) {
		link_free(sl->link); /* owns and closes the socket */
		sl->link = NULL;
	} else if (sl->fd >= 0) {
		close(sl->fd);
	}
	sl->fd = -1;
	sl->uncounted_logged = false;
}

static int op_session_started(void *ud, unsigned sess, const struct nj2_params *p)
{
	struct manager *m = ud;
	struct slot *sl = &m->slots[sess];
	const char *err;
	int r;

	/* From here the socket belongs to the real-time callback. */
	sl->io = sd_event_source_disable_unref(sl->io);
	if (sl->fd < 0) {
		return -EBADF;
	}
	r = link_new(p->name, p, sl->fd, m->cfg.auto_connect, &sl->link, &err);
	sl->fd = -1;
	if (r < 0) {
		log_err("slave \"%s\": %s: %s", p->name, err, strerror(-r));
		return r;
	}
	sl->started_us = now_us(m);
	log_notice("slave \"%s\" at %s joined as JACK client \"%s\"", p->name,
		   addr_text(&sl->peer), link_client_name(sl->link));
	update_status(m);
	return 0;
}

static const char *const end_text[] = {
	[NJ2_END_TIMEOUT] = "went silent",
	[NJ2_END_NO_START] = "never answered SLAVE_SETUP",
	[NJ2_END_RESTART] = "restarted",
	[NJ2_END_KILLED] = "sent KILL_MASTER",
	[NJ2_END_LOCAL] = "ended here",
};

static void op_session_ended(void *ud, unsigned sess, enum nj2_end_reason why)
{
	struct manager *m = ud;
	struct slot *sl = &m->slots[sess];

	if (sl->link != NULL) {
		struct link_counters c;

		link_snapshot(sl->link, &c);
		log_notice("slave at %s left (%s) after %llu cycles: %llu lost, %llu late, "
			   "%llu malformed packets, %llu concealed cycles; callback mean %.1f us, "
			   "max %llu us",
			   addr_text(&sl->peer), end_text[why], (unsigned long long)c.cycles,
			   (unsigned long long)c.rx.lost, (unsigned long long)c.rx.late,
			   (unsigned long long)c.rx.malformed, (unsigned long long)c.concealed,
			   c.cycles ? (double)c.busy_us / (double)c.cycles : 0.0,
			   (unsigned long long)c.busy_max_us);
	} else if (nj_ratelimit_ok(&m->rl_handshake)) {
		log_info("slave at %s: handshake over (%s)", addr_text(&sl->peer), end_text[why]);
	}
	close_slot(sl);
	update_status(m);
}

static const char *const refuse_text[] = {
	[NJ2_REFUSE_FULL] = "the maximum number of slaves is reached (--max-slaves)",
	[NJ2_REFUSE_CHANNELS] = "too many channels (--max-channels)",
	[NJ2_REFUSE_MTU] = "MTU outside --mtu-min..--mtu-max",
	[NJ2_REFUSE_ENCODER] = "encoder not supported (CELT)",
	[NJ2_REFUSE_LAYOUT] = "no packet layout fits these channels at this MTU",
	[NJ2_REFUSE_LOCAL] = "the session could not be set up here",
};

static void op_refused(void *ud, const struct nj_addr *peer, const struct nj2_params *avail,
		       enum nj2_refuse_reason why)
{
	struct manager *m = ud;
	struct nj_sockaddr a;

	nj_sockaddr_from_addr(peer, &a);
	if (nj_ratelimit_ok(&m->rl_refused)) {
		log_warn("refused slave \"%s\" at %s: %s", avail->name, addr_text(&a),
			 refuse_text[why]);
	}
}

static const struct nj2_master_ops fsm_ops = {
	.send = op_send,
	.send_group = op_send_group,
	.session_new = op_session_new,
	.session_started = op_session_started,
	.session_ended = op_session_ended,
	.refused = op_refused,
};

/* ------------------------------------------------------------- sockets */

static int session_rx(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct manager *m = ud;
	unsigned sess = 0;
	uint8_t buf[NJ2_PARAMS_SIZE + 1];
	struct nj_udp_msg msg = {.buf = buf, .cap = sizeof(buf)};

	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		if (m->slots[i].io == s) {
			sess = i;
		}
	}
	while (nj_udp_recvv(fd, &msg, 1) == 1) {
		nj2_master_rx_session(m->fsm, sess, buf, msg.truncated ? sizeof(buf) : msg.len,
				     now_us(m));
		if (m->slots[sess].io != s) {
			break; /* the session started or ended: the socket moved on */
		}
	}
	return 0;
}

static int discovery_rx(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct manager *m = ud;
	uint8_t buf[NJ2_PARAMS_SIZE + 1];
	struct nj_udp_msg msg = {.buf = buf, .cap = sizeof(buf)};

	/* Bounded: a flood yields to the rest of the loop after 256 datagrams. */
	for (unsigned i = 0; i < 256 && nj_udp_recvv(fd, &msg, 1) == 1; i++) {
		struct nj_addr from;

		if (m->jack == NULL) {
			continue; /* no rate or period to offer until JACK is back */
		}
		nj_sockaddr_to_addr(&msg.from, &from);
		nj2_master_rx_discovery(m->fsm, buf, msg.truncated ? sizeof(buf) : msg.len, &from,
				       now_us(m));
	}
	return 0;
}

static int open_discovery(struct manager *m)
{
	struct nj_udp_opts o;
	struct nj_sockaddr any;
	int fd, r;

	if (nj_sockaddr_parse(m->cfg.multicast_ip, (uint16_t)m->cfg.port, &m->group) < 0 ||
	    !nj_sockaddr_is_multicast(&m->group)) {
		log_err("--multicast-ip: \"%s\" is not a multicast address", m->cfg.multicast_ip);
		return -EINVAL;
	}
	nj_sockaddr_parse(m->group.u.sa.sa_family == AF_INET ? "0.0.0.0" : "::",
			  (uint16_t)m->cfg.port, &any);
	nj_udp_opts_init(&o, m->group.u.sa.sa_family);
	o.bind = &any;
	/* DNS-SD only: unicast SLAVE_AVAILABLE to our port, no group */
	o.join = m->cfg.discovery == DISCOVERY_DNSSD ? NULL : &m->group;
	o.ifname = m->cfg.interface[0] ? m->cfg.interface : NULL;
	o.mcast_loop = false; /* as jack2: do not hear our own KILL_MASTER */
	fd = nj_udp_open(&o);
	if (fd < 0) {
		log_err("cannot listen on %s%s%s: %s", o.join ? addr_text(&m->group) : "the port",
			o.ifname ? " on " : "", o.ifname ? o.ifname : "", strerror(-fd));
		return fd;
	}
	m->disc_fd = fd;
	r = sd_event_add_io(m->event, &m->disc_io, fd, EPOLLIN, discovery_rx, m);
	if (r < 0) {
		return r;
	}
	/* Dual stack: the same port in the other family, for slaves that
	 * announce by unicast (--master, DNS-SD). Optional: a host without
	 * that family (IPv6 disabled) runs without it. */
	nj_sockaddr_parse(m->group.u.sa.sa_family == AF_INET ? "::" : "0.0.0.0",
			  (uint16_t)m->cfg.port, &any);
	nj_udp_opts_init(&o, any.u.sa.sa_family);
	o.bind = &any;
	fd = nj_udp_open(&o);
	if (fd < 0) {
		log_info("no %s discovery socket: %s (unicast announcements in that family "
			 "are not heard)", any.u.sa.sa_family == AF_INET6 ? "IPv6" : "IPv4",
			 strerror(-fd));
		return 0;
	}
	m->disc2_fd = fd;
	return sd_event_add_io(m->event, &m->disc2_io, fd, EPOLLIN, discovery_rx, m);
}

/* ---------------------------------------------------------------- JACK */

static void notify(struct manager *m, uint8_t code)
{
	/* Called from JACK's threads: only a non-blocking write. */
	ssize_t r = write(m->notify_pipe[1], &code, 1);

	(void)r;
}

static void jack_shutdown_cb(jack_status_t code, const char *reason, void *arg)
{
	notify(arg, NOTIFY_SHUTDOWN);
}

static int jack_bufsize_cb(jack_nframes_t n, void *arg)
{
	notify(arg, NOTIFY_FORMAT);
	return 0;
}

static int jack_srate_cb(jack_nframes_t n, void *arg)
{
	notify(arg, NOTIFY_FORMAT);
	return 0;
}

static void jack_quiet(const char *msg)
{
	log_debug("jack: %s", msg);
}

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

static void end_all(struct manager *m)
{
	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		nj2_master_end(m->fsm, i);
	}
}

static int create_fsm(struct manager *m)
{
	struct nj2_master_config c;

	nj2_master_config_init(&c);
	snprintf(c.hostname, sizeof(c.hostname), "%s", m->hostname);
	c.sample_rate = m->rate = jack_get_sample_rate(m->jack);
	c.period = m->period = jack_get_buffer_size(m->jack);
	c.phys_audio_capture = count_ports(m->jack, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput);
	c.phys_audio_playback = count_ports(m->jack, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput);
	c.phys_midi_capture = count_ports(m->jack, JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput);
	c.phys_midi_playback = count_ports(m->jack, JACK_DEFAULT_MIDI_TYPE, JackPortIsInput);
	c.max_slaves = (unsigned)m->cfg.max_slaves;
	c.max_channels = (unsigned)m->cfg.max_channels;
	c.mtu_min = (unsigned)m->cfg.mtu_min;
	c.mtu_max = (unsigned)m->cfg.mtu_max;
	c.timeout_us = m->cfg.timeout_us;
	c.setup_retry_us = m->cfg.setup_retry_us;
	c.setup_tries = (unsigned)m->cfg.setup_tries;
	c.ext_flags = NJ2_EXT_OPUS_ANY_PERIOD;
	c.opus_ok = nj2_opus_check;
	if (m->fsm == NULL) {
		return nj2_master_new(&c, &fsm_ops, m, &m->fsm);
	}
	nj2_master_set_format(m->fsm, c.sample_rate, c.period);
	return 0;
}

static int jack_retry(sd_event_source *s, uint64_t usec, void *ud);

/* Starts an attempt to open our control client (off the loop: see
 * jackopen.h); jack_opened() goes on with its result. */
static void jack_connect_now(struct manager *m)
{
	int r = nj_jack_opener_start(m->opener, m->cfg.client_name);

	if (r < 0 && r != -EBUSY) {
		log_err("cannot start connecting to JACK: %s; retrying", strerror(-r));
		sd_event_source_set_time(m->jack_retry, now_us(m) + JACK_RETRY_US);
		sd_event_source_set_enabled(m->jack_retry, SD_EVENT_ONESHOT);
	}
}

static void jack_opened(void *ud, jack_client_t *client, jack_status_t status)
{
	struct manager *m = ud;
	int r;

	(void)status;
	m->jack = client;
	if (m->shutting_down) {
		if (client != NULL) {
			jack_client_close(client);
			m->jack = NULL;
		}
		return;
	}
	if (m->jack == NULL) {
		if (!m->jack_waiting_logged) {
			log_notice("no JACK server running; waiting for one (never starting one)");
			m->jack_waiting_logged = true;
			update_status(m);
		}
		sd_event_source_set_time(m->jack_retry, now_us(m) + JACK_RETRY_US);
		sd_event_source_set_enabled(m->jack_retry, SD_EVENT_ONESHOT);
		return;
	}
	m->jack_waiting_logged = false;
	jack_on_info_shutdown(m->jack, jack_shutdown_cb, m);
	jack_set_buffer_size_callback(m->jack, jack_bufsize_cb, m);
	jack_set_sample_rate_callback(m->jack, jack_srate_cb, m);
	if (jack_activate(m->jack) != 0) {
		log_err("cannot activate the JACK control client; retrying");
		jack_client_close(m->jack);
		m->jack = NULL;
		sd_event_source_set_time(m->jack_retry, now_us(m) + JACK_RETRY_US);
		sd_event_source_set_enabled(m->jack_retry, SD_EVENT_ONESHOT);
		return;
	}
	r = create_fsm(m);
	if (r < 0) {
		log_err("cannot create the session table: %s", strerror(-r));
		manager_shutdown(m, EXIT_FAILURE);
		return;
	}
	if (m->cfg.discovery == DISCOVERY_DNSSD) {
		log_notice("connected to JACK: %u Hz, period %u; listening on port %d "
			   "(DNS-SD only, no multicast group)",
			   jack_get_sample_rate(m->jack), jack_get_buffer_size(m->jack), m->cfg.port);
	} else {
		char also[64] = "";

		if (m->disc2_fd >= 0) {
			snprintf(also, sizeof(also), " (unicast also on port %d, %s)", m->cfg.port,
				 m->group.u.sa.sa_family == AF_INET ? "IPv6" : "IPv4");
		}
		log_notice("connected to JACK: %u Hz, period %u; listening on %s%s",
			   jack_get_sample_rate(m->jack), jack_get_buffer_size(m->jack),
			   addr_text(&m->group), also);
	}
	sd_notify(false, "READY=1");
	update_status(m);
}

static int jack_retry(sd_event_source *s, uint64_t usec, void *ud)
{
	jack_connect_now(ud);
	return 0;
}

static void jack_gone(struct manager *m)
{
	log_warn("the JACK server went away: ending all sessions");
	end_all(m);
	if (m->jack != NULL) {
		jack_client_close(m->jack);
		m->jack = NULL;
	}
	/* not at once: a server that is still shutting down may accept our
	 * connection and never answer it */
	sd_event_source_set_time(m->jack_retry, now_us(m) + JACK_RETRY_US);
	sd_event_source_set_enabled(m->jack_retry, SD_EVENT_ONESHOT);
}

static int notify_rx(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	struct manager *m = ud;
	uint8_t codes[64];
	ssize_t n = read(fd, codes, sizeof(codes));
	bool shutdown = false, format = false;

	for (ssize_t i = 0; i < n; i++) {
		shutdown |= codes[i] == NOTIFY_SHUTDOWN;
		format |= codes[i] == NOTIFY_FORMAT;
	}
	if (shutdown) {
		jack_gone(m);
	} else if (format && m->jack != NULL && m->fsm != NULL &&
		   (jack_get_sample_rate(m->jack) != m->rate ||
		    jack_get_buffer_size(m->jack) != m->period)) {
		/* jack2's masters leave when the rate or period changes; the
		 * slaves come back and get the new format. */
		log_notice("JACK format changed to %u Hz, period %u: ending all sessions",
			   jack_get_sample_rate(m->jack), jack_get_buffer_size(m->jack));
		end_all(m);
		create_fsm(m);
		update_status(m);
	}
	return 0;
}

/* ------------------------------------------------------- control socket */

struct row {
	const struct slot *sl;
	const struct nj2_params *p;
	const char *state, *client;
	struct link_counters c;
	double uptime_s;
};

static void row_of(struct manager *m, unsigned i, struct row *r)
{
	const struct slot *sl = &m->slots[i];

	memset(r, 0, sizeof(*r));
	r->sl = sl;
	r->uptime_s = (double)(now_us(m) - sl->started_us) / 1e6;
	if (sl->link != NULL) {
		r->p = link_params(sl->link);
		r->state = "running";
		r->client = link_client_name(sl->link);
		link_snapshot(sl->link, &r->c);
	} else {
		r->p = &sl->setup;
		r->state = "setup";
		r->client = "";
	}
}

static bool slot_used(const struct slot *sl)
{
	return sl->link != NULL || sl->fd >= 0;
}

static void status_json(struct manager *m, struct nj_buf *b)
{
	bool first = true;

	nj_buf_printf(b, "{\"role\":\"master\",\"name\":");
	nj_buf_json_str(b, m->cfg.name);
	nj_buf_printf(b, ",\"version\":\"%s\",\"pid\":%d,\"uptime_s\":%.1f,"
			 "\"jack\":{\"connected\":%s,\"rate\":%u,\"period\":%u},"
			 "\"discovery\":\"%s\",\"dnssd\":%s,\"max_slaves\":%d,\"sessions\":[",
		      NETJACK_VERSION, (int)getpid(), (double)(now_us(m) - m->started_us) / 1e6,
		      m->jack ? "true" : "false", m->jack ? m->rate : 0, m->jack ? m->period : 0,
		      discovery_names[m->cfg.discovery],
		      m->dnssd && nj_dnssd_running(m->dnssd) ? "true" : "false", m->cfg.max_slaves);
	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		struct row r;

		if (!slot_used(&m->slots[i])) {
			continue;
		}
		row_of(m, i, &r);
		nj_buf_printf(b, "%s{\"name\":", first ? "" : ",");
		first = false;
		nj_buf_json_str(b, r.p->name);
		nj_buf_printf(b, ",\"client\":");
		nj_buf_json_str(b, r.client);
		nj_buf_printf(b, ",\"state\":\"%s\",\"address\":\"%s\",\"id\":%u,"
				 "\"audio_to_slave\":%d,\"audio_from_slave\":%d,"
				 "\"midi_to_slave\":%d,\"midi_from_slave\":%d,"
				 "\"encoder\":\"%s\",\"kbps\":%u,\"mtu\":%u,\"sync\":%s,"
				 "\"latency_cycles\":%u,\"latency_frames\":%u,\"uptime_s\":%.1f,"
				 "\"cycles\":%llu,\"packets\":%llu,\"lost\":%llu,\"late\":%llu,"
				 "\"duplicate\":%llu,\"reordered\":%llu,\"malformed\":%llu,"
				 "\"foreign\":%llu,\"concealed\":%llu,\"xruns\":%llu,"
				 "\"callback_max_us\":%llu,\"peer_counts_cycles\":%s}",
			      r.state, addr_text(&r.sl->peer), r.p->id, r.p->send_audio,
			      r.p->return_audio, r.p->send_midi, r.p->return_midi,
			      nj2_encoder_name(r.p->encoder), r.p->kbps, r.p->mtu,
			      r.p->sync_mode ? "true" : "false", r.p->latency,
			      r.p->latency * r.p->period, r.uptime_s, (unsigned long long)r.c.cycles,
			      (unsigned long long)r.c.rx.packets, (unsigned long long)r.c.rx.lost,
			      (unsigned long long)r.c.rx.late, (unsigned long long)r.c.rx.duplicate,
			      (unsigned long long)r.c.rx.reordered,
			      (unsigned long long)r.c.rx.malformed, (unsigned long long)r.c.rx.foreign,
			      (unsigned long long)r.c.concealed, (unsigned long long)r.c.xruns,
			      (unsigned long long)r.c.busy_max_us, r.c.uncounted ? "false" : "true");
	}
	nj_buf_printf(b, "]}\n");
}

static void status_text(struct manager *m, struct nj_buf *b)
{
	unsigned n = 0;

	nj_buf_printf(b, "netjack-master \"%s\" %s: JACK %s", m->cfg.name, NETJACK_VERSION,
		      m->jack ? "connected" : "not running (waiting)");
	if (m->jack) {
		nj_buf_printf(b, ", %u Hz, period %u", m->rate, m->period);
	}
	nj_buf_printf(b, "; discovery %s%s; %u of %d slaves\n", discovery_names[m->cfg.discovery],
		      m->dnssd == NULL ? "" : nj_dnssd_running(m->dnssd) ? " (DNS-SD up)"
									 : " (no avahi-daemon)",
		      running_count(m), m->cfg.max_slaves);
	for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
		struct row r;
		char ch[24], lat[24];

		if (!slot_used(&m->slots[i])) {
			continue;
		}
		if (n++ == 0) {
			nj_buf_printf(b, "%-16s %-8s %-22s %-11s %-6s %-11s %8s %10s %6s %6s %5s %5s "
					 "%8s %5s\n",
				      "NAME", "STATE", "ADDRESS", "AUDIO/MIDI", "ENC", "LATENCY",
				      "UPTIME", "CYCLES", "LOST", "LATE", "DUP", "MALF", "CONCEAL",
				      "XRUN");
		}
		row_of(m, i, &r);
		snprintf(ch, sizeof(ch), "%d:%d/%d:%d", r.p->send_audio, r.p->return_audio,
			 r.p->send_midi, r.p->return_midi);
		snprintf(lat, sizeof(lat), "%u (%u fr)", r.p->latency, r.p->latency * r.p->period);
		nj_buf_printf(b, "%-16s %-8s %-22s %-11s %-6s %-11s %7.0fs %10llu %6llu %6llu %5llu "
				 "%5llu %8llu %5llu\n",
			      r.p->name, r.state, addr_text(&r.sl->peer), ch,
			      nj2_encoder_name(r.p->encoder), lat, r.uptime_s,
			      (unsigned long long)r.c.cycles, (unsigned long long)r.c.rx.lost,
			      (unsigned long long)r.c.rx.late, (unsigned long long)r.c.rx.duplicate,
			      (unsigned long long)r.c.rx.malformed, (unsigned long long)r.c.concealed,
			      (unsigned long long)r.c.xruns);
	}
}

static void ctl_status(void *ud, bool json, struct nj_buf *out)
{
	(json ? status_json : status_text)(ud, out);
}

static int ctl_kick(void *ud, const char *name, struct nj_buf *out, const char **err)
{
	struct manager *m = ud;

	for (unsigned i = 0; m->fsm != NULL && i < (unsigned)m->cfg.max_slaves; i++) {
		struct slot *sl = &m->slots[i];

		if (slot_used(sl) &&
		    (strcmp(sl->setup.name, name) == 0 ||
		     (sl->link != NULL && strcmp(link_client_name(sl->link), name) == 0))) {
			log_notice("control socket: kicking slave \"%s\"", name);
			nj2_master_end(m->fsm, i);
			nj_buf_printf(out, "ended the session of \"%s\"\n", name);
			return 0;
		}
	}
	*err = "kick: no such slave";
	return -ENOENT;
}

static const struct nj_ctl_ops ctl_ops = {ctl_status, ctl_kick};

static int ctl_handle(void *ud, const struct nj_ctl_request *req, struct nj_buf *out,
		      const char **err)
{
	return nj_ctl_dispatch(&ctl_ops, ud, req, out, err);
}

/* ------------------------------------------------------------------ tick */

static int tick(sd_event_source *s, uint64_t usec, void *ud)
{
	struct manager *m = ud;
	uint64_t now = now_us(m);

	nj_ratelimit_flush(&m->rl_handshake);
	nj_ratelimit_flush(&m->rl_refused);
	if (!m->shutting_down && nj_jack_opener_stuck(m->opener, "netjack-master")) {
		manager_shutdown(m, EXIT_FAILURE);
	}

	if (m->fsm != NULL) {
		for (unsigned i = 0; i < (unsigned)m->cfg.max_slaves; i++) {
			struct link_counters c;

			if (m->slots[i].link == NULL) {
				continue;
			}
			link_snapshot(m->slots[i].link, &c);
			if (c.dead) {
				log_notice("slave session %u: the peer is gone (connection refused) "
					   "or JACK dropped its client", i);
				nj2_master_end(m->fsm, i);
				continue;
			}
			if (c.last_rx_us != 0) {
				nj2_master_alive(m->fsm, i, c.last_rx_us);
			}
			if (c.uncounted && !m->slots[i].uncounted_logged) {
				m->slots[i].uncounted_logged = true;
				log_info("slave at %s sends cycle 0 in every return packet (PipeWire's "
					 "driver does): its cycles are numbered by arrival",
					 addr_text(&m->slots[i].peer));
			}
		}
		nj2_master_timeout(m->fsm, now);
	}
	sd_event_source_set_time(s, now + TICK_US);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
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
	m->rl_handshake.what = "handshake messages";
	m->rl_refused.what = "refusal messages";
	m->event = sd_event_ref(e);
	m->cfg = *cfg;
	m->disc_fd = -1;
	m->disc2_fd = -1;
	m->notify_pipe[0] = m->notify_pipe[1] = -1;
	m->slots = calloc((size_t)cfg->max_slaves, sizeof(*m->slots));
	if (m->slots == NULL) {
		manager_free(m);
		return -ENOMEM;
	}
	for (int i = 0; i < cfg->max_slaves; i++) {
		m->slots[i].fd = -1;
	}
	if (gethostname(m->hostname, sizeof(m->hostname) - 1) < 0) {
		snprintf(m->hostname, sizeof(m->hostname), "netjack");
	}
	if (m->cfg.name[0] == '\0') {
		snprintf(m->cfg.name, sizeof(m->cfg.name), "%.63s", m->hostname);
	}
	m->started_us = now_us(m);
	jack_set_error_function(jack_quiet);
	jack_set_info_function(jack_quiet);
	if (pipe2(m->notify_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		r = -errno;
		manager_free(m);
		return r;
	}
	r = nj_jack_opener_new(e, jack_opened, m, &m->opener);
	if (r >= 0) {
		r = open_discovery(m);
	}
	if (r >= 0) {
		r = sd_event_add_io(e, &m->notify_io, m->notify_pipe[0], EPOLLIN, notify_rx, m);
	}
	if (r >= 0) {
		r = sd_event_add_time(e, &m->tick, CLOCK_MONOTONIC, 0, 10000, tick, m);
	}
	if (r >= 0) {
		r = sd_event_add_time(e, &m->jack_retry, CLOCK_MONOTONIC, 0, 100000, jack_retry, m);
	}
	if (r >= 0 && strcmp(m->cfg.control, "none") != 0) {
		char path[108];

		if (m->cfg.control[0] != '\0') {
			snprintf(path, sizeof(path), "%s", m->cfg.control);
		} else {
			nj_ctl_default_path("master.sock", false, path, sizeof(path));
		}
		r = nj_ctl_new(e, path, ctl_handle, m, &m->ctl);
		if (r < 0) {
			log_err("--control: cannot listen on %s: %s", path,
				r == -EADDRINUSE ? "another daemon answers there" : strerror(-r));
		}
	}
	if (r >= 0 && m->cfg.discovery != DISCOVERY_MULTICAST) {
		r = nj_dnssd_new(e, false, &m->dnssd);
	}
	if (r < 0) {
		manager_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

void manager_shutdown(struct manager *m, int code)
{
	if (!m->shutting_down) {
		m->shutting_down = true;
		sd_notify(false, "STOPPING=1");
		if (m->fsm != NULL) {
			end_all(m); /* KILL_MASTER for each running session, as jack2 */
		}
	}
	sd_event_exit(m->event, code);
}

void manager_free(struct manager *m)
{
	if (m == NULL) {
		return;
	}
	for (int i = 0; m->slots != NULL && i < m->cfg.max_slaves; i++) {
		close_slot(&m->slots[i]);
	}
	nj2_master_free(m->fsm);
	nj_ctl_free(m->ctl);
	nj_dnssd_free(m->dnssd);
	nj_jack_opener_free(m->opener);
	if (m->jack != NULL) {
		jack_client_close(m->jack);
	}
	sd_event_source_disable_unref(m->disc_io);
	sd_event_source_disable_unref(m->disc2_io);
	sd_event_source_disable_unref(m->tick);
	sd_event_source_disable_unref(m->jack_retry);
	sd_event_source_disable_unref(m->notify_io);
	if (m->disc_fd >= 0) {
		close(m->disc_fd);
	}
	if (m->disc2_fd >= 0) {
		close(m->disc2_fd);
	}
	for (int i = 0; i < 2; i++) {
		if (m->notify_pipe[i] >= 0) {
			close(m->notify_pipe[i]);
		}
	}
	free(m->slots);
	sd_event_unref(m->event);
	free(m);
}
