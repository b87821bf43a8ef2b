/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * udp.c - UDP sockets for netJACK2: IPv4 and IPv6, multicast, batch I/O.
 *
 * jack2 sets SO_REUSEADDR and IP_TOS 0xB8 (DSCP 46, EF) on every socket,
 * turns multicast loop off and leaves the TTL at 1; it is IPv4 only. Here the
 * same defaults are available for both families, sockets are non-blocking and
 * close-on-exec, and batch calls never allocate, so a real-time thread may
 * use them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libnetproto/udp.h>

static int parse_port(const char *s, uint16_t *ret)
{
	char *end;
	unsigned long v;

	if (*s == '\0') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535) {
		return -EINVAL;
	}
	*ret = (uint16_t)v;
	return 0;
}

int nj_sockaddr_parse(const char *text, uint16_t default_port, struct nj_sockaddr *ret)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *port = NULL;
	struct nj_sockaddr a;
	uint16_t p = default_port;
	size_t n;

	if (text == NULL || ret == NULL) {
		return -EINVAL;
	}
	memset(&a, 0, sizeof(a));
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
			return -EINVAL;
		}
		n = (size_t)(close - text - 1);
		port = close[1] == ':' ? close + 2 : NULL;
		text++;
	} else if (strchr(text, ':') != NULL && strchr(text, ':') == strrchr(text, ':')) {
		/* exactly one colon: IPv4 host:port */
		port = strchr(text, ':') + 1;
		n = (size_t)(port - 1 - text);
	} else {
		n = strlen(text); /* IPv4 without a port, or a bare IPv6 address */
	}
	if (n == 0 || n >= sizeof(host)) {
		return -EINVAL;
	}
	memcpy(host, text, n);
	host[n] = '\0';
	if (port != NULL && parse_port(port, &p) < 0) {
		return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &a.u.in.sin_addr) == 1) {
		a.u.in.sin_family = AF_INET;
		a.u.in.sin_port = htons(p);
		a.len = sizeof(a.u.in);
	} else {
		char *pct = strchr(host, '%');

		if (pct != NULL) {
			*pct = '\0';
			a.u.in6.sin6_scope_id = if_nametoindex(pct + 1);
			if (a.u.in6.sin6_scope_id == 0) {
				return -EINVAL;
			}
		}
		if (inet_pton(AF_INET6, host, &a.u.in6.sin6_addr) != 1) {
			return -EINVAL;
		}
		a.u.in6.sin6_family = AF_INET6;
		a.u.in6.sin6_port = htons(p);
		a.len = sizeof(a.u.in6);
	}
	*ret = a;
	return 0;
}

const char *nj_sockaddr_format(const struct nj_sockaddr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (a->u.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->u.in.sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a->u.in.sin_port));
	} else if (a->u.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->u.in6.sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a->u.in6.sin6_port));
	} else {
		snprintf(buf, len, "(none)");
	}
	return buf;
}

/* The opaque core address: family, port and address bytes, nothing else, so
 * that equal peers compare equal whatever padding the kernel left. */
void nj_sockaddr_to_addr(const struct nj_sockaddr *a, struct nj_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (a->u.sa.sa_family == AF_INET) {
		ret->bytes[0] = 4;
		memcpy(ret->bytes + 1, &a->u.in.sin_port, 2);
		memcpy(ret->bytes + 3, &a->u.in.sin_addr, 4);
		ret->len = 7;
	} else if (a->u.sa.sa_family == AF_INET6) {
		ret->bytes[0] = 6;
		memcpy(ret->bytes + 1, &a->u.in6.sin6_port, 2);
		memcpy(ret->bytes + 3, &a->u.in6.sin6_addr, 16);
		memcpy(ret->bytes + 19, &a->u.in6.sin6_scope_id, 4);
		ret->len = 23;
	}
}

int nj_sockaddr_from_addr(const struct nj_addr *a, struct nj_sockaddr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (a->len == 7 && a->bytes[0] == 4) {
		ret->u.in.sin_family = AF_INET;
		memcpy(&ret->u.in.sin_port, a->bytes + 1, 2);
		memcpy(&ret->u.in.sin_addr, a->bytes + 3, 4);
		ret->len = sizeof(ret->u.in);
		return 0;
	}
	if (a->len == 23 && a->bytes[0] == 6) {
		ret->u.in6.sin6_family = AF_INET6;
		memcpy(&ret->u.in6.sin6_port, a->bytes + 1, 2);
		memcpy(&ret->u.in6.sin6_addr, a->bytes + 3, 16);
		memcpy(&ret->u.in6.sin6_scope_id, a->bytes + 19, 4);
		ret->len = sizeof(ret->u.in6);
		return 0;
	}
	return -EINVAL;
}

