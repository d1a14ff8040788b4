#!/usr/bin/env python3
"""gcloud.py PORT CLIENT_EMAIL MODULUS_HEX [--project P] [--page-max N] [--token-ttl S]
           [--done-after N]

A fake of Google Cloud DNS v1, driven by Google's discovery document of the API
(models/dns-v1-discovery.json, cut from the document the Google API client libraries
ship) through discovery.py: every request is matched to one of the document's methods,
its parameters and JSON body checked against it. What the document allows but the service
refuses is refused as Cloud DNS documents it:
- OAuth2: POST /token takes a JWT bearer grant (RFC 7523) whose RS256 signature is checked
  with the service account's public key (MODULUS_HEX, exponent 65537), whose iss is
  CLIENT_EMAIL, aud the token URL, scope Cloud DNS's, and lifetime at most an hour; it
  answers an access token living --token-ttl seconds. An API request without a live token
  is 401 UNAUTHENTICATED.
- changes.create is atomic: a deletion that does not match the current RRset exactly
  (TTL and every rrdata) is 412 conditionNotMet, an addition of an RRset that exists is
  409 alreadyExists, a CNAME beside other data or the zone left without its SOA or apex
  NS is 400, a value that does not parse for its type is 400; nothing is applied then.
- a new managed zone gets an SOA and four NS of its name server set; managedZones.delete
  refuses a zone holding more than those (400 containerNotEmpty);
- resourceRecordSets.list and managedZones.list page with maxResults/pageToken;
- changes.get answers "pending" for --done-after polls, then "done".

Test controls (not Google's), JSON to POST /__control: {"zone": NAME} creates a managed
zone; {"fail_next": K, "status": 429|500|503|"garbage"|"drop", "op": METHOD} makes the
next K API requests (of that method, e.g. "changes.create") fail; {"set": {"zone",
"name", "type", "ttl", "rrdatas"}} writes an RRset behind the client's back ([] deletes);
{"expire_tokens":
true} expires every access token issued so far; {"revoke": true} makes the token endpoint
refuse the service account; {"static_token": T} accepts T as an access token; {"hold": N,
"wait": S}: each API request (not the token endpoint's) waits, up to S seconds and until
one of them saw N in flight, for N to be in flight at once (N 0: off; "writes": true: the
requests other than GET alone).
GET /__requests (method, path, id), GET /__invalid (rejected requests: a test fails when
not empty), GET /__zone?name=N, GET /__overlap (the most API requests in flight at once
since the last hold). Runs on 127.0.0.1 until killed."""
import base64
import hashlib
import json
import os
import re
import secrets
import sys
import threading
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from discovery import Discovery, Invalid  # noqa: E402
from fakehttp import JSONHandler, Overlap, serve  # noqa: E402

PORT, EMAIL, MODULUS = int(sys.argv[1]), sys.argv[2], int(sys.argv[3], 16)


