/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * master.c - the master's discovery and session state machine.
 *
 * jack2's netmanager handles one announcing slave at a time and blocks up to
 * 5 x 10 s on a slave that never answers SLAVE_SETUP; here every session is a
 * slot in a fixed table, handshakes run side by side on timers, and nothing
 * grows after nj2_master_new() whatever arrives.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/audio.h>
#include <libnetproto/session.h>

#define REFUSE_MEMO 16

struct msession {
	enum nj2_master_state state;
	struct nj_addr peer;
	struct nj2_params params; /* the SLAVE_SETUP we answer with */
	uint8_t setup[NJ2_PARAMS_SIZE];
	unsigned tries;
	uint64_t started;   /* when the SETUP phase began (eviction order) */
	uint64_t next_send; /* SETUP: next resend */
	uint64_t last_alive;/* RUNNING: last data seen */
};

struct refuse_memo {
	struct nj_addr peer;
	enum nj2_refuse_reason why;
	bool used;
};

struct nj2_master {
	struct nj2_master_config cfg;
	const struct nj2_master_ops *ops;
	void *userdata;
	struct msession *sess;
	uint32_t last_id;
	struct nj2_master_stats stats;
	struct refuse_memo memo[REFUSE_MEMO];
	unsigned memo_next;
};

void nj2_master_config_init(struct nj2_master_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_slaves = 32;
	c->max_channels = NJ_MAX_CHANNELS;
	c->mtu_min = NJ_MTU_MIN;
	c->mtu_max = NJ_MTU_MAX;
	c->setup_retry_us = 1000000;
	c->setup_tries = 5;
	c->timeout_us = 2000000;
}

int nj2_master_new(const struct nj2_master_config *cfg, const struct nj2_master_ops *ops,
		  void *userdata, struct nj2_master **ret)
{
	struct nj2_master *m;

	if (cfg == NULL || ops == NULL || ret == NULL || ops->send == NULL ||
	    ops->send_group == NULL || ops->session_new == NULL || ops->session_started == NULL ||
	    ops->session_ended == NULL || cfg->max_slaves == 0 || cfg->max_slaves > 4096 ||
	    cfg->max_channels > NJ_MAX_CHANNELS || cfg->setup_tries == 0 ||
	    cfg->mtu_min > cfg->mtu_max) {
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		return -ENOMEM;
	}
	m->sess = calloc(cfg->max_slaves, sizeof(*m->sess));
	if (m->sess == NULL) {
		free(m);
		return -ENOMEM;
	}
	m->cfg = *cfg;
	m->cfg.hostname[NJ2_NETNAME_LEN] = '\0';
	m->ops = ops;
	m->userdata = userdata;
	*ret = m;
	return 0;
}

void nj2_master_free(struct nj2_master *m)
{
	if (m == NULL) {
		return;
	}
	free(m->sess);
	free(m);
}

void nj2_master_set_format(struct nj2_master *m, uint32_t rate, uint32_t period)
{
	m->cfg.sample_rate = rate;
	m->cfg.period = period;
}

/* Multicast KILL_MASTER with the session's parameters, as a jack2 master does
 * when it leaves; every jack2 manager on the group drops a master of that ID. */
static void send_kill(struct nj2_master *m, const struct msession *s)
{
	struct nj2_params p = s->params;
	uint8_t buf[NJ2_PARAMS_SIZE];

	p.packet_id = NJ2_KILL_MASTER;
	if (nj2_params_encode(&p, buf, sizeof(buf)) == NJ2_PARAMS_SIZE) {
		if (nj2_params_authenticated(&p)) {
			nj2_auth_sign(m->cfg.auth, NJ2_AUTH_BY_MASTER, buf);
		}
		m->ops->send_group(m->userdata, buf, sizeof(buf));
	}
}

static void end_session(struct nj2_master *m, unsigned i, enum nj2_end_reason why)
{
	struct msession *s = &m->sess[i];
	bool was_running = s->state == NJ2_MSESSION_RUNNING;

	if (s->state == NJ2_MSESSION_FREE) {
		return;
	}
	if (was_running && (why == NJ2_END_TIMEOUT || why == NJ2_END_LOCAL)) {
		send_kill(m, s);
	}
	s->state = NJ2_MSESSION_FREE;
	m->ops->session_ended(m->userdata, i, why);
}

