#error "libnetproto core is pure: <jack/types.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
