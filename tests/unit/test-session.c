/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-session.c - master and slave session machines: jack2's handshake bytes,
 * retries, limits, restarts, KILL_MASTER rules, floods, and both machines back
 * to back over a seeded lossy, reordering, duplicating in-memory network.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/session.h>

#include "check-main.h"
#include "vectors.h"

#define SEC 1000000ull
#define MAXS 64

/* ------------------------------------------------------------ master rig */

struct mrig {
	struct nj2_master *m;
	unsigned sent[MAXS];         /* datagrams per session */
	uint8_t last[MAXS][NJ2_PARAMS_SIZE];
	unsigned group_sent;
	uint8_t last_group[NJ2_PARAMS_SIZE];
	unsigned news, starts, ends, refusals;
	enum nj2_end_reason last_end;
	enum nj2_refuse_reason last_refuse;
	struct nj2_params last_new;
	int fail_new, fail_start; /* what the owner's callbacks return */
	int admit_ret;            /* what admit() says (0 admits) */
	unsigned admits;
	struct nj2_params last_admit;
};

static void m_send(void *ud, unsigned sess, const uint8_t *buf, size_t len)
{
	struct mrig *r = ud;

	ck_assert_uint_lt(sess, MAXS);
	ck_assert_uint_eq(len, NJ2_PARAMS_SIZE);
	r->sent[sess]++;
	memcpy(r->last[sess], buf, len);
}

static void m_send_group(void *ud, const uint8_t *buf, size_t len)
{
	struct mrig *r = ud;

	r->group_sent++;
	memcpy(r->last_group, buf, len);
}

static int m_new(void *ud, unsigned sess, const struct nj_addr *peer, const struct nj2_params *p)
{
	struct mrig *r = ud;

	r->news++;
	r->sent[sess] = 0;
	r->last_new = *p;
	return r->fail_new;
}

static int m_started(void *ud, unsigned sess, const struct nj2_params *p)
{
	((struct mrig *)ud)->starts++;
	return ((struct mrig *)ud)->fail_start;
}

static void m_ended(void *ud, unsigned sess, enum nj2_end_reason why)
{
	struct mrig *r = ud;

	r->ends++;
	r->last_end = why;
}

static void m_refused(void *ud, const struct nj_addr *peer, const struct nj2_params *p,
		      enum nj2_refuse_reason why)
{
	struct mrig *r = ud;

	r->refusals++;
	r->last_refuse = why;
}

static int m_admit(void *ud, const struct nj_addr *peer, const struct nj2_params *p)
{
	struct mrig *r = ud;

	r->admits++;
	r->last_admit = *p;
	return r->admit_ret;
}

static const struct nj2_master_ops mops = {
	.send = m_send, .send_group = m_send_group, .session_new = m_new,
	.session_started = m_started, .session_ended = m_ended, .refused = m_refused,
	.admit = m_admit,
};

static bool opus_jack2_safe(uint32_t rate, uint32_t period, uint32_t kbps, bool any)
{
	/* stand-in for nj_opus_check: powers of two >= 128 crash jack2 peers */
	return any || !(period >= 128 && (period & (period - 1)) == 0);
}

static void mrig_init(struct mrig *r, unsigned max_slaves)
{
	struct nj2_master_config c;

	memset(r, 0, sizeof(*r));
	nj2_master_config_init(&c);
	strcpy(c.hostname, "njmaster");
	c.sample_rate = 48000;
	c.period = 256;
	c.phys_audio_capture = c.phys_audio_playback = 2;
	c.max_slaves = max_slaves;
	c.ext_flags = NJ2_EXT_OPUS_ANY_PERIOD;
	c.opus_ok = opus_jack2_safe;
	ck_assert_int_eq(nj2_master_new(&c, &mops, r, &r->m), 0);
}

static struct nj_addr addr(unsigned n)
{
	struct nj_addr a = {.len = 6};

	a.bytes[0] = 198;
	a.bytes[1] = 18;
	a.bytes[2] = (uint8_t)(n >> 8);
	a.bytes[3] = (uint8_t)n;
	a.bytes[4] = 0x4a;
	a.bytes[5] = 0x38;
	return a;
}

static const struct vec_packet *find_kind(const struct vec_file *vf, const char *kind)
{
	for (size_t i = 0; i < vf->n; i++) {
		if (strcmp(vf->pkt[i].kind, kind) == 0) {
			return &vf->pkt[i];
		}
	}
	ck_abort_msg("%s: no %s", vf->name, kind);
	return NULL;
}

