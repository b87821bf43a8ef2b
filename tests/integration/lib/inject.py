#!/usr/bin/python3
"""inject.py - play the attacker against an authenticated session.

  inject.py capture --iface IF --from IP --count N --out FILE [--timeout S]
      On the receiving host: record N UDP datagrams IP sends to any port but
      discovery (19000) and mDNS (5353), as the kernel sees them arrive
      (AF_PACKET); one line per datagram: "SRCPORT DSTPORT HEX".
  inject.py attack --to IP --spoof IP --in FILE [--seed N]
      From a third host, with the sender's address (raw socket): every
      captured datagram again as it was (replays), each with one byte changed
      (forgeries of a real packet), and as many netJACK2 data headers with
      random payload and trailer (forgeries from scratch). Prints the counts
      as JSON.
"""
import argparse, json, os, random, socket, struct, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spoof import Spoofer  # noqa: E402


def capture(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((a.iface, 0))
    s.settimeout(0.5)
    want, got, end = socket.inet_aton(getattr(a, "from")), [], time.time() + a.timeout
    while len(got) < a.count and time.time() < end:
        try:
            f = s.recv(65535)
        except socket.timeout:
            continue
        ip = f[14:]
        if len(ip) < 28 or ip[9] != 17 or ip[12:16] != want:
            continue
        ihl = (ip[0] & 15) * 4
        sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
        if dport in (19000, 5353):
            continue
        got.append(f"{sport} {dport} {ip[ihl + 8:ihl + ulen].hex()}")
    with open(a.out, "w") as o:
        o.write("\n".join(got) + "\n")
    print(json.dumps({"captured": len(got)}))
    return 0 if len(got) == a.count else 1


def attack(a):
    rng = random.Random(a.seed)
    caps = []
    for line in open(getattr(a, "in")):
        if line.strip():
            sp, dp, h = line.split()
            caps.append((int(sp), int(dp), bytes.fromhex(h)))
    if not caps:
        sys.exit("inject: nothing captured")
    sp, dp = caps[0][0], caps[0][1]
    sender = Spoofer(a.spoof, sp, a.to, dp, a.seed)
    n = {"replayed": 0, "changed": 0, "made_up": 0}
    # paced (0.5 ms apart), so that the session's receive queue, not the
    # burst, decides each one's fate
    for _, _, pkt in caps:
        sender.send(pkt)
        n["replayed"] += 1
        time.sleep(0.0005)
    for _, _, pkt in caps:
        b = bytearray(pkt)
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
        sender.send(bytes(b))
        n["changed"] += 1
        time.sleep(0.0005)
    for _, _, pkt in caps:
        # a data header of the session (copied), a payload and trailer of noise
        head = pkt[:48]
        body = bytes(rng.getrandbits(8) for _ in range(len(pkt) - 48))
        sender.send(head + body)
        n["made_up"] += 1
        time.sleep(0.0005)
    print(json.dumps(n))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--iface", required=True)
    c.add_argument("--from", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--timeout", type=float, default=10)
    t = sub.add_parser("attack")
    t.add_argument("--to", required=True)
    t.add_argument("--spoof", required=True)
    t.add_argument("--in", required=True)
    t.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    return capture(a) if a.cmd == "capture" else attack(a)


if __name__ == "__main__":
    sys.exit(main())
