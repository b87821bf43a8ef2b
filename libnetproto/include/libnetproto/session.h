/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * session.h - netJACK2 session state machines, master side and slave side.
 *
 * State machines decide, owners act: these objects hold no socket, timer,
 * thread or JACK handle. Inputs are received datagrams (with an opaque source
 * address) and the time; outputs are datagrams to send and events, both
 * through callbacks given at creation. next_deadline() says when to call
 * timeout() again. Time is uint64_t microseconds on any monotonic clock.
 * After creation nothing allocates, so a slave may drive its machine from its
 * real-time network thread. Nothing logs: events carry what the owner logs.
 */
#ifndef LIBNETPROTO_SESSION_H
#define LIBNETPROTO_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libnetproto/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------- authentication */

/*
 * Pre-shared-key authentication between netjack peers (NJ2_EXT_AUTH). The
 * machines run the handshake: the slave's SLAVE_AVAILABLE carries its nonce,
 * the master's SLAVE_SETUP its own nonce and a tag, the slave's START_MASTER
 * a tag; a KILL_MASTER of an authenticated session is tagged by its sender.
 * Each tag covers the whole packet (both nonces included) with the tag slots
 * zeroed. The owner supplies randomness and the keyed function (auth.h); the
 * core stays free of crypto. jack2 peers never see any of it.
 */
enum nj2_auth_role {
	NJ2_AUTH_BY_MASTER = 'M',
	NJ2_AUTH_BY_SLAVE = 'S',
};

struct nj2_auth {
	void *userdata;
	/* NJ2_AUTH_NONCE fresh random bytes */
	void (*nonce)(void *userdata, uint8_t *out);
	/* the NJ2_AUTH_TAG-byte tag of NJ2_PARAMS_SIZE bytes @view sent by @role */
	void (*tag)(void *userdata, enum nj2_auth_role role, const uint8_t *view, uint8_t *out);
	bool encrypt; /* slave: ask for NJ2_EXT_ENCRYPT; master: impose it */
	bool require; /* slave: refuse a master that does not authenticate (-EPERM) */
};

/** nj2_auth_sign - tag the encoded params packet @pkt as @role (into that role's slot). */
void nj2_auth_sign(const struct nj2_auth *a, enum nj2_auth_role role, uint8_t *pkt);

/** nj2_auth_verify - does @pkt carry @role's right tag? (constant time) */
bool nj2_auth_verify(const struct nj2_auth *a, enum nj2_auth_role role, const uint8_t *pkt);

/* ------------------------------------------------------------------ master */

/** What the master's owner knows about its JACK server, and its limits. */
struct nj2_master_config {
	char hostname[NJ2_NETNAME_LEN + 1];
	uint32_t sample_rate;
	uint32_t period;
	/* physical port counts used to resolve -1 (capture = send direction) */
	int phys_audio_capture, phys_audio_playback;
	int phys_midi_capture, phys_midi_playback;
	/* limits */
	unsigned max_slaves;       /* sessions at once, handshaking ones included; when
				      all are taken, the oldest handshaking one gives way */
	unsigned max_channels;     /* per direction, audio and MIDI each */
	unsigned mtu_min, mtu_max; /* accepted slave MTUs */
	uint64_t setup_retry_us;   /* SLAVE_SETUP resend interval (default 1 s) */
	unsigned setup_tries;      /* SLAVE_SETUP sends before giving up (default 5) */
	uint64_t timeout_us;       /* running session: silence before it ends (default 2 s) */
	uint32_t ext_flags;        /* extensions we offer to netjack slaves */
	/* Opus feasibility: returns true if this (rate, period, kbps, ext) can run. */
	bool (*opus_ok)(uint32_t rate, uint32_t period, uint32_t kbps, bool ext_any_period);
	const struct nj2_auth *auth; /* a key: authenticate slaves that offer it (NULL: none) */
	unsigned redundancy;       /* copies of each packet netjack slaves get at least (0, 1: once) */
};

/** Set defaults: limits 32 slaves / 256 channels / MTU 256..9000, 1 s x 5, 2 s. */
void nj2_master_config_init(struct nj2_master_config *c);

