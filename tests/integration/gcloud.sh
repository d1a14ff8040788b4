#!/bin/bash
# gcloud.sh - the gcloud provider against the Cloud DNS fake (tests/fakes/gcloud.py, driven by
# Google's discovery document of the API): a service account key whose RS256 JWT the fake
# verifies with the public key; every type round-trips (apply, plan 0, import, plan 0); one
# changes.create per zone, none in sync; a concurrent edit is 412 with nothing applied; a token
# expiring mid-run is renewed; a refused grant, 429, 5xx, malformed JSON and dropped connections
# give errors naming provider and zone; no secret in output; create_zones, import --all and
# --prune-zones; four zones read at once with -j 4 (the fake sees the requests overlap), one
# at a time with -j 1, changes one zone at a time unless concurrency = 2 (lib.sh
# side_by_side), each run on one token and one new token for the two 401s of an expired one,
# each zone's change on its own read, two zones pruned side by side, one zone edited behind
# zonesync's back failing alone beside another. The fake checks every request against the document: any it finds invalid fails
# this test.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-gcloud-XXXXXX)
take_port PORT || exit 1
EMAIL=zonesync@zonesync-test.iam.gserviceaccount.com
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/key.pem" 2>/dev/null || exit 1
MOD=$(openssl rsa -in "$T/key.pem" -noout -modulus | cut -d= -f2)
python3 - "$T/key.pem" "$EMAIL" "$T/sa.json" <<'PY'
import json, sys
json.dump({"type": "service_account", "project_id": "zonesync-test", "private_key_id": "0123abcd",
           "private_key": open(sys.argv[1]).read(), "client_email": sys.argv[2],
           "token_uri": "https://oauth2.googleapis.com/token"}, open(sys.argv[3], "w"))
PY
chmod 600 "$T/sa.json"
start_fake() { start_fake_api gcloud.py "$PORT" "$EMAIL" "$MOD" "$@"; }
cleanup() { stop_fake; rm -rf "$T"; }
trap cleanup EXIT
control() { curl -s -X POST "http://127.0.0.1:$PORT/__control" -d "$1" >/dev/null; }
count() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["id"]==sys.argv[1]))' "$1"; }
invalid() { curl -s "http://127.0.0.1:$PORT/__invalid" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("\n".join(r)); sys.exit(1 if r else 0)'; }
rrset() { curl -s "http://127.0.0.1:$PORT/__zone?name=$1" | python3 -c 'import json,sys; z=json.load(sys.stdin)[0]; [print(r["type"], r["ttl"], "|".join(r["rrdatas"])) for r in z["rrsets"] if r["name"]==sys.argv[1] and r["type"]==sys.argv[2]]' "$2" "$3"; }

start_fake --page-max 10
control '{"zone": "example.com"}'
R=$T/repo
new_repo "$R"
python3 - "$R/zones/example.com.zone" <<'PY'
import sys
open(sys.argv[1], "w").write(r'''$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@ 21600 IN NS ns1.example.com.
@ 21600 IN NS ns2.example.net.
@ IN A 192.0.2.10
@ IN AAAA 2001:db8::10
@ IN MX 10 mx1
@ IN TXT "v=spf1 mx -all"
@ IN TXT "say \"hi\"; back\\slash" "two" "caf\195\169"
@ IN CAA 0 issue "letsencrypt.org"
@ IN HTTPS 1 . alpn="h2,h3"
@ IN SPF "v=spf1 -all"
mx1 IN A 192.0.2.25
ns1 IN A 192.0.2.53
www 300 IN CNAME example.com.
api 60 IN A 192.0.2.20
api 60 IN A 192.0.2.21
*.apps 300 IN A 192.0.2.80
_sip._tcp IN SRV 10 60 5060 sip.example.com.
_443._tcp.www IN TLSA 3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6
ssh IN SSHFP 4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789
sub IN NS ns.sub.example.com.
sub IN DS 60485 13 2 d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a
ns.sub IN A 192.0.2.99
naptr IN NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .
svc IN SVCB 1 svc.example.net. port=8443
4.2.0.192.in-addr IN PTR host.example.com.
long IN TXT "''' + "k" * 300 + r'''"
''')
PY
git_commit "$R" "all types"
CFG=$T/zonesync.toml
cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[providers.gcp]
type = "gcloud"
url = "http://127.0.0.1:$PORT"
token_url = "http://127.0.0.1:$PORT/token"
credentials = "file:$T/sa.json"
retries = 3
timeout = 5
wait_done = true
[[zones]]
name = "example.com"
providers = ["gcp"]
CONF
Z() { "$ZONESYNC" -c "$CFG" --no-color "$@"; }
echo "== gcloud provider against the fake API on 127.0.0.1:$PORT"
expect_exit 0 "first apply (git's apex NS replaces Google's: forced)" Z apply --force
same "one token for the run" "$(count token)" "1"
same "one changes.create wrote everything" "$(count changes.create)" "1"
same "wait_done: changes.get polled until done (pending once)" "$(count changes.get)" "2"
contains "the TXT as zone-file strings" "$(rrset example.com. example.com. TXT)" '"say \"hi\"; back\\slash" "two" "caf\195\169"'
same "the apex NS is git's" "$(rrset example.com. example.com. NS)" "NS 21600 ns1.example.com.|ns2.example.net."
expect_exit 0 "plan after apply: nothing to do (read back in pages of 10)" Z plan --exit-code
expect_exit 0 "second apply" Z apply
contains "in sync" "$OUT" "gcp          ok (in sync)"
same "no write when in sync" "$(count changes.create)" "1"

sed -i 's/^api 60 IN A 192.0.2.21$/api 60 IN A 192.0.2.22/; /^ssh IN SSHFP/d; s/^www 300 IN CNAME/www 600 IN CNAME/' "$R/zones/example.com.zone"
echo 'new1 IN A 192.0.2.101' >> "$R/zones/example.com.zone"
git_commit "$R" "update, TTL, delete, create"
expect_exit 0 "an update, a TTL change, a delete and a create" Z apply
same "in one more changes.create" "$(count changes.create)" "2"
same "api as git has it" "$(rrset example.com. api.example.com. A)" "A 60 192.0.2.20|192.0.2.22"
same "ssh gone" "$(rrset example.com. ssh.example.com. SSHFP)" ""
expect_exit 0 "in sync" Z plan --exit-code

# a concurrent edit between zonesync's read and its change: the deletion no longer matches
sed -i 's/^api 60 IN A 192.0.2.22$/api 60 IN A 192.0.2.23/' "$R/zones/example.com.zone"
echo 'new2 IN A 192.0.2.102' >> "$R/zones/example.com.zone"
git_commit "$R" "api .23, new2"
cat > "$T/hook" <<HOOK
#!/bin/sh
cat >/dev/null
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"set": {"zone": "example.com", "name": "api.example.com.", "type": "A", "ttl": 60, "rrdatas": ["198.51.100.9"]}}' >/dev/null
HOOK
chmod +x "$T/hook"
cp "$CFG" "$T/hooked.toml"
printf '[hooks]\npre_apply = [["%s"]]\n' "$T/hook" >> "$T/hooked.toml"
expect_exit 3 "a concurrent edit" "$ZONESYNC" -c "$T/hooked.toml" --no-color apply
contains "Cloud DNS's refusal, with provider, zone and record" "$OUT" "provider 'gcp': zone 'example.com.': api.example.com. A: HTTP 412: conditionNotMet: Precondition not met for 'entity.change.deletions["
same "the other edit was kept" "$(rrset example.com. api.example.com. A)" "A 60 198.51.100.9"
same "nothing of the change was applied" "$(rrset example.com. new2.example.com. A)" ""
expect_exit 0 "the next apply converges" Z apply
same "api as git has it" "$(rrset example.com. api.example.com. A)" "A 60 192.0.2.20|192.0.2.23"

