#!/bin/bash
# multi.sh - one zone on three independent providers at once (BIND by RFC 2136, Knot by
# RFC 2136, PowerDNS by its API): a provider that is down fails alone, reconcile catches it
# up, drift is repaired and recorded, a pre_apply hook vetoes exactly its zone x provider.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-multi-XXXXXX)
take_port BPORT || exit 1
take_port KPORT || exit 1
take_port PPORT || exit 1
take_port APORT || exit 1
take_port DPORT || exit 1
FAKE=
cleanup() {
	[ -n "$FAKE" ] && kill "$FAKE" 2>/dev/null
	stop_servers
	rm -rf "$T"
}
trap cleanup EXIT
tsig_key
DYNAMIC_ZONES="example.com" start_server bind "$T/bind" "$BPORT" $((BPORT + 1000)) || exit 1
ZONES="example.com" start_server knot "$T/knot" "$KPORT" || exit 1
start_pdns "$T/pdns" "$PPORT" "$APORT" || exit 1
export DYN_PW=dyn-$$-pw
python3 "$TOP/tests/fakes/dyn.py" "$DPORT" acme zonesync "$DYN_PW" >"$T/fake.log" 2>&1 </dev/null &
FAKE=$!
wait_fake "$FAKE" "http://127.0.0.1:$DPORT/__requests" || exit 1
curl -s -X POST "http://127.0.0.1:$DPORT/__control" -d '{"zone": "example.com"}' >/dev/null
dyn_ctl() { curl -s -X POST "http://127.0.0.1:$DPORT/__control" -d "$1" >/dev/null; }
dyn_api() { curl -s "http://127.0.0.1:$DPORT/__published/example.com" | python3 -c "import json,sys; print(' '.join(sorted(x['rdata']['address'] for x in json.load(sys.stdin) if x['fqdn']=='api.example.com' and x['record_type']=='A')))"; }

R=$T/repo
new_repo "$R" example.com
CFG=$T/zonesync.toml
cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[defaults]
providers = ["bind", "knot", "pdns", "dyn"]
jobs = 4
$(toml_rfc2136 bind "$BPORT")
$(toml_rfc2136 knot "$KPORT")
$(toml_powerdns pdns "$APORT")
retries = 1
timeout = 5
nameservers = ["127.0.0.1:$PPORT"]
[providers.dyn]
type = "dyn"
url = "http://127.0.0.1:$DPORT"
customer = "acme"
user = "zonesync"
password = "env:DYN_PW"
retries = 1
timeout = 5
[[zones]]
name = "example.com"
CONF
# every output of every run is kept, to prove no secret ever appears in it
Z() { "$ZONESYNC" -c "$CFG" --no-color "$@" 2>&1 | tee -a "$T/all-output"; return "${PIPESTATUS[0]}"; }
cd "$R"
echo "== one zone, four providers: bind :$BPORT, knot :$KPORT, pdns :$PPORT, dyn (fake) :$DPORT"
expect_exit 0 "apply to all four (apex NS of the placeholders replaced: --force)" Z apply --force
same "the Dyn fake published it" "$(dyn_api)" "192.0.2.20 192.0.2.21"
expect_exit 0 "verify: all three serve git" Z verify
contains "three servers consistent" "$OUT" "verified 3 servers: 3 consistent"

# PowerDNS goes down; the others still get the change
bash "$TOP/tests/servers/stop-pdns.sh" "$T/pdns" >/dev/null
sed -i 's/^api            300   IN A    192.0.2.21$/api            300   IN A    192.0.2.51/' zones/example.com.zone
git_commit "$R" "api .51"
expect_exit 3 "one provider down: exit 3" Z apply
contains "the matrix names it" "$OUT" "example.com.             pdns         failed: provider 'pdns': zone 'example.com.'"
contains "bind still changed" "$OUT" "example.com.             bind         ok, changed 1"
contains "dyn still changed" "$OUT" "example.com.             dyn          ok, changed 1"
contains "knot still changed" "$OUT" "example.com.             knot         ok, changed 1"
same "bind serves the change" "$(answers "$BPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.51')"
same "knot serves the change" "$(answers "$KPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.51')"
expect_exit 0 "status" Z status
contains "status shows pdns failing" "$OUT" "pdns         failing"
expect_exit 2 "verify reports the outage" Z verify --timeout 500
contains "pdns unreachable" "$OUT" "pdns @127.0.0.1:$PPORT: UNREACHABLE"

