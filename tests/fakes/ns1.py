#!/usr/bin/env python3
"""ns1.py PORT API_KEY [--rate-limit N] [--rate-period S]

A fake of the NS1 (IBM NS1 Connect) v1 REST API, driven by models/ns1-api.json, the
operations and answer formats of NS1's published API reference (NS1 publishes no
machine-readable definition: that file is a transcription, said so in it). Every request
is matched to one of its operations; the body is checked (unknown fields, JSON types,
required fields, each answer's fields against the type's rdata format) and a request the
reference does not allow fails the test (/__invalid). What NS1 refuses is refused as it
documents it: X-NSONE-Key missing or wrong 401; a zone or record not found 404; PUT (create)
of an existing record 400 "record already exists", POST (update) of a missing one 404; a
record outside its zone 400. A record is an RRset: PUT creates, POST updates, DELETE
removes it whole. GET /zones/Z lists the records with short_answers. Every answer carries
X-RateLimit-By/-Limit/-Remaining/-Period (a token bucket of --rate-limit requests
refilled over --rate-period seconds); over it, 429.

Test controls (not NS1's), JSON to POST /__control: {"zone": NAME}; {"fail_next": K,
"status": 429|500|503|"garbage"|"drop"}; {"fail_after_next": K, "status": 5xx[, "method": M]}: the
next K API requests (with method M) are done, then answered with that status; {"set": {"zone", "domain", "type", "ttl",
"answers"}} ("answers": null deletes); {"hold": N, "wait": S}: each API request waits (up
to S seconds, until one of them saw N in flight) for N to be in flight at once, so that a
client's overlapping requests show (N 0: off). GET /__requests, GET /__invalid,
GET /__zone?name=N, GET /__overlap (the most API requests seen in flight at once since the
last hold).
Runs on 127.0.0.1 until killed."""
import json
import os
import re
import secrets
import sys
import threading
import time
from urllib.parse import unquote, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakehttp import JSONHandler, Overlap, serve  # noqa: E402

PORT, KEY = int(sys.argv[1]), sys.argv[2]


def opt(name, default, conv=int):
    return conv(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


LIMIT = opt("--rate-limit", 1000)
PERIOD = opt("--rate-period", 10)
API = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "models", "ns1-api.json")))
lock = threading.Lock()
zones = {}
requests_seen, invalid_seen = [], []
faults = {"n": 0, "status": 500}
overlap = Overlap()
after = {"n": 0, "status": 500, "method": None}
bucket = {"tokens": float(LIMIT), "t": time.monotonic()}


class Invalid(Exception):
    pass


class Fail(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


ROUTES = []
for name, op in API["operations"].items():
    rx = "^" + API["base"] + re.sub(r"\\\{(\w+)\\\}", lambda mo: "(?P<%s>[^/]+)" % mo.group(1),
                                    re.escape(op["path"])) + "$"
    ROUTES.append((op["method"], re.compile(rx), name, op))

JTYPES = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list}


def check_fields(spec, obj, where):
    if not isinstance(obj, dict):
        raise Invalid("%s: expected an object" % where)
    for k, v in obj.items():
        if k not in spec:
            raise Invalid("%s: unknown field %r" % (where, k))
        t = spec[k]
        if t == "answers":
            if not isinstance(v, list):
                raise Invalid("%s.answers: expected an array" % where)
            for i, a in enumerate(v):
                check_fields(API["answer"], a, "%s.answers[%d]" % (where, i))
                if "answer" not in a:
                    raise Invalid("%s.answers[%d]: answer missing" % (where, i))
        elif t == "string_or_null":
            if v is not None and not isinstance(v, str):
                raise Invalid("%s.%s: expected a string or null" % (where, k))
        elif not isinstance(v, JTYPES[t]) or (t == "integer" and isinstance(v, bool)):
            raise Invalid("%s.%s: expected %s, found %r" % (where, k, t, v))


def check_answer(rtype, ans, where):
    fmt = API["types"].get(rtype)
    if fmt is None:
        raise Fail(400, "unsupported record type %s" % rtype)
    if len(ans) != len(fmt):
        raise Fail(400, "%s: a %s answer has %d fields" % (where, rtype, len(fmt)))
    for i, (t, v) in enumerate(zip(fmt, ans)):
        if t == "integer" and not (isinstance(v, int) and not isinstance(v, bool)):
            raise Invalid("%s[%d]: expected an integer, found %r" % (where, i, v))
        if t == "string" and not isinstance(v, str):
            raise Invalid("%s[%d]: expected a string, found %r" % (where, i, v))
    if rtype == "A" and not re.fullmatch(r"(\d{1,3}\.){3}\d{1,3}", ans[0]):
        raise Fail(400, "invalid IPv4 address %s" % ans[0])
    if rtype in ("CNAME", "NS", "PTR", "MX", "SRV") and str(ans[-1]).endswith(".") and ans[-1] != ".":
        pass  # NS1 takes names with or without the dot


