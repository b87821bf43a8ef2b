/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wire.c - session_params (644 bytes), packet_header (48 bytes), sync payload.
 *
 * Field offsets follow NETJACK2-WIRE.md sections 2, 4 and 6. Integers are
 * big-endian on the wire; strings are raw bytes, read bounded.
 */
#include <errno.h>
#include <string.h>

#include <libnetproto/wire.h>

/* session_params offsets */
enum {
	P_TYPE = 0,
	P_VERSION = 8,
	P_PACKET_ID = 12,
	P_NAME = 16,
	P_MASTER_NAME = 80,
	P_SLAVE_NAME = 336,
	P_MTU = 592,
	P_ID = 596,
	P_TRANSPORT = 600,
	P_SEND_AUDIO = 604,
	P_RETURN_AUDIO = 608,
	P_SEND_MIDI = 612,
	P_RETURN_MIDI = 616,
	P_RATE = 620,
	P_PERIOD = 624,
	P_ENCODER = 628,
	P_KBPS = 632,
	P_SYNC = 636,
	P_LATENCY = 640,
};

/* packet_header offsets */
enum {
	H_TYPE = 0,
	H_DATA_TYPE = 8,
	H_STREAM = 12,
	H_ID = 16,
	H_NUM_PACKET = 20,
	H_PACKET_SIZE = 24,
	H_ACTIVE_PORTS = 28,
	H_CYCLE = 32,
	H_SUB_CYCLE = 36,
	H_FRAMES = 40,
	H_IS_LAST = 44,
};

/* extension block, inside a 256-byte net name field at NJ2_EXT_OFFSET */
enum {
	X_MAGIC = 0,
	X_VERSION = 4,
	X_FLAGS = 8,
	X_NONCE = 12,
	X_REDUNDANCY = 16,
	X_LATENCY = 18, /* two big-endian 24-bit counts */
	X_CRC = 28,
};

static const uint8_t ext_magic[4] = {'N', 'J', 'X', 'T'};

void nj2_params_init(struct nj2_params *p)
{
	memset(p, 0, sizeof(*p));
	p->version = NJ2_PROTOCOL_VERSION;
	p->packet_id = NJ2_SLAVE_AVAILABLE;
	p->mtu = NJ_MTU_DEFAULT;
	p->send_audio = -1;
	p->return_audio = -1;
	p->send_midi = 0;
	p->return_midi = 0;
	p->encoder = NJ2_ENCODER_FLOAT;
	p->latency = 5;
}

/* CRC-32 (IEEE, reflected), bitwise: only ever run over 28 bytes. */
static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++) {
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
		}
	}
	return ~crc;
}

static void ext_encode(const struct nj2_ext *x, uint8_t *b)
{
	memset(b, 0, NJ2_EXT_SIZE);
	memcpy(b + X_MAGIC, ext_magic, sizeof(ext_magic));
	b[X_VERSION] = (uint8_t)(x->version >> 8);
	b[X_VERSION + 1] = (uint8_t)x->version;
	nj_put_be32(b + X_FLAGS, x->flags);
	nj_put_be32(b + X_NONCE, x->nonce);
	b[X_REDUNDANCY] = (x->flags & NJ2_EXT_REDUNDANCY) ? x->redundancy : 0;
	for (unsigned k = 0; k < 2 && (x->flags & NJ2_EXT_LATENCY); k++) {
		uint32_t v = x->latency[k] > 0xFFFFFFu ? 0xFFFFFFu : x->latency[k];

		b[X_LATENCY + 3 * k] = (uint8_t)(v >> 16);
		b[X_LATENCY + 3 * k + 1] = (uint8_t)(v >> 8);
		b[X_LATENCY + 3 * k + 2] = (uint8_t)v;
	}
	nj_put_be32(b + X_CRC, crc32_ieee(b, X_CRC));
	if (x->flags & NJ2_EXT_AUTH) {
		memcpy(b + NJ2_EXT_SIZE, x->auth_nonce, NJ2_AUTH_NONCE);
		memcpy(b + NJ2_EXT_SIZE + NJ2_AUTH_NONCE, x->auth_tag, NJ2_AUTH_TAG);
	}
}

/* A block is valid only with magic, checksum and a NUL before it in the field,
 * so stale memory from a jack2 peer is not taken for an offer. */