/* Log each (address, reason) once, not once per announcement (1 per second). */
static void refuse(struct nj2_master *m, const struct nj_addr *peer, const struct nj2_params *avail,
		   enum nj2_refuse_reason why)
{
	m->stats.refused++;
	for (unsigned i = 0; i < REFUSE_MEMO; i++) {
		if (m->memo[i].used && m->memo[i].why == why &&
		    nj_addr_equal(&m->memo[i].peer, peer)) {
			return;
		}
	}
	m->memo[m->memo_next].used = true;
	m->memo[m->memo_next].peer = *peer;
	m->memo[m->memo_next].why = why;
	m->memo_next = (m->memo_next + 1) % REFUSE_MEMO;
	if (m->ops->refused != NULL) {
		m->ops->refused(m->userdata, peer, avail, why);
	}
}

static void forget_refusals(struct nj2_master *m, const struct nj_addr *peer)
{
	for (unsigned i = 0; i < REFUSE_MEMO; i++) {
		if (m->memo[i].used && nj_addr_equal(&m->memo[i].peer, peer)) {
			m->memo[i].used = false;
		}
	}
}

static int32_t resolve(int32_t asked, int phys)
{
	return asked == -1 ? (phys > 0 ? phys : 0) : asked;
}

/*
 * Build the SLAVE_SETUP jack2's way: every field of the announcement copied,
 * except our host name, a fresh ID, our rate and period, and the -1 counts
 * resolved against our physical ports. Returns a refusal reason or -1.
 */
static int build_setup(struct nj2_master *m, const struct nj2_params *avail, struct nj2_params *p)
{
	const struct nj2_master_config *c = &m->cfg;
	bool netjack = avail->has_slave_ext;
	uint32_t offered = c->ext_flags | (c->auth ? NJ2_EXT_AUTH | NJ2_EXT_ENCRYPT : 0);
	uint32_t ext = netjack ? (avail->slave_ext.flags & offered) : 0;

	/* encryption with authentication only: asked for by the slave or imposed here */
	if ((ext & NJ2_EXT_AUTH) && c->auth->encrypt) {
		ext |= NJ2_EXT_ENCRYPT;
	}
	if (!(ext & NJ2_EXT_AUTH)) {
		ext &= ~(uint32_t)NJ2_EXT_ENCRYPT;
	}

	*p = *avail;
	p->packet_id = NJ2_SLAVE_SETUP;
	memcpy(p->master_name, c->hostname, sizeof(p->master_name));
	p->sample_rate = c->sample_rate;
	p->period = c->period;
	p->send_audio = resolve(avail->send_audio, c->phys_audio_capture);
	p->return_audio = resolve(avail->return_audio, c->phys_audio_playback);
	p->send_midi = resolve(avail->send_midi, c->phys_midi_capture);
	p->return_midi = resolve(avail->return_midi, c->phys_midi_playback);
	p->has_master_ext = netjack;
	if (netjack) {
		/* redundancy: the more of what the slave asks and what we impose */
		unsigned copies = (avail->slave_ext.flags & NJ2_EXT_REDUNDANCY)
					  ? avail->slave_ext.redundancy
					  : 1;

		copies = copies > c->redundancy ? copies : c->redundancy;
		copies = copies > NJ2_MAX_REDUNDANCY ? NJ2_MAX_REDUNDANCY : copies;
		ext &= ~(uint32_t)NJ2_EXT_REDUNDANCY;
		if (copies > 1) {
			ext |= NJ2_EXT_REDUNDANCY;
		}
		p->master_ext.redundancy = (uint8_t)copies;
		p->master_ext.version = NJ2_EXT_VERSION;
		p->master_ext.flags = ext;
		p->master_ext.nonce = avail->slave_ext.nonce;
		memset(p->master_ext.auth_tag, 0, NJ2_AUTH_TAG);
		if (ext & NJ2_EXT_AUTH) {
			c->auth->nonce(c->auth->userdata, p->master_ext.auth_nonce);
		}
	}
	if ((unsigned)p->send_audio > c->max_channels || (unsigned)p->return_audio > c->max_channels ||
	    (unsigned)p->send_midi > c->max_channels || (unsigned)p->return_midi > c->max_channels) {
		return NJ2_REFUSE_CHANNELS;
	}
	if (p->mtu < c->mtu_min || p->mtu > c->mtu_max) {
		return NJ2_REFUSE_MTU;
	}
	if (p->encoder == NJ2_ENCODER_CELT) {
		return NJ2_REFUSE_ENCODER;
	}
	if (p->encoder == NJ2_ENCODER_OPUS &&
	    (c->opus_ok == NULL ||
	     !c->opus_ok(p->sample_rate, p->period, p->kbps, ext & NJ2_EXT_OPUS_ANY_PERIOD))) {
		/* A jack2 slave adopts whatever SLAVE_SETUP says, so instead of
		 * letting a Debian 12 peer crash in libopus (or refusing), answer
		 * with float; the owner sees it in the setup it is given. */
		p->encoder = NJ2_ENCODER_FLOAT;
		p->kbps = 0;
	}
	if (nj2_params_check_session(p) < 0) {
		return NJ2_REFUSE_LAYOUT;
	}
	return -1;
}

