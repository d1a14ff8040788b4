#!/bin/bash
# route53.sh - the route53 provider against the Route 53 fake (tests/fakes/route53.py, driven
# by the botocore model of the API): every record type Route 53 documents round-trips (apply,
# re-plan to nothing, import, re-plan to nothing); in sync means no write; one change batch per
# limit-sized chunk; SigV4 with a session token; a concurrent edit makes the whole batch fail;
# alias and weighted sets are left alone; throttling is waited out; 5xx, malformed XML, dropped
# connections, an expired token and a wrong secret give errors naming provider and zone; zones
# created with create_zones, listed by import --all, deleted with apply --prune-zones; six
# zones read four at a time with -j 4 (the fake sees the requests overlap), one at a time
# with -j 1, applied and pruned two at a time with concurrency = 2, a failure in one zone
# leaving the others applied. The fake checks every request against the model: any it finds
# invalid fails this test.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-r53-XXXXXX)
take_port PORT || exit 1
AKID=AKIAFAKE$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
SECRET=$(head -c 30 /dev/urandom | base64 | tr -d '/+=')
STOKEN=$(head -c 30 /dev/urandom | base64 | tr -d '/+=')
start_fake() { start_fake_api route53.py "$PORT" "$AKID" "$SECRET" --session-token "$STOKEN" "$@"; }
cleanup() { stop_fake; rm -rf "$T"; }
trap cleanup EXIT
control() { curl -s -X POST "http://127.0.0.1:$PORT/__control" -d "$1" >/dev/null; }
# writes: change batches so far, and the ResourceRecord elements they carried
writes() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; r=[x for x in json.load(sys.stdin) if x["op"]=="ChangeResourceRecordSets"]; print(len(r), sum(x.get("records",0) for x in r))'; }
invalid() { curl -s "http://127.0.0.1:$PORT/__invalid" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("\n".join(r)); sys.exit(1 if r else 0)'; }
rrset() { curl -s "http://127.0.0.1:$PORT/__zone?name=$1" | python3 -c 'import json,sys; z=json.load(sys.stdin)[0]; [print(r["Type"], r.get("TTL"), "|".join(v["Value"] for v in r.get("ResourceRecords",[]))) for r in z["rrsets"] if r["Name"]==sys.argv[1] and r["Type"]==sys.argv[2]]' "$2" "$3"; }

start_fake --rate 1000 --page-max 10
control '{"zone": "example.com"}'
export R53_KEY_ID=$AKID R53_SECRET=$SECRET R53_TOKEN=$STOKEN
R=$T/repo
new_repo "$R"
# every type of Route 53's RRType, with the forms that are easy to get wrong: TXT with quotes,
# backslashes, semicolons, octets beyond ASCII and strings cut at 255; a wildcard; an
# underscore and an octet Route 53 writes as \ooo in owner names; names in rdata
python3 - "$R/zones/example.com.zone" <<'PY'
import sys
long_txt = "k" * 300
open(sys.argv[1], "w").write(r'''$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@ 172800 IN NS ns1.example.com.
@ 172800 IN NS ns2.example.net.
@ IN A 192.0.2.10
@ IN AAAA 2001:db8::10
@ IN MX 10 mx1
@ IN MX 20 mx2.example.net.
@ IN TXT "v=spf1 mx -all"
@ IN TXT "say \"hi\"; back\\slash" "two" "caf\195\169"
@ IN CAA 0 issue "letsencrypt.org"
@ IN CAA 128 iodef "mailto:security@example.com"
@ IN SPF "v=spf1 -all"
@ IN HTTPS 1 . alpn="h2,h3"
ns1 IN A 192.0.2.53
mx1 IN A 192.0.2.25
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
long IN TXT "''' + long_txt + r'''"
weird\032name IN A 192.0.2.77
''')
PY
git_commit "$R" "all types"
CFG=$T/zonesync.toml
# aws_provider NAME: a route53 provider section talking to the fake
aws_provider() {
	cat <<CONF
[providers.$1]
type = "route53"
url = "http://127.0.0.1:$PORT"
access_key_id = "env:R53_KEY_ID"
secret_access_key = "env:R53_SECRET"
session_token = "env:R53_TOKEN"
rate_limit = "500/s"
CONF
}
{ printf '[repo]\npath = "%s"\n[state]\npath = "%s"\n' "$R" "$T/state.db"; aws_provider aws; } > "$CFG"
cat >> "$CFG" <<CONF
retries = 3
timeout = 5
wait_insync = true
[[zones]]
name = "example.com"
providers = ["aws"]
CONF
Z() { "$ZONESYNC" -c "$CFG" --no-color "$@"; }
echo "== route53 provider against the fake API on 127.0.0.1:$PORT"
expect_exit 0 "first apply (apex NS TTL and values differ from Route 53's: forced)" Z apply --force
same "one change batch wrote everything" "$(writes | cut -d' ' -f1)" "1"
same "wait_insync: GetChange polled until INSYNC (PENDING once)" "$(curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["op"]=="GetChange"))')" "2"
contains "the TXT reached Route 53 quoted, with octal escapes" "$(rrset example.com. example.com. TXT)" '"say \"hi\"; back\\slash" "two" "caf\303\251"'
contains "the apex NS was UPSERTed to git's" "$(rrset example.com. example.com. NS)" "172800 ns1.example.com.|ns2.example.net."
contains "the owner with a space is \\ooo at Route 53" "$(curl -s "http://127.0.0.1:$PORT/__zone?name=example.com")" 'weird\\040name.example.com.'
contains "the wildcard as Route 53 writes it" "$(curl -s "http://127.0.0.1:$PORT/__zone?name=example.com")" '\\052.apps.example.com.'
expect_exit 0 "plan after apply: nothing to do (read back in pages of 10)" Z plan --exit-code
expect_exit 0 "second apply" Z apply
contains "in sync" "$OUT" "aws          ok (in sync)"
same "no write when in sync" "$(writes | cut -d' ' -f1)" "1"
contains "request count shown" "$OUT" "GET, 0 POST)"

# an update is DELETE (Route 53's values) + CREATE in the batch; a delete repeats the values
sed -i 's/^api 60 IN A 192.0.2.21$/api 60 IN A 192.0.2.22/; /^ssh IN SSHFP/d' "$R/zones/example.com.zone"
git_commit "$R" "api .22, no ssh"
expect_exit 0 "an update and a delete" Z apply
same "one more batch" "$(writes | cut -d' ' -f1)" "2"
same "api as git has it" "$(rrset example.com. api.example.com. A)" "A 60 192.0.2.20|192.0.2.22"
expect_exit 0 "and in sync" Z plan --exit-code

# apply --verify waits for INSYNC even where wait_insync is off: what verify then asks is served
getchanges() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["op"]=="GetChange"))'; }
sed -i 's/^wait_insync = true$/wait_insync = false/' "$CFG"
echo 'waited IN A 192.0.2.102' >> "$R/zones/example.com.zone"
git_commit "$R" "waited"
before=$(getchanges)
expect_exit 0 "a plain apply" Z apply
same "without --verify it does not poll GetChange" "$(getchanges)" "$before"
sed -i '/^waited IN A/d' "$R/zones/example.com.zone"
git_commit "$R" "no waited"
# (the fake serves no DNS: with no nameservers configured, verify itself says there is nothing to ask)
expect_exit 1 "apply --verify" Z apply --verify=5
contains "  (verify: nothing to ask)" "$OUT" "nothing to verify (set nameservers for the providers)"
same "with --verify it polls GetChange until INSYNC (PENDING once)" "$(( $(getchanges) - before ))" "2"
sed -i 's/^wait_insync = false$/wait_insync = true/' "$CFG"

