#error "libnetproto core is pure: <netdb.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
