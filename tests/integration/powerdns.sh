#!/bin/bash
# powerdns.sh - the powerdns provider against a real pdns_server: zones created through the
# API, one PATCH per zone, no request that writes when in sync, a rejected PATCH changes
# nothing, key and connection errors, several zones at once (concurrency = 2).
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-pdns-XXXXXX)
take_port PORT || exit 1
take_port API || exit 1
PROXY=
cleanup() { [ -n "$PROXY" ] && kill "$PROXY" 2>/dev/null; stop_servers; rm -rf "$T"; }
trap cleanup EXIT
start_pdns "$T/pdns" "$PORT" "$API" || exit 1

R=$T/repo
new_repo "$R" example.com example.org
CFG=$T/zonesync.toml
cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
$(toml_powerdns pdns "$API" "$PORT")
[defaults]
providers = ["pdns"]
[[zones]]
name = "example.com"
[[zones]]
name = "example.org"
CONF
cd "$R"
echo "== powerdns provider against pdns_server on 127.0.0.1:$PORT (API $API)"
expect_exit 0 "first apply creates both zones" "$ZONESYNC" -c "$CFG" --no-color apply
contains "one PATCH per zone, one POST to create each" "$OUT" "provider pdns: 6 requests (2 GET, 2 PATCH, 2 POST)"
same "CNAME" "$(answers "$PORT" www.example.com CNAME)" "example.com."
same "two A" "$(answers "$PORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.21')"
same "MX" "$(answers "$PORT" example.com MX)" "$(printf '10 mx1.example.com.\n20 mx2.example.com.')"
same "CAA" "$(answers "$PORT" example.com CAA | wc -l)" "2"
same "SRV" "$(answers "$PORT" _sip._tcp.example.com SRV)" "10 60 5060 sip.example.com."
dkim=$(dig @127.0.0.1 -p "$PORT" +norec +short selector1._domainkey.example.com TXT | tr -d '" \n')
check "TXT over 255 bytes" [ "${#dkim}" -gt 300 ]
same "null MX of the second zone" "$(answers "$PORT" example.org MX)" "0 ."

expect_exit 0 "verify: PowerDNS serves what git says" "$ZONESYNC" -c "$CFG" --no-color verify
contains "both zones consistent" "$OUT" "2 consistent, 0 with mismatches, 0 unreachable"
expect_exit 0 "verify --strict: nothing served beyond git" "$ZONESYNC" -c "$CFG" --no-color verify --strict
check "PowerDNS allows the transfer from 127.0.0.1: extras were looked for" sh -c "! printf '%s' \"\$1\" | grep -q 'extras not checked'" _ "$OUT"
expect_exit 0 "second apply" "$ZONESYNC" -c "$CFG" --no-color apply
contains "in sync: reads only" "$OUT" "provider pdns: 2 requests (2 GET, 0 PATCH, 0 POST)"

# names in other case and an unquoted string are the same records: no change
sed -i 's/^_dmarc               IN TXT  "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"$/_DMARC IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"/' zones/example.com.zone
git_commit "$R" "same data, other spelling"
expect_exit 0 "a respelled zone plans to nothing" "$ZONESYNC" -c "$CFG" --no-color plan --exit-code
# TXT string boundaries are data: the same text in two strings is another record, served so
sed -i 's/^_DMARC IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"$/_DMARC IN TXT "v=DMARC1; " "p=reject; rua=mailto:dmarc@example.com"/' zones/example.com.zone
git_commit "$R" "two strings"
expect_exit 2 "TXT split in two strings is a change" "$ZONESYNC" -c "$CFG" --no-color plan --exit-code
expect_exit 0 "apply the split" "$ZONESYNC" -c "$CFG" --no-color apply
same "PowerDNS serves the two strings" "$(answers "$PORT" _dmarc.example.com TXT)" '"v=DMARC1; " "p=reject; rua=mailto:dmarc@example.com"'
expect_exit 0 "the split re-plans to nothing" "$ZONESYNC" -c "$CFG" --no-color plan --exit-code
expect_exit 0 "verify: the two strings are served" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com
# served with the strings joined behind zonesync's back: verify compares wire rdata exactly
curl -s -X PATCH -H "X-API-Key: $PDNS_KEY" -H 'Content-Type: application/json' \
	"http://127.0.0.1:$API/api/v1/servers/localhost/zones/example.com." \
	-d '{"rrsets":[{"name":"_dmarc.example.com.","type":"TXT","ttl":3600,"changetype":"REPLACE","records":[{"content":"\"v=DMARC1; p=reject; rua=mailto:dmarc@example.com\"","disabled":false}]}]}'