# someone edits api behind zonesync's back, between its read and its batch: the DELETE no
# longer matches, Route 53 refuses the whole batch, nothing of it is applied
sed -i 's/^api 60 IN A 192.0.2.22$/api 60 IN A 192.0.2.23/' "$R/zones/example.com.zone"
echo 'new1 IN A 192.0.2.101' >> "$R/zones/example.com.zone"
git_commit "$R" "api .23, new1"
cat > "$T/hook" <<HOOK
#!/bin/sh
cat >/dev/null
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"set": {"zone": "example.com", "name": "api.example.com", "type": "A", "ttl": 60, "values": ["198.51.100.9"]}}' >/dev/null
HOOK
chmod +x "$T/hook"
cp "$CFG" "$T/hooked.toml"
printf '[hooks]\npre_apply = [["%s"]]\n' "$T/hook" >> "$T/hooked.toml"
expect_exit 3 "a concurrent edit" "$ZONESYNC" -c "$T/hooked.toml" --no-color apply
contains "Route 53's refusal, with provider, zone and record" "$OUT" "provider 'aws': zone 'example.com.': HTTP 400: InvalidChangeBatch: Tried to delete resource record set [name='api.example.com.', type='A'] but the values provided do not match the current values"
same "the other edit was kept" "$(rrset example.com. api.example.com. A)" "A 60 198.51.100.9"
same "nothing of the batch was applied" "$(rrset example.com. new1.example.com. A)" ""
expect_exit 0 "the next apply converges" Z apply
same "api as git has it" "$(rrset example.com. api.example.com. A)" "A 60 192.0.2.20|192.0.2.23"

