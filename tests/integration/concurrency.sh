#!/bin/bash
# concurrency.sh - many zones at one provider run side by side, as many as -j: zone files
# (each zone's check_command sees the others running: no clock decides it) and RFC 2136
# against a real knotd (six zones read, updated and read back at once, all converged);
# -j 1 keeps them one after the other.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-conc-XXXXXX)
take_port KPORT || exit 1
cleanup() {
	bash "$TOP/tests/servers/stop-knot.sh" "$T/knot" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

ZONES_6="z1.example z2.example z3.example z4.example z5.example z6.example"
new_repo "$T/repo"
# each zone as knotd starts it (apex NS ns1, its address), plus records zonesync adds
write_zones() { # VALUE: the TXT every zone carries
	local z
	for z in $ZONES_6; do
		printf '$TTL 300\n@ SOA ns1.%s. hostmaster.%s. 1 3600 600 86400 300\n@ NS ns1.%s.\nns1 A 127.0.0.1\nwww A 192.0.2.7\nt TXT "%s"\n' \
			"$z" "$z" "$z" "$1" > "$T/repo/zones/$z.zone"
	done
	git_commit "$T/repo" "txt $1"
}
write_zones one

# ---- zone files: the check command of each zone's apply is the probe ----
# It notes itself running and waits (up to $T/wait s) until $T/want zones' probes run at
# once (or another probe saw that: $T/reached), then writes the most it saw. Applies that
# overlap show it the others; serial applies never show it a second one (the wait only
# bounds a serial run's time).
mkdir -p "$T/served" "$T/running"
cat > "$T/probe.sh" <<'PROBE'
#!/bin/bash
dir=$(dirname "$0")
want=$(cat "$dir/want") wait=$(cat "$dir/wait")
touch "$dir/running/$1"
i=0 most=0
while :; do
	n=$(ls "$dir/running" | wc -l)
	[ "$n" -gt "$most" ] && most=$n
	[ "$n" -ge "$want" ] && touch "$dir/reached"
	[ -e "$dir/reached" ] || [ $i -ge $((wait * 20)) ] && break
	sleep 0.05
	i=$((i + 1))
done
echo "$most" >> "$dir/seen"
rm -f "$dir/running/$1"
PROBE
chmod +x "$T/probe.sh"
cat > "$T/files.toml" <<CONF
[repo]
path = "$T/repo"
all_zones = true
[state]
path = "$T/files.db"
[defaults]
providers = ["files"]
[providers.files]
type = "zonefile"
directory = "$T/served"
create_zones = true
check_command = ["$T/probe.sh", "{zone}"]
timeout = 60
CONF
most_seen() { sort -n "$T/seen" | tail -1; }
# probes_expect WANT WAIT: a fresh round of probes
probes_expect() { : > "$T/seen"; rm -f "$T/reached"; echo "$1" > "$T/want"; echo "$2" > "$T/wait"; }

probes_expect 3 30
expect_exit 0 "apply -j 3 creates the six zone files" "$ZONESYNC" -c "$T/files.toml" apply -j 3
same "six check commands ran" "$(grep -c . "$T/seen")" 6
same "three zones were applied at once at the one provider" "$(most_seen)" 3
expect_exit 0 "and plan says they are in sync" "$ZONESYNC" -c "$T/files.toml" plan --exit-code

write_zones two
probes_expect 2 1
expect_exit 0 "apply -j 1 changes the six zones" "$ZONESYNC" -c "$T/files.toml" apply -j 1
same "six check commands ran" "$(grep -c . "$T/seen")" 6
same "with -j 1 never two zones at once" "$(most_seen)" 1
expect_exit 0 "in sync" "$ZONESYNC" -c "$T/files.toml" plan --exit-code
contains "the files hold the new TXT" "$(cat "$T/served/z4.example.zone")" '"two"'

# ---- RFC 2136: six zones at one knotd, read and updated side by side ----
export TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
ZONES="$ZONES_6" bash "$TOP/tests/servers/start-knot.sh" "$T/knot" "$KPORT" >/dev/null || exit 1
export ZS_TSIG=$TSIG_SECRET
cat > "$T/knot.toml" <<CONF
[repo]
path = "$T/repo"
all_zones = true
[state]
path = "$T/knot.db"
[defaults]
providers = ["knot"]
jobs = 6
[providers.knot]
type = "rfc2136"
server = "127.0.0.1:$KPORT"
tsig_name = "zonesync-key"
tsig_algorithm = "hmac-sha256"
tsig_secret = "env:ZS_TSIG"
CONF
expect_exit 2 "plan reads the six zones (changes pending)" "$ZONESYNC" -c "$T/knot.toml" plan --exit-code
expect_exit 0 "apply updates the six zones side by side" "$ZONESYNC" -c "$T/knot.toml" apply
for z in $ZONES_6; do
	same "$z serves its new TXT" "$(answers "$KPORT" "t.$z" TXT)" '"two"'
done
expect_exit 0 "plan: all six in sync" "$ZONESYNC" -c "$T/knot.toml" plan --exit-code
write_zones three
expect_exit 0 "apply -j 1: the same, one zone after the other" "$ZONESYNC" -c "$T/knot.toml" apply -j 1
same "z6.example serves the newest TXT" "$(answers "$KPORT" t.z6.example TXT)" '"three"'
expect_exit 0 "in sync" "$ZONESYNC" -c "$T/knot.toml" plan --exit-code

finish
