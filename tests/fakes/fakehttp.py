"""fakehttp.py - the HTTP plumbing the API fakes share: JSON replies, request bodies,
one dispatch for every method, a threaded server on 127.0.0.1. Nothing of any
provider's API lives here; each fake follows its own provider's documentation."""
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


# the request in flight on this thread (ThreadingHTTPServer: one thread a connection):
# JSONHandler.send_response makes it leave its Overlap before the answer goes out
_current = threading.local()


class Overlap:
    """How many API requests a fake has in flight at once (a client reading zones side by
    side). With a hold (hold(N, S), a fake's POST /__control {"hold": N, "wait": S}) each
    request waits, up to S seconds and until one of them saw N in flight, so that a
    client's overlapping requests show (N 0: off); most() is the most seen in flight since
    the last hold (a fake's GET /__overlap). writes (control "writes": true): only requests
    other than GET count and wait, to see applies overlap. Not the API's: a test control."""

    def __init__(self):
        self.cond = threading.Condition()
        self.n, self.wait, self.writes, self.inflight, self.top, self.reached = 0, 0.0, False, 0, 0, False

    def hold(self, n, wait, writes=False):
        with self.cond:
            self.n, self.wait, self.writes, self.top, self.reached = n, float(wait), bool(writes), 0, False

    def most(self):
        with self.cond:
            return self.top

    @contextmanager
    def request(self, method=None, count=True):
        """Around one API request (method: with writes, a GET is left out), outside the
        fake's data lock; count=False leaves it out (a login: every other request of the
        client may wait for it)."""
        with self.cond:
            count = count and not (self.writes and method == "GET")
            if count:
                self.inflight += 1
                self.top = max(self.top, self.inflight)
                if self.inflight >= self.n > 1:
                    self.reached = True
                self.cond.notify_all()
            end = time.monotonic() + self.wait
            while count and self.n > 1 and not self.reached and time.monotonic() < end:
                self.cond.wait(end - time.monotonic())
        left = [not count]

        def leave():
            # before the answer: a client that has it may send its next request on another
            # connection at once, which must not find this one still counted
            if not left[0]:
                left[0] = True
                with self.cond:
                    self.inflight -= 1

        _current.leave = leave
        try:
            yield
        finally:
            _current.leave = None
            leave()


class JSONHandler(BaseHTTPRequestHandler):
    """Subclasses define dispatch(method)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_response(self, code, message=None):
        leave = getattr(_current, "leave", None)
        if leave:
            leave()
        super().send_response(code, message)

    def send_json(self, status, obj, raw=None, headers=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def drop(self):
        """Closes the connection without an answer (a fault the tests inject)."""
        self.close_connection = True
        self.connection.shutdown(2)

    def json_body(self):
        """The request body as JSON ({} when empty); ValueError when it is not JSON."""
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw else {}

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")


def serve(port, handler):
    srv = ThreadingHTTPServer(("127.0.0.1", port), handler)
    srv.daemon_threads = True
    srv.serve_forever()