/* Our SLAVE_SETUP for jack2's captured SLAVE_AVAILABLE is jack2's, byte for byte. */
START_TEST(test_setup_bytes_like_jack2)
{
	static const char *const files[] = {"jack2-float-2ch.hex", "jack2-midi-sync-physports.hex",
					    "jack2-opus64-2ch-p480.hex"};
	static const uint32_t periods[] = {256, 256, 480};

	for (unsigned f = 0; f < 3; f++) {
		struct vec_file *vf = vec_load(files[f]);
		const struct vec_packet *av = find_kind(vf, "SLAVE_AVAILABLE");
		const struct vec_packet *su = find_kind(vf, "SLAVE_SETUP");
		const struct vec_packet *sm = find_kind(vf, "START_MASTER");
		struct nj_addr a = addr(2);
		struct mrig r;

		mrig_init(&r, 4);
		nj2_master_set_format(r.m, 48000, periods[f]);
		ck_assert_int_eq(nj2_master_rx_discovery(r.m, av->data, av->len, &a, 0), 0);
		ck_assert_uint_eq(r.news, 1);
		ck_assert_uint_eq(r.sent[0], 1);
		ck_assert_msg(memcmp(r.last[0], su->data, NJ2_PARAMS_SIZE) == 0,
			      "%s: SLAVE_SETUP differs from jack2's", vf->name);
		/* The captured START_MASTER starts the session. */
		ck_assert_int_eq(nj2_master_rx_session(r.m, 0, sm->data, sm->len, 1000), 0);
		ck_assert_uint_eq(r.starts, 1);
		ck_assert_int_eq(nj2_master_session_state(r.m, 0), NJ2_MSESSION_RUNNING);
		nj2_master_free(r.m);
		vec_free(vf);
	}
}
END_TEST

static void make_avail(uint8_t *buf, const char *name, void (*tweak)(struct nj2_params *))
{
	struct nj2_params p;

	nj2_params_init(&p);
	snprintf(p.name, sizeof(p.name), "%s", name);
	strcpy(p.slave_name, "slavehost");
	p.send_audio = p.return_audio = 2;
	p.latency = 2;
	if (tweak != NULL) {
		tweak(&p);
	}
	ck_assert_int_eq(nj2_params_encode(&p, buf, NJ2_PARAMS_SIZE), NJ2_PARAMS_SIZE);
}

/* SLAVE_SETUP is resent every second, five times in all, then the session goes. */
START_TEST(test_setup_retries)
{
	uint8_t av[NJ2_PARAMS_SIZE];
	struct nj_addr a = addr(7);
	struct mrig r;
	uint64_t now = 10 * SEC;

	mrig_init(&r, 4);
	make_avail(av, "s", NULL);
	nj2_master_rx_discovery(r.m, av, sizeof(av), &a, now);
	ck_assert_uint_eq(r.sent[0], 1);
	ck_assert_uint_eq(nj2_master_next_deadline(r.m), now + SEC);
	for (unsigned i = 0; i < 4; i++) {
		now = nj2_master_next_deadline(r.m);
		nj2_master_timeout(r.m, now);
		ck_assert_uint_eq(r.sent[0], 2 + i);
	}
	now = nj2_master_next_deadline(r.m);
	nj2_master_timeout(r.m, now);
	ck_assert_uint_eq(r.ends, 1);
	ck_assert_int_eq(r.last_end, NJ2_END_NO_START);
	ck_assert_uint_eq(nj2_master_session_count(r.m), 0);
	ck_assert_uint_eq(nj2_master_next_deadline(r.m), NJ_TIME_NEVER);
	/* Announcing again while handshaking answers at once, same session */
	nj2_master_rx_discovery(r.m, av, sizeof(av), &a, now);
	nj2_master_rx_discovery(r.m, av, sizeof(av), &a, now + 10);
	ck_assert_uint_eq(r.news, 2);
	ck_assert_uint_eq(r.sent[0], 2);
	/* A slave that keeps announcing every second and never answers (each
	 * announcement answered at once) is given up after setup_tries sends
	 * all the same, and the slot is free again */
	for (unsigned k = 0; k < 10 && r.ends == 1; k++) {
		now += SEC;
		nj2_master_rx_discovery(r.m, av, sizeof(av), &a, now);
	}
	ck_assert_uint_eq(r.ends, 2);
	ck_assert_int_eq(r.last_end, NJ2_END_NO_START);
	ck_assert_uint_eq(r.sent[0], 5);
	ck_assert_uint_eq(nj2_master_session_count(r.m), 0);
	nj2_master_free(r.m);
}
END_TEST

static void tw_channels(struct nj2_params *p)
{
	p->send_audio = 200;
}
static void tw_mtu(struct nj2_params *p)
{
	p->mtu = 300;
}
static void tw_celt(struct nj2_params *p)
{
	p->encoder = NJ2_ENCODER_CELT;
	p->kbps = 64;
}
static void tw_layout(struct nj2_params *p)
{
	p->mtu = 400; /* 288-byte budget: 72 float ports at most */
	p->send_audio = 100;
}
static void tw_opus256(struct nj2_params *p)
{
	p->encoder = NJ2_ENCODER_OPUS;
	p->kbps = 64;
}

