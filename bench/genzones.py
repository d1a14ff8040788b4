#!/usr/bin/env python3
"""genzones.py DIR ZONES [RRSETS] - write ZONES small zone files (about RRSETS RRsets each,
default 20) into DIR as zNNNNNN.example.zone; a hosting-shaped repository. Deterministic;
files that already exist are left alone (so growing the set only adds files)."""
import os
import sys


def zone(origin, i, rrsets):
    lines = [f"$ORIGIN {origin}\n$TTL 3600\n",
             f"@ IN SOA ns1.{origin} hostmaster.{origin} 2026120101 7200 3600 1209600 300\n",
             f"@ IN NS ns1.{origin}\n@ IN NS ns2.example.net.\n",
             f"@ IN A 192.0.2.{i % 250 + 1}\n",
             f"@ IN MX 10 mail.{origin}\n",
             '@ IN TXT "v=spf1 mx -all"\n',
             f"ns1 IN A 198.51.100.{i % 250 + 1}\n",
             f"mail IN A 198.51.100.{(i + 7) % 250 + 1}\n",
             "www IN CNAME @\n"]
    n = 8
    k = 0
    while n < rrsets:
        k += 1
        lines.append(f"host{k} 300 IN A 10.{(i >> 8) & 255}.{i & 255}.{k}\n")
        n += 1
        if n < rrsets:
            lines.append(f"host{k} 300 IN AAAA 2001:db8:{i:x}::{k:x}\n")
            n += 1
    return "".join(lines)


def main():
    d, count = sys.argv[1], int(sys.argv[2])
    rrsets = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    os.makedirs(d, exist_ok=True)
    for i in range(count):
        origin = f"z{i:06d}.example."
        path = os.path.join(d, f"z{i:06d}.example.zone")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(zone(origin, i, rrsets))


if __name__ == "__main__":
    main()
