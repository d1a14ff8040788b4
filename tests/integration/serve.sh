#!/bin/bash
# serve.sh - `zonesync serve` against real named (RFC 2136) and PowerDNS, with the zones in a
# bare git repository on disk that a work clone pushes to: signed webhooks deploy, bad ones
# never do, bursts coalesce, the schedule repairs drift, /metrics parses, SIGKILL mid-apply
# converges after a restart, SIGHUP refuses a bad configuration, the status page renders in
# headless Chromium (skipped, saying so, without it); its screenshot is kept in
# $ZONESYNC_ARTIFACTS (default build/artifacts/serve-status.png), not in git.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-serve-XXXXXX)
take_port BPORT || exit 1
take_port PPORT || exit 1
take_port APORT || exit 1
take_port SPORT || exit 1
SERVE=
ARTIFACTS=${ZONESYNC_ARTIFACTS:-$TOP/build/artifacts}
cleanup() {
	[ -n "$SERVE" ] && kill -9 "$SERVE" 2>/dev/null
	stop_servers
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
tsig_key
DYNAMIC_ZONES="example.com" start_server bind "$T/bind" "$BPORT" $((BPORT + 1000)) || exit 1
start_pdns "$T/pdns" "$PPORT" "$APORT" || exit 1
export SERVE_TOKEN=tok-$RANDOM-$$-api GH_SECRET=gh-$RANDOM-$$-secret GL_TOKEN=gl-$RANDOM-$$-token GEN_SECRET=gen-$RANDOM-$$-secret

# the zones: a bare repository on disk, and a work clone that pushes to it
REMOTE=$T/remote.git
W=$T/work
git init -q --bare -b main "$REMOTE"
new_repo "$W" example.com || exit 1
git -C "$W" remote add origin "$REMOTE" && git -C "$W" push -q origin main || exit 1
# the service's own clone, which it fetches into before each run ([repo] remote)
git clone -q "$REMOTE" "$T/svc" || exit 1
push() { git_commit "$W" "$1" && git -C "$W" push -q origin "${2:-main}"; }
head_of() { git -C "$REMOTE" rev-parse "${1:-main}"; }
set_api() { sed -i "s/^api            300   IN A    .*/api            300   IN A    $1/" "$W/zones/example.com.zone"; }

CFG=$T/zonesync.toml
write_cfg() {
	cat > "$CFG" <<CONF
[repo]
path = "$T/svc"
remote = "origin"
branch = "main"
[state]
path = "$T/state.db"
[defaults]
providers = ["bind", "pdns"]
$(toml_rfc2136 bind "$BPORT")
$(toml_powerdns pdns "$APORT")
timeout = 5
nameservers = ["127.0.0.1:$PPORT"]
[[zones]]
name = "example.com"
[hooks]
pre_apply = [["$T/slow-hook"], ["$T/sigblk-hook"]]
[serve]
listen = "127.0.0.1:$SPORT"
api_token = "env:SERVE_TOKEN"
github_secret = "env:GH_SECRET"
gitlab_token = "env:GL_TOKEN"
generic_secret = "env:GEN_SECRET"
max_queue = 60
reconcile_every = "${1:-0}"
verify_every = "${2:-0}"
${3:-}
CONF
}
# pdns's apply waits while $T/slow exists (to kill the service in the middle of a run)
cat > "$T/slow-hook" <<HOOK
#!/bin/sh
cat > /dev/null
if [ "\$ZONESYNC_PROVIDER" = pdns ]; then
	while [ -e "$T/slow" ]; do sleep 0.1; done
fi
exit 0
HOOK
# what a hook that is not a shell (which may reset its mask) inherits
cat > "$T/sigblk-hook" <<HOOK
#!/usr/bin/env python3
import sys
sys.stdin.read()
open("$T/hook-sigblk", "w").write([l for l in open("/proc/self/status") if l.startswith("SigBlk:")][0])
HOOK
chmod +x "$T/slow-hook" "$T/sigblk-hook"
write_cfg
# the providers start from what a first, reviewed CLI apply put there (apex NS: --force)
expect_exit 0 "first deploy by the CLI" "$ZONESYNC" -c "$CFG" apply --fetch --force -q

# webhook sender, status poller and metrics parser
cat > "$T/hook.py" <<'PY'
import hashlib, hmac, json, os, signal, sys, time, urllib.request, urllib.error
signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `H get ... | head -1`
base = "http://127.0.0.1:%s" % os.environ["SPORT"]
tok = os.environ["SERVE_TOKEN"]

def call(path, body=None, headers=None, method=None):
    req = urllib.request.Request(base + path, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

def payload(ref, after):
    return json.dumps({"ref": ref, "after": after, "before": "0" * 40,
                       "repository": {"full_name": "acme/zones"}, "commits": []}).encode()

def github(ref, after, delivery, secret=os.environ["GH_SECRET"], body=None, event="push"):
    body = body if body is not None else payload(ref, after)
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return call("/hooks/github", body, {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
                                        "X-Hub-Signature-256": sig, "Content-Type": "application/json"})

def status():
    return json.loads(call("/api/v1/status", headers={"Authorization": "Bearer " + tok})[1])

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "github":          # REF AFTER DELIVERY [SECRET]
    print(github(*args)[0])
elif cmd == "event":         # EVENT DELIVERY
    print(github("refs/heads/main", "0" * 39 + "1", args[1], event=args[0])[0])
elif cmd == "replay":        # DELIVERY-FILE: the very same request again
    ref, after, d = open(args[0]).read().split()
    print(github(ref, after, d)[0])
elif cmd == "raw":           # BODY DELIVERY: any body, correctly signed
    print(github("", "", args[1], body=args[0].encode())[0])
elif cmd == "big":           # a 1 MiB body, correctly signed
    body = b'{"ref": "refs/heads/main", "pad": "' + b"x" * (1 << 20) + b'"}'
    print(github("", "", "big-1", body=body)[0])
elif cmd == "burst":         # N REF AFTER PREFIX: N deliveries as fast as they go
    codes = [github(args[1], args[2], "%s-%d" % (args[3], i))[0] for i in range(int(args[0]))]
    print(" ".join(sorted(set(str(c) for c in codes))), codes.count(202))
elif cmd == "gitlab":        # TOKEN REF AFTER UUID
    body = payload(args[1], args[2])
    h = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": args[0], "X-Gitlab-Event-UUID": args[3]}
    if len(args) > 4:  # a retry: GitLab keeps the Idempotency-Key, the event UUID may differ
        h["Idempotency-Key"], h["X-Gitlab-Event-UUID"] = args[3], args[4]
    print(call("/hooks/gitlab", body, h)[0])
elif cmd == "generic":       # SECRET REF AFTER ID
    body = json.dumps({"ref": args[1], "after": args[2]}).encode()
    sig = "sha256=" + hmac.new(args[0].encode(), body, hashlib.sha256).hexdigest()
    print(call("/hooks/generic", body, {"X-Zonesync-Signature-256": sig, "X-Zonesync-Delivery": args[3]})[0])
elif cmd == "get":           # PATH [notoken]
    h = {} if len(args) > 1 else {"Authorization": "Bearer " + tok}
    code, text = call(args[0], headers=h)
    print(code)
    print(text)
elif cmd == "post":          # PATH
    print(call(args[0], b"", {"Authorization": "Bearer " + tok}, "POST")[0])
elif cmd == "idle":          # [RUNS]: until nothing runs or waits (and at least RUNS runs were made)
    want = int(args[0]) if args else 0
    end = time.time() + 60
    while time.time() < end:
        s = status()
        if s["running"] is None and not s["queued"]["deliveries"] and not s["queued"]["reconcile"] \
                and s["service_runs"] >= want:
            print(s["service_runs"])
            sys.exit(0)
        time.sleep(0.2)
    print("timeout", json.dumps(s))
    sys.exit(1)
elif cmd == "runs":
    print(status()["service_runs"])
elif cmd == "pair":          # ZONE PROVIDER FIELD
    for p in status()["pairs"]:
        if p["zone"] == args[0] and p["provider"] == args[1]:
            print(p[args[2]])
elif cmd == "metrics":       # NAME{labels} ... : the samples' values, parsed by prometheus_client
    from prometheus_client.parser import text_string_to_metric_families
    text = call("/metrics", headers={"Authorization": "Bearer " + tok})[1]
    samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            key = s.name + "{" + ",".join("%s=%s" % kv for kv in sorted(s.labels.items())) + "}"
            samples[key] = s.value
    out = []
    for want in args:
        if want == "count":
            out.append(str(len(samples)))
        else:
            out.append("%g" % samples[want] if want in samples else "missing")
    print(" ".join(out))
PY
export SPORT
# Debian's python3 has Debian's python3-prometheus-client (another python3 may stand first in PATH)
PY3=/usr/bin/python3
[ -x "$PY3" ] || PY3=python3
H() { "$PY3" "$T/hook.py" "$@"; }

start_serve() {
	"$ZONESYNC" -c "$CFG" serve "$@" >>"$T/serve.log" 2>&1 &
	SERVE=$!
	wait_until "$SERVE" 10 curl -sf -o /dev/null "http://127.0.0.1:$SPORT/healthz" || { nok "the service answers /healthz"; tail -20 "$T/serve.log"; return 1; }
}

echo "== zonesync serve on 127.0.0.1:$SPORT; named :$BPORT, pdns :$PPORT"
start_serve || exit 1
ok "the service started and answers /healthz"
same "/healthz needs no token" "$(H get /healthz notoken | head -1)" 200
same "the API needs the token" "$(H get /api/v1/status notoken | head -1)" 401
same "a wrong token is refused" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "http://127.0.0.1:$SPORT/metrics")" 401
same "/readyz with the token" "$(H get /readyz | head -1)" 200
same "an unknown path" "$(H get /nosuch | head -1)" 404

# a signed push deploys the new commit
set_api 192.0.2.31
push "api .31"
C1=$(head_of)
echo "refs/heads/main $C1 d-1" > "$T/d1"
same "a signed GitHub push is accepted" "$(H github refs/heads/main "$C1" d-1)" 202
check "its run ends" H idle 1 >/dev/null
same "bind serves the pushed commit" "$(answers "$BPORT" api.example.com A)" "192.0.2.31"
same "pdns serves the pushed commit" "$(answers "$PPORT" api.example.com A)" "192.0.2.31"
same "the status names the deployed commit" "$(H pair example.com. pdns deployed_commit)" "$C1"
same "and the cell is in sync" "$(H pair example.com. bind state)" "in_sync"
RUN=$(H get /api/v1/runs | sed -n '2,$p' | python3 -c 'import json,sys; r=json.load(sys.stdin)["runs"][0]; print(r["id"], r["command"], r["trigger"], r["status"], r["commit"])')
same "the run is journalled like a CLI apply" "$RUN" "$(echo "${RUN%% *}") apply webhook ok $C1"
same "a hook run by the service starts with no signal blocked" "$(cut -f2 "$T/hook-sigblk")" 0000000000000000
contains "a run's journal through the API" "$(H get "/api/v1/runs/${RUN%% *}")" '"new": "300 192.0.2.31"'

# refused deliveries deploy nothing (the next commit waits on the remote)
set_api 192.0.2.32
push "api .32"
C2=$(head_of)
same "a bad signature: 401" "$(H github refs/heads/main "$C2" d-2 wrong-secret)" 401
same "another branch: ignored" "$(H github refs/heads/other "$C2" d-3)" 202
same "a 1 MiB body: 413" "$(H big)" 413
head -c 1048576 /dev/zero > "$T/big"
same "a 1 MiB body with Expect: 100-continue: 413 before it is sent" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H 'Expect: 100-continue' -H 'X-GitHub-Event: push' --data-binary @"$T/big" "http://127.0.0.1:$SPORT/hooks/github")" 413
same "a tag push: ignored" "$(H github refs/tags/main "$C2" d-4)" 202
same "an unknown event: ignored" "$(H event issues d-5)" 202
same "GitHub's ping: 200" "$(H event ping d-6)" 200
same "a GitLab push with a wrong token: 401" "$(H gitlab wrong refs/heads/main "$C2" g-1)" 401
same "a generic push with a wrong signature: 401" "$(H generic wrong refs/heads/main "$C2" x-1)" 401
same "a signed body that is not JSON: 400" "$(H raw 'not json' r-1)" 400
same "a signed payload without a ref: 400" "$(H raw '{"ref": ["main"]}' r-2)" 400
same "a signed payload with a bad commit id: 400" "$(H raw '{"ref": "refs/heads/main", "after": "x;rm"}' r-3)" 400
same "deeply nested JSON: 400" "$(H raw "$(printf '%.0s[' $(seq 1 5000))" r-4)" 400
same "GET on a webhook: 405" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SPORT/hooks/github")" 405
same "a 64 KiB header: refused" "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Junk: $(head -c 65536 /dev/zero | tr '\0' a)" "http://127.0.0.1:$SPORT/healthz")" 431
same "no such run: 404" "$(H get /api/v1/runs/999999 | head -1)" 404
same "a run id that is not a number: 404" "$(H get /api/v1/runs/1x | head -1)" 404
check "the service is still up" curl -sf -o /dev/null "http://127.0.0.1:$SPORT/healthz"
same "the replayed first delivery: a duplicate" "$(H replay "$T/d1")" 200
sleep 2 # longer than the burst window: a run would have started
same "none of them started a run" "$(H runs)" 1
same "bind still serves the deployed commit" "$(answers "$BPORT" api.example.com A)" "192.0.2.31"
same "pdns still serves the deployed commit" "$(answers "$PPORT" api.example.com A)" "192.0.2.31"
check "the bad signature is logged" grep -q 'msg="webhook refused: bad or missing signature" source=github' "$T/serve.log"
check "the oversized body is logged" grep -q 'msg="request refused: body too large"' "$T/serve.log"
check "no request body is ever logged" sh -c "! grep -q 'xxxxxxxx\|repository' '$T/serve.log'"

