/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * jacktrip-stream.c - the redundancy sender (-r N: each datagram carries the
 * last N periods, newest first) and a receiver that takes from each datagram
 * the periods it has not seen yet. Both allocate once, in _new().
 *
 * The receiver does what 1.7.0's UdpDataProtocol::receivePacketRedundancy
 * means to do, without its faults: sequence numbers compare modulo 65536 (1.7.0
 * misses the wrap and replays R - 1 periods there), a datagram's R comes from
 * its length (1.7.0 reads its own -r worth of sub-packets, past the end when
 * the peer's R is smaller), and every older sub-packet was checked by
 * jt_datagram_parse() before it is used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libnetproto/jacktrip.h>

struct jt_sender {
	struct jt_format f;
	size_t sub;     /* bytes per sub-packet */
	size_t size;    /* bytes per datagram */
	uint16_t seq;   /* the next datagram's */
	uint8_t *dgram; /* the last datagram built, newest sub-packet first */
};

int jt_sender_new(const struct jt_format *f, struct jt_sender **ret)
{
	struct jt_sender *s;

	if (ret == NULL || jt_format_check(f) < 0) {
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return -ENOMEM;
	}
	s->f = *f;
	s->sub = jt_subpacket_size(f->frames, f->send_channels, f->bits);
	s->size = s->sub * f->redundancy;
	s->dgram = calloc(1, s->size);
	if (s->dgram == NULL) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

void jt_sender_free(struct jt_sender *s)
{
	if (s == NULL) {
		return;
	}
	free(s->dgram);
	free(s);
}

size_t jt_sender_datagram_size(const struct jt_sender *s)
{
	return s->size;
}

uint16_t jt_sender_seq(const struct jt_sender *s)
{
	return s->seq;
}

int jt_sender_build(struct jt_sender *s, const float *const *ch, uint64_t timestamp_us,
		    uint8_t *out, size_t len)
{
	struct jt_header h = {
		.timestamp_us = timestamp_us,
		.seq = s->seq,
		.frames = (uint16_t)s->f.frames,
		.rate = (uint8_t)s->f.rate,
		.bits = (uint8_t)s->f.bits,
		.recv_channels = (uint8_t)s->f.recv_channels,
		.send_field = jt_send_field(s->f.send_channels, s->f.recv_channels),
	};

	if (out == NULL) {
		return -EINVAL;
	}
	if (len < s->size) {
		return -ENOBUFS;
	}
	/* as 1.7.0's sendPacketRedundancy: the older ones move back one slot */
	memmove(s->dgram + s->sub, s->dgram, s->size - s->sub);
	jt_header_encode(&h, s->dgram, s->sub);
	jt_audio_encode(ch, s->f.send_channels, s->f.frames, s->f.bits, s->dgram + JT_HEADER_SIZE,
			s->sub - JT_HEADER_SIZE);
	memcpy(out, s->dgram, s->size);
	s->seq++;
	return (int)s->size;
}

struct jt_receiver {
	struct jt_rx_config cfg;
	size_t sub;       /* bytes per sub-packet */
	size_t payload;   /* bytes per period */
	bool started;
	uint16_t last;    /* the newest period taken */
	unsigned outside; /* datagrams outside the window in a row */
	unsigned head;    /* the next queued period to pop */
	unsigned count;   /* periods queued */
	uint16_t *seqs;   /* max_redundancy of them */
	uint8_t *slots;   /* max_redundancy payloads */
};

int jt_receiver_new(const struct jt_rx_config *cfg, struct jt_receiver **ret)
{
	struct jt_receiver *r;
	size_t sub;

	if (cfg == NULL || ret == NULL || cfg->frames > 65535 || cfg->rate > JT_RATE_UNDEF ||
	    cfg->channels > JT_MAX_CHANNELS || cfg->max_redundancy == 0 ||
	    cfg->max_redundancy > JT_MAX_REDUNDANCY) {
		return -EINVAL;
	}
	sub = jt_subpacket_size(cfg->frames, cfg->channels, cfg->bits);
	if (sub == 0) {
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		return -ENOMEM;
	}
	r->cfg = *cfg;
	r->sub = sub;
	r->payload = sub - JT_HEADER_SIZE;
	r->seqs = calloc(cfg->max_redundancy, sizeof(*r->seqs));
	r->slots = calloc(cfg->max_redundancy, r->payload);
	if (r->seqs == NULL || r->slots == NULL) {
		jt_receiver_free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

void jt_receiver_free(struct jt_receiver *r)
{
	if (r == NULL) {
		return;
	}
	free(r->seqs);
	free(r->slots);
	free(r);
}

/* Queue sub-packet @k of the datagram at @buf (its seq is @seq). */
static void take(struct jt_receiver *r, const uint8_t *buf, unsigned k, uint16_t seq)
{
	memcpy(r->slots + r->count * r->payload, buf + k * r->sub + JT_HEADER_SIZE, r->payload);
	r->seqs[r->count++] = seq;
}

/* Start (or restart) the stream at the newest sub-packet. */
static int restart(struct jt_receiver *r, const uint8_t *buf, uint16_t seq,
		   struct jt_rx_info *info)
{
	take(r, buf, 0, seq);
	r->started = true;
	r->last = seq;
	r->outside = 0;
	info->taken = 1;
	return 1;
}

int jt_receiver_push(struct jt_receiver *r, const uint8_t *buf, size_t len,
		     struct jt_rx_info *ret_info)
{
	struct jt_rx_info dummy = {0}, *info = ret_info != NULL ? ret_info : &dummy;
	struct jt_header h;
	unsigned n, d, have;
	int nsub;

	nsub = jt_datagram_parse(buf, len, &h);
	if (nsub < 0) {
		return nsub;
	}
	if (h.frames != r->cfg.frames || h.rate != r->cfg.rate || h.bits != r->cfg.bits ||
	    jt_header_channels(&h) != r->cfg.channels || (unsigned)nsub > r->cfg.max_redundancy) {
		return -EPROTO;
	}
	n = (unsigned)nsub;
	memset(info, 0, sizeof(*info));
	info->dropped = r->count - r->head;
	r->head = 0;
	r->count = 0;
	if (!r->started) {
		return restart(r, buf, h.seq, info);
	}
	d = (uint16_t)(h.seq - r->last);
	if (d == 0) {
		info->duplicate = n;
		return 0;
	}
	if (d > JT_SEQ_WINDOW) {
		/* behind us, or a jump no loss explains: a restarted sender
		 * shows as a run of these */
		if (++r->outside >= JT_RESYNC_AFTER) {
			info->resync = true;
			return restart(r, buf, h.seq, info);
		}
		info->late = true;
		return 0;
	}
	r->outside = 0;
	have = d < n ? d : n;
	/* sub-packet k holds seq - k: take last+1 .. seq, oldest first */
	for (unsigned k = have; k-- > 0;) {
		if (buf[k * r->sub + 13] == 0) {
			info->lost++; /* a slot the sender had not filled */
			continue;
		}
		take(r, buf, k, (uint16_t)(h.seq - k));
		info->recovered += k > 0;
	}
	info->lost += d - have;
	for (unsigned k = have; k < n; k++) {
		info->duplicate += buf[k * r->sub + 13] != 0;
	}
	info->taken = r->count;
	r->last = h.seq;
	return (int)r->count;
}

int jt_receiver_pop(struct jt_receiver *r, float *const *ch, unsigned nch, uint16_t *ret_seq)
{
	unsigned i;

	if (r->head >= r->count) {
		return 0;
	}
	i = r->head++;
	jt_audio_decode(r->slots + i * r->payload, r->payload, r->cfg.channels, r->cfg.frames,
			r->cfg.bits, ch, nch);
	if (ret_seq != NULL) {
		*ret_seq = r->seqs[i];
	}
	return 1;
}