START_TEST(test_refusals)
{
	static const struct {
		void (*tweak)(struct nj2_params *);
		enum nj2_refuse_reason why;
	} cases[] = {
		{tw_channels, NJ2_REFUSE_CHANNELS},
		{tw_mtu, NJ2_REFUSE_MTU},
		{tw_celt, NJ2_REFUSE_ENCODER},
		{tw_layout, NJ2_REFUSE_LAYOUT},
	};

	for (unsigned i = 0; i < 4; i++) {
		struct nj2_master_config c;
		uint8_t av[NJ2_PARAMS_SIZE];
		struct nj_addr a = addr(9);
		struct mrig r;

		memset(&r, 0, sizeof(r));
		nj2_master_config_init(&c);
		c.sample_rate = 48000;
		c.period = 256;
		c.max_channels = 128;
		c.mtu_min = 400;
		if (cases[i].why == NJ2_REFUSE_LAYOUT) {
			c.max_channels = 256;
		}
		ck_assert_int_eq(nj2_master_new(&c, &mops, &r, &r.m), 0);
		make_avail(av, "s", cases[i].tweak);
		for (unsigned k = 0; k < 5; k++) {
			ck_assert_int_eq(nj2_master_rx_discovery(r.m, av, sizeof(av), &a, k * SEC), 0);
		}
		ck_assert_uint_eq(r.news, 0);
		ck_assert_uint_eq(r.refusals, 1); /* logged once, not five times */
		ck_assert_int_eq(r.last_refuse, cases[i].why);
		ck_assert_uint_eq(nj2_master_stats(r.m)->refused, 5);
		nj2_master_free(r.m);
	}
}
END_TEST

/* Opus at a period that crashes jack2 peers: a jack2 slave is answered with float. */
START_TEST(test_opus_fallback)
{
	uint8_t av[NJ2_PARAMS_SIZE];
	struct nj_addr a = addr(3);
	struct mrig r;

	mrig_init(&r, 4);
	make_avail(av, "opus", tw_opus256);
	nj2_master_rx_discovery(r.m, av, sizeof(av), &a, 0);
	ck_assert_uint_eq(r.news, 1);
	ck_assert_uint_eq(r.last_new.encoder, NJ2_ENCODER_FLOAT);
	ck_assert_uint_eq(r.last_new.kbps, 0);
	ck_assert(!r.last_new.has_master_ext);
	nj2_master_free(r.m);
}
END_TEST

static void start_session(struct mrig *r, unsigned sess, const struct nj_addr *a, uint64_t now)
{
	struct nj2_params p;
	uint8_t sm[NJ2_PARAMS_SIZE];

	ck_assert_int_eq(nj2_params_decode(r->last[sess], NJ2_PARAMS_SIZE, &p), 0);
	p.packet_id = NJ2_START_MASTER;
	nj2_params_encode(&p, sm, sizeof(sm));
	ck_assert_int_eq(nj2_master_rx_session(r->m, sess, sm, sizeof(sm), now), 0);
	ck_assert_int_eq(nj2_master_session_state(r->m, sess),
			 r->fail_start ? NJ2_MSESSION_FREE : NJ2_MSESSION_RUNNING);
}

START_TEST(test_restart_timeout_kill)
{
	uint8_t av[NJ2_PARAMS_SIZE], kill[NJ2_PARAMS_SIZE];
	struct nj_addr a = addr(5), b = addr(6);
	struct nj2_params p;
	struct mrig r;

	mrig_init(&r, 4);
	make_avail(av, "s", NULL);
	nj2_master_rx_discovery(r.m, av, sizeof(av), &a, 0);
	start_session(&r, 0, &a, 100);
	ck_assert_uint_eq(nj2_master_session_params(r.m, 0)->id, 1);
	/* alive keeps it; silence ends it and a KILL_MASTER goes to the group */
	nj2_master_alive(r.m, 0, SEC);
	nj2_master_timeout(r.m, 2 * SEC);
	ck_assert_uint_eq(r.ends, 0);
	ck_assert_uint_eq(nj2_master_next_deadline(r.m), 3 * SEC);
	nj2_master_timeout(r.m, 3 * SEC);
	ck_assert_uint_eq(r.ends, 1);
	ck_assert_int_eq(r.last_end, NJ2_END_TIMEOUT);
	ck_assert_uint_eq(r.group_sent, 1);
	ck_assert_int_eq(nj2_params_decode(r.last_group, NJ2_PARAMS_SIZE, &p), 0);
	ck_assert_int_eq(p.packet_id, NJ2_KILL_MASTER);
	ck_assert_uint_eq(p.id, 1);

	/* a running slave that announces again has restarted: fresh session, new ID */
	nj2_master_rx_discovery(r.m, av, sizeof(av), &a, 4 * SEC);
	start_session(&r, 0, &a, 4 * SEC);
	nj2_master_rx_discovery(r.m, av, sizeof(av), &a, 5 * SEC);
	ck_assert_int_eq(r.last_end, NJ2_END_RESTART);
	ck_assert_uint_eq(nj2_master_session_params(r.m, 0)->id, 3);
	start_session(&r, 0, &a, 5 * SEC);

	/* KILL_MASTER: only from the peer, with its name and ID */
	p = *nj2_master_session_params(r.m, 0);
	p.packet_id = NJ2_KILL_MASTER;
	nj2_params_encode(&p, kill, sizeof(kill));
	nj2_master_rx_discovery(r.m, kill, sizeof(kill), &b, 5 * SEC);
	ck_assert_int_eq(nj2_master_session_state(r.m, 0), NJ2_MSESSION_RUNNING);
	p.id = 1;
	nj2_params_encode(&p, kill, sizeof(kill));
	nj2_master_rx_discovery(r.m, kill, sizeof(kill), &a, 5 * SEC);
	ck_assert_int_eq(nj2_master_session_state(r.m, 0), NJ2_MSESSION_RUNNING);
	p.id = 3;
	nj2_params_encode(&p, kill, sizeof(kill));
	nj2_master_rx_discovery(r.m, kill, sizeof(kill), &a, 5 * SEC);
	ck_assert_int_eq(nj2_master_session_state(r.m, 0), NJ2_MSESSION_FREE);
	ck_assert_int_eq(r.last_end, NJ2_END_KILLED);
	nj2_master_free(r.m);
}
END_TEST