static int find_peer(const struct nj2_master *m, const struct nj_addr *peer)
{
	for (unsigned i = 0; i < m->cfg.max_slaves; i++) {
		if (m->sess[i].state != NJ2_MSESSION_FREE && nj_addr_equal(&m->sess[i].peer, peer)) {
			return (int)i;
		}
	}
	return -1;
}

/*
 * A free slot; if none, the oldest session still handshaking gives way (a
 * real slave answers SLAVE_SETUP within a round trip, so only announcements
 * that never answer - a flood of spoofed ones - are pushed out). Running
 * sessions are never evicted.
 */
static int free_slot(struct nj2_master *m)
{
	int oldest = -1;

	for (unsigned i = 0; i < m->cfg.max_slaves; i++) {
		if (m->sess[i].state == NJ2_MSESSION_FREE) {
			return (int)i;
		}
		if (m->sess[i].state == NJ2_MSESSION_SETUP &&
		    (oldest < 0 || m->sess[i].started < m->sess[oldest].started)) {
			oldest = (int)i;
		}
	}
	if (oldest >= 0) {
		end_session(m, (unsigned)oldest, NJ2_END_NO_START);
	}
	return oldest;
}

/* The same offer as the one a handshake answers? A netjack slave that went
 * back to discovery announces a fresh auth nonce: that is a new handshake. */
static bool same_offer(const struct nj2_params *setup, const struct nj2_params *avail)
{
	if (!nj2_params_authenticated(setup)) {
		return true;
	}
	return avail->has_slave_ext && (avail->slave_ext.flags & NJ2_EXT_AUTH) &&
	       memcmp(avail->slave_ext.auth_nonce, setup->slave_ext.auth_nonce, NJ2_AUTH_NONCE) == 0;
}

/*
 * Is @buf (decoded as @p) a packet the slave of an authenticated session
 * @setup sent? Both nonces echoed and the slave's tag right. A session
 * without authentication takes anything, as jack2 does.
 */
static bool from_slave(struct nj2_master *m, const struct nj2_params *setup,
		       const struct nj2_params *p, const uint8_t *buf)
{
	if (!nj2_params_authenticated(setup)) {
		return true;
	}
	if (p->has_slave_ext && (p->slave_ext.flags & NJ2_EXT_AUTH) && p->has_master_ext &&
	    (p->master_ext.flags & NJ2_EXT_AUTH) &&
	    memcmp(p->slave_ext.auth_nonce, setup->slave_ext.auth_nonce, NJ2_AUTH_NONCE) == 0 &&
	    memcmp(p->master_ext.auth_nonce, setup->master_ext.auth_nonce, NJ2_AUTH_NONCE) == 0 &&
	    nj2_auth_verify(m->cfg.auth, NJ2_AUTH_BY_SLAVE, buf)) {
		return true;
	}
	m->stats.auth_failed++;
	return false;
}

static void send_setup(struct nj2_master *m, unsigned i, uint64_t now)
{
	struct msession *s = &m->sess[i];

	s->tries++;
	s->next_send = now + m->cfg.setup_retry_us;
	m->ops->send(m->userdata, i, s->setup, sizeof(s->setup));
}