# Dyn fails every request: the others still converge
sed -i 's/192.0.2.51/192.0.2.53/' zones/example.com.zone
git_commit "$R" "api .53"
dyn_ctl '{"fail_next": 1000, "status": 500}'
bash "$TOP/tests/servers/start-pdns.sh" "$T/pdns" "$PPORT" "$APORT" >/dev/null || exit 1
expect_exit 3 "Dyn failing every request: exit 3" Z apply
contains "the matrix names Dyn" "$OUT" "example.com.             dyn          failed: provider 'dyn'"
same "bind converged" "$(answers "$BPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.53')"
same "pdns converged" "$(answers "$PPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.53')"
expect_exit 0 "status" Z status
contains "status shows Dyn failing" "$OUT" "dyn          failing"
dyn_ctl '{"fail_next": 0}'
expect_exit 0 "the fault cleared, reconcile converges Dyn" Z reconcile
same "Dyn published the change" "$(dyn_api)" "192.0.2.20 192.0.2.53"
bash "$TOP/tests/servers/stop-pdns.sh" "$T/pdns" >/dev/null

# it comes back: reconcile catches it up
bash "$TOP/tests/servers/start-pdns.sh" "$T/pdns" "$PPORT" "$APORT" >/dev/null || exit 1
expect_exit 0 "reconcile converges the provider that was down" Z reconcile
same "pdns serves the change" "$(answers "$PPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.53')"
expect_exit 0 "status after reconcile" Z status
check "no provider failing any more" sh -c "! printf '%s' \"\$1\" | grep -q failing" _ "$OUT"

# drift: a record changed behind zonesync's back on BIND is restored and recorded
printf 'server 127.0.0.1 %s\nzone example.com\nupdate delete www.example.com. CNAME\nupdate add www.example.com. 300 IN A 203.0.113.9\nsend\n' "$BPORT" |
	nsupdate -y "hmac-sha256:zonesync-key:$TSIG_SECRET"
expect_exit 0 "reconcile repairs drift" Z reconcile --metrics "$T/zonesync.prom"
contains "drift reported" "$OUT" "drift at bind for example.com.: www.example.com. A, www.example.com. CNAME"
same "restored" "$(answers "$BPORT" www.example.com CNAME)" "example.com."
contains "drift counted in the metrics" "$(cat "$T/zonesync.prom")" 'zonesync_drift_total{zone="example.com.",provider="bind"} 1'
contains "last success in the metrics" "$(cat "$T/zonesync.prom")" 'zonesync_last_success_timestamp_seconds{zone="example.com.",provider="knot"}'
expect_exit 0 "history" Z history -n 1
contains "the reconcile run is in the history" "$OUT" "reconcile"

# a pre_apply hook that vetoes one provider: exactly that zone x provider is skipped
cat > "$T/veto" <<'HOOK'
#!/bin/sh
cat > /dev/null
[ "$ZONESYNC_PROVIDER" = knot ] && { echo "change window closed for knot"; exit 1; }
exit 0
HOOK
chmod +x "$T/veto"
printf '[hooks]\npre_apply = [["%s"]]\n' "$T/veto" >> "$CFG"
sed -i 's/192.0.2.53/192.0.2.54/' zones/example.com.zone
git_commit "$R" "api .54"
expect_exit 0 "apply with a vetoing hook" Z apply
contains "knot skipped, with the hook's reason" "$OUT" "knot         skipped: pre_apply hook $T/veto said no (exit 1)"
contains "the hook's words are logged" "$OUT" "change window closed for knot"
same "bind changed" "$(answers "$BPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.54')"
same "knot did not" "$(answers "$KPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.53')"
# the secrets: never in any output, the state database or the journal
for secret in "$TSIG_SECRET" "$PDNS_KEY" "$DYN_PW"; do
	check "a secret (${#secret} chars) appears in no output" sh -c "! grep -qF -- \"\$1\" \"\$2\"" _ "$secret" "$T/all-output"
	check "nor in the state database" sh -c "! sqlite3 \"\$2\" .dump | grep -qF -- \"\$1\"" _ "$secret" "$T/state.db"
done
Z -v -v plan >/dev/null
check "nor in verbose output" sh -c "! grep -qF -- \"\$1\" \"\$2\" && ! grep -qF -- \"\$3\" \"\$2\"" _ "$TSIG_SECRET" "$T/all-output" "$PDNS_KEY"
finish
