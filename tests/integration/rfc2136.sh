#!/bin/bash
# rfc2136.sh - the rfc2136 provider against real BIND and Knot: TSIG AXFR + UPDATE of many
# types, no-op second run, a concurrent edit detected and re-planned, key problems, a zone
# too big for one UPDATE, a tampered AXFR rejected.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-2136-XXXXXX)
take_port BPORT || exit 1
take_port KPORT || exit 1
take_port PPORT || exit 1
PROXY=
cleanup() {
	[ -n "$PROXY" ] && kill "$PROXY" 2>/dev/null
	stop_servers
	rm -rf "$T"
}
trap cleanup EXIT

tsig_key
DYNAMIC_ZONES="example.com big.example" READER_KEY=reader start_server bind "$T/bind" "$BPORT" $((BPORT + 1000)) || exit 1
ZONES="example.com big.example" start_server knot "$T/knot" "$KPORT" || exit 1

R=$T/repo
git init -q -b main "$R"
mkdir -p "$R/zones"
cp "$TOP/zones/example.com.zone" "$R/zones/"
# 5,000 address and text records: far more than one 64 KiB UPDATE holds
python3 - > "$R/zones/big.example.zone" <<'PY'
print("$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1")
for i in range(4999):
    print(f"h{i:05d} A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" if i % 3 else f'h{i:05d} TXT "text record number {i}"')
PY
git_commit "$R" zones
cd "$R"

CFG=$T/zonesync.toml
write_config() { # NAME PORT [extra provider lines]
	cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state-$1.db"
[providers.$1]
type = "rfc2136"
server = "127.0.0.1:$2"
tsig_name = "${KEYNAME:-zonesync-key}"
tsig_secret = "env:ZS_TSIG"
nameservers = ["127.0.0.1:$2"]
${3:-}
[defaults]
providers = ["$1"]
max_changes = 10000
[[zones]]
name = "example.com"
[[zones]]
name = "big.example"
max_update_pct = 100
max_delete_pct = 100
CONF
}