static bool ext_decode(const uint8_t *field, struct nj2_ext *x)
{
	const uint8_t *b = field + NJ2_EXT_OFFSET;

	if (memchr(field, 0, NJ2_EXT_OFFSET) == NULL) {
		return false;
	}
	if (memcmp(b + X_MAGIC, ext_magic, sizeof(ext_magic)) != 0) {
		return false;
	}
	if (nj_get_be32(b + X_CRC) != crc32_ieee(b, X_CRC)) {
		return false;
	}
	x->version = (uint16_t)((b[X_VERSION] << 8) | b[X_VERSION + 1]);
	x->flags = nj_get_be32(b + X_FLAGS);
	x->nonce = nj_get_be32(b + X_NONCE);
	x->redundancy = (x->flags & NJ2_EXT_REDUNDANCY) ? b[X_REDUNDANCY] : 0;
	for (unsigned k = 0; k < 2; k++) {
		const uint8_t *v = b + X_LATENCY + 3 * k;

		x->latency[k] = (x->flags & NJ2_EXT_LATENCY)
					? (uint32_t)v[0] << 16 | (uint32_t)v[1] << 8 | v[2] : 0;
	}
	if (x->flags & NJ2_EXT_AUTH) {
		memcpy(x->auth_nonce, b + NJ2_EXT_SIZE, NJ2_AUTH_NONCE);
		memcpy(x->auth_tag, b + NJ2_EXT_SIZE + NJ2_AUTH_NONCE, NJ2_AUTH_TAG);
	}
	return x->version >= 1;
}

/* strnlen is POSIX, not C11: the core stays plain C. */
static size_t bounded_len(const char *s, size_t max)
{
	const char *nul = memchr(s, '\0', max);

	return nul ? (size_t)(nul - s) : max;
}

static int put_name(uint8_t *field, size_t field_len, const char *s, bool ext)
{
	size_t n = bounded_len(s, field_len + 1);

	if (n > field_len || (ext && n >= NJ2_EXT_OFFSET)) {
		return -EINVAL;
	}
	memset(field, 0, field_len);
	memcpy(field, s, n);
	return 0;
}

static void get_name(char *dst, const uint8_t *field, size_t field_len)
{
	const uint8_t *nul = memchr(field, 0, field_len);
	size_t n = nul ? (size_t)(nul - field) : field_len;

	memcpy(dst, field, n);
	dst[n] = '\0';
}

size_t nj2_params_tag_offset(bool master_field)
{
	return (master_field ? P_MASTER_NAME : P_SLAVE_NAME) + NJ2_AUTH_OFFSET + NJ2_AUTH_NONCE;
}

void nj2_params_auth_view(const uint8_t *pkt, uint8_t *out)
{
	memcpy(out, pkt, NJ2_PARAMS_SIZE);
	memset(out + nj2_params_tag_offset(true), 0, NJ2_AUTH_TAG);
	memset(out + nj2_params_tag_offset(false), 0, NJ2_AUTH_TAG);
}

const char *nj2_encoder_name(uint32_t encoder)
{
	static const char *const names[] = {"float", "int16", "celt", "opus"};

	return encoder < sizeof(names) / sizeof(names[0]) ? names[encoder] : "unknown";
}

int nj2_params_encode(const struct nj2_params *p, uint8_t *buf, size_t len)
{
	if (p == NULL || buf == NULL) {
		return -EINVAL;
	}
	if (len < NJ2_PARAMS_SIZE) {
		return -ENOBUFS;
	}
	memset(buf, 0, NJ2_PARAMS_SIZE);
	memcpy(buf + P_TYPE, "params", 6);
	nj_put_be32(buf + P_VERSION, p->version);
	nj_put_be32(buf + P_PACKET_ID, (uint32_t)p->packet_id);
	if (put_name(buf + P_NAME, NJ2_NAME_LEN, p->name, false) < 0 ||
	    put_name(buf + P_MASTER_NAME, NJ2_NETNAME_LEN, p->master_name, p->has_master_ext) < 0 ||
	    put_name(buf + P_SLAVE_NAME, NJ2_NETNAME_LEN, p->slave_name, p->has_slave_ext) < 0) {
		return -EINVAL;
	}
	if (p->has_master_ext) {
		ext_encode(&p->master_ext, buf + P_MASTER_NAME + NJ2_EXT_OFFSET);
	}
	if (p->has_slave_ext) {
		ext_encode(&p->slave_ext, buf + P_SLAVE_NAME + NJ2_EXT_OFFSET);
	}
	nj_put_be32(buf + P_MTU, p->mtu);
	nj_put_be32(buf + P_ID, p->id);
	nj_put_be32(buf + P_TRANSPORT, p->transport_sync);
	nj_put_be32(buf + P_SEND_AUDIO, (uint32_t)p->send_audio);
	nj_put_be32(buf + P_RETURN_AUDIO, (uint32_t)p->return_audio);
	nj_put_be32(buf + P_SEND_MIDI, (uint32_t)p->send_midi);
	nj_put_be32(buf + P_RETURN_MIDI, (uint32_t)p->return_midi);
	nj_put_be32(buf + P_RATE, p->sample_rate);
	nj_put_be32(buf + P_PERIOD, p->period);
	nj_put_be32(buf + P_ENCODER, p->encoder);
	nj_put_be32(buf + P_KBPS, p->kbps);
	nj_put_be32(buf + P_SYNC, p->sync_mode);
	nj_put_be32(buf + P_LATENCY, p->latency);
	return NJ2_PARAMS_SIZE;
}

