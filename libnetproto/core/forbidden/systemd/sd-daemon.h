#error "libnetproto core is pure: <systemd/sd-daemon.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
