#!/bin/bash
# nsset.sh - one nameserver set for all: each provider reports the nameservers it serves the
# zone from (ns_names of BIND, Knot and PowerDNS; Cloudflare's assigned name_servers), check
# and plan warn in apex_ns = "git" mode about a provider whose nameservers an apex NS will not
# name, and apex_ns = "union" converges named (RFC 2136), knotd, pdns_server to one apex NS
# naming every provider's nameservers (Cloudflare keeps its own), which verify accepts; a bad
# ns_names value is a config error at its line. named and knotd both sign the zone (two
# signers); zonesync delegation gives both DS. verify --delegation against a hierarchy on
# loopback (root named, com. and org. knotd, one port): from the root, with glue, without
# glue (names looked up in org.), and a loop of glueless names that must end.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-nsset-XXXXXX)
take_port BPORT || exit 1
take_port KPORT || exit 1
take_port PPORT || exit 1
take_port APORT || exit 1
take_port CPORT || exit 1
take_port HPORT || exit 1
FAKE= RELAY=
cleanup() {
	[ -n "$FAKE" ] && kill "$FAKE" 2>/dev/null
	[ -n "$RELAY" ] && kill "$RELAY" 2>/dev/null
	bash "$TOP/tests/servers/stop-bind.sh" "$T/bind" >/dev/null 2>&1
	bash "$TOP/tests/servers/stop-knot.sh" "$T/knot" >/dev/null 2>&1
	bash "$TOP/tests/servers/stop-pdns.sh" "$T/pdns" >/dev/null 2>&1
	bash "$TOP/tests/servers/stop-bind.sh" "$T/root" >/dev/null 2>&1
	bash "$TOP/tests/servers/stop-knot.sh" "$T/com" >/dev/null 2>&1
	bash "$TOP/tests/servers/stop-knot.sh" "$T/org" >/dev/null 2>&1
	[ -d "$T/ttl" ] && bash "$TOP/tests/servers/stop-knot.sh" "$T/ttl" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
export TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
# two signers (RFC 8901): named and knotd each sign the zone with keys of their own
SIGNED_ZONES="example.com" bash "$TOP/tests/servers/start-bind.sh" "$T/bind" "$BPORT" $((BPORT + 1000)) >/dev/null || exit 1
SIGNED_ZONES="example.com" bash "$TOP/tests/servers/start-knot.sh" "$T/knot" "$KPORT" >/dev/null || exit 1
bash "$TOP/tests/servers/start-pdns.sh" "$T/pdns" "$PPORT" "$APORT" >/dev/null || exit 1
CF_TOKEN=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export ZS_TSIG=$TSIG_SECRET PDNS_KEY=$(cat "$T/pdns/api.key") CF_TOKEN
python3 "$TOP/tests/fakes/cloudflare.py" "$CPORT" "$CF_TOKEN" >"$T/fake.log" 2>&1 </dev/null &
FAKE=$!
wait_fake "$FAKE" "http://127.0.0.1:$CPORT/__requests" || exit 1
curl -s -X POST "http://127.0.0.1:$CPORT/__control" -d '{"zone": "example.com"}' >/dev/null

R=$T/repo
new_repo "$R" example.com
CFG=$T/zonesync.toml
write_cfg() {
	cat > "$CFG" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[defaults]
providers = ["bind", "knot", "pdns", "cf"]
apex_ns = "$1"
[providers.bind]
type = "rfc2136"
server = "127.0.0.1:$BPORT"
tsig_name = "zonesync-key"
tsig_secret = "env:ZS_TSIG"
nameservers = ["127.0.0.1:$BPORT"]
ns_names = ["ns1.example.com.", "NS2.example.com"]
[providers.knot]
type = "rfc2136"
server = "127.0.0.1:$KPORT"
tsig_name = "zonesync-key"
tsig_secret = "env:ZS_TSIG"
nameservers = ["127.0.0.1:$KPORT"]
ns_names = ["knot1.example.org."]
[providers.pdns]
type = "powerdns"
url = "http://127.0.0.1:$APORT"
api_key = "env:PDNS_KEY"
create_zones = true
nameservers = ["127.0.0.1:$PPORT"]
ns_names = ["pdns1.example.net.", "pdns2.example.net."]
[providers.cf]
type = "cloudflare"
url = "http://127.0.0.1:$CPORT/client/v4"
api_token = "env:CF_TOKEN"
retries = 0
[[zones]]
name = "example.com"
CONF
}
Z() { "$ZONESYNC" -c "$CFG" --no-color "$@"; }
apex_ns() { answers "$1" example.com NS | tr '\n' ' ' | sed 's/ $//'; }
cd "$R"
echo "== apex NS across bind :$BPORT, knot :$KPORT, pdns :$PPORT and cloudflare (fake) :$CPORT"

write_cfg git
expect_exit 0 "check passes in git mode" Z check
contains "check: knot's configured nameserver is missing from git's apex NS, for every provider git's apex NS goes to" "$OUT" \
	"the apex NS git pushes to provider 'pdns' does not name knot1.example.org. (nameserver of provider 'knot')"
contains "check names the line of the apex NS" "$OUT" "zones/example.com.zone:12: warning"
case "$OUT" in *"(nameserver of provider 'bind')"*|*"of provider 'pdns')"*) nok "check warned about names git lists";; *) ok "no warning about names git lists";; esac
expect_exit 0 "plan in git mode" Z plan
contains "plan: Cloudflare's assigned nameservers are missing from git's apex NS" "$OUT" \
	"the apex NS git pushes to provider 'bind' does not name ada.ns.cloudflare.com., bob.ns.cloudflare.com. (nameservers of provider 'cf')"