# GitLab and generic pushes deploy too
same "a GitLab push with its token" "$(H gitlab "$GL_TOKEN" refs/heads/main "$C2" g-2 first-uuid)" 202
check "its run ends" H idle 2 >/dev/null
same "GitLab's retry of it (same Idempotency-Key): a duplicate" "$(H gitlab "$GL_TOKEN" refs/heads/main "$C2" g-2 other-uuid)" 200
same "pdns serves it" "$(answers "$PPORT" api.example.com A)" "192.0.2.32"
set_api 192.0.2.33
push "api .33"
same "a signed generic push" "$(H generic "$GEN_SECRET" refs/heads/main "$(head_of)" x-2)" 202
check "its run ends" H idle 3 >/dev/null
same "bind serves it" "$(answers "$BPORT" api.example.com A)" "192.0.2.33"

# a burst of 50 pushes (the last commit the newest): one or two runs deploy the newest
before=$(H runs)
for i in 1 2 3; do set_api 192.0.2.4$i; push "api .4$i"; done
C4=$(head_of)
BURST=$(H burst 50 refs/heads/main "$C4" burst)
same "50 pushes in a burst are all accepted" "$BURST" "202 50"
H idle $((before + 1)) >/dev/null
n=$(( $(H runs) - before ))
check "they gave one or two runs (got $n)" test "$n" -ge 1 -a "$n" -le 2
same "bind serves the newest commit" "$(answers "$BPORT" api.example.com A)" "192.0.2.43"
same "pdns serves the newest commit" "$(answers "$PPORT" api.example.com A)" "192.0.2.43"

