"""spoof.py - send UDP datagrams that look as if another host sent them
(an IPv4 raw socket with our own IP and UDP headers), for the scenarios
that play an attacker on the LAN: garbage.py, inject.py."""
import random, socket, struct


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


class Spoofer:
    """Datagrams from SRC_IP:SRC_PORT to DST_IP:DST_PORT, whoever we are."""

    def __init__(self, src_ip, src_port, dst_ip, dst_port, seed=1):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.src, self.dst = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
        self.sport, self.dport, self.dst_ip = src_port, dst_port, dst_ip
        self.rng = random.Random(seed)

    def send(self, pkt):
        ulen = 8 + len(pkt)
        pseudo = self.src + self.dst + struct.pack("!BBH", 0, 17, ulen)
        udp = struct.pack("!HHHH", self.sport, self.dport, ulen, 0) + pkt
        c = csum(pseudo + udp) or 0xFFFF
        udp = udp[:6] + struct.pack("!H", c) + udp[8:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, self.rng.getrandbits(16), 0, 64,
                         17, 0, self.src, self.dst)
        self.s.sendto(ip + udp, (self.dst_ip, 0))