def opt(name, default, conv=int):
    return conv(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


PROJECT = opt("--project", "zonesync-test", str)
PAGE_MAX = opt("--page-max", 1000)
TOKEN_TTL = opt("--token-ttl", 3600)
DONE_AFTER = opt("--done-after", 1)
DOC = Discovery(os.path.join(os.path.dirname(os.path.abspath(__file__)), "models", "dns-v1-discovery.json"))
SCOPES = {"https://www.googleapis.com/auth/ndev.clouddns.readwrite", "https://www.googleapis.com/auth/cloud-platform"}
TYPES = {"A", "AAAA", "CAA", "CNAME", "DNSKEY", "DS", "HTTPS", "IPSECKEY", "MX", "NAPTR", "NS", "PTR", "SOA",
         "SPF", "SRV", "SSHFP", "SVCB", "TLSA", "TXT"}

lock = threading.Lock()
zones = {}        # name -> zone
tokens = {}       # access token -> expiry (time.time())
requests_seen, invalid_seen = [], []
faults = {"n": 0, "status": 500, "op": None}
state = {"revoked": False, "next_id": 1000}
overlap = Overlap()


class Fail(Exception):
    def __init__(self, status, reason, message, grpc=None):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message
        self.grpc = grpc or {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                             404: "NOT_FOUND", 409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION",
                             429: "RESOURCE_EXHAUSTED"}.get(status, "INTERNAL")

    def body(self):
        return {"error": {"code": self.status, "message": self.message, "status": self.grpc,
                          "errors": [{"domain": "global", "reason": self.reason, "message": self.message}]}}


def now_rfc3339():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# ---- the JWT bearer grant ---------------------------------------------------------------
def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


DIGESTINFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")


def rs256_ok(signing_input, sig):
    k = (MODULUS.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    m = pow(int.from_bytes(sig, "big"), 65537, MODULUS).to_bytes(k, "big")
    t = DIGESTINFO_SHA256 + hashlib.sha256(signing_input).digest()
    return m == b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


def token_grant(form):
    if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or "assertion" not in form:
        raise Invalid("token: expected grant_type jwt-bearer and an assertion, got %s" % sorted(form))
    parts = form["assertion"].split(".")
    if len(parts) != 3:
        raise Invalid("token: the assertion is not a JWS compact serialisation")
    try:
        header, claims, sig = json.loads(b64url(parts[0])), json.loads(b64url(parts[1])), b64url(parts[2])
    except ValueError as e:
        raise Invalid("token: the assertion does not decode: %s" % e)
    if header.get("alg") != "RS256" or header.get("typ", "JWT") != "JWT":
        raise Invalid("token: JWT header %r, expected alg RS256" % header)
    t = time.time()
    for k in ("iss", "scope", "aud", "iat", "exp"):
        if k not in claims:
            raise Invalid("token: claim %s missing" % k)
    if state["revoked"]:
        return 400, {"error": "invalid_grant", "error_description": "Invalid grant: account not found"}
    if not rs256_ok((parts[0] + "." + parts[1]).encode(), sig):
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
    if claims["iss"] != EMAIL:
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: iss is not the service account"}
    if claims["aud"] != "http://127.0.0.1:%d/token" % PORT:
        raise Invalid("token: aud %r is not the token URL" % claims["aud"])
    if not SCOPES & set(claims["scope"].split()):
        raise Invalid("token: scope %r does not grant Cloud DNS" % claims["scope"])
    if abs(claims["iat"] - t) > 300 or claims["exp"] <= t or claims["exp"] - claims["iat"] > 3600:
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: Token must be a short-lived token "
                     "(60 minutes) and in a reasonable timeframe."}
    tok = "ya29.fake-" + secrets.token_urlsafe(24)
    tokens[tok] = t + TOKEN_TTL
    return 200, {"access_token": tok, "expires_in": TOKEN_TTL, "token_type": "Bearer"}


# ---- records ----------------------------------------------------------------------------
def tokens_of(v):
    """Presentation tokens (zone-file escapes, \\DDD decimal); ValueError when quotes are open."""
    out, i = [], 0
    while i < len(v):
        if v[i] in " \t":
            i += 1
            continue
        q = v[i] == '"'
        i += q
        buf = bytearray()
        closed = not q
        while i < len(v):
            c = v[i]
            if q and c == '"':
                i += 1
                closed = True
                break
            if not q and c in " \t":
                break
            if c == "\\" and re.fullmatch(r"[0-9]{3}", v[i + 1:i + 4]):
                buf.append(int(v[i + 1:i + 4]) & 0xFF)
                i += 4
                continue
            if c == "\\" and i + 1 < len(v):
                buf.extend(v[i + 1].encode())
                i += 2
                continue
            buf.extend(c.encode())
            i += 1
        if not closed:
            raise ValueError("unterminated string")
        out.append((q, bytes(buf)))
    return out


def fqdn(t):
    return t.endswith(".") and ".." not in t and len(t) <= 254


def check_rrdata(rtype, v):
    try:
        toks = tokens_of(v)
    except ValueError:
        return False
    w = [t.decode("latin-1") for q, t in toks]
    n = len(w)
    num = lambda x, mx: x.isdigit() and int(x) <= mx  # noqa: E731
    if rtype == "A":
        return bool(re.fullmatch(r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}", v))
    if rtype == "AAAA":
        return n == 1 and ":" in v and bool(re.fullmatch(r"[0-9a-fA-F:.]+", v))
    if rtype in ("CNAME", "NS", "PTR"):
        return n == 1 and fqdn(w[0])
    if rtype == "MX":
        return n == 2 and num(w[0], 65535) and fqdn(w[1])
    if rtype == "SRV":
        return n == 4 and all(num(x, 65535) for x in w[:3]) and fqdn(w[3])
    if rtype in ("TXT", "SPF"):
        return n >= 1 and all(len(t) <= 255 for q, t in toks)
    if rtype == "CAA":
        return n == 3 and num(w[0], 255)
    if rtype == "SOA":
        return n == 7 and fqdn(w[0]) and fqdn(w[1]) and all(x.isdigit() for x in w[2:])
    if rtype in ("DS", "TLSA", "SSHFP", "DNSKEY", "NAPTR", "SVCB", "HTTPS", "IPSECKEY"):
        return n >= 2
    return False


def rrkey(rs):
    return (rs["name"].lower(), rs["type"])


def same_rrset(a, b):
    return a.get("ttl") == b.get("ttl") and sorted(a.get("rrdatas", [])) == sorted(b.get("rrdatas", []))


def make_zone(dns_name, name=None, description=""):
    zid = str(state["next_id"])
    state["next_id"] += 1
    k = int(zid) % 10
    ns = ["ns-cloud-%s%d.googledomains.com." % (c, k) for c in "abcd"]
    z = {"kind": "dns#managedZone", "name": name or "zone-" + zid, "dnsName": dns_name.lower(), "id": zid,
         "description": description, "nameServers": ns, "creationTime": now_rfc3339(), "visibility": "public",
         "rrsets": {}, "changes": {}}
    z["rrsets"][(z["dnsName"], "SOA")] = {"kind": "dns#resourceRecordSet", "name": z["dnsName"], "type": "SOA",
                                          "ttl": 21600, "rrdatas": ["%s cloud-dns-hostmaster.google.com. 1 21600 "
                                                                    "3600 259200 300" % ns[0]]}
    z["rrsets"][(z["dnsName"], "NS")] = {"kind": "dns#resourceRecordSet", "name": z["dnsName"], "type": "NS",
                                         "ttl": 21600, "rrdatas": list(ns)}
    zones[z["name"]] = z
    return z


def zone_view(z):
    return {k: v for k, v in z.items() if k not in ("rrsets", "changes")}


def find_zone(params):
    if params["project"] != PROJECT:
        raise Fail(404, "notFound", "The 'parameters.project' resource named '%s' does not exist." % params["project"])
    key = params["managedZone"]
    for z in zones.values():
        if z["name"] == key or z["id"] == key:
            return z
    raise Fail(404, "notFound", "The 'parameters.managedZone' resource named '%s' does not exist." % key)


def apply_change(z, ch):
    snap = dict(z["rrsets"])
    for i, d in enumerate(ch.get("deletions") or []):
        where = "entity.change.deletions[%d]" % i
        for k in ("name", "type"):
            if k not in d:
                raise Fail(400, "required", "Required field '%s.%s' not specified" % (where, k))
        cur = snap.get(rrkey(d))
        if not cur or not same_rrset(cur, d):
            raise Fail(412, "conditionNotMet", "Precondition not met for '%s'" % where)
        del snap[rrkey(d)]
    for i, a in enumerate(ch.get("additions") or []):
        where = "entity.change.additions[%d]" % i
        for k in ("name", "type", "ttl", "rrdatas"):
            if k not in a:
                raise Fail(400, "required", "Required field '%s.%s' not specified" % (where, k))
        if not a["name"].endswith(".") or not (a["name"].lower() == z["dnsName"] or
                                              a["name"].lower().endswith("." + z["dnsName"])):
            raise Fail(400, "invalid", "Invalid value for '%s.name': '%s'" % (where, a["name"]))
        if a["type"] not in TYPES:
            raise Fail(400, "invalid", "Invalid value for '%s.type': '%s'" % (where, a["type"]))
        if not a["rrdatas"] or len(set(a["rrdatas"])) != len(a["rrdatas"]):
            raise Fail(400, "invalid", "Invalid value for '%s.rrdata': duplicate or empty" % where)
        for j, v in enumerate(a["rrdatas"]):
            if not check_rrdata(a["type"], v):
                raise Fail(400, "invalid", "Invalid value for '%s.rrdata[%d]': '%s'" % (where, j, v))
        if rrkey(a) in snap:
            raise Fail(409, "alreadyExists", "The resource '%s' named '%s (%s)' already exists"
                       % (where, a["name"], a["type"]))
        rs = {"kind": "dns#resourceRecordSet", "name": a["name"].lower(), "type": a["type"], "ttl": a["ttl"],
              "rrdatas": list(a["rrdatas"])}
        snap[rrkey(a)] = rs
    names = {}
    for (n, t) in snap:
        names.setdefault(n, set()).add(t)
    for n, ts in names.items():
        if "CNAME" in ts and len(ts) > 1:
            raise Fail(400, "cnameResourceRecordSetConflict", "The resource record set 'entity.change' with name "
                       "'%s' has a CNAME beside other data" % n)
    if (z["dnsName"], "SOA") not in snap or (z["dnsName"], "NS") not in snap:
        raise Fail(400, "headerRecordSetTypeMismatch", "The zone must keep its SOA and NS resource record sets "
                   "at '%s'" % z["dnsName"])
    z["rrsets"] = snap


class Handler(JSONHandler):
    def fail(self, f):
        self.send_json(f.status, f.body())

    def dispatch(self, method):
        url = urlparse(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if url.path.startswith("/__"):
            return self.control(url, body)
        if url.path == "/token":
            return self.api(method, url, body)
        with overlap.request(method):
            return self.api(method, url, body)

    def api(self, method, url, body):
        mid = None
        with lock:
            try:
                if url.path == "/token" and method == "POST":
                    mid = "token"
                else:
                    mid, m, pp = DOC.match(method, url.path)
                entry = {"method": method, "path": url.path, "id": mid}
                requests_seen.append(entry)
                if faults["n"] > 0 and faults["op"] in (None, mid) and mid != "token":
                    faults["n"] -= 1
                    st = faults["status"]
                    if st == "drop":
                        return self.drop()
                    if st == "garbage":
                        return self.send_json(200, None, raw=b'{"rrsets": [{"name": ')
                    if st == 429:
                        raise Fail(429, "rateLimitExceeded", "Quota exceeded for quota metric 'Read requests' of "
                                   "service 'dns.googleapis.com'")
                    raise Fail(int(st), "backendError", "Internal error encountered.")
                if mid == "token":
                    if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                        raise Invalid("token: the grant must be a form (application/x-www-form-urlencoded)")
                    status, out = token_grant(dict(parse_qsl(body.decode())))
                    return self.send_json(status, out)
                if not mid:
                    raise Invalid("no method of the discovery document is %s %s" % (method, url.path))
                auth = self.headers.get("Authorization", "")
                tok = auth[7:] if auth.startswith("Bearer ") else None
                if not tok or tok not in tokens or tokens[tok] <= time.time():
                    raise Fail(401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 "
                               "access token, login cookie or other valid authentication credential.")
                params, obj = DOC.parse(mid, m, pp, url.query, body)
                status, out = self.operation(mid, params, obj, entry)
                if out is None:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self.send_json(status, DOC.answer(m, out))
            except Invalid as e:
                msg = "%s %s: %s" % (method, self.path, e)
                invalid_seen.append(msg)
                print("gcloud fake: INVALID REQUEST: " + msg, file=sys.stderr, flush=True)
                return self.fail(Fail(400, "invalid", str(e)))
            except Fail as f:
                return self.fail(f)
            except Exception as e:  # the fake's own bug: fail the test loudly
                invalid_seen.append("FAKE BUG on %s %s: %r" % (method, self.path, e))
                print("gcloud fake: BUG: %s %s: %r" % (method, self.path, e), file=sys.stderr, flush=True)
                return self.fail(Fail(500, "backendError", "fake bug"))

    def page(self, items, params, key):
        mx = min(params.get("maxResults") or PAGE_MAX, PAGE_MAX)
        start = 0
        if params.get("pageToken"):
            if not params["pageToken"].isdigit():
                raise Fail(400, "invalid", "Invalid value for 'pageToken'")
            start = int(params["pageToken"])
        out = {key: items[start:start + mx]}
        if start + mx < len(items):
            out["nextPageToken"] = str(start + mx)
        return out

    def operation(self, mid, params, obj, entry):
        if mid == "managedZones.list":
            if params["project"] != PROJECT:
                raise Fail(404, "notFound", "The 'parameters.project' resource named '%s' does not exist."
                           % params["project"])
            zs = sorted(zones.values(), key=lambda z: z["id"])
            if "dnsName" in params:
                zs = [z for z in zs if z["dnsName"] == params["dnsName"].lower()]
            out = self.page([zone_view(z) for z in zs], params, "managedZones")
            out["kind"] = "dns#managedZonesListResponse"
            return 200, out
        if mid == "managedZones.get":
            return 200, zone_view(find_zone(params))
        if mid == "managedZones.create":
            if params["project"] != PROJECT:
                raise Fail(404, "notFound", "no such project")
            for k in ("name", "dnsName", "description"):
                if k not in obj:
                    raise Fail(400, "required", "Required field 'entity.managedZone.%s' not specified" % k)
            if not re.fullmatch(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?", obj["name"]):
                raise Fail(400, "invalid", "Invalid value for 'entity.managedZone.name': '%s'" % obj["name"])
            if not obj["dnsName"].endswith("."):
                raise Fail(400, "invalid", "Invalid value for 'entity.managedZone.dnsName': '%s'" % obj["dnsName"])
            if obj["name"] in zones:
                raise Fail(409, "alreadyExists", "The resource 'entity.managedZone' named '%s' already exists"
                           % obj["name"])
            return 200, zone_view(make_zone(obj["dnsName"], obj["name"], obj["description"]))
        if mid == "managedZones.delete":
            z = find_zone(params)
            if any(k[0] != z["dnsName"] or k[1] not in ("SOA", "NS") for k in z["rrsets"]):
                raise Fail(400, "containerNotEmpty", "The resource named '%s' cannot be deleted because it is not "
                           "empty" % z["name"])
            del zones[z["name"]]
            return 204, None
        if mid == "resourceRecordSets.list":
            z = find_zone(params)
            items = sorted(z["rrsets"].values(), key=lambda r: (r["name"], r["type"]))
            if "name" in params:
                items = [r for r in items if r["name"] == params["name"].lower()]
            if "type" in params:
                if "name" not in params:
                    raise Fail(400, "invalid", "type requires name")
                items = [r for r in items if r["type"] == params["type"]]
            out = self.page(items, params, "rrsets")
            out["kind"] = "dns#resourceRecordSetsListResponse"
            return 200, out
        if mid == "changes.create":
            z = find_zone(params)
            if not obj.get("additions") and not obj.get("deletions"):
                raise Fail(400, "required", "The 'entity.change' resource has no additions or deletions")
            for k in ("id", "status", "startTime", "isServing"):
                if k in obj:
                    raise Invalid("changes.create: %s is output only" % k)
            apply_change(z, obj)
            cid = str(len(z["changes"]) + 1)
            entry["additions"], entry["deletions"] = len(obj.get("additions") or []), len(obj.get("deletions") or [])
            ch = {"kind": "dns#change", "id": cid, "startTime": now_rfc3339(), "status": "pending",
                  "additions": obj.get("additions") or [], "deletions": obj.get("deletions") or []}
            z["changes"][cid] = [ch, 0]
            return 200, ch
        if mid == "changes.get":
            z = find_zone(params)
            if params["changeId"] not in z["changes"]:
                raise Fail(404, "notFound", "The 'parameters.changeId' resource named '%s' does not exist."
                           % params["changeId"])
            c = z["changes"][params["changeId"]]
            c[1] += 1
            c[0]["status"] = "done" if c[1] > DONE_AFTER else "pending"
            return 200, c[0]
        raise Invalid("method %s is not served by the fake" % mid)

    def control(self, url, body):
        q = dict(parse_qsl(url.query))
        with lock:
            if url.path == "/__requests":
                return self.send_json(200, list(requests_seen))
            if url.path == "/__invalid":
                return self.send_json(200, list(invalid_seen))
            if url.path == "/__overlap":
                return self.send_json(200, {"most": overlap.most()})
            if url.path == "/__zone":
                zs = [z for z in zones.values() if z["dnsName"] == q.get("name", "").lower()]
                return self.send_json(200, [dict(zone_view(z), rrsets=sorted(z["rrsets"].values(),
                                                                               key=lambda r: (r["name"], r["type"])))
                                            for z in zs])
            b = json.loads(body or b"{}")
            if "zone" in b:
                make_zone(b["zone"].rstrip(".") + ".")
            if "fail_next" in b:
                faults.update(n=b["fail_next"], status=b.get("status", 500), op=b.get("op"))
            if "hold" in b:
                overlap.hold(b["hold"], b.get("wait", 0), b.get("writes", False))
            if b.get("expire_tokens"):
                for t in tokens:
                    tokens[t] = 0
            if "revoke" in b:
                state["revoked"] = bool(b["revoke"])
            if "static_token" in b:
                tokens[b["static_token"]] = time.time() + 86400
            if "set" in b:
                s = b["set"]
                z = [z for z in zones.values() if z["dnsName"] == s["zone"].rstrip(".").lower() + "."][0]
                key = (s["name"].lower(), s["type"])
                if s.get("rrdatas"):
                    z["rrsets"][key] = {"kind": "dns#resourceRecordSet", "name": key[0], "type": s["type"],
                                        "ttl": s["ttl"], "rrdatas": s["rrdatas"]}
                else:
                    z["rrsets"].pop(key, None)
        return self.send_json(200, {"ok": True})


if __name__ == "__main__":
    serve(PORT, Handler)
