#error "libnetproto core is pure: <unistd.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