expect_exit 2 "verify: joined strings are a mismatch" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com
contains "named, both forms shown" "$OUT" '_dmarc.example.com. TXT: different: served 3600 "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"; git says 3600 "v=DMARC1; " "p=reject; rua=mailto:dmarc@example.com"'
expect_exit 2 "plan sees it too" "$ZONESYNC" -c "$CFG" --no-color plan --exit-code
expect_exit 0 "apply repairs it" "$ZONESYNC" -c "$CFG" --no-color apply

sed -i 's/^api            300   IN A    192.0.2.21$/api            300   IN A    192.0.2.31/' zones/example.com.zone
echo 'added 300 IN AAAA 2001:db8::31' >> zones/example.com.zone
git_commit "$R" change
expect_exit 0 "a change" "$ZONESYNC" -c "$CFG" --no-color apply
contains "one PATCH for the zone" "$OUT" "(2 GET, 1 PATCH, 0 POST)"
same "changed" "$(answers "$PORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.31')"
same "added" "$(answers "$PORT" added.example.com AAAA)" "2001:db8::31"

# PowerDNS refuses a DS at the apex (HTTP 422, for the whole PATCH): plan refuses it per
# record, and nothing of the zone is sent, the good record neither
echo 'good 300 IN A 192.0.2.77' >> zones/example.com.zone
echo '@ 300 IN DS 2371 13 2 1F987CC6583E92DF0890718C42C4F4BDC4B83F2B07BD4E6E2345E9C3A6E6B5AC' >> zones/example.com.zone
git_commit "$R" "DS at the apex"
expect_exit 3 "a DS at the apex fails the provider before anything is sent" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com
contains "the error names provider, zone, record and reason" "$OUT" "provider 'pdns': zone 'example.com.': example.com. DS: provider 'pdns' cannot hold it: PowerDNS holds no DS record at the zone's apex"
contains "no PATCH" "$OUT" "(1 GET, 0 PATCH, 0 POST)"
same "nothing of the zone was applied" "$(answers "$PORT" good.example.com A)" ""
git -C "$R" -c user.name=t -c user.email=t@t revert --no-edit HEAD >/dev/null

# review, then apply exactly the reviewed plan; refused when live state moved meanwhile
echo 'reviewed 300 IN A 192.0.2.88' >> zones/example.com.zone
git_commit "$R" "reviewed change"
expect_exit 2 "plan --out for review" "$ZONESYNC" -c "$CFG" plan --exit-code --out "$T/reviewed.json"
expect_exit 0 "apply --plan applies the reviewed plan" "$ZONESYNC" -c "$CFG" --no-color apply --plan "$T/reviewed.json"
same "reviewed change served" "$(answers "$PORT" reviewed.example.com A)" "192.0.2.88"
echo 'second 300 IN A 192.0.2.89' >> zones/example.com.zone
git_commit "$R" "second reviewed change"
expect_exit 2 "another plan for review" "$ZONESYNC" -c "$CFG" plan --exit-code --out "$T/reviewed2.json"
curl -s -X PATCH -H "X-API-Key: $PDNS_KEY" -H 'Content-Type: application/json' \
	"http://127.0.0.1:$API/api/v1/servers/localhost/zones/example.com." \
	-d '{"rrsets":[{"name":"intruder.example.com.","type":"A","ttl":300,"changetype":"REPLACE","records":[{"content":"203.0.113.1","disabled":false}]}]}'
