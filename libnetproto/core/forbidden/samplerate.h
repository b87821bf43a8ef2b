#error "libnetproto core is pure: <samplerate.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