for server in bind knot; do
	[ $server = bind ] && PORT=$BPORT || PORT=$KPORT
	echo "== rfc2136 against $server on 127.0.0.1:$PORT"
	git -C "$R" checkout -q main -- zones 2>/dev/null
	write_config "$server" "$PORT"
	expect_exit 4 "$server: replacing the placeholder apex NS is refused without --force" "$ZONESYNC" -c "$CFG" --no-color apply
	contains "$server: protected change named" "$OUT" "protected change: changes the apex NS records"
	expect_exit 0 "$server: apply --force" "$ZONESYNC" -c "$CFG" --no-color apply --force
	contains "$server: both zones changed" "$OUT" "0 failed"
	same "$server: CNAME" "$(answers "$PORT" www.example.com CNAME)" "example.com."
	same "$server: two A" "$(answers "$PORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.21')"
	same "$server: SRV" "$(answers "$PORT" _sip._tcp.example.com SRV)" "10 60 5060 sip.example.com."
	same "$server: CAA" "$(answers "$PORT" example.com CAA | wc -l)" "2"
	same "$server: apex NS of both providers" "$(answers "$PORT" example.com NS | wc -l)" "4"
	dkim=$(dig @127.0.0.1 -p "$PORT" +norec +short selector1._domainkey.example.com TXT | tr -d '" \n')
	check "$server: TXT over 255 bytes" [ "${#dkim}" -gt 300 ]
	contains "$server: delegation" "$(dig @127.0.0.1 -p "$PORT" +norec dev.example.com NS)" "ns1.dev.example.com."
	big=$(dig @127.0.0.1 -p "$PORT" big.example AXFR -y "hmac-sha256:zonesync-key:$TSIG_SECRET" +noall +answer | grep -v SOA | grep -vc "^_zonesync\.")
	same "$server: a zone larger than one 64 KiB UPDATE arrived whole (NS, ns1 and 4,999 records; the deployment marker aside)" "$big" "5001"
	expect_exit 0 "$server: second apply" "$ZONESYNC" -c "$CFG" --no-color apply
	contains "$server: nothing to do" "$OUT" "0 changes applied; 0 changed, 2 in sync"
	# TTL-only changes take effect (Knot ignores a re-added record with a new TTL, RFC 2136 3.4.2.2)
	sed -i -e 's/^api            300   IN A /api            900   IN A /' -e 's/^                     IN NS /                7200 IN NS /' zones/example.com.zone
	git_commit "$R" "ttl only"
	expect_exit 0 "$server: a TTL-only change is applied" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com --force
	contains "$server: both RRsets counted" "$OUT" "2 changes applied"
	same "$server: the new TTL is served" "$(dig @127.0.0.1 -p "$PORT" +norec +noall +answer api.example.com A | awk '{print $2}' | sort -u)" "900"
	same "$server: the apex NS TTL too" "$(dig @127.0.0.1 -p "$PORT" +norec +noall +answer example.com NS | awk '{print $2}' | sort -u)" "7200"
	same "$server: the records are all still there" "$(answers "$PORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.21')"
	expect_exit 0 "$server: the next plan is empty" "$ZONESYNC" -c "$CFG" plan --zone example.com --exit-code
	git -C "$R" -c user.name=t -c user.email=t@t revert --no-edit HEAD >/dev/null
	expect_exit 0 "$server: and back" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com --force
	expect_exit 0 "$server: the next plan is empty again" "$ZONESYNC" -c "$CFG" plan --zone example.com --exit-code
	expect_exit 0 "$server: verify finds the server consistent" "$ZONESYNC" -c "$CFG" --no-color verify
	contains "$server: every RRset asked" "$OUT" "example.com. $server @127.0.0.1:$PORT: consistent (23 RRsets, serial"
	if command -v script >/dev/null; then
		S=$(cd "$R" && env -u CI script -qec "'$ZONESYNC' -c '$CFG' --no-color verify" /dev/null)
		contains "$server: on a terminal, verify shows which server it asked" "$S" "/2] example.com. at $server @127.0.0.1:$PORT"
		contains "$server: counting the two zones' servers" "$S" "[verifying 2/2] "
		contains "$server: and the same report" "$S" "example.com. $server @127.0.0.1:$PORT: consistent (23 RRsets, serial"
	fi
	printf 'server 127.0.0.1 %s\nzone example.com\nupdate delete www.example.com. CNAME\nupdate add www.example.com. 300 IN CNAME elsewhere.example.net.\nsend\n' "$PORT" |
		nsupdate -y "hmac-sha256:zonesync-key:$TSIG_SECRET"
	expect_exit 2 "$server: verify sees a change made behind zonesync's back" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com
	contains "$server: and names provider, server and RRset" "$OUT" "example.com. $server @127.0.0.1:$PORT: MISMATCH"
	contains "$server: with both values" "$OUT" "www.example.com. CNAME: different: served 300 elsewhere.example.net.; git says 300 example.com."
	expect_exit 2 "$server: verify --format markdown, for a pull-request comment" "$ZONESYNC" -c "$CFG" verify --zone example.com --format markdown
	contains "$server: a table row per server" "$OUT" "| \`example.com.\` | $server | \`127.0.0.1:$PORT\` | **mismatch** |"
	contains "$server: the difference folded below" "$OUT" "<details><summary><code>example.com.</code> at $server @<code>127.0.0.1:$PORT</code>: 1 RRset differs</summary>"
	expect_exit 0 "$server: apply repairs it" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com
	expect_exit 0 "$server: verify agrees" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com
	printf 'server 127.0.0.1 %s\nzone example.com\nupdate add extra.example.com. 300 IN A 192.0.2.99\nsend\n' "$PORT" |
		nsupdate -y "hmac-sha256:zonesync-key:$TSIG_SECRET"
	expect_exit 0 "$server: a record added behind zonesync's back is not asked for" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com
	expect_exit 2 "$server: verify --strict transfers the zone and finds it" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com --strict
	contains "$server: named, with its value" "$OUT" "extra.example.com. A: extra: served 300 192.0.2.99; not in git"
	expect_exit 0 "$server: apply removes it" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com
	expect_exit 0 "$server: verify --strict agrees" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com --strict
	# a delegation's DS is the parent's own data: a DS served other than git's is a mismatch
	printf 'dev            86400 IN DS   12345 13 2 %s\n' "$(printf 'a%.0s' $(seq 64))" >> zones/example.com.zone
	git_commit "$R" "dev DS"
	expect_exit 0 "$server: a DS at the delegation is applied" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com
	expect_exit 0 "$server: verify finds it served" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com
	printf 'server 127.0.0.1 %s\nzone example.com\nupdate delete dev.example.com. DS\nupdate add dev.example.com. 86400 IN DS 54321 13 2 %s\nsend\n' "$PORT" "$(printf 'b%.0s' $(seq 64))" |
		nsupdate -y "hmac-sha256:zonesync-key:$TSIG_SECRET"
	expect_exit 2 "$server: verify sees the DS changed behind zonesync's back" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com
	contains "$server: naming the delegation's DS" "$OUT" "dev.example.com. DS: different: served 86400 54321 13 2"
	git -C "$R" -c user.name=t -c user.email=t@t revert --no-edit HEAD >/dev/null
	expect_exit 0 "$server: and without the DS again" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com
	# the glue a referral gives is what resolvers use: compared with git's
	printf 'server 127.0.0.1 %s\nzone example.com\nupdate delete ns1.dev.example.com. A\nupdate add ns1.dev.example.com. 86400 IN A 198.51.100.66\nsend\n' "$PORT" |
		nsupdate -y "hmac-sha256:zonesync-key:$TSIG_SECRET"
	expect_exit 2 "$server: verify sees the glue changed behind zonesync's back" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com
	contains "$server: naming the glue, the referral and both values" "$OUT" \
		"ns1.dev.example.com. A: glue different: the referral for dev.example.com. gives 86400 198.51.100.66; git says 86400 192.0.2.153"
	printf 'server 127.0.0.1 %s\nzone example.com\nupdate delete ns1.dev.example.com. A\nsend\n' "$PORT" |
		nsupdate -y "hmac-sha256:zonesync-key:$TSIG_SECRET"
	expect_exit 2 "$server: and the glue gone" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com
	contains "$server: missing from the referral" "$OUT" "ns1.dev.example.com. A: glue missing: the referral for dev.example.com. does not carry it"
	expect_exit 0 "$server: apply puts it back" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com
	expect_exit 0 "$server: verify agrees" "$ZONESYNC" -c "$CFG" --no-color verify --zone example.com

	# onboarding: the zone read by AXFR, written as a file, plans to nothing
	expect_exit 0 "$server: import by AXFR" "$ZONESYNC" -c "$CFG" import --provider $server --zone example.com -o "$T/imported-$server.zone"
	check "$server: named-checkzone accepts the import" named-checkzone -q example.com "$T/imported-$server.zone"
	cp "$T/imported-$server.zone" "$R/zones/example.com.zone"
	git_commit "$R" "imported from $server"
	expect_exit 0 "$server: the imported zone re-plans to no change" "$ZONESYNC" -c "$CFG" plan --zone example.com --exit-code
	git -C "$R" -c user.name=t -c user.email=t@t revert --no-edit HEAD >/dev/null

	# a change made behind zonesync's back between its read and its write
	sed -i 's/^api            300   IN A    192.0.2.21$/api            300   IN A    192.0.2.23/' zones/example.com.zone
	git_commit "$R" "api .23"
	cat > "$T/hook-$server" <<HOOK
