#!/usr/bin/env python3
"""httpecho.py - a small HTTP/1.1 server on 127.0.0.1 for tests/check_http.c: echoes
requests, fails on purpose, issues OAuth2 tokens, checks bearer tokens and AWS SigV4
signatures (computed here from the AWS documentation's algorithm). Prints its port on
the first line of stdout, then serves until killed."""
import hashlib
import hmac
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

AWS_KEY_ID = "AKIDEXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CLIENT_SECRET = "s3cret"

lock = threading.Lock()
zones = {}  # /zones/NAME: [etag number, text]
state = {"connections": 0, "tokens_issued": 0, "valid_token": None, "flaky": 0, "requests": 0, "lost": 0,
         "hits": {}}
refused = {"inflight": 0, "round": 0}  # /bearer requests being refused; holds released
refused_cond = threading.Condition()


def sigv4_check(method, path, query, headers, body):
    """None when the Authorization header is a valid SigV4 signature, else why not."""
    auth = headers.get("authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no AWS4-HMAC-SHA256 authorization"
    parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
    key_id, date, region, service, term = parts["Credential"].split("/")
    if key_id != AWS_KEY_ID or term != "aws4_request":
        return "bad credential scope"
    signed = parts["SignedHeaders"].split(";")
    if "host" not in signed or "x-amz-date" not in signed:
        return "host and x-amz-date must be signed"
    amz_date = headers["x-amz-date"]
    canon_headers = "".join("%s:%s\n" % (h, " ".join(headers[h].split())) for h in signed)
    canon_query = "&".join(sorted(query.split("&"))) if query else ""
    canon = "\n".join([method, path, canon_query, canon_headers, ";".join(signed),
                       hashlib.sha256(body).hexdigest()])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, "/".join([date, region, service, term]),
                         hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + AWS_SECRET).encode()
    for part in (date, region, service, term):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, parts["Signature"]):
        return "signature mismatch"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        with lock:
            state["connections"] += 1

    def reply(self, status, body, ctype="application/json", extra=None):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        url = urllib.parse.urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        with lock:
            state["requests"] += 1
        if url.path.startswith("/zones/"):
            return self.zone_store(url.path, headers, body)
        if url.path == "/state":
            with lock:
                return self.reply(200, dict(state))
        if url.path == "/flaky":
            with lock:
                state["flaky"] += 1
                k = state["flaky"]
            if k <= 2:
                return self.reply(503, {"error": "try again"}, extra={"Retry-After": "0"})
            return self.reply(200, {"attempt": k})
        if url.path.startswith("/fail/") or url.path.startswith("/refuse/"):
            # /fail/STATUS/KEY: the request is performed (counted under KEY), then answered
            # STATUS; /refuse/STATUS/KEY: refused twice before any work (STATUS 429, or 503
            # with Retry-After), then performed
            kind, status, key = url.path.split("/")[1:4]
            with lock:
                k = state["hits"].get(key, 0) + 1
                state["hits"][key] = k
            if kind == "fail":
                return self.reply(int(status), {"success": False, "errors": [{"code": 10000, "message": "Internal error"}]})
            if k <= 2:
                return self.reply(int(status), {"error": "slow down"}, extra={"Retry-After": "0"})
            return self.reply(200, {"attempt": k})
        if url.path == "/lose":
            # the request is taken (it may have been performed), its answer cut off
            with lock:
                state["lost"] += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b'{"ok"')
            self.wfile.flush()
            self.close_connection = True
            return
        if url.path == "/xml":
            return self.reply(200, b"<?xml version=\"1.0\"?><r ct=\"" +
                              headers.get("content-type", "").encode() + b"\">" + body + b"</r>",
                              ctype="application/xml")
        if url.path == "/big":
            return self.reply(200, b"x" * 10000, ctype="text/plain")
        if url.path == "/token":
            form = urllib.parse.parse_qs(body.decode())
            if (headers.get("content-type") != "application/x-www-form-urlencoded" or
                    form.get("grant_type") != ["client_credentials"] or
                    form.get("client_secret") != [CLIENT_SECRET] or "authorization" in headers):
                return self.reply(401, {"error": "invalid_client", "error_description": "bad client"})
            with lock:
                state["tokens_issued"] += 1
                tok = "tok%d" % state["tokens_issued"]
                state["valid_token"] = tok
            ttl = int(urllib.parse.parse_qs(url.query).get("ttl", ["3600"])[0])
            return self.reply(200, {"access_token": tok, "token_type": "Bearer", "expires_in": ttl})
        if url.path == "/revoke":
            with lock:
                state["valid_token"] = None
            return self.reply(200, {})
        if url.path == "/bearer":
            with lock:
                ok = state["valid_token"] and headers.get("authorization") == "Bearer " + state["valid_token"]
            if not ok:
                # ?hold=N: a refused request waits (10 s at most) until N refused ones are in
                # flight, so that a client's requests all carry the token before any renews it
                hold = int(urllib.parse.parse_qs(url.query).get("hold", ["0"])[0])
                with refused_cond:
                    r = refused["round"]
                    refused["inflight"] += 1
                    if refused["inflight"] >= hold:
                        refused["round"] += 1
                        refused_cond.notify_all()
                    else:
                        refused_cond.wait_for(lambda: refused["round"] != r, timeout=10)
                    refused["inflight"] -= 1
                return self.reply(401, {"error": "invalid_token"})
            return self.reply(200, {"authorization": headers["authorization"]})
        if url.path.startswith("/sigv4"):
            why = sigv4_check(self.command, url.path, url.query, headers, body)
            if why:
                return self.reply(403, {"error": why})
            return self.reply(200, {"signed": headers["authorization"].split("SignedHeaders=")[1].split(",")[0]})
        return self.reply(200, {"method": self.command, "path": self.path, "headers": headers,
                                "body": body.decode("latin-1")})

    def zone_store(self, path, headers, body):
        """One zone file per path, replaced whole by a PUT guarded with If-Match/If-None-Match."""
        if headers.get("authorization") != "Bearer zone-token":
            return self.reply(401, {"error": "bad token"})
        with lock:
            cur = zones.get(path)
            if self.command == "GET":
                if not cur:
                    return self.reply(404, {"error": "no such zone"})
                return self.reply(200, cur[1], ctype="text/dns", extra={"ETag": '"%d"' % cur[0]})
            if self.command != "PUT" or headers.get("content-type") != "text/dns":
                return self.reply(400, {"error": "PUT text/dns"})
            if headers.get("if-none-match") == "*" and cur:
                return self.reply(412, {"error": "exists"})
            if "if-match" in headers and (not cur or headers["if-match"] != '"%d"' % cur[0]):
                return self.reply(412, {"error": "changed"})
            if "if-match" not in headers and "if-none-match" not in headers:
                return self.reply(428, {"error": "a guard is required"})
            zones[path] = [(cur[0] if cur else 0) + 1, body]
            return self.reply(204, b"")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
print(srv.server_address[1], flush=True)
srv.serve_forever()