# a value longer than Route 53 holds (4,000 characters) is refused per record by plan
python3 -c 'print("huge IN TXT " + " ".join(["\"" + "h" * 255 + "\""] * 16))' >> "$R/zones/example.com.zone"
git_commit "$R" "huge TXT"
expect_exit 3 "a TXT of 4,127 characters" Z plan
contains "refused, naming the record" "$OUT" "huge.example.com. TXT"
contains "and why" "$OUT" "a value of 4127 characters: Route 53 holds at most 4000"
sed -i '/^huge IN TXT/d' "$R/zones/example.com.zone"
git_commit "$R" "no huge TXT"

# alias and weighted record sets belong to whoever made them: left alone
control '{"alias": {"zone": "example.com", "name": "cdn.example.com", "type": "A", "target": "d111111abcdef8.cloudfront.net."}}'
control '{"weighted": {"zone": "example.com", "name": "lb.example.com", "type": "A", "id": "blue", "weight": 10, "ttl": 60, "values": ["192.0.2.200"]}}'
expect_exit 0 "alias and weighted sets are no change" Z plan --exit-code
contains "but plan says the alias is served beside git's records" "$OUT" \
	"provider 'aws': zone 'example.com.': record set cdn.example.com. A is an alias or routing-policy set (Route 53's own): not compared with git, left alone (not applicable)"
contains "and the weighted one" "$OUT" "record set lb.example.com. A is an alias or routing-policy set"
expect_exit 0 "and an apply leaves them" Z apply
contains "still there" "$(curl -s "http://127.0.0.1:$PORT/__zone?name=example.com")" '"SetIdentifier": "blue"'

