#!/usr/bin/env python3
"""genzone.py ORIGIN RECORDS - print a synthetic, realistic zone of about RECORDS records.

Mix: A 40%, AAAA 18%, CNAME 15%, TXT 12%, SRV 8%, MX 7%; names like api-001234.eu-west;
SPF/DMARC/verification TXT; explicit TTL on about a quarter of the RRsets; a few RRsets
with several records. Deterministic for a given (ORIGIN, RECORDS)."""
import random
import sys


def main():
    origin = sys.argv[1].rstrip(".") + "."
    total = int(sys.argv[2])
    rnd = random.Random(total)
    regions = ["eu-west", "eu-central", "us-east", "us-west", "ap-south", "ap-northeast"]
    words = ["api", "web", "cdn", "db", "cache", "mail", "vpn", "app", "auth", "img"]
    out = sys.stdout
    w = out.write
    w(f"$ORIGIN {origin}\n$TTL 3600\n")
    w(f"@ IN SOA ns1.{origin} hostmaster.{origin} 2026112601 7200 3600 1209600 300\n")
    w(f"@ IN NS ns1.{origin}\n@ IN NS ns2.example.net.\n")
    w("ns1 IN A 192.0.2.53\n")
    n = 4
    i = 0
    while n < total:
        i += 1
        name = f"{rnd.choice(words)}-{i:06d}.{rnd.choice(regions)}"
        ttl = f" {rnd.choice([60, 300, 600, 86400])}" if rnd.random() < 0.25 else ""
        r = rnd.random()
        if r < 0.40:
            k = 2 if rnd.random() < 0.15 else 1
            for j in range(k):
                w(f"{name}{ttl} IN A 10.{(i >> 8) & 255}.{i & 255}.{j + 1}\n")
            n += k
        elif r < 0.58:
            w(f"{name}{ttl} IN AAAA 2001:db8:{i >> 16:x}:{i & 0xffff:x}::1\n")
            n += 1
        elif r < 0.73:
            w(f"{name}{ttl} IN CNAME {rnd.choice(words)}-{rnd.randrange(1, i + 1):06d}.{rnd.choice(regions)}\n")
            n += 1
        elif r < 0.85:
            t = rnd.random()
            if t < 0.4:
                txt = "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all"
            elif t < 0.7:
                txt = "v=DMARC1; p=quarantine; rua=mailto:dmarc@" + origin.rstrip(".")
            else:
                txt = "site-verification=" + "".join(rnd.choice("abcdef0123456789") for _ in range(40))
            w(f'{name}{ttl} IN TXT "{txt}"\n')
            n += 1
        elif r < 0.93:
            w(f"_sip._tcp.{name}{ttl} IN SRV 10 {rnd.randrange(100)} 5060 sip-{i:06d}.{origin}\n")
            n += 1
        else:
            w(f"{name}{ttl} IN MX 10 mx{rnd.randrange(1, 4)}.{origin}\n")
            w(f"{name}{ttl} IN MX 20 mx-backup.example.net.\n")
            n += 2


if __name__ == "__main__":
    main()