static bool channels_ok(int32_t c)
{
	return c >= -1 && c <= NJ_MAX_CHANNELS;
}

int nj2_params_decode(const uint8_t *buf, size_t len, struct nj2_params *ret_p)
{
	struct nj2_params p;

	if (buf == NULL || ret_p == NULL) {
		return -EINVAL;
	}
	/* jack2's manager looks only at datagrams of exactly this size. */
	if (len != NJ2_PARAMS_SIZE) {
		return -EBADMSG;
	}
	/* Compared up to the NUL, as jack2's slave and PipeWire do: byte 7 is free. */
	if (memcmp(buf + P_TYPE, "params", 7) != 0) {
		return -EBADMSG;
	}
	memset(&p, 0, sizeof(p));
	p.version = nj_get_be32(buf + P_VERSION);
	p.packet_id = (int32_t)nj_get_be32(buf + P_PACKET_ID);
	get_name(p.name, buf + P_NAME, NJ2_NAME_LEN);
	get_name(p.master_name, buf + P_MASTER_NAME, NJ2_NETNAME_LEN);
	get_name(p.slave_name, buf + P_SLAVE_NAME, NJ2_NETNAME_LEN);
	p.has_master_ext = ext_decode(buf + P_MASTER_NAME, &p.master_ext);
	p.has_slave_ext = ext_decode(buf + P_SLAVE_NAME, &p.slave_ext);
	p.mtu = nj_get_be32(buf + P_MTU);
	p.id = nj_get_be32(buf + P_ID);
	p.transport_sync = nj_get_be32(buf + P_TRANSPORT);
	p.send_audio = (int32_t)nj_get_be32(buf + P_SEND_AUDIO);
	p.return_audio = (int32_t)nj_get_be32(buf + P_RETURN_AUDIO);
	p.send_midi = (int32_t)nj_get_be32(buf + P_SEND_MIDI);
	p.return_midi = (int32_t)nj_get_be32(buf + P_RETURN_MIDI);
	p.sample_rate = nj_get_be32(buf + P_RATE);
	p.period = nj_get_be32(buf + P_PERIOD);
	p.encoder = nj_get_be32(buf + P_ENCODER);
	p.kbps = nj_get_be32(buf + P_KBPS);
	p.sync_mode = nj_get_be32(buf + P_SYNC);
	p.latency = nj_get_be32(buf + P_LATENCY);

	if (p.version != NJ2_PROTOCOL_VERSION) {
		return -EPROTO;
	}
	if ((p.packet_id < NJ2_SLAVE_AVAILABLE || p.packet_id > NJ2_KILL_MASTER) &&
	    p.packet_id != NJ2_LATENCY_REPORT) {
		return -EBADMSG;
	}
	if (!channels_ok(p.send_audio) || !channels_ok(p.return_audio) ||
	    !channels_ok(p.send_midi) || !channels_ok(p.return_midi)) {
		return -EBADMSG;
	}
	if (p.mtu < NJ_MTU_MIN || p.mtu > NJ_MTU_MAX) {
		return -EBADMSG;
	}
	if (p.encoder > NJ2_ENCODER_OPUS || p.transport_sync > 1 || p.sync_mode > 1 ||
	    p.latency > NJ_MAX_LATENCY) {
		return -EBADMSG;
	}
	/* A first SLAVE_AVAILABLE has rate and period 0; after a jack2 slave's
	 * restart they are stale. Only the master's packets must carry real ones. */
	if (p.packet_id != NJ2_SLAVE_AVAILABLE) {
		if (p.sample_rate == 0 || p.sample_rate > NJ_RATE_MAX ||
		    p.period < NJ_PERIOD_MIN || p.period > NJ_PERIOD_MAX) {
			return -EBADMSG;
		}
	}
	*ret_p = p;
	return 0;
}