contains "plan: the apex NS Cloudflare serves names none of the others" "$OUT" \
	"the apex NS served by provider 'cf' does not name knot1.example.org. (nameserver of provider 'knot')"
expect_exit 0 "apply in git mode" Z apply --force
same "bind serves git's apex NS" "$(apex_ns "$BPORT")" "ns1.example.com. ns2.example.com. pdns1.example.net. pdns2.example.net."

# a bad ns_names value is an error where it is, for check and for every command
sed -i 's/^ns_names = \["knot1.example.org."\]$/ns_names = ["knot1.example.org.", "192.0.2.7"]/' "$CFG"
LINE=$(grep -n '"192.0.2.7"' "$CFG" | cut -d: -f1)
expect_exit 1 "check: an address in ns_names" Z check
contains "is an error that says where" "$OUT" "$CFG:$LINE: error: providers.knot.ns_names[1]: '192.0.2.7' is an address, not a name (addresses go in nameservers)"
expect_exit 1 "plan refuses it too" Z plan
contains "with the same words" "$OUT" "providers.knot.ns_names[1]: '192.0.2.7' is an address"

write_cfg union
expect_exit 0 "check in union mode" Z check
case "$OUT" in *"does not name"*) nok "check warned in union mode";; *) ok "check gives no nameserver warning in union mode";; esac
expect_exit 0 "plan in union mode" Z plan
case "$OUT" in *"does not name"*) nok "plan warned in union mode";; *) ok "plan gives no nameserver warning in union mode";; esac
contains "the union adds every provider's names to git's apex NS" "$OUT" "ada.ns.cloudflare.com."
expect_exit 4 "the widened apex NS is a protected change" Z apply
expect_exit 0 "apply --force pushes the union" Z apply --force
UNION="ada.ns.cloudflare.com. bob.ns.cloudflare.com. knot1.example.org. ns1.example.com. ns2.example.com. pdns1.example.net. pdns2.example.net."
same "named serves the union" "$(apex_ns "$BPORT")" "$UNION"
same "knotd serves the union" "$(apex_ns "$KPORT")" "$UNION"
same "pdns_server serves the union" "$(apex_ns "$PPORT")" "$UNION"
expect_exit 0 "and plans to no change" Z plan --exit-code
contains "Cloudflare keeps its assigned apex NS" "$OUT" "not applicable: example.com. NS: apex NS belongs to the provider"
expect_exit 0 "verify accepts the union at every server" Z verify
contains "all consistent" "$OUT" "3 consistent, 0 with mismatches"

