#!/bin/bash
# nsset.sh - one nameserver set for all: each provider reports the nameservers it serves the
# zone from (ns_names of BIND, Knot and PowerDNS; Cloudflare's assigned name_servers), check
# and plan warn in apex_ns = "git" mode about a provider whose nameservers an apex NS will not
# name, and apex_ns = "union" converges named (RFC 2136), knotd, pdns_server to one apex NS
# naming every provider's nameservers (Cloudflare keeps its own), which verify accepts.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-nsset-XXXXXX)
take_port BPORT || exit 1
take_port KPORT || exit 1
take_port PPORT || exit 1
take_port APORT || exit 1
take_port CPORT || exit 1
take_port TPORT || exit 1
FAKE=
cleanup() {
	[ -n "$FAKE" ] && kill "$FAKE" 2>/dev/null
	bash "$TOP/tests/servers/stop-bind.sh" "$T/bind" >/dev/null 2>&1
	bash "$TOP/tests/servers/stop-knot.sh" "$T/knot" >/dev/null 2>&1
	bash "$TOP/tests/servers/stop-pdns.sh" "$T/pdns" >/dev/null 2>&1
	bash "$TOP/tests/servers/stop-bind.sh" "$T/tld" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
export TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
SIGNED_ZONES="example.com" bash "$TOP/tests/servers/start-bind.sh" "$T/bind" "$BPORT" $((BPORT + 1000)) >/dev/null || exit 1
ZONES="example.com" bash "$TOP/tests/servers/start-knot.sh" "$T/knot" "$KPORT" >/dev/null || exit 1
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
expect_exit 0 "apply repairs it" Z apply
expect_exit 0 "and verify agrees again" Z verify
contains "they agree" "$OUT" "example.com.: 3 servers compared: agree on every RRset of git"

# what the registrar must hold: every provider's names, glue from git, bind's KSK as DS
expect_exit 0 "zonesync delegation" Z delegation example.com
contains "an NS line per name, saying whose" "$OUT" "example.com.	3600	IN	NS	ada.ns.cloudflare.com.	; cf"
contains "git's and a provider's name together" "$OUT" "example.com.	3600	IN	NS	ns1.example.com.	; git, bind"
contains "knot's name" "$OUT" "example.com.	3600	IN	NS	knot1.example.org.	; knot"
contains "glue for the names inside the zone, from git" "$OUT" "ns2.example.com.	3600	IN	A	198.51.100.53"
dig @127.0.0.1 -p "$BPORT" +norec +noall +answer example.com DNSKEY > "$T/dnskey"
WANT_DS=$(dnssec-dsfromkey -2 -f "$T/dnskey" example.com | awk '$3 == "DS" { print $4, $5, $6, $7 }' | head -1)
check "bind signs the zone (a KSK to compare with)" test -n "$WANT_DS"
contains "the DS of bind's KSK, as dnssec-dsfromkey computes it" "$OUT" "example.com.	3600	IN	DS	$WANT_DS	; KSK of bind"
case "$OUT" in *"KSK of knot"*|*"KSK of pdns"*) nok "a DS for a provider that does not sign";; *) ok "no DS for providers that do not sign";; esac
expect_exit 0 "zonesync delegation --json" Z delegation --json example.com
same "JSON: the NS set" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["ns"]))')" 7
same "JSON: the DS" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]["ds"][0]; print(d["key_tag"], d["algorithm"], d["digest_type"], d["digest"], d["providers"])')" "$WANT_DS bind"
expect_exit 1 "an unknown zone" Z delegation example.net
contains "says so" "$OUT" "no configured zone 'example.net'"

# the delegation at the parent: a TLD named serving com. with the delegation and DS
mkdir -p "$T/tld/zones"
cat > "$T/tld/zones/com.zone" <<ZONE
\$TTL 300
@ IN SOA a.nic.com. hostmaster.nic.com. 1 3600 600 86400 300
@ IN NS a.nic.com.
a.nic IN A 127.0.0.1
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
STATIC_ZONES="com" bash "$TOP/tests/servers/start-bind.sh" "$T/tld" "$TPORT" $((TPORT + 1000)) >/dev/null || exit 1
# a provider said to serve from ns.lame.example.net. whose server does not serve the zone (the TLD's)
sed -i 's/^providers = \["bind", "knot", "pdns", "cf"\]$/providers = ["bind", "knot", "pdns", "cf", "lame"]/' "$CFG"
printf '[providers.lame]\ntype = "secondary"\nnameservers = ["127.0.0.1:%s"]\nns_names = ["ns.lame.example.net."]\n' "$TPORT" >> "$CFG"
expect_exit 2 "verify --delegation --parent: the parent differs" Z verify --delegation --parent "127.0.0.1:$TPORT"
contains "a provider missing from the delegation" "$OUT" "    knot1.example.org. (knot): not in the delegation: resolvers never ask it"
contains "a lame server" "$OUT" "    ns.lame.example.net.: LAME: provider 'lame' @127.0.0.1:$TPORT does not answer for the zone authoritatively"
contains "glue missing" "$OUT" "    ns2.example.com.: inside the zone, and the parent gives no glue address for it"
case "$OUT" in *"ns1.example.com.: inside the zone"*) nok "glue reported missing where the parent has it";; *) ok "the glue the parent has is not reported";; esac
contains "the DS of bind's KSK is recognised" "$OUT" "    DS $(echo "$WANT_DS" | cut -d' ' -f1-3): the KSK of bind"
contains "a DS matching no provider's key" "$OUT" "    DS 11111 13 2: STALE: matches no DNSKEY a provider serves"
contains "the verdict" "$OUT" "example.com. delegation @127.0.0.1:$TPORT: MISMATCH (7 NS; see above)"
# without --parent: the parent found from root hints ([verify] root_hints; every server on
# 127.0.0.1 shares [verify] port, so the hints name the TLD server, which refers to the zone)
printf '.\t3600000\tNS\ta.root-servers.test.\na.root-servers.test.\t3600000\tA\t127.0.0.1\n' > "$T/root.hints"
printf '[verify]\nroot_hints = "%s"\nport = %s\n' "$T/root.hints" "$TPORT" >> "$CFG"
expect_exit 2 "verify --delegation from the root hints" Z verify --delegation
contains "the resolution starts at the hints" "$OUT" "example.com. delegation: resolved: . at 127.0.0.1:$TPORT (root hints $T/root.hints)"
contains "and finds the parent that delegates the zone" "$OUT" "example.com. delegation @127.0.0.1:$TPORT: MISMATCH (7 NS; see above)"
contains "the same findings" "$OUT" "    knot1.example.org. (knot): not in the delegation"
sed -i "s|^root_hints = .*|root_hints = \"$T/no-such.hints\"|" "$CFG"
expect_exit 2 "root hints that cannot be read" Z verify --delegation
contains "say so, and what to do" "$OUT" "cannot read the root hints $T/no-such.hints: No such file or directory (install dns-root-data, set [verify] root_hints, or give --parent)"
write_cfg union

# a provider that cannot tell its nameservers: the union lacks them, and every provider says so
curl -s -X POST "http://127.0.0.1:$CPORT/__control" -d '{"fail_next": 100, "status": 500}' >/dev/null
expect_exit 3 "Cloudflare failing" Z plan
contains "the others warn that the union lacks its names" "$OUT" "warning: apex_ns = \"union\": provider 'cf' could not be read: the apex NS lacks its names"
contains "and taking Cloudflare's names out of their apex NS is refused" "$OUT" "REFUSED by safety limits: protected change: changes the apex NS records"
finish
