#!/usr/bin/env python3
"""route53.py PORT ACCESS_KEY_ID SECRET_ACCESS_KEY [--session-token T] [--page-max N]
           [--rate N] [--insync-after N]

A fake of the Amazon Route 53 API 2013-04-01, driven by the botocore model of the
service (models/route53-2013-04-01.json, Apache-2.0, cut from boto/botocore) through
restxml.py: every request is matched to one of the model's operations and its input is
checked against the model (URI, query parameters, XML root element and namespace,
element order, required members, types, enums, lengths). What the model allows but the
service refuses is refused as Route 53 documents it:
- AWS Signature Version 4 (service route53, region us-east-1) checked with the secret
  key: an unknown key, a wrong signature, a stale X-Amz-Date, a missing or expired
  session token are 403 with AWS's codes;
- ChangeResourceRecordSets is one transaction: CREATE of an existing set, DELETE of a
  missing set or with values or TTL other than the current ones, the apex SOA/NS deleted,
  CNAME at the apex or beside other data, a value that does not parse for its type, a
  batch of more than 1,000 ResourceRecord elements or 32,000 characters of values (UPSERT
  counts twice) -> InvalidChangeBatch, and nothing of the batch is applied;
- names are stored lower-case with a trailing dot, characters other than a-z 0-9 - _
  as \\ooo octal escapes (a wildcard comes back as \\052);
- ListResourceRecordSets sorts by name with its labels reversed, then type, pages at
  300 (or --page-max) with NextRecordName/NextRecordType/NextRecordIdentifier;
- a new hosted zone gets an SOA and four NS from its delegation set; DeleteHostedZone
  refuses a zone that holds more than those;
- GetChange answers PENDING for --insync-after polls, then INSYNC;
- more than --rate requests in a second (default 5, the account limit) -> 400 Throttling.

Test controls (not Route 53's), JSON to POST /__control:
{"zone": NAME} creates a hosted zone; {"fail_next": K, "status": "throttle"|"prior"|500|
503|"garbage"|"drop", "op": OPERATION} makes the next K requests (of that operation)
fail; with "after": true (status 500 or 503) they are performed first and then answered
that status (an error on the way back: the client cannot know that they happened); {"set": {"zone", "name", "type", "ttl", "values"}} writes an RRset behind the
client's back ("values": [] deletes it); {"alias": {"zone", "name", "type", "target"}} and
{"weighted": {"zone", "name", "type", "id", "weight", "ttl", "values"}} add record sets
zonesync must leave alone; {"expire_after": N} expires the session token after N more
requests; {"hold": N, "wait": S, "op": OPERATION}: each API request (of that operation, or
any) waits, up to S seconds or until one of them saw N in flight, for N to be in flight at
once, so that a client's overlapping requests show (N 0: off). GET /__overlap: the most
such requests seen in flight at once since the last hold. GET /__requests lists the API requests (method, path, op, and for change
batches the number of changes and ResourceRecord elements); GET /__invalid lists the
requests the model or the signature check rejected (a test fails when it is not
empty); GET /__zone?name=N dumps a zone. Runs on 127.0.0.1 until killed."""
import hashlib
import hmac
import ipaddress
import json
import os
import random
import re
import string
import sys
import threading
import time
from contextlib import nullcontext
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakehttp import JSONHandler, Overlap, serve  # noqa: E402
from restxml import Invalid, Model, now  # noqa: E402