enum nj2_master_state {
	NJ2_MSESSION_FREE = 0,
	NJ2_MSESSION_SETUP,   /* SLAVE_SETUP sent, waiting for START_MASTER */
	NJ2_MSESSION_RUNNING, /* START_MASTER received */
};

enum nj2_end_reason {
	NJ2_END_TIMEOUT,      /* silent slave (running) */
	NJ2_END_NO_START,     /* SLAVE_SETUP never answered */
	NJ2_END_RESTART,      /* the same slave announced itself again */
	NJ2_END_KILLED,       /* KILL_MASTER from the peer */
	NJ2_END_LOCAL,        /* the owner ended it (kick, shutdown, JACK gone) */
};

enum nj2_refuse_reason {
	NJ2_REFUSE_FULL,       /* max_slaves reached */
	NJ2_REFUSE_CHANNELS,   /* a channel count over max_channels */
	NJ2_REFUSE_MTU,        /* MTU outside mtu_min..mtu_max */
	NJ2_REFUSE_ENCODER,    /* encoder/period not supported (CELT, Opus not feasible) */
	NJ2_REFUSE_LAYOUT,     /* no packet layout fits (too many channels for the MTU) */
	NJ2_REFUSE_LOCAL,      /* the owner could not set the session up */
	NJ2_REFUSE_AUTH,       /* a START_MASTER failed authentication (counted, ignored) */
	NJ2_REFUSE_POLICY,     /* the owner's admit() said no (who may join) */
};

/** Events from the master machine. @sess is the session slot (0..max_slaves-1). */
struct nj2_master_ops {
	/* Send @buf on session @sess's own socket (connected to its peer). */
	void (*send)(void *userdata, unsigned sess, const uint8_t *buf, size_t len);
	/* Send @buf to the discovery group (KILL_MASTER). */
	void (*send_group)(void *userdata, const uint8_t *buf, size_t len);
	/* A new session: open its socket to @peer. Called before the first send.
	 * A negative errno refuses the slave instead (-ENOSPC: no room here,
	 * NJ2_REFUSE_FULL; anything else NJ2_REFUSE_LOCAL); nothing is sent. */
	int (*session_new)(void *userdata, unsigned sess, const struct nj_addr *peer,
			   const struct nj2_params *setup);
	/* START_MASTER arrived: go real-time with these parameters. A negative
	 * errno ends the session (NJ2_END_LOCAL) once the call has returned. */
	int (*session_started)(void *userdata, unsigned sess, const struct nj2_params *params);
	/* The session ended; the owner closes its socket and JACK client. */
	void (*session_ended)(void *userdata, unsigned sess, enum nj2_end_reason why);
	/* An announcement was refused (log it once). */
	void (*refused)(void *userdata, const struct nj_addr *peer, const struct nj2_params *avail,
			enum nj2_refuse_reason why);
	/* Optional: may this announcement's slave join at all? Asked for every
	 * SLAVE_AVAILABLE before anything else; 0 admits, a negative errno
	 * refuses it (NJ2_REFUSE_POLICY, refused() once per peer): no session,
	 * no SLAVE_SETUP, a session the peer's address has is left alone. */
	int (*admit)(void *userdata, const struct nj_addr *peer, const struct nj2_params *avail);
	/* Optional: a running session's slave (NJ2_EXT_LATENCY) adds @after
	 * frames behind our send ports and @before ahead of our receive ports
	 * (its clock bridge): what our ports tell JACK grows by as much. */
	void (*latency)(void *userdata, unsigned sess, uint32_t after, uint32_t before);
};

struct nj2_master;

/** Stats of the discovery side. */
struct nj2_master_stats {
	uint64_t announcements; /* valid SLAVE_AVAILABLE */
	uint64_t refused;
	uint64_t malformed;     /* failed decode on the discovery or a handshake socket */
	uint64_t wrong_version;
	uint64_t ignored;       /* valid but not for us (other IDs, foreign KILL_MASTER) */
	uint64_t sessions;      /* sessions started */
	uint64_t auth_failed;   /* handshake or KILL_MASTER packets with a wrong tag */
	uint64_t latency_reports; /* NJ2_LATENCY_REPORTs taken */
};

