#!/bin/bash
# ns1.sh - the ns1 provider against the NS1 fake (tests/fakes/ns1.py, driven by the operations
# and answer formats of NS1's published API reference, models/ns1-api.json): X-NSONE-Key;
# every type NS1 documents round-trips (apply, plan 0, import, plan 0) with TXT strings
# joined as NS1 keeps them (declared, said in plan); one write per changed record (PUT
# creates, POST updates, DELETE) and none in sync; a failure part way says what was written;
# 429 (NS1's rate limit, with X-RateLimit-* headers), 5xx, malformed JSON, dropped connections
# and a wrong key give errors naming provider and zone; no key in output; create_zones,
# import --all and --prune-zones; four zones read side by side with -j 4 (the fake sees the
# requests overlap), one at a time with -j 1. Any request the fake finds invalid fails this test.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-ns1-XXXXXX)
take_port PORT || exit 1
export NS1_KEY=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
start_fake() { start_fake_api ns1.py "$PORT" "$NS1_KEY" "$@"; }
cleanup() { stop_fake; rm -rf "$T"; }
trap cleanup EXIT
control() { curl -s -X POST "http://127.0.0.1:$PORT/__control" -d "$1" >/dev/null; }
count() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["op"]==sys.argv[1]))' "$1"; }
writes() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["op"] in ("records.create", "records.update", "records.delete")))'; }
invalid() { curl -s "http://127.0.0.1:$PORT/__invalid" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("\n".join(r)); sys.exit(1 if r else 0)'; }
record() { curl -s "http://127.0.0.1:$PORT/__zone?name=$1" | python3 -c 'import json,sys; z=json.load(sys.stdin)[0]; [print(r["ttl"], json.dumps([a["answer"] for a in r["answers"]])) for r in z["records"] if r["domain"]==sys.argv[1] and r["type"]==sys.argv[2]]' "$2" "$3"; }

start_fake
control '{"zone": "example.com"}'
R=$T/repo
new_repo "$R"
cat > "$R/zones/example.com.zone" <<'ZONE'
$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@ IN NS dns1.p01.nsone.net.
@ IN NS dns2.p01.nsone.net.
@ IN NS dns3.p01.nsone.net.
@ IN NS dns4.p01.nsone.net.
@ IN A 192.0.2.10
@ IN AAAA 2001:db8::10
@ IN MX 10 mx1
@ IN TXT "v=spf1 mx -all"
@ IN TXT "say \"hi\"; back\\slash" "two"
@ IN CAA 0 issue "letsencrypt.org"
@ IN SPF "v=spf1 -all"
mx1 IN A 192.0.2.25
www 300 IN CNAME example.com.
api 60 IN A 192.0.2.20
api 60 IN A 192.0.2.21
*.apps 300 IN A 192.0.2.80
_sip._tcp IN SRV 10 60 5060 sip.example.com.
sub IN NS ns.sub.example.com.
sub IN DS 60485 13 2 d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a
ns.sub IN A 192.0.2.99
ssh IN SSHFP 4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789
naptr IN NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .
4.2.0.192.in-addr IN PTR host.example.com.
ZONE
git_commit "$R" "all types"
CFG=$T/zonesync.toml
cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[providers.ns1]
type = "ns1"
url = "http://127.0.0.1:$PORT/v1"
api_key = "env:NS1_KEY"
retries = 3
timeout = 5
[[zones]]
name = "example.com"
providers = ["ns1"]
CONF
Z() { "$ZONESYNC" -c "$CFG" --no-color "$@"; }
echo "== ns1 provider against the fake API on 127.0.0.1:$PORT"
expect_exit 0 "first apply" Z apply
contains "the joined TXT strings are said" "$OUT" "TXT RRset will be served with their strings joined"
same "one write per record: 17 and the deployment marker" "$(writes)" "18"
same "a TXT of two strings is one NS1 string" "$(record example.com. example.com TXT)" '3600 [["v=spf1 mx -all"], ["say \"hi\"; back\\slashtwo"]]'
expect_exit 0 "plan after apply: nothing to do" Z plan --exit-code
expect_exit 0 "second apply" Z apply
contains "in sync" "$OUT" "ns1          ok (in sync)"
same "no write when in sync" "$(writes)" "18"

sed -i 's/^api 60 IN A 192.0.2.21$/api 60 IN A 192.0.2.22/; /^4.2.0.192/d; s/^www 300 IN CNAME/www 600 IN CNAME/' "$R/zones/example.com.zone"
echo 'new1 IN A 192.0.2.101' >> "$R/zones/example.com.zone"
git_commit "$R" "update, TTL, delete, create"
expect_exit 0 "an update, a TTL change, a delete and a create" Z apply
same "four writes and the marker" "$(writes)" "23"
same "POST updates" "$(count records.update)" "3"
same "api as git has it" "$(record example.com. api.example.com A)" '60 [["192.0.2.20"], ["192.0.2.22"]]'
expect_exit 0 "in sync" Z plan --exit-code

# a failure part way: the second of two creates meets a record made behind zonesync's back
printf 'aaa IN A 192.0.2.1\nzzz IN A 192.0.2.2\n' >> "$R/zones/example.com.zone"
git_commit "$R" "aaa, zzz"
cat > "$T/hook" <<HOOK
#!/bin/sh
cat >/dev/null
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"set": {"zone": "example.com", "domain": "zzz.example.com", "type": "A", "ttl": 60, "answers": [{"answer": ["198.51.100.7"]}]}}' >/dev/null
HOOK
chmod +x "$T/hook"
cp "$CFG" "$T/hooked.toml"
printf '[hooks]\npre_apply = [["%s"]]\n' "$T/hook" >> "$T/hooked.toml"
expect_exit 3 "the second of two creates is refused" "$ZONESYNC" -c "$T/hooked.toml" --no-color apply
contains "NS1's refusal, the record and what went before it" "$OUT" "provider 'ns1': zone 'example.com.': 1 of 3 records were written before: zzz.example.com. A: HTTP 400: record already exists"
same "the first was written" "$(record example.com. aaa.example.com A)" '3600 [["192.0.2.1"]]'
same "the other one was not overwritten" "$(record example.com. zzz.example.com A)" '60 [["198.51.100.7"]]'
expect_exit 0 "the next apply converges" Z apply
expect_exit 0 "in sync" Z plan --exit-code