# /metrics parses (prometheus_client) and its counters move
M='zonesync_serve_webhooks_total{result=accepted,source=github}'
R='zonesync_serve_runs_total{command=apply,result=ok}'
Q='zonesync_provider_requests_total{method=PATCH,provider=pdns}'
before=$(H metrics "$M" "$R" "$Q")
check "the metrics parse with prometheus_client (got: $before)" sh -c "[ -n '$before' ] && ! echo '$before' | grep -q missing"
contains "bad signatures are counted" "$(H metrics 'zonesync_serve_webhooks_total{result=bad_signature,source=github}')" 1
contains "oversized bodies are counted" "$(H metrics 'zonesync_serve_webhooks_total{result=too_large,source=github}')" 2
contains "duplicates are counted" "$(H metrics 'zonesync_serve_webhooks_total{result=duplicate,source=github}')" 1
contains "the CLI series are there" "$(H metrics 'zonesync_consecutive_failures{provider=bind,zone=example.com.}')" 0
set_api 192.0.2.50
push "api .50"
H github refs/heads/main "$(head_of)" m-1 >/dev/null
H idle $(( $(H runs) + 1 )) >/dev/null
after=$(H metrics "$M" "$R" "$Q" 'zonesync_serve_run_seconds_count{command=apply}')
read -r m0 r0 q0 <<<"$before"
read -r m1 r1 q1 h1 <<<"$after"
check "the webhook counter moved ($m0 -> $m1)" python3 -c "import sys; sys.exit(not $m1 == $m0 + 1)"
check "the run counter moved ($r0 -> $r1)" python3 -c "import sys; sys.exit(not $r1 == $r0 + 1)"
check "the provider request counter moved ($q0 -> $q1)" python3 -c "import sys; sys.exit(not $q1 > $q0)"
check "the duration histogram counts every apply ($h1)" python3 -c "import sys; sys.exit(not $h1 == $r1)"