expect_exit 1 "apply --plan refuses when live state changed since review" "$ZONESYNC" -c "$CFG" --no-color apply --plan "$T/reviewed2.json"
contains "and says what moved" "$OUT" "zone example.com., provider pdns: changes: the reviewed plan has 1, planning it now gives 2; item 1 differs: reviewed change 1 (create second.example.com. A)"
contains "  the change that appeared" "$OUT" "now change 1 (delete intruder.example.com. A)"
same "nothing applied" "$(answers "$PORT" second.example.com A)" ""
expect_exit 0 "a fresh apply converges" "$ZONESYNC" -c "$CFG" apply

# onboarding: import what PowerDNS serves; the file passes check and re-plans to nothing
I=$T/imported
new_repo "$I"
expect_exit 0 "import --all" "$ZONESYNC" -c "$CFG" import --provider pdns --all --dir "$I/zones" --config-snippet
contains "a config snippet per zone" "$OUT" 'name = "example.org."'
check "one file per zone" [ -s "$I/zones/example.com.zone" ] && [ -s "$I/zones/example.org.zone" ]
contains "long TXT in quoted strings of 255 bytes" "$(grep selector1 "$I/zones/example.com.zone")" '" "'
imported_round_trip "$I" example.com example.org

# zone lifecycle: a zone removed from git stays at the provider unless apply --prune-zones;
# a zone zonesync never deployed is never touched
api() { curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $PDNS_KEY" "$@"; }
same "a zone created by someone else" "$(api -X POST "http://127.0.0.1:$API/api/v1/servers/localhost/zones" \
	-d '{"name": "unmanaged.example.", "kind": "Native", "nameservers": ["ns1.example.net."]}')" "201"
git -C "$R" rm -q zones/example.org.zone
git_commit "$R" "example.org leaves"
sed -i '/^\[\[zones\]\]$/{N;/example.org/d}' "$CFG"
expect_exit 0 "apply after example.org left git" "$ZONESYNC" -c "$CFG" --no-color apply
contains "says the zone is still at the provider" "$OUT" "zone example.org. at pdns is no longer in git for that provider: apply --prune-zones deletes it"
check "not about the zone it never deployed" sh -c "! printf '%s' \"\$1\" | grep -q unmanaged" _ "$OUT"
same "and leaves it served" "$(answers "$PORT" example.org MX)" "0 ."
expect_exit 0 "apply --dry-run --prune-zones" "$ZONESYNC" -c "$CFG" --no-color apply --dry-run --prune-zones
contains "says what it would delete" "$OUT" "apply --prune-zones would delete it"
same "and deletes nothing" "$(answers "$PORT" example.org MX)" "0 ."
expect_exit 0 "apply --prune-zones" "$ZONESYNC" -c "$CFG" --no-color apply --prune-zones
contains "deletes it" "$OUT" "deleted zone example.org. at pdns"
contains "and counts it" "$OUT" "0 skipped; 1 zone deleted"
same "PowerDNS no longer has it" "$(api "http://127.0.0.1:$API/api/v1/servers/localhost/zones/example.org.")" "404"
same "the zone zonesync never deployed is still there" "$(api "http://127.0.0.1:$API/api/v1/servers/localhost/zones/unmanaged.example.")" "200"
same "example.com untouched" "$(answers "$PORT" www.example.com CNAME)" "example.com."
expect_exit 0 "status" "$ZONESYNC" -c "$CFG" --no-color status
check "status forgets the pruned pair" sh -c "! printf '%s' \"\$1\" | grep -q example.org" _ "$OUT"
expect_exit 0 "history" "$ZONESYNC" -c "$CFG" --no-color history -n 1 -v
contains "the journal has the zone's deletion" "$OUT" "- example.org. ZONE @pdns [applied]"
expect_exit 0 "a second apply --prune-zones deletes nothing" "$ZONESYNC" -c "$CFG" --no-color apply --prune-zones
check "nothing deleted" sh -c "! printf '%s' \"\$1\" | grep -q 'deleted zone'" _ "$OUT"
# never backwards in pruning: a zone deployed from a commit this checkout does not descend
# from was added by newer work (another branch), not removed from git
git -C "$R" checkout -q -b side
cp zones/example.com.zone zones/side.example.zone
sed -i 's/example\.com\./side.example./g' zones/side.example.zone
git_commit "$R" "side.example on a branch"
cp "$CFG" "$T/main.toml"
printf '[[zones]]\nname = "side.example"\n' >> "$CFG"
expect_exit 0 "apply from the branch deploys side.example" "$ZONESYNC" -c "$CFG" --no-color apply --zone side.example
git -C "$R" checkout -q main
cp "$T/main.toml" "$CFG"
expect_exit 6 "apply --prune-zones from a checkout that does not descend from it" "$ZONESYNC" -c "$CFG" --no-color apply --prune-zones
contains "says why it is not deleted" "$OUT" "which this checkout ("
contains "and how to go on" "$OUT" "does not descend from: not deleted (git pull and run again, or --allow-older)"
same "side.example still served" "$(api "http://127.0.0.1:$API/api/v1/servers/localhost/zones/side.example.")" "200"
expect_exit 0 "apply --prune-zones --allow-older deletes it" "$ZONESYNC" -c "$CFG" --no-color apply --prune-zones --allow-older
contains "deleted" "$OUT" "deleted zone side.example. at pdns"
expect_exit 64 "reconcile never deletes zones" "$ZONESYNC" -c "$CFG" reconcile --prune-zones

