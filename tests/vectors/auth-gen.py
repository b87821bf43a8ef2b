#!/usr/bin/env python3
"""auth-gen.py - the golden vectors of tests/unit/test-auth.c, computed with
Python's hashlib (BLAKE2b) and the cryptography package (ChaCha20-Poly1305),
independently of libsodium and of our code. Prints C initialisers."""
import hashlib
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

psk = bytes(range(32))
ns = bytes(range(0x40, 0x50))
nm = bytes(range(0x80, 0x90))
view = bytes((i * 7 + 3) & 0xFF for i in range(644))
dgram = bytes((i * 3 + 1) & 0xFF for i in range(100))
seq = 5


def b2(data, n):
    return hashlib.blake2b(data, key=psk, digest_size=n).digest()


def c(name, b):
    print(f"static const char {name}[] = \"{b.hex()}\";")


c("gold_id", b2(b"netjack-auth-v1 id" + b"\x00", 8))
c("gold_hs_m", b2(b"netjack-auth-v1 hs" + b"M" + view, 16))
c("gold_hs_s", b2(b"netjack-auth-v1 hs" + b"S" + view, 16))
kms = b2(b"netjack-auth-v1 key" + b"M" + ns + nm, 32)
ksm = b2(b"netjack-auth-v1 key" + b"S" + ns + nm, 32)
c("gold_kms", kms)
c("gold_ksm", ksm)
nonce = bytes(4) + seq.to_bytes(8, "big")
tag = ChaCha20Poly1305(kms).encrypt(nonce, b"", dgram)
c("gold_seal_auth", dgram + seq.to_bytes(8, "big") + tag)
ct = ChaCha20Poly1305(kms).encrypt(nonce, dgram[48:], dgram[:48])
c("gold_seal_enc", dgram[:48] + ct[:-16] + seq.to_bytes(8, "big") + ct[-16:])
