#!/bin/bash
# hostile.sh - zonesync under hostile input: many and fanned-out $INCLUDEs, a FIFO as
# configuration, a DNS server whose AXFR never ends, UPDATE answers that do not match
# the update (tests/fakes/hostile-dns.py).
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
# unbounded, this is 6^7 parses (past 120 s); the budget stops it in well under a second on
# an idle machine. No tight wall-clock bound here: sanitizer builds and a busy CI machine are slow.
check "long before the unbounded parse would end (${ms} ms)" [ "$ms" -lt 30000 ]
contains "the error names the budget and the chain of files" "$OUT" \
	"zones/f6.inc:1: error: \$INCLUDE of 'zones/f7.inc' exceeds the zone's budget of 10000 files"
contains "from the zone file down" "$OUT" "include chain: zones/example.com.zone:5 -> zones/f0.inc:"
expect_exit 1 "apply refuses it too" "$ZONESYNC" -c "$T/zonesync.toml" -q apply
contains "the deployed zone is still the previous one" "$(cat "$T/out/example.com.zone")" "$(printf 'after\t300\tIN\tA\t192.0.2.99')"
sed -i 's|^\[state\]|max_include_files = 20\n&|' "$T/zonesync.toml"
expect_exit 1 "a smaller configured budget" "$ZONESYNC" -c "$T/zonesync.toml" -q check
contains "is the one applied" "$OUT" "budget of 20 files (20 files parsed so far; repo.max_include_files)"
sed -i '/^max_include_files/d' "$T/zonesync.toml"

echo "== a FIFO as the configuration (nobody writes to it)"
mkfifo "$T/fifo.toml"
for cmd in check plan; do
	start=$(date +%s%N)
	expect_exit 1 "$cmd refuses it" timeout 10 "$ZONESYNC" -c "$T/fifo.toml" "$cmd"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	check "at once, not blocked on the FIFO (${ms} ms)" [ "$ms" -lt 10000 ]
	same "with one message" "$OUT" "zonesync: $T/fifo.toml: a FIFO, not a regular file"
done
printf '[repo]\npath = "%s"\n[sate]\n' "$R" > "$T/typo.toml"
expect_exit 1 "a configuration error" "$ZONESYNC" -c "$T/typo.toml" check
contains "names the key" "$OUT" "$T/typo.toml:3: error: sate: unknown key (sections: repo, state"
same "in one message, no second one about a repository" "$(printf '%s\n' "$OUT" | wc -l)" 1

# start_hostile MODE: the misbehaving DNS server on a free port ($HPORT)
start_hostile() {
	take_port HPORT || return 1
	python3 "$TOP/tests/fakes/hostile-dns.py" "$HPORT" "$1" 2>"$T/hostile-$1.log" </dev/null &
	HPID=$!
	PIDS="$PIDS $HPID"
	for i in $(seq 1 50); do
		python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $HPORT), 1)" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "the hostile server did not start"; return 1
}
# rfc2136_config PORT [extra provider lines]: example.com to that server, unsigned
rfc2136_config() {
	cat > "$T/dns.toml" <<CONF
[repo]
path = "$R"
[state]
path = "$T/dns-state.db"
[providers.ns]
type = "rfc2136"
server = "127.0.0.1:$1"
timeout = 60
${2:-}
[[zones]]
name = "example.com"
providers = ["ns"]
CONF
}
# peak_rss_mb CMD...: runs CMD (output to $OUT, status to $RC), prints its peak RSS in MiB
peak_rss_mb() {
	# ASan keeps freed memory in quarantine (256 MiB by default): measure what zonesync retains
	OUT=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" /usr/bin/time -f "RSS_KB=%M" "$@" 2>&1)
	RC=$?
	RSS_MB=$(( $(printf '%s\n' "$OUT" | sed -n 's/^RSS_KB=//p' | tail -1) / 1024 ))
}

printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.80\n' > "$R/zones/example.com.zone"
git_commit "$R" "a small zone"

echo "== an AXFR that never ends, with new records in every message"
start_hostile endless-new || exit 1
rfc2136_config "$HPORT" "max_transfer_records = 200000"
start=$(date +%s%N)
peak_rss_mb "$ZONESYNC" -c "$T/dns.toml" --no-color plan
ms=$(( ($(date +%s%N) - start) / 1000000 ))
same "plan says the provider could not be planned" "$RC" 3
contains "the transfer stops at the record limit" "$OUT" \
	"AXFR of example.com. from 127.0.0.1:$HPORT: more than 200000 records (max_transfer_records) in 81 messages; transfer stopped"
check "long before the timeout (${ms} ms)" [ "$ms" -lt 20000 ]
check "with bounded memory (peak RSS ${RSS_MB} MiB)" [ "$RSS_MB" -lt 150 ]
kill "$HPID"; wait "$HPID" 2>/dev/null

echo "== an AXFR that never ends, the same message again and again"
start_hostile endless-same || exit 1
rfc2136_config "$HPORT" "max_transfer_bytes = 50000000"
peak_rss_mb "$ZONESYNC" -c "$T/dns.toml" --no-color plan
same "plan says the provider could not be planned" "$RC" 3
contains "the transfer stops at the size limit" "$OUT" \
	"more than 50000000 bytes (max_transfer_bytes) in 801 messages; transfer stopped"
check "with bounded memory (peak RSS ${RSS_MB} MiB for 50 MB received)" [ "$RSS_MB" -lt 60 ]
kill "$HPID"; wait "$HPID" 2>/dev/null
rfc2136_config "$HPORT" "max_transfer_bytes = 0"
expect_exit 1 "a transfer limit of 0 is a configuration error" "$ZONESYNC" -c "$T/dns.toml" check
contains "that names the key" "$OUT" "providers.ns.max_transfer_bytes: 0 is out of range (1 or more)"

for mode in update-id update-opcode; do
	echo "== an unsigned UPDATE answered NOERROR by a message that is not its answer ($mode)"
	start_hostile "$mode" || exit 1
	rfc2136_config "$HPORT"
	expect_exit 3 "apply fails the pair" "$ZONESYNC" -c "$T/dns.toml" --no-color apply
	want="another message id"
	[ "$mode" = update-opcode ] && want="another opcode"
	contains "the answer is not taken for a success" "$OUT" "the answer is not for this update ($want); the outcome is unknown"
	kill "$HPID"; wait "$HPID" 2>/dev/null
	rm -f "$T/dns-state.db"*
done

finish