# never backwards: a checkout older than the commit that added a zone does not delete it
OLD=$(git -C "$R" rev-parse HEAD)
cp "$CFG" "$T/old.toml"
git -C "$R" show HEAD~1:zones/example.org.zone > zones/example.org.zone
git_commit "$R" "example.org is back"
printf '[[zones]]\nname = "example.org"\n' >> "$CFG"
expect_exit 0 "a newer commit deploys example.org again" "$ZONESYNC" -c "$CFG" --no-color apply
cp "$CFG" "$T/new.toml"
cp "$T/old.toml" "$CFG"
expect_exit 6 "apply --prune-zones from the older checkout" "$ZONESYNC" -c "$CFG" --no-color apply --ref "$OLD" --prune-zones
contains "says why the zone stays" "$OUT" "zone example.org. at pdns was deployed from commit"
same "PowerDNS still serves the newer zone" "$(answers "$PORT" example.org MX)" "0 ."
git -C "$R" rm -q zones/example.org.zone
git_commit "$R" "example.org leaves again"
expect_exit 0 "from a descendant it is pruned" "$ZONESYNC" -c "$CFG" --no-color apply --prune-zones
contains "deletes it" "$OUT" "deleted zone example.org. at pdns"

# never backwards in pruning across hosts: host B's state db saw fleet.example deployed; host
# A then deployed newer work to it from a branch B's checkout does not have; B, its zone
# gone from git, finds host A's marker at the provider and leaves the zone alone
sed "s|^path = \"$T/state.db\"|path = \"$T/hostb.db\"|" "$CFG" > "$T/hostb-pruned.toml"
cp zones/example.com.zone zones/fleet.example.zone
sed -i 's/example\.com\./fleet.example./g' zones/fleet.example.zone
git_commit "$R" "fleet.example"
{ cat "$T/hostb-pruned.toml"; printf '[[zones]]\nname = "fleet.example"\n'; } > "$T/hostb.toml"
{ cat "$CFG"; printf '[[zones]]\nname = "fleet.example"\n'; } > "$T/hosta.toml"
expect_exit 0 "host B deploys fleet.example" "$ZONESYNC" -c "$T/hostb.toml" --no-color apply --zone fleet.example
git -C "$R" checkout -q -b fleet-newer
echo 'newer 300 IN A 192.0.2.99' >> zones/fleet.example.zone
git_commit "$R" "newer work on fleet.example"
expect_exit 0 "host A deploys newer work from its branch" "$ZONESYNC" -c "$T/hosta.toml" --no-color apply --zone fleet.example
git -C "$R" checkout -q main
git -C "$R" rm -q zones/fleet.example.zone
git_commit "$R" "fleet.example leaves"
expect_exit 0 "host B, --dry-run" "$ZONESYNC" -c "$T/hostb-pruned.toml" --no-color apply --prune-zones --dry-run
contains "reads the marker first" "$OUT" "zone fleet.example. at pdns: its deployment marker says commit"
check "and says it would not delete it" sh -c "! printf '%s' \"\$1\" | grep -q 'fleet.example. at pdns is no longer in git for that provider: apply --prune-zones would delete it'" _ "$OUT"
expect_exit 6 "host B's prune leaves host A's newer work alone" "$ZONESYNC" -c "$T/hostb-pruned.toml" --no-color apply --prune-zones
contains "says why and how to go on" "$OUT" "which this checkout ("
contains "and that it is newer work" "$OUT" "(newer work, or work this checkout never saw): git pull and run again, or --allow-older: not deleted"
same "PowerDNS still serves host A's record" "$(answers "$PORT" newer.fleet.example A)" "192.0.2.99"
expect_exit 0 "host A, --allow-older, deletes it" "$ZONESYNC" -c "$CFG" --no-color apply --prune-zones --allow-older
contains "deleted" "$OUT" "deleted zone fleet.example. at pdns"

