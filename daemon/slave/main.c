/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netjack-slave - join a netJACK2 master (jack2's netmanager, netjack-master)
 * and bridge it into this host's own JACK server across the two clocks.
 *
 * main() is a short script: options, config, create, run, destroy.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include <libnetproto/jacktrip.h>
#include <libnetproto/netone.h>

#include "../common/daemon.h"
#include "../common/keyfile.h"
#include "../common/log.h"
#include "../common/options.h"
#include "../bridge/bridge.h"
#include "join-jt.h"
#include "join-n1.h"
#include "join-nj2.h"
#include "slave.h"

#define OFF(f) offsetof(struct slave_config, f)
#define STR(f) NJ_OPT_STRING, OFF(f), sizeof(((struct slave_config *)0)->f)

static const char *const encoders[] = {"float", "int16", "opus", NULL};
static const char *const resamplers[] = {"none", "fastest", "medium", "best", NULL};

static const char *const offload_words[] = {"auto", "off", NULL};
static const char *const discovery_words[] = {"both", "multicast", "dnssd", NULL};
static const char *const protocols[] = {"netjack2", "jacktrip", "jacktrip-p2p", "netone", NULL};

static const struct nj_opt slave_opts[] = {
	{"protocol", 0, NJ_OPT_ENUM, OFF(protocol), 0, 0, 0, protocols, "PROTO",
	 "the master's protocol: netjack2 (jack2's netmanager, netjack-master), jacktrip (a "
	 "JackTrip hub server, jacktrip -S or netjack-master --jacktrip), jacktrip-p2p "
	 "(jacktrip -s; JackTrip needs --master) or netone (wait on --port for jack_netsource "
	 "or netjack-master --netone)"},
	{"auto", 0, NJ_OPT_FLAG, OFF(auto_discover), 0, 0, 0, NULL, NULL,
	 "find a master: DNS-SD first, then netJACK2 multicast (the default without --master)"},
	{"discovery", 'D', NJ_OPT_ENUM, OFF(discovery), 0, 0, 0, discovery_words, "METHOD",
	 "--auto: DNS-SD, then multicast after 2 s without a master (both); or one of them"},
	{"master-name", 0, STR(master_name), 0, 0, NULL, "NAME",
	 "--auto: join the DNS-SD master of this name (default: the only one, else the one "
	 "with the fewest slaves, then by name)"},
	{"control", 0, STR(control), 0, 0, NULL, "PATH",
	 "control socket for netjack-ctl (default: $RUNTIME_DIRECTORY/slave.sock, else "
	 "/run/netjack/slave.sock as root, else $XDG_RUNTIME_DIR/netjack/slave.sock; "
	 "\"none\": no socket)"},
	{"master", 0, STR(master), 0, 0, NULL, "HOST[:PORT]",
	 "talk to this master by unicast (numeric IPv4 or IPv6, [V6]:PORT)"},
	{"multicast-ip", 'a', STR(multicast_ip), 0, 0, NULL, "ADDR",
	 "discovery group for --auto, IPv4 or IPv6"},
	{"port", 'p', NJ_OPT_INT, OFF(port), 0, 1, 65535, NULL, "PORT",
	 "the master's port (default: 19000 UDP for netjack2, 4464 for JackTrip: TCP for a hub, "
	 "UDP for P2P); for netone the UDP port we listen on (3000)"},
	{"interface", 'I', STR(interface), 0, 0, NULL, "IFNAME",
	 "send discovery on this interface (default: the kernel's choice)"},
	{"name", 0, STR(name), 0, 0, NULL, "NAME",
	 "the name announced to the master (default: the hostname)"},
	{"client-name", 0, STR(client_name), 0, 0, NULL, "NAME", "JACK client name here"},
	{"capture", 'C', NJ_OPT_INT, OFF(capture), 0, -1, NJ_MAX_CHANNELS, NULL, "N",
	 "audio channels from the master (-1: the master's physical inputs)"},
	{"playback", 'P', NJ_OPT_INT, OFF(playback), 0, -1, NJ_MAX_CHANNELS, NULL, "N",
	 "audio channels to the master (-1: the master's physical outputs)"},
	{"midi-capture", 'i', NJ_OPT_INT, OFF(midi_capture), 0, -1, NJ_MAX_CHANNELS, NULL, "N",
	 "MIDI ports from the master (-1: the master's physical MIDI inputs)"},
	{"midi-playback", 'o', NJ_OPT_INT, OFF(midi_playback), 0, -1, NJ_MAX_CHANNELS, NULL, "N",
	 "MIDI ports to the master (-1: the master's physical MIDI outputs)"},
	{"latency", 'l', NJ_OPT_INT, OFF(latency), 0, 0, NJ_MAX_LATENCY, NULL, "CYCLES",
	 "network latency the master applies, in its periods"},
	{"bits", 'b', NJ_OPT_INT, OFF(bits), 0, 8, 32, NULL, "BITS",
	 "JackTrip: sample resolution we send, 8, 16, 24 or 32 (the server answers in its own)"},
	{"redundancy", 0, NJ_OPT_INT, OFF(redundancy), 0, 1, JT_MAX_REDUNDANCY, NULL, "N",
	 "each period sent N times: JackTrip, periods in each datagram (jacktrip -r); "
	 "netJACK2 with a netjack master, every packet N times both ways (at most 4)"},
	{"encoder", 'e', NJ_OPT_ENUM, OFF(encoder), 0, 0, 0, encoders, "ENC", "audio encoding"},
	{"kbps", 'k', NJ_OPT_INT, OFF(kbps), 0, 6, 512, NULL, "KBPS", "Opus bit rate per channel"},
	{"mtu", 'M', NJ_OPT_INT, OFF(mtu), 0, NJ_MTU_MIN, NJ_MTU_MAX, NULL, "BYTES",
	 "largest datagram"},
	{"resampler", 'r', NJ_OPT_ENUM, OFF(resampler), 0, 0, 0, resamplers, "QUALITY",
	 "clock bridge converter; none = bit-exact, for clocks that are locked together"},
	{"jitter-margin", 0, NJ_OPT_DURATION, OFF(margin_us), 0, 0, 50, NULL, "TIME",
	 "clock bridge headroom for arrival jitter"},
	{"jitter-margin-max", 0, NJ_OPT_DURATION, OFF(margin_max_us), 0, 0, 200, NULL, "TIME",
	 "cycles later than the margin raise it up to this (at or below --jitter-margin: fixed)"},
	{"timeout", 't', NJ_OPT_DURATION, OFF(timeout_us), 0, 100, 600000, NULL, "TIME",
	 "a silent master is given up after this long"},
	{"psk-file", 0, STR(psk_file), 0, 0, NULL, "FILE",
	 "authenticate with a netjack master by this pre-shared key (64 hex digits, from "
	 "netjack-ctl genkey; not readable by others)"},
	{"encrypt", 0, NJ_OPT_FLAG, OFF(encrypt), 0, 0, 0, NULL, NULL,
	 "ask for the audio to be encrypted too (needs --psk-file)"},
	{"require-auth", 0, NJ_OPT_FLAG, OFF(require_auth), 0, 0, 0, NULL, NULL,
	 "join only a master that authenticates with our key (never a jack2 one)"},
	{"udp-offload", 0, NJ_OPT_ENUM, OFF(udp_offload), 0, 0, 0, offload_words, "MODE",
	 "auto: each period's equal-size datagrams leave in one UDP GSO send where the kernel "
	 "has it (the same datagrams on the wire, any master); off: one send per datagram"},
};

static int daemon_create(sd_event *e, const void *cfg, void **ret)
{
	struct slave *obj = NULL;
	const struct joiner_ops *ops;
	void *j;
	int r = slave_new(e, cfg, &obj);

	/* the protocol this slave speaks */
	if (r >= 0) {
		const struct slave_config *c = cfg;

		r = c->protocol == SPROTO_NETJACK2 ? nj2_joiner_new(obj, &ops, &j)
		    : c->protocol == SPROTO_NETONE ? n1_joiner_new(obj, &ops, &j)
						   : jt_joiner_new(obj, c->protocol == SPROTO_JACKTRIP_P2P,
								   &ops, &j);
	}
	if (r >= 0) {
		slave_set_joiner(obj, ops, j);
	} else if (obj != NULL) {
		slave_free(obj);
		obj = NULL;
	}

	*ret = obj;
	return r;
}

static void daemon_stop(void *obj)
{
	slave_shutdown(obj, EXIT_SUCCESS);
}

static void daemon_destroy(void *obj)
{
	slave_free(obj);
}

static const struct nj_daemon daemon_ops = {daemon_create, daemon_stop, daemon_destroy};

int main(int argc, char **argv)
{
	struct slave_config cfg;
	struct nj_opt_program prog = {
		.name = "netjack-slave",
		.summary = "Join a netJACK2 master or a JackTrip server and bridge it into this host's JACK server.",
		.default_config = "/etc/netjack/slave.conf",
		.opts = slave_opts,
		.nopts = sizeof(slave_opts) / sizeof(slave_opts[0]),
		.verbose = &cfg.verbose,
	};
	int r;

	slave_config_defaults(&cfg);
	r = nj_options_parse(&prog, &cfg, argc, argv);
	if (r != 0) {
		return r > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	if (cfg.master_name[0] && cfg.master[0]) {
		fprintf(stderr, "netjack-slave: --master-name is for --auto, not --master\n");
		return EXIT_FAILURE;
	}
	if (cfg.auto_discover && cfg.master[0]) {
		fprintf(stderr, "netjack-slave: --auto and --master exclude each other\n");
		return EXIT_FAILURE;
	}
	if (cfg.bits != 8 && cfg.bits != 16 && cfg.bits != 24 && cfg.bits != 32) {
		fprintf(stderr, "netjack-slave: --bits: %d is not 8, 16, 24 or 32\n", cfg.bits);
		return EXIT_FAILURE;
	}
	if ((cfg.protocol == SPROTO_JACKTRIP || cfg.protocol == SPROTO_JACKTRIP_P2P) &&
	    !cfg.master[0]) {
		fprintf(stderr, "netjack-slave: --protocol %s needs --master HOST[:PORT]\n",
			protocols[cfg.protocol]);
		return EXIT_FAILURE;
	}
	if (cfg.port == 0) {
		cfg.port = cfg.protocol == SPROTO_NETJACK2 ? NJ2_DEFAULT_PORT
			   : cfg.protocol == SPROTO_NETONE  ? NJ1_DEFAULT_PORT
							    : JT_DEFAULT_PORT;
	}
	if (!cfg.master[0]) {
		cfg.auto_discover = true;
	}
	if ((cfg.psk_file[0] || cfg.require_auth) && cfg.protocol != SPROTO_NETJACK2) {
		fprintf(stderr, "netjack-slave: --%s: only netJACK2 between netjack peers "
				"authenticates, not --protocol %s\n",
			cfg.require_auth ? "require-auth" : "psk-file", protocols[cfg.protocol]);
		return EXIT_FAILURE;
	}
	if (nj_key_option("netjack-slave", cfg.psk_file, cfg.encrypt, cfg.require_auth, &cfg.psk) <
	    0) {
		return EXIT_FAILURE;
	}
	nj_log_setup("netjack-slave", cfg.verbose);
	nj_key_log(cfg.psk, cfg.encrypt, cfg.require_auth);

	r = nj_daemon_run(&daemon_ops, &cfg);
	nj_psk_free(cfg.psk);
	return r;
}