#!/bin/sh
printf 'server 127.0.0.1 $PORT\nzone example.com\nupdate add api.example.com. 300 IN A 192.0.2.99\nsend\n' | nsupdate -y "hmac-sha256:zonesync-key:$TSIG_SECRET"
HOOK
	chmod +x "$T/hook-$server"
	printf '[hooks]\npre_apply = [["%s"]]\n' "$T/hook-$server" >> "$CFG"
	expect_exit 0 "$server: apply with a concurrent edit" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com
	contains "$server: the conflict is detected" "$OUT" "conflict (NXRRSET)"
	contains "$server: and re-planned" "$OUT" "re-reading and re-planning"
	same "$server: git wins after the re-plan" "$(answers "$PORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.23')"
	git -C "$R" -c user.name=t -c user.email=t@t revert --no-edit HEAD >/dev/null
	write_config "$server" "$PORT"
	expect_exit 0 "$server: back to the first version" "$ZONESYNC" -c "$CFG" apply

	# key problems: clear errors that name the key and never show the secret
	ZS_TSIG=$(head -c 32 /dev/urandom | base64) expect_exit 3 "$server: wrong secret" "$ZONESYNC" -c "$CFG" --no-color plan
	contains "$server: wrong secret names the key" "$OUT" "TSIG key 'zonesync-key'"
	check "$server: no secret in the output" sh -c "! printf '%s' \"\$1\" | grep -qF \"\$2\"" _ "$OUT" "$TSIG_SECRET"
	KEYNAME=nosuchkey write_config "$server" "$PORT"
	expect_exit 3 "$server: unknown key" "$ZONESYNC" -c "$CFG" --no-color plan
	contains "$server: unknown key named" "$OUT" "TSIG key 'nosuchkey'"
done

# BIND only: a key that may transfer but not update
if [ -f "$T/bind/reader.secret" ]; then
	KEYNAME=reader write_config bind "$BPORT"
	sed -i 's/^api            300   IN A    192.0.2.21$/api            300   IN A    192.0.2.24/' zones/example.com.zone
	git_commit "$R" "api .24"
	ZS_TSIG=$(cat "$T/bind/reader.secret") expect_exit 3 "bind: no update permission" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com
	contains "bind: REFUSED explained" "$OUT" "no update permission for reader"
