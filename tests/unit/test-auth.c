/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test-auth.c - pre-shared-key authentication (auth.h, session.h's hooks):
 * golden vectors computed apart from libsodium and from us
 * (tests/vectors/auth-gen.py: Python's hashlib and cryptography); the
 * handshake between a master machine and a slave machine with the same key,
 * another key, none; forged and replayed handshake packets; sealed data
 * between two exchanges, bit-exact, with forged, tampered and replayed
 * datagrams dropped and counted; the key file's checks.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libnetproto/auth.h>

#include "check-main.h"

/* tests/vectors/auth-gen.py */
static const char gold_id[] = "8e0d80151b06f56b";
static const char gold_hs_m[] = "8405376d029e5e1cb16af571b0126baa";
static const char gold_hs_s[] = "e2e1cee1f963f1f680921938fca20178";
static const char gold_kms[] = "38715ca682cddf35391b7ff56d0834e931f19e477e0cd77d1909f42d94992e6d";
static const char gold_ksm[] = "f7e2ff5f2c742efe4b9a0e14df782b3e60b3c0d0bd25e5f94b90fd20c444005d";
static const char gold_seal_auth[] =
	"0104070a0d101316191c1f2225282b2e3134373a3d404346494c4f5255585b5e6164676a6d707376797c7f"
	"8285888b8e9194979a9da0a3a6a9acafb2b5b8bbbec1c4c7cacdd0d3d6d9dcdfe2e5e8ebeef1f4f7fafd00"
	"0306090c0f1215181b1e2124272a0000000000000005ea317796e24f0aa444712e6e67bd1ab5";
static const char gold_seal_enc[] =
	"0104070a0d101316191c1f2225282b2e3134373a3d404346494c4f5255585b5e6164676a6d707376797c7f"
	"8285888b8ec1e2e55c635e807df6df3b5fff90d95dbd68ce4f4813dd7370b1476d084799c01765c503a6b8"
	"25dc62f8bd8b605947071848bee40000000000000005f8e163c1af52a8a0734f769926416fe4";

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		sprintf(out + 2 * i, "%02x", b[i]);
	}
}

static struct nj_psk *key_of(uint8_t first)
{
	uint8_t k[NJ_PSK_SIZE];
	struct nj_psk *psk;

	for (unsigned i = 0; i < sizeof(k); i++) {
		k[i] = (uint8_t)(first + i);
	}
	ck_assert_int_eq(nj_psk_new(k, &psk), 0);
	return psk;
}