# cross-provider verify: one server edited behind zonesync's back disagrees with the others
printf 'server 127.0.0.1 %s\nupdate delete api.example.com. A\nupdate add api.example.com. 300 A 192.0.2.99\nsend\n' "$KPORT" |
	nsupdate -y "hmac-sha256:zonesync-key:$TSIG_SECRET"
expect_exit 2 "verify: knot differs" Z verify
contains "the providers disagree" "$OUT" "example.com.: 3 servers compared: DISAGREE (SOA serials"
contains "on exactly the edited RRset, each server's answer shown" "$OUT" \
	"    api.example.com. A: bind @127.0.0.1:$BPORT: as git; knot @127.0.0.1:$KPORT: 300 192.0.2.99; pdns @127.0.0.1:$PPORT: as git"
contains "the apex NS each serves" "$OUT" "apex NS knot @127.0.0.1:$KPORT: ada.ns.cloudflare.com. bob.ns.cloudflare.com. ns1.example.com. ns2.example.com. knot1.example.org. pdns1.example.net. pdns2.example.net."
case "$OUT" in *"www.example.com. CNAME: bind"*) nok "an RRset they agree on is in the matrix";; *) ok "RRsets they agree on are not in the matrix";; esac
expect_exit 2 "verify --format markdown" Z verify --format markdown
contains "markdown: the matrix" "$OUT" "| RRset | bind @\`127.0.0.1:$BPORT\` | knot @\`127.0.0.1:$KPORT\` | pdns @\`127.0.0.1:$PPORT\` |"
contains "markdown: the disagreeing row" "$OUT" "| \`api.example.com. A\` | as git | \`300 192.0.2.99\` | as git |"
contains "markdown: the serial spread" "$OUT" "3 servers; SOA serials"
# a server that stops answering at the very RRset the others disagree on: its column says it
# gave no answer there, not that it serves git's data (pdns asked through a relay that goes
# silent after K queries; K found from a first run through it)
take_port RLPORT || exit 1
sed "s/^nameservers = \[\"127.0.0.1:$PPORT\"\]$/nameservers = [\"127.0.0.1:$RLPORT\"]/" "$CFG" > "$T/relay.toml"
relay() {
	python3 "$TOP/tests/fakes/dnsrelay.py" "$RLPORT" "$PPORT" "$1" "$T/relay-$1.log" </dev/null &
	RELAY=$!
	for _ in $(seq 1 100); do grep -q '^ready$' "$T/relay-$1.log" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
check "the relay listens" relay 100000
"$ZONESYNC" -c "$T/relay.toml" --no-color verify >/dev/null 2>&1
kill "$RELAY"; wait "$RELAY" 2>/dev/null
K=$(awk '$2 == "api.example.com." && $3 == 1 { print $1; exit }' "$T/relay-100000.log")
check "the relay saw the query for api.example.com. A" test -n "$K"
check "the relay listens again" relay "$K"
expect_exit 2 "verify: pdns stops answering at api.example.com. A" "$ZONESYNC" -c "$T/relay.toml" --no-color verify --timeout 300
kill "$RELAY"; wait "$RELAY" 2>/dev/null
contains "pdns is unreachable" "$OUT" "example.com. pdns @127.0.0.1:$RLPORT: UNREACHABLE"
contains "and its column says it did not answer there" "$OUT" \
	"    api.example.com. A: bind @127.0.0.1:$BPORT: as git; knot @127.0.0.1:$KPORT: 300 192.0.2.99; pdns @127.0.0.1:$RLPORT: no answer"
expect_exit 0 "apply repairs it" Z apply
expect_exit 0 "and verify agrees again" Z verify
contains "they agree" "$OUT" "example.com.: 3 servers compared: agree on every RRset of git"

# what the registrar must hold: every provider's names, glue from git, the DS of bind's and of knot's KSK
expect_exit 0 "zonesync delegation" Z delegation example.com
contains "an NS line per name, saying whose" "$OUT" "example.com.	3600	IN	NS	ada.ns.cloudflare.com.	; cf"
contains "git's and a provider's name together" "$OUT" "example.com.	3600	IN	NS	ns1.example.com.	; git, bind"
contains "knot's name" "$OUT" "example.com.	3600	IN	NS	knot1.example.org.	; knot"
contains "glue for the names inside the zone, from git" "$OUT" "ns2.example.com.	3600	IN	A	198.51.100.53"
# the DS of the KSK (flags 257) a server serves, as dnssec-dsfromkey computes it
ksk_ds() {
	dig @127.0.0.1 -p "$1" +norec +noall +answer example.com DNSKEY | awk '$5 == 257' > "$T/dnskey"
	dnssec-dsfromkey -2 -f "$T/dnskey" example.com | awk '$3 == "DS" { print $4, $5, $6, $7 }'
}
WANT_DS=$(ksk_ds "$BPORT")
KNOT_DS=$(ksk_ds "$KPORT")
check "bind signs the zone (one KSK to compare with)" test "$(printf '%s\n' "$WANT_DS" | grep -c .)" = 1
check "knot signs it with a KSK of its own" test "$(printf '%s\n' "$KNOT_DS" | grep -c .)" = 1 -a "$KNOT_DS" != "$WANT_DS"
contains "the DS of bind's KSK, as dnssec-dsfromkey computes it" "$OUT" "example.com.	3600	IN	DS	$WANT_DS	; KSK of bind"
contains "and the DS of knot's" "$OUT" "example.com.	3600	IN	DS	$KNOT_DS	; KSK of knot"
case "$OUT" in *"KSK of pdns"*|*"KSK of cf"*) nok "a DS for a provider that does not sign";; *) ok "no DS for providers that do not sign";; esac
expect_exit 0 "zonesync delegation --json" Z delegation --json example.com
same "JSON: the NS set" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["ns"]))')" 7
same "JSON: both DS, each with who serves its key" "$(printf '%s' "$OUT" | python3 -c 'import json,sys
for d in json.load(sys.stdin)[0]["ds"]: print(d["key_tag"], d["algorithm"], d["digest_type"], d["digest"], d["providers"])')" "$WANT_DS bind
$KNOT_DS knot"
expect_exit 1 "an unknown zone" Z delegation example.net
contains "says so" "$OUT" "no configured zone 'example.net'"

