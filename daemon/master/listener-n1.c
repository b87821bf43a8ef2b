/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * listener-n1.c - netJACK1 (netone) on netjack-master: we are jack_netsource
 * for each slave given with --netone (doc/protocol/NETONE.md). netone has
 * no discovery and no handshake: a `jackd -d netone` slave takes the
 * session from our first datagram (AutoConfig) and answers each period.
 *
 * Each --netone entry is HOST[:PORT] (port 3000) with optional ",key=value"
 * settings: name (the JACK client, default netjack as jack_netsource's),
 * send, receive, midi-send, midi-receive (channels to and from the slave;
 * netsource's defaults 2, 2, 1, 1), latency (L periods, default 5), encoder
 * (float, int16, int8, opus), kbps (Opus, default 128), mtu (1400),
 * redundancy (1). A bad entry stops the daemon at startup naming it.
 *
 * Every entry's session runs from JACK's start: one JACK client with ports
 * named as jack_netsource's (capture_N from the slave, playback_N to it,
 * MIDI numbered on after audio), driven by our period clock on the real-time
 * runner, the reply to cycle t - L rendered at t (netsource's round trip). A
 * slave that is not there, or goes silent, costs its own ports only (they
 * carry silence); "port unreachable" does not end the session, so a slave
 * that comes back is served at once. Kicking a slave ends its session; it
 * is started again after RESTART_US.
 *
 * With --netone-dnssd, every netone slave DNS-SD shows (_netjack1-slave._udp,
 * netjack-slave --protocol netone publishes one) is driven too, with the
 * encoder and kbps its TXT says and the defaults above, its JACK client
 * named after the record; it ends when the record goes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnetproto/nj1-exchange.h>
#include <libnetproto/opus.h>
#include <libnetproto/udp.h>

#include "../common/clock.h"
#include "../common/dnssd.h"
#include "../common/log.h"
#include "listener-n1.h"

#define MAX_PEERS 64
#define RESTART_US 2000000 /* a kicked or failed session starts again after this */
#define SILENT_US 2000000  /* no reply this long: logged as silent */

struct n1peer {
	char text[160];          /* the entry, for log lines */
	char name[65];
	struct nj_sockaddr addr;
	unsigned send, receive, midi_send, midi_receive, latency, kbps, mtu, redundancy;
	enum nj1_mode mode;
	int slot;                /* -1: not running */
	uint64_t restart_at;     /* 0: now */
	bool silent;             /* logged as silent (until it answers again) */
	bool used;
	bool found;              /* from DNS-SD (its record's name in dnssd_name) */
	bool named;              /* name given (name=, or its DNS-SD record's) */
	bool refused;            /* by the policy: logged once, never driven */
	char dnssd_name[64];
};

struct n1l {
	struct manager *m;
	const struct master_config *cfg;
	bool jack_up;
	struct master_jack jk;
	struct n1peer peer[MAX_PEERS];
	unsigned n;                /* entries used, given and found */
	struct nj_dnssd *dnssd;
};

static const struct nj_port_names n1_ports = {
	/* as jack_netsource names them */
	.audio_in = "playback", .audio_out = "capture",
	.midi_in = "playback", .midi_out = "capture",
	.midi_after_audio = true,
};

static const char *mode_name(enum nj1_mode m)
{
	return m == NJ1_MODE_INT16 ? "int16" : m == NJ1_MODE_INT8 ? "int8"
					   : m == NJ1_MODE_OPUS ? "opus" : "float";
}

/* ------------------------------------------------------------ entries */

static int set_key(struct n1peer *p, const char *k, const char *v)
{
	static const struct {
		const char *key;
		size_t off;
		unsigned min, max;
	} nums[] = {
		{"send", offsetof(struct n1peer, send), 0, NJ1_MAX_CHANNELS},
		{"receive", offsetof(struct n1peer, receive), 0, NJ1_MAX_CHANNELS},
		{"midi-send", offsetof(struct n1peer, midi_send), 0, NJ1_MAX_CHANNELS},
		{"midi-receive", offsetof(struct n1peer, midi_receive), 0, NJ1_MAX_CHANNELS},
		{"latency", offsetof(struct n1peer, latency), 1, NJ1_MAX_LATENCY},
		{"kbps", offsetof(struct n1peer, kbps), 6, 512},
		{"mtu", offsetof(struct n1peer, mtu), NJ1_MTU_MIN, NJ1_MTU_MAX},
		{"redundancy", offsetof(struct n1peer, redundancy), 1, NJ1_MAX_REDUNDANCY},
	};
	char *end;
	unsigned long x;

	if (strcmp(k, "name") == 0) {
		if (v[0] == '\0' || strlen(v) >= sizeof(p->name)) {
			return -EINVAL;
		}
		snprintf(p->name, sizeof(p->name), "%s", v);
		p->named = true;
		return 0;
	}
	if (strcmp(k, "encoder") == 0) {
		p->mode = strcmp(v, "float") == 0   ? NJ1_MODE_FLOAT
			  : strcmp(v, "int16") == 0 ? NJ1_MODE_INT16
			  : strcmp(v, "int8") == 0  ? NJ1_MODE_INT8
			  : strcmp(v, "opus") == 0  ? NJ1_MODE_OPUS
						    : NJ1_MODE_CELT;
		return p->mode == NJ1_MODE_CELT ? -EINVAL : 0;
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (strcmp(k, nums[i].key) != 0) {
			continue;
		}
		errno = 0;
		x = strtoul(v, &end, 10);
		if (errno || end == v || *end || x < nums[i].min || x > nums[i].max) {
			return -ERANGE;
		}
		*(unsigned *)((char *)p + nums[i].off) = (unsigned)x;
		return 0;
	}
	return -ENOENT;
}

/* One --netone entry: HOST[:PORT][,key=value]... */
static int parse_entry(const char *text, struct n1peer *p)
{
	char buf[sizeof(p->text)], *save = NULL, *tok;
	int r = 0;

	*p = (struct n1peer){
		.send = 2, .receive = 2, .midi_send = 1, .midi_receive = 1, .latency = 5,
		.kbps = 128, .mtu = NJ1_MTU_DEFAULT, .redundancy = 1, .mode = NJ1_MODE_FLOAT,
		.slot = -1, .used = true,
	};
	if (strlen(text) >= sizeof(buf)) {
		log_err("--netone: \"%.40s...\" is too long", text);
		return -EINVAL;
	}
	snprintf(p->text, sizeof(p->text), "%s", text);
	snprintf(p->name, sizeof(p->name), "netjack");
	snprintf(buf, sizeof(buf), "%s", text);
	tok = strtok_r(buf, ",", &save);
	if (tok == NULL || nj_sockaddr_parse(tok, NJ1_DEFAULT_PORT, &p->addr) < 0 ||
	    p->addr.u.sa.sa_family != AF_INET || nj_sockaddr_is_multicast(&p->addr)) {
		log_err("--netone: \"%s\": \"%s\" is not a numeric IPv4 unicast HOST[:PORT] "
			"(netone is IPv4 only)", text, tok ? tok : "");
		return -EINVAL;
	}
	while (r == 0 && (tok = strtok_r(NULL, ",", &save)) != NULL) {
		char *eq = strchr(tok, '=');

		if (eq == NULL) {
			r = -EINVAL;
		} else {
			*eq = '\0';
			r = set_key(p, tok, eq + 1);
		}
		if (r < 0) {
			log_err("--netone: \"%s\": %s%s%s: %s", text, tok, eq ? "=" : "", eq ? eq + 1 : "",
				r == -ENOENT ? "unknown key (name, send, receive, midi-send, "
					       "midi-receive, latency, encoder, kbps, mtu, redundancy)"
				: r == -ERANGE ? "out of range"
					       : "not KEY=VALUE, or a bad value");
		}
	}
	if (r == 0 && p->send + p->midi_send == 0) {
		log_err("--netone: \"%s\": nothing to send (send=0, midi-send=0)", text);
		r = -EINVAL;
	}
	if (r == 0 && p->receive + p->midi_receive == 0) {
		log_err("--netone: \"%s\": nothing to receive (receive=0, midi-receive=0)", text);
		r = -EINVAL;
	}
	return r;
}

/* ------------------------------------------------------------ sessions */

/* Who may join: its name if one was given, and its host as written. A
 * refused slave is logged once and never driven. */
static bool refused(struct n1l *l, struct n1peer *p)
{
	char host[sizeof(p->text)];
	const char *names[2] = {p->named ? p->name : NULL, host};
	enum nj_verdict v;

	if (p->refused) {
		return true;
	}
	snprintf(host, sizeof(host), "%.*s", (int)strcspn(p->text, ",:"), p->text);
	v = slot_admit(l->m, l, &p->addr, names, 2, false); /* netone cannot authenticate */
	if (v != NJ_ADMIT) {
		p->refused = true;
		slot_log_refused(l->m, "netone slave", p->name, host, &p->addr, v);
	}
	return p->refused;
}

static int start_peer(struct n1l *l, struct n1peer *p)
{
	struct slot_desc d = {.ports = &n1_ports, .fd = -1, .keep_on_refused = true};
	struct nj1_exchange_config xc = {
		.session = {.rate = l->jk.rate, .period = l->jk.period, .mtu = p->mtu,
			    .latency = p->latency, .down_audio = p->send, .down_midi = p->midi_send,
			    .up_audio = p->receive, .up_midi = p->midi_receive},
		.role = NJ1_ROLE_MASTER, .mode = p->mode, .kbps = p->kbps,
		.redundancy = p->redundancy, .now_us = nj_mono_us,
	};
	struct nj_udp_opts o;
	struct nj_sockaddr any;
	int slot, r;

	p->restart_at = 0;
	if (refused(l, p)) {
		return -EACCES;
	}
	if (p->mode == NJ1_MODE_OPUS && !nj_opus_check(l->jk.rate, l->jk.period, p->kbps, false)) {
		log_err("netone slave %s: Opus at %u Hz, period %u, %u kbit/s is not possible "
			"(jack2's libopus aborts there); not started", p->text, l->jk.rate,
			l->jk.period, p->kbps);
		return -EINVAL;
	}
	snprintf(d.name, sizeof(d.name), "%s", p->name);
	snprintf(d.encoder, sizeof(d.encoder), "%s", mode_name(p->mode));
	d.peer = p->addr;
	d.audio_out = p->send;
	d.audio_in = p->receive;
	d.midi_out = p->midi_send;
	d.midi_in = p->midi_receive;
	d.latency_cycles = p->latency;
	d.latency_frames = p->latency * l->jk.period;
	d.return_latency = d.latency_frames; /* the round trip is L periods */
	r = nj1_exchange_open(&xc, &d.x);
	if (r < 0) {
		log_err("netone slave %s: cannot make the session (%u Hz, period %u): %s", p->text,
			l->jk.rate, l->jk.period, strerror(-r));
		return r;
	}
	slot = slot_claim(l->m, l, &d);
	if (slot < 0) {
		log_warn("netone slave %s: no free slot (--max-slaves); trying again", p->text);
		nj_exchange_free(d.x);
		p->restart_at = nj_mono_us() + RESTART_US;
		return slot;
	}
	nj_sockaddr_parse("0.0.0.0", 0, &any);
	nj_udp_opts_init(&o, AF_INET);
	o.bind = &any;
	o.connect = &p->addr;
	d.fd = nj_udp_open(&o);
	if (d.fd < 0) {
		log_err("netone slave %s: cannot open a UDP socket: %s", p->text, strerror(-d.fd));
		nj_exchange_free(d.x);
		slot_release(l->m, (unsigned)slot, "no socket");
		return d.fd;
	}
	p->slot = slot;
	p->silent = false;
	r = slot_start(l->m, (unsigned)slot, &d);
	if (r < 0) {
		p->slot = -1;
		slot_release(l->m, (unsigned)slot, "could not start");
		p->restart_at = nj_mono_us() + RESTART_US;
		return r;
	}
	log_info("netone slave %s: sending %u+%u channels, receiving %u+%u, %s, latency %u, MTU %u",
		 p->text, p->send, p->midi_send, p->receive, p->midi_receive, mode_name(p->mode),
		 p->latency, p->mtu);
	return 0;
}

static struct n1peer *peer_of_slot(struct n1l *l, unsigned slot)
{
	for (unsigned i = 0; i < l->n; i++) {
		if (l->peer[i].used && l->peer[i].slot == (int)slot) {
			return &l->peer[i];
		}
	}
	return NULL;
}

/* ----------------------------------------------------- listener ops */

static int l_start(void *ud, const struct master_jack *jk)
{
	struct n1l *l = ud;

	l->jk = *jk;
	l->jack_up = true;
	for (unsigned i = 0; i < l->n; i++) {
		if (l->peer[i].used && l->peer[i].slot < 0) {
			start_peer(l, &l->peer[i]);
		}
	}
	return 0;
}

static void l_stop(void *ud)
{
	((struct n1l *)ud)->jack_up = false;
}

static void l_end(void *ud, unsigned slot, const char *why)
{
	struct n1l *l = ud;
	struct n1peer *p = peer_of_slot(l, slot);

	slot_release(l->m, slot, why);
	if (p != NULL) {
		p->slot = -1;
		p->restart_at = nj_mono_us() + RESTART_US;
	}
}

static void l_notice(void *ud, unsigned slot)
{
}

static void l_control(void *ud, unsigned slot, const uint8_t *buf, size_t len)
{
	/* netone has no control messages */
}

static void l_ready(void *ud, unsigned slot, bool ok)
{
	if (!ok) {
		l_end(ud, slot, "no JACK client");
	}
}

static void l_status_head(void *ud, struct nj_buf *b, bool json)
{
	struct n1l *l = ud;

	if (json) {
		nj_buf_printf(b, ",\"netone\":{\"slaves\":%u}", l->n);
	} else {
		nj_buf_printf(b, "; %u netone slave(s)", l->n);
	}
}

static void l_status_json(void *ud, unsigned slot, struct nj_buf *b)
{
	struct n1l *l = ud;
	struct n1peer *p = peer_of_slot(l, slot);

	if (p != NULL) {
		nj_buf_printf(b, ",\"answering\":%s,\"mtu\":%u,\"redundancy\":%u",
			      p->silent ? "false" : "true", p->mtu, p->redundancy);
	}
}

static void l_publish(void *ud)
{
}

/* Once a second: restarts due, slaves gone silent or back. */
static void l_housekeeping(void *ud)
{
	struct n1l *l = ud;
	uint64_t now = nj_mono_us();

	for (unsigned i = 0; i < l->n; i++) {
		struct n1peer *p = &l->peer[i];
		uint64_t last;

		if (!p->used) {
			continue;
		}
		if (p->slot < 0) {
			if (l->jack_up && p->restart_at != 0 && now >= p->restart_at) {
				start_peer(l, p);
			}
			continue;
		}
		last = slot_last_rx(l->m, (unsigned)p->slot);
		if (!p->silent && last != 0 && now - last > SILENT_US) {
			p->silent = true;
			log_notice("netone slave %s is silent: its ports carry silence until it "
				   "answers again", p->text);
		} else if (p->silent && last != 0 && now - last < SILENT_US) {
			p->silent = false;
			log_notice("netone slave %s answers again", p->text);
		}
	}
}

static void l_free(void *ud)
{
	struct n1l *l = ud;

	if (l != NULL) {
		nj_dnssd_free(l->dnssd);
	}
	free(l);
}

/* ------------------------------------------------------------ DNS-SD */

static struct n1peer *found_peer(struct n1l *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++) {
		if (l->peer[i].used && l->peer[i].found && strcmp(l->peer[i].dnssd_name, name) == 0) {
			return &l->peer[i];
		}
	}
	return NULL;
}

static void dnssd_found(void *ud, const struct nj_dnssd_found *f)
{
	struct n1l *l = ud;
	struct n1peer *p = found_peer(l, f->name);
	const char *enc = nj_dnssd_txt(f, "encoder");
	char entry[160];
	unsigned kbps = 128;

	if (p != NULL || f->family != AF_INET) {
		return; /* known (a record that changes does not restart it), or not IPv4 */
	}
	for (unsigned i = 0; i < l->n; i++) {
		char a[80];

		if (l->peer[i].used && !l->peer[i].found &&
		    strcmp(nj_sockaddr_format(&l->peer[i].addr, a, sizeof(a)), f->addr) == 0) {
			return; /* given with --netone already */
		}
	}
	for (unsigned i = 0; p == NULL && i < MAX_PEERS; i++) {
		if (!l->peer[i].used) {
			p = &l->peer[i];
			l->n = i + 1 > l->n ? i + 1 : l->n;
		}
	}
	if (p == NULL) {
		log_warn("DNS-SD: netone slave \"%s\": more than %d netone slaves", f->name, MAX_PEERS);
		return;
	}
	if (!nj_dnssd_txt_uint(f, "kbps", 512, &kbps) || kbps < 6) {
		kbps = 128; /* peer input: a bad number is as good as none */
	}
	/* built, not parsed: a record's name may hold any character */
	snprintf(entry, sizeof(entry), "%.63s:%u", f->addr, f->port);
	if (parse_entry(entry, p) < 0) {
		p->used = false;
		return;
	}
	snprintf(p->name, sizeof(p->name), "%s", f->name);
	p->named = true;
	p->mode = enc && strcmp(enc, "int16") == 0  ? NJ1_MODE_INT16
		  : enc && strcmp(enc, "opus") == 0 ? NJ1_MODE_OPUS
						    : NJ1_MODE_FLOAT;
	p->kbps = kbps;
	p->found = true;
	snprintf(p->dnssd_name, sizeof(p->dnssd_name), "%s", f->name);
	log_notice("DNS-SD: netone slave \"%s\" at %s:%u", f->name, f->addr, f->port);
	if (l->jack_up) {
		start_peer(l, p);
	}
}

static void dnssd_removed(void *ud, const struct nj_dnssd_found *f)
{
	struct n1l *l = ud;
	struct n1peer *p = found_peer(l, f->name);

	if (p == NULL) {
		return;
	}
	log_notice("DNS-SD: netone slave \"%s\" is gone", f->name);
	if (p->slot >= 0) {
		slot_release(l->m, (unsigned)p->slot, "its DNS-SD record went");
	}
	p->used = false;
}

static const struct nj_dnssd_browse_ops browse_ops = {
	.found = dnssd_found,
	.removed = dnssd_removed,
};

static const struct listener_ops n1_listener_ops = {
	.protocol = "netjack1",
	.start = l_start,
	.stop = l_stop,
	.end = l_end,
	.notice = l_notice,
	.control = l_control,
	.ready = l_ready,
	.status_head = l_status_head,
	.status_json = l_status_json,
	.publish = l_publish,
	.housekeeping = l_housekeeping,
	.free = l_free,
};

int n1_listener_new(struct manager *m, const struct master_config *cfg,
		    const struct listener_ops **ret_ops, void **ret)
{
	struct n1l *l = calloc(1, sizeof(*l));
	char list[sizeof(cfg->netone)], *save = NULL, *line;

	if (l == NULL) {
		return -ENOMEM;
	}
	l->m = m;
	l->cfg = cfg;
	snprintf(list, sizeof(list), "%s", cfg->netone);
	for (line = strtok_r(list, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (l->n == MAX_PEERS) {
			log_err("--netone: more than %d slaves", MAX_PEERS);
			free(l);
			return -EINVAL;
		}
		if (parse_entry(line, &l->peer[l->n]) < 0) {
			free(l);
			return -EINVAL;
		}
		l->n++;
	}
	if (cfg->netone_dnssd) {
		int r = nj_dnssd_new(manager_event(m), false, &l->dnssd);

		if (r >= 0) {
			r = nj_dnssd_browse(l->dnssd, NJ_DNSSD_NETONE_SLAVE_TYPE, AF_INET, &browse_ops,
					    l);
		}
		if (r < 0) {
			l_free(l);
			return r;
		}
	}
	*ret_ops = &n1_listener_ops;
	*ret = l;
	return 0;
}
