#!/bin/bash
# cloudflare.sh - the cloudflare provider against a fake of the documented API v4
# (tests/fakes/cloudflare.py): paginated reads grouped into RRsets, one batch call per
# <= 200 changes, nothing written when in sync, TXT strings kept (bare TXT loses them: a diff), proxied
# records left proxied, faults (429 with Retry-After, 500s, malformed JSON, dropped
# connections, a rejected batch) give clear errors and no partial state; zones read side
# by side up to -j, applied one at a time unless `concurrency` says more.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-cf-XXXXXX)
take_port PORT || exit 1
TOKEN=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
PROXY=
start_fake() { start_fake_api cloudflare.py "$PORT" "$TOKEN" "$@"; }
cleanup() { stop_fake; [ -n "$PROXY" ] && kill "$PROXY" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
control() { curl -s -X POST "http://127.0.0.1:$PORT/__control" -d "$1" >/dev/null; }
writes() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(sum(1 for x in r if x["method"]!="GET"), sum(1 for x in r if x["path"].endswith("/batch")))'; }

start_fake --per-page-max 10
control '{"zone": "example.com"}'
export CF_TOKEN=$TOKEN
R=$T/repo
new_repo "$R" example.com
CFG=$T/zonesync.toml
cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[providers.cf]
type = "cloudflare"
url = "http://127.0.0.1:$PORT/client/v4"
api_token = "env:CF_TOKEN"
retries = 2
timeout = 5
[[zones]]
name = "example.com"
providers = ["cf"]
CONF
Z() { "$ZONESYNC" -c "$CFG" --no-color "$@"; }
echo "== cloudflare provider against the fake API on 127.0.0.1:$PORT"
expect_exit 0 "first apply" Z apply
contains "the apex NS is Cloudflare's: not applicable" "$OUT" "not applicable: example.com. NS: apex NS belongs to the provider"
same "one batch call wrote everything" "$(writes)" "1 1"
expect_exit 0 "second apply" Z apply
contains "in sync" "$OUT" "cf           ok (in sync)"
contains "reads only: the zone lookup and pages of 10, no batch" "$OUT" "GET, 0 POST batch)"
same "no write in sync" "$(writes)" "1 1"

# a TTL below Cloudflare's minimum is raised, with a warning, and then stays in sync
echo 'short 30 IN A 192.0.2.30' >> "$R/zones/example.com.zone"
git_commit "$R" "short TTL"
expect_exit 0 "a 30 s TTL" Z apply
contains "raised with a warning" "$OUT" "warning: short.example.com. A: TTL 30 raised to 60 (provider minimum 60)"
expect_exit 0 "and it plans to nothing afterwards" Z plan --exit-code

# an API answering TXT bare (an older API's form) keeps one-string values; the DKIM key of
# several strings comes back joined: its boundaries are lost, and plan says so (exactness)
stop_fake
start_fake --per-page-max 10 --txt-bare
control '{"zone": "example.com"}'
expect_exit 0 "reload into a fresh fake returning bare TXT" Z apply
expect_exit 2 "bare TXT: the joined DKIM strings differ from git's" Z plan --exit-code
contains "only the TXT of several strings" "$OUT" "cf (cloudflare): 1 change (0 create, 1 update, 0 delete)"
contains "named" "$OUT" "~ selector1._domainkey.example.com. TXT"
stop_fake
start_fake --per-page-max 10
control '{"zone": "example.com"}'
expect_exit 0 "reload into a fresh fake keeping TXT strings" Z apply
expect_exit 0 "quoted TXT strings plan to nothing" Z plan --exit-code

# every type Cloudflare's API documents, written through its `data` fields and read back exactly
cat >> "$R/zones/example.com.zone" <<'ZONE'
sshfp 300 IN SSHFP 1 1 123456789abcdef67890123456789abcdef67890
_443._tcp 300 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
smime 300 IN SMIMEA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
naptr 300 IN NAPTR 100 10 "S" "SIP+D2U" "!^.*$!sip:a@example.com!" _sip._udp.example.com.
naptr2 300 IN NAPTR 100 50 "a" "z3950+N2L+N2C" "" .
svcb 300 IN SVCB 16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1
https 300 IN HTTPS 1 . alpn=h2 ech=AEn+DQBFKwAgACABWIHUGj4u+PIggYXcR5JF0gYk3dCRioBW8uJq9H4mKAAIAAEAAQABAANAEnB1YmxpYy50bHMtZWNoLmRldgAA
loc 300 IN LOC 42 21 54 N 71 6 18 W -24.05m 30m 10000m 10m
loc2 300 IN LOC 52 22 23.125 S 4 53 32.5 E 2m
uri 300 IN URI 10 1 "ftp://ftp1.example.com/public"
cert 300 IN CERT 3 0 0 AQID
key 300 IN DNSKEY 257 3 13 kXKkvWU3vGYfTJGl3qBd4qhiWp5aRs7YtkCJxD2d+t7KXqwahww5IgJtxJT2yFItlggazyfXqJEVOmMJ3qT0tQ==
pgp 300 IN OPENPGPKEY AQID
caa2 300 IN CAA 0 issue "ca.example.net; account=\"x\""
quo\"te 300 IN A 192.0.2.71
semi\;colon 300 IN TXT "a" "" "b"
ZONE
git_commit "$R" "every documented type; names with a quote and a semicolon"
expect_exit 0 "SSHFP, TLSA, SMIMEA, NAPTR, SVCB, HTTPS, LOC, URI, CERT, DNSKEY, OPENPGPKEY are written" Z apply
expect_exit 0 "and read back to no change (names with '\"' and ';' included)" Z plan --exit-code
cfrec() { curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/client/v4/zones/$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/client/v4/zones?name=example.com" | python3 -c 'import json,sys;print(json.load(sys.stdin)["result"][0]["id"])')/dns_records?per_page=100&page=$1"; }
allrecs() { for pg in $(seq 1 60); do cfrec "$pg"; echo; done | python3 -c '
import json, sys
out = []
for line in sys.stdin:
    if line.strip():
        out += json.loads(line)["result"]
print(json.dumps(out))'; }
ALL=$(allrecs)
same "LOC sent as its documented fields" "$(printf '%s' "$ALL" | python3 -c 'import json,sys; r=[x for x in json.load(sys.stdin) if x["name"]=="loc.example.com"][0]["data"]; print(r["lat_degrees"], r["lat_direction"], r["long_seconds"], r["altitude"], r["size"])')" "42 N 18.0 -24.05 30.0"
same "a name with a quote is sent as it is, without the zone file's backslash" "$(printf '%s' "$ALL" | python3 -c 'import json,sys; print(len([x for x in json.load(sys.stdin) if x["name"]=="quo\"te.example.com"]))')" "1"

