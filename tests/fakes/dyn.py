#!/usr/bin/env python3
"""dyn.py PORT CUSTOMER USER PASSWORD [--delay-ms N] - a fake of the Dyn Managed DNS REST API ("DynECT"),
written from the documented contract (../shared/reference/PROVIDER-APIS.md section 1):
sessions (POST/GET/DELETE /REST/Session/, Auth-Token header, "login:" messages when the
token is bad or expired); the envelope {status, data, job_id, msgs[{INFO, SOURCE, ERR_CD, LVL}]};
zones and AllRecord (detail=Y, as a query string or a JSON body); per-type record
endpoints at a node (POST one, PUT replace all of a type, DELETE all of a type); changes
staged per session and served only after PUT /REST/Zone/<zone>/ {"publish": true};
307 redirects to /REST/Job/<id>/; 429 rate limiting. Dyn's own apex NS (service_class
"Primary") are present in every zone and cannot be changed.

Test controls (not Dyn's): POST /__control {"zone": NAME} creates a zone;
{"fail_next": K, "status": 500|429|"garbage"|"drop"|"job"|"incomplete"|"blocked"};
{"expire_sessions": true}; {"refuse_publish": ZONE} (null: off): a publish of ZONE fails
as an invalid one does; {"hold": N, "wait": S[, "writes": true]}: each API request but the
session's waits (up to S seconds, until one of them saw N in flight) for N to be in flight
at once (fakehttp.Overlap; "writes": only requests other than GET); GET /__requests lists
the API requests (method, path); GET /__published/<zone> the published records; GET
/__overlap the most API requests seen in flight at once since the last hold."""
import copy
import secrets
import sys
import threading
import time
from urllib.parse import unquote, parse_qs, urlparse

from fakehttp import JSONHandler, Overlap, serve

PORT, CUSTOMER, USER, PASSWORD = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
DELAY = int(sys.argv[sys.argv.index("--delay-ms") + 1]) / 1000.0 if "--delay-ms" in sys.argv else 0.0
lock = threading.Lock()
sessions = {}   # token -> {"pending": {zone: [ops]}}
zones = {}      # zone -> {"serial": n, "records": [record]}
jobs = {}       # id -> (status, envelope)
requests_seen = []
faults = {"n": 0, "status": 500, "refuse_publish": None}
overlap = Overlap()
next_job = [1000]
RDATA = {"A": ["address"], "AAAA": ["address"], "CNAME": ["cname"], "NS": ["nsdname"],
         "PTR": ["ptrdname"], "MX": ["preference", "exchange"], "TXT": ["txtdata"],
         "SPF": ["txtdata"], "SRV": ["priority", "weight", "port", "target"],
         "CAA": ["flags", "tag", "value"], "DS": ["keytag", "algorithm", "digtype", "digest"],
         # the other types dyn-python's records.py documents, with its rdata keys
         "CDS": ["keytag", "algorithm", "digtype", "digest"],
         "DNSKEY": ["flags", "protocol", "algorithm", "public_key"],
         "CDNSKEY": ["flags", "protocol", "algorithm", "public_key"],
         "KEY": ["flags", "protocol", "algorithm", "public_key"],
         "CERT": ["format", "tag", "algorithm", "certificate"], "DHCID": ["digest"],
         "DNAME": ["dname"], "KX": ["preference", "exchange"], "RP": ["mbox", "txtdname"],
         "NAPTR": ["order", "preference", "flags", "services", "regexp", "replacement"],
         "SSHFP": ["algorithm", "fptype", "fingerprint"],
         "TLSA": ["cert_usage", "selector", "match_type", "certificate"]}


def env(status="success", data=None, msgs=None, job=None):
    if job is None:
        next_job[0] += 1
        job = next_job[0]
    return {"status": status, "data": data if data is not None else {}, "job_id": job,
            "msgs": msgs or [{"INFO": "ok", "SOURCE": "BLL", "ERR_CD": None, "LVL": "INFO"}]}


def failure(info, code):
    return env("failure", {}, [{"INFO": info, "SOURCE": "BLL", "ERR_CD": code, "LVL": "ERROR"}])


def new_zone(name):
    zones[name] = {"serial": 1, "records": [
        {"fqdn": name, "record_type": "SOA", "ttl": 3600, "rdata": {"mname": "ns1.p01.dynect.net.", "rname": "admin@" + name + ".", "serial": 1, "refresh": 3600, "retry": 600, "expire": 604800, "minimum": 60}},
        {"fqdn": name, "record_type": "NS", "ttl": 86400, "service_class": "Primary", "rdata": {"nsdname": "ns1.p01.dynect.net."}},
        {"fqdn": name, "record_type": "NS", "ttl": 86400, "service_class": "Primary", "rdata": {"nsdname": "ns2.p01.dynect.net."}},
    ]}


