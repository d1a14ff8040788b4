#!/bin/bash
# multi-cloud.sh - one zone on Route 53 and NS1 (the fakes) and on named (RFC 2136) and
# pdns_server (its API), real servers on 127.0.0.1: Route 53 throttled is waited out; Route 53
# failing fails alone (exit 3) while the other three converge; reconcile converges Route 53
# once it answers again; verify agrees for the servers that answer DNS.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-mcloud-XXXXXX)
take_port BPORT || exit 1
take_port PPORT || exit 1
take_port PAPI || exit 1
take_port RPORT || exit 1
take_port NPORT || exit 1
R53= NS1=
cleanup() {
	local f
	for f in "$R53" "$NS1"; do [ -n "$f" ] && kill "$f" 2>/dev/null && wait "$f" 2>/dev/null; done
	stop_servers
	rm -rf "$T"
}
trap cleanup EXIT
tsig_key
DYNAMIC_ZONES="example.com" start_server bind "$T/bind" "$BPORT" $((BPORT + 1000)) || exit 1
start_pdns "$T/pdns" "$PPORT" "$PAPI" || exit 1
export R53_ID=AKIAFAKEMULTICLOUD R53_SECRET=$(head -c 30 /dev/urandom | base64 | tr -d '/+=')
export NS1_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
python3 "$TOP/tests/fakes/route53.py" "$RPORT" "$R53_ID" "$R53_SECRET" --rate 1000 >"$T/r53.log" 2>&1 </dev/null &
R53=$!
python3 "$TOP/tests/fakes/ns1.py" "$NPORT" "$NS1_KEY" >"$T/ns1.log" 2>&1 </dev/null &
NS1=$!
wait_fake "$R53" "http://127.0.0.1:$RPORT/__requests" || exit 1
wait_fake "$NS1" "http://127.0.0.1:$NPORT/__requests" || exit 1
curl -s -X POST "http://127.0.0.1:$RPORT/__control" -d '{"zone": "example.com"}' >/dev/null
curl -s -X POST "http://127.0.0.1:$NPORT/__control" -d '{"zone": "example.com"}' >/dev/null
r53_ctl() { curl -s -X POST "http://127.0.0.1:$RPORT/__control" -d "$1" >/dev/null; }
r53_api() { curl -s "http://127.0.0.1:$RPORT/__zone?name=example.com" | python3 -c 'import json,sys; z=json.load(sys.stdin)[0]; print(" ".join(sorted(v["Value"] for r in z["rrsets"] if r["Name"]=="api.example.com." and r["Type"]=="A" for v in r["ResourceRecords"])))'; }
ns1_api() { curl -s "http://127.0.0.1:$NPORT/__zone?name=example.com" | python3 -c 'import json,sys; z=json.load(sys.stdin)[0]; print(" ".join(sorted(a["answer"][0] for r in z["records"] if r["domain"]=="api.example.com" and r["type"]=="A" for a in r["answers"])))'; }

R=$T/repo
new_repo "$R" example.com
CFG=$T/zonesync.toml
cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[defaults]
providers = ["aws", "ns1", "bind", "pdns"]
jobs = 4
[providers.aws]
type = "route53"
url = "http://127.0.0.1:$RPORT"
access_key_id = "env:R53_ID"
secret_access_key = "env:R53_SECRET"
rate_limit = "200/s"
retries = 2
timeout = 5
[providers.ns1]
type = "ns1"
url = "http://127.0.0.1:$NPORT/v1"
api_key = "env:NS1_KEY"
retries = 2
timeout = 5
$(toml_rfc2136 bind "$BPORT")
$(toml_powerdns pdns "$PAPI" "$PPORT")
[[zones]]
name = "example.com"
CONF
Z() { "$ZONESYNC" -c "$CFG" --no-color "$@"; }
cd "$R"
echo "== one zone on route53 :$RPORT, ns1 :$NPORT (fakes), named :$BPORT, pdns_server :$PPORT"
expect_exit 0 "apply to all four (the placeholders' apex NS replaced: --force)" Z apply --force
same "Route 53 has it" "$(r53_api)" "192.0.2.20 192.0.2.21"
same "NS1 has it" "$(ns1_api)" "192.0.2.20 192.0.2.21"
expect_exit 0 "verify: named and PowerDNS serve git" Z verify
contains "both consistent" "$OUT" "verified 2 servers: 2 consistent"

# Route 53 throttles: waited out, all four converge
sed -i 's/^api            300   IN A    192.0.2.21$/api            300   IN A    192.0.2.51/' zones/example.com.zone
git_commit "$R" "api .51"
r53_ctl '{"fail_next": 2, "status": "throttle"}'
expect_exit 0 "Route 53 throttling is retried" Z apply
same "Route 53 converged" "$(r53_api)" "192.0.2.20 192.0.2.51"

# Route 53 fails every request: it fails alone, the others converge
sed -i 's/192.0.2.51/192.0.2.53/' zones/example.com.zone
git_commit "$R" "api .53"
r53_ctl '{"fail_next": 1000, "status": 503}'
expect_exit 3 "Route 53 failing: exit 3" Z apply
contains "the matrix names Route 53" "$OUT" "example.com.             aws          failed: provider 'aws': zone 'example.com.': HTTP 503: ServiceUnavailable"
contains "NS1 changed" "$OUT" "example.com.             ns1          ok, changed"
contains "named changed" "$OUT" "example.com.             bind         ok, changed"
contains "PowerDNS changed" "$OUT" "example.com.             pdns         ok, changed"
same "NS1 has the change" "$(ns1_api)" "192.0.2.20 192.0.2.53"
same "named serves it" "$(answers "$BPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.53')"
same "PowerDNS serves it" "$(answers "$PPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.53')"
same "Route 53 still has the old one" "$(r53_api)" "192.0.2.20 192.0.2.51"
expect_exit 0 "status" Z status
contains "status shows Route 53 failing" "$OUT" "aws          failing"

# Route 53 answers again: reconcile converges it
r53_ctl '{"fail_next": 0}'
expect_exit 0 "reconcile converges Route 53" Z reconcile
same "Route 53 has the change" "$(r53_api)" "192.0.2.20 192.0.2.53"
expect_exit 0 "in sync everywhere" Z plan --exit-code
expect_exit 0 "verify agrees" Z verify
contains "both consistent" "$OUT" "verified 2 servers: 2 consistent"
finish
