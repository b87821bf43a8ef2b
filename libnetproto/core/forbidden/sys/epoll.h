#error "libnetproto core is pure: <sys/epoll.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
