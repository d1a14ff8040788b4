#!/bin/bash
# hostile.sh - zonesync under hostile input: many and fanned-out $INCLUDEs, a FIFO as
# configuration, a DNS server whose AXFR never ends, answers that do not match the query.
# Every case ends quickly with a clear error (or works), never a crash or a hang.
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/zonesync-hostile-XXXXXX)
PIDS=
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT

R=$T/repo
new_repo "$R" || exit 1
{
	printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n'
	for i in $(seq 1 18); do echo '$INCLUDE hosts.inc'; done
	echo 'after A 192.0.2.99'
} > "$R/zones/example.com.zone"
printf 'h1 A 192.0.2.10\nh2 AAAA 2001:db8::10\n' > "$R/zones/hosts.inc"
git_commit "$R" "18 includes"
mkdir -p "$T/out"
cat > "$T/zonesync.toml" <<CONF
[repo]
path = "$R"
[state]
path = "$T/state.db"
[providers.files]
type = "zonefile"
directory = "$T/out"
[[zones]]
name = "example.com"
providers = ["files"]
CONF

echo "== a zone file with 18 \$INCLUDE lines (libzscanner's stack overflowed at 17)"
expect_exit 0 "check" "$ZONESYNC" -c "$T/zonesync.toml" -q check
expect_exit 0 "apply deploys it" "$ZONESYNC" -c "$T/zonesync.toml" -q apply
contains "the included records are deployed" "$(cat "$T/out/example.com.zone" 2>/dev/null)" "$(printf 'h2\t300\tIN\tAAAA\t2001:db8::10')"
contains "and the line after the includes" "$(cat "$T/out/example.com.zone" 2>/dev/null)" "$(printf 'after\t300\tIN\tA\t192.0.2.99')"

echo "== an \$INCLUDE fan-out: 8 files, each including the next 6 times (6^7 parses)"
for i in $(seq 0 6); do
	for k in $(seq 1 6); do echo "\$INCLUDE f$((i + 1)).inc"; done > "$R/zones/f$i.inc"
done
echo 'leaf TXT "x"' > "$R/zones/f7.inc"
printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\n$INCLUDE f0.inc\n' > "$R/zones/example.com.zone"
git_commit "$R" "fan-out"
start=$(date +%s%N)
expect_exit 1 "check refuses it" "$ZONESYNC" -c "$T/zonesync.toml" -q check
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "within a second (${ms} ms)" [ "$ms" -lt 1000 ]
contains "the error names the budget and the chain of files" "$OUT" \
	"zones/f6.inc:1: error: \$INCLUDE of 'zones/f7.inc' exceeds the zone's budget of 10000 files"
contains "from the zone file down" "$OUT" "include chain: zones/example.com.zone:5 -> zones/f0.inc:"
expect_exit 1 "apply refuses it too" "$ZONESYNC" -c "$T/zonesync.toml" -q apply
contains "the deployed zone is still the previous one" "$(cat "$T/out/example.com.zone")" "$(printf 'after\t300\tIN\tA\t192.0.2.99')"
sed -i 's|^\[state\]|max_include_files = 20\n&|' "$T/zonesync.toml"
expect_exit 1 "a smaller configured budget" "$ZONESYNC" -c "$T/zonesync.toml" -q check
contains "is the one applied" "$OUT" "budget of 20 files (20 files parsed so far; repo.max_include_files)"
sed -i '/^max_include_files/d' "$T/zonesync.toml"

finish
