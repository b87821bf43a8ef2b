"""nj1pcap.py - read a classic pcap (Ethernet, IPv4) and decode netone headers.

Small on purpose: the captures here are plain UDP on one veth, no IP
fragments (the MTU field keeps every datagram under the link MTU).
"""
import struct

SLAVE_PORT = 3000
FIELDS = ("cap_audio", "play_audio", "cap_midi", "play_midi", "period", "rate",
          "sync", "tframe", "tstate", "framecnt", "latency", "rport", "mtu", "frag")


def packets(path):
    """Yield (t_seconds, src 'ip:port', dst, payload bytes, kind) per packet.

    kind is 'udp' or 'icmp' (payload then the ICMP message)."""
    with open(path, "rb") as f:
        gh = f.read(24)
        magic = struct.unpack("<I", gh[:4])[0]
        if magic == 0xA1B2C3D4:
            end, scale = "<", 1e-6
        elif magic == 0xA1B23C4D:
            end, scale = "<", 1e-9
        else:
            raise ValueError("not a little-endian pcap")
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return
            sec, frac, incl, _orig = struct.unpack(end + "IIII", rh)
            frame = f.read(incl)
            if len(frame) < 34 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            ihl = (ip[0] & 15) * 4
            proto = ip[9]
            src = ".".join(str(b) for b in ip[12:16])
            dst = ".".join(str(b) for b in ip[16:20])
            tot = struct.unpack(">H", ip[2:4])[0]
            body = ip[ihl:tot]
            t = sec + frac * scale
            if proto == 17 and len(body) >= 8:
                sp, dp, ul = struct.unpack(">HHH", body[:6])
                yield t, f"{src}:{sp}", f"{dst}:{dp}", body[8:ul], "udp"
            elif proto == 1:
                yield t, src, dst, body, "icmp"


def header(payload):
    """The 14 BE words of a netone header as a dict, or None if too short."""
    if len(payload) < 56:
        return None
    return dict(zip(FIELDS, struct.unpack(">14I", payload[:56])))


def direction(dst):
    """M>S when sent to the slave's port, else S>M."""
    return "M>S" if dst.endswith(f":{SLAVE_PORT}") else "S>M"