# faults
echo 'f1 IN A 192.0.2.111' >> "$R/zones/example.com.zone"
git_commit "$R" "f1"
control '{"fail_next": 2, "status": "throttle"}'
expect_exit 0 "Throttling (HTTP 400) is retried with backoff" Z apply
control '{"fail_next": 1, "status": "prior", "op": "ChangeResourceRecordSets"}'
echo 'f2 IN A 192.0.2.112' >> "$R/zones/example.com.zone"
git_commit "$R" "f2"
expect_exit 0 "PriorRequestNotComplete is retried" Z apply
# a change batch Route 53 performed and then answered 500: never sent again (its CREATE
# would fail, the record exists, and hide that the first landed), the outcome is unknown,
# the re-read in the same run finds it applied
echo 'f4 IN A 192.0.2.114' >> "$R/zones/example.com.zone"
git_commit "$R" "f4"
before=$(writes | cut -d' ' -f1)
control '{"fail_next": 1, "status": 500, "op": "ChangeResourceRecordSets", "after": true}'
expect_exit 0 "a change batch answered 500 after it was performed" Z apply
same "sent once, never again" "$(($(writes | cut -d' ' -f1) - before))" "1"
contains "the outcome was unknown, and said so" "$OUT" "answered HTTP 500, which does not say whether it was done; the outcome is unknown"
check "no CREATE refused as existing" sh -c "! printf '%s' \"\$1\" | grep -q 'already exists'" _ "$OUT"
expect_exit 0 "in sync afterwards" Z plan --exit-code
control '{"fail_next": 10, "status": 500}'
expect_exit 3 "500s beyond the retries fail the provider" Z plan
contains "with provider, zone and Route 53's code" "$OUT" "provider 'aws': zone 'example.com.': HTTP 500: InternalFailure: We encountered an internal error. Please try again."
control '{"fail_next": 0}'
control '{"fail_next": 5, "status": "garbage"}'
expect_exit 3 "malformed XML" Z plan
contains "said clearly" "$OUT" "provider 'aws': zone 'example.com.': HTTP 200: the answer is not a ListHostedZonesByNameResponse"
control '{"fail_next": 0}'
control '{"fail_next": 5, "status": "drop"}'
expect_exit 3 "a dropped connection" Z plan
contains "named" "$OUT" "provider 'aws': zone 'example.com.': GET http://127.0.0.1:$PORT/2013-04-01/hostedzonesbyname"
control '{"fail_next": 0}'
R53_SECRET=not-the-secret expect_exit 3 "a wrong secret" Z plan
contains "explained" "$OUT" "HTTP 403: SignatureDoesNotMatch: The request signature we calculated does not match"
check "the secret is not printed" sh -c "! printf '%s' \"\$1\" | grep -q -e not-the-secret -e '$SECRET' -e '$STOKEN'" _ "$OUT"
echo 'f3 IN A 192.0.2.113' >> "$R/zones/example.com.zone"
git_commit "$R" "f3"
control '{"expire_after": 2}'
expect_exit 3 "the session token expires mid-run" Z apply
contains "Route 53's ExpiredToken" "$OUT" "provider 'aws': zone 'example.com.': HTTP 403: ExpiredToken: The security token included in the request is expired"
same "the batch was not sent" "$(rrset example.com. f3.example.com. A)" ""
stop_fake
start_fake --rate 1000 --page-max 10
control '{"zone": "example.com"}'
expect_exit 0 "a fresh fake (a new token): apply all" Z apply --force
expect_exit 0 "in sync" Z plan --exit-code

# more than one batch may carry: 1,000 ResourceRecord elements and 32,000 characters a batch
python3 - "$R/zones/example.com.zone" <<'PY'
import sys
with open(sys.argv[1], "a") as f:
    for i in range(1500):
        f.write(f"h{i:04d} 300 IN A 10.9.{i >> 8}.{i & 255}\n")
    for i in range(40):
        f.write(f"t{i:02d} 300 IN TXT \"{'x' * 250}\" \"{'y' * 250}\" \"{'z' * 250}\"\n")
PY
git_commit "$R" "1500 A, 40 long TXT"
control '{"page_max": 300}'
before=$(writes | cut -d' ' -f1)
expect_exit 0 "1,540 creates" Z apply --force
after=$(writes | cut -d' ' -f1)
# 1,500 values of 9-12 characters fit 1,000 to a batch by count; each TXT value is 756
# characters: 42 of them fill a batch's 32,000 characters
same "split at the limits: 3 batches" "$((after - before))" "3"
expect_exit 0 "read back in pages: in sync" Z plan --exit-code
sed -i '/^h0[0-9]* 300 IN A/d; /^t[0-9]* 300 IN TXT/d' "$R/zones/example.com.zone"
git_commit "$R" "drop them"
expect_exit 0 "1,540 deletes" Z apply --force
expect_exit 0 "in sync" Z plan --exit-code

# onboarding: import what Route 53 serves; the file passes check and re-plans to nothing
I=$T/imported
new_repo "$I"
expect_exit 0 "import" Z import --provider aws --zone example.com -o "$I/zones/example.com.zone"
contains "Route 53's SOA is written" "$(cat "$I/zones/example.com.zone")" "awsdns-hostmaster.amazon.com."
contains "the escaped owner reads back" "$(cat "$I/zones/example.com.zone")" 'weird\032name'
imported_round_trip "$I" example.com