# tokens: one expiring mid-run is renewed; a refused grant is said clearly
echo 'f1 IN A 192.0.2.111' >> "$R/zones/example.com.zone"
git_commit "$R" "f1"
cat > "$T/expire" <<HOOK
#!/bin/sh
cat >/dev/null
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"expire_tokens": true}' >/dev/null
HOOK
chmod +x "$T/expire"
cp "$CFG" "$T/expire.toml"
printf '[hooks]\npre_apply = [["%s"]]\n' "$T/expire" >> "$T/expire.toml"
before=$(count token)
expect_exit 0 "the token expires between read and write: a new one, and the change goes" "$ZONESYNC" -c "$T/expire.toml" --no-color apply
same "a token for the run, a new one after the 401" "$(( $(count token) - before ))" "2"
same "f1 written" "$(rrset example.com. f1.example.com. A)" "A 3600 192.0.2.111"
control '{"revoke": true}'
expect_exit 3 "the service account is refused at the token endpoint" Z plan
contains "explained" "$OUT" "provider 'gcp': zone 'example.com.': cannot get an access token: token endpoint: HTTP 400: invalid_grant: Invalid grant: account not found"
check "no key material printed" sh -c "! printf '%s' \"\$1\" | grep -q -e PRIVATE -e 'ya29' -e 'eyJ'" _ "$OUT"
control '{"revoke": false}'

# faults
control '{"fail_next": 2, "status": 429}'
expect_exit 0 "429 is retried" Z plan --exit-code
control '{"fail_next": 10, "status": 500}'
expect_exit 3 "500s beyond the retries fail the provider" Z plan
contains "with provider, zone and Google's reason" "$OUT" "provider 'gcp': zone 'example.com.': HTTP 500: backendError: Internal error encountered."
control '{"fail_next": 0}'
control '{"fail_next": 5, "status": "garbage"}'
expect_exit 3 "malformed JSON" Z plan
contains "said clearly" "$OUT" "provider 'gcp': zone 'example.com.': HTTP 200: the answer is not a JSON object"
control '{"fail_next": 0}'
control '{"fail_next": 5, "status": "drop"}'
expect_exit 3 "a dropped connection" Z plan
contains "named" "$OUT" "provider 'gcp': zone 'example.com.': GET http://127.0.0.1:$PORT/dns/v1/projects/zonesync-test/managedZones"
control '{"fail_next": 0}'
control '{"fail_next": 1, "status": 503, "op": "changes.create"}'
echo 'f2 IN A 192.0.2.112' >> "$R/zones/example.com.zone"
git_commit "$R" "f2"
expect_exit 0 "a 503 on the change is retried" Z apply

