#!/usr/bin/env python3
"""cloudflare.py PORT TOKEN [--txt-bare] [--batch-limit N] [--per-page-max N] [--delay-ms N]

A fake of the Cloudflare API v4 DNS endpoints, written from the documented contract
(../shared/reference/PROVIDER-APIS.md section 3), not from zonesync's client:
envelope {success, errors, messages, result, result_info}; Bearer token; zones by name;
one record object per value with 32-hex ids; pagination; the batch endpoint running
deletes -> patches -> puts -> posts on a snapshot, all or nothing, at most N operations;
same-name rules (A/AAAA vs CNAME, NS alone, exact duplicates); TTL 1 (automatic) or 60-86400;
proxied only on A/AAAA/CNAME; TXT returned quoted (or bare with --txt-bare).

Test controls (not Cloudflare's): POST /__control {"zone": NAME} creates a zone;
{"fail_next": K, "status": 429|500|"garbage"|"drop"} makes the next K API requests fail;
{"proxied": {"name": N, "type": T}} marks records proxied as if done in the dashboard;
{"refuse_batch": NAME} (null: off): a batch to that zone is refused (1004, as a record
Cloudflare does not validate); {"hold": N, "wait": S[, "writes": true]}: each API request waits (up to S seconds, until one of them saw N
in flight) for N to be in flight at once (fakehttp.Overlap; N 0: off; "writes": only
requests other than GET);
GET /__requests lists the API requests received (method, path); GET /__overlap the most
API requests seen in flight at once since the last hold.
Runs on 127.0.0.1 until killed."""
import copy
import json
import secrets
import sys
import threading
import time
from urllib.parse import parse_qs, urlparse

from fakehttp import JSONHandler, Overlap, serve

PORT, TOKEN = int(sys.argv[1]), sys.argv[2]
TXT_BARE = "--txt-bare" in sys.argv
BATCH_LIMIT = int(sys.argv[sys.argv.index("--batch-limit") + 1]) if "--batch-limit" in sys.argv else 200
PER_PAGE_MAX = int(sys.argv[sys.argv.index("--per-page-max") + 1]) if "--per-page-max" in sys.argv else 100
DELAY = int(sys.argv[sys.argv.index("--delay-ms") + 1]) / 1000.0 if "--delay-ms" in sys.argv else 0.0

lock = threading.Lock()
zones = {}      # id -> {"name": ..., "records": {id: record}}
requests_seen = []
faults = {"n": 0, "status": 500, "refuse_batch": None}
overlap = Overlap()
# the `data` fields of each type as Cloudflare's OpenAPI schema documents them
# (cloudflare-python types/dns/record_create_params.py): "n" a number, "s" a string
DATA_FIELDS = {
    "SRV": {"priority": "n", "weight": "n", "port": "n", "target": "s"},
    "CAA": {"flags": "n", "tag": "s", "value": "s"},
    "DS": {"key_tag": "n", "algorithm": "n", "digest_type": "n", "digest": "s"},
    "DNSKEY": {"flags": "n", "protocol": "n", "algorithm": "n", "public_key": "s"},
    "CERT": {"type": "n", "key_tag": "n", "algorithm": "n", "certificate": "s"},
    "NAPTR": {"order": "n", "preference": "n", "flags": "s", "service": "s", "regex": "s", "replacement": "s"},
    "SSHFP": {"algorithm": "n", "type": "n", "fingerprint": "s"},
    "TLSA": {"usage": "n", "selector": "n", "matching_type": "n", "certificate": "s"},
    "SMIMEA": {"usage": "n", "selector": "n", "matching_type": "n", "certificate": "s"},
    "SVCB": {"priority": "n", "target": "s", "value": "s"},
    "HTTPS": {"priority": "n", "target": "s", "value": "s"},
    "URI": {"weight": "n", "target": "s"},
    "LOC": {"lat_degrees": "n", "lat_minutes": "n", "lat_seconds": "n", "lat_direction": "s",
            "long_degrees": "n", "long_minutes": "n", "long_seconds": "n", "long_direction": "s",
            "altitude": "n", "size": "n", "precision_horz": "n", "precision_vert": "n"},
}
DATA_TYPES = set(DATA_FIELDS)
CONTENT_TYPES = {"A", "AAAA", "CNAME", "MX", "NS", "PTR", "TXT", "OPENPGPKEY"}
LOC_RANGES = {"lat_degrees": (0, 90), "lat_minutes": (0, 59), "lat_seconds": (0, 59.999),
              "long_degrees": (0, 180), "long_minutes": (0, 59), "long_seconds": (0, 59.999),
              "altitude": (-100000, 42849672.95), "size": (0, 90000000),
              "precision_horz": (0, 90000000), "precision_vert": (0, 90000000)}