PORT, AKID, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def opt(name, default, conv=int):
    return conv(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


SESSION_TOKEN = opt("--session-token", None, str)
page_size = {"max": opt("--page-max", 300)}
RATE = opt("--rate", 5.0, float)
INSYNC_AFTER = opt("--insync-after", 1)
MODEL = Model(os.path.join(os.path.dirname(os.path.abspath(__file__)), "models", "route53-2013-04-01.json"))
NS = MODEL.ns
MAX_RECORDS, MAX_CHARS = 1000, 32000

lock = threading.Lock()
zones = {}          # id -> zone
changes = {}        # change id -> polls so far
callers = set()
requests_seen, invalid_seen = [], []
faults = {"n": 0, "status": 500, "op": None, "after": False}
token = {"expire_after": None, "expired": False}
bucket = {"t": time.monotonic(), "tokens": RATE}
overlap = Overlap()
hold_op = {"op": None}  # the operation a hold counts (None: every one)


class Fail(Exception):
    """An error answer: an error shape of the model (its HTTP status) with a message."""

    def __init__(self, code, message, status=None, messages=None):
        super().__init__(message)
        self.code, self.message, self.messages = code, message, messages
        shape = MODEL.shapes.get(code, {})
        self.status = status or shape.get("error", {}).get("httpStatusCode", 400)


# ---- names ----------------------------------------------------------------------------
def labels_of(name):
    """The labels (bytes) of a name in Route 53's text form (\\ooo octal and \\c escapes)."""
    out, cur, i = [], bytearray(), 0
    s = name.encode("latin-1", "replace")
    if s in (b"", b"."):
        return []
    while i < len(s):
        c = s[i]
        if c == 0x5C and i + 3 < len(s) + 1 and re.fullmatch(rb"[0-7]{3}", s[i + 1:i + 4] or b""):
            cur.append(int(s[i + 1:i + 4], 8) & 0xFF)
            i += 4
        elif c == 0x5C and i + 1 < len(s):
            cur.append(s[i + 1])
            i += 2
        elif c == 0x2E:
            if not cur:
                raise Fail("InvalidChangeBatch", "empty label in %s" % name)
            out.append(bytes(cur))
            cur = bytearray()
            i += 1
        else:
            cur.append(c)
            i += 1
    if cur:
        out.append(bytes(cur))
    for lab in out:
        if len(lab) > 63:
            raise Fail("InvalidChangeBatch", "label longer than 63 octets in %s" % name)
    if sum(len(lab) + 1 for lab in out) + 1 > 255:
        raise Fail("InvalidChangeBatch", "name longer than 255 octets: %s" % name)
    return out


SAFE = set(b"abcdefghijklmnopqrstuvwxyz0123456789-_")


def name_text(labels):
    """How Route 53 returns a name: lower case, other octets as \\ooo, trailing dot."""
    parts = []
    for lab in labels:
        lab = lab.lower()
        parts.append("".join(chr(b) if b in SAFE else "\\%03o" % b for b in lab))
    return ".".join(parts) + "."


def canon_name(name):
    return name_text(labels_of(name))


def sort_key(name):
    return ".".join(reversed(canon_name(name).rstrip(".").split("."))) if name != "." else ""


_keys = {}


def list_key(k):
    """The listing order of an RRset key (name, type, set id): names with labels reversed."""
    if k not in _keys:
        _keys[k] = (sort_key(k[0]), k[1], k[2])
    return _keys[k]


def in_zone(name, zone):
    n, z = labels_of(name), labels_of(zone)
    return [x.lower() for x in n[len(n) - len(z):]] == [x.lower() for x in z] if len(n) >= len(z) else False


# ---- values ---------------------------------------------------------------------------
def tokens(v):
    """Splits a value into tokens: bare words and "quoted strings" (decoded, octal escapes)."""
    out, i = [], 0
    while i < len(v):
        if v[i] in " \t":
            i += 1
            continue
        quoted = v[i] == '"'
        i += quoted
        buf = bytearray()
        while i < len(v):
            c = v[i]
            if quoted and c == '"':
                i += 1
                break
            if not quoted and c in " \t":
                break
            if c == "\\" and i + 1 < len(v):
                if re.fullmatch(r"[0-7]{3}", v[i + 1:i + 4]):
                    buf.append(int(v[i + 1:i + 4], 8) & 0xFF)
                    i += 4
                    continue
                buf.extend(v[i + 1].encode("latin-1", "replace"))
                i += 2
                continue
            buf.extend(c.encode("utf-8"))
            i += 1
        else:
            if quoted:
                raise ValueError("unterminated quoted string")
        out.append((quoted, bytes(buf)))
    return out


def u16(t):
    return t.isdigit() and int(t) <= 65535


def u8(t):
    return t.isdigit() and int(t) <= 255


def is_name(t):
    try:
        labels_of(t)
        return bool(t)
    except Fail:
        return False


def is_hex(t):
    return bool(re.fullmatch(r"[0-9a-fA-F]+", t)) and len(t) % 2 == 0


def check_value(rtype, v):
    """None when v is a valid value for rtype, else why not (Route 53's RDATA check)."""
    try:
        toks = tokens(v)
    except ValueError as e:
        return str(e)
    words = [t.decode("latin-1") for q, t in toks]
    bare = [not q for q, t in toks]
    n = len(words)
    ok = False
    if rtype == "A":
        try:
            ipaddress.IPv4Address(v)
            ok = True
        except ValueError:
            return "ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)"
    elif rtype == "AAAA":
        try:
            ipaddress.IPv6Address(v)
            ok = True
        except ValueError:
            return "AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)"
    elif rtype in ("CNAME", "NS", "PTR"):
        ok = n == 1 and bare[0] and is_name(words[0])
    elif rtype == "MX":
        ok = n == 2 and u16(words[0]) and is_name(words[1])
    elif rtype == "SRV":
        ok = n == 4 and all(u16(w) for w in words[:3]) and is_name(words[3])
    elif rtype in ("TXT", "SPF"):
        ok = n >= 1 and all(len(t) <= 255 for q, t in toks)
        if not ok:
            return "CharacterStringTooLong (Value is too long)"
    elif rtype == "CAA":
        ok = n == 3 and u8(words[0]) and re.fullmatch(r"[A-Za-z0-9]+", words[1]) is not None
    elif rtype == "NAPTR":
        ok = n == 6 and u16(words[0]) and u16(words[1]) and is_name(words[5])
    elif rtype == "DS":
        ok = n >= 4 and u16(words[0]) and u8(words[1]) and u8(words[2]) and is_hex("".join(words[3:]))
    elif rtype == "TLSA":
        ok = n >= 4 and all(u8(w) for w in words[:3]) and is_hex("".join(words[3:]))
    elif rtype == "SSHFP":
        ok = n >= 3 and u8(words[0]) and u8(words[1]) and is_hex("".join(words[2:]))
    elif rtype in ("SVCB", "HTTPS"):
        ok = n >= 2 and u16(words[0]) and is_name(words[1]) and all(
            re.fullmatch(r"(mandatory|alpn|no-default-alpn|port|ipv4hint|ech|ipv6hint|key[0-9]+)(=.*)?", w)
            for w in words[2:])
    elif rtype == "SOA":
        ok = n == 7 and is_name(words[0]) and is_name(words[1]) and all(w.isdigit() for w in words[2:])
    return None if ok else "Invalid %s value" % rtype


def value_key(rtype, v):
    """What makes two values the same value (a DELETE must name the current ones)."""
    toks = tokens(v)
    if rtype in ("CNAME", "NS", "PTR", "MX", "SRV", "SOA", "NAPTR"):
        return tuple((q, t.lower() if not q else t) for q, t in toks)
    return tuple(toks)


# ---- zones ----------------------------------------------------------------------------
def new_id(prefix, n=13):
    return prefix + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def make_zone(name, caller, comment=None):
    zid = new_id("Z")
    name = canon_name(name)
    k = random.randint(0, 2000)
    ns = ["ns-%d.awsdns-%02d.com." % (k, k % 64), "ns-%d.awsdns-%02d.net." % (k + 1, k % 64),
          "ns-%d.awsdns-%02d.org." % (k + 2, k % 64), "ns-%d.awsdns-%02d.co.uk." % (k + 3, k % 64)]
    z = {"id": zid, "name": name, "caller": caller, "comment": comment, "ns": ns, "rrsets": {}}
    z["rrsets"][(name, "SOA", "")] = {"Name": name, "Type": "SOA", "TTL": 900, "ResourceRecords": [
        {"Value": "%s awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400" % ns[0]}]}
    z["rrsets"][(name, "NS", "")] = {"Name": name, "Type": "NS", "TTL": 172800,
                                     "ResourceRecords": [{"Value": n} for n in ns]}
    zones[zid] = z
    callers.add(caller)
    return z


def zone_info(z):
    info = {"Id": "/hostedzone/" + z["id"], "Name": z["name"], "CallerReference": z["caller"],
            "Config": {"PrivateZone": False}, "ResourceRecordSetCount": len(z["rrsets"])}
    if z["comment"]:
        info["Config"]["Comment"] = z["comment"]
    return info


def find_zone(zid):
    z = zones.get(zid)
    if not z:
        raise Fail("NoSuchHostedZone", "No hosted zone found with ID: %s" % zid)
    return z


def change_info(status="PENDING"):
    cid = new_id("C")
    changes[cid] = 0
    return {"Id": "/change/" + cid, "Status": status, "SubmittedAt": now()}


def set_desc(rs):
    return "[name='%s', type='%s'%s]" % (rs["Name"], rs["Type"],
                                          ", set-identifier='%s'" % rs["SetIdentifier"] if rs.get("SetIdentifier") else "")


def apply_batch(z, batch):
    chs = batch["Changes"]
    nrec = nchar = 0
    for ch in chs:
        mult = 2 if ch["Action"] == "UPSERT" else 1
        for rr in ch["ResourceRecordSet"].get("ResourceRecords", []):
            nrec += mult
            nchar += mult * len(rr["Value"])
    if nrec > MAX_RECORDS:
        raise Fail("InvalidChangeBatch", "Number of records limit of %d exceeded." % MAX_RECORDS,
                   messages=["Number of records limit of %d exceeded." % MAX_RECORDS])
    if nchar > MAX_CHARS:
        raise Fail("InvalidChangeBatch", "RData character limit of %d exceeded." % MAX_CHARS,
                   messages=["RData character limit of %d exceeded." % MAX_CHARS])
    snap = dict(z["rrsets"])
    errors, seen = [], set()
    for ch in chs:
        rs = dict(ch["ResourceRecordSet"])
        act = ch["Action"]
        rs["Name"] = canon_name(rs["Name"])
        key = (rs["Name"], rs["Type"], rs.get("SetIdentifier", ""))
        if (act,) + key in seen:
            errors.append("The request contains an invalid set of changes for a resource record set '%s %s'"
                          % (rs["Type"], rs["Name"]))
            continue
        seen.add((act,) + key)
        has_rr = "ResourceRecords" in rs
        if ("AliasTarget" in rs) == (has_rr or "TTL" in rs) or (has_rr != ("TTL" in rs)):
            raise Fail("InvalidInput", "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
                       "ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=%s, "
                       "Name=%s, Type=%s, SetIdentifier=%s]" % (act, rs["Name"], rs["Type"], rs.get("SetIdentifier")))
        if not in_zone(rs["Name"], z["name"]):
            errors.append("RRSet with DNS name %s is not permitted in zone %s" % (rs["Name"], z["name"]))
            continue
        vals = [rr["Value"] for rr in rs.get("ResourceRecords", [])]
        bad = [(v, check_value(rs["Type"], v)) for v in vals]
        bad = [(v, why) for v, why in bad if why]
        if bad:
            errors.append("[Invalid Resource Record: 'FATAL problem: %s encountered with '%s'']" % (bad[0][1], bad[0][0]))
            continue
        keys = [value_key(rs["Type"], v) for v in vals]
        if len(set(keys)) != len(keys):
            errors.append("[Duplicate Resource Record: '%s']" % vals[0])
            continue
        apex = rs["Name"] == z["name"]
        cur = snap.get(key)
        if act == "DELETE":
            if not cur:
                errors.append("Tried to delete resource record set %s but it was not found" % set_desc(rs))
                continue
            same = (cur.get("TTL") == rs.get("TTL") and cur.get("AliasTarget") == rs.get("AliasTarget") and
                    sorted(value_key(rs["Type"], r["Value"]) for r in cur.get("ResourceRecords", [])) == sorted(keys))
            if not same:
                errors.append("Tried to delete resource record set %s but the values provided do not match the "
                              "current values" % set_desc(rs))
                continue
            if apex and rs["Type"] in ("SOA", "NS"):
                errors.append("A HostedZone must contain exactly one SOA record and at least one NS record for "
                              "the zone itself.")
                continue
            del snap[key]
            continue
        if act == "CREATE" and cur:
            errors.append("Tried to create resource record set %s but it already exists" % set_desc(rs))
            continue
        if rs["Type"] == "SOA" and (not apex or len(vals) != 1):
            errors.append("SOA is only permitted once, at the apex of zone %s" % z["name"])
            continue
        snap[key] = rs
    # the final state of the batch obeys the CNAME rules
    if not errors:
        names = {}
        for (n, t, _), rs in snap.items():
            names.setdefault(n, set()).add(t)
        for (n, t, _), rs in snap.items():
            if t != "CNAME":
                continue
            if n == z["name"]:
                errors.append("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s" % (n, z["name"]))
            elif names[n] != {"CNAME"}:
                errors.append("RRSet of type CNAME with DNS name %s is not permitted as it conflicts with other "
                              "records with the same DNS name in zone %s" % (n, z["name"]))
            elif len(rs.get("ResourceRecords", [])) > 1:
                errors.append("RRSet of type CNAME with DNS name %s has more than one value" % n)
    if errors:
        raise Fail("InvalidChangeBatch", errors[0], messages=errors)
    z["rrsets"] = snap
    return nrec


def list_rrsets(z, inp):
    mx = inp.get("MaxItems")
    if mx is not None and not mx.isdigit():
        raise Fail("InvalidInput", "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint" % mx)
    mx = min(int(mx) if mx else 300, 300, page_size["max"])
    if "StartRecordType" in inp and "StartRecordName" not in inp:
        raise Fail("InvalidInput", "The input is not valid: a type requires a name")
    if "StartRecordIdentifier" in inp and "StartRecordType" not in inp:
        raise Fail("InvalidInput", "The input is not valid: an identifier requires a type")
    allr = sorted(z["rrsets"].items(), key=lambda kv: list_key(kv[0]))
    if "StartRecordName" in inp:
        start = (sort_key(inp["StartRecordName"]), inp.get("StartRecordType", ""), inp.get("StartRecordIdentifier", ""))
        allr = [kv for kv in allr if list_key(kv[0]) >= start]
    allr = [rs for _, rs in allr]
    page, rest = allr[:mx], allr[mx:]
    out = {"ResourceRecordSets": page, "IsTruncated": bool(rest), "MaxItems": str(mx)}
    if rest:
        out["NextRecordName"], out["NextRecordType"] = rest[0]["Name"], rest[0]["Type"]
        if rest[0].get("SetIdentifier"):
            out["NextRecordIdentifier"] = rest[0]["SetIdentifier"]
    return out


def zones_sorted():
    return sorted(zones.values(), key=lambda z: (sort_key(z["name"]), z["id"]))


# ---- SigV4 ----------------------------------------------------------------------------
def enc(s):
    return quote(s, safe="-_.~")


def check_sigv4(method, url, headers, body):
    auth = headers.get("Authorization", "")
    if not auth:
        raise Fail("MissingAuthenticationToken", "Missing Authentication Token", 403)
    mo = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, ?"
                      r"SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})", auth)
    if not mo:
        raise Fail("IncompleteSignature", "Authorization header requires Credential, SignedHeaders and Signature", 403)
    akid, day, region, service, signed, sig = mo.groups()
    if akid != AKID:
        raise Fail("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    if region != "us-east-1" or service != "route53":
        raise Fail("SignatureDoesNotMatch", "Credential should be scoped to a valid region and service: "
                   "us-east-1/route53, not %s/%s" % (region, service), 403)
    amzdate = headers.get("X-Amz-Date", "")
    try:
        t = datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise Fail("IncompleteSignature", "X-Amz-Date is missing or malformed", 403)
    if abs((now() - t).total_seconds()) > 300 or amzdate[:8] != day:
        raise Fail("SignatureDoesNotMatch", "Signature expired or not yet valid: %s" % amzdate, 403)
    names = signed.split(";")
    if "host" not in names or "x-amz-date" not in names or names != sorted(names):
        raise Fail("SignatureDoesNotMatch", "SignedHeaders must be sorted and include host and x-amz-date", 403)
    canon_h = "".join("%s:%s\n" % (n, " ".join((headers.get(n) or "").split())) for n in names)
    q = sorted((enc(k), enc(v)) for k, v in parse_qsl(url.query, keep_blank_values=True))
    creq = "\n".join([method, url.path or "/", "&".join("%s=%s" % kv for kv in q), canon_h, signed,
                      hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (day, region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + SECRET).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        raise Fail("SignatureDoesNotMatch", "The request signature we calculated does not match the signature "
                   "you provided. Check your AWS Secret Access Key and signing method.", 403)
    if SESSION_TOKEN is not None:
        tok = headers.get("X-Amz-Security-Token")
        if tok != SESSION_TOKEN:
            raise Fail("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
        if token["expired"]:
            raise Fail("ExpiredToken", "The security token included in the request is expired", 403)
        if token["expire_after"] is not None:
            token["expire_after"] -= 1
            if token["expire_after"] <= 0:
                token["expired"], token["expire_after"] = True, None


def throttled():
    t = time.monotonic()
    bucket["tokens"] = min(RATE, bucket["tokens"] + (t - bucket["t"]) * RATE)
    bucket["t"] = t
    if bucket["tokens"] < 1:
        return True
    bucket["tokens"] -= 1
    return False


# ---- HTTP -----------------------------------------------------------------------------
class Handler(JSONHandler):
    def send_xml(self, status, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", new_id("", 8).lower() + "-fake")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_fail(self, f):
        rid = new_id("", 8).lower() + "-fake"
        if f.code == "InvalidChangeBatch":
            # Route 53 answers this one with its own root element and a Messages list
            msgs = "".join("<Message>%s</Message>" % esc(m) for m in (f.messages or [f.message]))
            body = '<?xml version="1.0"?>\n<InvalidChangeBatch xmlns="%s"><Messages>%s</Messages>' \
                   '<RequestId>%s</RequestId></InvalidChangeBatch>' % (NS, msgs, rid)
        else:
            body = '<?xml version="1.0"?>\n<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code>' \
                   '<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>' % (
                       NS, f.code, esc(f.message), rid)
        self.send_xml(f.status, body.encode())

    def dispatch(self, method):
        url = urlparse(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if url.path.startswith("/__"):
            return self.control(method, url, body)
        op, labels = MODEL.match(method, url.path)
        with overlap.request() if hold_op["op"] in (None, op) else nullcontext():
            self.api(method, url, body, op, labels)

    def api(self, method, url, body, op, labels):
        with lock:
            entry = {"method": method, "path": url.path, "op": op}
            requests_seen.append(entry)
            failed_after = False
            if faults["n"] > 0 and (faults["op"] in (None, op)) and faults["after"]:
                faults["n"] -= 1
                failed_after = True
            elif faults["n"] > 0 and (faults["op"] in (None, op)):
                faults["n"] -= 1
                st = faults["status"]
                if st == "drop":
                    return self.drop()
                if st == "garbage":
                    return self.send_xml(200, b"<?xml version='1.0'?><ListResourceRecordSetsResponse><Resource")
                if st == "throttle":
                    return self.send_fail(Fail("Throttling", "Rate exceeded", 400))
                if st == "prior":
                    return self.send_fail(Fail("PriorRequestNotComplete", "The request was rejected because "
                                               "Route 53 was still processing a prior request."))
                return self.send_fail(Fail("InternalFailure" if int(st) == 500 else "ServiceUnavailable",
                                           "We encountered an internal error. Please try again.", int(st)))
            try:
                check_sigv4(method, url, self.headers, body)
                if throttled():
                    raise Fail("Throttling", "Rate exceeded", 400)
                if not op:
                    raise Invalid("no operation of the model is %s %s" % (method, url.path))
                inp = MODEL.parse_request(op, labels, url.query, self.headers, body)
                status, shape, data = self.operation(op, inp, entry)
                out, hdrs = MODEL.render(shape, data)
                if failed_after:
                    st = int(faults["status"])
                    return self.send_fail(Fail("InternalFailure" if st == 500 else "ServiceUnavailable",
                                               "We encountered an internal error. Please try again.", st))
                return self.send_xml(status, out, hdrs)
            except Invalid as e:
                msg = "%s %s: %s" % (method, self.path, e)
                invalid_seen.append(msg)
                print("route53 fake: INVALID REQUEST: " + msg, file=sys.stderr, flush=True)
                return self.send_fail(Fail("InvalidInput", str(e), 400))
            except Exception as e:  # the fake's own bug: fail the test loudly
                if isinstance(e, Fail):
                    f = e
                else:
                    invalid_seen.append("FAKE BUG on %s %s: %r" % (method, self.path, e))
                    print("route53 fake: BUG: %s %s: %r" % (method, self.path, e), file=sys.stderr, flush=True)
                    return self.send_fail(Fail("InternalFailure", "fake bug", 500))
                if f.code in ("IncompleteSignature", "MissingAuthenticationToken"):
                    # zonesync signs every request: an unsigned one is a client bug (a wrong
                    # secret is the user's, and says SignatureDoesNotMatch)
                    invalid_seen.append("%s %s: %s" % (method, self.path, f.message))
                    print("route53 fake: BAD SIGNATURE: %s %s: %s" % (method, self.path, f.message),
                          file=sys.stderr, flush=True)
                return self.send_fail(f)

    def operation(self, op, inp, entry):
        if op == "ListHostedZonesByName":
            if "HostedZoneId" in inp and "DNSName" not in inp:
                raise Fail("InvalidInput", "The input is not valid: hostedzoneid requires dnsname")
            mx = min(int(inp.get("MaxItems") or 100), 100)
            zs = zones_sorted()
            if "DNSName" in inp:
                start = (sort_key(inp["DNSName"]), inp.get("HostedZoneId", ""))
                zs = [z for z in zs if (sort_key(z["name"]), z["id"] if "HostedZoneId" in inp else "") >= start]
            page, rest = zs[:mx], zs[mx:]
            out = {"HostedZones": [zone_info(z) for z in page], "IsTruncated": bool(rest), "MaxItems": str(mx)}
            if "DNSName" in inp:
                out["DNSName"] = inp["DNSName"]
            if rest:
                out["NextDNSName"], out["NextHostedZoneId"] = rest[0]["name"], rest[0]["id"]
            return 200, "ListHostedZonesByNameResponse", out
        if op == "ListHostedZones":
            mx = min(int(inp.get("MaxItems") or 100), 100)
            zs = zones_sorted()
            ids = [z["id"] for z in zs]
            if inp.get("Marker"):
                if inp["Marker"] not in ids:
                    raise Fail("InvalidInput", "Invalid marker")
                zs = zs[ids.index(inp["Marker"]):]
            page, rest = zs[:mx], zs[mx:]
            out = {"HostedZones": [zone_info(z) for z in page], "Marker": inp.get("Marker", ""),
                   "IsTruncated": bool(rest), "MaxItems": str(mx)}
            if rest:
                out["NextMarker"] = rest[0]["id"]
            return 200, "ListHostedZonesResponse", out
        if op == "GetHostedZone":
            z = find_zone(inp["Id"])
            return 200, "GetHostedZoneResponse", {"HostedZone": zone_info(z), "DelegationSet": {"NameServers": z["ns"]}}
        if op == "ListResourceRecordSets":
            return 200, "ListResourceRecordSetsResponse", list_rrsets(find_zone(inp["HostedZoneId"]), inp)
        if op == "ChangeResourceRecordSets":
            z = find_zone(inp["HostedZoneId"])
            entry["changes"] = len(inp["ChangeBatch"]["Changes"])
            entry["records"] = apply_batch(z, inp["ChangeBatch"])
            return 200, "ChangeResourceRecordSetsResponse", {"ChangeInfo": change_info()}
        if op == "GetChange":
            cid = inp["Id"]
            if cid not in changes:
                raise Fail("NoSuchChange", "A change with the specified change ID does not exist.")
            changes[cid] += 1
            st = "INSYNC" if changes[cid] > INSYNC_AFTER else "PENDING"
            return 200, "GetChangeResponse", {"ChangeInfo": {"Id": "/change/" + cid, "Status": st, "SubmittedAt": now()}}
        if op == "CreateHostedZone":
            if inp["CallerReference"] in callers:
                raise Fail("HostedZoneAlreadyExists", "A hosted zone has already been created with the specified "
                           "caller reference.")
            if "VPC" in inp or "DelegationSetId" in inp:
                raise Fail("InvalidInput", "the fake serves public zones without reusable delegation sets")
            try:
                labels_of(inp["Name"])
            except Fail as f:
                raise Fail("InvalidDomainName", f.message)
            z = make_zone(inp["Name"], inp["CallerReference"], (inp.get("HostedZoneConfig") or {}).get("Comment"))
            return 201, "CreateHostedZoneResponse", {
                "HostedZone": zone_info(z), "ChangeInfo": change_info(), "DelegationSet": {"NameServers": z["ns"]},
                "Location": "https://route53.amazonaws.com/2013-04-01/hostedzone/" + z["id"]}
        if op == "DeleteHostedZone":
            z = find_zone(inp["Id"])
            if any(not (k[0] == z["name"] and k[1] in ("SOA", "NS")) for k in z["rrsets"]):
                raise Fail("HostedZoneNotEmpty", "The specified hosted zone contains non-required resource "
                           "record sets and so cannot be deleted.")
            del zones[z["id"]]
            return 200, "DeleteHostedZoneResponse", {"ChangeInfo": change_info()}
        raise Invalid("operation %s is not served by the fake" % op)

    def control(self, method, url, body):
        q = dict(parse_qsl(url.query))
        with lock:
            if url.path == "/__requests":
                return self.send_json(200, list(requests_seen))
            if url.path == "/__invalid":
                return self.send_json(200, list(invalid_seen))
            if url.path == "/__overlap":
                return self.send_json(200, {"most": overlap.most()})
            if url.path == "/__zone":
                zs = [z for z in zones.values() if z["name"] == canon_name(q.get("name", ""))]
                return self.send_json(200, [{"id": z["id"], "ns": z["ns"], "rrsets": list(z["rrsets"].values())}
                                            for z in zs])
            b = json.loads(body or b"{}")
            if "zone" in b:
                make_zone(b["zone"], new_id("fake-"))
            if "page_max" in b:
                page_size["max"] = b["page_max"]
            if "fail_next" in b:
                faults.update(n=b["fail_next"], status=b.get("status", 500), op=b.get("op"),
                              after=bool(b.get("after")))
            if "hold" in b:
                hold_op["op"] = b.get("op")
                overlap.hold(b["hold"], b.get("wait", 0))
            if "expire_after" in b:
                token["expire_after"], token["expired"] = b["expire_after"], False
            for kind in ("set", "alias", "weighted"):
                if kind not in b:
                    continue
                s = b[kind]
                z = [z for z in zones.values() if z["name"] == canon_name(s["zone"])][0]
                name = canon_name(s["name"])
                key = (name, s["type"], s.get("id", ""))
                if kind == "alias":
                    z["rrsets"][key] = {"Name": name, "Type": s["type"], "AliasTarget": {
                        "HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": s["target"], "EvaluateTargetHealth": False}}
                elif not s.get("values"):
                    z["rrsets"].pop(key, None)
                else:
                    rs = {"Name": name, "Type": s["type"], "TTL": s["ttl"],
                          "ResourceRecords": [{"Value": v} for v in s["values"]]}
                    if kind == "weighted":
                        rs = {"Name": name, "Type": s["type"], "SetIdentifier": s["id"], "Weight": s["weight"],
                              "TTL": s["ttl"], "ResourceRecords": rs["ResourceRecords"]}
                    z["rrsets"][key] = rs
        return self.send_json(200, {"ok": True})


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


if __name__ == "__main__":
    serve(PORT, Handler)
