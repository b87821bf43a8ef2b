#error "libnetproto core is pure: <pthread.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