PROXIABLE = {"A", "AAAA", "CNAME"}


class Invalid(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def new_id():
    return secrets.token_hex(16)


def content_of(rec):
    """The presentation content Cloudflare shows for a record (data types included)."""
    d = rec.get("data")
    if rec["type"] == "SRV" and d:
        return "%d %d %d %s" % (d["priority"], d["weight"], d["port"], d["target"])
    if rec["type"] == "CAA" and d:
        return '%d %s "%s"' % (d["flags"], d["tag"], d["value"])
    if rec["type"] == "LOC" and d:
        return "%d %d %.3f %s %d %d %.3f %s %.2fm %.2fm %.2fm %.2fm" % tuple(d[k] for k in DATA_FIELDS["LOC"])
    if rec["type"] == "URI" and d:
        return '%d %d "%s"' % (rec.get("priority", 0), d["weight"], d["target"])
    if rec["type"] in DATA_FIELDS and d:
        return " ".join(str(int(d[k])) if t == "n" else d[k] for k, t in DATA_FIELDS[rec["type"]].items())
    return rec.get("content", "")


def check_data(t, rec):
    """The data object of a type that has one, as the schema defines it."""
    d = rec.get("data")
    if not isinstance(d, dict):
        raise Invalid(9101, "data required for %s" % t)
    for k, kind in DATA_FIELDS[t].items():
        v = d.get(k)
        if kind == "n" and (not isinstance(v, (int, float)) or isinstance(v, bool)):
            raise Invalid(9101, "data.%s: a number is required for %s" % (k, t))
        if kind == "s" and not isinstance(v, str):
            raise Invalid(9101, "data.%s: a string is required for %s" % (k, t))
    if t == "LOC":
        if d["lat_direction"] not in ("N", "S") or d["long_direction"] not in ("E", "W"):
            raise Invalid(9101, "LOC direction invalid")
        for k, (lo, hi) in LOC_RANGES.items():
            if not lo <= d[k] <= hi:
                raise Invalid(9101, "LOC %s out of range" % k)
    if t == "URI" and not isinstance(rec.get("priority"), int):
        raise Invalid(9100, "priority required for URI")


def normalise(zone, body, existing=None):
    """A record object from a request body (post, put or patch)."""
    rec = dict(existing) if existing else {}
    for k in ("name", "type", "content", "ttl", "proxied", "priority", "data", "comment"):
        if k in body:
            rec[k] = body[k]
    name = rec.get("name", "")
    if name in ("@", ""):
        name = zone["name"]
    elif not (name == zone["name"] or name.endswith("." + zone["name"])):
        name = name + "." + zone["name"]
    rec["name"] = name.rstrip(".").lower()
    t = rec.get("type")
    if t not in DATA_TYPES and t not in CONTENT_TYPES:
        raise Invalid(9000, "DNS record type is invalid")
    if t in DATA_TYPES:
        check_data(t, rec)
    elif t == "TXT" and rec.get("content", "") in ("", '""'):
        raise Invalid(9005, "Content cannot be empty")
    elif not rec.get("content"):
        raise Invalid(9007, "Content for %s record is invalid" % t)
    if t == "MX" and not isinstance(rec.get("priority"), int):
        raise Invalid(9100, "priority required for MX")
    ttl = rec.get("ttl", 1)
    if not isinstance(ttl, int) or not (ttl == 1 or 60 <= ttl <= 86400):
        raise Invalid(9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic")
    rec["ttl"] = ttl
    if rec.get("proxied") and t not in PROXIABLE:
        raise Invalid(9004, "This record type cannot be proxied")
    rec["proxied"] = bool(rec.get("proxied", False))
    if rec["proxied"]:
        rec["ttl"] = 1
    rec["proxiable"] = t in PROXIABLE
    return rec


def check_rules(zone_records):
    by_name = {}
    for r in zone_records.values():
        by_name.setdefault(r["name"], []).append(r)
    for name, recs in by_name.items():
        types = {r["type"] for r in recs}
        if "CNAME" in types and len(recs) > 1:
            raise Invalid(81053, "An A, AAAA, or CNAME record with that host already exists.")
        if "NS" in types and types != {"NS"} and types - {"NS", "DS"}:
            raise Invalid(81056, "An NS record with that host already exists.")
        seen = set()
        for r in recs:
            key = (r["type"], content_of(r), r.get("priority"))
            if key in seen:
                raise Invalid(81057, "Record already exists.")
            seen.add(key)


def shown(rec, zone):
    out = copy.deepcopy(rec)
    out["zone_id"], out["zone_name"] = zone["id"], zone["name"]
    if rec["type"] == "TXT":
        c = rec["content"]
        quoted = c.startswith('"') and c.endswith('"')
        if TXT_BARE and quoted:
            # one string: the chunks joined (what older API versions returned)
            parts = json.loads("[" + c.replace('" "', '","') + "]") if '" "' in c else [c[1:-1]]
            out["content"] = "".join(parts)
        elif not TXT_BARE and not quoted:
            out["content"] = '"%s"' % c.replace("\\", "\\\\").replace('"', '\\"')
    if rec["type"] in DATA_TYPES:
        out["content"] = content_of(rec)
    return out


class Handler(JSONHandler):
    def ok(self, result, info=None):
        env = {"success": True, "errors": [], "messages": [], "result": result}
        if info:
            env["result_info"] = info
        self.send_json(200, env)

    def fail(self, status, code, message):
        self.send_json(status, {"success": False, "errors": [{"code": code, "message": message}],
                            "messages": [], "result": None})

    def body(self):
        try:
            return self.json_body()
        except ValueError:
            raise Invalid(9207, "Request body is invalid JSON")

    def dispatch(self, method):
        try:
            self.handle_all(method)
        except Invalid as e:
            self.fail(e.status, e.code, e.message)

    def handle_all(self, method):
        url = urlparse(self.path)
        parts = [p for p in url.path.split("/") if p]
        if parts[:1] == ["__control"]:
            return self.control(method)
        if parts[:1] == ["__requests"]:
            with lock:
                return self.send_json(200, list(requests_seen))
        if parts[:1] == ["__overlap"]:
            return self.send_json(200, {"most": overlap.most()})
        with overlap.request(method):
            return self.api(method, url, parts)

    def api(self, method, url, parts):
        if DELAY:
            time.sleep(DELAY)  # a slow API (benchmarks): outside the lock, requests overlap
        with lock:
            requests_seen.append({"method": method, "path": url.path})
            if faults["n"] > 0:
                faults["n"] -= 1
                st = faults["status"]
                if st == "drop":
                    return self.drop()
                if st == "garbage":
                    return self.send_json(200, None, raw=b"{this is not json")
                if st == 429:
                    return self.send_json(429, {"success": False, "errors": [{"code": 10100, "message": "More than 1200 requests per 300 seconds reached. Please wait and consider throttling your request speed"}], "messages": [], "result": None}, headers={"Retry-After": "1"})
                return self.fail(int(st), 10000, "Internal error")
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.fail(403, 10000, "Authentication error")
        if parts[:2] != ["client", "v4"]:
            return self.fail(404, 7003, "Could not route to %s, perhaps your object identifier is invalid?" % url.path)
        parts = parts[2:]
        q = parse_qs(url.query)
        try:
            with lock:
                return self.route(method, parts, q)
        except Invalid as e:
            return self.fail(e.status, e.code, e.message)

    def route(self, method, parts, q):
        if parts == ["zones"] and method == "GET":
            name = q.get("name", [None])[0]
            res = [{"id": z["id"], "name": z["name"], "status": "active",
                    "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]}
                   for z in zones.values() if name is None or z["name"] == name]
            return self.ok(res, {"page": 1, "per_page": 50, "count": len(res), "total_count": len(res), "total_pages": 1})
        if len(parts) >= 3 and parts[0] == "zones" and parts[2] == "dns_records":
            zone = zones.get(parts[1])
            if not zone:
                raise Invalid(7003, "Could not route: unknown zone", 404)
            recs = zone["records"]
            if len(parts) == 3 and method == "GET":
                page = int(q.get("page", ["1"])[0])
                per_page = min(int(q.get("per_page", ["100"])[0]), PER_PAGE_MAX)
                allr = sorted(recs.values(), key=lambda r: (r["name"], r["type"], r["id"]))
                chunk = allr[(page - 1) * per_page: page * per_page]
                total_pages = max(1, -(-len(allr) // per_page))
                return self.ok([shown(r, zone) for r in chunk],
                               {"page": page, "per_page": per_page, "count": len(chunk),
                                "total_count": len(allr), "total_pages": total_pages})
            if len(parts) == 3 and method == "POST":
                snap = copy.deepcopy(recs)
                rec = normalise(zone, self.body())
                rec["id"] = new_id()
                snap[rec["id"]] = rec
                check_rules(snap)
                zone["records"] = snap
                return self.ok(shown(rec, zone))
            if len(parts) == 4 and parts[3] == "batch" and method == "POST":
                return self.batch(zone, self.body())
            if len(parts) == 4 and method == "DELETE":
                if parts[3] not in recs:
                    raise Invalid(81044, "Record does not exist.", 404)
                del recs[parts[3]]
                return self.ok({"id": parts[3]})
        raise Invalid(7000, "No route for that URI", 404)

    def batch(self, zone, b):
        ops = sum(len(b.get(k) or []) for k in ("deletes", "patches", "puts", "posts"))
        if faults["refuse_batch"] == zone["name"]:
            raise Invalid(1004, "DNS Validation Error")
        if ops > BATCH_LIMIT:
            raise Invalid(81058, "Batch of %d exceeds the limit of %d records" % (ops, BATCH_LIMIT))
        snap = copy.deepcopy(zone["records"])
        res = {"deletes": [], "patches": [], "puts": [], "posts": []}
        for d in b.get("deletes") or []:
            if d.get("id") not in snap:
                raise Invalid(81044, "Record does not exist.", 404)
            res["deletes"].append(shown(snap.pop(d["id"]), zone))
        for kind in ("patches", "puts"):
            for p in b.get(kind) or []:
                if p.get("id") not in snap:
                    raise Invalid(81044, "Record does not exist.", 404)
                base = snap[p["id"]] if kind == "patches" else {}
                rec = normalise(zone, p, base)
                rec["id"] = p["id"]
                snap[p["id"]] = rec
                res[kind].append(shown(rec, zone))
        for p in b.get("posts") or []:
            rec = normalise(zone, p)
            rec["id"] = new_id()
            snap[rec["id"]] = rec
            res["posts"].append(shown(rec, zone))
        check_rules(snap)  # all or nothing: the zone changes only if the whole batch holds
        zone["records"] = snap
        return self.ok(res)

    def control(self, method):
        b = self.body() if method == "POST" else {}
        with lock:
            if "zone" in b:
                zid = new_id()
                zones[zid] = {"id": zid, "name": b["zone"].rstrip(".").lower(), "records": {}}
            if "fail_next" in b:
                faults["n"], faults["status"] = b["fail_next"], b.get("status", 500)
            if "refuse_batch" in b:
                faults["refuse_batch"] = b["refuse_batch"]
            if "hold" in b:
                overlap.hold(b["hold"], b.get("wait", 0), b.get("writes", False))
            if "proxied" in b:
                for z in zones.values():
                    for r in z["records"].values():
                        if r["name"] == b["proxied"]["name"] and r["type"] == b["proxied"]["type"]:
                            r["proxied"], r["ttl"] = True, 1
        return self.send_json(200, {"ok": True})


if __name__ == "__main__":
    serve(PORT, Handler)
