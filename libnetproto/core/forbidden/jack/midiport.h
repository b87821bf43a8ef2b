#error "libnetproto core is pure: <jack/midiport.h> (sockets, clocks, threads, JACK, avahi, systemd, I/O) is not allowed here"
