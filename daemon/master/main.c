/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netjack-master - serve netJACK2 slaves, JackTrip hub clients and netone
 * slaves; each one becomes a JACK client of the local server.
 *
 * main() is a short script: options, config, create, run, destroy.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include "../common/daemon.h"
#include "../common/keyfile.h"
#include "../common/log.h"
#include "../common/options.h"
#include "../common/policy.h"
#include "listener-jt.h"
#include "listener-n1.h"
#include "listener-nj2.h"
#include "manager.h"

#define OFF(f) offsetof(struct master_config, f)
#define STR(f) NJ_OPT_STRING, OFF(f), sizeof(((struct master_config *)0)->f)
#define LIST(f) NJ_OPT_LIST, OFF(f), sizeof(((struct master_config *)0)->f)

static const char *const offload_words[] = {"auto", "off", NULL};
static const char *const discovery_words[] = {"both", "multicast", "dnssd", NULL};

static const struct nj_opt master_opts[] = {
	{"name", 'N', STR(name), 0, 0, NULL, "NAME",
	 "this master's DNS-SD instance name (default: the hostname)"},
	{"discovery", 'D', NJ_OPT_ENUM, OFF(discovery), 0, 0, 0, discovery_words, "METHOD",
	 "how slaves find us: netJACK2 multicast, DNS-SD (unicast), or both"},
	{"control", 0, STR(control), 0, 0, NULL, "PATH",
	 "control socket for netjack-ctl (default: $RUNTIME_DIRECTORY/master.sock, else "
	 "/run/netjack/master.sock as root, else $XDG_RUNTIME_DIR/netjack/master.sock; "
	 "\"none\": no socket)"},
	{"multicast-ip", 'a', STR(multicast_ip), 0, 0, NULL, "ADDR",
	 "discovery group, IPv4 or IPv6"},
	{"port", 'p', NJ_OPT_INT, OFF(port), 0, 1, 65535, NULL, "PORT", "discovery UDP port"},
	{"interface", 'I', STR(interface), 0, 0, NULL, "IFNAME",
	 "join the group on this interface (default: the kernel's choice)"},
	{"max-slaves", 'm', NJ_OPT_INT, OFF(max_slaves), 0, 1, 256, NULL, "N",
	 "slaves at once, handshaking ones included"},
	{"max-channels", 0, NJ_OPT_INT, OFF(max_channels), 0, 0, NJ_MAX_CHANNELS, NULL, "N",
	 "audio and MIDI channels per direction a slave may ask for"},
	{"mtu-min", 0, NJ_OPT_INT, OFF(mtu_min), 0, NJ_MTU_MIN, NJ_MTU_MAX, NULL, "BYTES",
	 "smallest slave MTU accepted"},
	{"mtu-max", 0, NJ_OPT_INT, OFF(mtu_max), 0, NJ_MTU_MIN, NJ_MTU_MAX, NULL, "BYTES",
	 "largest slave MTU accepted"},
	{"timeout", 't', NJ_OPT_DURATION, OFF(timeout_us), 0, 100, 600000, NULL, "TIME",
	 "a silent slave is removed after this long"},
	{"setup-retry", 0, NJ_OPT_DURATION, OFF(setup_retry_us), 0, 10, 60000, NULL, "TIME",
	 "SLAVE_SETUP resend interval"},
	{"setup-tries", 0, NJ_OPT_INT, OFF(setup_tries), 0, 1, 100, NULL, "N",
	 "SLAVE_SETUP sends before a slave is given up"},
	{"auto-connect", 'c', NJ_OPT_FLAG, OFF(auto_connect), 0, 0, 0, NULL, NULL,
	 "connect each slave's ports to the physical ports"},
	{"client-name", 'n', STR(client_name), 0, 0, NULL, "NAME",
	 "JACK name of the control client"},
	{"jacktrip", 0, NJ_OPT_ON_INT, OFF(jacktrip), 4464, 1, 65535, NULL, "PORT",
	 "also serve JackTrip hub clients (jacktrip -C) on this TCP port, UDP ports from 61002"},
	{"netone", 0, LIST(netone), 0, 0, NULL, "HOST[:PORT][,KEY=VALUE...]",
	 "also drive this netJACK1 slave (jackd -d netone; port 3000), as jack_netsource does; "
	 "repeatable. Keys: name, send, receive, midi-send, midi-receive, latency, encoder "
	 "(float, int16, int8, opus), kbps, mtu, redundancy"},
	{"psk-file", 0, STR(psk_file), 0, 0, NULL, "FILE",
	 "authenticate netjack slaves with this pre-shared key (64 hex digits, from "
	 "netjack-ctl genkey; not readable by others); jack2, netone and JackTrip peers are "
	 "unaffected"},
	{"redundancy", 0, NJ_OPT_INT, OFF(redundancy), 0, 1, NJ2_MAX_REDUNDANCY, NULL, "N",
	 "send every packet to netjack slaves N times, and have them do the same (a lossy "
	 "link; a slave may ask for more); jack2 peers get each once"},
	{"encrypt", 0, NJ_OPT_FLAG, OFF(encrypt), 0, 0, 0, NULL, NULL,
	 "also encrypt the audio of authenticated sessions (needs --psk-file)"},
	{"netone-dnssd", 0, NJ_OPT_FLAG, OFF(netone_dnssd), 0, 0, 0, NULL, NULL,
	 "also drive every netone slave DNS-SD shows (_netjack1-slave._udp, published by "
	 "netjack-slave --protocol netone), with its encoder and the --netone defaults"},
	{"allow", 0, LIST(allow), 0, 0, NULL, "CIDR",
	 "admit only peers from these addresses (10.0.0.0/8, 198.18.0.2, fd00::/64) or with an "
	 "--allow-name; without either everyone is admitted"},
	{"allow-name", 0, LIST(allow_name), 0, 0, NULL, "NAME",
	 "admit peers with this name (exact): a netJACK2 slave's client or host name, a JackTrip "
	 "client's -K name, a --netone entry's name or host"},
	{"require-auth", 0, NJ_OPT_FLAG, OFF(require_auth), 0, 0, 0, NULL, NULL,
	 "refuse every peer that cannot authenticate (JackTrip and netone peers never can)"},
	{"udp-offload", 0, NJ_OPT_ENUM, OFF(udp_offload), 0, 0, 0, offload_words, "MODE",
	 "auto: each period's equal-size datagrams leave in one UDP GSO send where the kernel "
	 "has it (the same datagrams on the wire, any peer); off: one send per datagram"},
};