/* 10000 announcements from distinct addresses: bounded sessions, running ones kept. */
START_TEST(test_flood)
{
	uint8_t av[NJ2_PARAMS_SIZE];
	struct nj_addr a = addr(60000);
	struct mrig r;
	uint8_t junk[NJ2_PARAMS_SIZE];

	mrig_init(&r, 8);
	make_avail(av, "real", NULL);
	nj2_master_rx_discovery(r.m, av, sizeof(av), &a, 0);
	start_session(&r, 0, &a, 10);
	for (unsigned i = 0; i < 10000; i++) {
		struct nj_addr s = addr(i);

		nj2_master_rx_discovery(r.m, av, sizeof(av), &s, 20 + i);
		ck_assert_uint_le(nj2_master_session_count(r.m), 8);
		for (unsigned k = 0; k < sizeof(junk); k++) {
			junk[k] = (uint8_t)(i * 31 + k * 7);
		}
		ck_assert_int_lt(nj2_master_rx_discovery(r.m, junk, (i % 700), &s, 20 + i), 0);
	}
	ck_assert_int_eq(nj2_master_session_state(r.m, 0), NJ2_MSESSION_RUNNING);
	ck_assert_uint_eq(nj2_master_session_count(r.m), 8);
	ck_assert_uint_eq(nj2_master_stats(r.m)->malformed, 10000);
	nj2_master_free(r.m);
}
END_TEST

/* ------------------------------------------------------------- slave rig */

struct srig {
	struct nj2_slave *s;
	unsigned disc, peer, adopted, running, lost, rejected;
	int fail_adopt; /* what adopted() returns */
	enum nj2_slave_lost_reason last_lost;
	uint8_t last_peer[NJ2_PARAMS_SIZE];
	uint8_t last_disc[NJ2_PARAMS_SIZE];
};

static void s_disc(void *ud, const uint8_t *b, size_t l)
{
	struct srig *r = ud;

	r->disc++;
	memcpy(r->last_disc, b, l);
}
static void s_peer(void *ud, const uint8_t *b, size_t l)
{
	struct srig *r = ud;

	r->peer++;
	memcpy(r->last_peer, b, l);
}
static int s_adopted(void *ud, const struct nj_addr *m, const struct nj2_params *p)
{
	((struct srig *)ud)->adopted++;
	return ((struct srig *)ud)->fail_adopt;
}
static void s_running(void *ud)
{
	((struct srig *)ud)->running++;
}
static void s_lost(void *ud, enum nj2_slave_lost_reason why)
{
	struct srig *r = ud;

	r->lost++;
	r->last_lost = why;
}
static void s_rejected(void *ud, const struct nj2_params *p, int err)
{
	((struct srig *)ud)->rejected++;
}

static const struct nj2_slave_ops sops = {
	.send_discovery = s_disc, .send_peer = s_peer, .adopted = s_adopted,
	.running = s_running, .lost = s_lost, .rejected = s_rejected,
};

static void srig_init(struct srig *r, uint32_t ext)
{
	struct nj2_slave_config c;

	memset(r, 0, sizeof(*r));
	nj2_slave_config_init(&c);
	strcpy(c.offer.name, "goldslave");
	strcpy(c.offer.slave_name, "njslave");
	c.offer.send_audio = c.offer.return_audio = 2;
	c.offer.send_midi = c.offer.return_midi = 1;
	c.offer.latency = 2;
	c.ext_flags = ext;
	c.nonce = 0x1234;
	c.opus_ok = opus_jack2_safe;
	ck_assert_int_eq(nj2_slave_new(&c, &sops, r, &r->s), 0);
}