# a record with an answer zonesync cannot read: the zone is not planned (its readable answer
# is not deleted as if it were all there is, nor is the record created again)
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"set": {"zone": "example.com", "domain": "odd.example.com", "type": "SSHFP", "ttl": 300, "answers": [{"answer": [1, 2, "abcdef"]}, {"answer": [1, 2, "abc;def"]}]}}' >/dev/null
expect_exit 3 "a record with an unreadable answer: the zone is not planned" Z plan --exit-code
contains "said, with the record and which answer" "$OUT" "provider 'ns1': zone 'example.com.': record odd.example.com SSHFP: answer 2 cannot be read by zonesync: nothing is planned for this zone until it is fixed or deleted at NS1"
before=$(writes)
expect_exit 3 "apply sends nothing to the zone" Z apply
same "no write" "$(writes)" "$before"
same "both answers still there" "$(record example.com. odd.example.com SSHFP)" '300 [[1, 2, "abcdef"], [1, 2, "abc;def"]]'
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"set": {"zone": "example.com", "domain": "odd.example.com", "type": "SSHFP", "answers": null}}' >/dev/null

# faults and credentials
control '{"fail_next": 2, "status": 429}'
expect_exit 0 "429 is retried" Z plan --exit-code
control '{"fail_next": 10, "status": 500}'
expect_exit 3 "500s beyond the retries fail the provider" Z plan
contains "with provider, zone and NS1's message" "$OUT" "provider 'ns1': zone 'example.com.': HTTP 500: internal error"
control '{"fail_next": 0}'
control '{"fail_next": 5, "status": "garbage"}'
expect_exit 3 "malformed JSON" Z plan
contains "said clearly" "$OUT" "provider 'ns1': zone 'example.com.': HTTP 200: the answer is not JSON"
control '{"fail_next": 0}'
control '{"fail_next": 5, "status": "drop"}'
expect_exit 3 "a dropped connection" Z plan
contains "named" "$OUT" "provider 'ns1': zone 'example.com.': GET http://127.0.0.1:$PORT/v1/zones/example.com"
control '{"fail_next": 0}'
# a DELETE that NS1 did but answered 500: sent again (a DELETE done twice is done once),
# its 404 "record not found" is the record gone, as asked, not a failure
sed -i '/^new1 IN A 192.0.2.101$/d' "$R/zones/example.com.zone"
git_commit "$R" "delete new1"
control '{"fail_after_next": 1, "status": 500, "method": "DELETE"}'
expect_exit 0 "a DELETE done, answered 500, then 404 when sent again: applied" Z apply
same "it was sent twice" "$(curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x.get("method") == "DELETE" and x.get("path", "").endswith("/new1.example.com/A")))')" "2"
same "the record is gone" "$(record example.com. new1.example.com A)" ""
expect_exit 0 "in sync after it" Z plan --exit-code
NS1_KEY=not-the-key expect_exit 3 "a wrong key" Z plan
contains "explained" "$OUT" "HTTP 401: Unauthorized (check api_key and its zone permissions)"
check "the key is not printed" sh -c "! printf '%s' \"\$1\" | grep -q -e not-the-key -e '$NS1_KEY'" _ "$OUT"
stop_fake
start_fake --rate-limit 10 --rate-period 1
control '{"zone": "example.com"}'
expect_exit 0 "NS1's rate limit (10 a second, then 429): everything written" Z apply
same "paced by X-RateLimit-Remaining/-Limit/-Period: never a 429" "$(curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x.get("throttled")))')" "0"
expect_exit 0 "in sync" Z plan --exit-code