# what Cloudflare cannot hold is refused per record in plan, before anything is sent
w0=$(writes)
cat >> "$R/zones/example.com.zone" <<'ZONE'
croot 300 IN CNAME .
empty 300 IN TXT ""
dot\.inside 300 IN A 192.0.2.72
sp\032ace 300 IN A 192.0.2.73
ZONE
git_commit "$R" "what Cloudflare cannot hold"
expect_exit 3 "the pair fails in plan" Z apply
contains "CNAME to the root refused" "$OUT" "croot.example.com. CNAME: provider 'cf' cannot hold it: Cloudflare takes a host name as CNAME target, not the root"
contains "empty TXT refused, with Cloudflare's reason" "$OUT" "empty.example.com. TXT: provider 'cf' cannot hold it: Cloudflare refuses an empty TXT (9005: Content cannot be empty)"
contains "a name with a dot inside a label refused" "$OUT" 'dot\.inside.example.com. A: provider '"'cf'"' cannot hold it: the API takes a record name as text labels joined by dots: a label with a dot in it cannot be written'
contains "a name with a space refused" "$OUT" "a label with a space cannot be written"
same "nothing was sent" "$(writes)" "$w0"
sed -i '/^croot \|^empty \|^dot\\.inside \|^sp\\032ace /d' "$R/zones/example.com.zone"
git_commit "$R" "without them"
expect_exit 0 "without them: in sync" Z plan --exit-code

# records made behind zonesync's back never make the zone unreadable
curl -s -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/client/v4/zones/$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/client/v4/zones?name=example.com" | python3 -c 'import json,sys;print(json.load(sys.stdin)["result"][0]["id"])')/dns_records" -d '{"name":"croot","type":"CNAME","content":".","ttl":300}' >/dev/null
curl -s -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/client/v4/zones/$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/client/v4/zones?name=example.com" | python3 -c 'import json,sys;print(json.load(sys.stdin)["result"][0]["id"])')/dns_records" -d '{"name":"oddcaa","type":"CAA","data":{"flags":0,"tag":"two words","value":"x"},"ttl":300}' >/dev/null
expect_exit 2 "a CNAME to the root made in the dashboard: the zone is still read" Z plan --exit-code
contains "and the record is to be deleted" "$OUT" "- croot.example.com. 300 CNAME ."
contains "a record zonesync cannot read is named and left alone" "$OUT" "(oddcaa.example.com CAA) cannot be read"
expect_exit 0 "apply deletes the CNAME" Z apply
expect_exit 0 "and the zone is in sync again" Z plan --exit-code

