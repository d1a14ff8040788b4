"""gitlab.py PORT ARTIFACTS_DIR TOKEN - the one GitLab API call docs/examples/gitlab-ci.yml
makes: GET /api/v4/projects/:id/jobs/artifacts/:ref_name/download?job=NAME (the artifacts
archive of job NAME in the latest successful pipeline for ref_name, e.g.
refs/merge-requests/1/head), authenticated by the JOB-TOKEN header. Archives come from
ARTIFACTS_DIR/<ref_name with / as %2F>/<job>.zip, written by tests/examples-run.py for jobs
that succeeded; anything else is GitLab's 404 {"message": "404 Not found"} (401 without the
token)."""
import os
import sys
from urllib.parse import unquote, urlparse, parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakehttp import JSONHandler, serve  # noqa: E402

PORT, DIR, TOKEN = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Handler(JSONHandler):
    def dispatch(self, method):
        url = urlparse(self.path)
        # the ref is one path segment: slashes in it arrive encoded (%2F)
        parts = url.path.split("/")
        if method != "GET" or len(parts) != 9 or parts[1:4] != ["api", "v4", "projects"] or \
                parts[5:7] != ["jobs", "artifacts"] or parts[8] != "download":
            return self.send_json(404, {"message": "404 Not found"})
        if self.headers.get("JOB-TOKEN") != TOKEN:
            return self.send_json(401, {"message": "401 Unauthorized"})
        job = parse_qs(url.query).get("job", [""])[0]
        ref = unquote(parts[7])
        path = os.path.join(DIR, ref.replace("/", "%2F"), job + ".zip")
        if not job or not os.path.isfile(path):
            return self.send_json(404, {"message": "404 Not found"})
        body = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


serve(PORT, Handler)
