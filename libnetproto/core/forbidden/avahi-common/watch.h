#error "libnetproto core is pure: <avahi-common/watch.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