# proxied in the dashboard: stays proxied, its TTL is Cloudflare's, and a new value inherits it
control '{"proxied": {"name": "api.example.com", "type": "A"}}'
expect_exit 0 "a proxied record is no change" Z plan --exit-code
sed -i 's/^api            300   IN A    192.0.2.21$/api            300   IN A    192.0.2.61/' "$R/zones/example.com.zone"
git_commit "$R" "api .61"
expect_exit 0 "change a proxied RRset" Z apply
check "the new value is proxied too" sh -c "curl -s 'http://127.0.0.1:$PORT/client/v4/zones/'\$(curl -s -H 'Authorization: Bearer $TOKEN' 'http://127.0.0.1:$PORT/client/v4/zones?name=example.com' | python3 -c 'import json,sys;print(json.load(sys.stdin)[\"result\"][0][\"id\"])')'/dns_records?per_page=100' -H 'Authorization: Bearer $TOKEN' | python3 -c 'import json,sys; r=json.load(sys.stdin)[\"result\"]; v=[x for x in r if x[\"name\"]==\"api.example.com\" and x[\"content\"]==\"192.0.2.61\"]; sys.exit(0 if v and v[0][\"proxied\"] else 1)'"

# faults
control '{"fail_next": 2, "status": 429}'
sed -i 's/192.0.2.61/192.0.2.62/' "$R/zones/example.com.zone"
git_commit "$R" "api .62"
expect_exit 0 "429 with Retry-After is waited out" Z apply
control '{"fail_next": 10, "status": 500}'
expect_exit 3 "500s beyond the retries fail the provider" Z plan
contains "with provider, zone and status" "$OUT" "provider 'cf': zone 'example.com.': HTTP 500: 10000: Internal error"
control '{"fail_next": 0}'
control '{"fail_next": 3, "status": "garbage"}'
expect_exit 3 "malformed JSON" Z plan
contains "said clearly" "$OUT" "the answer is not JSON"
control '{"fail_next": 0}'
control '{"fail_next": 3, "status": "drop"}'
expect_exit 3 "a dropped connection" Z plan
control '{"fail_next": 0}'
CF_TOKEN=not-the-token expect_exit 3 "a wrong token" Z plan
contains "explained" "$OUT" "HTTP 403: 10000: Authentication error (check api_token and its DNS permission)"
check "the token is not printed" sh -c "! printf '%s' \"\$1\" | grep -q not-the-token" _ "$OUT"

# a batch Cloudflare rejects changes nothing (one transaction)
echo 'dup 300 IN A 192.0.2.70' >> "$R/zones/example.com.zone"
echo 'www2 300 IN CNAME example.com.' >> "$R/zones/example.com.zone"
git_commit "$R" "two new records"
# someone adds an A at www2 between zonesync's read and its batch (a pre_apply hook does it)
ZID=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/client/v4/zones?name=example.com" | python3 -c 'import json,sys;print(json.load(sys.stdin)["result"][0]["id"])')
cat > "$T/hook" <<HOOK
#!/bin/sh
cat >/dev/null
curl -s -X POST -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/client/v4/zones/$ZID/dns_records" -d '{"name":"www2","type":"A","content":"198.51.100.1","ttl":300}' >/dev/null
HOOK
chmod +x "$T/hook"
cp "$CFG" "$T/hooked.toml"
printf '[hooks]\npre_apply = [["%s"]]\n' "$T/hook" >> "$T/hooked.toml"
expect_exit 3 "a batch rejected by Cloudflare" "$ZONESYNC" -c "$T/hooked.toml" --no-color apply
contains "with Cloudflare's code and message" "$OUT" "81053: An A, AAAA, or CNAME record with that host already exists."
contains "and the records of the refused call" "$OUT" "operations: create dup.example.com. A, create www2.example.com. CNAME"
expect_exit 2 "nothing of that batch was applied" Z plan --exit-code
contains "dup still to create" "$OUT" "+ dup.example.com. 300 A 192.0.2.70"

# more changes than one call may carry: split in calls of 200
python3 - "$R/zones/example.com.zone" <<'PY'
import sys
with open(sys.argv[1], "a") as f:
    for i in range(450):
        f.write(f"h{i:04d} 300 IN A 10.9.{i >> 8}.{i & 255}\n")
PY
sed -i '/^www2 /d;/^dup /d' "$R/zones/example.com.zone"
git_commit "$R" "450 more"
before=$(writes | cut -d' ' -f2)
expect_exit 0 "450 creates" Z apply --force
after=$(writes | cut -d' ' -f2)
same "in 3 batch calls" "$((after - before))" "3"
expect_exit 0 "read back in pages: in sync" Z plan --exit-code

