#!/bin/bash
# journal-truth.sh - named killed in the middle of a multi-message RFC 2136 apply: the
# changes of the message that got no answer are journalled `unknown` (not `failed`), the
# next run reads the provider and resolves each of them, and `history` then says what
# really happened: every row `applied` is served, every other row of the killed run is not.
# And a PowerDNS PATCH performed but never answered (a proxy drops the answer): `unknown`,
# then resolved by the re-read in the same run.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-truth-XXXXXX)
take_port BPORT || exit 1
take_port PPORT || exit 1
take_port APORT || exit 1
take_port XPORT || exit 1
PROXY=
cleanup() {
	[ -n "$PROXY" ] && kill "$PROXY" 2>/dev/null
	bash "$TOP/tests/servers/stop-bind.sh" "$T/bind" >/dev/null 2>&1
	bash "$TOP/tests/servers/stop-pdns.sh" "$T/pdns" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
export TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
start() { DYNAMIC_ZONES="example.com" bash "$TOP/tests/servers/start-bind.sh" "$T/bind" "$BPORT" $((BPORT + 1000)) >/dev/null; }
start || exit 1
export ZS_TSIG=$TSIG_SECRET

R=$T/repo
new_repo "$R"
# named's placeholder apex (NS ns1, ns1 A 127.0.0.1) and 4,000 TXT records: several 64 KiB messages
{
	printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1\n'
	for i in $(seq 1 4000); do printf 't%d TXT "record %d of the journal-truth test, padded to be long enough"\n' "$i" "$i"; done
} > "$R/zones/example.com.zone"
git_commit "$R" "4000 records"
cat > "$T/zonesync.toml" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[defaults]
max_changes = 10000
[providers.bind]
type = "rfc2136"
server = "127.0.0.1:$BPORT"
tsig_name = "zonesync-key"
tsig_secret = "env:ZS_TSIG"
timeout = 20
retries = 0
[[zones]]
name = "example.com"
providers = ["bind"]
CONF
Z() { "$ZONESYNC" -c "$T/zonesync.toml" --no-color "$@"; }
served() { dig @127.0.0.1 -p "$BPORT" example.com AXFR -y "hmac-sha256:zonesync-key:$TSIG_SECRET" +noall +answer | awk '$4 == "TXT" && $1 ~ /^t[0-9]/' | wc -l; }
db() { sqlite3 "$T/state.db" "$1"; }

echo "== named :$BPORT killed while an apply of 4,000 records (several UPDATE messages) is under way"
"$ZONESYNC" -c "$T/zonesync.toml" -q apply >"$T/apply.out" 2>&1 &
victim=$!
NPID=$(cat "$T/bind/server.pid")
# the first message has been committed when named's journal appears: then freeze named (the
# next message waits for an answer that never comes) and kill it
for i in $(seq 1 400); do [ -s "$T/bind/dyn/example.com.zone.jnl" ] && break; sleep 0.02; done
kill -STOP "$NPID"
sleep 1
kill -KILL "$NPID"
wait "$victim"
rc=$?
same "the apply fails (exit 3)" "$rc" "3"
contains "  it says the outcome of a message is unknown" "$(cat "$T/apply.out")" "the outcome is unknown"
run1=$(db "SELECT max(id) FROM runs")
unknown=$(db "SELECT count(*) FROM journal WHERE run_id = $run1 AND status = 'unknown'")
applied=$(db "SELECT count(*) FROM journal WHERE run_id = $run1 AND status = 'applied'")
check "the message in flight is journalled unknown ($unknown rows), not failed" [ "$unknown" -ge 1 ]
same "the messages never sent are failed, the ones answered applied" \
	"$(db "SELECT count(*) FROM journal WHERE run_id = $run1 AND status = 'failed'")" "$((4000 - unknown - applied))"
same "no sent row is left as 'sent'" "$(db "SELECT count(*) FROM journal WHERE run_id = $run1 AND status IN ('sent', 'planned')")" "0"
expect_exit 0 "status shows the unknown outcome" Z status --json
contains "  as a count" "$OUT" "\"unknown_changes\": $unknown"
expect_exit 0 "history marks the rows UNKNOWN" Z history -n 1
contains "  distinctly" "$OUT" "@bind [UNKNOWN]"

echo "== named restarted: the next run resolves the unknown rows by reading it"
start || exit 1
live=$(served)
check "named serves what it had committed before it died ($live of 4000 records), not all" [ "$live" -lt 4000 ]
same "the deployment marker does not claim the killed run's commit (it travels in the last message)" \
	"$(dig @127.0.0.1 -p "$BPORT" +norec +short _zonesync.example.com TXT)" ""
expect_exit 0 "the next apply converges" Z apply
contains "  and then the marker names the commit" "$(dig @127.0.0.1 -p "$BPORT" +norec +short _zonesync.example.com TXT)" "commit=$(git -C "$R" rev-parse HEAD)"
same "  all 4,000 records served" "$(served)" "4000"
same "  no row of the killed run is unknown any more" "$(db "SELECT count(*) FROM journal WHERE status = 'unknown'")" "0"
same "  the killed run's applied rows are exactly what named had served" \
	"$(db "SELECT count(*) FROM journal WHERE run_id = $run1 AND status = 'applied'")" "$live"
same "  and the next run sent only the rest" \
	"$(db "SELECT count(*) FROM journal WHERE run_id = (SELECT max(id) FROM runs) AND status = 'applied'")" "$((4000 - live))"
resolved=$(db "SELECT count(*) FROM journal WHERE run_id = $run1 AND error LIKE 'the outcome was unknown%'")
same "  each formerly unknown row says how it was resolved" "$resolved" "$unknown"
expect_exit 0 "history of the killed run" Z history -n 2
contains "  says which run found out" "$OUT" "read the provider: it is"
expect_exit 0 "status is ok again" Z status
contains "  health ok" "$OUT" " ok "

echo "== a PowerDNS PATCH that was performed, its answer lost"
bash "$TOP/tests/servers/start-pdns.sh" "$T/pdns" "$PPORT" "$APORT" >/dev/null || exit 1
export PDNS_KEY=$(cat "$T/pdns/api.key")
python3 "$TOP/tests/fakes/dropwrites.py" "$XPORT" "$APORT" >"$T/proxy.log" 2>&1 </dev/null &
PROXY=$!
for i in $(seq 1 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$XPORT/")" != 000 ] && break; sleep 0.1; done
cat > "$T/pdns.toml" <<CONF
[repo]
path = "$R"
[state]
path = "$T/pdns-state.db"
[defaults]
max_changes = 10000
[providers.pdns]
type = "powerdns"
url = "http://127.0.0.1:$APORT"
api_key = "env:PDNS_KEY"
create_zones = true
[[zones]]
name = "example.com"
providers = ["pdns"]
CONF
expect_exit 0 "the zone created at pdns directly" "$ZONESYNC" -c "$T/pdns.toml" --no-color apply
sed -i "s|^url = .*|url = \"http://127.0.0.1:$XPORT\"\nretries = 0|" "$T/pdns.toml"
sed -i 's/^t1 TXT .*/t1 TXT "changed through a proxy that loses the answer"/' "$R/zones/example.com.zone"
git_commit "$R" "t1 changed"
expect_exit 0 "apply through the proxy: the re-read finds the change live" "$ZONESYNC" -c "$T/pdns.toml" --no-color apply
contains "  it said the outcome was unknown" "$OUT" "the outcome is unknown"
pdb() { sqlite3 "$T/pdns-state.db" "$1"; }
same "  the row is resolved by the re-read: applied (it is live)" \
	"$(pdb "SELECT status FROM journal WHERE owner = 't1.example.com.' ORDER BY id DESC LIMIT 1")" "applied"
contains "  and counted as applied" "$OUT" "1 change applied"
same "  nothing unknown is left" "$(pdb "SELECT count(*) FROM journal WHERE status = 'unknown'")" "0"
finish