# records in the text form pdns prints itself: its API refuses any other spelling
cat > zones/forms.example.zone <<'ZONE'
$TTL 300
@ IN SOA ns1.forms.example. hostmaster.forms.example. 1 3600 600 86400 300
@ IN NS ns1.forms.example.
ns1 IN A 192.0.2.1
loc LOC 42 21 54 N 71 6 18 W -24.05m 30m 10000m 10m
loc LOC 0 0 0 N 0 0 0 E 0m
loc2 LOC 52 22 23.5 S 4 53 32.125 E 21374836.47m 1m 40000000m 0.01m
https HTTPS 1 . alpn=h2 ech=AEn+DQBFKwAgACABWIHUGj4u+PIggYXcR5JF0gYk3dCRioBW8uJq9H4mKAAIAAEAAQABAANAEnB1YmxpYy50bHMtZWNoLmRldgAA
svcb SVCB 16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1
svcb2 SVCB 1 . mandatory=key7 key7 key667="hello\210qoo"
svcb3 SVCB 16 foo.example.org. alpn="f\\\\oo\\,bar,h2"
empty TYPE65281 \# 0
unk TYPE65282 \# 4 0a000001
rt RT 10 relay.example.
txt TXT "a" "" "b"
ZONE
git_commit "$R" "forms pdns prints its own way"
printf '[[zones]]\nname = "forms.example"\n' >> "$CFG"
expect_exit 0 "LOC, SVCB/HTTPS, RFC 3597 and RT records are taken" "$ZONESYNC" -c "$CFG" --no-color apply --zone forms.example
same "LOC served" "$(answers "$PORT" loc.forms.example LOC | head -1)" "0 0 0.000 N 0 0 0.000 E 0.00m 1m 10000m 10m"
contains "HTTPS with ech served" "$(dig @127.0.0.1 -p "$PORT" +norec +short https.forms.example TYPE65)" "ech=AEn+DQBFKwAgACABWIHUGj4u"
same "the empty unknown type served" "$(dig @127.0.0.1 -p "$PORT" +norec +short empty.forms.example TYPE65281)" "\# 0"
same "RT served" "$(answers "$PORT" rt.forms.example TYPE21)" "10 relay.example."
expect_exit 0 "and re-plan to nothing" "$ZONESYNC" -c "$CFG" --no-color plan --zone forms.example --exit-code
expect_exit 0 "verify agrees" "$ZONESYNC" -c "$CFG" --no-color verify --zone forms.example
echo 'big LOC 1 0 0 N 1 0 0 E 0m 90000000m' >> zones/forms.example.zone
echo 'mb TYPE7 \# 1 00' >> zones/forms.example.zone
git_commit "$R" "values pdns cannot hold"
expect_exit 3 "what pdns cannot hold is refused in plan" "$ZONESYNC" -c "$CFG" --no-color plan --zone forms.example
contains "per record, with the reason (LOC size)" "$OUT" "big.forms.example. LOC: provider 'pdns' cannot hold it: PowerDNS holds LOC sizes and precisions up to 42949672.95m only"
contains "per record, with the reason (a type pdns names itself)" "$OUT" "mb.forms.example. TYPE7: provider 'pdns' cannot hold it: PowerDNS knows this type by a name of its own"
sed -i '/^big LOC\|^mb TYPE7/d' zones/forms.example.zone
git_commit "$R" "back"

