#error "libnetproto core is pure: <jack/jack.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