int nj2_master_new(const struct nj2_master_config *cfg, const struct nj2_master_ops *ops,
		  void *userdata, struct nj2_master **ret);
void nj2_master_free(struct nj2_master *m);

/** Update the server's rate/period (after a JACK change; new sessions only). */
void nj2_master_set_format(struct nj2_master *m, uint32_t rate, uint32_t period);

/**
 * nj2_master_rx_discovery - a datagram on the discovery socket from @from.
 * SLAVE_AVAILABLE: accept (new session, SLAVE_SETUP) or refuse; from an
 * address that already has a session: that slave restarted, the old session
 * ends (NJ2_END_RESTART) and a fresh one begins. KILL_MASTER: ends the session
 * with that peer address, name and ID only. Returns 0 or a negative errno for
 * a malformed packet (counted).
 */
int nj2_master_rx_discovery(struct nj2_master *m, const uint8_t *buf, size_t len,
			   const struct nj_addr *from, uint64_t now);

/**
 * nj2_master_rx_session - a params datagram on session @sess's socket
 * (START_MASTER while in SETUP). Data packets go to the owner's cycle code;
 * it reports them with nj2_master_alive(). Returns 0 or a negative errno.
 */
int nj2_master_rx_session(struct nj2_master *m, unsigned sess, const uint8_t *buf, size_t len,
			 uint64_t now);

/** nj2_master_alive - the owner saw data from @sess at @now. */
void nj2_master_alive(struct nj2_master *m, unsigned sess, uint64_t now);

/** nj2_master_end - end @sess locally; sends KILL_MASTER to the group if it ran. */
void nj2_master_end(struct nj2_master *m, unsigned sess);

/** nj2_master_timeout - run timers due at @now (resends, give-ups, silence). */
void nj2_master_timeout(struct nj2_master *m, uint64_t now);

/** nj2_master_next_deadline - when timeout() is next due, or NJ_TIME_NEVER. */
uint64_t nj2_master_next_deadline(const struct nj2_master *m);

enum nj2_master_state nj2_master_session_state(const struct nj2_master *m, unsigned sess);
const struct nj2_params *nj2_master_session_params(const struct nj2_master *m, unsigned sess);
/** The session's peer address, or NULL for a free slot. */
const struct nj_addr *nj2_master_session_peer(const struct nj2_master *m, unsigned sess);
unsigned nj2_master_session_count(const struct nj2_master *m);
const struct nj2_master_stats *nj2_master_stats(const struct nj2_master *m);

/* ------------------------------------------------------------------- slave */

struct nj2_slave_config {
	struct nj2_params offer;   /* what we announce: name, hostnames, channels, MTU, ... */
	uint64_t announce_us;     /* SLAVE_AVAILABLE interval (default 1 s) */
	uint64_t timeout_us;      /* running: silence before going back to discovery (2 s) */
	uint32_t ext_flags;       /* extensions we offer */
	uint32_t nonce;           /* random, for the extension offer */
	bool (*opus_ok)(uint32_t rate, uint32_t period, uint32_t kbps, bool ext_any_period);
	const struct nj2_auth *auth; /* a key: offer authentication (NULL: none) */
	unsigned redundancy;      /* copies of each packet we ask for (0, 1: once) */
};

void nj2_slave_config_init(struct nj2_slave_config *c);

enum nj2_slave_state {
	NJ2_SLAVE_IDLE = 0,  /* not started */
	NJ2_SLAVE_DISCOVER,  /* announcing */
	NJ2_SLAVE_STARTING,  /* SLAVE_SETUP adopted, START_MASTER sent, no data yet */
	NJ2_SLAVE_RUNNING,   /* data flowing */
};

enum nj2_slave_lost_reason {
	NJ2_LOST_TIMEOUT,
	NJ2_LOST_KILLED,     /* KILL_MASTER from our master */
	NJ2_LOST_LOCAL,
};