# never backwards: a push that rewinds the branch (a force-push to an older commit) is
# fetched, refused with exit 6 and deploys nothing
DEPLOYED=$(answers "$PPORT" api.example.com A)
git -C "$W" push -q -f origin "$C2:main"
same "a signed push of the rewound branch is accepted" "$(H github refs/heads/main "$C2" nb-1)" 202
H idle $(( $(H runs) + 1 )) >/dev/null
check "its run is refused: older than what is deployed (exit 6)" grep -q 'msg="run finished" run=[0-9]* command=apply exit_code=6' "$T/serve.log"
check "the log says why, per zone x provider" grep -q 'msg="not deployed: older than what is deployed there" zone=example.com. provider=pdns' "$T/serve.log"
same "pdns still serves the newer commit" "$(answers "$PPORT" api.example.com A)" "$DEPLOYED"
same "bind still serves the newer commit" "$(answers "$BPORT" api.example.com A)" "$DEPLOYED"
contains "refused runs are counted" "$(H metrics 'zonesync_serve_runs_total{command=apply,result=refused}')" 1
git -C "$W" push -q -f origin main

# a fetch that fails (the remote is gone) deploys nothing and makes the service not ready
mv "$REMOTE" "$REMOTE.away"
H github refs/heads/main "$C4" gone-1 >/dev/null
H idle $(( $(H runs) + 1 )) >/dev/null
same "/readyz: 503 after a failed fetch" "$(H get /readyz | head -1)" 503
contains "saying the run failed before reaching any provider" "$(H get /readyz)" "failed before reaching any provider"
check "the fetch error is logged" grep -q 'src=engine' "$T/serve.log"
mv "$REMOTE.away" "$REMOTE"
H github refs/heads/main "$C4" gone-2 >/dev/null
H idle $(( $(H runs) + 1 )) >/dev/null
same "ready again after a good run" "$(H get /readyz | head -1)" 200

