/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slave.c - the slave's discovery and session state machine.
 *
 * jack2's slave takes the first "params" packet from anyone as its setup and
 * answers it once; here only a valid SLAVE_SETUP is adopted, every repeat of
 * it is answered until data flows (a repeat means our START_MASTER was lost),
 * and during a session only the master's packets count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/audio.h>
#include <libnetproto/session.h>

struct nj2_slave {
	struct nj2_slave_config cfg;
	const struct nj2_slave_ops *ops;
	void *userdata;
	enum nj2_slave_state state;
	uint8_t avail[NJ2_PARAMS_SIZE]; /* our SLAVE_AVAILABLE, encoded once */
	uint8_t start[NJ2_PARAMS_SIZE]; /* START_MASTER for the adopted setup */
	struct nj2_params params;       /* adopted */
	struct nj_addr master;
	uint64_t next_announce;
	uint64_t last_rx;
	struct nj2_slave_stats stats;
};

void nj2_slave_config_init(struct nj2_slave_config *c)
{
	memset(c, 0, sizeof(*c));
	nj2_params_init(&c->offer);
	c->announce_us = 1000000;
	c->timeout_us = 2000000;
}

/*
 * Encode our SLAVE_AVAILABLE; with a key, under a fresh auth nonce (each
 * discovery phase is a new handshake, so an old SLAVE_SETUP replayed to us
 * fails). A host name too long for the extension: plain jack2.
 */
static int encode_offer(struct nj2_slave *s)
{
	struct nj2_params *offer = &s->cfg.offer;

	if (offer->has_slave_ext && (offer->slave_ext.flags & NJ2_EXT_AUTH)) {
		s->cfg.auth->nonce(s->cfg.auth->userdata, offer->slave_ext.auth_nonce);
	}
	if (nj2_params_encode(offer, s->avail, sizeof(s->avail)) == NJ2_PARAMS_SIZE) {
		return 0;
	}
	offer->has_slave_ext = false;
	return nj2_params_encode(offer, s->avail, sizeof(s->avail)) == NJ2_PARAMS_SIZE ? 0 : -EINVAL;
}

