#error "libnetproto core is pure: <opus/opus_custom.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
