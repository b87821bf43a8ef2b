#error "libnetproto core is pure: <sys/un.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
