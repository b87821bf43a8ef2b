/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * udp.h - the UDP transport (the only part of libnetproto with sockets).
 *
 * IPv4 and IPv6, multicast join on a chosen interface, non-blocking batch
 * send and receive (sendmmsg/recvmmsg), connected per-peer sockets, DSCP EF,
 * socket buffer sizing. Every function returns 0 (or a count) or -errno.
 * Receive and send never block: sockets are O_NONBLOCK, so they may be used
 * from a real-time thread (no allocation inside the batch calls).
 */
#ifndef LIBNETPROTO_UDP_H
#define LIBNETPROTO_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <libnetproto/bpf.h>
#include <libnetproto/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A socket address of either family. */
struct nj_sockaddr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	} u;
	socklen_t len;
};

/**
 * nj_sockaddr_parse - parse "HOST", "HOST:PORT", "[V6]:PORT" or "V6" (numeric
 * addresses only; no DNS) with @default_port. Returns 0 or -EINVAL.
 */
int nj_sockaddr_parse(const char *text, uint16_t default_port, struct nj_sockaddr *ret);

/** nj_sockaddr_format - "1.2.3.4:19000" or "[::1]:19000" into @buf. */
const char *nj_sockaddr_format(const struct nj_sockaddr *a, char *buf, size_t len);

/** Convert to and from the core's opaque address (for the session machines). */
void nj_sockaddr_to_addr(const struct nj_sockaddr *a, struct nj_addr *ret);
int nj_sockaddr_from_addr(const struct nj_addr *a, struct nj_sockaddr *ret);

bool nj_sockaddr_is_multicast(const struct nj_sockaddr *a);

/** The same host: family and address equal, the port (and IPv6 scope) aside. */
bool nj_sockaddr_same_host(const struct nj_sockaddr *a, const struct nj_sockaddr *b);

/** Socket options at creation. */
struct nj_udp_opts {
	int family;              /* AF_INET or AF_INET6 */
	const struct nj_sockaddr *bind; /* NULL = unbound (ephemeral port on first send) */
	bool reuse_addr;         /* SO_REUSEADDR (jack2 sets it on every socket) */
	const struct nj_sockaddr *connect; /* NULL = unconnected */
	const struct nj_sockaddr *join;    /* multicast group to join, or NULL */
	const char *ifname;      /* interface for join and multicast send, or NULL */
	bool mcast_loop;         /* IP_MULTICAST_LOOP (jack2: off) */
	int mcast_ttl;           /* 0 = kernel default (1) */
	int dscp;                /* -1 = leave; jack2 uses 46 (EF) */
	int sndbuf, rcvbuf;      /* 0 = leave */
	bool timestamps;         /* SO_TIMESTAMPNS: the kernel stamps each arrival */
};

void nj_udp_opts_init(struct nj_udp_opts *o, int family);

/** nj_udp_open - create a non-blocking, close-on-exec UDP socket. Returns fd or -errno. */
int nj_udp_open(const struct nj_udp_opts *o);

/**
 * nj_udp_join - join multicast @group on @fd, on interface @ifname (NULL or
 * "": the kernel's choice, by route), and send to groups from that interface;
 * @again: the network changed, the socket may still be a member (the kernel
 * keeps memberships over a link down and up, forgets them with the
 * interface, and one that comes back under the same index has a stale
 * entry: renewed). Returns 0 (joined), 1 (@again: a member already,
 * renewed) or -errno
 * (-ENODEV: no such interface, or no route for the group yet).
 */
int nj_udp_join(int fd, const struct nj_sockaddr *group, const char *ifname, bool again);

/**
 * nj_udp_multicast_if - send @fd's multicast (@family) from interface @ifname
 * (NULL or "": leave the kernel's choice, 0). Returns its index, 0, or -errno.
 */
int nj_udp_multicast_if(int fd, int family, const char *ifname);

/** nj_udp_connect - connect (or re-connect) @fd to @peer. */
int nj_udp_connect(int fd, const struct nj_sockaddr *peer);

/** nj_udp_local - the bound address of @fd. */
int nj_udp_local(int fd, struct nj_sockaddr *ret);

/** nj_udp_set_buffers - SO_SNDBUF/SO_RCVBUF (the kernel doubles and caps them). */
int nj_udp_set_buffers(int fd, int sndbuf, int rcvbuf);

/** One datagram for batch I/O. */
struct nj_udp_msg {
	uint8_t *buf;
	size_t cap;              /* receive: buffer size */
	size_t len;              /* send: bytes; receive: bytes received */
	bool truncated;          /* receive: datagram was larger than cap */
	struct nj_sockaddr from; /* receive: source */
	uint64_t rx_ns;          /* receive: the kernel's arrival stamp (CLOCK_REALTIME,
				  * ns) on a socket opened with timestamps, else 0 */
	size_t seg;              /* receive, UDP GRO: several datagrams of this length
				  * came as one (the last may be shorter); 0: one */
};