/* Our SLAVE_AVAILABLE for jack2's slave settings is jack2's; its SETUP is adopted. */
START_TEST(test_slave_like_jack2)
{
	struct vec_file *vf = vec_load("jack2-float-2ch.hex");
	const struct vec_packet *av = find_kind(vf, "SLAVE_AVAILABLE");
	const struct vec_packet *su = find_kind(vf, "SLAVE_SETUP");
	const struct vec_packet *sm = find_kind(vf, "START_MASTER");
	struct nj_addr master = addr(1), other = addr(99);
	struct srig r;

	srig_init(&r, 0);
	nj2_slave_start(r.s, 0);
	ck_assert_uint_eq(r.disc, 1);
	ck_assert(memcmp(r.last_disc, av->data, NJ2_PARAMS_SIZE) == 0);
	nj2_slave_timeout(r.s, SEC);
	ck_assert_uint_eq(r.disc, 2);
	ck_assert_int_eq(nj2_slave_rx(r.s, su->data, su->len, &master, SEC + 5), 0);
	ck_assert_uint_eq(r.adopted, 1);
	ck_assert_uint_eq(r.peer, 1);
	ck_assert(memcmp(r.last_peer, sm->data, NJ2_PARAMS_SIZE) == 0);
	ck_assert_int_eq(nj2_slave_state(r.s), NJ2_SLAVE_STARTING);
	/* a repeated SETUP means our START_MASTER was lost: answer again */
	nj2_slave_rx(r.s, su->data, su->len, &master, SEC + 10);
	ck_assert_uint_eq(r.peer, 2);
	/* anyone else is foreign */
	nj2_slave_rx(r.s, su->data, su->len, &other, SEC + 10);
	ck_assert_uint_eq(r.peer, 2);
	ck_assert_uint_eq(nj2_slave_stats(r.s)->foreign, 1);
	nj2_slave_alive(r.s, SEC + 20);
	ck_assert_uint_eq(r.running, 1);
	/* silence: back to discovery within 2 s */
	nj2_slave_timeout(r.s, 3 * SEC + 19);
	ck_assert_uint_eq(r.lost, 0);
	nj2_slave_timeout(r.s, 3 * SEC + 20);
	ck_assert_uint_eq(r.lost, 1);
	ck_assert_int_eq(r.last_lost, NJ2_LOST_TIMEOUT);
	ck_assert_int_eq(nj2_slave_state(r.s), NJ2_SLAVE_DISCOVER);
	ck_assert_uint_eq(r.disc, 3);
	nj2_slave_free(r.s);
	vec_free(vf);
}
END_TEST

/* Start a slave rig and turn its announcement into a SLAVE_SETUP at 48 kHz. */
static void started_offer(struct srig *r, struct nj2_params *p, uint32_t period)
{
	srig_init(r, 0);
	nj2_slave_start(r->s, 0);
	ck_assert_int_eq(nj2_params_decode(r->last_disc, NJ2_PARAMS_SIZE, p), 0);
	p->packet_id = NJ2_SLAVE_SETUP;
	p->sample_rate = 48000;
	p->period = period;
}

/* PipeWire masters use ID 0 and override MTU and encoder: adopted as given. */
START_TEST(test_slave_pipewire_setup)
{
	struct nj_addr master = addr(1);
	struct nj2_params p;
	uint8_t buf[NJ2_PARAMS_SIZE];
	struct srig r;

	started_offer(&r, &p, 1024);
	p.id = 0;
	p.mtu = 9000;
	p.encoder = NJ2_ENCODER_INT16;
	p.send_audio = p.return_audio = 2;
	nj2_params_encode(&p, buf, sizeof(buf));
	nj2_slave_rx(r.s, buf, sizeof(buf), &master, 10);
	ck_assert_uint_eq(r.adopted, 1);
	ck_assert_uint_eq(nj2_slave_params(r.s)->mtu, 9000);
	ck_assert_uint_eq(nj2_slave_params(r.s)->encoder, NJ2_ENCODER_INT16);
	ck_assert_uint_eq(nj2_slave_params(r.s)->id, 0);
	/* KILL_MASTER from our master with our ID ends it */
	p.packet_id = NJ2_KILL_MASTER;
	nj2_params_encode(&p, buf, sizeof(buf));
	nj2_slave_rx(r.s, buf, sizeof(buf), &master, 20);
	ck_assert_int_eq(r.last_lost, NJ2_LOST_KILLED);
	nj2_slave_free(r.s);
}
END_TEST

/* Unusable SETUPs are rejected; the slave keeps announcing. */
START_TEST(test_slave_rejects)
{
	struct nj_addr master = addr(1);
	struct nj2_params p;
	uint8_t buf[NJ2_PARAMS_SIZE];
	struct srig r;

	started_offer(&r, &p, 256);
	p.send_audio = -1; /* unresolved */
	nj2_params_encode(&p, buf, sizeof(buf));
	nj2_slave_rx(r.s, buf, sizeof(buf), &master, 10);
	p.send_audio = 2;
	p.encoder = NJ2_ENCODER_OPUS; /* at 256 without the extension: crashes jack2 */
	p.kbps = 64;
	nj2_params_encode(&p, buf, sizeof(buf));
	nj2_slave_rx(r.s, buf, sizeof(buf), &master, 20);
	ck_assert_uint_eq(r.rejected, 2);
	ck_assert_uint_eq(r.adopted, 0);
	ck_assert_int_eq(nj2_slave_state(r.s), NJ2_SLAVE_DISCOVER);
	/* garbage is counted */
	ck_assert_int_lt(nj2_slave_rx(r.s, buf, 100, &master, 30), 0);
	ck_assert_uint_eq(nj2_slave_stats(r.s)->malformed, 1);
	nj2_slave_free(r.s);
}
END_TEST


