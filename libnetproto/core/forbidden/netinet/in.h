#error "libnetproto core is pure: <netinet/in.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
