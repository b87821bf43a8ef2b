#error "libnetproto core is pure: <avahi-client/client.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
