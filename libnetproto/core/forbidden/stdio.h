#error "libnetproto core is pure: <stdio.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
