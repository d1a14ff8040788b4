#!/usr/bin/env python3
"""seeds.py - writes the seed corpora of the fuzz targets that read structured input:
tests/fuzz/corpus/{cloudflare_json,dyn_json,axfr,update,planfile,config,zone_files}/seed-*.
Inputs look like what the real services, servers and users produce (the shapes of
docs/plan-format.md, reference/PROVIDER-APIS.md, RFC 1035/5936/8945 messages). Run from
the top of the repository; it replaces only files named seed-*."""
import glob
import json
import os
import random
import struct

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(TOP, "tests", "fuzz", "corpus")
rnd = random.Random(20261201)  # the same seeds every time


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def clean(target):
    for f in glob.glob(os.path.join(CORPUS, target, "seed-*")):
        os.remove(f)


HOSTS = ["www", "api", "mail", "mx1", "cdn", "shop", "vpn", "git", "blog", "status", "app-01.eu-west", "_sip._tcp", "_dmarc", "@"]


def fqdn(h, zone="example.com"):
    return zone if h == "@" else "%s.%s" % (h, zone)


# ---- Cloudflare: a zone object's name_servers + a dns_records page ----
def cf_record(i, zone="example.com"):
    t = rnd.choice(["A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "DS", "NS", "SOA", "PTR", "HTTPS"])
    h = rnd.choice(HOSTS)
    r = {"id": "%032x" % rnd.getrandbits(128), "zone_id": "023e105f4ecef8ad9ca31a8372d0c353",
         "zone_name": zone, "name": fqdn(h, zone), "type": t, "ttl": rnd.choice([1, 60, 300, 3600, 86400]),
         "proxiable": True, "proxied": rnd.random() < 0.2, "locked": False,
         "created_on": "2026-11-02T10:11:12.123456Z", "modified_on": "2026-11-30T08:00:00.000000Z"}
    if t == "A":
        r["content"] = "192.0.2.%d" % rnd.randrange(1, 255)
    elif t == "AAAA":
        r["content"] = "2001:db8::%x" % rnd.randrange(1, 65535)
    elif t in ("CNAME", "NS", "PTR"):
        r["content"] = rnd.choice(["target.example.net", "lb.%s" % zone, "ns1.cloudflare.com"])
    elif t == "MX":
        r["content"] = rnd.choice(["mx1.%s" % zone, ".", "aspmx.l.google.com"])
        r["priority"] = rnd.choice([0, 10, 20])
    elif t == "TXT":
        r["content"] = rnd.choice(['"v=spf1 include:_spf.example.net -all"', "v=DMARC1; p=reject; rua=mailto:d@example.com",
                                   '"part one" "part two"', 'google-site-verification=abc123', '"with \\"quotes\\""', "x" * 300])
    elif t == "SRV":
        r["data"] = {"priority": 10, "weight": 60, "port": 5060, "target": "sip.%s" % zone}
        r["content"] = "60 5060 sip.%s" % zone
    elif t == "CAA":
        r["data"] = {"flags": 0, "tag": rnd.choice(["issue", "issuewild", "iodef"]), "value": "letsencrypt.org"}
    elif t == "DS":
        r["data"] = {"key_tag": 2371, "algorithm": 13, "digest_type": 2,
                     "digest": "1F987CC6583E92DF0890718C42A7B7BD6E4CE9C6FDC03EE56C5A6A0B8A9C2F46"}
    elif t == "SOA":
        r["content"] = "ns1.cloudflare.com dns.cloudflare.com 2045678901 10000 2400 604800 1800"
    else:
        r["data"] = {"priority": 1, "target": ".", "value": 'alpn="h2,h3"'}
    return r


def cloudflare():
    clean("cloudflare_json")
    for n in range(40):
        recs = [cf_record(i) for i in range(rnd.randrange(0, 25))]
        page = {"success": True, "errors": [], "messages": [],
                "name_servers": rnd.choice([["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"], [], ["ns1.example.net."]]),
                "result": recs,
                "result_info": {"page": 1, "per_page": 100, "count": len(recs), "total_count": len(recs), "total_pages": 1}}
        write("cloudflare_json", "page-%02d" % n, json.dumps(page, indent=rnd.choice([None, 2])))
    write("cloudflare_json", "empty", '{"result": [], "name_servers": []}')
    write("cloudflare_json", "not-array", '{"result": {"id": "x"}}')
    write("cloudflare_json", "bad-name", json.dumps({"result": [{"id": "1", "name": "a b;c", "type": "A", "content": "192.0.2.1", "ttl": 1}]}))


# ---- Dyn: AllRecord detail=Y ----
def dyn_rdata(t, zone):
    return {"A": {"address": "192.0.2.%d" % rnd.randrange(1, 255)},
            "AAAA": {"address": "2001:db8::%x" % rnd.randrange(1, 65535)},
            "CNAME": {"cname": "target.example.net."},
            "NS": {"nsdname": "ns1.p01.dynect.net."},
            "PTR": {"ptrdname": "host.%s." % zone},
            "MX": {"preference": rnd.choice([0, 10, "20"]), "exchange": "mx1.%s." % zone},
            "SRV": {"priority": 0, "weight": "5", "port": 443, "target": "svc.%s" % zone},
            "CAA": {"flags": 0, "tag": "issue", "value": "letsencrypt.org"},
            "DS": {"keytag": 2371, "algorithm": 13, "digtype": 2, "digest": "1F987CC6583E92DF0890718C42A7B7BD6E4CE9C6FDC03EE56C5A6A0B8A9C2F46"},
            "TXT": {"txtdata": rnd.choice(["v=spf1 -all", '"a" "b"', "hello world"])},
            "SPF": {"txtdata": "v=spf1 mx -all"},
            "SOA": {"mname": "ns1.p01.dynect.net.", "rname": "admin.%s." % zone, "serial": 5, "refresh": 3600,
                    "retry": 600, "expire": 604800, "minimum": 1800}}[t]


def dyn():
    clean("dyn_json")
    zone = "example.com"
    for n in range(40):
        data = {}
        for i in range(rnd.randrange(0, 20)):
            t = rnd.choice(["A", "AAAA", "CNAME", "NS", "PTR", "MX", "SRV", "CAA", "DS", "TXT", "SPF", "SOA"])
            rec = {"zone": zone, "fqdn": fqdn(rnd.choice(HOSTS), zone), "record_type": t, "record_id": rnd.randrange(1, 10 ** 9),
                   "ttl": rnd.choice([0, 30, 300, 3600, "600"]), "rdata": dyn_rdata(t, zone)}
            if t == "NS" and rnd.random() < 0.5:
                rec["service_class"] = "Primary"
            data.setdefault(t.lower() + "_records", []).append(rec)
        env = {"status": "success", "data": data, "job_id": rnd.randrange(10 ** 9),
               "msgs": [{"INFO": "get_tree: Here is your zone tree", "SOURCE": "BLL", "ERR_CD": None, "LVL": "INFO"}]}
        write("dyn_json", "allrecord-%02d" % n, json.dumps(env))
    write("dyn_json", "failure", json.dumps({"status": "failure", "data": {}, "msgs": [{"INFO": "zone: No such zone", "ERR_CD": "NOT_FOUND", "LVL": "ERROR"}]}))
    write("dyn_json", "data-array", '{"status": "success", "data": []}')


# ---- DNS messages ----
def name(n):
    if n in (".", ""):
        return b"\x00"
    out = b""
    for label in n.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def rr(owner, rtype, rdata, ttl=300, cls=1):
    return owner + struct.pack("!HHIH", rtype, cls, ttl, len(rdata)) + rdata


def soa(serial=2026120101, zone="example.com."):
    return rr(name(zone), 6, name("ns1." + zone) + name("hostmaster." + zone) + struct.pack("!IIIII", serial, 3600, 600, 86400, 300))


def random_rr(zone="example.com."):
    h = rnd.choice(HOSTS[:-1])
    owner = name("%s.%s" % (h, zone))
    t = rnd.choice(["A", "AAAA", "CNAME", "MX", "TXT", "SRV", "NS", "CAA", "PTR"])
    if t == "A":
        return rr(owner, 1, bytes([192, 0, 2, rnd.randrange(256)]))
    if t == "AAAA":
        return rr(owner, 28, bytes.fromhex("20010db8000000000000000000000001"))
    if t == "CNAME":
        return rr(owner, 5, name("target.example.net."))
    if t == "MX":
        return rr(owner, 15, struct.pack("!H", 10) + name("mx1." + zone))
    if t == "TXT":
        s = rnd.choice([b"v=spf1 -all", b"hello", b"x" * 255])
        return rr(owner, 16, bytes([len(s)]) + s + (b"\x03two" if rnd.random() < 0.3 else b""))
    if t == "SRV":
        return rr(owner, 33, struct.pack("!HHH", 0, 5, 5060) + name("sip." + zone))
    if t == "NS":
        return rr(owner, 2, name("ns1.child." + zone))
    if t == "CAA":
        return rr(owner, 257, b"\x00\x05issue" + b"letsencrypt.org")
    return rr(owner, 12, name("host." + zone))


def message(flags, question, answers, qid=0):
    return struct.pack("!HHHHHH", qid, flags, 1 if question else 0, len(answers), 0, 0) + question + b"".join(answers)


def axfr():
    clean("axfr")
    q = name("example.com.") + struct.pack("!HH", 252, 1)
    for n in range(60):
        keyed = n % 3 != 0
        nrec = rnd.randrange(0, 40)
        records = [soa()] + [random_rr() for _ in range(nrec)] + [soa()]
        nmsg = rnd.randrange(1, 6)
        cut = sorted(rnd.sample(range(1, len(records)), min(nmsg - 1, len(records) - 1)))
        msgs, last = [], 0
        for c in cut + [len(records)]:
            msgs.append(records[last:c])
            last = c
        out = bytes([1 if keyed else 0])
        for i, part in enumerate(msgs):
            m = message(0x8400, q if i == 0 or rnd.random() < 0.5 else b"", part)
            sign = keyed and (i == 0 or i == len(msgs) - 1 or rnd.random() < 0.6)
            out += bytes([1 if sign else 0]) + struct.pack("!H", len(m)) + m
        write("axfr", "transfer-%02d" % n, out)
    # refusals and broken transfers
    for rcode, nm in ((5, "refused"), (9, "notauth"), (2, "servfail")):
        m = message(0x8400 | rcode, q, [])
        write("axfr", nm, b"\x01\x01" + struct.pack("!H", len(m)) + m)
    m = message(0x8400, q, [random_rr(), soa()])
    write("axfr", "no-soa-first", b"\x00\x00" + struct.pack("!H", len(m)) + m)
    m = message(0x8400, q, [soa(), soa(), random_rr()])
    write("axfr", "data-after-soa", b"\x00\x00" + struct.pack("!H", len(m)) + m)
    m1, m2 = message(0x8400, q, [soa(), random_rr()]), message(0x8400, b"", [random_rr(), soa()])
    write("axfr", "last-unsigned", b"\x01\x01" + struct.pack("!H", len(m1)) + m1 + b"\x00" + struct.pack("!H", len(m2)) + m2)
    write("axfr", "wrong-id", b"\x00\x02" + struct.pack("!H", len(m1)) + m1)
    m = message(0x0400, q, [soa(), soa()])
    write("axfr", "not-response", b"\x00\x00" + struct.pack("!H", len(m)) + m)


def update():
    clean("update")
    zq = name("example.com.") + struct.pack("!HH", 6, 1)
    for rcode, nm in ((0, "noerror"), (8, "nxrrset"), (7, "yxrrset"), (3, "nxdomain"), (6, "yxdomain"), (5, "refused"),
                      (9, "notauth"), (10, "notzone"), (2, "servfail"), (4, "notimp"), (1, "formerr")):
        for ctl, suffix in ((0, ""), (5, "-signed"), (1, "-unsigned-answer"), (2, "-other-id")):
            write("update", nm + suffix, bytes([ctl]) + message(0xA800 | rcode, zq, []))
        write("update", nm + "-no-zone", b"\x00" + message(0xA800 | rcode, b"", []))
    # a TSIG error answer (BADSIG) as servers send it: TSIG record with error 16, no MAC
    tsig = name("zonesync-key.") + struct.pack("!HHIH", 250, 255, 0, 0)
    alg = name("hmac-sha256.")
    rdata = alg + struct.pack("!HIH", 0, 1764576000, 300) + struct.pack("!H", 0) + struct.pack("!HHH", 0, 16, 0)
    tsig = name("zonesync-key.") + struct.pack("!HHIH", 250, 255, 0, len(rdata)) + rdata
    m = struct.pack("!HHHHHH", 0, 0xA809, 1, 0, 0, 1) + zq + tsig
    write("update", "badsig", b"\x01" + m)
    write("update", "query-opcode", b"\x00" + message(0x8000, zq, []))
    write("update", "other-question", b"\x00" + message(0xA800, name("example.org.") + struct.pack("!HH", 6, 1), []))
    write("update", "with-records", b"\x00" + message(0xA800, zq, [random_rr() for _ in range(3)]))


def planfile():
    clean("planfile")
    ops = ["create", "update", "delete"]
    for n in range(40):
        zones = []
        for z in range(rnd.randrange(0, 4)):
            zn = rnd.choice(["example.com.", "example.org.", "sub.example.com.", "xn--bcher-kva.example."])
            provs = []
            for p in range(rnd.randrange(0, 3)):
                state = rnd.choice(["in-sync", "changes", "refused", "error", "invalid-zone", "read-only"])
                pv = {"provider": rnd.choice(["files", "pdns", "bind", "cf", "dyn"]), "type": rnd.choice(["zonefile", "powerdns", "rfc2136"]),
                      "state": state, "create_zone": rnd.random() < 0.1, "existing_rrsets": rnd.randrange(0, 100)}
                if state == "changes":
                    pv["changes"] = [{"op": rnd.choice(ops), "owner": fqdn(rnd.choice(HOSTS), zn.rstrip(".")) + ".", "type": rnd.choice(["A", "TXT", "MX"]),
                                      "ttl": 300, "records": ["192.0.2.%d" % i for i in range(rnd.randrange(1, 4))],
                                      "old_ttl": 300, "old_records": []} for _ in range(rnd.randrange(1, 6))]
                    pv["not_applicable"] = [{"owner": zn, "type": "NS", "reason": "apex NS belongs to the provider"}]
                    pv["warnings"] = ["w.%s A: TTL 30 raised to 60 (provider minimum 60)" % zn]
                elif state == "error":
                    pv["error"] = "provider 'pdns': zone '%s': HTTP 500: boom" % zn
                elif state == "refused":
                    pv["refused"] = "42% of the RRsets updated (max_update_pct 30)"
                provs.append(pv)
            zones.append({"zone": zn, "file": "zones/%szone" % zn, "valid": True, "providers": provs})
        plan = {"format": rnd.choice(["zonesync-plan/2", "zonesync-plan/1"]),
                "commit": "%040x" % rnd.getrandbits(160), "hash": "%064x" % rnd.getrandbits(256),
                "summary": {"changes": 4, "creates": 1, "updates": 2, "deletes": 1, "failed": 0, "refused": 0, "invalid_zones": 0},
                "zones": zones}
        write("planfile", "plan-%02d" % n, json.dumps(plan, indent=rnd.choice([None, 2])))
    base = {"format": "zonesync-plan/2", "commit": "1c58cf9523e5c81bb7838ed22d24c7425eb9f3be", "hash": "a" * 64, "zones": []}
    for key, val, nm in (("commit", "HEAD", "commit-ref"), ("commit", "--upload-pack=x", "commit-option"),
                         ("commit", "1C58CF9523E5C81BB7838ED22D24C7425EB9F3BE", "commit-upper"), ("hash", "abc", "short-hash"),
                         ("commit", 7, "commit-number"), ("zones", {"zone": "x"}, "zones-object")):
        p = dict(base)
        p[key] = val
        write("planfile", nm, json.dumps(p))
    write("planfile", "duplicate-key", '{"commit": "%s", "commit": "%s", "hash": "%s"}' % ("1" * 40, "2" * 40, "a" * 64))
    write("planfile", "array", "[]")


def config():
    clean("config")
    example = open(os.path.join(TOP, "zonesync.toml.example")).read()
    write("config", "example", example)
    provs = {
        "zonefile": 'directory = "/var/lib/bind/zonesync"\nreload_command = ["rndc", "reload", "{zone}"]\ncheck_command = ["named-checkzone", "{zone}", "{file}"]\n',
        "rfc2136": 'server = "127.0.0.1:5301"\ntsig_name = "zonesync-key"\ntsig_algorithm = "hmac-sha256"\ntsig_secret = "env:ZS_TSIG"\nmax_transfer_bytes = 100000000\nmax_transfer_records = 500000\n',
        "powerdns": 'url = "http://127.0.0.1:8081"\napi_key = "env:PDNS_API_KEY"\nserver_id = "localhost"\n',
        "dyn": 'customer = "acme"\nuser = "zonesync"\npassword = "file:dyn.secret"\n',
        "cloudflare": 'api_token = "env:CF_API_TOKEN"\n',
        "secondary": 'nameservers = ["127.0.0.1:5353"]\ntsig_name = "k"\ntsig_secret = "env:K"\n',
        "memory": "",
    }
    common = ['timeout = 10\n', 'retries = 2\n', 'rate_limit = "10/s"\n', 'manage_apex_ns = false\n', 'create_zones = true\n',
              'unsupported = "skip"\n', 'ignore = ["_acme-challenge.*", "TXT"]\n', 'max_update_pct = 50\n', 'nameservers = ["ns1.example.net"]\n']
    for n in range(50):
        names = rnd.sample(sorted(provs), rnd.randrange(1, 4))
        out = '[repo]\npath = "."\nref = "%s"\nzones_dir = "zones"\n' % rnd.choice(["HEAD", "main", "v1.2"])
        if rnd.random() < 0.3:
            out += "max_include_files = %d\nmax_include_bytes = %d\n" % (rnd.choice([1, 100, 65000]), rnd.choice([1, 1 << 20]))
        out += '[state]\npath = ".zonesync/state.db"\n'
        out += "[defaults]\nmax_update_pct = %d\nmax_delete_pct = 30\nmin_existing = 10\nmax_changes = 1000\njobs = %d\nproviders = %s\n" % (
            rnd.choice([0, 30, 100]), rnd.choice([1, 4]), json.dumps(names[:1]))
        for i, t in enumerate(names):
            out += '[providers.p%d]\ntype = "%s"\n%s' % (i, t, provs[t]) + "".join(rnd.sample(common, rnd.randrange(0, 3)))
        for z in range(rnd.randrange(0, 4)):
            out += '[[zones]]\nname = "%s"\n' % rnd.choice(["example.com", "Example.COM.", "example.org", "sub.example.com"])
            if rnd.random() < 0.5:
                out += "providers = %s\n" % json.dumps(["p%d" % i for i in range(len(names))])
            if rnd.random() < 0.3:
                out += 'file = "sub/example.org.zone"\nmax_delete_pct = 5\nignore = ["www"]\n'
        if rnd.random() < 0.3:
            out += '[hooks]\npre_apply = [["/usr/local/bin/approve", "{zone}"]]\npost_apply = [["logger", "applied"]]\n'
        if rnd.random() < 0.15:  # a mistake a user makes
            out = rnd.choice([out.replace("type =", "typ =", 1), out + 'api_key = "literal-secret"\n', out + "[repos]\n",
                              out.replace("= 10\n", '= "ten"\n', 1), out + '[providers.x]\ntype = "route53"\n'])
        write("config", "config-%02d" % n, out)


def zone_files():
    clean("zone_files")
    hdr = "$TTL 300\n@ SOA ns1 hostmaster 2026120101 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n"
    lint = sorted(glob.glob(os.path.join(TOP, "tests", "data", "lint", "*.zone")))
    for p in lint:
        write("zone_files", "lint-" + os.path.basename(p), open(p).read())
    for p in sorted(glob.glob(os.path.join(TOP, "zones", "*.zone"))):
        write("zone_files", "example-" + os.path.basename(p), open(p).read())
    cases = {
        "include-origin": hdr + "$INCLUDE f1.inc sub.example.com.\nafter A 192.0.2.9\n%%\n$TTL 60\nwww A 192.0.2.10\n@ MX 10 mail\nmail A 192.0.2.25\n",
        "include-nested": hdr + "$INCLUDE inc/f1.inc\n%%\n$ORIGIN hosts.example.com.\n$INCLUDE ../f2.inc\nh1 A 192.0.2.11\n%%\nh2 AAAA 2001:db8::2\n",
        "include-many": hdr + "$INCLUDE f1.inc\n" * 20 + "%%\nx TXT \"included\"\n",
        "include-loop": hdr + "$INCLUDE f1.inc\n%%\n$INCLUDE f2.inc\n%%\n$INCLUDE f1.inc\n",
        "include-fanout": hdr + "$INCLUDE f1.inc\n%%\n" + "$INCLUDE f2.inc\n" * 6 + "%%\n" + "$INCLUDE f3.inc\n" * 6 + "%%\nleaf A 192.0.2.3\n",
        "include-escape": hdr + "$INCLUDE ../../etc/passwd\n$INCLUDE /etc/hostname\n",
        "include-missing": hdr + "$INCLUDE f9.inc\n",
        "origin-ttl": "$ORIGIN example.com.\n$TTL 1h\n@ IN SOA ns1 hostmaster ( 1 ; serial\n 3600 600 86400 300 )\n@ NS ns1\nns1 A 192.0.2.1\n$ORIGIN sub\n$TTL 2d\nwww A 192.0.2.2\n",
        "blank-owner": hdr + "multi A 192.0.2.5\n AAAA 2001:db8::5\n$INCLUDE f1.inc\n TXT \"still multi\"\n%%\nother A 192.0.2.6\n",
        "no-ttl": "@ SOA ns1 hostmaster 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n$INCLUDE f1.inc\n%%\n$TTL 60\nx A 192.0.2.2\n",
        "unclosed": hdr + "$INCLUDE f1.inc\n%%\nbad SOA ns1 hostmaster ( 1 2 3\n",
        "include-comment": hdr + "$INCLUDE f1.inc ; the hosts\n$INCLUDE \"f2.inc\" example.com.\n%%\na A 192.0.2.1\n%%\nb A 192.0.2.2",
        "cname-loop-inc": hdr + "x CNAME y\n$INCLUDE f1.inc\n%%\ny CNAME x\n",
    }
    for k, v in cases.items():
        write("zone_files", k, v)


if __name__ == "__main__":
    cloudflare()
    dyn()
    axfr()
    update()
    planfile()
    config()
    zone_files()