# a batch performed but answered 502 (a gateway that lost Cloudflare's answer): never sent
# again (its posts would be duplicates, refused, and hide that the first landed), the
# outcome is unknown, the re-read in the same run finds it live and journals it applied
take_port XPORT || exit 1
python3 "$TOP/tests/fakes/dropwrites.py" "$XPORT" "$PORT" --answer 502 >"$T/proxy.log" 2>&1 </dev/null &
PROXY=$!
wait_fake "$PROXY" "http://127.0.0.1:$XPORT/__requests" || exit 1
sed "s|^url = .*|url = \"http://127.0.0.1:$XPORT/client/v4\"|" "$CFG" > "$T/gateway.toml"
echo 'lost 300 IN A 192.0.2.80' >> "$R/zones/example.com.zone"
git_commit "$R" "a record whose batch answer is lost"
before=$(writes | cut -d' ' -f2)
expect_exit 0 "a batch answered 502 after it was performed" "$ZONESYNC" -c "$T/gateway.toml" --no-color apply
same "sent once, never again" "$(($(writes | cut -d' ' -f2) - before))" "1"
contains "the outcome was unknown, and said so" "$OUT" "answered HTTP 502, which does not say whether it was done; the outcome is unknown"
count_records() {
	python3 - "http://127.0.0.1:$PORT/client/v4/zones/$ZID/dns_records" "$TOKEN" "$1" <<'PY'
import json, sys, urllib.request
n, page = 0, 1
while True:
    req = urllib.request.Request("%s?page=%d" % (sys.argv[1], page), headers={"Authorization": "Bearer " + sys.argv[2]})
    r = json.load(urllib.request.urlopen(req))
    n += sum(1 for x in r["result"] if x["name"] == sys.argv[3])
    if page >= r["result_info"]["total_pages"]:
        break
    page += 1
print(n)
PY
}
same "Cloudflare holds the record once" "$(count_records lost.example.com)" "1"
same "the journal row is resolved by the re-read: applied" \
	"$(sqlite3 "$T/state.db" "SELECT status FROM journal WHERE owner = 'lost.example.com.' ORDER BY id DESC LIMIT 1")" "applied"
expect_exit 0 "in sync afterwards" Z plan --exit-code
kill "$PROXY" 2>/dev/null
PROXY=

# onboarding: import what the provider serves; the file passes check and re-plans to nothing
I=$T/imported
new_repo "$I"
expect_exit 0 "import" Z import --provider cf --zone example.com -o "$I/zones/example.com.zone"
contains "the zone's assigned nameservers are its apex NS" "$(grep -w NS "$I/zones/example.com.zone")" "ada.ns.cloudflare.com."
contains "the SOA it keeps to itself is written, and said so" "$(cat "$I/zones/example.com.zone")" "the SOA
; below was written by zonesync"
imported_round_trip "$I" example.com

# several zones at Cloudflare: read side by side up to -j (each zone's record ids are its
# own), applied one zone at a time unless concurrency says more
for i in 1 2 3 4; do control "{\"zone\": \"c$i.example\"}"; done
side_by_side ada.ns.cloudflare.com. "$(printf 'type = "cloudflare"\nurl = "http://127.0.0.1:%s/client/v4"\napi_token = "env:CF_TOKEN"' "$PORT")"
# each apply uses the ids its own zone's read learnt: no zone is read twice
sed -i 's/^www A 198\.51\.100\./www A 203.0.113./' "$T"/conc/zones/*.zone
git_commit "$T/conc" "four more changes"
expect_exit 0 "apply -j 4" "$ZONESYNC" -c "$T/conc.toml" apply -j 4
contains "one lookup, one page and the nameservers per zone, one batch each" "$OUT" "16 requests (12 GET, 4 POST batch)"
# one zone's refused batch stays that zone's, with concurrency = 2: the others are written
sed -i 's/^www A 203\.0\.113\./www A 198.18.0./' "$T"/conc/zones/*.zone
git_commit "$T/conc" "four more changes"
printf 'concurrency = 2\n' >> "$T/conc.toml"
control '{"refuse_batch": "c3.example"}'
expect_exit 3 "apply -j 4, concurrency = 2, one zone's batch refused" "$ZONESYNC" -c "$T/conc.toml" --no-color apply -j 4
contains "that zone's error, named" "$OUT" "provider 'p': zone 'c3.example.': HTTP 400: 1004: DNS Validation Error"
same "only that zone failed" "$(printf '%s\n' "$OUT" | grep -c ' failed: ')" 1
control '{"refuse_batch": null}'
expect_exit 2 "the other three are in sync, that one still to do" "$ZONESYNC" -c "$T/conc.toml" --no-color plan --exit-code
same "three in sync" "$(printf '%s\n' "$OUT" | grep -c '^  p (cloudflare): in sync$')" 3
contains "c3's change" "$OUT" "+ www.c3.example. 300 A 198.18.0.3"
expect_exit 0 "then it applies" "$ZONESYNC" -c "$T/conc.toml" apply
expect_exit 0 "in sync" "$ZONESYNC" -c "$T/conc.toml" plan --exit-code

finish
