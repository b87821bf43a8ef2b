/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-auth.c - the authenticated handshake and the sealed exchange fed
 * arbitrary datagrams (libnetproto with libsodium).
 * Input: records of [u8 target][u8 source][u16 len][u16 dt_ms][len bytes].
 * target 0: master discovery, 1: master session (source % 4), 2: slave;
 * 3 and 4: the same to the slave and to a master session, but signed by the
 * harness with the key first (so the fuzzer gets past the tag and reaches
 * what follows it); 5: a datagram sealed by the harness with the session's
 * key (sequence number dt) into the slave's sealed exchange, 6: a raw one
 * into the master's. Every verdict is the machines' own; nothing may crash,
 * leak or grow.
 */
#include <stdlib.h>
#include <string.h>

#include <libnetproto/auth.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void m_send(void *ud, unsigned s, const uint8_t *b, size_t l)
{
	if (l != NJ2_PARAMS_SIZE || s >= 4) {
		abort();
	}
}
static void m_group(void *ud, const uint8_t *b, size_t l)
{
}
static int m_new(void *ud, unsigned s, const struct nj_addr *a, const struct nj2_params *p)
{
	return s < 4 ? 0 : -1;
}
static int m_started(void *ud, unsigned s, const struct nj2_params *p)
{
	/* only an authenticated START_MASTER may start a session that offered it */
	return 0;
}
static void m_ended(void *ud, unsigned s, enum nj2_end_reason w)
{
}
static void s_send(void *ud, const uint8_t *b, size_t l)
{
}
static int s_adopted(void *ud, const struct nj_addr *a, const struct nj2_params *p)
{
	return 0;
}
static void s_lost(void *ud, enum nj2_slave_lost_reason w)
{
}

static const struct nj2_master_ops mops = {.send = m_send, .send_group = m_group,
					   .session_new = m_new, .session_started = m_started,
					   .session_ended = m_ended};
static const struct nj2_slave_ops sops = {.send_discovery = s_send, .send_peer = s_send,
					  .adopted = s_adopted, .lost = s_lost};

static struct nj_psk *key;
static struct nj2_auth auth;
static struct nj2_params sess;
static uint8_t ms[NJ_AUTH_KEY], sm[NJ_AUTH_KEY];

static void setup_once(void)
{
	uint8_t k[NJ_PSK_SIZE] = {7};

	if (key != NULL) {
		return;
	}
	if (nj_psk_new(k, &key) < 0) {
		abort();
	}
	nj_psk_nj2_auth(key, &auth);
	nj2_params_init(&sess);
	strcpy(sess.name, "fuzz");
	sess.id = 1;
	sess.mtu = 1500;
	sess.send_audio = sess.return_audio = 2;
	sess.send_midi = sess.return_midi = 1;
	sess.sample_rate = 48000;
	sess.period = 128;
	sess.latency = 2;
	sess.packet_id = NJ2_START_MASTER;
	sess.has_slave_ext = sess.has_master_ext = true;
	sess.slave_ext.version = sess.master_ext.version = NJ2_EXT_VERSION;
	sess.slave_ext.flags = sess.master_ext.flags = NJ2_EXT_AUTH | NJ2_EXT_ENCRYPT;
	nj_psk_session_keys(key, sess.slave_ext.auth_nonce, sess.master_ext.auth_nonce, ms, sm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nj2_master_config mc;
	struct nj2_slave_config sc;
	struct nj_exchange *xs, *xm;
	struct nj2_master *m;
	struct nj2_slave *s;
	uint64_t now = 1000000;
	size_t off = 0;

	setup_once();
	nj2_master_config_init(&mc);
	mc.sample_rate = 48000;
	mc.period = 256;
	mc.max_slaves = 4;
	mc.auth = &auth;
	nj2_slave_config_init(&sc);
	strcpy(sc.offer.name, "fuzz");
	sc.auth = &auth;
	if (nj2_master_new(&mc, &mops, NULL, &m) < 0 || nj2_slave_new(&sc, &sops, NULL, &s) < 0 ||
	    nj2_exchange_open_keyed(&sess, NJ2_ROLE_SLAVE, key, &xs) < 0 ||
	    nj2_exchange_open_keyed(&sess, NJ2_ROLE_MASTER, key, &xm) < 0) {
		abort();
	}
	nj2_slave_start(s, now);
	while (off + 6 <= size) {
		unsigned target = data[off] % 7;
		struct nj_addr from = {.len = 1, .bytes = {data[off + 1]}};
		size_t len = (size_t)data[off + 2] << 8 | data[off + 3];
		uint64_t dt = (uint64_t)data[off + 4] << 8 | data[off + 5];
		uint8_t buf[2048];
		uint32_t cyc;

		off += 6;
		if (len > size - off) {
			len = size - off;
		}
		if (len > sizeof(buf) - NJ_AUTH_TRAILER) {
			len = sizeof(buf) - NJ_AUTH_TRAILER;
		}
		memcpy(buf, data + off, len);
		now += dt * 1000;
		nj2_master_timeout(m, now);
		nj2_slave_timeout(s, now);
		if ((target == 3 || target == 4) && len == NJ2_PARAMS_SIZE) {
			nj2_auth_sign(&auth, target == 3 ? NJ2_AUTH_BY_MASTER : NJ2_AUTH_BY_SLAVE, buf);
		}
		switch (target) {
		case 0:
			nj2_master_rx_discovery(m, buf, len, &from, now);
			break;
		case 1:
		case 4:
			nj2_master_rx_session(m, data[off - 5] % 4, buf, len, now);
			break;
		case 2:
		case 3:
			nj2_slave_rx(s, buf, len, &from, now);
			break;
		case 5: {
			uint8_t sealed[2048];
			size_t n = nj_auth_seal(ms, dt, NJ2_HEADER_SIZE, buf, len, sealed);

			if (nj_exchange_classify(xs, sealed, n) == NJ_XDATA) {
				nj_exchange_push(xs, sealed, n, 0, &cyc);
			}
			break;
		}
		default:
			if (nj_exchange_classify(xm, buf, len) == NJ_XDATA) {
				nj_exchange_push(xm, buf, len, (uint32_t)dt, &cyc);
			}
			break;
		}
		off += len;
		if (nj2_master_session_count(m) > 4) {
			abort();
		}
	}
	{
		struct nj_period_in in;
		uint32_t c;

		for (uint32_t t = 0; t < 4; t++) {
			nj_exchange_take(xs, t, &in);
			if (nj_exchange_pick(xm, t, &c)) {
				nj_exchange_take(xm, c, &in);
			}
		}
	}
	nj_exchange_free(xs);
	nj_exchange_free(xm);
	nj2_master_free(m);
	nj2_slave_free(s);
	return 0;
}