# SIGHUP: a bad configuration is refused and the old one stays
loaded=$(H get /api/v1/status | sed 1d | "$PY3" -c 'import json,sys; print(json.load(sys.stdin)["config_loaded_at"])')
cp "$CFG" "$T/good.toml"
printf '[serve]\nlisten = "nowhere"\n' >> "$CFG"
sleep 1
kill -HUP "$SERVE"
wait_until "$SERVE" 10 grep -q 'configuration refused' "$T/serve.log"
check "a bad configuration is refused and logged" grep -q 'msg="configuration refused; the one loaded before stays in use"' "$T/serve.log"
check "with the reason and its line" grep -q 'level=error msg=".*zonesync.toml:[0-9][0-9]*: error: .*" src=config' "$T/serve.log"
same "the service still answers, with the old configuration" \
	"$(H get /api/v1/status | sed 1d | "$PY3" -c 'import json,sys; print(json.load(sys.stdin)["config_loaded_at"])')" "$loaded"
contains "the refused reload is counted" "$(H metrics 'zonesync_serve_config_reloads_total{result=refused}')" 1

# a reloaded configuration whose repository cannot be opened: alive, but not ready
sed "s|^path = \"$T/svc\"|path = \"$T/nosuch\"|" "$T/good.toml" > "$CFG"
kill -HUP "$SERVE"
notready() { [ "$(H get /readyz | head -1)" = 503 ]; }
check "/readyz says 503 when the repository cannot be opened" wait_until "$SERVE" 10 notready
contains "and why" "$(H get /readyz)" "the repository cannot be opened"
same "/healthz still 200" "$(H get /healthz notoken | head -1)" 200