bool nj_sockaddr_is_multicast(const struct nj_sockaddr *a)
{
	if (a->u.sa.sa_family == AF_INET) {
		return IN_MULTICAST(ntohl(a->u.in.sin_addr.s_addr));
	}
	if (a->u.sa.sa_family == AF_INET6) {
		return IN6_IS_ADDR_MULTICAST(&a->u.in6.sin6_addr);
	}
	return false;
}

bool nj_sockaddr_same_host(const struct nj_sockaddr *a, const struct nj_sockaddr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family) {
		return false;
	}
	if (a->u.sa.sa_family == AF_INET) {
		return a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	}
	return a->u.sa.sa_family == AF_INET6 &&
	       IN6_ARE_ADDR_EQUAL(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr);
}

void nj_udp_opts_init(struct nj_udp_opts *o, int family)
{
	memset(o, 0, sizeof(*o));
	o->family = family;
	o->reuse_addr = true;
	o->dscp = 46;
}

static int setopt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

/* Join (@add) or leave @group on @ifindex (0: the kernel's choice). */
static int membership(int fd, const struct nj_sockaddr *group, unsigned ifindex, bool add)
{
	if (group->u.sa.sa_family == AF_INET) {
		struct ip_mreqn mr;

		memset(&mr, 0, sizeof(mr));
		mr.imr_multiaddr = group->u.in.sin_addr;
		mr.imr_ifindex = (int)ifindex;
		return setsockopt(fd, IPPROTO_IP, add ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mr,
				  sizeof(mr)) < 0
			       ? -errno
			       : 0;
	} else {
		struct ipv6_mreq mr;

		memset(&mr, 0, sizeof(mr));
		mr.ipv6mr_multiaddr = group->u.in6.sin6_addr;
		mr.ipv6mr_interface = ifindex;
		return setsockopt(fd, IPPROTO_IPV6, add ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &mr,
				  sizeof(mr)) < 0
			       ? -errno
			       : 0;
	}
}

int nj_udp_multicast_if(int fd, int family, const char *ifname)
{
	unsigned ifindex;
	int r;

	if (ifname == NULL || ifname[0] == '\0') {
		return 0;
	}
	ifindex = if_nametoindex(ifname);
	if (ifindex == 0) {
		return -ENODEV;
	}
	r = family == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF,
					   &(struct ip_mreqn){.imr_ifindex = (int)ifindex},
					   sizeof(struct ip_mreqn))
			      : setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &(int){(int)ifindex},
					   sizeof(int));
	return r < 0 ? -errno : (int)ifindex;
}

int nj_udp_join(int fd, const struct nj_sockaddr *group, const char *ifname, bool again)
{
	unsigned ifindex;
	int r;

	if (group == NULL || !nj_sockaddr_is_multicast(group)) {
		return -EINVAL;
	}
	/* a recreated interface has another index: send from it too */
	r = nj_udp_multicast_if(fd, group->u.sa.sa_family, ifname);
	if (r < 0) {
		return r;
	}
	ifindex = (unsigned)r;
	/* Join first, never leave first: a membership the kernel kept (a link
	 * down and up) would be lost if joining then failed (no route yet). */
	r = membership(fd, group, ifindex, true);
	if (again && r == -EADDRINUSE) {
		/* The socket says it is a member, but the interface may have
		 * gone and come back under the same index, its membership
		 * forgotten: leave and join anew (the route is there: the
		 * lookup just found it). */
		membership(fd, group, ifindex, false);
		r = membership(fd, group, ifindex, true);
		return r < 0 ? r : 1;
	}
	return r;
}

