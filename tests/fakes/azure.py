#!/usr/bin/env python3
"""azure.py PORT TENANT CLIENT_ID CLIENT_SECRET [--subscription S] [--page-max N] [--token-ttl S]

A fake of Azure DNS (Microsoft.Network/dnsZones, api-version 2018-05-01), driven by the
Azure REST API specification (models/azure-dns-2018-05-01.json, a subset of
specification/dns/.../stable/2018-05-01/dns.json): every request is matched to one of the
specification's operations; its path, query and header parameters (required ones, enums,
integers, the api-version) and its JSON body (unknown properties, JSON types, read-only
properties sent) are checked against it, and the fake's answers against the response
schemas. What the specification allows but Azure refuses is refused as Azure documents it:
- OAuth2 client credentials (Microsoft identity platform v2): POST /TENANT/oauth2/v2.0/token
  with client_id, client_secret and scope https://management.azure.com/.default; a wrong
  secret is 401 invalid_client; an API request without a live token is 401
  InvalidAuthenticationToken (ExpiredAuthenticationToken once it expired).
- record sets carry ETags: a PUT or DELETE whose If-Match is not the current ETag is 412
  PreconditionFailed, a PUT with If-None-Match: * of an existing set too; nothing changes.
- a record set holds the record array of its own type only; SOA is updated, never created
  or deleted; the apex NS is Azure's own (its name servers cannot be removed); a CNAME
  beside other record sets is 409 Conflict.
- a new zone gets an SOA and the four name servers of its name server set; paging with
  $top and nextLink ($skipToken).

Test controls (not Azure's), JSON to POST /__control: {"zone": NAME} creates a zone in
resource group "zonesync"; {"fail_next": K, "status": 429|500|503|"garbage"|"drop"} makes the
next K API requests fail; {"set": {"zone", "name" (relative), "type", "ttl", "records"}} writes a record
set behind the client's back (its ETag changes; "records": null deletes it); {"expire_tokens":
true}; {"hold": N, "wait": S}: each API request (not the token endpoint's) waits, up to S
seconds and until one of them saw N in flight, for N to be in flight at once (N 0: off;
"writes": true: the PUTs and DELETEs alone). GET /__requests (method, path, op), GET
/__invalid, GET /__zone?name=N, GET /__overlap (the most API requests in flight at once
since the last hold). Runs on 127.0.0.1 until killed."""
import json
import os
import re
import secrets
import sys
import threading
import time
import uuid
from urllib.parse import parse_qsl, quote, unquote, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakehttp import JSONHandler, Overlap, serve  # noqa: E402

PORT, TENANT, CLIENT_ID, CLIENT_SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def opt(name, default, conv=int):
    return conv(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


SUBSCRIPTION = opt("--subscription", "00000000-0000-0000-0000-000000000001", str)
PAGE_MAX = opt("--page-max", 100)
TOKEN_TTL = opt("--token-ttl", 3599)
SPEC = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "models", "azure-dns-2018-05-01.json")))
API_VERSION = SPEC["info"]["version"]
ARRAY_OF = {"A": "ARecords", "AAAA": "AAAARecords", "CAA": "caaRecords", "MX": "MXRecords", "NS": "NSRecords",
            "PTR": "PTRRecords", "SRV": "SRVRecords", "TXT": "TXTRecords", "CNAME": "CNAMERecord", "SOA": "SOARecord"}

lock = threading.Lock()
zones = {}      # (rg, name) -> zone
tokens = {}
requests_seen, invalid_seen = [], []
faults = {"n": 0, "status": 500, "op": None}
overlap = Overlap()


class Invalid(Exception):
    pass