# SIGHUP with reconcile_every = "2s": drift made behind the service's back is repaired
write_cfg 2s 2s
kill -HUP "$SERVE"
wait_until "$SERVE" 10 grep -q 'msg="configuration reloaded"' "$T/serve.log"
check "a good configuration is reloaded" grep -q 'msg="configuration reloaded"' "$T/serve.log"
ready() { [ "$(H get /readyz | head -1)" = 200 ]; }
check "and the service is ready again" wait_until "$SERVE" 10 ready
printf 'server 127.0.0.1 %s\nzone example.com\nupdate delete api.example.com. A\nupdate add api.example.com. 300 IN A 203.0.113.9\nsend\n' "$BPORT" |
	nsupdate -y "hmac-sha256:zonesync-key:$TSIG_SECRET"
curl -s -o /dev/null -X PATCH -H "X-API-Key: $PDNS_KEY" "http://127.0.0.1:$APORT/api/v1/servers/localhost/zones/example.com." \
	-d '{"rrsets":[{"name":"api.example.com.","type":"A","ttl":300,"changetype":"REPLACE","records":[{"content":"203.0.113.8","disabled":false}]}]}'
same "drift made at pdns" "$(answers "$PPORT" api.example.com A)" "203.0.113.8"
repaired() { [ "$(answers "$BPORT" api.example.com A)" = 192.0.2.50 ] && [ "$(answers "$PPORT" api.example.com A)" = 192.0.2.50 ]; }
check "the scheduled reconcile repairs it at both providers" wait_until "$SERVE" 20 repaired
H idle >/dev/null
contains "the reconcile ran from the schedule" "$(H get /api/v1/runs)" '"trigger": "schedule"'
same "the bind cell says drift repaired" "$(H pair example.com. bind state)" "drift_repaired"
same "the pdns cell says drift repaired" "$(H pair example.com. pdns state)" "drift_repaired"
contains "drift is counted" "$(H metrics 'zonesync_drift_total{provider=pdns,zone=example.com.}')" 1
consistent() { [ "$(H metrics 'zonesync_verify_exit_code{}')" = 0 ]; }
check "the scheduled verify finds every nameserver consistent" wait_until "$SERVE" 20 consistent
n=$(H metrics 'zonesync_serve_runs_total{command=verify,result=ok}')
check "verify runs are counted ($n)" test "$n" -ge 1
check "and their report is logged" grep -q 'msg="verified 2 servers: 2 consistent' "$T/serve.log"
write_cfg 0
kill -HUP "$SERVE"
sleep 1
H idle >/dev/null

# SIGTERM while an apply is under way: the run finishes, then the service exits
touch "$T/slow"
set_api 192.0.2.55
push "api .55"
H github refs/heads/main "$(head_of)" t-1 >/dev/null
midway55() { [ "$(answers "$BPORT" api.example.com A)" = 192.0.2.55 ]; }
check "bind is applied, pdns waits" wait_until "$SERVE" 20 midway55
kill -TERM "$SERVE"
sleep 1
check "after SIGTERM the service waits for the running apply" alive "$SERVE"
same "and answers webhooks 503 meanwhile" "$(H github refs/heads/main "$(head_of)" t-2)" 503
rm -f "$T/slow"
for i in $(seq 1 100); do alive "$SERVE" || break; sleep 0.1; done
wait "$SERVE"
same "then it exits 0" "$?" 0
SERVE=
same "the apply it let finish reached pdns" "$(answers "$PPORT" api.example.com A)" "192.0.2.55"
start_serve || exit 1
contains "and was journalled as a whole run" "$(H get '/api/v1/runs?limit=1')" '"status": "ok"'