static void accept_available(struct nj2_master *m, const struct nj2_params *avail,
			     const struct nj_addr *from, uint64_t now)
{
	struct nj2_params setup;
	struct msession *s;
	int i, why;

	if (m->ops->admit != NULL && m->ops->admit(m->userdata, from, avail) < 0) {
		refuse(m, from, avail, NJ2_REFUSE_POLICY);
		return;
	}
	i = find_peer(m, from);
	if (i >= 0 && m->sess[i].state == NJ2_MSESSION_SETUP && same_offer(&m->sess[i].params, avail)) {
		if (m->sess[i].tries >= m->cfg.setup_tries) {
			/* It keeps announcing and never answers (another key, or
			 * our answers do not reach it): give up as the timer
			 * would, or its resends would hold the slot forever. */
			end_session(m, (unsigned)i, NJ2_END_NO_START);
			return;
		}
		/* It announced again: our SLAVE_SETUP was lost. Answer now. */
		send_setup(m, (unsigned)i, now);
		return;
	}
	if (i >= 0) {
		/* A running slave announcing itself has restarted (jack2 slaves
		 * return to discovery after a 2 s silence): start afresh. */
		end_session(m, (unsigned)i, NJ2_END_RESTART);
	}
	why = build_setup(m, avail, &setup);
	if (why >= 0) {
		refuse(m, from, avail, (enum nj2_refuse_reason)why);
		return;
	}
	i = free_slot(m);
	if (i < 0) {
		refuse(m, from, avail, NJ2_REFUSE_FULL);
		return;
	}
	forget_refusals(m, from);
	s = &m->sess[i];
	memset(s, 0, sizeof(*s));
	setup.id = ++m->last_id; /* from 1, never reused, as jack2's manager */
	if (nj2_params_encode(&setup, s->setup, sizeof(s->setup)) != NJ2_PARAMS_SIZE) {
		/* A host name too long for an extension block: talk plain jack2. */
		setup.has_master_ext = false;
		if (nj2_params_encode(&setup, s->setup, sizeof(s->setup)) != NJ2_PARAMS_SIZE) {
			refuse(m, from, avail, NJ2_REFUSE_LAYOUT);
			return;
		}
	}
	if (nj2_params_authenticated(&setup)) {
		nj2_auth_sign(m->cfg.auth, NJ2_AUTH_BY_MASTER, s->setup);
	}
	s->state = NJ2_MSESSION_SETUP;
	s->peer = *from;
	s->params = setup;
	s->started = now;
	why = m->ops->session_new(m->userdata, (unsigned)i, from, &setup);
	if (why < 0) {
		s->state = NJ2_MSESSION_FREE;
		refuse(m, from, avail, why == -ENOSPC ? NJ2_REFUSE_FULL : NJ2_REFUSE_LOCAL);
		return;
	}
	send_setup(m, (unsigned)i, now);
}

static int decode_counted(struct nj2_master *m, const uint8_t *buf, size_t len, struct nj2_params *p)
{
	int r = nj2_params_decode(buf, len, p);

	if (r == -EPROTO) {
		m->stats.wrong_version++;
	} else if (r < 0) {
		m->stats.malformed++;
	}
	return r;
}

int nj2_master_rx_discovery(struct nj2_master *m, const uint8_t *buf, size_t len,
			   const struct nj_addr *from, uint64_t now)
{
	struct nj2_params p;
	int r = decode_counted(m, buf, len, &p), i;

	if (r < 0) {
		return r;
	}
	switch ((enum nj2_packet_id)p.packet_id) {
	case NJ2_SLAVE_AVAILABLE:
		m->stats.announcements++;
		accept_available(m, &p, from, now);
		return 0;
	case NJ2_KILL_MASTER:
		/* jack2 kills by ID whoever sends it; we want the peer itself. */
		i = find_peer(m, from);
		if (i >= 0 && m->sess[i].params.id == p.id &&
		    strcmp(m->sess[i].params.name, p.name) == 0 &&
		    from_slave(m, &m->sess[i].params, &p, buf)) {
			end_session(m, (unsigned)i, NJ2_END_KILLED);
			return 0;
		}
		m->stats.ignored++;
		return 0;
	case NJ2_SLAVE_SETUP:
	case NJ2_START_MASTER:
	case NJ2_START_SLAVE:
	case NJ2_LATENCY_REPORT: /* the session's own socket's */
		m->stats.ignored++;
		return 0;
	}
	return -EBADMSG;
}

