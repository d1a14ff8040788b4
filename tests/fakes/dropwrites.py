"""dropwrites.py PORT UPSTREAM_PORT [--answer STATUS] [--refuse METHOD] - an HTTP proxy on
127.0.0.1 in front of an API (PowerDNS, the Cloudflare fake): reads are forwarded and
answered; a write (PATCH, PUT, POST, DELETE) is forwarded to the API, which performs it,
and then the connection is closed without an answer (journal-truth.sh), or with --answer
it is answered STATUS (502: a gateway that lost the backend's answer, cloudflare.sh):
either way the client cannot know whether it happened. With --refuse, a METHOD request is
not forwarded and answered 422 (an API refusing a write zonesync could not foresee,
powerdns.sh); the other writes are forwarded and answered."""
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakehttp import JSONHandler, serve  # noqa: E402

PORT, UPSTREAM = int(sys.argv[1]), int(sys.argv[2])
ANSWER = int(sys.argv[sys.argv.index("--answer") + 1]) if "--answer" in sys.argv else None
REFUSE = sys.argv[sys.argv.index("--refuse") + 1] if "--refuse" in sys.argv else None


class Handler(JSONHandler):
    def dispatch(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        if method == REFUSE:
            return self.send_json(422, {"error": "refused by the test proxy"})
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (UPSTREAM, self.path), data=body, method=method,
                                     headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        try:
            r = urllib.request.urlopen(req, timeout=30)
            status, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "application/json")
        if method != "GET" and not REFUSE:
            if ANSWER:
                return self.send_json(ANSWER, {"error": "bad gateway: no answer from the backend"})
            return self.drop()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


serve(PORT, Handler)
