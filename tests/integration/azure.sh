#!/bin/bash
# azure.sh - the azure provider against the Azure DNS fake (tests/fakes/azure.py, driven by the
# Azure REST API specification of Microsoft.Network/dnsZones 2018-05-01): client credentials at
# a configurable authority; every type Azure DNS documents round-trips (apply, plan 0, import,
# plan 0); one write per changed RRset and none in sync; an RRset changed behind zonesync's back
# is a 412 from its ETag, never overwritten, and the failure says what was written before it; a
# token expiring mid-run is renewed; a wrong secret, 429, 5xx, malformed JSON and dropped
# connections give errors naming provider and zone; no secret in output; create_zones, import
# --all and --prune-zones; four zones read at once with -j 4 (the fake sees the requests
# overlap), one at a time with -j 1, one zone's writes at a time unless concurrency = 2 (lib.sh
# side_by_side), each run on one token and one new token for the two 401s of an expired one,
# each zone's writes on its own read's ETags, two zones pruned side by side, one zone edited
# behind zonesync's back failing alone beside another. The fake checks every request against the specification: any it
# finds invalid fails this test.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-azure-XXXXXX)
take_port PORT || exit 1
TENANT=72f988bf-0000-0000-0000-000000000047
CLIENT=zonesync-app-0001
export AZ_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
SUB=00000000-0000-0000-0000-000000000001
start_fake() { start_fake_api azure.py "$PORT" "$TENANT" "$CLIENT" "$AZ_SECRET" --subscription "$SUB" "$@"; }
cleanup() { stop_fake; rm -rf "$T"; }
trap cleanup EXIT
control() { curl -s -X POST "http://127.0.0.1:$PORT/__control" -d "$1" >/dev/null; }
count() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["op"]==sys.argv[1]))' "$1"; }
writes() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["op"] in ("RecordSets_CreateOrUpdate", "RecordSets_Delete")))'; }
invalid() { curl -s "http://127.0.0.1:$PORT/__invalid" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("\n".join(r)); sys.exit(1 if r else 0)'; }
rrset() { curl -s "http://127.0.0.1:$PORT/__zone?name=$1" | python3 -c 'import json,sys; z=json.load(sys.stdin)[0]; [print(s["properties"]["TTL"], json.dumps({k: v for k, v in s["properties"].items() if k not in ("TTL", "fqdn", "provisioningState")}, sort_keys=True)) for s in z["sets"] if s["name"]==sys.argv[1] and s["type"].endswith("/" + sys.argv[2])]' "$2" "$3"; }

start_fake --page-max 5
control '{"zone": "example.com"}'
R=$T/repo
new_repo "$R"
cat > "$R/zones/example.com.zone" <<'ZONE'
$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@ 172800 IN NS ns1-01.azure-dns.com.
@ 172800 IN NS ns2-01.azure-dns.net.
@ 172800 IN NS ns3-01.azure-dns.org.
@ 172800 IN NS ns4-01.azure-dns.info.
@ IN A 192.0.2.10
@ IN AAAA 2001:db8::10
@ IN MX 10 mx1
@ IN TXT "v=spf1 mx -all"
@ IN TXT "say \"hi\"; back\\slash" "two" "caf\195\169"
@ IN CAA 0 issue "letsencrypt.org"
@ IN CAA 128 iodef "mailto:security@example.com"
mx1 IN A 192.0.2.25
www 300 IN CNAME example.com.
api 60 IN A 192.0.2.20
api 60 IN A 192.0.2.21
*.apps 300 IN A 192.0.2.80
_sip._tcp IN SRV 10 60 5060 sip.example.com.
sub IN NS ns.sub.example.com.
ns.sub IN A 192.0.2.99
4.2.0.192.in-addr IN PTR host.example.com.
ZONE
git_commit "$R" "all types"
CFG=$T/zonesync.toml
cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[providers.az]
type = "azure"
url = "http://127.0.0.1:$PORT"
authority = "http://127.0.0.1:$PORT"
tenant_id = "$TENANT"
client_id = "$CLIENT"
client_secret = "env:AZ_SECRET"
subscription_id = "$SUB"
resource_group = "zonesync"
retries = 3
timeout = 5
[[zones]]
name = "example.com"
providers = ["az"]
CONF
Z() { "$ZONESYNC" -c "$CFG" --no-color "$@"; }
echo "== azure provider against the fake API on 127.0.0.1:$PORT"
expect_exit 0 "first apply" Z apply
same "one token for the run" "$(count token)" "1"
same "one write per RRset: 13 PUTs and the deployment marker" "$(writes)" "14"
contains "TXT strings kept as strings" "$(rrset example.com. @ TXT)" '"say \"hi\"; back\\slash", "two", "caf\u00e9"'
expect_exit 0 "plan after apply: nothing to do (read back in pages of 5)" Z plan --exit-code
expect_exit 0 "second apply" Z apply
contains "in sync" "$OUT" "az           ok (in sync)"
same "no write when in sync" "$(writes)" "14"

sed -i 's/^api 60 IN A 192.0.2.21$/api 60 IN A 192.0.2.22/; /^4.2.0.192/d; s/^www 300 IN CNAME/www 600 IN CNAME/' "$R/zones/example.com.zone"
echo 'new1 IN A 192.0.2.101' >> "$R/zones/example.com.zone"
git_commit "$R" "update, TTL, delete, create"
expect_exit 0 "an update, a TTL change, a delete and a create" Z apply
same "four writes and the marker" "$(writes)" "19"
same "api as git has it" "$(rrset example.com. api A)" '60 {"ARecords": [{"ipv4Address": "192.0.2.20"}, {"ipv4Address": "192.0.2.22"}]}'
expect_exit 0 "in sync" Z plan --exit-code

# behind zonesync's back, between its read and its writes: the ETag no longer matches
sed -i 's/^api 60 IN A 192.0.2.22$/api 60 IN A 192.0.2.23/' "$R/zones/example.com.zone"
echo 'new0 IN A 192.0.2.100' >> "$R/zones/example.com.zone"
git_commit "$R" "api .23, new0"
cat > "$T/hook" <<HOOK
#!/bin/sh
cat >/dev/null
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"set": {"zone": "example.com", "name": "api", "type": "A", "ttl": 60, "records": [{"ipv4Address": "198.51.100.9"}]}}' >/dev/null
HOOK
chmod +x "$T/hook"
cp "$CFG" "$T/hooked.toml"
printf '[hooks]\npre_apply = [["%s"]]\n' "$T/hook" >> "$T/hooked.toml"
expect_exit 3 "a concurrent edit" "$ZONESYNC" -c "$T/hooked.toml" --no-color apply
contains "Azure's 412, naming provider, zone and RRset" "$OUT" "provider 'az': zone 'example.com.': api.example.com. A: HTTP 412: PreconditionFailed: The condition"
same "the other edit was not overwritten" "$(rrset example.com. api A)" '60 {"ARecords": [{"ipv4Address": "198.51.100.9"}]}'
expect_exit 0 "the next apply converges" Z apply
same "api as git has it" "$(rrset example.com. api A)" '60 {"ARecords": [{"ipv4Address": "192.0.2.20"}, {"ipv4Address": "192.0.2.23"}]}'