# what pdns's API refuses for a whole PATCH (HTTP 422) is refused per record in plan, with
# the reason, and nothing of the zone is sent: a DNSKEY below the apex, a DS at the apex,
# an NS, MX or SRV target that is not a host name
cat > zones/bad.example.zone <<'ZONE'
$TTL 300
@ IN SOA ns1.bad.example. hostmaster.bad.example. 1 3600 600 86400 300
@ IN NS ns1.bad.example.
ns1 IN A 192.0.2.1
@ IN DNSKEY 257 3 13 kXKkvWU3vGYfTJGl3qBd4qhiWp5aRs7YtkCJxD2d+t7KXqwahww5IgJtxJT2yFItlggazyfXqJEVOmMJ3qT0tQ==
key IN DNSKEY 257 3 13 kXKkvWU3vGYfTJGl3qBd4qhiWp5aRs7YtkCJxD2d+t7KXqwahww5IgJtxJT2yFItlggazyfXqJEVOmMJ3qT0tQ==
@ IN DS 2371 13 2 c988ec423e3880eb8dd8a46fe06ca230ee23f35b578f5a0dc8c3fe55f56df7e3
child IN DS 2371 13 2 c988ec423e3880eb8dd8a46fe06ca230ee23f35b578f5a0dc8c3fe55f56df7e3
child IN NS ns1.child.bad.example.
ns1.child IN A 192.0.2.2
@ IN MX 10 mail_relay.example.net.
ZONE
git_commit "$R" "a zone pdns cannot hold all of"
printf '[[zones]]\nname = "bad.example"\n' >> "$CFG"
expect_exit 3 "plan refuses what PowerDNS cannot hold" "$ZONESYNC" -c "$CFG" --no-color plan --zone bad.example
contains "a DNSKEY below the apex, with the reason" "$OUT" "key.bad.example. DNSKEY: provider 'pdns' cannot hold it: PowerDNS holds DNSKEY records only at the zone's apex"
contains "a DS at the apex" "$OUT" "bad.example. DS: provider 'pdns' cannot hold it: PowerDNS holds no DS record at the zone's apex"
contains "an MX target that is not a host name" "$OUT" "bad.example. MX: provider 'pdns' cannot hold it: PowerDNS takes only a host name as NS, MX or SRV target"
check "not the DNSKEY at the apex, nor the DS of the delegation" sh -c "! printf '%s' \"\$1\" | grep -Eq \"(^|[ ']|: )bad[.]example[.] DNSKEY:|child[.]bad[.]example[.] DS:\"" _ "$OUT"
expect_exit 3 "apply sends nothing of the zone" "$ZONESYNC" -c "$CFG" --no-color apply --zone bad.example
same "PowerDNS was not asked to create it" "$(api "http://127.0.0.1:$API/api/v1/servers/localhost/zones/bad.example.")" "404"
sed -i '/^key IN DNSKEY/d;/^@ IN DS/d;/mail_relay/d' zones/bad.example.zone
git_commit "$R" "bad.example without what pdns refuses"

# a zone create_zones made in a run whose PATCH failed is not left served empty (a proxy
# refuses the PATCH as the API would: what pdns refuses is refused in plan already)
take_port XPORT || exit 1
python3 "$TOP/tests/fakes/dropwrites.py" "$XPORT" "$API" --refuse PATCH >"$T/proxy.log" 2>&1 </dev/null &
PROXY=$!
for i in $(seq 1 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$XPORT/")" != 000 ] && break; sleep 0.1; done
sed "s|^url = .*|url = \"http://127.0.0.1:$XPORT\"|" "$CFG" > "$T/refusing.toml"
expect_exit 3 "a refused first PATCH of a new zone fails the pair" "$ZONESYNC" -c "$T/refusing.toml" --no-color apply --zone bad.example
contains "with provider, zone and the API's reason" "$OUT" "provider 'pdns': zone 'bad.example.': HTTP 422: refused by the test proxy"
contains "and says the new zone was deleted again" "$OUT" "(the zone created for these records was deleted again)"
same "PowerDNS does not have the zone" "$(api "http://127.0.0.1:$API/api/v1/servers/localhost/zones/bad.example.")" "404"
check "nor serves it" sh -c "! dig @127.0.0.1 -p $PORT +norec bad.example SOA | grep -q 'status: NOERROR'"
kill "$PROXY" 2>/dev/null
PROXY=
expect_exit 0 "the next apply creates it whole" "$ZONESYNC" -c "$CFG" --no-color apply --zone bad.example
same "with its NS" "$(answers "$PORT" bad.example NS)" "ns1.bad.example."
same "and the DNSKEY at its apex" "$(answers "$PORT" bad.example DNSKEY | wc -l)" "1"