# a flood while a run is under way: the queue is bounded (max_queue = 60), then 429
touch "$T/slow"
set_api 192.0.2.60
push "api .60"
C6=$(head_of)
same "a push while pdns's apply is held back" "$(H github refs/heads/main "$C6" k-1)" 202
midway() { [ "$(answers "$BPORT" api.example.com A)" = 192.0.2.60 ]; }
check "bind is applied, pdns waits" wait_until "$SERVE" 20 midway
expect_exit 5 "a CLI apply meanwhile finds the service's run holding the same lock" "$ZONESYNC" -c "$CFG" apply -q
contains "and says who holds it" "$OUT" "locked by pid $SERVE"
same "61 more deliveries: 60 queued, then 429" "$(H burst 61 refs/heads/main "$C6" flood)" "202 429 60"
contains "the refused ones are counted" "$(H metrics 'zonesync_serve_webhooks_total{result=queue_full,source=github}')" 1

# SIGKILL in the middle of that apply; after a restart the next run converges
kill -9 "$SERVE"
wait "$SERVE" 2>/dev/null
SERVE=
rm -f "$T/slow"
same "killed midway: pdns still serves the old commit" "$(answers "$PPORT" api.example.com A)" "192.0.2.55"
start_serve || exit 1
same "after the restart, a reconcile through the API" "$(H post /api/v1/reconcile)" 202
check "it ends" H idle 1 >/dev/null
same "pdns converged" "$(answers "$PPORT" api.example.com A)" "192.0.2.60"
same "bind converged" "$(answers "$BPORT" api.example.com A)" "192.0.2.60"
RUNS=$(H get '/api/v1/runs?limit=5' | sed 1d)
contains "the killed run is journalled as interrupted" "$RUNS" '"status": "interrupted"'
check "the log says the earlier run did not finish" grep -q 'ended without finishing' "$T/serve.log"
same "the pdns cell is in sync at the new commit" "$(H pair example.com. pdns deployed_commit)" "$C6"