struct nj2_slave_ops {
	/* Send to the discovery destination (group or unicast master). */
	void (*send_discovery)(void *userdata, const uint8_t *buf, size_t len);
	/* Send to our master (after adoption; the owner connected the socket). */
	void (*send_peer)(void *userdata, const uint8_t *buf, size_t len);
	/* SLAVE_SETUP adopted from @master: connect, allocate, go real-time. A
	 * negative errno turns it down (counted as rejected): the machine
	 * announces again at once, with no lost() (nothing had started). */
	int (*adopted)(void *userdata, const struct nj_addr *master, const struct nj2_params *p);
	/* First data from the master. */
	void (*running)(void *userdata);
	/* Session over; the machine is back in DISCOVER. */
	void (*lost)(void *userdata, enum nj2_slave_lost_reason why);
	/* A SLAVE_SETUP we could not use (log it): -EACCES its authentication
	 * failed (a wrong key), -EPERM it has none and auth->require is set. */
	void (*rejected)(void *userdata, const struct nj2_params *setup, int err);
};

struct nj2_slave_stats {
	uint64_t announcements;
	uint64_t setups;
	uint64_t malformed;
	uint64_t foreign;  /* packets from anyone but our master during a session */
	uint64_t rejected; /* unusable SLAVE_SETUPs */
	uint64_t sessions;
	uint64_t auth_failed; /* SLAVE_SETUP or KILL_MASTER packets with a wrong tag */
};

struct nj2_slave;

int nj2_slave_new(const struct nj2_slave_config *cfg, const struct nj2_slave_ops *ops,
		 void *userdata, struct nj2_slave **ret);
void nj2_slave_free(struct nj2_slave *s);

/** nj2_slave_start - begin discovery at @now (sends the first SLAVE_AVAILABLE). */
void nj2_slave_start(struct nj2_slave *s, uint64_t now);

/** nj2_slave_stop - end the session (NJ2_LOST_LOCAL if one ran) and go IDLE. */
void nj2_slave_stop(struct nj2_slave *s);

/**
 * nj2_slave_rx - a params datagram from @from (data packets: report them with
 * nj2_slave_alive()). In DISCOVER: a valid SLAVE_SETUP (ID 1, version 8) is
 * checked and adopted. In STARTING: a repeated SETUP from the master is
 * answered with START_MASTER again. From anyone else during a session: counted
 * as foreign and dropped. KILL_MASTER from our master with our ID ends it.
 * Returns 0 or a negative errno.
 */
int nj2_slave_rx(struct nj2_slave *s, const uint8_t *buf, size_t len, const struct nj_addr *from,
		uint64_t now);

/**
 * nj2_slave_latency_report - encode into @buf (NJ2_PARAMS_SIZE bytes) the
 * NJ2_LATENCY_REPORT that tells our master we add @after frames behind its
 * send ports and @before ahead of its receive ports (its rate), tagged in an
 * authenticated session. Returns NJ2_PARAMS_SIZE, or -EOPNOTSUPP where the
 * master did not grant NJ2_EXT_LATENCY (a jack2 master never does), -EINVAL
 * outside a session.
 */
int nj2_slave_latency_report(const struct nj2_slave *s, uint32_t after, uint32_t before,
			     uint8_t *buf, size_t len);

/** nj2_slave_alive - data from our master arrived at @now. */
void nj2_slave_alive(struct nj2_slave *s, uint64_t now);

void nj2_slave_timeout(struct nj2_slave *s, uint64_t now);
uint64_t nj2_slave_next_deadline(const struct nj2_slave *s);
enum nj2_slave_state nj2_slave_state(const struct nj2_slave *s);
/** The adopted parameters (valid in STARTING and RUNNING). */
const struct nj2_params *nj2_slave_params(const struct nj2_slave *s);
const struct nj_addr *nj2_slave_master(const struct nj2_slave *s);
const struct nj2_slave_stats *nj2_slave_stats(const struct nj2_slave *s);

#ifdef __cplusplus
}
#endif

#endif
