#!/bin/bash
# zonefile-bind.sh - the whole loop against a real BIND: git commit -> plan -> apply (zonefile
# provider + rndc reload) -> named answers; no-op second run; a broken commit changes nothing;
# a failing reload is rolled back; safety limits; status and history.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-it-XXXXXX)
take_port PORT || exit 1
RNDC=$((PORT + 1000))
cleanup() { stop_servers; rm -rf "$T"; }
trap cleanup EXIT

echo "== zonefile provider against named on 127.0.0.1:$PORT"
STATIC_ZONES="example.com example.org" start_server bind "$T/bind" "$PORT" "$RNDC" || { echo "named did not start"; exit 1; }

R=$T/repo
git init -q -b main "$R"
mkdir -p "$R/zones"
cp "$TOP/zones/example.com.zone" "$TOP/zones/example.org.zone" "$R/zones/"
cat > "$R/zonesync.toml" <<CONF
[state]
path = "$T/state/state.db"
[providers.bind]
type = "zonefile"
directory = "$T/bind/zones"
reload_command = ["rndc", "-s", "127.0.0.1", "-p", "$RNDC", "-k", "$T/bind/rndc.key", "reload", "{zone}"]
create_zones = true
[defaults]
providers = ["bind"]
min_existing = 5
[[zones]]
name = "example.com"
[[zones]]
name = "example.org."
CONF
git_commit "$R" "example zones"
cd "$R"

expect_exit 0 "check passes on the example zones" "$ZONESYNC" check
expect_exit 2 "plan --exit-code says changes are pending" "$ZONESYNC" plan --exit-code
contains "plan lists a create" "$OUT" "+ www.example.com. 300 CNAME example.com."
expect_exit 0 "first apply" "$ZONESYNC" --no-color apply
contains "matrix reports the change" "$OUT" "ok, changed"

same "www is a CNAME" "$(answers "$PORT" www.example.com CNAME)" "example.com."
same "api has two addresses" "$(answers "$PORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.21')"
same "MX set" "$(answers "$PORT" example.com MX)" "$(printf '10 mx1.example.com.\n20 mx2.example.com.')"
same "CAA" "$(answers "$PORT" example.com CAA | head -1)" '0 iodef "mailto:security@example.com"'
same "SRV" "$(answers "$PORT" _sip._tcp.example.com SRV)" "10 60 5060 sip.example.com."
same "wildcard" "$(answers "$PORT" anything.apps.example.com A)" "192.0.2.80"
dkim=$(dig @127.0.0.1 -p "$PORT" +norec +short selector1._domainkey.example.com TXT | tr -d '" \n')
check "DKIM TXT longer than 255 bytes is served whole" [ "${#dkim}" -gt 300 ]
contains "delegation with glue" "$(dig @127.0.0.1 -p "$PORT" +norec +noall +authority +additional dev.example.com NS)" "192.0.2.153"
same "second zone" "$(answers "$PORT" www.example.org A)" "192.0.2.110"
serial1=$(dig @127.0.0.1 -p "$PORT" +short example.com SOA | awk '{print $3}')
check "serial is date-based and at least git's" [ "${serial1:-0}" -ge 2026112601 ]

mtime=$(stat -c %Y.%N "$T/bind/zones/example.com.zone")
rows=$(sqlite3 "$T/state/state.db" 'SELECT count(*) FROM journal')
expect_exit 0 "second apply" "$ZONESYNC" --no-color apply
contains "second apply finds everything in sync" "$OUT" "ok (in sync)"
same "second apply journals nothing" "$(sqlite3 "$T/state/state.db" 'SELECT count(*) FROM journal')" "$rows"
same "second apply does not rewrite the file" "$(stat -c %Y.%N "$T/bind/zones/example.com.zone")" "$mtime"
expect_exit 0 "plan --exit-code is 0 when in sync" "$ZONESYNC" plan --exit-code

# a real change
sed -i 's/^api            300   IN A    192.0.2.21$/api            300   IN A    192.0.2.22/' zones/example.com.zone
echo 'new            300   IN TXT  "added by a commit"' >> zones/example.com.zone
sed -i '/^_sips._tcp/d' zones/example.com.zone
git_commit "$R" "change api, add new, drop _sips"
git -C "$R" tag change
expect_exit 2 "plan sees three changes" "$ZONESYNC" --no-color plan --exit-code
contains "plan shows the update" "$OUT" "~ api.example.com. A"
expect_exit 0 "apply the change" "$ZONESYNC" apply
same "api changed" "$(answers "$PORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.22')"
same "new TXT" "$(answers "$PORT" new.example.com TXT)" '"added by a commit"'
same "_sips gone" "$(answers "$PORT" _sips._tcp.example.com SRV)" ""
serial2=$(dig @127.0.0.1 -p "$PORT" +short example.com SOA | awk '{print $3}')
check "serial went up ($serial1 -> $serial2)" [ "${serial2:-0}" -gt "${serial1:-0}" ]