def valid_record(t, r):
    fields = RDATA.get(t)
    if not fields:
        return "unsupported type %s" % t
    rd = r.get("rdata")
    if not isinstance(rd, dict) or any(f not in rd for f in fields):
        return "rdata for %s needs %s" % (t, ", ".join(fields))
    return None


def apply_ops(zone, ops):
    recs = copy.deepcopy(zones[zone]["records"])
    for op in ops:
        t, fqdn = op["type"], op["fqdn"]
        if t == "NS" and fqdn == zone:
            # Dyn's own apex nameservers: only the Primary ones stay
            pass
        if op["op"] in ("replace", "delete"):
            recs = [r for r in recs if not (r["record_type"] == t and r["fqdn"] == fqdn and r.get("service_class") != "Primary")]
        if op["op"] in ("replace", "add"):
            for r in op["records"]:
                recs.append({"fqdn": fqdn, "record_type": t, "ttl": int(r.get("ttl") or 0) or 3600,
                             "rdata": r["rdata"], "record_id": secrets.randbelow(10**9)})
    # CNAME beside other data is refused at publish
    names = {}
    for r in recs:
        names.setdefault(r["fqdn"], set()).add(r["record_type"])
    for n, ts in names.items():
        if "CNAME" in ts and len(ts) > 1:
            return "CNAME at %s beside other data" % n
    zones[zone]["records"] = recs
    zones[zone]["serial"] += 1
    return None


