#!/bin/bash
# dyn.sh - the dyn provider against a fake of the documented Dyn REST API
# (tests/fakes/dyn.py): a session, one call per changed RRset + one publish, nothing
# published until the publish, nothing written in sync, job redirects, "incomplete",
# "blocked by a task", 429, malformed answers, an expired session, a wrong password; zones
# read side by side, applied one at a time unless `concurrency` says more, one zone's
# failure kept to that zone.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-dyn-XXXXXX)
take_port PORT || exit 1
export DYN_PW=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
python3 "$TOP/tests/fakes/dyn.py" "$PORT" acme zonesync "$DYN_PW" >"$T/fake.log" 2>&1 </dev/null &
FAKE=$!
cleanup() { kill "$FAKE" 2>/dev/null; wait "$FAKE" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
wait_fake "$FAKE" "http://127.0.0.1:$PORT/__requests" || exit 1
control() { curl -s -X POST "http://127.0.0.1:$PORT/__control" -d "$1" >/dev/null; }
count() { curl -s "http://127.0.0.1:$PORT/__requests" | python3 -c "import json,sys; r=json.load(sys.stdin); print(sum(1 for x in r if x['method']=='$1' and '$2' in x['path']))"; }
published() { curl -s "http://127.0.0.1:$PORT/__published/example.com" | python3 -c "import json,sys; r=json.load(sys.stdin); print(' '.join(sorted(str(x['rdata'].get('$3', '')) for x in r if x['fqdn']=='$1' and x['record_type']=='$2')))"; }
control '{"zone": "example.com"}'

R=$T/repo
new_repo "$R" example.com
CFG=$T/zonesync.toml
cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[providers.dyn]
type = "dyn"
url = "http://127.0.0.1:$PORT"
customer = "acme"
user = "zonesync"
password = "env:DYN_PW"
retries = 2
timeout = 5
[[zones]]
name = "example.com"
providers = ["dyn"]
CONF
Z() { "$ZONESYNC" -c "$CFG" --no-color "$@"; }
echo "== dyn provider against the fake API on 127.0.0.1:$PORT"
expect_exit 0 "first apply" Z apply
changes=$(printf '%s' "$OUT" | sed -n 's/^plan [0-9a-f]*: \([0-9]*\) changes.*/\1/p')
contains "Dyn's apex NS are not ours" "$OUT" "not applicable: example.com. NS: apex NS belongs to the provider"
same "one call per changed RRset, the deployment marker, one publish ($changes RRsets)" "$(count PUT /REST/)" "$((changes + 2))"
same "published after the publish" "$(published www.example.com CNAME cname)" "example.com."
same "two A at api" "$(published api.example.com A address)" "192.0.2.20 192.0.2.21"
same "the session was closed at the end" "$(count DELETE /REST/Session/)" "1"
expect_exit 0 "second apply" Z apply
same "nothing staged or published in sync" "$(count PUT /REST/)" "$((changes + 2))"

# Dyn's long operations: 307 to a job, "incomplete", "blocked by a task", 429
sed -i 's/^api            300   IN A    192.0.2.21$/api            300   IN A    192.0.2.71/' "$R/zones/example.com.zone"
git_commit "$R" "api .71"
control '{"fail_next": 1, "status": "job"}'
expect_exit 0 "apply through a 307 job redirect" Z apply
same "applied through the job" "$(published api.example.com A address)" "192.0.2.20 192.0.2.71"
sed -i 's/192.0.2.71/192.0.2.72/' "$R/zones/example.com.zone"
git_commit "$R" "api .72"
control '{"fail_next": 2, "status": "incomplete"}'
expect_exit 0 "apply through 'incomplete' answers" Z apply
same "applied" "$(published api.example.com A address)" "192.0.2.20 192.0.2.72"
sed -i 's/192.0.2.72/192.0.2.73/' "$R/zones/example.com.zone"
git_commit "$R" "api .73"
control '{"fail_next": 1, "status": "blocked"}'
expect_exit 0 "apply retried when blocked by a task" Z apply
same "applied" "$(published api.example.com A address)" "192.0.2.20 192.0.2.73"
sed -i 's/192.0.2.73/192.0.2.74/' "$R/zones/example.com.zone"
git_commit "$R" "api .74"
control '{"fail_next": 2, "status": 429}'
expect_exit 0 "429s waited out" Z apply
same "applied" "$(published api.example.com A address)" "192.0.2.20 192.0.2.74"

# the session expires between the read and the write: log in again, stage, publish
cat > "$T/expire" <<HOOK
#!/bin/sh
cat >/dev/null
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '{"expire_sessions": true}' >/dev/null
HOOK
chmod +x "$T/expire"
sed -i 's/192.0.2.74/192.0.2.75/' "$R/zones/example.com.zone"
git_commit "$R" "api .75"
cp "$CFG" "$T/expire.toml"
printf '[hooks]\npre_apply = [["%s"]]\n' "$T/expire" >> "$T/expire.toml"
expect_exit 0 "an expired session is replaced" "$ZONESYNC" -c "$T/expire.toml" --no-color apply
contains "with a second session" "$OUT" "2 sessions"
same "applied" "$(published api.example.com A address)" "192.0.2.20 192.0.2.75"

# the other types Dyn's API documents, through their rdata keys, read back exactly
cat >> "$R/zones/example.com.zone" <<'ZONE'
rp 300 IN RP mbox.example.com. txt.example.com.
key 300 IN KEY 256 3 13 kXKkvWU3vGYfTJGl3qBd4qhiWp5aRs7YtkCJxD2d+t7KXqwahww5IgJtxJT2yFItlggazyfXqJEVOmMJ3qT0tQ==
naptr 300 IN NAPTR 100 10 "S" "SIP+D2U" "!^.*$!sip:a@example.com!" _sip._udp.example.com.
kx 300 IN KX 10 kx.example.com.
cert 300 IN CERT 3 0 0 AQID
dname 300 IN DNAME target.example.net.
sshfp 300 IN SSHFP 1 1 123456789abcdef67890123456789abcdef67890
dhcid 300 IN DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=
_443._tcp 300 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
@ 300 IN DNSKEY 257 3 13 kXKkvWU3vGYfTJGl3qBd4qhiWp5aRs7YtkCJxD2d+t7KXqwahww5IgJtxJT2yFItlggazyfXqJEVOmMJ3qT0tQ==
@ 300 IN CDS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118
@ 300 IN CDNSKEY 257 3 13 kXKkvWU3vGYfTJGl3qBd4qhiWp5aRs7YtkCJxD2d+t7KXqwahww5IgJtxJT2yFItlggazyfXqJEVOmMJ3qT0tQ==
ZONE
git_commit "$R" "RP KEY NAPTR KX CERT DNAME SSHFP DHCID TLSA DNSKEY CDS CDNSKEY"
expect_exit 0 "Dyn's other documented types are written" Z apply --force
expect_exit 0 "and read back to no change" Z plan --exit-code
same "NAPTR through its rdata keys" "$(published naptr.example.com NAPTR regexp)" '!^.*$!sip:a@example.com!'
same "TLSA through its rdata keys" "$(published _443._tcp.example.com TLSA cert_usage)" "3"
printf 'naptr2 300 IN NAPTR 1 1 "\\200" "" "" .\n' >> "$R/zones/example.com.zone"
git_commit "$R" "a NAPTR string Dyn's JSON cannot carry"
expect_exit 3 "a NAPTR string outside printable text is refused in plan" Z plan
contains "per record, with the reason" "$OUT" "naptr2.example.com. NAPTR: provider 'dyn' cannot hold it: the API's fields hold printable text only"
sed -i '/^naptr2 /d' "$R/zones/example.com.zone"
git_commit "$R" "without it"

# TTL 0 is Dyn's "zone default": sent as 1, said in plan, and no perpetual diff
printf 'zero 0 IN A 192.0.2.90\nquo\\"te 300 IN A 192.0.2.91\n' >> "$R/zones/example.com.zone"
git_commit "$R" "TTL 0; a name with a quote"
expect_exit 0 "a TTL 0 record and a name with a quote" Z apply
contains "TTL 0 raised with a warning" "$OUT" "zero.example.com. A: TTL 0 raised to 1 (provider minimum 1)"
expect_exit 0 "and they plan to nothing afterwards" Z plan --exit-code
same "the name is published as it is" "$(published 'quo"te.example.com' A address)" "192.0.2.91"
printf 'dot\\.inside 300 IN A 192.0.2.92\n' >> "$R/zones/example.com.zone"
git_commit "$R" "a label with a dot"
expect_exit 3 "a name the API cannot take is refused in plan" Z plan
contains "per record, with the reason" "$OUT" 'dot\.inside.example.com. A: provider '"'dyn'"' cannot hold it: the API takes a record name as text labels joined by dots: a label with a dot in it cannot be written'
sed -i '/^zero \|^quo\\"te \|^dot\\.inside /d' "$R/zones/example.com.zone"
git_commit "$R" "without them"
expect_exit 0 "and removed again" Z apply

# failures: clear errors, nothing published
sed -i 's/192.0.2.75/192.0.2.76/' "$R/zones/example.com.zone"
git_commit "$R" "api .76"
control '{"fail_next": 20, "status": 500}'
expect_exit 3 "500s beyond the retries" Z apply
contains "named provider and zone" "$OUT" "provider 'dyn': zone 'example.com.': login failed (HTTP 500): internal error"
same "nothing published" "$(published api.example.com A address)" "192.0.2.20 192.0.2.75"
control '{"fail_next": 20, "status": "garbage"}'
expect_exit 3 "malformed answers" Z plan
contains "said clearly" "$OUT" "the answer is not JSON"
control '{"fail_next": 0}'
DYN_PW=wrong-password-1 expect_exit 3 "a wrong password" Z plan
contains "login refused" "$OUT" "login refused (HTTP 400): login: Credentials you entered did not match"
check "the password is not printed" sh -c "! printf '%s' \"\$1\" | grep -q wrong-password-1" _ "$OUT"
expect_exit 0 "recovered" Z apply
same "converged" "$(published api.example.com A address)" "192.0.2.20 192.0.2.76"

# machine-readable results, and progress on a terminal
sed -i 's/192.0.2.76/192.0.2.77/' "$R/zones/example.com.zone"
git_commit "$R" "api .77"
"$ZONESYNC" -c "$CFG" apply --json > "$T/run.json" 2>/dev/null
same "--json: results of the run" "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=j["results"][0]; print(j["exit_code"], r["zone"], r["provider"], r["result"], r["changes"])' "$T/run.json")" "0 example.com. dyn changed 1"
sed -i 's/192.0.2.77/192.0.2.78/' "$R/zones/example.com.zone"
git_commit "$R" "api .78"
env -u CI script -qec "\"$ZONESYNC\" -c \"$CFG\" apply" /dev/null > "$T/tty.out" 2>&1
contains "a progress line on a terminal" "$(cat "$T/tty.out")" "[1/1] example.com. at dyn: changed"
# onboarding: import what the provider serves; the file passes check and re-plans to nothing
I=$T/imported
new_repo "$I"
expect_exit 0 "import" Z import --provider dyn --zone example.com -o "$I/zones/example.com.zone"
imported_round_trip "$I" example.com
# dyn's descriptor has no list-zones: --all is refused before any request is made
before=$(count POST /REST/Session/)
expect_exit 1 "import --all from a provider that cannot list its zones" Z import --provider dyn --all --dir "$I/all"
contains "it says why" "$OUT" "provider 'dyn' (type dyn) cannot list its zones: import them one by one with --zone"
same "no session was opened for it" "$(count POST /REST/Session/)" "$before"

# several zones at Dyn: read side by side up to -j in one session, applied one zone at a
# time unless concurrency says more (then each apply stages in a session no other uses)
for i in 1 2 3 4; do control "{\"zone\": \"c$i.example\"}"; done
side_by_side ns1.p01.dynect.net. "$(printf 'type = "dyn"\nurl = "http://127.0.0.1:%s"\ncustomer = "acme"\nuser = "zonesync"\npassword = "env:DYN_PW"' "$PORT")"
# one login for the zones read at once; refused credentials are tried once, not per zone
before=$(count POST /REST/Session/)
expect_exit 0 "plan -j 4" "$ZONESYNC" -c "$T/conc.toml" plan -j 4 --exit-code
same "one session for the four reads" "$(($(count POST /REST/Session/) - before))" 1
before=$(count POST /REST/Session/)
DYN_PW=wrong-password-2 expect_exit 3 "plan -j 4 with a wrong password" "$ZONESYNC" -c "$T/conc.toml" plan -j 4
same "each zone says the login was refused" "$(printf '%s\n' "$OUT" | grep -c "zone 'c[1-4].example.': login refused (HTTP 400)")" 4
same "one login tried, not four" "$(($(count POST /REST/Session/) - before))" 1
# one zone's failure stays that zone's: its staged changes are dropped with its session, the
# others (staging at the same time) are published
www() { curl -s "http://127.0.0.1:$PORT/__published/$1" | python3 -c "import json,sys; print(' '.join(x['rdata']['address'] for x in json.load(sys.stdin) if x['fqdn']=='www.$1'))"; }
sed -i 's/^www A 198\.51\.100\./www A 203.0.113./' "$T"/conc/zones/*.zone
git_commit "$T/conc" "four more changes"
printf 'concurrency = 2\n' >> "$T/conc.toml"
control '{"refuse_publish": "c2.example"}'
expect_exit 3 "apply, concurrency = 2, one zone's publish refused" "$ZONESYNC" -c "$T/conc.toml" --no-color apply -j 4
contains "the zone's error, named" "$OUT" "provider 'p': zone 'c2.example.': publish: HTTP 400: publish: the zone cannot be published"
same "only that zone failed" "$(printf '%s\n' "$OUT" | grep -c ' failed: ')" 1
check "no other zone lost its staged changes" sh -c "! printf '%s' \"\$1\" | grep -q 'session expired'" _ "$OUT"
same "the other zones are published" "$(www c1.example) $(www c3.example) $(www c4.example)" "203.0.113.1 203.0.113.3 203.0.113.4"
same "that one is not" "$(www c2.example)" "198.51.100.2"
control '{"refuse_publish": null}'
expect_exit 0 "then it applies" "$ZONESYNC" -c "$T/conc.toml" apply
same "with nothing left over from the refused publish" "$(www c2.example)" "203.0.113.2"

# a provider that cannot delete zones: --prune-zones says so and fails that pair only
head -n -3 "$CFG" > "$T/pruned.toml"
expect_exit 3 "apply --prune-zones with the zone gone from the configuration" "$ZONESYNC" -c "$T/pruned.toml" --no-color apply --prune-zones
contains "says it cannot, and what to do" "$OUT" "provider 'dyn': zone 'example.com.': this provider type cannot delete zones; delete it by hand"
same "the zone is still published" "$(published www.example.com CNAME cname)" "example.com."

finish