START_TEST(golden)
{
	struct nj_psk *k = key_of(0);
	uint8_t ns[16], nm[16], view[NJ2_PARAMS_SIZE], d[100], t[16], ms[32], sm[32], out[200];
	char h[512], id[NJ_PSK_ID_LEN + 1];
	uint64_t seq = 0;

	for (unsigned i = 0; i < 16; i++) {
		ns[i] = (uint8_t)(0x40 + i);
		nm[i] = (uint8_t)(0x80 + i);
	}
	for (unsigned i = 0; i < sizeof(view); i++) {
		view[i] = (uint8_t)(i * 7 + 3);
	}
	for (unsigned i = 0; i < sizeof(d); i++) {
		d[i] = (uint8_t)(i * 3 + 1);
	}
	nj_psk_id(k, id);
	ck_assert_str_eq(id, gold_id);
	nj_psk_handshake_tag(k, NJ2_AUTH_BY_MASTER, view, t);
	hex(t, 16, h);
	ck_assert_str_eq(h, gold_hs_m);
	nj_psk_handshake_tag(k, NJ2_AUTH_BY_SLAVE, view, t);
	hex(t, 16, h);
	ck_assert_str_eq(h, gold_hs_s);
	nj_psk_session_keys(k, ns, nm, ms, sm);
	hex(ms, 32, h);
	ck_assert_str_eq(h, gold_kms);
	hex(sm, 32, h);
	ck_assert_str_eq(h, gold_ksm);
	/* tags only, then the payload after 48 bytes encrypted */
	ck_assert_uint_eq(nj_auth_seal(ms, 5, 0, d, sizeof(d), out), sizeof(d) + NJ_AUTH_TRAILER);
	hex(out, sizeof(d) + NJ_AUTH_TRAILER, h);
	ck_assert_str_eq(h, gold_seal_auth);
	ck_assert(nj_auth_check(ms, 0, out, sizeof(d) + NJ_AUTH_TRAILER, &seq));
	ck_assert_uint_eq(seq, 5);
	ck_assert(!nj_auth_check(sm, 0, out, sizeof(d) + NJ_AUTH_TRAILER, &seq));
	nj_auth_seal(ms, 5, NJ2_HEADER_SIZE, d, sizeof(d), out);
	hex(out, sizeof(d) + NJ_AUTH_TRAILER, h);
	ck_assert_str_eq(h, gold_seal_enc);
	ck_assert(nj_auth_check(ms, NJ2_HEADER_SIZE, out, sizeof(d) + NJ_AUTH_TRAILER, &seq));
	nj_auth_decrypt(ms, seq, NJ2_HEADER_SIZE, out, sizeof(d) + NJ_AUTH_TRAILER);
	ck_assert_int_eq(memcmp(out, d, sizeof(d)), 0);
	/* every single-bit change anywhere is caught: header, payload, number, tag */
	nj_auth_seal(ms, 5, 0, d, sizeof(d), out);
	for (unsigned i = 0; i < (sizeof(d) + NJ_AUTH_TRAILER) * 8; i++) {
		out[i / 8] ^= (uint8_t)(1u << (i % 8));
		ck_assert(!nj_auth_check(ms, 0, out, sizeof(d) + NJ_AUTH_TRAILER, &seq));
		out[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	ck_assert(!nj_auth_check(ms, 0, out, NJ_AUTH_TRAILER - 1, &seq));
	nj_psk_free(k);
}
END_TEST

/* ------------------------------------------------------------- handshake */

struct wire {
	uint8_t pkt[8][NJ2_PARAMS_SIZE];
	unsigned n;
};

struct rig {
	struct nj2_master *m;
	struct nj2_slave *s;
	struct nj2_auth ma, sa;
	struct wire to_master, to_slave, group;
	int started, ended, refused_auth, adopted, rejected_err;
	struct nj2_params started_p, adopted_p;
	int latency_calls;
	uint32_t latency[2];
};

/* what rig_new's master offers netjack slaves (the slave offers the same) */
static uint32_t rig_ext = NJ2_EXT_OPUS_ANY_PERIOD | NJ2_EXT_LATENCY;

static void put(struct wire *w, const uint8_t *b, size_t l)
{
	ck_assert_uint_eq(l, NJ2_PARAMS_SIZE);
	if (w->n < 8) {
		memcpy(w->pkt[w->n++], b, l);
	}
}

static void m_send(void *ud, unsigned sess, const uint8_t *b, size_t l)
{
	(void)sess;
	put(&((struct rig *)ud)->to_slave, b, l);
}

static void m_group(void *ud, const uint8_t *b, size_t l)
{
	put(&((struct rig *)ud)->group, b, l);
}

static int m_new(void *ud, unsigned sess, const struct nj_addr *a, const struct nj2_params *p)
{
	(void)ud, (void)sess, (void)a, (void)p;
	return 0;
}

static int m_started(void *ud, unsigned sess, const struct nj2_params *p)
{
	struct rig *r = ud;

	(void)sess;
	r->started++;
	r->started_p = *p;
	return 0;
}

static void m_ended(void *ud, unsigned sess, enum nj2_end_reason why)
{
	(void)sess, (void)why;
	((struct rig *)ud)->ended++;
}

static void m_refused(void *ud, const struct nj_addr *a, const struct nj2_params *p,
		      enum nj2_refuse_reason why)
{
	(void)a, (void)p;
	((struct rig *)ud)->refused_auth += why == NJ2_REFUSE_AUTH;
}

static void m_latency(void *ud, unsigned sess, uint32_t after, uint32_t before)
{
	struct rig *r = ud;

	(void)sess;
	r->latency_calls++;
	r->latency[0] = after;
	r->latency[1] = before;
}

static const struct nj2_master_ops mops = {.send = m_send, .send_group = m_group,
					   .session_new = m_new, .session_started = m_started,
					   .session_ended = m_ended, .refused = m_refused,
					   .latency = m_latency};

static void s_disc(void *ud, const uint8_t *b, size_t l)
{
	put(&((struct rig *)ud)->to_master, b, l);
}

static int s_adopted(void *ud, const struct nj_addr *a, const struct nj2_params *p)
{
	struct rig *r = ud;

	(void)a;
	r->adopted++;
	r->adopted_p = *p;
	return 0;
}

static void s_lost(void *ud, enum nj2_slave_lost_reason why)
{
	(void)ud, (void)why;
}

static void s_rejected(void *ud, const struct nj2_params *p, int err)
{
	(void)p;
	((struct rig *)ud)->rejected_err = err;
}

static const struct nj2_slave_ops sops = {.send_discovery = s_disc, .send_peer = s_disc,
					  .adopted = s_adopted, .lost = s_lost,
					  .rejected = s_rejected};

static const struct nj_addr maddr = {.len = 1, .bytes = {1}};
static const struct nj_addr saddr = {.len = 1, .bytes = {2}};

/* A master with key @mk (NULL: none) and a slave with key @sk. */
static void rig_new(struct rig *r, struct nj_psk *mk, struct nj_psk *sk, bool require)
{
	struct nj2_master_config mc;
	struct nj2_slave_config sc;

	memset(r, 0, sizeof(*r));
	nj2_master_config_init(&mc);
	snprintf(mc.hostname, sizeof(mc.hostname), "mhost");
	mc.sample_rate = 48000;
	mc.period = 256;
	mc.ext_flags = rig_ext;
	if (mk != NULL) {
		nj_psk_nj2_auth(mk, &r->ma);
		mc.auth = &r->ma;
	}
	ck_assert_int_eq(nj2_master_new(&mc, &mops, r, &r->m), 0);
	nj2_slave_config_init(&sc);
	snprintf(sc.offer.name, sizeof(sc.offer.name), "slave");
	snprintf(sc.offer.slave_name, sizeof(sc.offer.slave_name), "shost");
	sc.offer.send_audio = sc.offer.return_audio = 2;
	sc.offer.latency = 2;
	sc.ext_flags = NJ2_EXT_OPUS_ANY_PERIOD | NJ2_EXT_LATENCY;
	sc.nonce = 0x1234;
	if (sk != NULL) {
		nj_psk_nj2_auth(sk, &r->sa);
		r->sa.require = require;
		sc.auth = &r->sa;
	}
	ck_assert_int_eq(nj2_slave_new(&sc, &sops, r, &r->s), 0);
}

static void rig_free(struct rig *r)
{
	nj2_master_free(r->m);
	nj2_slave_free(r->s);
}

/* Deliver everything queued, both ways, until nothing moves. */
static void pump(struct rig *r, uint64_t now)
{
	while (r->to_master.n > 0 || r->to_slave.n > 0) {
		struct wire tm = r->to_master, ts = r->to_slave;

		r->to_master.n = r->to_slave.n = 0;
		for (unsigned i = 0; i < tm.n; i++) {
			if (nj2_slave_state(r->s) == NJ2_SLAVE_DISCOVER) {
				nj2_master_rx_discovery(r->m, tm.pkt[i], NJ2_PARAMS_SIZE, &saddr, now);
			} else {
				nj2_master_rx_session(r->m, 0, tm.pkt[i], NJ2_PARAMS_SIZE, now);
			}
		}
		for (unsigned i = 0; i < ts.n; i++) {
			nj2_slave_rx(r->s, ts.pkt[i], NJ2_PARAMS_SIZE, &maddr, now);
		}
	}
}

START_TEST(handshake_same_key)
{
	struct nj_psk *k = key_of(0);
	struct rig r;

	rig_new(&r, k, k, true);
	nj2_slave_start(r.s, 1);
	pump(&r, 2);
	ck_assert_int_eq(r.adopted, 1);
	ck_assert_int_eq(r.started, 1);
	ck_assert(nj2_params_authenticated(&r.started_p));
	ck_assert(nj2_params_authenticated(&r.adopted_p));
	ck_assert(!(r.started_p.master_ext.flags & NJ2_EXT_ENCRYPT));
	/* both ends derive the same nonces, hence the same keys */
	ck_assert_int_eq(memcmp(r.started_p.slave_ext.auth_nonce, r.adopted_p.slave_ext.auth_nonce, 16), 0);
	ck_assert_int_eq(memcmp(r.started_p.master_ext.auth_nonce, r.adopted_p.master_ext.auth_nonce, 16), 0);
	ck_assert_uint_eq(nj2_params_layout_mtu(&r.started_p), r.started_p.mtu - NJ2_AUTH_TRAILER);
	ck_assert_uint_eq(nj2_master_stats(r.m)->auth_failed, 0);
	rig_free(&r);
	nj_psk_free(k);
}
END_TEST

START_TEST(handshake_wrong_key)
{
	struct nj_psk *a = key_of(0), *b = key_of(1);
	struct rig r;

	rig_new(&r, a, b, false);
	nj2_slave_start(r.s, 1);
	pump(&r, 2);
	/* the slave finds the master's tag wrong: no adoption, no START_MASTER */
	ck_assert_int_eq(r.adopted, 0);
	ck_assert_int_eq(r.started, 0);
	ck_assert_int_eq(r.rejected_err, -EACCES);
	ck_assert_uint_eq(nj2_slave_stats(r.s)->auth_failed, 1);
	rig_free(&r);
	nj_psk_free(a);
	nj_psk_free(b);
}
END_TEST

START_TEST(handshake_no_master_key)
{
	struct nj_psk *k = key_of(0);
	struct rig r;

	/* a master without a key answers plainly: refused when required ... */
	rig_new(&r, NULL, k, true);
	nj2_slave_start(r.s, 1);
	pump(&r, 2);
	ck_assert_int_eq(r.adopted, 0);
	ck_assert_int_eq(r.rejected_err, -EPERM);
	rig_free(&r);
	/* ... and taken, unauthenticated, when not */
	rig_new(&r, NULL, k, false);
	nj2_slave_start(r.s, 1);
	pump(&r, 2);
	ck_assert_int_eq(r.adopted, 1);
	ck_assert_int_eq(r.started, 1);
	ck_assert(!nj2_params_authenticated(&r.adopted_p));
	rig_free(&r);
	/* a slave without a key on a keyed master: plain too */
	rig_new(&r, k, NULL, false);
	nj2_slave_start(r.s, 1);
	pump(&r, 2);
	ck_assert_int_eq(r.started, 1);
	ck_assert(!nj2_params_authenticated(&r.started_p));
	rig_free(&r);
	nj_psk_free(k);
}
END_TEST

START_TEST(handshake_forgeries)
{
	struct nj_psk *k = key_of(0), *other = key_of(9);
	struct nj2_auth wrong;
	uint8_t setup[NJ2_PARAMS_SIZE], start[NJ2_PARAMS_SIZE], kill[NJ2_PARAMS_SIZE];
	struct nj2_params p;
	struct rig r;

	rig_new(&r, k, k, false);
	nj2_slave_start(r.s, 1);
	/* the announcement reaches the master, the SETUP is held back */
	nj2_master_rx_discovery(r.m, r.to_master.pkt[0], NJ2_PARAMS_SIZE, &saddr, 2);
	r.to_master.n = 0;
	ck_assert_uint_eq(r.to_slave.n, 1);
	memcpy(setup, r.to_slave.pkt[0], sizeof(setup));
	r.to_slave.n = 0;
	nj2_slave_rx(r.s, setup, sizeof(setup), &maddr, 3);
	ck_assert_int_eq(r.adopted, 1);
	memcpy(start, r.to_master.pkt[0], sizeof(start));
	r.to_master.n = 0;
	/* a START_MASTER signed with another key: counted, logged, ignored */
	nj_psk_nj2_auth(other, &wrong);
	memcpy(kill, start, sizeof(kill));
	nj2_auth_sign(&wrong, NJ2_AUTH_BY_SLAVE, kill);
	nj2_master_rx_session(r.m, 0, kill, sizeof(kill), 4);
	ck_assert_int_eq(r.started, 0);
	ck_assert_int_eq(r.refused_auth, 1);
	ck_assert_uint_eq(nj2_master_stats(r.m)->auth_failed, 1);
	/* one changed byte of a right one (the channel count): the same */
	memcpy(kill, start, sizeof(kill));
	ck_assert_int_eq(nj2_params_decode(kill, sizeof(kill), &p), 0);
	p.return_audio = 1;
	ck_assert_int_eq(nj2_params_encode(&p, kill, sizeof(kill)), NJ2_PARAMS_SIZE);
	nj2_master_rx_session(r.m, 0, kill, sizeof(kill), 4);
	ck_assert_int_eq(r.started, 0);
	ck_assert_uint_eq(nj2_master_stats(r.m)->auth_failed, 2);
	/* the real one starts the session */
	nj2_master_rx_session(r.m, 0, start, sizeof(start), 5);
	ck_assert_int_eq(r.started, 1);
	/* a KILL_MASTER to the slave without the master's tag does not end it */
	ck_assert_int_eq(nj2_params_decode(setup, sizeof(setup), &p), 0);
	p.packet_id = NJ2_KILL_MASTER;
	ck_assert_int_eq(nj2_params_encode(&p, kill, sizeof(kill)), NJ2_PARAMS_SIZE);
	nj2_slave_alive(r.s, 6);
	nj2_slave_rx(r.s, kill, sizeof(kill), &maddr, 6);
	ck_assert_int_eq(nj2_slave_state(r.s), NJ2_SLAVE_RUNNING);
	ck_assert_uint_eq(nj2_slave_stats(r.s)->auth_failed, 1);
	/* the master's own (it ends the session locally) does */
	nj2_master_end(r.m, 0);
	ck_assert_uint_eq(r.group.n, 1);
	nj2_slave_rx(r.s, r.group.pkt[0], NJ2_PARAMS_SIZE, &maddr, 7);
	ck_assert_int_eq(nj2_slave_state(r.s), NJ2_SLAVE_DISCOVER);
	/* back in discovery under a fresh nonce: the old SETUP replayed is refused */
	r.rejected_err = 0;
	nj2_slave_rx(r.s, setup, sizeof(setup), &maddr, 8);
	ck_assert_int_eq(r.adopted, 1);
	ck_assert_int_eq(r.rejected_err, -EACCES);
	rig_free(&r);
	nj_psk_free(k);
	nj_psk_free(other);
}
END_TEST

/* --------------------------------------------------------- latency reports */

/* A running session's slave tells its master what its bridge adds: taken
 * where both offered NJ2_EXT_LATENCY, tagged where the session is
 * authenticated; a changed report, another session's or one the master
 * never granted is not. */
static void latency_run(bool keyed)
{
	struct nj_psk *k = keyed ? key_of(0) : NULL;
	uint8_t rep[NJ2_PARAMS_SIZE], bad[NJ2_PARAMS_SIZE];
	struct nj2_params p;
	struct rig r;

	rig_new(&r, k, k, false);
	nj2_slave_start(r.s, 1);
	pump(&r, 2);
	ck_assert_int_eq(r.started, 1);
	ck_assert(r.started_p.master_ext.flags & NJ2_EXT_LATENCY);
	ck_assert_int_eq(nj2_slave_latency_report(r.s, 896, 384, rep, sizeof(rep)), NJ2_PARAMS_SIZE);
	ck_assert_int_eq(nj2_params_decode(rep, sizeof(rep), &p), 0);
	ck_assert_int_eq(p.packet_id, NJ2_LATENCY_REPORT);
	ck_assert_uint_eq(p.slave_ext.latency[0], 896);
	ck_assert_uint_eq(p.slave_ext.latency[1], 384);
	ck_assert_int_eq(nj2_master_rx_session(r.m, 0, rep, sizeof(rep), 3), 0);
	ck_assert_int_eq(r.latency_calls, 1);
	ck_assert_uint_eq(r.latency[0], 896);
	ck_assert_uint_eq(r.latency[1], 384);
	ck_assert_uint_eq(nj2_master_stats(r.m)->latency_reports, 1);
	/* the figure changed on the way: refused where tags are checked */
	p.slave_ext.latency[0] = 1;
	memcpy(bad, rep, sizeof(bad));
	ck_assert_int_eq(nj2_params_encode(&p, bad, sizeof(bad)), NJ2_PARAMS_SIZE);
	if (keyed) {
		memcpy(bad + nj2_params_tag_offset(false), rep + nj2_params_tag_offset(false),
		       NJ2_AUTH_TAG);
	}
	nj2_master_rx_session(r.m, 0, bad, sizeof(bad), 4);
	ck_assert_int_eq(r.latency_calls, keyed ? 1 : 2);
	ck_assert_uint_eq(nj2_master_stats(r.m)->auth_failed, keyed ? 1 : 0);
	/* another session's ID: ignored */
	ck_assert_int_eq(nj2_params_decode(rep, sizeof(rep), &p), 0);
	p.id++;
	ck_assert_int_eq(nj2_params_encode(&p, bad, sizeof(bad)), NJ2_PARAMS_SIZE);
	nj2_master_rx_session(r.m, 0, bad, sizeof(bad), 5);
	ck_assert_int_eq(r.latency_calls, keyed ? 1 : 2);
	rig_free(&r);
	/* a master that does not grant it: the slave sends none, one sent
	 * anyway is ignored */
	rig_ext = NJ2_EXT_OPUS_ANY_PERIOD;
	rig_new(&r, k, k, false);
	rig_ext = NJ2_EXT_OPUS_ANY_PERIOD | NJ2_EXT_LATENCY;
	nj2_slave_start(r.s, 1);
	pump(&r, 2);
	ck_assert_int_eq(r.started, 1);
	ck_assert_int_eq(nj2_slave_latency_report(r.s, 896, 384, bad, sizeof(bad)), -EOPNOTSUPP);
	nj2_master_rx_session(r.m, 0, rep, sizeof(rep), 3);
	ck_assert_int_eq(r.latency_calls, 0);
	rig_free(&r);
	nj_psk_free(k);
}

START_TEST(latency_reports_plain)
{
	latency_run(false);
}
END_TEST

START_TEST(latency_reports_keyed)
{
	latency_run(true);
}
END_TEST

/* ------------------------------------------------------------ sealed data */

#define P 128

static struct nj2_params session(bool encrypt)
{
	struct nj2_params p;

	nj2_params_init(&p);
	snprintf(p.name, sizeof(p.name), "s");
	p.id = 3;
	p.mtu = 1500;
	p.send_audio = p.return_audio = 4;
	p.sample_rate = 48000;
	p.period = P;
	p.latency = 2;
	p.packet_id = NJ2_START_MASTER;
	p.has_slave_ext = p.has_master_ext = true;
	p.slave_ext.version = p.master_ext.version = NJ2_EXT_VERSION;
	p.slave_ext.flags = p.master_ext.flags = NJ2_EXT_AUTH | (encrypt ? NJ2_EXT_ENCRYPT : 0);
	for (unsigned i = 0; i < 16; i++) {
		p.slave_ext.auth_nonce[i] = (uint8_t)i;
		p.master_ext.auth_nonce[i] = (uint8_t)(100 + i);
	}
	return p;
}

static void sealed_run(bool encrypt)
{
	struct nj_psk *k = key_of(0), *other = key_of(5);
	struct nj2_params p = session(encrypt);
	struct nj_exchange *m, *s, *bad;
	struct nj_exchange_stats st;
	float snd[4][P];
	const float *sp[4] = {snd[0], snd[1], snd[2], snd[3]};
	uint8_t buf[4][2048];
	size_t len[4];

	ck_assert_int_eq(nj2_exchange_open_keyed(&p, NJ2_ROLE_MASTER, NULL, &m), -EACCES);
	ck_assert_int_eq(nj2_exchange_open_keyed(&p, NJ2_ROLE_MASTER, k, &m), 0);
	ck_assert_int_eq(nj2_exchange_open_keyed(&p, NJ2_ROLE_SLAVE, k, &s), 0);
	ck_assert_int_eq(nj2_exchange_open_keyed(&p, NJ2_ROLE_SLAVE, other, &bad), 0);
	ck_assert_str_eq(m->info.auth, encrypt ? "psk+encrypt" : "psk");
	for (uint32_t t = 1; t <= 20; t++) {
		struct nj_period_out o = {.cycle = t, .audio = sp};
		const struct nj_datagram *list;
		struct nj_period_in in;
		unsigned n;

		for (unsigned c = 0; c < 4; c++) {
			for (unsigned i = 0; i < P; i++) {
				snd[c][i] = (float)t * 0.01f + (float)(c * P + i) * 1e-5f;
			}
		}
		ck_assert_int_eq(nj_exchange_pack(m, &o, &list, &n), 0);
		ck_assert_uint_ge(n, 2);
		ck_assert_uint_le(n, 4);
		for (unsigned i = 0; i < n; i++) {
			uint32_t c;

			ck_assert_uint_le(list[i].len, p.mtu);
			memcpy(buf[i], list[i].data, list[i].len);
			len[i] = list[i].len;
			/* encrypted: the samples are not on the wire */
			if (encrypt && i > 0) {
				ck_assert(memmem(buf[i], len[i], snd[0] + 1, 4 * sizeof(float)) == NULL &&
					  memmem(buf[i], len[i], snd[3] + 1, 4 * sizeof(float)) == NULL);
			}
			/* another key's session: every one malformed */
			ck_assert_int_lt(nj_exchange_classify(bad, buf[i], len[i]), 0);
			/* one flipped bit: malformed */
			buf[i][len[i] / 2] ^= 0x10;
			ck_assert_int_lt(nj_exchange_classify(s, buf[i], len[i]), 0);
			buf[i][len[i] / 2] ^= 0x10;
			ck_assert_int_eq(nj_exchange_classify(s, buf[i], len[i]), NJ_XDATA);
			ck_assert_int_eq(nj_exchange_push(s, buf[i], len[i], 0, &c), NJ_PUSH_OK);
		}
		/* the same datagrams again (a replay, bytes as sent): dropped */
		for (unsigned i = 0; i < n; i++) {
			uint32_t c;

			memcpy(buf[i], list[i].data, list[i].len);
			ck_assert_int_eq(nj_exchange_classify(s, buf[i], len[i]), NJ_XDATA);
			ck_assert_int_eq(nj_exchange_push(s, buf[i], len[i], 0, &c), NJ_PUSH_DUPLICATE);
		}
		ck_assert(nj_exchange_complete(s, t));
		ck_assert_int_eq(nj_exchange_take(s, t, &in), 0);
		ck_assert(in.complete);
		for (unsigned c = 0; c < 4; c++) {
			ck_assert_int_eq(memcmp(in.audio[c], snd[c], sizeof(snd[c])), 0);
		}
	}
	nj_exchange_stats(s, &st);
	ck_assert_uint_gt(st.auth_failed, 20);
	ck_assert_uint_gt(st.replayed, 20);
	nj_exchange_stats(bad, &st);
	ck_assert_uint_gt(st.auth_failed, 40);
	nj_exchange_free(m);
	nj_exchange_free(s);
	nj_exchange_free(bad);
	nj_psk_free(k);
	nj_psk_free(other);
}

START_TEST(sealed_tags)
{
	sealed_run(false);
}
END_TEST

START_TEST(sealed_encrypted)
{
	sealed_run(true);
}
END_TEST

/* ---------------------------------------------------------------- key file */

/* Load a key file of @content; @is_golden: it holds the golden key (bytes 0..31). */
static int load_as(const char *content, size_t n, mode_t mode, bool is_golden)
{
	char path[] = "/tmp/nj-psk-XXXXXX", err[160];
	struct nj_psk *k = NULL;
	int fd = mkstemp(path), r;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, n), (ssize_t)n);
	fchmod(fd, mode);
	close(fd);
	r = nj_psk_load(path, &k, err, sizeof(err));
	if (r == 0) {
		char id[NJ_PSK_ID_LEN + 1];

		nj_psk_id(k, id);
		ck_assert(is_golden == (strcmp(id, gold_id) == 0));
	} else {
		ck_assert(err[0] != '\0');
	}
	nj_psk_free(k);
	unlink(path);
	return r;
}