/* The owner cannot set a session up: the machine refuses (new) or ends it
 * (started) by itself; the owner never calls back into it from a callback. */
START_TEST(test_owner_fails)
{
	struct nj_addr a = addr(7);
	uint8_t av[NJ2_PARAMS_SIZE];
	struct mrig r;

	mrig_init(&r, 4);
	make_avail(av, "s", NULL);
	r.fail_new = -ENOSPC; /* no room here (another protocol's sessions) */
	ck_assert_int_eq(nj2_master_rx_discovery(r.m, av, sizeof(av), &a, 0), 0);
	ck_assert_uint_eq(r.news, 1);
	ck_assert_uint_eq(r.sent[0], 0); /* no SLAVE_SETUP */
	ck_assert_uint_eq(r.refusals, 1);
	ck_assert_int_eq(r.last_refuse, NJ2_REFUSE_FULL);
	ck_assert_uint_eq(nj2_master_session_count(r.m), 0);
	ck_assert_int_eq(nj2_master_session_state(r.m, 0), NJ2_MSESSION_FREE);
	r.fail_new = 0;
	ck_assert_int_eq(nj2_master_rx_discovery(r.m, av, sizeof(av), &a, SEC), 0);
	ck_assert_uint_eq(r.sent[0], 1);
	r.fail_start = -EIO; /* the JACK client could not be made */
	start_session(&r, 0, &a, 2 * SEC);
	ck_assert_uint_eq(r.starts, 1);
	ck_assert_uint_eq(r.ends, 1);
	ck_assert_int_eq(r.last_end, NJ2_END_LOCAL);
	ck_assert_uint_eq(r.group_sent, 1); /* KILL_MASTER, as for any local end */
	ck_assert_int_eq(nj2_master_session_state(r.m, 0), NJ2_MSESSION_FREE);
	nj2_master_free(r.m);
}
END_TEST

/* The owner's admit() hook: a refused slave gets no session and no
 * SLAVE_SETUP, refused() once however often it announces, and a running
 * session of an admitted peer is not touched by a refused announcement. */
START_TEST(test_admit_hook)
{
	struct nj_addr a = addr(7), b = addr(8);
	uint8_t av[NJ2_PARAMS_SIZE];
	struct mrig r;

	mrig_init(&r, 4);
	make_avail(av, "refused-one", NULL);
	r.admit_ret = -EACCES;
	for (unsigned k = 0; k < 5; k++) {
		ck_assert_int_eq(nj2_master_rx_discovery(r.m, av, sizeof(av), &a, k * SEC), 0);
	}
	ck_assert_uint_eq(r.admits, 5);
	ck_assert_str_eq(r.last_admit.name, "refused-one");
	ck_assert_uint_eq(r.news, 0);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(r.sent[i], 0); /* no SLAVE_SETUP anywhere */
	}
	ck_assert_uint_eq(r.refusals, 1); /* logged once, not five times */
	ck_assert_int_eq(r.last_refuse, NJ2_REFUSE_POLICY);
	ck_assert_uint_eq(nj2_master_stats(r.m)->refused, 5);
	ck_assert_uint_eq(nj2_master_session_count(r.m), 0);
	ck_assert_uint_eq(nj2_master_next_deadline(r.m), NJ_TIME_NEVER);

	/* another peer admitted: a session and its SLAVE_SETUP */
	r.admit_ret = 0;
	make_avail(av, "admitted", NULL);
	ck_assert_int_eq(nj2_master_rx_discovery(r.m, av, sizeof(av), &b, 6 * SEC), 0);
	ck_assert_uint_eq(r.news, 1);
	ck_assert_uint_eq(r.sent[0], 1);
	start_session(&r, 0, &b, 6 * SEC + 10);
	ck_assert_int_eq(nj2_master_session_state(r.m, 0), NJ2_MSESSION_RUNNING);

	/* a refused announcement from the running peer's address leaves it running */
	r.admit_ret = -EPERM;
	ck_assert_int_eq(nj2_master_rx_discovery(r.m, av, sizeof(av), &b, 7 * SEC), 0);
	ck_assert_int_eq(nj2_master_session_state(r.m, 0), NJ2_MSESSION_RUNNING);
	ck_assert_uint_eq(r.ends, 0);
	ck_assert_uint_eq(r.refusals, 2);
	ck_assert_uint_eq(r.news, 1);
	nj2_master_free(r.m);
}
END_TEST

