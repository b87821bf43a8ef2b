#error "libnetproto core is pure: <sys/time.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