class Fail(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# ---- the specification ---------------------------------------------------------------------
ROUTES = []
for tmpl, ops in SPEC["paths"].items():
    rx = "^" + re.sub(r"\\\{(\w+)\\\}", lambda mo: "(?P<%s>[^/]+)" % mo.group(1), re.escape(tmpl)) + "$"
    for m, op in ops.items():
        ROUTES.append((m.upper(), re.compile(rx, re.I), op))


def param(p):
    return SPEC["parameters"][p["$ref"].split("/")[-1]] if "$ref" in p else p


def definition(ref):
    return SPEC["definitions"][ref.split("/")[-1]]


def props_of(s):
    out = dict(s.get("properties", {}))
    for parent in s.get("allOf", []):
        out.update(props_of(definition(parent["$ref"])))
    return out


def required_of(s):
    out = list(s.get("required", []))
    for parent in s.get("allOf", []):
        out += required_of(definition(parent["$ref"]))
    return out


def check(s, v, where, request=True):
    if "$ref" in s:
        return check(definition(s["$ref"]), v, where, request)
    if "properties" in s or "allOf" in s or s.get("type") == "object" and "additionalProperties" not in s:
        if not isinstance(v, dict):
            raise Invalid("%s: expected an object" % where)
        props = props_of(s)
        for k, x in v.items():
            if k not in props:
                raise Invalid("%s: unknown property %r" % (where, k))
            if request and props[k].get("readOnly"):
                raise Invalid("%s.%s is read-only" % (where, k))
            check(props[k], x, "%s.%s" % (where, k), request)
        if request:
            for k in required_of(s):
                if k not in v:
                    raise Invalid("%s: required property %s missing" % (where, k))
        return
    t = s.get("type")
    if t == "object":
        if not isinstance(v, dict):
            raise Invalid("%s: expected an object" % where)
        for k, x in v.items():
            check(s["additionalProperties"], x, "%s.%s" % (where, k), request)
    elif t == "array":
        if not isinstance(v, list):
            raise Invalid("%s: expected an array" % where)
        for i, x in enumerate(v):
            check(s["items"], x, "%s[%d]" % (where, i), request)
    elif t == "string":
        if not isinstance(v, str):
            raise Invalid("%s: expected a string, found %r" % (where, v))
        if "enum" in s and v not in s["enum"]:
            raise Invalid("%s: %r not one of %s" % (where, v, s["enum"]))
    elif t == "integer":
        if not isinstance(v, int) or isinstance(v, bool):
            raise Invalid("%s: expected an integer, found %r" % (where, v))
        if s.get("format") == "int32" and not -2 ** 31 <= v < 2 ** 31:
            raise Invalid("%s: %d is not an int32" % (where, v))


def parse(method, url, headers, body):
    for m, rx, op in ROUTES:
        mo = rx.match(url.path)
        if mo and m == method:
            break
    else:
        raise Invalid("no operation of the specification is %s %s" % (method, url.path))
    got = {k: unquote(v) for k, v in mo.groupdict().items()}
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    out, obj = {}, None
    for p in map(param, op["parameters"]):
        n, where = p["name"], p["in"]
        if where == "path":
            v = got.get(n)
        elif where == "query":
            v = query.pop(n, None)
        elif where == "header":
            v = headers.get(n)
        else:
            if not body:
                if p.get("required"):
                    raise Invalid("%s: the body is required" % op["operationId"])
                continue
            try:
                obj = json.loads(body)
            except ValueError as e:
                raise Invalid("%s: the body is not JSON: %s" % (op["operationId"], e))
            check(p["schema"], obj, p["schema"]["$ref"].split("/")[-1])
            continue
        if v is None:
            if p.get("required"):
                raise Invalid("%s: required %s parameter %s missing" % (op["operationId"], where, n))
            continue
        if "enum" in p and v not in p["enum"]:
            raise Invalid("%s: parameter %s: %r not one of %s" % (op["operationId"], n, v, p["enum"]))
        if p.get("type") == "integer":
            if not re.fullmatch(r"[0-9]+", v):
                raise Invalid("%s: parameter %s: %r is not an integer" % (op["operationId"], n, v))
            v = int(v)
        out[n] = v
    if "x-ms-pageable" in op:
        query.pop("$skipToken", None)  # ARM's continuation in nextLink
    if query:
        raise Invalid("%s: unknown query parameter(s) %s" % (op["operationId"], sorted(query)))
    if body and obj is None:
        raise Invalid("%s takes no body" % op["operationId"])
    if out.get("api-version") != API_VERSION:
        raise Fail(400, "InvalidApiVersionParameter", "The api-version '%s' is invalid." % out.get("api-version"))
    return op, out, obj


def answer(op, status, obj):
    r = op["responses"].get(str(status))
    if r is None:
        raise AssertionError("fake bug: %s has no %d response" % (op["operationId"], status))
    if "schema" in r:
        try:
            check(r["schema"], obj, "answer", request=False)
        except Invalid as e:
            raise AssertionError("fake bug: answer breaks the specification: %s" % e)
    return obj


# ---- zones ----------------------------------------------------------------------------------
def rid(rg, zone, rest=""):
    return "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/dnszones/%s%s" % (SUBSCRIPTION, rg, zone, rest)


def make_zone(rg, name):
    k = len(zones) % 10 + 1
    ns = ["ns1-0%d.azure-dns.com." % k, "ns2-0%d.azure-dns.net." % k, "ns3-0%d.azure-dns.org." % k,
          "ns4-0%d.azure-dns.info." % k]
    z = {"rg": rg, "name": name.lower().rstrip("."), "etag": str(uuid.uuid4()), "ns": ns, "sets": {}}
    z["sets"][("@", "SOA")] = {"etag": str(uuid.uuid4()), "TTL": 3600, "SOARecord": {
        "host": ns[0], "email": "azuredns-hostmaster.microsoft.com", "serialNumber": 1, "refreshTime": 3600,
        "retryTime": 300, "expireTime": 2419200, "minimumTTL": 300}}
    z["sets"][("@", "NS")] = {"etag": str(uuid.uuid4()), "TTL": 172800, "NSRecords": [{"nsdname": n} for n in ns]}
    zones[(rg, z["name"])] = z
    return z


def zone_view(z):
    return {"id": rid(z["rg"], z["name"]), "name": z["name"], "type": "Microsoft.Network/dnszones",
            "location": "global", "etag": z["etag"],
            "properties": {"maxNumberOfRecordSets": 10000, "numberOfRecordSets": len(z["sets"]),
                           "nameServers": list(z["ns"]), "zoneType": "Public"}}


def set_view(z, key):
    name, typ = key
    s = z["sets"][key]
    props = {"TTL": s["TTL"], "fqdn": (z["name"] + ".") if name == "@" else "%s.%s." % (name, z["name"]),
             "provisioningState": "Succeeded", ARRAY_OF[typ]: s[ARRAY_OF[typ]]}
    return {"id": rid(z["rg"], z["name"], "/%s/%s" % (typ, name)), "name": name,
            "type": "Microsoft.Network/dnszones/" + typ, "etag": s["etag"], "properties": props}


def find_zone(p):
    if p["subscriptionId"] != SUBSCRIPTION:
        raise Fail(404, "SubscriptionNotFound", "The subscription '%s' could not be found." % p["subscriptionId"])
    z = zones.get((p["resourceGroupName"], p["zoneName"].lower()))
    if not z:
        raise Fail(404, "ResourceNotFound", "The Resource 'Microsoft.Network/dnszones/%s' under resource group '%s' "
                   "was not found." % (p["zoneName"], p["resourceGroupName"]))
    return z


def check_records(typ, props):
    arrays = [k for k in props if k in ARRAY_OF.values()]
    if arrays != [ARRAY_OF[typ]]:
        raise Fail(400, "BadRequest", "A record set of type %s must hold %s (and nothing else), found %s"
                   % (typ, ARRAY_OF[typ], arrays))
    recs = props[ARRAY_OF[typ]]
    if isinstance(recs, list) and not recs:
        raise Fail(400, "BadRequest", "The record set must hold at least one record")
    if "TTL" not in props:
        raise Fail(400, "BadRequest", "The TTL field is required")
    if not 0 <= props["TTL"] <= 2147483647:
        raise Fail(400, "BadRequest", "The TTL %d is outside 0 to 2147483647" % props["TTL"])
    for r in (recs if isinstance(recs, list) else [recs]):
        if typ == "TXT" and any(len(x.encode()) > 1024 for x in r.get("value", [])):
            raise Fail(400, "BadRequest", "A TXT string is longer than 1024 characters")
        if typ == "A" and not re.fullmatch(r"(\d{1,3}\.){3}\d{1,3}", r.get("ipv4Address", "")):
            raise Fail(400, "BadRequest", "The IPv4 address '%s' is invalid" % r.get("ipv4Address"))


class Handler(JSONHandler):
    def fail(self, f):
        self.send_json(f.status, {"error": {"code": f.code, "message": f.message}})

    def dispatch(self, method):
        url = urlparse(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if url.path.startswith("/__"):
            return self.control(url, body)
        if url.path == "/%s/oauth2/v2.0/token" % TENANT:
            return self.api(method, url, body)
        with overlap.request(method):
            return self.api(method, url, body)

    def api(self, method, url, body):
        with lock:
            entry = {"method": method, "path": url.path, "op": None}
            requests_seen.append(entry)
            try:
                if url.path == "/%s/oauth2/v2.0/token" % TENANT and method == "POST":
                    entry["op"] = "token"
                    return self.token(body)
                if faults["n"] > 0:
                    faults["n"] -= 1
                    st = faults["status"]
                    if st == "drop":
                        return self.drop()
                    if st == "garbage":
                        return self.send_json(200, None, raw=b'{"value": [{"name": ')
                    if st == 429:
                        return self.send_json(429, {"error": {"code": "TooManyRequests", "message": "The request "
                                                              "is being throttled."}}, headers={"Retry-After": "1"})
                    raise Fail(int(st), "InternalServerError", "An internal server error occurred.")
                auth = self.headers.get("Authorization", "")
                tok = auth[7:] if auth.startswith("Bearer ") else None
                if not tok or tok not in tokens:
                    raise Fail(401, "InvalidAuthenticationToken", "The access token is invalid.")
                if tokens[tok] <= time.time():
                    raise Fail(401, "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier "
                               "than current UTC time.")
                op, p, obj = parse(method, url, self.headers, body)
                entry["op"] = op["operationId"]
                status, out = self.operation(op["operationId"], p, obj, url)
                if out is None:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self.send_json(status, answer(op, status, out))
            except Invalid as e:
                msg = "%s %s: %s" % (method, self.path, e)
                invalid_seen.append(msg)
                print("azure fake: INVALID REQUEST: " + msg, file=sys.stderr, flush=True)
                return self.fail(Fail(400, "InvalidRequestContent", str(e)))
            except Fail as f:
                return self.fail(f)
            except Exception as e:  # the fake's own bug: fail the test loudly
                invalid_seen.append("FAKE BUG on %s %s: %r" % (method, self.path, e))
                print("azure fake: BUG: %s %s: %r" % (method, self.path, e), file=sys.stderr, flush=True)
                return self.fail(Fail(500, "InternalServerError", "fake bug"))

    def token(self, body):
        if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            raise Invalid("token: the request must be a form")
        f = dict(parse_qsl(body.decode()))
        if f.get("grant_type") != "client_credentials" or f.get("scope") != "https://management.azure.com/.default":
            raise Invalid("token: expected grant_type client_credentials and scope "
                          "https://management.azure.com/.default, got %s" % sorted(f.items() - {("client_secret", f.get("client_secret"))}))
        if f.get("client_id") != CLIENT_ID:
            return self.send_json(400, {"error": "unauthorized_client", "error_description": "AADSTS700016: "
                                        "Application with identifier '%s' was not found in the directory." % f.get("client_id")})
        if f.get("client_secret") != CLIENT_SECRET:
            return self.send_json(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid "
                                        "client secret provided."})
        tok = "eyJ0eXAiOiJKV1Qi.fake." + secrets.token_urlsafe(24)
        tokens[tok] = time.time() + TOKEN_TTL
        return self.send_json(200, {"token_type": "Bearer", "expires_in": TOKEN_TTL, "access_token": tok})

    def operation(self, op, p, obj, url):
        if op == "Zones_ListByResourceGroup":
            zs = sorted((z for z in zones.values() if z["rg"] == p["resourceGroupName"]), key=lambda z: z["name"])
            return 200, {"value": [zone_view(z) for z in zs]}
        if op == "Zones_Get":
            return 200, zone_view(find_zone(p))
        if op == "Zones_CreateOrUpdate":
            key = (p["resourceGroupName"], p["zoneName"].lower())
            if key in zones:
                if p.get("If-None-Match") == "*":
                    raise Fail(412, "PreconditionFailed", "The zone %s already exists." % p["zoneName"])
                return 200, zone_view(zones[key])
            if obj.get("location") != "global":
                raise Fail(400, "LocationNotAvailableForResourceType", "DNS zones are in location 'global'")
            return 201, zone_view(make_zone(p["resourceGroupName"], p["zoneName"]))
        if op == "Zones_Delete":
            z = find_zone(p)
            del zones[(z["rg"], z["name"])]
            return 200, None
        if op == "RecordSets_ListAllByDnsZone":
            z = find_zone(p)
            keys = sorted(z["sets"], key=lambda k: ("" if k[0] == "@" else k[0], k[1]))
            top = min(p.get("$top") or 100, PAGE_MAX)
            skip = int(dict(parse_qsl(url.query)).get("$skipToken", "0") or 0)
            out = {"value": [set_view(z, k) for k in keys[skip:skip + top]]}
            if skip + top < len(keys):
                q = [(k, v) for k, v in parse_qsl(url.query) if k != "$skipToken"] + [("$skipToken", str(skip + top))]
                out["nextLink"] = "http://127.0.0.1:%d%s?%s" % (PORT, url.path, "&".join(
                    "%s=%s" % (quote(k, safe="$"), quote(v, safe="")) for k, v in q))
            return 200, out
        z = find_zone(p)
        key = (p["relativeRecordSetName"].lower(), p["recordType"])
        cur = z["sets"].get(key)
        if op == "RecordSets_Get":
            if not cur:
                raise Fail(404, "NotFound", "The resource record '%s' does not exist in resource group '%s' of "
                           "subscription '%s'." % (p["relativeRecordSetName"], z["rg"], SUBSCRIPTION))
            return 200, set_view(z, key)
        if "If-Match" in p and (not cur or p["If-Match"] not in ("*", cur["etag"])):
            raise Fail(412, "PreconditionFailed", "The condition '%s' in the If-Match header was not satisfied. The "
                       "current was '%s'." % (p["If-Match"], cur["etag"] if cur else "n/a"))
        if op == "RecordSets_Delete":
            if key in (("@", "SOA"), ("@", "NS")):
                raise Fail(400, "BadRequest", "The %s record set at the zone apex cannot be deleted." % key[1])
            if not cur:
                return 204, None
            del z["sets"][key]
            return 200, None
        if op == "RecordSets_CreateOrUpdate":
            if p.get("If-None-Match") == "*" and cur:
                raise Fail(412, "PreconditionFailed", "The record set %s %s already exists." % key)
            props = obj.get("properties") or {}
            check_records(p["recordType"], props)
            if p["recordType"] == "SOA" and not cur:
                raise Fail(400, "BadRequest", "Record sets of type SOA cannot be created.")
            if key == ("@", "NS") and not {n["nsdname"].rstrip(".") for n in z["sets"][key]["NSRecords"][:4]} <= \
                    {n.get("nsdname", "").rstrip(".") for n in props["NSRecords"]}:
                raise Fail(400, "BadRequest", "The name servers of the zone cannot be removed from its NS record set.")
            names = {k[1] for k in z["sets"] if k[0] == key[0] and k != key}
            if names and (p["recordType"] == "CNAME" or "CNAME" in names):
                raise Fail(409, "Conflict", "The record set %s %s conflicts with a CNAME record set of the same name."
                           % key)
            new = {"etag": str(uuid.uuid4()), "TTL": props["TTL"], ARRAY_OF[p["recordType"]]:
                   props[ARRAY_OF[p["recordType"]]]}
            z["sets"][key] = new
            return (200 if cur else 201), set_view(z, key)
        raise Invalid("operation %s is not served by the fake" % op)

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
                zs = [z for z in zones.values() if z["name"] == q.get("name", "").lower().rstrip(".")]
                return self.send_json(200, [{"name": z["name"], "sets": [set_view(z, k) for k in sorted(z["sets"])]}
                                            for z in zs])
            b = json.loads(body or b"{}")
            if "zone" in b:
                make_zone("zonesync", b["zone"])
            if "fail_next" in b:
                faults.update(n=b["fail_next"], status=b.get("status", 500), op=b.get("op"))
            if "hold" in b:
                overlap.hold(b["hold"], b.get("wait", 0), b.get("writes", False))
            if b.get("expire_tokens"):
                for t in tokens:
                    tokens[t] = 0
            if "set" in b:
                s = b["set"]
                z = zones[("zonesync", s["zone"].lower().rstrip("."))]
                key = (s["name"].lower(), s["type"])
                if s.get("records") is None:
                    z["sets"].pop(key, None)
                else:
                    z["sets"][key] = {"etag": str(uuid.uuid4()), "TTL": s["ttl"], ARRAY_OF[s["type"]]: s["records"]}
        return self.send_json(200, {"ok": True})


if __name__ == "__main__":
    serve(PORT, Handler)
