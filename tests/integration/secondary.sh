#!/bin/bash
# secondary.sh - an NSD secondary of named (TSIG AXFR, NOTIFY) declared type = "secondary":
# apply never pushes to it, `apply --verify` waits until it serves the change, and
# `verify` reports it when it lags.
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/zonesync-sec-XXXXXX)
take_port BPORT || exit 1
take_port NPORT || exit 1
take_port CPORT || exit 1
cleanup() {
	stop_servers
	rm -rf "$T"
}
trap cleanup EXIT
tsig_key
NOTIFY_PORTS="$NPORT" DYNAMIC_ZONES="example.com" start_server bind "$T/bind" "$BPORT" $((BPORT + 1000)) || exit 1
start_server nsd "$T/nsd" "$NPORT" "$BPORT" "$T/bind/tsig.secret" example.com || exit 1
R=$T/repo
new_repo "$R" example.com
CFG=$T/zonesync.toml
cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
$(toml_rfc2136 bind "$BPORT")
[providers.nsd]
type = "secondary"
nameservers = ["127.0.0.1:$NPORT"]
[[zones]]
name = "example.com"
providers = ["bind", "nsd"]
CONF
Z() { "$ZONESYNC" -c "$CFG" --no-color "$@"; }
echo "== NSD secondary :$NPORT of named :$BPORT"
expect_exit 0 "apply --verify: pushed to BIND, verified on both after NOTIFY" Z apply --force --verify=30
contains "the secondary is never pushed to" "$OUT" "example.com.             nsd          skipped: secondary"
contains "both consistent" "$OUT" "verified 2 servers: 2 consistent"
same "NSD serves the change" "$(answers "$NPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.21')"
expect_exit 0 "verify --strict: NSD refuses AXFR to us, which is noted, not a mismatch" Z verify --strict --provider nsd
contains "the note" "$OUT" "note: extras not checked: AXFR of example.com. from 127.0.0.1:$NPORT refused: REFUSED"
# the parent zone (com., on another named) delegates to BIND's servers only
mkdir -p "$T/parent/zones"
cat > "$T/parent/zones/com.zone" <<ZONE
\$TTL 300
@ SOA a.gtld.test. h.gtld.test. 1 3600 600 86400 300
@ NS a.gtld.test.
example NS ns1.example.com.
example NS ns2.example.com.
ns1.example A 192.0.2.53
ns2.example A 198.51.100.53
ZONE
STATIC_ZONES="com" start_server bind "$T/parent" "$CPORT" $((CPORT + 1000)) || exit 1
expect_exit 2 "verify --delegation finds providers missing from the delegation" Z verify --delegation --parent "127.0.0.1:$CPORT"
contains "names them" "$OUT" "pdns1.example.net. (git): not in the delegation: resolvers never ask it, it adds no resilience"
contains "and the parent" "$OUT" "example.com. delegation @127.0.0.1:$CPORT: MISMATCH (2 NS"
Z verify --delegation --parent "127.0.0.1:$CPORT" --json >"$T/v.json" 2>/dev/null
check "with --json, standard output stays one JSON document" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/v.json"
sed -i 's/^ns2.example A 198.51.100.53$/ns2.example A 198.51.100.53\nexample NS pdns1.example.net.\nexample NS pdns2.example.net./; s/ 1 3600 600/ 2 3600 600/' "$T/parent/zones/com.zone"
rndc -s 127.0.0.1 -p $((CPORT + 1000)) -k "$T/parent/rndc.key" reload com >/dev/null
sleep 0.5
expect_exit 0 "delegated to all four: consistent" Z verify --delegation --parent "127.0.0.1:$CPORT"
contains "says so" "$OUT" "example.com. delegation @127.0.0.1:$CPORT: consistent (4 NS)"

# NSD stops: verify reports the secondary unreachable (exit 2)
bash "$TOP/tests/servers/stop-nsd.sh" "$T/nsd" >/dev/null
expect_exit 2 "a secondary down is an outage for verify" Z verify --timeout 500
contains "named" "$OUT" "example.com. nsd @127.0.0.1:$NPORT: UNREACHABLE"
finish