# create_zones: a zone Route 53 does not have is created with its delegation set
cp "$TOP/zones/example.com.zone" "$R/zones/example.org.zone"
sed -i 's/^\$ORIGIN example.com./$ORIGIN example.org./' "$R/zones/example.org.zone"
git_commit "$R" "example.org"
cat >> "$CFG" <<CONF
[[zones]]
name = "example.org"
providers = ["aws2"]
CONF
aws_provider aws2 >> "$CFG"
echo 'create_zones = true' >> "$CFG"
expect_exit 0 "create the hosted zone and fill it" Z apply --force --zone example.org
contains "one CreateHostedZone" "$(curl -s "http://127.0.0.1:$PORT/__requests")" '"op": "CreateHostedZone"'
expect_exit 0 "in sync" Z plan --exit-code --zone example.org
mkdir "$T/all"
expect_exit 0 "import --all lists both zones" Z import --provider aws --all --dir "$T/all"
check "both imported" test -s "$T/all/example.com.zone" -a -s "$T/all/example.org.zone"

# apply --prune-zones: the zone removed from git is deleted at Route 53 (records, then the zone)
git -C "$R" rm -q zones/example.org.zone && git_commit "$R" "no example.org"
sed -i '/^\[\[zones\]\]$/{N;/example.org/{N;d}}' "$CFG"
sed -i 's/^\[\[zones\]\]$/[defaults]\nproviders = ["aws2"]\n&/' "$CFG"
expect_exit 0 "prune" Z apply --prune-zones
contains "DeleteHostedZone sent" "$(curl -s "http://127.0.0.1:$PORT/__requests")" '"op": "DeleteHostedZone"'
same "example.org is gone" "$(curl -s "http://127.0.0.1:$PORT/__zone?name=example.org")" "[]"

# the nameservers the provider assigned to the zone, for the registrar (zonesync delegation)
expect_exit 0 "zonesync delegation" Z delegation example.com
same "its 4 assigned nameservers, named as the provider's" "$(printf '%s\n' "$OUT" | grep -cE 'IN	NS	[^	]*awsdns-[^	]*	; (git, )?aws$')" 4
contains "git's apex NS too" "$OUT" "IN	NS	ns1.example.com.	; git"
# several zones at one Route 53 provider (the calls for different zones overlap, each zone's
# state its own): read side by side up to -j (the fake holds each request until four are
# in flight, or 30 s), one after the other with -j 1 (it waits 0.3 s for a second one)
overlap() { curl -s "http://127.0.0.1:$PORT/__overlap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["most"])'; }
lookups() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["op"]=="ListHostedZonesByName"))'; }
reads() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["op"]=="ListResourceRecordSets"))'; }
www() { for i in 1 2 3 4 5 6; do rrset "c$i.example" "www.c$i.example." A; done | tr '\n' ' '; }
C=$T/conc
new_repo "$C"
for i in 1 2 3 4 5 6; do
	control "{\"zone\": \"c$i.example\"}"
	control "{\"set\": {\"zone\": \"c$i.example\", \"name\": \"www.c$i.example\", \"type\": \"A\", \"ttl\": 300, \"values\": [\"192.0.2.$i\", \"192.0.2.10$i\"]}}"
	printf '$ORIGIN c%s.example.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns-1.awsdns-01.org.\nwww A 198.51.100.%s\n' "$i" "$i" > "$C/zones/c$i.example.zone"
done
git_commit "$C" "six zones"
{ printf '[repo]\npath = "%s"\nall_zones = true\n[state]\npath = "%s"\n[defaults]\nproviders = ["aws"]\n' "$C" "$T/conc.db"
  aws_provider aws; echo 'manage_apex_ns = false'; } > "$T/conc.toml"