static int daemon_create(sd_event *e, const void *cfg, void **ret)
{
	struct manager *obj = NULL;
	const struct listener_ops *ops;
	void *l;
	int r = manager_new(e, cfg, &obj);

	/* the protocols this master speaks */
	if (r >= 0) {
		r = nj2_listener_new(obj, manager_cfg(obj), &ops, &l);
	}
	if (r >= 0) {
		r = manager_add_listener(obj, ops, l);
	}
	if (r >= 0 && manager_cfg(obj)->jacktrip > 0) {
		r = jt_listener_new(obj, manager_cfg(obj), &ops, &l);
		if (r >= 0) {
			r = manager_add_listener(obj, ops, l);
		}
	}
	if (r >= 0 && (manager_cfg(obj)->netone[0] != '\0' || manager_cfg(obj)->netone_dnssd)) {
		r = n1_listener_new(obj, manager_cfg(obj), &ops, &l);
		if (r >= 0) {
			r = manager_add_listener(obj, ops, l);
		}
	}
	if (r < 0 && obj != NULL) {
		manager_free(obj);
		obj = NULL;
	}
	*ret = obj;
	return r;
}

static void daemon_stop(void *obj)
{
	manager_shutdown(obj, EXIT_SUCCESS);
}

static void daemon_destroy(void *obj)
{
	manager_free(obj);
}

static const struct nj_daemon daemon_ops = {daemon_create, daemon_stop, daemon_destroy};

int main(int argc, char **argv)
{
	struct master_config cfg;
	struct nj_policy policy; /* checked here; the manager makes its own */
	char why[160];
	struct nj_opt_program prog = {
		.name = "netjack-master",
		.summary = "Serve netJACK2 and netone slaves and JackTrip clients; each becomes a JACK client here.",
		.default_config = "/etc/netjack/master.conf",
		.opts = master_opts,
		.nopts = sizeof(master_opts) / sizeof(master_opts[0]),
		.verbose = &cfg.verbose,
	};
	int r;

	master_config_defaults(&cfg);
	r = nj_options_parse(&prog, &cfg, argc, argv);
	if (r != 0) {
		return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	if (cfg.mtu_min > cfg.mtu_max) {
		fprintf(stderr, "netjack-master: --mtu-min %d is above --mtu-max %d\n", cfg.mtu_min,
			cfg.mtu_max);
		return EXIT_FAILURE;
	}
	if (nj_policy_init(&policy, cfg.allow, cfg.allow_name, cfg.require_auth, why,
			   sizeof(why)) < 0) {
		fprintf(stderr, "netjack-master: %s\n", why);
		return EXIT_FAILURE;
	}
	if (nj_key_option("netjack-master", cfg.psk_file, cfg.encrypt, cfg.require_auth, &cfg.psk) <
	    0) {
		return EXIT_FAILURE;
	}
	nj_log_setup("netjack-master", cfg.verbose);
	nj_key_log(cfg.psk, cfg.encrypt, cfg.require_auth);

	r = nj_daemon_run(&daemon_ops, &cfg);
	nj_psk_free(cfg.psk);
	return r;
}