# concurrency = 2: two zones at once at PowerDNS; the same results, converged, in the same order
for i in 1 2 3 4 5 6; do
	printf '$TTL 300\n@ IN SOA ns1.c%s.example. hostmaster.c%s.example. 1 3600 600 86400 300\n@ IN NS ns1.c%s.example.\nns1 IN A 192.0.2.%s\nwww IN CNAME @\n' \
		$i $i $i $i > zones/c$i.example.zone
	printf '[[zones]]\nname = "c%s.example"\n' $i >> "$CFG"
done
git_commit "$R" "six zones"
expect_exit 0 "plan, one zone at a time" "$ZONESYNC" -c "$CFG" --no-color plan
one=$OUT
sed -i 's/^create_zones = true$/&\nconcurrency = 2/' "$CFG"
expect_exit 0 "plan with concurrency = 2" "$ZONESYNC" -c "$CFG" --no-color plan
same "prints the same plan" "$OUT" "$one"
expect_exit 0 "apply with concurrency = 2 creates the six zones" "$ZONESYNC" -c "$CFG" --no-color apply
contains "one POST to create each" "$OUT" "PATCH, 6 POST)"
for i in 1 6; do same "c$i.example served" "$(answers "$PORT" ns1.c$i.example A)" "192.0.2.$i"; done
for i in 1 2 3 4 5 6; do sed -i 's/^www IN CNAME @$/www IN A 198.51.100.'$i'/' zones/c$i.example.zone; done
git_commit "$R" "six changes"
expect_exit 0 "apply with concurrency = 2 changes all six" "$ZONESYNC" -c "$CFG" --no-color apply
contains "counted" "$OUT" "6 changed"
expect_exit 0 "and plans to nothing" "$ZONESYNC" -c "$CFG" --no-color plan --exit-code
expect_exit 0 "verify agrees" "$ZONESYNC" -c "$CFG" --no-color verify
same "c4.example has its change" "$(answers "$PORT" www.c4.example A)" "198.51.100.4"
sed -i '/^concurrency = 2$/d' "$CFG"

PDNS_KEY=wrong-key-123 expect_exit 3 "a wrong API key" "$ZONESYNC" -c "$CFG" --no-color plan
contains "says the key was rejected" "$OUT" "API key rejected: HTTP 401"
check "the key is not printed" sh -c "! printf '%s' \"\$1\" | grep -q wrong-key-123" _ "$OUT"
env -u PDNS_KEY "$ZONESYNC" -c "$CFG" plan >"$T/err" 2>&1; rc=$?
same "a missing key variable is a configuration error (exit 1), not a provider outage" "$rc" "1"
contains "and names the variable" "$(cat "$T/err")" "environment variable PDNS_KEY is not set"

bash "$TOP/tests/servers/stop-pdns.sh" "$T/pdns" >/dev/null
expect_exit 3 "the API is down" "$ZONESYNC" -c "$CFG" --no-color plan
contains "connection failure named" "$OUT" "provider 'pdns': zone 'example.com.'"
expect_exit 2 "verify with the server down: the outage case" "$ZONESYNC" -c "$CFG" --no-color verify --timeout 500
contains "reported unreachable" "$OUT" "pdns @127.0.0.1:$PORT: UNREACHABLE"
finish