# a CLI apply holding the lock: the service's run waits for it and never overlaps it
touch "$T/slow"
set_api 192.0.2.70
push "api .70"
ZONESYNC_TRIGGER=cli "$ZONESYNC" -c "$CFG" apply --fetch -q >"$T/cli.out" 2>&1 &
CLI=$!
midway70() { [ "$(answers "$BPORT" api.example.com A)" = 192.0.2.70 ]; }
check "the CLI apply is under way (bind applied, pdns held)" wait_until "$CLI" 20 midway70
before=$(H runs)
H github refs/heads/main "$(head_of)" lock-1 >/dev/null
waiting() { H get /api/v1/status | grep -q '"command": "apply"'; }
check "the service's run starts and waits for the lock" wait_until "$SERVE" 10 waiting
rm -f "$T/slow"
wait "$CLI"
same "the CLI apply ends well" "$?" 0
H idle $((before + 1)) >/dev/null
LAST2=$(H get '/api/v1/runs?limit=2' | sed 1d | "$PY3" -c '
import json, sys
r = json.load(sys.stdin)["runs"]
print(r[0]["trigger"], r[1]["trigger"], r[0]["started_at"] >= r[1]["finished_at"], r[0]["status"])')
same "then the service's run, after the CLI's ended" "$LAST2" "webhook cli True ok"
same "the state database is intact after both used it" "$(sqlite3 "$T/state.db" 'PRAGMA integrity_check')" ok

# the status page, rendered by headless Chromium (the token as the Basic password)
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "  SKIP: chromium is not installed: the status page was not rendered in a browser (make deps installs it)"
else
	chrome() {
		timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
			--disable-component-update --disable-sync --no-first-run --disable-dev-shm-usage --user-data-dir="$(mktemp -d "$T/chrome-XXXXXX")" \
			"$@" "http://zonesync:$SERVE_TOKEN@127.0.0.1:$SPORT/" 2>>"$T/chrome.log"
	}
	DOM=$(chrome --dump-dom)
	contains "Chromium renders the matrix" "$DOM" '<table id="matrix">'
	contains "with the bind cell (drift repaired earlier today)" "$DOM" 'data-zone="example.com." data-provider="bind" data-state="drift_repaired"'
	contains "and the pdns cell" "$DOM" 'data-zone="example.com." data-provider="pdns" data-state="drift_repaired"'
	C7=$(head_of)
	contains "a cell shows the deployed commit" "$DOM" "<code class=\"commit\">${C7:0:10}</code>"
	contains "the chart is drawn" "$DOM" '<rect class="changes"'
	contains "the last runs are listed" "$DOM" '<table id="runs">'
	check "no script on the page" sh -c "! printf '%s' \"\$1\" | grep -qi '<script'" _ "$DOM"
	mkdir -p "$ARTIFACTS"
	chrome --window-size=1200,900 --screenshot="$ARTIFACTS/serve-status.png" >/dev/null
	check "a screenshot is kept ($ARTIFACTS/serve-status.png)" test -s "$ARTIFACTS/serve-status.png"
fi
same "without the token the page is refused" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SPORT/")" 401

# SIGTERM: the service ends cleanly; no secret was ever logged
stop_serve() {
	kill -TERM "$SERVE"
	local i
	for i in $(seq 1 100); do alive "$SERVE" || break; sleep 0.1; done
	wait "$SERVE"
	local rc=$?
	SERVE=
	return $rc
}
check "SIGTERM: the service exits 0" stop_serve
check "and says so" grep -q 'msg=stopped' "$T/serve.log"
for v in "$SERVE_TOKEN" "$GH_SECRET" "$GL_TOKEN" "$GEN_SECRET" "$PDNS_KEY" "$TSIG_SECRET"; do
	check "no secret in the log (${v:0:4}...)" sh -c "! grep -qF -- '$v' '$T/serve.log'"
done
# TLS (gnutls through libmicrohttpd), the certificate and key as file: references
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/tls.key" -out "$T/tls.pem" \
		-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
	write_cfg 0 0 "tls_cert = \"file:$T/tls.pem\"
tls_key = \"file:$T/tls.key\""
	# started the way the systemd unit starts it (its ExecStart line, paths replaced)
	UNIT_CMD=$(sed -n 's/^ExecStart=//p' "$TOP/docs/examples/zonesync-serve.service")
	read -r -a argv <<<"${UNIT_CMD//\/etc\/zonesync\/zonesync.toml/$CFG}"
	same "the unit's ExecStart is zonesync -c CONFIG serve" "${argv[0]} ${argv[1]} ${argv[3]}" "/usr/local/bin/zonesync -c serve"
	"$ZONESYNC" "${argv[@]:1}" >>"$T/serve.log" 2>&1 &
	SERVE=$!
	tls_up() { curl -sf --cacert "$T/tls.pem" -o /dev/null "https://127.0.0.1:$SPORT/healthz"; }
	check "with tls_cert and tls_key the service answers HTTPS" wait_until "$SERVE" 10 tls_up
	same "and the API over it" "$(curl -s --cacert "$T/tls.pem" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $SERVE_TOKEN" "https://127.0.0.1:$SPORT/api/v1/status")" 200
	same "plain HTTP gets no answer" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SPORT/healthz")" 000
	check "SIGTERM" stop_serve
else
	echo "  SKIP: openssl is not installed: TLS not tested"
fi
# --listen overrides [serve] listen; an unusable address is a clear error at start
take_port SPORT2 || exit 1
write_cfg
grep -v '^api_token' "$CFG" > "$T/open.toml" && mv "$T/open.toml" "$CFG"
"$ZONESYNC" -c "$CFG" serve --listen "127.0.0.1:$SPORT2" >>"$T/serve.log" 2>&1 &
SERVE=$!
check "--listen overrides [serve] listen" wait_until "$SERVE" 10 curl -sf -o /dev/null "http://127.0.0.1:$SPORT2/healthz"
same "without api_token the read-only endpoints are open" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SPORT2/api/v1/status")" 200
same "but runs cannot be asked for through the API" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$SPORT2/api/v1/reconcile")" 403
expect_exit 1 "a second instance on the same address exits 1" "$ZONESYNC" -c "$CFG" serve --listen "127.0.0.1:$SPORT2"
contains "saying why" "$OUT" "cannot listen on 127.0.0.1:$SPORT2"
check "SIGTERM" stop_serve
expect_exit 1 "an address that is not one" "$ZONESYNC" -c "$CFG" serve --listen "localhost"
contains "is explained" "$OUT" "expected ADDRESS:PORT"
check "every log line is logfmt (time= level= msg=)" sh -c "! grep -v '^time=[0-9T:.-]*Z level=[a-z]* msg=' '$T/serve.log' | grep -q ."

finish