# the delegation from the root: a hierarchy on loopback, every server on port HPORT ([verify]
# port: root hints and glue carry no port) at an address of its own: a root named on
# 127.0.0.1 (named listens only on interface addresses), knotd serving com. on 127.0.0.3
# with the delegation, glue and the DS of bind's KSK only (not knot's), knotd serving org. on
# 127.0.0.4
# root_zone SERIAL < DELEGATIONS: the root zone (named reloads it when SERIAL > 1)
root_zone() {
	{
		printf '$TTL 300\n. IN SOA a.root-servers.test. hostmaster.root-servers.test. %s 3600 600 86400 300\n' "$1"
		printf '. IN NS a.root-servers.test.\na.root-servers.test. IN A 127.0.0.1\n'
		cat
	} > "$T/root/zones/..zone"
	[ "$1" = 1 ] && return 0
	rndc -s 127.0.0.1 -p $((HPORT + 1000)) -k "$T/root/rndc.key" reload . >/dev/null
	for _ in $(seq 1 100); do
		[ "$(dig @127.0.0.1 -p "$HPORT" +norec +short . SOA | cut -d' ' -f3)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
mkdir -p "$T/root/zones" "$T/com/zones" "$T/org/zones"
root_zone 1 <<ZONE
com. IN NS a.nic.com.
a.nic.com. IN A 127.0.0.3
org. IN NS a.nic.org.
a.nic.org. IN A 127.0.0.4
ZONE
cat > "$T/com/zones/com.zone" <<ZONE
\$TTL 300
@ IN SOA a.nic.com. hostmaster.nic.com. 1 3600 600 86400 300
@ IN NS a.nic.com.
a.nic IN A 127.0.0.3
example IN NS ns1.example.com.
example IN NS ns2.example.com.
example IN NS pdns1.example.net.
example IN NS pdns2.example.net.
example IN NS ada.ns.cloudflare.com.
example IN NS bob.ns.cloudflare.com.
example IN NS ns.lame.example.net.
ns1.example IN A 192.0.2.53
example IN DS $WANT_DS
example IN DS 11111 13 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF
ZONE
cat > "$T/org/zones/org.zone" <<ZONE
\$TTL 300
@ IN SOA a.nic.org. hostmaster.nic.org. 1 3600 600 86400 300
@ IN NS a.nic.org.
a.nic IN A 127.0.0.4
ns.tld-servers IN A 127.0.0.3
ZONE
STATIC_ZONES="." bash "$TOP/tests/servers/start-bind.sh" "$T/root" "$HPORT" $((HPORT + 1000)) >/dev/null || exit 1
LISTEN=127.0.0.3 ZONES="com" bash "$TOP/tests/servers/start-knot.sh" "$T/com" "$HPORT" >/dev/null || exit 1
LISTEN=127.0.0.4 ZONES="org" bash "$TOP/tests/servers/start-knot.sh" "$T/org" "$HPORT" >/dev/null || exit 1
same "the three answer on one port at their own addresses" \
	"$(dig @127.0.0.3 -p "$HPORT" +norec +short com SOA | cut -d' ' -f1) $(dig @127.0.0.4 -p "$HPORT" +norec +short org SOA | cut -d' ' -f1)" \
	"a.nic.com. a.nic.org."
# a provider said to serve from ns.lame.example.net. whose server does not serve the zone (com.'s)
sed -i 's/^providers = \["bind", "knot", "pdns", "cf"\]$/providers = ["bind", "knot", "pdns", "cf", "lame"]/' "$CFG"
printf '[providers.lame]\ntype = "secondary"\nnameservers = ["127.0.0.3:%s"]\nns_names = ["ns.lame.example.net."]\n' "$HPORT" >> "$CFG"
expect_exit 2 "verify --delegation --parent: the parent differs" Z verify --delegation --parent "127.0.0.3:$HPORT"
contains "a provider missing from the delegation" "$OUT" "    knot1.example.org. (knot): not in the delegation: resolvers never ask it"
contains "a lame server" "$OUT" "    ns.lame.example.net.: LAME: provider 'lame' @127.0.0.3:$HPORT does not answer for the zone authoritatively"
contains "glue missing" "$OUT" "    ns2.example.com.: inside the zone, and the parent gives no glue address for it"
case "$OUT" in *"ns1.example.com.: inside the zone"*) nok "glue reported missing where the parent has it";; *) ok "the glue the parent has is not reported";; esac
contains "the DS of bind's KSK is recognised" "$OUT" "    DS $(echo "$WANT_DS" | cut -d' ' -f1-3): the KSK of bind"
contains "a DS matching no provider's key" "$OUT" "    DS 11111 13 2: STALE: matches no DNSKEY a provider serves"
contains "two signers, the DS of one: says whose KSK has none" "$OUT" \
	"    NO DS: the KSK $(echo "$KNOT_DS" | cut -d' ' -f1) (algorithm 13) of knot has no DS at the parent: validating resolvers that reach knot find the zone bogus"
