#!/bin/bash
# zonefile-refusals.sh - a file named refuses is never reported applied: on a zone named
# already serves, `rndc reload` only queues the load, so the provider runs the server's
# checker first (check_command) and then waits for the new SOA serial over DNS; a refused
# or unconfirmed load restores the previous file and fails the pair with the reason.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-it-XXXXXX)
take_port PORT || exit 1
take_port DEAD || exit 1 # a listed nameserver that is down (a secondary): the one serving the serial is enough
RNDC=$((PORT + 1000))
cleanup() { stop_servers; rm -rf "$T"; }
trap cleanup EXIT

echo "== zonefile refusals against named on 127.0.0.1:$PORT"
STATIC_ZONES="r.test" start_server bind "$T/bind" "$PORT" "$RNDC" || { echo "named did not start"; exit 1; }

R=$T/repo
git init -q -b main "$R"
mkdir -p "$R/zones"
cat > "$R/zones/r.test.zone" <<'ZONE'
$TTL 300
@ IN SOA ns1.r.test. hostmaster.r.test. 2026010100 3600 600 86400 300
@ IN NS ns1.r.test.
ns1 IN A 127.0.0.1
www IN A 192.0.2.1
ZONE
RELOAD="[\"rndc\", \"-s\", \"127.0.0.1\", \"-p\", \"$RNDC\", \"-k\", \"$T/bind/rndc.key\", \"reload\", \"{zone}\"]"
config() { # config [check_command line]
	cat > "$R/zonesync.toml" <<CONF
[state]
path = "$T/state/state.db"
[providers.bind]
type = "zonefile"
directory = "$T/bind/zones"
reload_command = $RELOAD
nameservers = ["127.0.0.1:$PORT", "127.0.0.1:$DEAD"]
timeout = 3
create_zones = true
max_update_pct = 100
max_delete_pct = 100
min_existing = 0
$1
[defaults]
providers = ["bind"]
[[zones]]
name = "r.test"
CONF
}
config ""
git_commit "$R" "r.test"
cp "$R/zones/r.test.zone" "$T/base.zone"
cd "$R"
F=$T/bind/zones/r.test.zone

expect_exit 0 "first apply: the zone is created and named serves its serial" "$ZONESYNC" --no-color apply
same "named serves it" "$(answers "$PORT" www.r.test A)" "192.0.2.1"
serial=$(dig @127.0.0.1 -p "$PORT" +short r.test SOA | awk '{print $3}')
good=$(sha256sum "$F")

# without a checker: named refuses the file in its log only; the serial it serves says so
printf 'under_score IN A 192.0.2.9\n' >> zones/r.test.zone
git_commit "$R" "underscore host"
expect_exit 3 "a file named refuses (check-names) fails the pair" "$ZONESYNC" --no-color apply
contains "the error says the server did not load it" "$OUT" "provider 'bind': zone 'r.test.': the server did not load the new file"
contains "and what it still serves" "$OUT" "nameserver 127.0.0.1:$PORT still serves serial $serial"
same "the previous file is restored" "$(sha256sum "$F")" "$good"
same "named still serves the old zone" "$(dig @127.0.0.1 -p "$PORT" +short r.test SOA | awk '{print $3}')" "$serial"
expect_exit 2 "plan still shows the change pending" "$ZONESYNC" plan --exit-code
expect_exit 0 "status records the failure" "$ZONESYNC" --no-color status
contains "status says failing" "$OUT" "failing"

# with the server's own checker and policy: refused before anything is installed, with its reason
config 'check_command = ["named-checkzone", "-k", "fail", "{zone}", "{file}"]'
for owner in '-leading-hyphen' 'under_score' 'dot\.inside'; do
	cp "$T/base.zone" zones/r.test.zone
	printf '%s IN A 192.0.2.9\n' "$owner" >> zones/r.test.zone
	git_commit "$R" "owner $owner"
	expect_exit 3 "check_command refuses owner $owner" "$ZONESYNC" --no-color apply
	contains "the reason is the checker's: check-names ($owner)" "$OUT" "the server's checker refused the file: check command named-checkzone failed (exit 1)"
	contains "it names the record ($owner)" "$OUT" "$owner.r.test: bad owner name (check-names)"
	contains "it names the file to be installed, not a temporary one" "$OUT" "$F:"
	same "the file is untouched ($owner)" "$(sha256sum "$F")" "$good"
	check "no temporary file is left ($owner)" [ -z "$(ls "$T/bind/zones" | grep zonesync)" ]
done

# BIND 9.18.28+ refuses more than 100 records in one RRset (max-records-per-type); its checker does not
cp "$T/base.zone" zones/r.test.zone
for i in $(seq 1 101); do echo "big IN A 192.0.2.$i"; done >> zones/r.test.zone
git_commit "$R" "101 addresses"
if named-checkzone -q r.test zones/r.test.zone; then
	expect_exit 3 "an RRset over named's limit fails the pair" "$ZONESYNC" --no-color apply
	contains "the error says the server did not load it" "$OUT" "the server did not load the new file"
	contains "it names the limit and the RRset" "$OUT" "likely too many records in one RRset (the server's limit): big.r.test. A has 101 records"
	same "the previous file is restored" "$(sha256sum "$F")" "$good"
	same "named still serves the old zone" "$(answers "$PORT" www.r.test A)" "192.0.2.1"
	check "named logged its reason" grep -q "too many records" "$T/bind/named.log"
else
	echo "  (named-checkzone refuses 101 records itself: skipped)"
fi

# a good change after all that: applied and confirmed
cp "$T/base.zone" zones/r.test.zone
sed -i 's/^www IN A 192.0.2.1$/www IN A 192.0.2.2/' zones/r.test.zone
git_commit "$R" "www moves"
expect_exit 0 "a good change is applied and confirmed" "$ZONESYNC" --no-color apply
same "named serves it" "$(answers "$PORT" www.r.test A)" "192.0.2.2"
expect_exit 0 "plan is in sync" "$ZONESYNC" plan --exit-code

# a reviewed plan with a zone that has errors: its valid zones are applied from it (the
# invalid zone's text named the commit as HEAD when planned and by its id when re-planned)
P=$T/pf
mkdir -p "$P/zones" "$P/served"
git init -q -b main "$P"
printf '$TTL 300\n@ SOA ns1 h 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.2\n' > "$P/zones/good.test.zone"
printf '$TTL 300\n@ SOA ns1 h 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\nwww CNAME ns1\nwww TXT "x"\n' > "$P/zones/bad.test.zone"
git_commit "$P" "a good and a bad zone"
printf '[repo]\npath = "%s"\nall_zones = true\n[state]\npath = "%s/state.db"\n[defaults]\nproviders = ["files"]\n[providers.files]\ntype = "zonefile"\ndirectory = "%s/served"\ncreate_zones = true\n' "$P" "$P" "$P" > "$P/z.toml"
expect_exit 1 "plan --out: one zone has errors" "$ZONESYNC" -c "$P/z.toml" plan --out "$P/plan.json"
expect_exit 1 "apply --plan: the reviewed plan runs (exit 1: a zone has errors)" "$ZONESYNC" -c "$P/z.toml" --no-color apply --plan "$P/plan.json"
contains "the zone with errors is skipped" "$OUT" "skipped: the zone has errors"
case "$OUT" in *"the reviewed plan says"*) nok "the reviewed plan was taken for another";; *) ok "the reviewed plan is the one planned again";; esac
check "the good zone is written" test -s "$P/served/good.test.zone"
check "the bad one is not" test ! -e "$P/served/bad.test.zone"
finish