int nj2_header_encode(const struct nj2_header *h, uint8_t *buf, size_t len)
{
	if (h == NULL || buf == NULL) {
		return -EINVAL;
	}
	if (len < NJ2_HEADER_SIZE) {
		return -ENOBUFS;
	}
	memset(buf, 0, 8);
	memcpy(buf + H_TYPE, "header", 6);
	nj_put_be32(buf + H_DATA_TYPE, h->data_type);
	nj_put_be32(buf + H_STREAM, h->stream);
	nj_put_be32(buf + H_ID, h->id);
	nj_put_be32(buf + H_NUM_PACKET, h->num_packet);
	nj_put_be32(buf + H_PACKET_SIZE, h->packet_size);
	nj_put_be32(buf + H_ACTIVE_PORTS, h->active_ports);
	nj_put_be32(buf + H_CYCLE, h->cycle);
	nj_put_be32(buf + H_SUB_CYCLE, h->sub_cycle);
	nj_put_be32(buf + H_FRAMES, (uint32_t)h->frames);
	nj_put_be32(buf + H_IS_LAST, h->is_last);
	return NJ2_HEADER_SIZE;
}

int nj2_header_decode(const uint8_t *buf, size_t len, struct nj2_header *ret_h)
{
	struct nj2_header h;

	if (buf == NULL || ret_h == NULL) {
		return -EINVAL;
	}
	if (len < NJ2_HEADER_SIZE || memcmp(buf + H_TYPE, "header", 7) != 0) {
		return -EBADMSG;
	}
	h.data_type = nj_get_be32(buf + H_DATA_TYPE);
	h.stream = nj_get_be32(buf + H_STREAM);
	h.id = nj_get_be32(buf + H_ID);
	h.num_packet = nj_get_be32(buf + H_NUM_PACKET);
	h.packet_size = nj_get_be32(buf + H_PACKET_SIZE);
	h.active_ports = nj_get_be32(buf + H_ACTIVE_PORTS);
	h.cycle = nj_get_be32(buf + H_CYCLE);
	h.sub_cycle = nj_get_be32(buf + H_SUB_CYCLE);
	h.frames = (int32_t)nj_get_be32(buf + H_FRAMES);
	h.is_last = nj_get_be32(buf + H_IS_LAST);

	if (h.data_type != NJ2_DATA_SYNC && h.data_type != NJ2_DATA_MIDI &&
	    h.data_type != NJ2_DATA_AUDIO) {
		return -EBADMSG;
	}
	if (h.stream != NJ2_STREAM_SEND && h.stream != NJ2_STREAM_RETURN) {
		return -EBADMSG;
	}
	if (h.packet_size < NJ2_HEADER_SIZE || h.packet_size > len || h.is_last > 1) {
		return -EBADMSG;
	}
	/* num_packet is stale in sync packets (jack2 leaves the last value). */
	if (h.data_type != NJ2_DATA_SYNC &&
	    (h.num_packet == 0 || h.num_packet > NJ2_MAX_PACKETS_PER_CYCLE ||
	     h.sub_cycle >= h.num_packet)) {
		return -EBADMSG;
	}
	*ret_h = h;
	return 0;
}

int nj2_sync_encode(const struct nj_portset *set, unsigned nports, uint8_t *buf, size_t len)
{
	size_t off = 0;

	if (set == NULL || buf == NULL || nports > NJ_MAX_CHANNELS) {
		return -EINVAL;
	}
	for (unsigned i = 0; i < nports; i++) {
		if (!nj_portset_has(set, i)) {
			continue;
		}
		if (len - off < 4) {
			return -ENOBUFS;
		}
		nj_put_be32(buf + off, i);
		off += 4;
	}
	return (int)off;
}

int nj2_sync_decode(const uint8_t *buf, size_t len, uint32_t count, unsigned nports,
		   struct nj_portset *ret_set)
{
	struct nj_portset s;

	if (ret_set == NULL || nports > NJ_MAX_CHANNELS || (buf == NULL && count > 0)) {
		return -EINVAL;
	}
	if (count > NJ_MAX_CHANNELS || len / 4 < count) {
		return -EBADMSG;
	}
	nj_portset_clear(&s);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t port = nj_get_be32(buf + 4 * i);

		if (port >= nports) {
			return -EBADMSG;
		}
		nj_portset_add(&s, port);
	}
	*ret_set = s;
	return 0;
}
