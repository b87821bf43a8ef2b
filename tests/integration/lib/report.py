#!/usr/bin/python3
"""report.py - print njaudio.py's round-trip JSON (stdin) for people."""
import json
import sys

r = json.load(sys.stdin)
periods = r["frames"] // r["period"]
for i, c in enumerate(r["channels"]):
    d = c["delay"]
    if d is None:
        print(f"  channel {i + 1}: no bit-exact match found")
        continue
    print(f"  channel {i + 1}: delay {d} frames ({d / r['rate'] * 1000:.1f} ms), "
          f"{c.get('exact_periods', 0)} of {periods} periods bit-exact")
print("  (jack2's round trip is (latency + 1) x period for an async slave; the")
print("   measuring client adds one period: it closes a feedback loop through the link)")