# a failure part way: what was written before it is said
printf 'aaa IN A 192.0.2.1\nzzz IN A 192.0.2.2\n' >> "$R/zones/example.com.zone"
git_commit "$R" "aaa, zzz"
cat > "$T/hook2" <<HOOK
#!/bin/sh
cat >/dev/null
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"set": {"zone": "example.com", "name": "zzz", "type": "A", "ttl": 60, "records": [{"ipv4Address": "198.51.100.7"}]}}' >/dev/null
HOOK
chmod +x "$T/hook2"
sed "s|$T/hook|$T/hook2|" "$T/hooked.toml" > "$T/hooked2.toml"
expect_exit 3 "the second of two creates is refused" "$ZONESYNC" -c "$T/hooked2.toml" --no-color apply
contains "the RRset and what went before it" "$OUT" "1 of 3 record sets were written before: zzz.example.com. A: HTTP 412: PreconditionFailed"
same "the first was written" "$(rrset example.com. aaa A)" '3600 {"ARecords": [{"ipv4Address": "192.0.2.1"}]}'
same "the one behind zonesync's back was not overwritten" "$(rrset example.com. zzz A)" '60 {"ARecords": [{"ipv4Address": "198.51.100.7"}]}'
control '{"set": {"zone": "example.com", "name": "zzz", "type": "A", "ttl": 60, "records": null}}'
expect_exit 0 "the next apply writes the rest" Z apply
expect_exit 0 "in sync" Z plan --exit-code