CZ() { "$ZONESYNC" -c "$T/conc.toml" --no-color "$@"; }
control '{"hold": 4, "wait": 30}'
expect_exit 2 "plan -j 4 reads six zones (changes pending)" CZ plan -j 4 --exit-code
same "four requests in flight at once at one Route 53 provider" "$(overlap)" 4
control '{"hold": 2, "wait": 0.3}'
lbefore=$(lookups)
expect_exit 2 "plan -j 1 reads them too" CZ plan -j 1 --exit-code
same "never two at once with -j 1" "$(overlap)" 1
# ListHostedZonesByName answers with the zones that follow the one asked for: their ids are
# kept, so that the six zones cost one lookup, not six (5 requests a second per account)
same "one ListHostedZonesByName found all six" "$(($(lookups) - lbefore))" 1
# applies: one at a time unless concurrency says more; with 2, two zones' change batches are
# in flight at once, each DELETE repeating its own zone's values (another zone's would be refused)
echo 'concurrency = 2' >> "$T/conc.toml"
control '{"hold": 2, "wait": 30, "op": "ChangeResourceRecordSets"}'
before=$(writes | cut -d' ' -f1) rbefore=$(reads)
expect_exit 0 "apply -j 4 with concurrency = 2: six zones" CZ apply -j 4
same "two change batches in flight at once" "$(overlap)" 2
same "one batch per zone" "$(($(writes | cut -d' ' -f1) - before))" 6
same "each zone read once: its apply used what its own read kept" "$(($(reads) - rbefore))" 6
same "each zone as git has it" "$(www)" "A 300 198.51.100.1 A 300 198.51.100.2 A 300 198.51.100.3 A 300 198.51.100.4 A 300 198.51.100.5 A 300 198.51.100.6 "
control '{"hold": 0}'
expect_exit 0 "in sync" CZ plan -j 4 --exit-code
# a zone edited behind zonesync's back between its read and its batch fails alone: the
# other zones' batches, sent beside it, land (the first two answered PriorRequestNotComplete
# and sent again, as throttling is)
for i in 1 2 3 4 5 6; do sed -i "s/^www A .*/www A 203.0.113.$i/" "$C/zones/c$i.example.zone"; done
git_commit "$C" "www in 203.0.113.0/24"
cat > "$T/hook3" <<HOOK
#!/bin/sh
cat >/dev/null
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"set": {"zone": "c3.example", "name": "www.c3.example", "type": "A", "ttl": 300, "values": ["198.51.100.99"]}}' >/dev/null
HOOK
chmod +x "$T/hook3"
cp "$T/conc.toml" "$T/conc-hooked.toml"
printf '[hooks]\npre_apply = [["%s"]]\n' "$T/hook3" >> "$T/conc-hooked.toml"
control '{"fail_next": 2, "status": "prior", "op": "ChangeResourceRecordSets"}'
before=$(writes | cut -d' ' -f1)
expect_exit 3 "one zone of six edited behind zonesync's back" "$ZONESYNC" -c "$T/conc-hooked.toml" --no-color apply -j 4
same "six batches, the two answered PriorRequestNotComplete sent again" "$(($(writes | cut -d' ' -f1) - before))" 8
contains "its refusal names that zone" "$OUT" "provider 'aws': zone 'c3.example.': HTTP 400: InvalidChangeBatch: Tried to delete resource record set [name='www.c3.example.', type='A'] but the values provided do not match the current values"
same "no other zone failed" "$(printf '%s\n' "$OUT" | grep -c "InvalidChangeBatch")" 1
same "the other five applied, c3 keeps the other edit" "$(www)" "A 300 203.0.113.1 A 300 203.0.113.2 A 300 198.51.100.99 A 300 203.0.113.4 A 300 203.0.113.5 A 300 203.0.113.6 "
expect_exit 0 "the next apply converges" CZ apply -j 4
same "all six as git has them" "$(www)" "A 300 203.0.113.1 A 300 203.0.113.2 A 300 203.0.113.3 A 300 203.0.113.4 A 300 203.0.113.5 A 300 203.0.113.6 "
# two zones removed from git are deleted side by side (concurrency = 2), each from its own read
git -C "$C" rm -q zones/c5.example.zone zones/c6.example.zone && git_commit "$C" "no c5, c6"
control '{"hold": 2, "wait": 30, "op": "DeleteHostedZone"}'
expect_exit 0 "apply --prune-zones -j 4" CZ apply -j 4 --prune-zones
same "two DeleteHostedZone in flight at once" "$(overlap)" 2
same "c5 is gone" "$(curl -s "http://127.0.0.1:$PORT/__zone?name=c5.example")" "[]"
same "c6 is gone" "$(curl -s "http://127.0.0.1:$PORT/__zone?name=c6.example")" "[]"
control '{"hold": 0}'
expect_exit 0 "the four others in sync" CZ plan -j 4 --exit-code
check "the fake found every request valid against the model" invalid
finish