int nj2_master_rx_session(struct nj2_master *m, unsigned sess, const uint8_t *buf, size_t len,
			 uint64_t now)
{
	struct msession *s;
	struct nj2_params p;
	int r;

	if (sess >= m->cfg.max_slaves) {
		return -EINVAL;
	}
	s = &m->sess[sess];
	r = decode_counted(m, buf, len, &p);
	if (r < 0) {
		return r;
	}
	if (s->state == NJ2_MSESSION_RUNNING && p.packet_id == NJ2_LATENCY_REPORT) {
		/* only where both sides negotiated it, from the slave itself */
		if (p.id != s->params.id || !s->params.has_master_ext ||
		    !(s->params.master_ext.flags & NJ2_EXT_LATENCY) || !p.has_slave_ext ||
		    !(p.slave_ext.flags & NJ2_EXT_LATENCY) || strcmp(p.name, s->params.name) != 0) {
			m->stats.ignored++;
			return 0;
		}
		if (!from_slave(m, &s->params, &p, buf)) {
			return 0; /* counted in auth_failed */
		}
		m->stats.latency_reports++;
		if (m->ops->latency != NULL) {
			m->ops->latency(m->userdata, sess, p.slave_ext.latency[0], p.slave_ext.latency[1]);
		}
		return 0;
	}
	/* jack2 takes any reply with ID 2; we also want this session's fID. */
	if (s->state != NJ2_MSESSION_SETUP || p.packet_id != NJ2_START_MASTER || p.id != s->params.id) {
		m->stats.ignored++;
		return 0;
	}
	if (!from_slave(m, &s->params, &p, buf)) {
		/* forged, or a slave with another key: logged once, and the
		 * handshake runs on (a real START_MASTER may still come) */
		refuse(m, &s->peer, &s->params, NJ2_REFUSE_AUTH);
		return 0;
	}
	s->state = NJ2_MSESSION_RUNNING;
	s->last_alive = now;
	m->stats.sessions++;
	if (m->ops->session_started(m->userdata, sess, &s->params) < 0) {
		end_session(m, sess, NJ2_END_LOCAL);
	}
	return 0;
}

void nj2_master_alive(struct nj2_master *m, unsigned sess, uint64_t now)
{
	if (sess < m->cfg.max_slaves && m->sess[sess].state == NJ2_MSESSION_RUNNING &&
	    now > m->sess[sess].last_alive) {
		m->sess[sess].last_alive = now;
	}
}

void nj2_master_end(struct nj2_master *m, unsigned sess)
{
	if (sess < m->cfg.max_slaves) {
		end_session(m, sess, NJ2_END_LOCAL);
	}
}

void nj2_master_timeout(struct nj2_master *m, uint64_t now)
{
	for (unsigned i = 0; i < m->cfg.max_slaves; i++) {
		struct msession *s = &m->sess[i];

		switch (s->state) {
		case NJ2_MSESSION_FREE:
			break;
		case NJ2_MSESSION_SETUP:
			if (now < s->next_send) {
				break;
			}
			if (s->tries >= m->cfg.setup_tries) {
				end_session(m, i, NJ2_END_NO_START);
			} else {
				send_setup(m, i, now);
			}
			break;
		case NJ2_MSESSION_RUNNING:
			if (now >= s->last_alive && now - s->last_alive >= m->cfg.timeout_us) {
				end_session(m, i, NJ2_END_TIMEOUT);
			}
			break;
		}
	}
}

uint64_t nj2_master_next_deadline(const struct nj2_master *m)
{
	uint64_t next = NJ_TIME_NEVER;

	for (unsigned i = 0; i < m->cfg.max_slaves; i++) {
		const struct msession *s = &m->sess[i];
		uint64_t t = NJ_TIME_NEVER;

		switch (s->state) {
		case NJ2_MSESSION_FREE:
			break;
		case NJ2_MSESSION_SETUP:
			t = s->next_send;
			break;
		case NJ2_MSESSION_RUNNING:
			t = s->last_alive + m->cfg.timeout_us;
			break;
		}
		if (t < next) {
			next = t;
		}
	}
	return next;
}

enum nj2_master_state nj2_master_session_state(const struct nj2_master *m, unsigned sess)
{
	return sess < m->cfg.max_slaves ? m->sess[sess].state : NJ2_MSESSION_FREE;
}

const struct nj2_params *nj2_master_session_params(const struct nj2_master *m, unsigned sess)
{
	if (sess >= m->cfg.max_slaves || m->sess[sess].state == NJ2_MSESSION_FREE) {
		return NULL;
	}
	return &m->sess[sess].params;
}

const struct nj_addr *nj2_master_session_peer(const struct nj2_master *m, unsigned sess)
{
	if (sess >= m->cfg.max_slaves || m->sess[sess].state == NJ2_MSESSION_FREE) {
		return NULL;
	}
	return &m->sess[sess].peer;
}

unsigned nj2_master_session_count(const struct nj2_master *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->cfg.max_slaves; i++) {
		n += m->sess[i].state != NJ2_MSESSION_FREE;
	}
	return n;
}

const struct nj2_master_stats *nj2_master_stats(const struct nj2_master *m)
{
	return &m->stats;
}