int nj2_slave_new(const struct nj2_slave_config *cfg, const struct nj2_slave_ops *ops,
		 void *userdata, struct nj2_slave **ret)
{
	struct nj2_params *offer;
	struct nj2_slave *s;
	uint32_t flags;

	if (cfg == NULL || ops == NULL || ret == NULL || ops->send_discovery == NULL ||
	    ops->send_peer == NULL || ops->adopted == NULL || ops->lost == NULL ||
	    cfg->announce_us == 0 || cfg->timeout_us == 0) {
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return -ENOMEM;
	}
	s->cfg = *cfg;
	s->ops = ops;
	s->userdata = userdata;
	flags = cfg->ext_flags & ~(uint32_t)(NJ2_EXT_AUTH | NJ2_EXT_ENCRYPT | NJ2_EXT_REDUNDANCY);
	if (cfg->auth != NULL) {
		flags |= NJ2_EXT_AUTH | (cfg->auth->encrypt ? NJ2_EXT_ENCRYPT : 0);
	}
	if (cfg->redundancy > 1) {
		flags |= NJ2_EXT_REDUNDANCY;
	}
	s->cfg.ext_flags = flags;
	offer = &s->cfg.offer;
	offer->version = NJ2_PROTOCOL_VERSION;
	offer->packet_id = NJ2_SLAVE_AVAILABLE;
	offer->id = 0;
	offer->has_master_ext = false;
	offer->has_slave_ext = flags != 0;
	memset(&offer->slave_ext, 0, sizeof(offer->slave_ext));
	offer->slave_ext.version = NJ2_EXT_VERSION;
	offer->slave_ext.flags = flags;
	offer->slave_ext.nonce = cfg->nonce;
	offer->slave_ext.redundancy = (uint8_t)(cfg->redundancy > NJ2_MAX_REDUNDANCY
							? NJ2_MAX_REDUNDANCY
							: cfg->redundancy);
	if (encode_offer(s) < 0) {
		free(s);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

void nj2_slave_free(struct nj2_slave *s)
{
	free(s);
}

static void announce(struct nj2_slave *s, uint64_t now)
{
	s->stats.announcements++;
	s->next_announce = now + s->cfg.announce_us;
	s->ops->send_discovery(s->userdata, s->avail, sizeof(s->avail));
}

void nj2_slave_start(struct nj2_slave *s, uint64_t now)
{
	if (s->state != NJ2_SLAVE_IDLE) {
		return;
	}
	s->state = NJ2_SLAVE_DISCOVER;
	announce(s, now);
}

static void lose(struct nj2_slave *s, enum nj2_slave_lost_reason why)
{
	s->state = NJ2_SLAVE_DISCOVER;
	memset(&s->master, 0, sizeof(s->master));
	encode_offer(s); /* the same names as before: it fits */
	s->ops->lost(s->userdata, why);
}

void nj2_slave_stop(struct nj2_slave *s)
{
	if (s->state == NJ2_SLAVE_STARTING || s->state == NJ2_SLAVE_RUNNING) {
		lose(s, NJ2_LOST_LOCAL);
	}
	s->state = NJ2_SLAVE_IDLE;
}

/* Does the master of @p (a netjack one: it echoed our nonce) authenticate as
 * we asked? 0, -EACCES (a wrong tag: another key, or forged), -EPERM (no
 * authentication where we require it), -EPROTO (authentication we never offered). */
static int check_auth(struct nj2_slave *s, const struct nj2_params *p, const uint8_t *buf)
{
	const struct nj2_params *offer = &s->cfg.offer;
	bool netjack = p->has_master_ext && p->master_ext.nonce == s->cfg.nonce;
	bool authed = netjack && (p->master_ext.flags & NJ2_EXT_AUTH);
	bool offered = offer->has_slave_ext && (offer->slave_ext.flags & NJ2_EXT_AUTH);

	if (!offered) {
		return authed ? -EPROTO : 0;
	}
	if (!authed) {
		return s->cfg.auth->require ? -EPERM : 0;
	}
	if (!p->has_slave_ext || !(p->slave_ext.flags & NJ2_EXT_AUTH) ||
	    memcmp(p->slave_ext.auth_nonce, offer->slave_ext.auth_nonce, NJ2_AUTH_NONCE) != 0 ||
	    !nj2_auth_verify(s->cfg.auth, NJ2_AUTH_BY_MASTER, buf)) {
		s->stats.auth_failed++;
		return -EACCES;
	}
	return 0;
}

/* Is this SLAVE_SETUP one we can run? 0, or a negative errno for rejected(). */
static int check_setup(struct nj2_slave *s, const struct nj2_params *p, const uint8_t *buf)
{
	bool any_period = p->has_master_ext && p->master_ext.nonce == s->cfg.nonce &&
			  (p->master_ext.flags & s->cfg.ext_flags & NJ2_EXT_OPUS_ANY_PERIOD);
	int r = check_auth(s, p, buf);

	if (r < 0) {
		return r;
	}
	if (nj2_params_check_session(p) < 0 || nj2_params_redundancy(p) > NJ2_MAX_REDUNDANCY) {
		return -EINVAL;
	}
	/* a layout we did not offer */
	if (nj2_params_tiled(p) && !(s->cfg.ext_flags & NJ2_EXT_TILED)) {
		return -EINVAL;
	}
	if (p->encoder == NJ2_ENCODER_OPUS &&
	    (s->cfg.opus_ok == NULL || !s->cfg.opus_ok(p->sample_rate, p->period, p->kbps, any_period))) {
		return -EOPNOTSUPP;
	}
	return 0;
}

static void adopt(struct nj2_slave *s, const struct nj2_params *p, const uint8_t *buf,
		  const struct nj_addr *from, uint64_t now)
{
	struct nj2_params start = *p;
	int r = check_setup(s, p, buf);

	s->stats.setups++;
	if (r < 0) {
		s->stats.rejected++;
		if (s->ops->rejected != NULL) {
			s->ops->rejected(s->userdata, p, r);
		}
		return;
	}
	/* An extension answer counts only if it echoes our nonce: a jack2
	 * master copies our slave-name field back, never the master's. */
	if (start.has_master_ext && start.master_ext.nonce != s->cfg.nonce) {
		start.has_master_ext = false;
	}
	s->params = start;
	s->master = *from;
	s->last_rx = now;
	s->state = NJ2_SLAVE_STARTING;
	/* START_MASTER is the adopted parameters with ID 2, as jack2 sends it. */
	start.packet_id = NJ2_START_MASTER;
	if (nj2_params_encode(&start, s->start, sizeof(s->start)) != NJ2_PARAMS_SIZE) {
		start.has_master_ext = false;
		start.has_slave_ext = false;
		nj2_params_encode(&start, s->start, sizeof(s->start));
	}
	if (nj2_params_authenticated(&start)) {
		nj2_auth_sign(s->cfg.auth, NJ2_AUTH_BY_SLAVE, s->start);
	}
	if (s->ops->adopted(s->userdata, from, &s->params) < 0) {
		s->stats.rejected++;
		s->state = NJ2_SLAVE_DISCOVER;
		memset(&s->master, 0, sizeof(s->master));
		announce(s, now);
		return;
	}
	s->ops->send_peer(s->userdata, s->start, sizeof(s->start));
}

int nj2_slave_rx(struct nj2_slave *s, const uint8_t *buf, size_t len, const struct nj_addr *from,
		uint64_t now)
{
	struct nj2_params p;
	bool ours = (s->state == NJ2_SLAVE_STARTING || s->state == NJ2_SLAVE_RUNNING) &&
		    nj_addr_equal(from, &s->master);
	int r;

	if ((s->state == NJ2_SLAVE_STARTING || s->state == NJ2_SLAVE_RUNNING) && !ours) {
		s->stats.foreign++;
		return 0;
	}
	r = nj2_params_decode(buf, len, &p);
	if (r < 0) {
		s->stats.malformed++;
		return r;
	}
	switch (s->state) {
	case NJ2_SLAVE_IDLE:
		return 0;
	case NJ2_SLAVE_DISCOVER:
		if (p.packet_id == NJ2_SLAVE_SETUP) {
			adopt(s, &p, buf, from, now);
		}
		return 0;
	case NJ2_SLAVE_STARTING:
		if (p.packet_id == NJ2_SLAVE_SETUP && p.id == s->params.id) {
			s->ops->send_peer(s->userdata, s->start, sizeof(s->start));
			return 0;
		}
		break;
	case NJ2_SLAVE_RUNNING:
		break;
	}
	if (p.packet_id == NJ2_KILL_MASTER && p.id == s->params.id) {
		if (nj2_params_authenticated(&s->params) &&
		    (!nj2_params_authenticated(&p) ||
		     memcmp(p.master_ext.auth_nonce, s->params.master_ext.auth_nonce, NJ2_AUTH_NONCE) != 0 ||
		     !nj2_auth_verify(s->cfg.auth, NJ2_AUTH_BY_MASTER, buf))) {
			s->stats.auth_failed++;
			return 0;
		}
		lose(s, NJ2_LOST_KILLED);
		announce(s, now);
	}
	return 0;
}

int nj2_slave_latency_report(const struct nj2_slave *s, uint32_t after, uint32_t before,
			     uint8_t *buf, size_t len)
{
	struct nj2_params p;

	if (buf == NULL || len < NJ2_PARAMS_SIZE ||
	    (s->state != NJ2_SLAVE_STARTING && s->state != NJ2_SLAVE_RUNNING)) {
		return -EINVAL;
	}
	if (!s->params.has_master_ext || !(s->params.master_ext.flags & NJ2_EXT_LATENCY) ||
	    !(s->cfg.ext_flags & NJ2_EXT_LATENCY)) {
		return -EOPNOTSUPP;
	}
	p = s->params;
	p.packet_id = NJ2_LATENCY_REPORT;
	p.has_slave_ext = true;
	p.slave_ext.flags |= NJ2_EXT_LATENCY;
	p.slave_ext.latency[0] = after;
	p.slave_ext.latency[1] = before;
	if (nj2_params_encode(&p, buf, len) != NJ2_PARAMS_SIZE) {
		return -EINVAL;
	}
	if (nj2_params_authenticated(&p)) {
		nj2_auth_sign(s->cfg.auth, NJ2_AUTH_BY_SLAVE, buf);
	}
	return NJ2_PARAMS_SIZE;
}

void nj2_slave_alive(struct nj2_slave *s, uint64_t now)
{
	if (s->state != NJ2_SLAVE_STARTING && s->state != NJ2_SLAVE_RUNNING) {
		return;
	}
	if (now > s->last_rx) {
		s->last_rx = now;
	}
	if (s->state == NJ2_SLAVE_STARTING) {
		s->state = NJ2_SLAVE_RUNNING;
		s->stats.sessions++;
		if (s->ops->running != NULL) {
			s->ops->running(s->userdata);
		}
	}
}

void nj2_slave_timeout(struct nj2_slave *s, uint64_t now)
{
	switch (s->state) {
	case NJ2_SLAVE_IDLE:
		return;
	case NJ2_SLAVE_DISCOVER:
		if (now >= s->next_announce) {
			announce(s, now);
		}
		return;
	case NJ2_SLAVE_STARTING:
	case NJ2_SLAVE_RUNNING:
		if (now >= s->last_rx && now - s->last_rx >= s->cfg.timeout_us) {
			lose(s, NJ2_LOST_TIMEOUT);
			announce(s, now);
		}
		return;
	}
}

uint64_t nj2_slave_next_deadline(const struct nj2_slave *s)
{
	switch (s->state) {
	case NJ2_SLAVE_IDLE:
		return NJ_TIME_NEVER;
	case NJ2_SLAVE_DISCOVER:
		return s->next_announce;
	case NJ2_SLAVE_STARTING:
	case NJ2_SLAVE_RUNNING:
		return s->last_rx + s->cfg.timeout_us;
	}
	return NJ_TIME_NEVER;
}

enum nj2_slave_state nj2_slave_state(const struct nj2_slave *s)
{
	return s->state;
}

const struct nj2_params *nj2_slave_params(const struct nj2_slave *s)
{
	return s->state == NJ2_SLAVE_STARTING || s->state == NJ2_SLAVE_RUNNING ? &s->params : NULL;
}

const struct nj_addr *nj2_slave_master(const struct nj2_slave *s)
{
	return s->state == NJ2_SLAVE_STARTING || s->state == NJ2_SLAVE_RUNNING ? &s->master : NULL;
}

const struct nj2_slave_stats *nj2_slave_stats(const struct nj2_slave *s)
{
	return &s->stats;
}