/* Multicast behaviour of the socket: interface, loop and TTL. */
static int multicast_opts(int fd, const struct nj_udp_opts *o, unsigned ifindex)
{
	int r;

	if (o->family == AF_INET) {
		r = setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, o->mcast_loop);
		if (r == 0 && o->mcast_ttl > 0) {
			r = setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, o->mcast_ttl);
		}
		if (r == 0 && ifindex != 0) {
			struct ip_mreqn mr;

			memset(&mr, 0, sizeof(mr));
			mr.imr_ifindex = (int)ifindex;
			r = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0 ? -errno
											     : 0;
		}
		return r;
	}
	r = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, o->mcast_loop);
	if (r == 0 && o->mcast_ttl > 0) {
		r = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, o->mcast_ttl);
	}
	if (r == 0 && ifindex != 0) {
		r = setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)ifindex);
	}
	return r;
}

int nj_udp_open(const struct nj_udp_opts *o)
{
	unsigned ifindex = 0;
	int fd, r = 0;

	if (o == NULL || (o->family != AF_INET && o->family != AF_INET6)) {
		return -EINVAL;
	}
	if (o->ifname != NULL && o->ifname[0] != '\0') {
		ifindex = if_nametoindex(o->ifname);
		if (ifindex == 0) {
			return -ENODEV;
		}
	}
	fd = socket(o->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		return -errno;
	}
	if (o->reuse_addr) {
		r = setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	}
	if (r == 0 && o->family == AF_INET6) {
		r = setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	}
	if (r == 0 && o->dscp >= 0) {
		/* DSCP in the upper six bits; ECN bits left 0 (jack2: TOS 0xB8). */
		r = o->family == AF_INET ? setopt(fd, IPPROTO_IP, IP_TOS, o->dscp << 2)
					 : setopt(fd, IPPROTO_IPV6, IPV6_TCLASS, o->dscp << 2);
	}
	if (r == 0) {
		r = multicast_opts(fd, o, ifindex);
	}
	if (r == 0 && o->timestamps) {
		r = setopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	}
	if (r == 0 && (o->sndbuf > 0 || o->rcvbuf > 0)) {
		r = nj_udp_set_buffers(fd, o->sndbuf, o->rcvbuf);
	}
	if (r == 0 && o->bind != NULL && bind(fd, &o->bind->u.sa, o->bind->len) < 0) {
		r = -errno;
	}
	if (r == 0 && o->join != NULL) {
		if (o->join->u.sa.sa_family != o->family || !nj_sockaddr_is_multicast(o->join)) {
			r = -EINVAL;
		} else {
			r = membership(fd, o->join, ifindex, true);
		}
	}
	if (r == 0 && o->connect != NULL) {
		r = nj_udp_connect(fd, o->connect);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int nj_udp_connect(int fd, const struct nj_sockaddr *peer)
{
	return connect(fd, &peer->u.sa, peer->len) < 0 ? -errno : 0;
}

int nj_udp_local(int fd, struct nj_sockaddr *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->len = sizeof(ret->u.ss);
	return getsockname(fd, &ret->u.sa, &ret->len) < 0 ? -errno : 0;
}

int nj_udp_set_buffers(int fd, int sndbuf, int rcvbuf)
{
	int r = 0;

	if (sndbuf > 0) {
		r = setopt(fd, SOL_SOCKET, SO_SNDBUF, sndbuf);
	}
	if (r == 0 && rcvbuf > 0) {
		r = setopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf);
	}
	return r;
}

/* Datagram @i of a send: from @msgs or from @dgs. */
static inline void datagram_at(const struct nj_udp_msg *msgs, const struct nj_datagram *dgs,
			       unsigned i, struct iovec *ret)
{
	if (msgs != NULL) {
		ret->iov_base = msgs[i].buf;
		ret->iov_len = msgs[i].len;
	} else {
		ret->iov_base = (void *)dgs[i].data;
		ret->iov_len = dgs[i].len;
	}
}

/*
 * How many datagrams from @iov[0] go in one UDP GSO send: a run of equal
 * lengths (the last may be shorter), at most NJ_UDP_GSO_SEGS and
 * NJ_UDP_GSO_BYTES, none longer than @seg_max. 1: send it alone.
 */
static unsigned gso_run(const struct iovec *iov, unsigned n, size_t seg_max)
{
	size_t seg = iov[0].iov_len, total = seg;
	unsigned k = 1;

	if (seg == 0 || seg > seg_max) {
		return 1;
	}
	while (k < n && k < NJ_UDP_GSO_SEGS && iov[k].iov_len <= seg && iov[k].iov_len > 0 &&
	       total + iov[k].iov_len <= NJ_UDP_GSO_BYTES) {
		total += iov[k].iov_len;
		if (iov[k++].iov_len < seg) {
			break; /* a shorter one ends the run */
		}
	}
	return k;
}

/*
 * The datagrams come from @msgs or from @dgs. With @g (and GSO not given up
 * on), each run of equal-length datagrams is one message carrying a
 * UDP_SEGMENT size: the kernel cuts it into the same datagrams, on the wire
 * nothing differs, but the stack is crossed once per run.
 */
static int send_batches(int fd, const struct nj_udp_msg *msgs, const struct nj_datagram *dgs,
			unsigned n, const struct nj_sockaddr *to, struct nj_udp_gso *g)
{
	struct mmsghdr mh[NJ_UDP_BATCH];
	struct iovec iov[NJ_UDP_BATCH];
	unsigned first[NJ_UDP_BATCH + 1];
	_Alignas(struct cmsghdr) char ctl[NJ_UDP_BATCH][CMSG_SPACE(sizeof(uint16_t))];
	unsigned done = 0;

	if (g != NULL) {
		g->last_sends = 0;
	}
	while (done < n) {
		unsigned chunk = n - done < NJ_UDP_BATCH ? n - done : NJ_UDP_BATCH, m = 0;
		bool gso = g != NULL && g->seg_max > 0;
		int r;

		for (unsigned i = 0; i < chunk; i++) {
			datagram_at(msgs, dgs, done + i, &iov[i]);
		}
		for (unsigned i = 0; i < chunk; m++) {
			unsigned k = gso ? gso_run(&iov[i], chunk - i, g->seg_max) : 1;

			memset(&mh[m], 0, sizeof(mh[m]));
			first[m] = i;
			mh[m].msg_hdr.msg_iov = &iov[i];
			mh[m].msg_hdr.msg_iovlen = k;
			if (to != NULL) {
				mh[m].msg_hdr.msg_name = (void *)&to->u.sa;
				mh[m].msg_hdr.msg_namelen = to->len;
			}
			if (k > 1) {
				struct cmsghdr *c;
				uint16_t seg = (uint16_t)iov[i].iov_len;

				mh[m].msg_hdr.msg_control = ctl[m];
				mh[m].msg_hdr.msg_controllen = sizeof(ctl[m]);
				c = CMSG_FIRSTHDR(&mh[m].msg_hdr);
				c->cmsg_level = SOL_UDP;
				c->cmsg_type = UDP_SEGMENT;
				c->cmsg_len = CMSG_LEN(sizeof(seg));
				memcpy(CMSG_DATA(c), &seg, sizeof(seg));
			}
			i += k;
		}
		first[m] = chunk;
		r = sendmmsg(fd, mh, m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR) {
				continue;
			}
			if (mh[0].msg_hdr.msg_iovlen > 1 && g != NULL) {
				/*
				 * The kernel refused the segmentation itself: a
				 * segment over the route's MTU (EMSGSIZE, or
				 * EINVAL) is not tried at that length again
				 * (the datagrams go one by one, fragmented by
				 * the kernel as before); no offload for
				 * this socket at all (EIO: no checksum offload,
				 * ENOPROTOOPT: an old kernel) ends GSO for it.
				 */
				if (errno == EMSGSIZE || errno == EINVAL) {
					g->seg_max = iov[0].iov_len - 1;
					continue;
				}
				if (errno == EIO || errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
					g->seg_max = 0;
					continue;
				}
			}
			/* A full buffer after some were sent is a partial count. */
			return done > 0 && (errno == EAGAIN || errno == ENOBUFS) ? (int)done : -errno;
		}
		for (int i = 0; g != NULL && i < r; i++) {
			g->last_sends += mh[i].msg_hdr.msg_iovlen > 1;
		}
		done += first[r];
		if ((unsigned)r < m && mh[r].msg_hdr.msg_iovlen == 1) {
			break; /* the socket buffer is full */
		}
		/* a GSO send that failed after others: the next call tells why */
	}
	return (int)done;
}

