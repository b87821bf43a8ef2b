#error "libnetproto core is pure: <syslog.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
