#error "libnetproto core is pure: <threads.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