/* A slave that cannot run the adopted session announces again at once. */
START_TEST(test_slave_owner_fails)
{
	struct nj_addr master = addr(1);
	struct nj2_params p;
	uint8_t buf[NJ2_PARAMS_SIZE];
	struct srig r;

	started_offer(&r, &p, 256);
	r.fail_adopt = -ENOMEM;
	nj2_params_encode(&p, buf, sizeof(buf));
	ck_assert_uint_eq(r.disc, 1);
	nj2_slave_rx(r.s, buf, sizeof(buf), &master, 10);
	ck_assert_uint_eq(r.adopted, 1);
	ck_assert_uint_eq(r.rejected, 0);           /* not a bad SETUP */
	ck_assert_uint_eq(nj2_slave_stats(r.s)->rejected, 1);
	ck_assert_uint_eq(r.peer, 0);               /* no START_MASTER */
	ck_assert_uint_eq(r.lost, 0);
	ck_assert_uint_eq(r.disc, 2);               /* announced again at once */
	ck_assert_int_eq(nj2_slave_state(r.s), NJ2_SLAVE_DISCOVER);
	r.fail_adopt = 0;
	nj2_slave_rx(r.s, buf, sizeof(buf), &master, 20);
	ck_assert_int_eq(nj2_slave_state(r.s), NJ2_SLAVE_STARTING);
	ck_assert_uint_eq(r.peer, 1);
	nj2_slave_free(r.s);
}
END_TEST

/* ------------------------------------------------- back to back, lossy */

struct dgram {
	bool to_master;      /* else to the slave */
	bool discovery;      /* to the master's discovery socket */
	uint64_t at;
	size_t len;
	uint8_t buf[NJ2_PARAMS_SIZE];
};

struct net {
	uint64_t rng;
	unsigned loss_pm, dup_pm, reorder_pm; /* per mille */
	struct dgram q[256];
	unsigned n;
	uint64_t now;
	bool cut;
	struct nj2_master *m;
	struct nj2_slave *s;
	unsigned started, ended, adopted, lost, running;
	uint64_t delivered, dropped;
};

static uint32_t rnd(struct net *n)
{
	/* xorshift64*: replayable from the printed seed */
	n->rng ^= n->rng >> 12;
	n->rng ^= n->rng << 25;
	n->rng ^= n->rng >> 27;
	return (uint32_t)((n->rng * 2685821657736338717ull) >> 32);
}

static void enqueue(struct net *n, bool to_master, bool disc, const uint8_t *b, size_t l)
{
	unsigned copies = 1;

	if (n->cut || rnd(n) % 1000 < n->loss_pm) {
		n->dropped++;
		return;
	}
	if (rnd(n) % 1000 < n->dup_pm) {
		copies = 2;
	}
	for (unsigned c = 0; c < copies && n->n < 256; c++) {
		struct dgram *d = &n->q[n->n++];

		d->to_master = to_master;
		d->discovery = disc;
		d->at = n->now + 200 + (rnd(n) % 1000 < n->reorder_pm ? rnd(n) % 20000 : 0);
		d->len = l;
		memcpy(d->buf, b, l);
	}
}

static const struct nj_addr master_addr = {.len = 1, .bytes = {1}};
static const struct nj_addr slave_addr = {.len = 1, .bytes = {2}};

static void nm_send(void *ud, unsigned sess, const uint8_t *b, size_t l)
{
	enqueue(ud, false, false, b, l);
}
static void nm_group(void *ud, const uint8_t *b, size_t l)
{
	enqueue(ud, false, false, b, l); /* the slave does not hear the group; harmless */
}
static int nm_new(void *ud, unsigned sess, const struct nj_addr *peer, const struct nj2_params *p)
{
	ck_assert(nj_addr_equal(peer, &slave_addr));
	return 0;
}
static int nm_started(void *ud, unsigned sess, const struct nj2_params *p)
{
	((struct net *)ud)->started++;
	return 0;
}
static void nm_ended(void *ud, unsigned sess, enum nj2_end_reason why)
{
	((struct net *)ud)->ended++;
}
static void ns_disc(void *ud, const uint8_t *b, size_t l)
{
	enqueue(ud, true, true, b, l);
}
static void ns_peer(void *ud, const uint8_t *b, size_t l)
{
	enqueue(ud, true, false, b, l);
}
static int ns_adopted(void *ud, const struct nj_addr *m, const struct nj2_params *p)
{
	ck_assert(nj_addr_equal(m, &master_addr));
	((struct net *)ud)->adopted++;
	return 0;
}
static void ns_running(void *ud)
{
	((struct net *)ud)->running++;
}
static void ns_lost(void *ud, enum nj2_slave_lost_reason why)
{
	((struct net *)ud)->lost++;
}

static const struct nj2_master_ops nmops = {
	.send = nm_send, .send_group = nm_group, .session_new = nm_new,
	.session_started = nm_started, .session_ended = nm_ended,
};
static const struct nj2_slave_ops nsops = {
	.send_discovery = ns_disc, .send_peer = ns_peer, .adopted = ns_adopted,
	.running = ns_running, .lost = ns_lost,
};

/* A data packet stands for a cycle's traffic: it only drives alive(). */
static void data_tick(struct net *n)
{
	bool m_run = nj2_master_session_state(n->m, 0) == NJ2_MSESSION_RUNNING;
	enum nj2_slave_state ss = nj2_slave_state(n->s);

	if (n->cut || rnd(n) % 1000 < n->loss_pm) {
		return;
	}
	if (m_run && (ss == NJ2_SLAVE_STARTING || ss == NJ2_SLAVE_RUNNING)) {
		nj2_slave_alive(n->s, n->now);
		nj2_master_alive(n->m, 0, n->now);
	}
}