int nj_udp_sendv(int fd, const struct nj_udp_msg *msgs, unsigned n, const struct nj_sockaddr *to)
{
	return send_batches(fd, msgs, NULL, n, to, NULL);
}

int nj_udp_send_datagrams(int fd, const struct nj_datagram *list, unsigned n,
			  const struct nj_sockaddr *to)
{
	return send_batches(fd, NULL, list, n, to, NULL);
}

int nj_udp_send_gso(int fd, const struct nj_datagram *list, unsigned n,
		    const struct nj_sockaddr *to, struct nj_udp_gso *g)
{
	return send_batches(fd, NULL, list, n, to, g);
}

int nj_udp_send(int fd, const void *buf, size_t len, const struct nj_sockaddr *to)
{
	ssize_t r;

	do {
		r = sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, to ? &to->u.sa : NULL,
			   to ? to->len : 0);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : (int)r;
}

int nj_udp_recvv(int fd, struct nj_udp_msg *msgs, unsigned n)
{
	struct mmsghdr mh[NJ_UDP_BATCH];
	struct iovec iov[NJ_UDP_BATCH];
	/* control space for a timestamp and a GRO length each, aligned for struct cmsghdr */
	_Alignas(size_t) char ctl[NJ_UDP_BATCH][CMSG_SPACE(sizeof(struct timespec)) +
						 CMSG_SPACE(sizeof(int))];
	int r;

	if (n > NJ_UDP_BATCH) {
		n = NJ_UDP_BATCH;
	}
	memset(mh, 0, sizeof(mh[0]) * n);
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = msgs[i].buf;
		iov[i].iov_len = msgs[i].cap;
		mh[i].msg_hdr.msg_iov = &iov[i];
		mh[i].msg_hdr.msg_iovlen = 1;
		mh[i].msg_hdr.msg_name = &msgs[i].from.u.ss;
		mh[i].msg_hdr.msg_namelen = sizeof(msgs[i].from.u.ss);
		mh[i].msg_hdr.msg_control = ctl[i];
		mh[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
	}
	do {
		r = recvmmsg(fd, mh, n, MSG_DONTWAIT, NULL);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	}
	for (int i = 0; i < r; i++) {
		msgs[i].len = mh[i].msg_len < msgs[i].cap ? mh[i].msg_len : msgs[i].cap;
		msgs[i].truncated = (mh[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
		msgs[i].from.len = mh[i].msg_hdr.msg_namelen;
		msgs[i].rx_ns = 0;
		msgs[i].seg = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh[i].msg_hdr); c != NULL;
		     c = CMSG_NXTHDR(&mh[i].msg_hdr, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
			    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				msgs[i].rx_ns = (uint64_t)ts.tv_sec * 1000000000ull +
						(uint64_t)ts.tv_nsec;
			} else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
				   c->cmsg_len >= CMSG_LEN(sizeof(int))) {
				int seg;

				memcpy(&seg, CMSG_DATA(c), sizeof(seg));
				msgs[i].seg = seg > 0 && (size_t)seg < msgs[i].len ? (size_t)seg : 0;
			}
		}
	}
	return r;
}

