/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-session.c - master and slave state machines fed arbitrary datagrams.
 * Input: records of [u8 target][u8 source][u16 len][u16 dt_ms][len bytes].
 * target 0: master discovery, 1: master session (source % 4), 2: slave.
 */
#include <stdlib.h>
#include <string.h>

#include <libnetproto/session.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void m_send(void *ud, unsigned s, const uint8_t *b, size_t l)
{
	if (l != NJ2_PARAMS_SIZE) {
		abort();
	}
}
static void m_group(void *ud, const uint8_t *b, size_t l)
{
}
static int m_new(void *ud, unsigned s, const struct nj_addr *a, const struct nj2_params *p)
{
	if (s >= 4) {
		abort();
	}
	return 0;
}
static int m_started(void *ud, unsigned s, const struct nj2_params *p)
{
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nj2_master_config mc;
	struct nj2_slave_config sc;
	struct nj2_master *m;
	struct nj2_slave *s;
	uint64_t now = 1000000;
	size_t off = 0;

	nj2_master_config_init(&mc);
	mc.sample_rate = 48000;
	mc.period = 256;
	mc.max_slaves = 4;
	nj2_slave_config_init(&sc);
	strcpy(sc.offer.name, "fuzz");
	if (nj2_master_new(&mc, &mops, NULL, &m) < 0 || nj2_slave_new(&sc, &sops, NULL, &s) < 0) {
		abort();
	}
	nj2_slave_start(s, now);
	while (off + 6 <= size) {
		unsigned target = data[off] % 3;
		struct nj_addr from = {.len = 1, .bytes = {data[off + 1]}};
		size_t len = (size_t)data[off + 2] << 8 | data[off + 3];
		uint64_t dt = ((uint64_t)data[off + 4] << 8 | data[off + 5]) * 1000;

		off += 6;
		if (len > size - off) {
			len = size - off;
		}
		now += dt;
		nj2_master_timeout(m, now);
		nj2_slave_timeout(s, now);
		if (target == 0) {
			nj2_master_rx_discovery(m, data + off, len, &from, now);
		} else if (target == 1) {
			nj2_master_rx_session(m, data[off - 5] % 4, data + off, len, now);
			nj2_master_alive(m, data[off - 5] % 4, now);
		} else {
			nj2_slave_rx(s, data + off, len, &from, now);
			nj2_slave_alive(s, now);
		}
		off += len;
		if (nj2_master_session_count(m) > 4) {
			abort();
		}
	}
	nj2_master_free(m);
	nj2_slave_free(s);
	return 0;
}