# a broken commit is never pushed
before=$(sha256sum "$T/bind/zones/example.com.zone")
echo 'broken 300 IN A 192.0.2.300' >> zones/example.com.zone
sed -i 's/192.0.2.22/192.0.2.99/' zones/example.com.zone
git_commit "$R" "broken"
expect_exit 1 "check fails on the broken commit" "$ZONESYNC" check
contains "error names file and line" "$OUT" "zones/example.com.zone:"
expect_exit 1 "apply refuses a broken zone" "$ZONESYNC" --no-color apply
contains "matrix says skipped" "$OUT" "skipped: the zone has errors"
same "file untouched" "$(sha256sum "$T/bind/zones/example.com.zone")" "$before"
same "server unchanged" "$(answers "$PORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.22')"
git -C "$R" -c user.name=test -c user.email=test@example.com revert --no-edit HEAD >/dev/null

# a reload that fails: the old file comes back, the failure is recorded, the next run converges
sed -i 's/^www.example.org.*$//' "$R/zonesync.toml"
sed -i "s|^reload_command = .*|reload_command = [\"false\"]|" "$R/zonesync.toml"
sed -i 's/192.0.2.110/192.0.2.111/g' zones/example.org.zone
git_commit "$R" "org address"
before=$(sha256sum "$T/bind/zones/example.org.zone")
expect_exit 3 "apply with a failing reload exits 3" "$ZONESYNC" --no-color apply --zone example.org
contains "the failure names provider, zone and command" "$OUT" "provider 'bind': zone 'example.org.': reload command false failed (exit 1)"
same "the previous file is restored" "$(sha256sum "$T/bind/zones/example.org.zone")" "$before"
expect_exit 0 "status shows the failure" "$ZONESYNC" --no-color status
contains "status says failing" "$OUT" "failing"
git -C "$R" checkout -q zonesync.toml 2>/dev/null || true
sed -i "s|^reload_command = .*|reload_command = [\"rndc\", \"-s\", \"127.0.0.1\", \"-p\", \"$RNDC\", \"-k\", \"$T/bind/rndc.key\", \"reload\", \"{zone}\"]|" "$R/zonesync.toml"
expect_exit 0 "the next apply converges" "$ZONESYNC" apply --zone example.org
same "org address served" "$(answers "$PORT" www.example.org A)" "192.0.2.111"

# safety limits: deleting most of a zone is refused without --force
cat > zones/example.org.zone <<ZONE
\$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.org. 2026112602 7200 3600 1209600 300
@ IN NS ns1.example.com.
@ IN NS ns2.example.com.
@ IN NS pdns1.example.net.
@ IN NS pdns2.example.net.
ZONE
git_commit "$R" "gut example.org"
expect_exit 4 "a mass delete is refused" "$ZONESYNC" --no-color apply --zone example.org
contains "the reason is given" "$OUT" "over max_delete_pct"
same "nothing deleted" "$(answers "$PORT" www.example.org A)" "192.0.2.111"
expect_exit 0 "--force applies it" "$ZONESYNC" apply --zone example.org --force
same "deleted" "$(answers "$PORT" www.example.org A)" ""

# one run at a time: a second apply exits 5 while the first holds the lock, or queues with --wait
sed -i "s|^reload_command = .*|reload_command = [\"sleep\", \"3\"]|" "$R/zonesync.toml"
echo 'slow 300 IN TXT "slow"' >> zones/example.org.zone
git_commit "$R" "slow"
"$ZONESYNC" -q apply --zone example.org >/dev/null 2>&1 &
first=$!
for i in $(seq 1 50); do [ -s "$T/state/state.db.lock" ] && break; sleep 0.1; done
expect_exit 5 "a concurrent apply exits 5" "$ZONESYNC" apply --zone example.org
contains "it names the holder" "$OUT" "locked by pid $first since"
expect_exit 0 "apply --wait queues behind it" "$ZONESYNC" -q apply --zone example.org --wait=30
wait "$first"
same "the first apply succeeded" "$?" "0"

expect_exit 0 "history lists the runs" "$ZONESYNC" --no-color history
contains "history shows a change" "$OUT" "~ api.example.com. A @bind [applied]"
expect_exit 0 "diff between two commits" "$ZONESYNC" --no-color diff change~1 change
contains "diff shows the record change" "$OUT" "~ api.example.com. A"
finish