def in_zone(domain, zone):
    return domain == zone or domain.endswith("." + zone)


def rate_headers():
    t = time.monotonic()
    bucket["tokens"] = min(float(LIMIT), bucket["tokens"] + (t - bucket["t"]) * LIMIT / PERIOD)
    bucket["t"] = t
    ok = bucket["tokens"] >= 1
    if ok:
        bucket["tokens"] -= 1
    return ok, {"X-RateLimit-By": "customer", "X-RateLimit-Limit": str(LIMIT),
                "X-RateLimit-Remaining": str(int(bucket["tokens"])), "X-RateLimit-Period": str(PERIOD)}


def make_zone(name):
    name = name.rstrip(".").lower()
    ns = ["dns%d.p0%d.nsone.net" % (i, len(zones) % 9 + 1) for i in range(1, 5)]
    z = {"zone": name, "id": secrets.token_hex(12), "ttl": 3600, "nx_ttl": 3600, "refresh": 43200, "retry": 7200,
         "expiry": 1209600, "hostmaster": "hostmaster@nsone.net", "dns_servers": ns, "records": {}}
    z["records"][(name, "NS")] = {"zone": name, "domain": name, "type": "NS", "ttl": 3600, "tier": 1,
                                  "id": secrets.token_hex(12), "answers": [{"answer": [n]} for n in ns]}
    zones[name] = z
    return z


def short(r):
    return {"domain": r["domain"], "type": r["type"], "ttl": r["ttl"], "tier": r.get("tier", 1), "id": r["id"],
            "short_answers": [" ".join(str(x) for x in a["answer"]) for a in r["answers"]]}


def zone_view(z, with_records=True):
    out = {k: v for k, v in z.items() if k != "records"}
    if with_records:
        out["records"] = [short(r) for r in sorted(z["records"].values(), key=lambda r: (r["domain"], r["type"]))]
    return out