case "$OUT" in *"of bind has no DS"*) nok "bind's KSK said to lack the DS it has";; *) ok "bind's KSK, which has its DS, is not reported";; esac
contains "the verdict" "$OUT" "example.com. delegation @127.0.0.3:$HPORT: MISMATCH (7 NS; see above)"
# without --parent: root -> com. -> example.com.
printf '.\t3600000\tNS\ta.root-servers.test.\na.root-servers.test.\t3600000\tA\t127.0.0.1\n' > "$T/root.hints"
printf '[verify]\nroot_hints = "%s"\nport = %s\n' "$T/root.hints" "$HPORT" >> "$CFG"
expect_exit 2 "verify --delegation from the root hints" Z verify --delegation
contains "the resolution starts at the root named" "$OUT" "example.com. delegation: resolved: . at 127.0.0.1:$HPORT (root hints $T/root.hints)"
contains "is referred to com. by its glue" "$OUT" "example.com. delegation: resolved: com. at 127.0.0.3:$HPORT"
contains "and finds the parent that delegates the zone" "$OUT" "example.com. delegation @127.0.0.3:$HPORT: MISMATCH (7 NS; see above)"
contains "the same findings" "$OUT" "    knot1.example.org. (knot): not in the delegation"
contains "the DS findings too" "$OUT" "    NO DS: the KSK $(echo "$KNOT_DS" | cut -d' ' -f1) (algorithm 13) of knot"
printf '%s\n' "$OUT" > "$T/from-root.out"
# com.'s nameservers named in org. without glue at the root: their address is looked up from
# the root (one of them has none), then com. is asked
check "the root delegates com. without glue" root_zone 2 <<ZONE
com. IN NS ns.none.org.
com. IN NS ns.tld-servers.org.
org. IN NS a.nic.org.
a.nic.org. IN A 127.0.0.4
ZONE
expect_exit 2 "verify --delegation: com.'s servers without glue" Z verify --delegation
contains "the address of the nameserver looked up through org." "$OUT" \
	"example.com. delegation: resolved: com. at 127.0.0.3:$HPORT (no glue: ns.tld-servers.org. looked up from the root, through org. at 127.0.0.4:$HPORT)"