fi

# BIND refuses an MX whose in-zone target has no address: the message names it
write_config bind "$BPORT"
git -C "$R" checkout -q HEAD~1 -- zones/example.com.zone
echo '@ 3600 IN MX 30 nowhere' >> zones/example.com.zone
git_commit "$R" "dangling MX"
expect_exit 0 "check only warns about the dangling MX" "$ZONESYNC" -c "$CFG" --no-color check
contains "the warning names the target" "$OUT" "MX target nowhere.example.com. has no A or AAAA record"
expect_exit 3 "bind refuses the update" "$ZONESYNC" -c "$CFG" --no-color apply --zone example.com
contains "the error names the target" "$OUT" "nowhere.example.com. (MX of example.com.) has no address record in the zone, which BIND refuses"

# BIND's refusals named for what they are, with the records of the refused message; the
# messages sent before the refused one are counted and journalled as applied
git -C "$R" -c user.name=t -c user.email=t@t revert --no-edit HEAD >/dev/null
write_config bind "$BPORT"
expect_exit 0 "bind: back in sync before the refusals" "$ZONESYNC" -c "$CFG" apply --force
sed -i 's/^\(h[0-9]* A \)10\./\111./' zones/big.example.zone
naddr=$(grep -c '^h[0-9]* A 11\.' zones/big.example.zone)
echo 'under_score MX 10 ns1' >> zones/big.example.zone
git_commit "$R" "many addresses, then a name BIND refuses"
expect_exit 3 "bind: a check-names refusal fails the pair" "$ZONESYNC" -c "$CFG" --no-color apply --zone big.example
contains "bind: it says check-names" "$OUT" "update refused by 127.0.0.1:$BPORT (REFUSED): check-names: under_score.big.example. MX: the owner is not a host name"
contains "bind: it names the refused message and the record" "$OUT" "changes, among them under_score.big.example. MX"
if printf '%s' "$OUT" | grep -q permission; then nok "bind: a check-names refusal suggests a permission problem"; else ok "bind: no permission problem suggested"; fi
contains "bind: the messages before it are said in the error" "$OUT" "messages applied: update refused"
napplied=$(printf '%s\n' "$OUT" | sed -n 's/^\([0-9]*\) changes applied; 0 changed, 0 in sync, 1 failed.*/\1/p')
check "bind: the messages before it are counted as applied ($napplied of $naddr)" [ "${napplied:-0}" -gt 0 -a "${napplied:-0}" -lt "$naddr" ]
same "bind: the journal agrees" "$(sqlite3 "$T/state-bind.db" "SELECT count(*) FROM journal WHERE zone = 'big.example.' AND status = 'applied' AND run_id = (SELECT max(run_id) FROM journal)")" "$napplied"
same "bind: and has the rest failed" "$(sqlite3 "$T/state-bind.db" "SELECT count(*) FROM journal WHERE zone = 'big.example.' AND status = 'failed' AND run_id = (SELECT max(run_id) FROM journal)")" "$((naddr + 1 - ${napplied:-0}))"
same "bind: the applied addresses are served" "$(answers "$BPORT" h00001.big.example A)" "11.0.0.1"
sed -i '/^under_score MX/d' zones/big.example.zone
for i in $(seq 1 101); do echo "many A 192.0.2.$i"; done >> zones/big.example.zone
git_commit "$R" "101 addresses in one RRset"
expect_exit 3 "bind: an RRset over BIND's limit fails the pair" "$ZONESYNC" -c "$CFG" --no-color apply --zone big.example
contains "bind: it names the limit, not a bare SERVFAIL" "$OUT" "SERVFAIL: too many records in one RRset (the server's limit): many.big.example. A has 101 records"
contains "bind: and the message's records" "$OUT" "changes, among them many.big.example. A"
git -C "$R" checkout -q main -- zones

# an AXFR whose 2nd message was altered in transit is rejected, never used
python3 "$TOP/tests/fakes/tamperproxy.py" "$PPORT" "$BPORT" 2 >/dev/null 2>&1 </dev/null &
PROXY=$!
for i in $(seq 1 50); do port_free "$PPORT" || break; sleep 0.1; done
write_config bind "$BPORT" "axfr_server = \"127.0.0.1:$PPORT\""
expect_exit 3 "tampered AXFR rejected" "$ZONESYNC" -c "$CFG" --no-color plan --zone big.example
contains "tampering reported" "$OUT" "big.example"
check "the reason is TSIG or a malformed message" sh -c "printf '%s' \"\$1\" | grep -qE 'fails TSIG verification|malformed'" _ "$OUT"
finish