int nj_udp_gro(int fd)
{
	return setopt(fd, SOL_UDP, UDP_GRO, 1);
}

int nj_udp_attach_filter(int fd, const struct nj_bpf_insn *prog, unsigned n)
{
	_Static_assert(sizeof(struct nj_bpf_insn) == sizeof(struct sock_filter),
		       "nj_bpf_insn is struct sock_filter");
	struct sock_fprog fp = {.len = (unsigned short)n, .filter = (struct sock_filter *)prog};

	if (prog == NULL || n == 0 || n > BPF_MAXINSNS) {
		return -EINVAL;
	}
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0 ? -errno : 0;
}

int nj_udp_drops(int fd, uint64_t *ret)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0) {
		return -errno;
	}
	if (len <= SK_MEMINFO_DROPS * sizeof(mem[0])) {
		return -ENOTSUP;
	}
	*ret = mem[SK_MEMINFO_DROPS];
	return 0;
}

int nj_udp_wait(int fd, uint64_t timeout_us)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct timespec ts = {
		.tv_sec = (time_t)(timeout_us / 1000000),
		.tv_nsec = (long)(timeout_us % 1000000) * 1000,
	};
	int r;

	r = ppoll(&p, 1, &ts, NULL);
	if (r < 0) {
		return errno == EINTR ? 0 : -errno;
	}
	return r > 0 ? 1 : 0;
}