same "the same report as with glue" "$(printf '%s\n' "$OUT" | grep -v 'delegation: resolved:')" "$(grep -v 'delegation: resolved:' "$T/from-root.out")"
# and names that depend on each other: com.'s in org., org.'s in com., no glue anywhere
check "the root delegates com. and org. to each other's names" root_zone 3 <<ZONE
com. IN NS ns.a.org.
org. IN NS ns.b.com.
ZONE
expect_exit 2 "verify --delegation: a loop of glueless names ends" Z verify --delegation
contains "says what depends on what" "$OUT" \
	"example.com. delegation: NOT FOUND: nameservers without glue whose names depend on each other: com. by ns.a.org., org. by ns.b.com., com. by ns.a.org. again (the parent must give glue; or give --parent)"
# and a chain of glueless names longer than the bound: com.'s in org., org.'s in net., ...
check "the root delegates a chain of glueless names" root_zone 4 <<ZONE
com. IN NS ns.a.org.
org. IN NS ns.b.net.
net. IN NS ns.c.info.
info. IN NS ns.d.biz.
biz. IN NS ns.e.name.
name. IN NS ns.f.pro.
ZONE
expect_exit 2 "verify --delegation: the chain ends at the bound" Z verify --delegation
contains "says where it stopped and why" "$OUT" \
	"example.com. delegation: NOT FOUND: ns.e.name. (a nameserver of biz., no glue): more than 4 lookups of nameservers without glue nested (give --parent)"
