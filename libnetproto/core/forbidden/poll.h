#error "libnetproto core is pure: <poll.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