# onboarding, create_zones, import --all, --prune-zones
I=$T/imported
new_repo "$I"
expect_exit 0 "import" Z import --provider ns1 --zone example.com -o "$I/zones/example.com.zone"
imported_round_trip "$I" example.com
cp "$TOP/zones/example.com.zone" "$R/zones/example.org.zone"
sed -i 's/^\$ORIGIN example.com./$ORIGIN example.org./' "$R/zones/example.org.zone"
git_commit "$R" "example.org"
printf '[providers.ns1b]\ntype = "ns1"\nurl = "http://127.0.0.1:%s/v1"\napi_key = "env:NS1_KEY"\ncreate_zones = true\n[[zones]]\nname = "example.org"\nproviders = ["ns1b"]\n' "$PORT" >> "$CFG"
zone_lifecycle "create the zone and fill it" zones.create zones.delete ns1 ns1b example.org

# the nameservers the provider assigned to the zone, for the registrar (zonesync delegation)
expect_exit 0 "zonesync delegation" Z delegation example.com
same "its 4 assigned nameservers, named as the provider's" "$(printf '%s\n' "$OUT" | grep -cE 'IN	NS	[^	]*nsone\.net\.[^	]*	; (git, )?ns1$')" 4
# several zones at NS1: read side by side up to -j, applied one at a time unless concurrency says more
for i in 1 2 3 4; do control "{\"zone\": \"c$i.example\"}"; done
side_by_side dns1.p01.nsone.net. "$(printf 'type = "ns1"\nurl = "http://127.0.0.1:%s/v1"\napi_key = "env:NS1_KEY"' "$PORT")"
# import --all reads the zones side by side too, and prints them in the zones' order
control '{"hold": 4, "wait": 2}'
expect_exit 0 "import --all -j 4" "$ZONESYNC" -c "$T/conc.toml" import --provider p --all -j 4 --config-snippet
same "four zones read at once" "$(overlap)" 4
printf '%s\n' "$OUT" > "$T/import-j4.out"
control '{"hold": 2, "wait": 0.3}'
expect_exit 0 "import --all -j 1" "$ZONESYNC" -c "$T/conc.toml" import --provider p --all -j 1 --config-snippet
same "one at a time with -j 1" "$(overlap)" 1
control '{"hold": 0}'
same "the same output, zone after zone in the same order" "$(cat "$T/import-j4.out")" "$OUT"
same "every zone there, its snippet after it" "$(printf '%s\n' "$OUT" | grep -E '^name = ' | tr '\n' ' ')" \
	'name = "c1.example." name = "c2.example." name = "c3.example." name = "c4.example." name = "example.com." '
check "the fake found every request valid against the API reference" invalid
finish