# a delegation that is right in every part, with no lame provider configured: the only exit
# code that says so (the ones above would be 2 from the lame provider alone)
check "the root delegates com. with glue again" root_zone 5 <<ZONE
com. IN NS a.nic.com.
a.nic.com. IN A 127.0.0.3
org. IN NS a.nic.org.
a.nic.org. IN A 127.0.0.4
ZONE
sed -i 's/^providers = \["bind", "knot", "pdns", "cf", "lame"\]$/providers = ["bind", "knot", "pdns", "cf"]/' "$CFG"
# com_zone SERIAL: com. delegating example.com. to every provider's names, with glue and
# both signers' DS, less the NS names given as arguments
com_zone() {
	local serial=$1 n
	shift
	{
		printf '$TTL 300\n@ IN SOA a.nic.com. hostmaster.nic.com. %s 3600 600 86400 300\n' "$serial"
		printf '@ IN NS a.nic.com.\na.nic IN A 127.0.0.3\n'
		for n in ns1.example.com. ns2.example.com. knot1.example.org. pdns1.example.net. pdns2.example.net. \
			ada.ns.cloudflare.com. bob.ns.cloudflare.com.; do
			case " $* " in *" $n "*) continue;; esac
			printf 'example IN NS %s\n' "$n"
		done
		printf 'ns1.example IN A 192.0.2.53\nns2.example IN A 198.51.100.53\n'
		printf 'example IN DS %s\nexample IN DS %s\n' "$WANT_DS" "$KNOT_DS"
		printf '%b' "${EXTRA_DS:-}"
	} > "$T/com/zones/com.zone"
	knotc -c "$T/com/knot.conf" zone-reload com. >/dev/null || return 1
	for _ in $(seq 1 100); do
		[ "$(dig @127.0.0.3 -p "$HPORT" +norec +short com SOA | cut -d' ' -f3)" = "$serial" ] && return 0
		sleep 0.05
	done
	return 1
}
check "com. delegates example.com. to every provider, with glue and both DS" com_zone 2
expect_exit 0 "verify --delegation: a right delegation from the root" Z verify --delegation
contains "the verdict" "$OUT" "example.com. delegation @127.0.0.3:$HPORT: consistent (7 NS)"
# a lame root first in the hints (the org. knotd: REFUSED): the next root is asked
printf '.\t3600000\tNS\ta.root-servers.test.\n.\t3600000\tNS\tb.root-servers.test.\na.root-servers.test.\t3600000\tA\t127.0.0.4\nb.root-servers.test.\t3600000\tA\t127.0.0.1\n' > "$T/lame-first.hints"
sed "s|^root_hints = .*|root_hints = \"$T/lame-first.hints\"|" "$CFG" > "$T/lame-first.toml"
expect_exit 0 "verify --delegation: a lame root server first, then the real one" "$ZONESYNC" -c "$T/lame-first.toml" --no-color verify --delegation
contains "the walk goes on at the next root" "$OUT" "example.com. delegation @127.0.0.3:$HPORT: consistent (7 NS)"
# a provider's first nameserver does not serve the zone (com.'s server: a referral): its
# KSK is read from the next one
sed "s|^nameservers = \[\"127.0.0.1:$KPORT\"\]$|nameservers = [\"127.0.0.3:$HPORT\", \"127.0.0.1:$KPORT\"]|" "$CFG" > "$T/knot-lame-first.toml"
expect_exit 0 "zonesync delegation: knot's first nameserver is lame" "$ZONESYNC" -c "$T/knot-lame-first.toml" --no-color delegation example.com
contains "knot's DS all the same" "$OUT" "example.com.	3600	IN	DS	$KNOT_DS	; KSK of knot"
# DS of other digest types: SHA-1 and SHA-384 compared in full, like SHA-256
dig @127.0.0.1 -p "$BPORT" +norec +noall +answer example.com DNSKEY | awk '$5 == 257' > "$T/bind-dnskey"
B384=$(dnssec-dsfromkey -a SHA-384 -f "$T/bind-dnskey" example.com | awk '$3 == "DS" { print $4, $5, $6, $7 }')
B1=$(dnssec-dsfromkey -1 -f "$T/bind-dnskey" example.com 2>/dev/null | awk '$3 == "DS" { print $4, $5, $6, $7 }')
BTAG=$(echo "$WANT_DS" | cut -d' ' -f1)
EXTRA_DS="example IN DS $B384\nexample IN DS $B1\nexample IN DS $BTAG 13 4 $(printf 'C%.0s' $(seq 96))\n" \
	check "com. holds bind's DS in SHA-384 and SHA-1 too, and a SHA-384 one with bind's key tag but another digest" com_zone 3
expect_exit 2 "verify --delegation: a DS whose digest is no KSK's" Z verify --delegation
same "the SHA-384 DS recognised by its digest (the whole line)" "$(printf '%s\n' "$OUT" | grep -cxF "    DS $BTAG 13 4: the KSK of bind")" 1
same "the SHA-1 one too" "$(printf '%s\n' "$OUT" | grep -cxF "    DS $BTAG 13 1: the KSK of bind")" 1
contains "the one with bind's key tag and another digest is stale" "$OUT" "    DS $BTAG 13 4: STALE: matches no DNSKEY a provider serves"
check "com. forgets knot's name" com_zone 4 knot1.example.org.
expect_exit 2 "verify --delegation: one provider's name missing is a mismatch by itself" Z verify --delegation
contains "says which" "$OUT" "    knot1.example.org. (knot): not in the delegation: resolvers never ask it"
sed -i "s|^root_hints = .*|root_hints = \"$T/no-such.hints\"|" "$CFG"
expect_exit 2 "root hints that cannot be read" Z verify --delegation
contains "say so, and what to do" "$OUT" "cannot read the root hints $T/no-such.hints: No such file or directory (install dns-root-data, set [verify] root_hints, or give --parent)"
sed -i "s|^root_hints = .*|root_hints = \"$T/root.hints\"|" "$CFG"
write_cfg union