class Handler(JSONHandler):
    def dispatch(self, method):
        url = urlparse(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if url.path.startswith("/__"):
            return self.control(url, body)
        with overlap.request(method):
            self.api(method, url, body)

    def api(self, method, url, body):
        with lock:
            entry = {"method": method, "path": url.path, "op": None}
            requests_seen.append(entry)
            ok, hdrs = rate_headers()
            try:
                if faults["n"] > 0:
                    faults["n"] -= 1
                    st = faults["status"]
                    if st == "drop":
                        return self.drop()
                    if st == "garbage":
                        return self.send_json(200, None, raw=b'{"zone": "x", "records": [', headers=hdrs)
                    if st == 429:
                        raise Fail(429, "rate limit exceeded")
                    raise Fail(int(st), "internal error")
                if not ok:
                    entry["throttled"] = True
                    raise Fail(429, "rate limit exceeded")
                if self.headers.get("X-NSONE-Key") != KEY:
                    raise Fail(401, "Unauthorized")
                for m, rx, name, op in ROUTES:
                    mo = rx.match(url.path)
                    if mo and m == method:
                        break
                else:
                    raise Invalid("no operation of the API reference is %s %s" % (method, url.path))
                entry["op"] = name
                if url.query:
                    raise Invalid("%s takes no query parameters (%s)" % (name, url.query))
                p = {k: unquote(v) for k, v in mo.groupdict().items()}
                obj = None
                if "body" in op:
                    try:
                        obj = json.loads(body or b"null")
                    except ValueError as e:
                        raise Invalid("%s: the body is not JSON: %s" % (name, e))
                    check_fields(API["record"] if op["body"] == "record" else op["body"], obj, name)
                    for k in op.get("required", []):
                        if k not in obj:
                            raise Invalid("%s: required field %s missing" % (name, k))
                elif body:
                    raise Invalid("%s takes no body" % name)
                status, out = self.operation(name, p, obj)
                if after["n"] > 0 and after["method"] in (None, method):
                    # done, then answered with an error (a gateway that lost the answer)
                    after["n"] -= 1
                    raise Fail(int(after["status"]), "internal error")
                return self.send_json(status, out, headers=hdrs)
            except Invalid as e:
                msg = "%s %s: %s" % (method, self.path, e)
                invalid_seen.append(msg)
                print("ns1 fake: INVALID REQUEST: " + msg, file=sys.stderr, flush=True)
                return self.send_json(400, {"message": str(e)}, headers=hdrs)
            except Fail as f:
                return self.send_json(f.status, {"message": f.message}, headers=hdrs)
            except Exception as e:  # the fake's own bug: fail the test loudly
                invalid_seen.append("FAKE BUG on %s %s: %r" % (method, self.path, e))
                print("ns1 fake: BUG: %s %s: %r" % (method, self.path, e), file=sys.stderr, flush=True)
                return self.send_json(500, {"message": "fake bug"})

    def operation(self, name, p, obj):
        if name == "zones.list":
            return 200, [zone_view(z, False) for z in sorted(zones.values(), key=lambda z: z["zone"])]
        if name == "zones.create":
            if p["zone"] in zones:
                raise Fail(400, "zone already exists")
            if obj["zone"] != p["zone"]:
                raise Fail(400, "zone name in the body differs from the URL")
            return 200, zone_view(make_zone(p["zone"]))
        z = zones.get(p["zone"])
        if not z:
            raise Fail(404, "zone not found")
        if name == "zones.get":
            return 200, zone_view(z)
        if name == "zones.delete":
            del zones[p["zone"]]
            return 200, {}
        key = (p["domain"].lower(), p["type"])
        cur = z["records"].get(key)
        if name == "records.get":
            if not cur:
                raise Fail(404, "record not found")
            return 200, cur
        if name == "records.delete":
            if not cur:
                raise Fail(404, "record not found")
            del z["records"][key]
            return 200, {}
        if name == "records.create" and cur:
            raise Fail(400, "record already exists")
        if name == "records.update" and not cur:
            raise Fail(404, "record not found")
        for k, want in (("zone", p["zone"]), ("domain", key[0]), ("type", key[1])):
            if k in obj and (str(obj[k]).lower() if k != "type" else obj[k]) != want:
                raise Fail(400, "%s in the body differs from the URL" % k)
        if not in_zone(key[0], z["zone"]):
            raise Fail(400, "record %s is not in zone %s" % (key[0], z["zone"]))
        if not obj["answers"]:
            raise Fail(400, "a record needs at least one answer")
        for i, a in enumerate(obj["answers"]):
            check_answer(key[1], a["answer"], "answers[%d].answer" % i)
        rec = {"zone": z["zone"], "domain": key[0], "type": key[1], "ttl": obj.get("ttl", cur["ttl"] if cur else 3600),
               "tier": 1, "id": cur["id"] if cur else secrets.token_hex(12),
               "answers": [{"answer": a["answer"], "id": secrets.token_hex(12)} for a in obj["answers"]]}
        z["records"][key] = rec
        return 200, rec

    def control(self, url, body):
        with lock:
            if url.path == "/__requests":
                return self.send_json(200, list(requests_seen))
            if url.path == "/__invalid":
                return self.send_json(200, list(invalid_seen))
            if url.path == "/__overlap":
                return self.send_json(200, {"most": overlap.most()})
            if url.path == "/__zone":
                name = dict(x.split("=", 1) for x in url.query.split("&") if "=" in x).get("name", "")
                z = zones.get(name.rstrip(".").lower())
                return self.send_json(200, [] if not z else [dict(zone_view(z, False), records=sorted(
                    z["records"].values(), key=lambda r: (r["domain"], r["type"])))])
            b = json.loads(body or b"{}")
            if "zone" in b:
                make_zone(b["zone"])
            if "hold" in b:
                overlap.hold(b["hold"], b.get("wait", 0), b.get("writes", False))
            if "fail_next" in b:
                faults.update(n=b["fail_next"], status=b.get("status", 500))
            if "fail_after_next" in b:
                after.update(n=b["fail_after_next"], status=b.get("status", 500), method=b.get("method"))
            if "set" in b:
                s = b["set"]
                z = zones[s["zone"].rstrip(".").lower()]
                key = (s["domain"].lower(), s["type"])
                if s.get("answers") is None:
                    z["records"].pop(key, None)
                else:
                    z["records"][key] = {"zone": z["zone"], "domain": key[0], "type": key[1], "ttl": s["ttl"],
                                         "tier": 1, "id": secrets.token_hex(12), "answers": s["answers"]}
        return self.send_json(200, {"ok": True})


if __name__ == "__main__":
    serve(PORT, Handler)