# tokens and credentials
echo 'f1 IN A 192.0.2.111' >> "$R/zones/example.com.zone"
git_commit "$R" "f1"
cat > "$T/expire" <<HOOK
#!/bin/sh
cat >/dev/null
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"expire_tokens": true}' >/dev/null
HOOK
chmod +x "$T/expire"
sed "s|$T/hook|$T/expire|" "$T/hooked.toml" > "$T/expire.toml"
before=$(count token)
expect_exit 0 "the token expires between read and write: a new one, and the write goes" "$ZONESYNC" -c "$T/expire.toml" --no-color apply
same "a token for the run, a new one after the 401" "$(( $(count token) - before ))" "2"
AZ_SECRET=not-the-secret expect_exit 3 "a wrong client secret" Z plan
contains "explained" "$OUT" "provider 'az': zone 'example.com.': cannot get an access token: token endpoint: HTTP 401: invalid_client: AADSTS7000215: Invalid client secret provided."
check "the secrets are not printed" sh -c "! printf '%s' \"\$1\" | grep -q -e not-the-secret -e '$AZ_SECRET' -e eyJ0eXAi" _ "$OUT"

# faults
control '{"fail_next": 2, "status": 429}'
expect_exit 0 "429 with Retry-After is waited out" Z plan --exit-code
control '{"fail_next": 10, "status": 500}'
expect_exit 3 "500s beyond the retries fail the provider" Z plan
contains "with provider, zone and Azure's code" "$OUT" "provider 'az': zone 'example.com.': HTTP 500: InternalServerError: An internal server error occurred."
control '{"fail_next": 0}'
control '{"fail_next": 5, "status": "garbage"}'
expect_exit 3 "malformed JSON" Z plan
contains "said clearly" "$OUT" "provider 'az': zone 'example.com.': HTTP 200: the answer is not a JSON object"
control '{"fail_next": 0}'
control '{"fail_next": 5, "status": "drop"}'
expect_exit 3 "a dropped connection" Z plan
contains "named" "$OUT" "provider 'az': zone 'example.com.': GET http://127.0.0.1:$PORT/subscriptions/$SUB/resourceGroups/zonesync/providers/Microsoft.Network/dnsZones/example.com"
control '{"fail_next": 0}'

# onboarding
I=$T/imported
new_repo "$I"
expect_exit 0 "import" Z import --provider az --zone example.com -o "$I/zones/example.com.zone"
contains "Azure's SOA is written" "$(cat "$I/zones/example.com.zone")" "azuredns-hostmaster.microsoft.com."
imported_round_trip "$I" example.com

# create_zones, import --all, --prune-zones
cp "$TOP/zones/example.com.zone" "$R/zones/example.org.zone"
sed -i 's/^\$ORIGIN example.com./$ORIGIN example.org./' "$R/zones/example.org.zone"
git_commit "$R" "example.org"
sed -n '/^\[providers.az\]/,/^timeout/p' "$CFG" | sed 's/^\[providers.az\]/[providers.az2]/' > "$T/az2"
{ cat "$T/az2"; printf 'create_zones = true\n[[zones]]\nname = "example.org"\nproviders = ["az2"]\n'; } >> "$CFG"
zone_lifecycle "create the zone and fill it" Zones_CreateOrUpdate Zones_Delete az az2 example.org

# several zones at one Azure provider (lib.sh side_by_side): four read at once with -j 4,
# one at a time with -j 1, one zone's writes at a time, two zones' with concurrency = 2;
# each run on one token
for i in 1 2 3 4; do
	control "{\"zone\": \"c$i.example\"}"
done
before=$(count token)
side_by_side ns1-01.azure-dns.com. "$(sed -n '/^\[providers.az\]/,/^timeout/p' "$CFG" | sed '1d; s/^timeout = .*/timeout = 60/')"
same "one token a run for the zones read side by side (six runs)" "$(( $(count token) - before ))" 6
w=$(writes)
oauth_side_by_side token RecordSets_ListAllByDnsZone
same "two writes a zone (www, the marker)" "$(( $(writes) - w ))" 8
for i in 1 2 3 4; do
	same "c$i as git has it" "$(rrset c$i.example. www A)" '300 {"ARecords": [{"ipv4Address": "203.0.113.'$i'"}]}'
done
prune_side_by_side Zones_Delete ""
# one zone edited behind zonesync's back while another is written beside it: the other's
# writes go with the ETags its own read learnt
edited_beside '{"set": {"zone": "c1.example", "name": "www", "type": "A", "ttl": 300, "records": [{"ipv4Address": "198.51.100.1"}]}}' \
	"provider 'p': zone 'c1.example.': www.c1.example. A: HTTP 412: PreconditionFailed" \
	www '300 {"ARecords": [{"ipv4Address": "198.51.100.1"}]}' www '300 {"ARecords": [{"ipv4Address": "192.0.2.202"}]}'
expect_exit 0 "the next apply converges" CZ apply -j 4
same "c1 as git has it" "$(rrset c1.example. www A)" '300 {"ARecords": [{"ipv4Address": "192.0.2.201"}]}'
expect_exit 0 "in sync" CZ plan -j 4 --exit-code
check "the fake found every request valid against the specification" invalid
finish