class Handler(JSONHandler):
    def body(self):
        try:
            return self.json_body()
        except ValueError:
            return None

    def dispatch(self, method):
        url = urlparse(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]  # the API decodes its paths
        b = self.body()
        if parts[:1] == ["__control"]:
            with lock:
                if "zone" in b:
                    new_zone(b["zone"].rstrip(".").lower())
                if "fail_next" in b:
                    faults["n"], faults["status"] = b["fail_next"], b.get("status", 500)
                if b.get("expire_sessions"):
                    sessions.clear()
                if "refuse_publish" in b:
                    faults["refuse_publish"] = b["refuse_publish"]
                if "hold" in b:
                    overlap.hold(b["hold"], b.get("wait", 0), b.get("writes", False))
            return self.send_json(200, {"ok": True})
        if parts[:1] == ["__requests"]:
            with lock:
                return self.send_json(200, list(requests_seen))
        if parts[:1] == ["__published"]:
            with lock:
                return self.send_json(200, zones.get(parts[1], {}).get("records", []))
        if parts[:1] == ["__overlap"]:
            return self.send_json(200, {"most": overlap.most()})
        # a login or logout is not a zone's call: every other call of the client may wait for it
        with overlap.request(method, count=parts[:2] != ["REST", "Session"]):
            return self.api(method, parts, url, b)

    def api(self, method, parts, url, b):
        if DELAY:
            time.sleep(DELAY)  # a slow API (benchmarks, crash tests): outside the lock
        with lock:
            requests_seen.append({"method": method, "path": url.path})
            if parts[:2] != ["REST", "Job"] and faults["n"] > 0:
                faults["n"] -= 1
                st = faults["status"]
                if st == "drop":
                    return self.drop()
                if st == "garbage":
                    return self.send_json(200, None, raw=b"<html>502 Bad Gateway</html>")
                if st == 429:
                    return self.send_json(429, failure("rate limit exceeded", "RATE_LIMIT_EXCEEDED"))
                if st == "blocked":
                    return self.send_json(400, env("failure", {}, [
                        {"INFO": "Operation blocked by current task", "SOURCE": "BLL", "ERR_CD": "ILLEGAL_OPERATION", "LVL": "ERROR"},
                        {"INFO": "task_id: 4242", "SOURCE": "BLL", "ERR_CD": None, "LVL": "INFO"}]))
                if st in ("job", "incomplete"):
                    # run the request, but answer through a job the client has to poll
                    status, envl = self.route(method, parts, url, b)
                    jid = envl["job_id"]
                    jobs[jid] = [2 if st == "incomplete" else 0, status, envl]
                    if st == "job":
                        return self.send_json(307, env("incomplete", {}, job=jid), headers={"Location": "/REST/Job/%d/" % jid})
                    return self.send_json(200, env("incomplete", {}, job=jid))
                return self.send_json(int(st), failure("internal error", "INTERNAL_ERROR"))
            status, envl = self.route(method, parts, url, b)
            return self.send_json(status, envl)

    def route(self, method, parts, url, b):
        if parts[:1] != ["REST"]:
            return 404, failure("no such resource", "NOT_FOUND")
        parts = parts[1:]
        if b is None:
            return 400, failure("request: malformed JSON", "INVALID_DATA")
        if parts == ["Session"] and method == "POST":
            if (b.get("customer_name"), b.get("user_name"), b.get("password")) != (CUSTOMER, USER, PASSWORD):
                return 400, failure("login: Credentials you entered did not match those in our database. Please try again", "INVALID_DATA")
            tok = secrets.token_hex(20)
            sessions[tok] = {"pending": {}}
            return 200, env("success", {"token": tok, "version": "3.7.9"},
                            [{"INFO": "login: Login successful", "SOURCE": "BLL", "ERR_CD": None, "LVL": "INFO"}])
        if parts[:1] == ["Job"] and len(parts) == 2:
            j = jobs.get(int(parts[1]))
            if not j:
                return 404, failure("job: No such job", "NOT_FOUND")
            if j[0] > 0:
                j[0] -= 1
                return 200, env("incomplete", {}, job=int(parts[1]))
            return j[1], j[2]
        tok = self.headers.get("Auth-Token")
        sess = sessions.get(tok)
        if not sess:
            return 400, failure("login: Bad or expired credentials", "INVALID_REQUEST")
        if parts == ["Session"]:
            if method == "DELETE":
                del sessions[tok]
                return 200, env("success", {}, [{"INFO": "logout: Logout successful", "SOURCE": "BLL", "ERR_CD": None, "LVL": "INFO"}])
            return 200, env()
        if parts[:1] == ["Zone"] and len(parts) == 2:
            z = parts[1].rstrip(".").lower()
            if z not in zones:
                return 404, failure("zone: No such zone", "NOT_FOUND")
            if method == "PUT" and b.get("publish"):
                if faults["refuse_publish"] == z:  # what was staged stays staged
                    return 400, failure("publish: the zone cannot be published", "OPERATION_FAILED")
                err = apply_ops(z, sess["pending"].get(z, []))
                sess["pending"][z] = []
                if err:
                    return 400, failure("publish: " + err, "INVALID_DATA")
                return 200, env("success", {"zone": z, "serial": zones[z]["serial"], "zone_type": "Primary", "serial_style": "increment", "task_id": "77"})
            return 200, env("success", {"zone": z, "serial": zones[z]["serial"], "zone_type": "Primary", "serial_style": "increment"})
        if parts[:1] == ["AllRecord"] and len(parts) >= 2:
            z = parts[1].rstrip(".").lower()
            if z not in zones:
                return 404, failure("zone: No such zone", "NOT_FOUND")
            detail = parse_qs(url.query).get("detail", [b.get("detail", "N")])[0] == "Y"
            out = {}
            for r in zones[z]["records"]:
                key = r["record_type"].lower() + "_records"
                rec = {"zone": z, "fqdn": r["fqdn"], "record_type": r["record_type"],
                       "record_id": r.get("record_id", 1), "ttl": r["ttl"], "rdata": r["rdata"]}
                if "service_class" in r:
                    rec["service_class"] = r["service_class"]
                out.setdefault(key, []).append(rec)
            if not detail:
                return 200, env("success", ["/REST/%sRecord/%s/%s/%s" % (r["record_type"], z, r["fqdn"], r.get("record_id", 1)) for r in zones[z]["records"]])
            return 200, env("success", out)
        if len(parts) >= 3 and parts[0].endswith("Record") and parts[0] != "AllRecord":
            t = parts[0][:-len("Record")]
            z, fqdn = parts[1].rstrip(".").lower(), parts[2].rstrip(".").lower()
            if z not in zones:
                return 404, failure("zone: No such zone", "NOT_FOUND")
            if not (fqdn == z or fqdn.endswith("." + z)):
                return 400, failure("node: Name is not in the zone", "INVALID_DATA")
            pend = sess["pending"].setdefault(z, [])
            if method == "DELETE":
                pend.append({"op": "delete", "type": t, "fqdn": fqdn})
                return 200, env()
            if method == "PUT":
                recs = b.get(t + "Records")
                if not isinstance(recs, list):
                    return 400, failure("%sRecords: missing" % t, "MISSING_DATA")
                for r in recs:
                    e = valid_record(t, r)
                    if e:
                        return 400, failure("rdata: " + e, "INVALID_DATA")
                pend.append({"op": "replace", "type": t, "fqdn": fqdn, "records": recs})
                return 200, env("success", recs)
            if method == "POST":
                e = valid_record(t, b)
                if e:
                    return 400, failure("rdata: " + e, "INVALID_DATA")
                pend.append({"op": "add", "type": t, "fqdn": fqdn, "records": [b]})
                return 200, env("success", b)
        return 404, failure("no such resource", "NOT_FOUND")


if __name__ == "__main__":
    serve(PORT, Handler)