# a TTL below Cloudflare's minimum (60) is served raised to it: verify accepts it as a
# normalisation and says so (a knotd on 127.0.0.1 stands for Cloudflare's nameservers)
take_port TPORT || exit 1
mkdir -p "$T/ttl/zones"
new_repo "$T/ttlrepo"
printf '$TTL 300\n@ IN SOA ns.ttl.test. h.ttl.test. 1 3600 600 86400 300\n@ IN NS ns.ttl.test.\nns IN A 192.0.2.1\nfast 30 IN A 192.0.2.2\nslow 90000 IN A 192.0.2.3\n' > "$T/ttlrepo/zones/ttl.test.zone"
git_commit "$T/ttlrepo" ttl
sed 's/^fast 30 /fast 60 /; s/^slow 90000 /slow 86400 /' "$T/ttlrepo/zones/ttl.test.zone" > "$T/ttl/zones/ttl.test.zone"
ZONES="ttl.test" bash "$TOP/tests/servers/start-knot.sh" "$T/ttl" "$TPORT" >/dev/null || exit 1
cat > "$T/ttl.toml" <<CONF
[repo]
path = "$T/ttlrepo"
[state]
path = "$T/ttl.db"
[providers.cf]
type = "cloudflare"
url = "http://127.0.0.1:$CPORT/client/v4"
api_token = "env:CF_TOKEN"
nameservers = ["127.0.0.1:$TPORT"]
[[zones]]
name = "ttl.test"
providers = ["cf"]
CONF
expect_exit 0 "verify: TTLs served at Cloudflare's minimum and maximum" "$ZONESYNC" -c "$T/ttl.toml" --no-color verify
contains "the raised TTL is shown as a normalisation" "$OUT" "    normalised: 1 RRset served with the TTL raised to 60, the minimum of provider 'cf'"
contains "and the lowered one" "$OUT" "    normalised: 1 RRset served with the TTL lowered to 86400, the maximum of provider 'cf'"
expect_exit 0 "verify --json" "$ZONESYNC" -c "$T/ttl.toml" verify --json
same "JSON: both in normalised" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(len([n for n in json.load(sys.stdin)[0]["normalised"] if "TTL" in n]))')" 2
sed -i 's/^fast 60 /fast 61 /' "$T/ttl/zones/ttl.test.zone"
knotc -c "$T/ttl/knot.conf" zone-reload ttl.test. >/dev/null
for _ in $(seq 1 50); do [ "$(dig @127.0.0.1 -p "$TPORT" +norec +noall +answer fast.ttl.test A | awk '{print $2}')" = 61 ] && break; sleep 0.05; done
expect_exit 2 "verify: a TTL that is neither git's nor the clamped one differs" "$ZONESYNC" -c "$T/ttl.toml" --no-color verify
contains "says what was served" "$OUT" "fast.ttl.test. A: different: served 61 192.0.2.2; git says 60 192.0.2.2"
bash "$TOP/tests/servers/stop-knot.sh" "$T/ttl" >/dev/null 2>&1

# a provider that cannot tell its nameservers: the union lacks them, and every provider says so
curl -s -X POST "http://127.0.0.1:$CPORT/__control" -d '{"fail_next": 100, "status": 500}' >/dev/null
expect_exit 3 "Cloudflare failing" Z plan
contains "the others warn that the union lacks its names" "$OUT" "warning: apex_ns = \"union\": provider 'cf' could not be read: the apex NS lacks its names"
contains "and taking Cloudflare's names out of their apex NS is refused" "$OUT" "REFUSED by safety limits: protected change: changes the apex NS records"
finish