/**
 * nj_udp_gro - have the kernel hand @fd a burst of one peer's equal-length
 * datagrams as one buffer (UDP_GRO, Linux 5.0): nj_udp_recvv() sets each
 * message's seg, and every receive buffer must hold NJ_UDP_GRO_BUF bytes (a
 * smaller one loses the rest). Returns 0, or -errno (-ENOPROTOOPT: no GRO).
 */
int nj_udp_gro(int fd);
#define NJ_UDP_GRO_BUF 65536

/** nj_udp_next_seg - the datagram at @off of @m (a GRO buffer or one datagram), its length; 0 at the end. */
static inline size_t nj_udp_next_seg(const struct nj_udp_msg *m, size_t off)
{
	size_t left = off < m->len ? m->len - off : 0;

	return m->seg > 0 && m->seg < left ? m->seg : left;
}

/** Upper bound on one batch call. */
#define NJ_UDP_BATCH 64

/**
 * nj_udp_sendv - send @n datagrams (buf/len of each) on a connected socket, or
 * to @to when not NULL, with sendmmsg. Returns how many were sent (a partial
 * count when the socket buffer filled: -EAGAIN is not an error there), or
 * -errno if none could be sent (ECONNREFUSED after an ICMP unreachable, ...).
 */
int nj_udp_sendv(int fd, const struct nj_udp_msg *msgs, unsigned n, const struct nj_sockaddr *to);

/**
 * nj_udp_send_datagrams - nj_udp_sendv() for a packer's datagram list (one
 * cycle of packets), with the same results. Real-time safe.
 */
int nj_udp_send_datagrams(int fd, const struct nj_datagram *list, unsigned n,
			  const struct nj_sockaddr *to);

/**
 * UDP segmentation offload (UDP_SEGMENT, Linux 4.18) for nj_udp_send_gso():
 * a run of equal-length datagrams (the last may be shorter) goes to the
 * kernel as one message and is cut into the same datagrams below the UDP
 * layer (by the NIC where it can), so nothing differs on the wire and a peer
 * never knows; the stack is crossed once per run instead of per datagram.
 */
struct nj_udp_gso {
	size_t seg_max;      /* the longest datagram sent so; 0: no GSO. Start with
				NJ_UDP_GSO_AUTO: it learns the route's limit (a
				refused length is not tried again) and turns
				itself off where the kernel has no GSO */
	unsigned last_sends; /* messages of the last call that carried several datagrams */
};

#define NJ_UDP_GSO_AUTO 65507
#define NJ_UDP_GSO_SEGS 64       /* the kernel's UDP_MAX_SEGMENTS (6.1) */
#define NJ_UDP_GSO_BYTES 65000   /* within one IP datagram's 64 KiB */

/**
 * nj_udp_send_gso - nj_udp_send_datagrams() with segmentation offload as @g
 * allows (@g is the socket's; one thread at a time). Real-time safe.
 */
int nj_udp_send_gso(int fd, const struct nj_datagram *list, unsigned n,
		    const struct nj_sockaddr *to, struct nj_udp_gso *g);

/** nj_udp_send - one datagram; returns bytes sent or -errno (-EAGAIN if full). */
int nj_udp_send(int fd, const void *buf, size_t len, const struct nj_sockaddr *to);

/**
 * nj_udp_recvv - receive up to @n datagrams without blocking (recvmmsg).
 * Returns the count (0 when nothing is queued) or -errno.
 */
int nj_udp_recvv(int fd, struct nj_udp_msg *msgs, unsigned n);

/** The bytes before the payload that a UDP socket's filter sees (the UDP header). */
#define NJ_UDP_FILTER_BASE 8

/**
 * nj_udp_attach_filter - attach a classic BPF program (bpf.h, written for
 * base NJ_UDP_FILTER_BASE) to @fd: the kernel drops what it refuses, before
 * any reader wakes, and counts it (nj_udp_drops). 0 or -errno.
 */
int nj_udp_attach_filter(int fd, const struct nj_bpf_insn *prog, unsigned n);

/**
 * nj_udp_drops - what the kernel dropped on @fd since it was opened:
 * refused by its filter, or no room in its receive buffer. 0 or -errno.
 */
int nj_udp_drops(int fd, uint64_t *ret);

/** nj_udp_wait - poll @fd for input until @timeout_us (0 = don't wait). 1 ready, 0 timeout, -errno. */
int nj_udp_wait(int fd, uint64_t timeout_us);


#ifdef __cplusplus
}
#endif

#endif
