#error "libnetproto core is pure: <arpa/inet.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