# an access token instead of a key
control '{"static_token": "ya29.static-token-for-the-test"}'
sed 's|^credentials = .*|access_token = "env:GCP_TOKEN"\nproject = "zonesync-test"|' "$CFG" > "$T/token.toml"
GCP_TOKEN=ya29.static-token-for-the-test expect_exit 0 "with access_token" "$ZONESYNC" -c "$T/token.toml" --no-color plan --exit-code
GCP_TOKEN=ya29.not-a-token expect_exit 3 "a bad access token" "$ZONESYNC" -c "$T/token.toml" --no-color plan
contains "401 explained" "$OUT" "HTTP 401: authError: Request had invalid authentication credentials."
check "the token is not printed" sh -c "! printf '%s' \"\$1\" | grep -q ya29.not-a-token" _ "$OUT"

# onboarding
I=$T/imported
new_repo "$I"
expect_exit 0 "import" Z import --provider gcp --zone example.com -o "$I/zones/example.com.zone"
contains "Google's SOA is written" "$(cat "$I/zones/example.com.zone")" "cloud-dns-hostmaster.google.com."
imported_round_trip "$I" example.com

# create_zones, import --all, --prune-zones
cp "$TOP/zones/example.com.zone" "$R/zones/example.org.zone"
sed -i 's/^\$ORIGIN example.com./$ORIGIN example.org./' "$R/zones/example.org.zone"
git_commit "$R" "example.org"
sed 's/^\[providers.gcp\]$/[providers.gcp2]/; s/^wait_done = true$/create_zones = true/; /^\[\[zones\]\]$/,$d' "$CFG" | sed -n '/^\[providers.gcp2\]/,$p' > "$T/gcp2"
{ cat "$T/gcp2"; printf '[[zones]]\nname = "example.org"\nproviders = ["gcp2"]\n'; } >> "$CFG"
zone_lifecycle "create the managed zone and fill it" managedZones.create managedZones.delete gcp gcp2 example.org. --force

# the nameservers the provider assigned to the zone, for the registrar (zonesync delegation)
expect_exit 0 "zonesync delegation" Z delegation example.com
same "its 4 assigned nameservers, named as the provider's" "$(printf '%s\n' "$OUT" | grep -cE 'IN	NS	[^	]*googledomains\.com\.[^	]*	; (git, )?gcp$')" 4
contains "git's apex NS too" "$OUT" "IN	NS	ns1.example.com.	; git"
# several zones at one Cloud DNS provider (lib.sh side_by_side): four read at once with
# -j 4, one at a time with -j 1, one zone's change at a time, two with concurrency = 2;
# each run on one token (the apex NS is left to Cloud DNS: not what this is about)
for i in 1 2 3 4; do
	control "{\"zone\": \"c$i.example\"}"
done
before=$(count token)
side_by_side ns1.example.com. "$(printf 'type = "gcloud"\nurl = "http://127.0.0.1:%s"\ntoken_url = "http://127.0.0.1:%s/token"\ncredentials = "file:%s/sa.json"\ntimeout = 60\nmanage_apex_ns = false' "$PORT" "$PORT" "$T")"
same "one token a run for the zones read side by side (six runs)" "$(( $(count token) - before ))" 6
changes=$(count changes.create)
oauth_side_by_side token resourceRecordSets.list
same "one change a zone, the two the expired token had refused sent once more" "$(( $(count changes.create) - changes ))" 6
for i in 1 2 3 4; do
	same "c$i as git has it" "$(rrset c$i.example. www.c$i.example. A)" "A 300 203.0.113.$i"
done
prune_side_by_side managedZones.delete .
# one zone edited behind zonesync's back while another is written beside it: the other's
# change goes with what its own read learnt
edited_beside '{"set": {"zone": "c1.example", "name": "www.c1.example.", "type": "A", "ttl": 300, "rrdatas": ["198.51.100.1"]}}' \
	"provider 'p': zone 'c1.example.': www.c1.example. A: HTTP 412: conditionNotMet" \
	www.c1.example. "A 300 198.51.100.1" www.c2.example. "A 300 192.0.2.202"
expect_exit 0 "the next apply converges" CZ apply -j 4
same "c1 as git has it" "$(rrset c1.example. www.c1.example. A)" "A 300 192.0.2.201"
expect_exit 0 "in sync" CZ plan -j 4 --exit-code
check "the fake found every request valid against the discovery document" invalid
finish
