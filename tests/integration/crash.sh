#!/bin/bash
# crash.sh - zonesync killed with SIGKILL in the middle of an apply (a slow Dyn fake):
# nothing half-done is published, the journal says what was in flight, and the next
# apply converges without losing or duplicating a change.
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/zonesync-crash-XXXXXX)
take_port PORT || exit 1
export DYN_PW=pw-$$
python3 "$TOP/tests/fakes/dyn.py" "$PORT" acme zonesync "$DYN_PW" --delay-ms 150 >"$T/fake.log" 2>&1 </dev/null &
FAKE=$!
cleanup() { kill "$FAKE" 2>/dev/null; wait "$FAKE" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
wait_fake "$FAKE" "http://127.0.0.1:$PORT/__requests" || exit 1
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"zone": "example.com"}' >/dev/null
published() { curl -s "http://127.0.0.1:$PORT/__published/example.com" | python3 -c "import json,sys; print(sum(1 for x in json.load(sys.stdin) if x['record_type']=='TXT' and x['fqdn'].startswith('t')))"; }

R=$T/repo
git init -q -b main "$R"
mkdir -p "$R/zones"
{ printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1.p01.dynect.net.\n'; for i in $(seq 1 30); do echo "t$i TXT \"record $i\""; done; } > "$R/zones/example.com.zone"
git_commit "$R" "30 records"
cat > "$T/zonesync.toml" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[providers.dyn]
type = "dyn"
url = "http://127.0.0.1:$PORT"
customer = "acme"
user = "zonesync"
password = "env:DYN_PW"
[[zones]]
name = "example.com"
providers = ["dyn"]
CONF
echo "== SIGKILL during apply (Dyn fake answering in 150 ms)"
"$ZONESYNC" -c "$T/zonesync.toml" -q apply >/dev/null 2>&1 &
victim=$!
sleep 2.5   # login, zone, AllRecord, then staging 30 RRsets at 150 ms each: mid-way
kill -KILL "$victim"
wait "$victim" 2>/dev/null
same "nothing of the killed run was published (staged changes died with it)" "$(published)" "0"
same "the killed run is still marked running" "$(sqlite3 "$T/state.db" "SELECT status FROM runs ORDER BY id DESC LIMIT 1")" "running"
inflight=$(sqlite3 "$T/state.db" "SELECT count(*) FROM journal WHERE status IN ('planned','sent')")
inflight_sent=$(sqlite3 "$T/state.db" "SELECT count(*) FROM journal WHERE status = 'sent'")
check "the journal lists the changes that were in flight ($inflight)" [ "$inflight" -ge 1 ]
expect_exit 0 "the next apply" "$ZONESYNC" -c "$T/zonesync.toml" --no-color apply
contains "it says an earlier run was interrupted" "$OUT" "1 earlier run ended without finishing"
same "all 30 records are published" "$(published)" "30"
same "the killed run is marked interrupted" "$(sqlite3 "$T/state.db" "SELECT status FROM runs ORDER BY id LIMIT 1")" "interrupted"
same "the new run applied the 30 changes once" "$(sqlite3 "$T/state.db" "SELECT count(*) FROM journal WHERE status = 'applied'")" "30"
same "what the killed run had sent is no longer 'sent' nor unknown: the next run read Dyn" \
	"$(sqlite3 "$T/state.db" "SELECT count(*) FROM journal WHERE status IN ('sent', 'unknown')")" "0"
same "  and it says those changes did not happen (nothing was published)" \
	"$(sqlite3 "$T/state.db" "SELECT count(*) FROM journal j JOIN runs r ON r.id = j.run_id WHERE r.status = 'interrupted' AND j.status = 'failed' AND j.error LIKE '%it is not served%'")" "$inflight_sent"
expect_exit 0 "then in sync" "$ZONESYNC" -c "$T/zonesync.toml" plan --exit-code
finish