static void deliver_due(struct net *n)
{
	for (unsigned i = 0; i < n->n;) {
		struct dgram d = n->q[i];

		if (d.at > n->now) {
			i++;
			continue;
		}
		n->q[i] = n->q[--n->n];
		n->delivered++;
		if (d.to_master && d.discovery) {
			nj2_master_rx_discovery(n->m, d.buf, d.len, &slave_addr, n->now);
		} else if (d.to_master) {
			if (nj2_master_session_state(n->m, 0) != NJ2_MSESSION_FREE) {
				nj2_master_rx_session(n->m, 0, d.buf, d.len, n->now);
			}
		} else {
			nj2_slave_rx(n->s, d.buf, d.len, &master_addr, n->now);
		}
	}
}

/* Advance simulated time to @until in 5.3 ms periods. */
static void run_until(struct net *n, uint64_t until)
{
	while (n->now < until) {
		n->now += 5333;
		deliver_due(n);
		nj2_master_timeout(n->m, n->now);
		nj2_slave_timeout(n->s, n->now);
		data_tick(n);
		/* invariants */
		ck_assert_uint_le(nj2_master_session_count(n->m), 1);
		if (nj2_slave_state(n->s) == NJ2_SLAVE_RUNNING) {
			ck_assert_ptr_nonnull(nj2_slave_params(n->s));
		}
	}
}

static void b2b_seed(uint64_t seed)
{
	struct nj2_master_config mc;
	struct nj2_slave_config sc;
	struct net n;
	uint32_t first_id;

	memset(&n, 0, sizeof(n));
	n.rng = seed | 1;
	n.loss_pm = 300;
	n.dup_pm = 50;
	n.reorder_pm = 100;
	nj2_master_config_init(&mc);
	mc.sample_rate = 48000;
	mc.period = 256;
	mc.max_slaves = 1;
	strcpy(mc.hostname, "m");
	nj2_slave_config_init(&sc);
	strcpy(sc.offer.name, "s");
	sc.offer.send_audio = sc.offer.return_audio = 2;
	ck_assert_int_eq(nj2_master_new(&mc, &nmops, &n, &n.m), 0);
	ck_assert_int_eq(nj2_slave_new(&sc, &nsops, &n, &n.s), 0);

	nj2_slave_start(n.s, 0);
	/* Handshake under 30 % loss: both sides running within 30 s. */
	run_until(&n, 30 * SEC);
	ck_assert_msg(nj2_slave_state(n.s) == NJ2_SLAVE_RUNNING &&
			      nj2_master_session_state(n.m, 0) == NJ2_MSESSION_RUNNING,
		      "seed %llu: no session after 30 s (slave %d, master %d)",
		      (unsigned long long)seed, nj2_slave_state(n.s),
		      nj2_master_session_state(n.m, 0));
	first_id = nj2_slave_params(n.s)->id;
	ck_assert_uint_eq(first_id, nj2_master_session_params(n.m, 0)->id);

	/* Cut the network: both sides give up within their 2 s timeout. */
	n.cut = true;
	run_until(&n, n.now + 2 * SEC + 20000);
	ck_assert_msg(nj2_master_session_count(n.m) == 0, "seed %llu: master kept a dead session",
		      (unsigned long long)seed);
	ck_assert_int_eq(nj2_slave_state(n.s), NJ2_SLAVE_DISCOVER);

	/* Heal: a fresh session with a new ID. */
	n.cut = false;
	n.n = 0;
	run_until(&n, n.now + 30 * SEC);
	ck_assert_msg(nj2_slave_state(n.s) == NJ2_SLAVE_RUNNING, "seed %llu: no new session",
		      (unsigned long long)seed);
	ck_assert_uint_gt(nj2_slave_params(n.s)->id, first_id);
	ck_assert_uint_eq(nj2_slave_params(n.s)->id, nj2_master_session_params(n.m, 0)->id);
	nj2_master_free(n.m);
	nj2_slave_free(n.s);
}

START_TEST(test_back_to_back_lossy)
{
	const char *env = getenv("NJ_SEED");
	uint64_t base = env ? strtoull(env, NULL, 0) : 0x5eed;
	unsigned runs = env ? 1 : 200;

	printf("test_back_to_back_lossy: seeds %llu..%llu (replay one with NJ_SEED=N)\n",
	       (unsigned long long)base, (unsigned long long)(base + runs - 1));
	for (unsigned i = 0; i < runs; i++) {
		b2b_seed(base + i);
	}
}
END_TEST

static Suite *session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_setup_bytes_like_jack2);
	tcase_add_test(tc, test_setup_retries);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_opus_fallback);
	tcase_add_test(tc, test_restart_timeout_kill);
	tcase_add_test(tc, test_flood);
	tcase_add_test(tc, test_slave_like_jack2);
	tcase_add_test(tc, test_slave_pipewire_setup);
	tcase_add_test(tc, test_slave_rejects);
	tcase_add_test(tc, test_owner_fails);
	tcase_add_test(tc, test_admit_hook);
	tcase_add_test(tc, test_slave_owner_fails);
	tcase_add_test(tc, test_back_to_back_lossy);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(session_suite)
