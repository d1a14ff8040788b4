#!/bin/bash
# tests/demo.sh BUILD_DIR - what `make demo` shows: zonesync keeping a real DNS server in
# step with a git repository of zone files. Everything runs on 127.0.0.1 from a temp dir
# and is stopped (by PID) on exit or Ctrl-C.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/$1/zonesync
. "$TOP/tests/servers/lib.sh"
WORK=$(mktemp -d /tmp/zonesync-demo-XXXXXX)
cleanup() {
	bash "$TOP/tests/servers/stop-bind.sh" "$WORK/bind" >/dev/null 2>&1
	bash "$TOP/tests/servers/stop-pdns.sh" "$WORK/pdns" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; rc=$?; [ $rc = 0 ] || printf '(exit %d)\n' $rc; return 0; }
zs() { run "$BIN" -c "$WORK/zonesync.toml" "$@"; }
# the same question to both providers' servers, answers side by side
ask() {
	printf '\033[2m$ dig %s %s   @bind (port %s) | @powerdns (port %s)\033[0m\n' "$1" "$2" "$PORT" "$PPORT"
	paste <(dig @127.0.0.1 -p "$PORT" +short +norec "$1" "$2" | sort) <(dig @127.0.0.1 -p "$PPORT" +short +norec "$1" "$2" | sort) |
		awk -F'\t' '{ printf "  %-44s | %s\n", $1, $2 }'
}

take_port PORT || exit 1
take_port PPORT || exit 1
take_port APIPORT || exit 1
export TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
export ZONESYNC_TSIG_SECRET=$TSIG_SECRET

say "a real BIND (named) on 127.0.0.1:$PORT, zones updatable by RFC 2136 with a TSIG key"
DYNAMIC_ZONES="example.com example.org" bash "$TOP/tests/servers/start-bind.sh" "$WORK/bind" "$PORT" $((PORT + 1000)) || exit 1
say "and an independent PowerDNS on 127.0.0.1:$PPORT, driven through its HTTP API (port $APIPORT)"
bash "$TOP/tests/servers/start-pdns.sh" "$WORK/pdns" "$PPORT" "$APIPORT" || exit 1
export PDNS_API_KEY=$(cat "$WORK/pdns/api.key")
ask example.com NS

say "a zone repository: the example zones of this project, in a scratch git repository"
git init -q -b main "$WORK/zones-repo"
cp -r "$TOP/zones" "$WORK/zones-repo/"
git -C "$WORK/zones-repo" add -A
git -C "$WORK/zones-repo" -c user.name=demo -c user.email=demo@example.com commit -q -m "example zones"
cat > "$WORK/zonesync.toml" <<CONF
[repo]
path = "$WORK/zones-repo"
[state]
path = "$WORK/state.db"
[providers.bind]
type = "rfc2136"
server = "127.0.0.1:$PORT"
tsig_name = "zonesync-key"
tsig_secret = "env:ZONESYNC_TSIG_SECRET"   # the secret itself is never in the config
nameservers = ["127.0.0.1:$PORT"]          # what verify asks
[providers.pdns]
type = "powerdns"
url = "http://127.0.0.1:$APIPORT"
api_key = "env:PDNS_API_KEY"
create_zones = true                        # PowerDNS zones are created through the API
nameservers = ["127.0.0.1:$PPORT"]

[defaults]
providers = ["bind", "pdns"]
[[zones]]
name = "example.com"
[[zones]]
name = "example.org"
CONF
run cat "$WORK/zonesync.toml"
zs check

say "plan: what would change at each provider (BIND serves a placeholder, PowerDNS nothing yet)"
zs plan --zone example.org
say "apply to both at once: BIND's placeholder apex NS differs from git's, a change zonesync protects: --force"
zs apply --force -q
ask www.example.com CNAME
ask api.example.com A
ask example.com MX
ask _dmarc.example.com TXT
ask www.example.org A

say "verify: every provider's nameservers asked over DNS for every RRset git has"
zs verify

say "a second apply has nothing to do: it reads, and writes nothing"
zs apply

say "a one-line change, committed to git, planned and applied"
sed -i 's/^api            300   IN A    192.0.2.21$/api            300   IN A    192.0.2.42/' "$WORK/zones-repo/zones/example.com.zone"
git -C "$WORK/zones-repo" -c user.name=demo -c user.email=demo@example.com commit -q -am "api: move .21 to .42"
run git -C "$WORK/zones-repo" log --oneline -2
zs plan --exit-code
zs apply
ask api.example.com A

say "a broken commit is caught and never pushed"
echo 'oops 300 IN A 192.0.2.300' >> "$WORK/zones-repo/zones/example.com.zone"
git -C "$WORK/zones-repo" -c user.name=demo -c user.email=demo@example.com commit -q -am "broken"
zs apply -q
ask api.example.com A

say "someone edits PowerDNS behind zonesync's back: verify sees it (exit 2), apply repairs it"
printf '\033[2m$ curl -X PATCH .../zones/example.org. (www A -> 203.0.113.66)\033[0m\n'
curl -s -X PATCH -H "X-API-Key: $PDNS_API_KEY" -H 'Content-Type: application/json' \
	"http://127.0.0.1:$APIPORT/api/v1/servers/localhost/zones/example.org." \
	-d '{"rrsets":[{"name":"www.example.org.","type":"A","ttl":3600,"changetype":"REPLACE","records":[{"content":"203.0.113.66","disabled":false}]}]}'
zs verify -q --zone example.org
git -C "$WORK/zones-repo" -c user.name=demo -c user.email=demo@example.com revert --no-edit HEAD >/dev/null
zs apply -q --zone example.org
zs verify --zone example.org

say "health and history from the state database"
zs status
zs history -n 3

echo
echo "zonesync binary: $BIN"
echo "configuration:   $TOP/zonesync.toml.example (every key), docs/configuration.md"
echo "the servers started here are stopped and $WORK is removed on exit."