static int load(const char *content, size_t n, mode_t mode)
{
	return load_as(content, n, mode, true);
}

START_TEST(key_file)
{
	char hexkey[65], raw[32], gen[65];

	for (unsigned i = 0; i < 32; i++) {
		raw[i] = (char)i;
		sprintf(hexkey + 2 * i, "%02x", i);
	}
	ck_assert_int_eq(load(hexkey, 64, 0600), 0);
	ck_assert_int_eq(load(raw, 32, 0640), 0);
	{
		char spaced[80];

		snprintf(spaced, sizeof(spaced), "  %s\n", hexkey);
		ck_assert_int_eq(load(spaced, strlen(spaced), 0400), 0);
	}
	ck_assert_int_eq(load(hexkey, 64, 0644), -EPERM);
	ck_assert_int_eq(load(hexkey, 64, 0602), -EPERM);
	ck_assert_int_eq(load(hexkey, 62, 0600), -EINVAL);
	hexkey[10] = 'g';
	ck_assert_int_eq(load(hexkey, 64, 0600), -EINVAL);
	ck_assert_int_eq(load("", 0, 0600), -EINVAL);
	{
		char err[160];
		struct nj_psk *k;

		ck_assert_int_eq(nj_psk_load("/nonexistent/key", &k, err, sizeof(err)), -ENOENT);
	}
	nj_psk_generate(gen);
	ck_assert_uint_eq(strlen(gen), 64);
	ck_assert_int_eq(load_as(gen, 64, 0600, false), 0);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("auth");

	tcase_add_test(tc, golden);
	tcase_add_test(tc, handshake_same_key);
	tcase_add_test(tc, handshake_wrong_key);
	tcase_add_test(tc, handshake_no_master_key);
	tcase_add_test(tc, handshake_forgeries);
	tcase_add_test(tc, latency_reports_plain);
	tcase_add_test(tc, latency_reports_keyed);
	tcase_add_test(tc, sealed_tags);
	tcase_add_test(tc, sealed_encrypted);
	tcase_add_test(tc, key_file);
	suite_add_tcase(s, tc);
	return s;
}

NJ_CHECK_MAIN(auth_suite)
