/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netjack-ctl - ask a running netjack-master or netjack-slave over its control
 * socket: status (a table, or --json), kick NAME. The protocol is in
 * daemon/common/ctl.h and netjack-ctl(1).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcntl.h>

#include <libnetproto/auth.h>

#include "../daemon/common/ctl.h"

/* genkey [FILE]: no daemon involved. */
static int genkey(const char *file)
{
	char key[2 * NJ_PSK_SIZE + 2], id[NJ_PSK_ID_LEN + 1], err[160];
	struct nj_psk *k = NULL;
	size_t n;
	int fd;

	nj_psk_generate(key);
	if (key[0] == '\0') {
		fprintf(stderr, "netjack-ctl: genkey: no randomness (libsodium failed to start)\n");
		return 2;
	}
	n = strlen(key);
	key[n++] = '\n';
	if (file == NULL) {
		return fwrite(key, 1, n, stdout) == n ? 0 : 2;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, key, n) != (ssize_t)n || close(fd) < 0) {
		fprintf(stderr, "netjack-ctl: genkey: %s: %s\n", file, strerror(errno));
		return 2;
	}
	if (nj_psk_load(file, &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "netjack-ctl: genkey: %s: %s\n", file, err);
		return 2;
	}
	nj_psk_id(k, id);
	nj_psk_free(k);
	printf("wrote %s (key id %s): copy it to every netjack peer, mode 0600\n", file, id);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: netjack-ctl [OPTIONS] COMMAND\n"
		"Talk to a running netjack-master (default) or netjack-slave.\n\n"
		"Commands:\n"
		"  status            sessions with their counters\n"
		"  latency [NAME]    where each session's round trip goes: frames and ms, what\n"
		"                    the network, its latency and the bridge add, the margin\n"
		"  kick NAME         end the session with NAME (a slave, or the slave's master)\n"
		"  genkey [FILE]     a new pre-shared key for --psk-file: to FILE (created mode\n"
		"                    0600, never overwritten) with its key id, else to stdout\n\n"
		"Options:\n"
		"  -s, --socket PATH  the control socket (default: the master's)\n"
		"  -S, --slave[=NAME] a slave's socket: slave.sock, or slave-NAME.sock\n"
		"  -j, --json         status and latency as JSON\n"
		"  -t, --timeout SEC  give up after this long (default 5)\n"
		"  -h, --help         this text\n"
		"  -V, --version      the version\n\n"
		"Exit status: 0 done, 1 the daemon refused the request, 2 no daemon or bad usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'}, {"slave", optional_argument, NULL, 'S'},
		{"json", no_argument, NULL, 'j'},         {"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	char path[108] = "", req[600], buf[65536];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	bool json = false, first = true, ok = false;
	int timeout_ms = 5000, c, fd;
	size_t got = 0;
	char *end;

	while ((c = getopt_long(argc, argv, "s:S::jt:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strlen(optarg) >= sizeof(path)) {
				fprintf(stderr, "netjack-ctl: --socket: path too long\n");
				return 2;
			}
			snprintf(path, sizeof(path), "%s", optarg);
			break;
		case 'S': {
			char file[80];

			if (optarg != NULL && (strchr(optarg, '/') || strlen(optarg) > 60)) {
				fprintf(stderr, "netjack-ctl: --slave: \"%s\" is not an instance name\n",
					optarg);
				return 2;
			}
			snprintf(file, sizeof(file), optarg ? "slave-%s.sock" : "slave.sock", optarg);
			nj_ctl_default_path(file, true, path, sizeof(path));
			break;
		}
		case 'j':
			json = true;
			break;
		case 't': {
			double t = strtod(optarg, &end);

			if (*end != '\0' || !(t > 0 && t <= 3600)) {
				fprintf(stderr, "netjack-ctl: --timeout: \"%s\" is not 0-3600 seconds\n",
					optarg);
				return 2;
			}
			timeout_ms = (int)(t * 1000);
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("netjack-ctl %s\n", NETJACK_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "genkey") == 0 && optind + 2 >= argc) {
		return genkey(optind + 1 < argc ? argv[optind + 1] : NULL);
	}
	if (strcmp(argv[optind], "status") == 0 && optind + 1 == argc) {
		snprintf(req, sizeof(req), "status%s\n", json ? " json" : "");
	} else if (strcmp(argv[optind], "latency") == 0 && optind + 2 >= argc &&
		   (optind + 1 == argc ||
		    (strlen(argv[optind + 1]) < 256 && !strchr(argv[optind + 1], '\n')))) {
		snprintf(req, sizeof(req), "latency%s%s%s\n", json ? " json" : "",
			 optind + 1 < argc ? " " : "", optind + 1 < argc ? argv[optind + 1] : "");
	} else if (strcmp(argv[optind], "kick") == 0 && optind + 2 == argc &&
		   strlen(argv[optind + 1]) < 256 && !strchr(argv[optind + 1], '\n')) {
		snprintf(req, sizeof(req), "kick %s\n", argv[optind + 1]);
	} else {
		fprintf(stderr, "netjack-ctl: unknown command or wrong arguments: %s\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (path[0] == '\0') {
		nj_ctl_default_path("master.sock", true, path, sizeof(path));
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "netjack-ctl: cannot connect to %s: %s (is the daemon running? "
				"--socket/--slave pick another one)\n",
			path, strerror(errno));
		return 2;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "netjack-ctl: %s: %s\n", path, strerror(errno));
		return 2;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0) {
			fprintf(stderr, "netjack-ctl: %s: no answer within %d ms\n", path, timeout_ms);
			return 2;
		}
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0) {
			break;
		}
		got += (size_t)n;
		buf[got] = '\0';
		if (first) {
			char *nl = strchr(buf, '\n');

			if (nl == NULL && got < sizeof(buf) - 1) {
				continue;
			}
			first = false;
			ok = strncmp(buf, "ok\n", 3) == 0;
			if (!ok) {
				fprintf(stderr, "netjack-ctl: %s", buf);
				if (nl == NULL) {
					fputc('\n', stderr);
				}
				close(fd);
				return 1;
			}
			fwrite(buf + 3, 1, got - 3, stdout);
		} else {
			fwrite(buf, 1, got, stdout);
		}
		got = 0;
	}
	close(fd);
	if (first) {
		fprintf(stderr, "netjack-ctl: %s closed without an answer (too many clients?)\n", path);
		return 2;
	}
	return ok ? 0 : 1;
}
