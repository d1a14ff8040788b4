#!/bin/bash
# shard.sh - --shard I/N splits the zones stably by name: the shards are disjoint, together
# they are the whole, apply of one shard touches only its zones, and adding zones moves
# none of the others. zonefile provider only (no server needed).
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
new_repo "$T/repo"
python3 "$TOP/bench/genzones.py" "$T/repo/zones" 40 6
git_commit "$T/repo" "40 zones"
mkdir -p "$T/served"
cat > "$T/zonesync.toml" <<CONF
[repo]
path = "$T/repo"
all_zones = true
[state]
path = "$T/state.db"
[defaults]
providers = ["files"]
[providers.files]
type = "zonefile"
directory = "$T/served"
create_zones = true
CONF
zs() { "$ZONESYNC" -c "$T/zonesync.toml" "$@"; }
# zones a plan covers, one a line, sorted
zones_of() { zs plan --format json "$@" | python3 -c 'import json,sys; print("\n".join(sorted(z["zone"] for z in json.load(sys.stdin)["zones"])))'; }

all=$(zones_of)
same "the whole plan covers 40 zones" "$(printf '%s\n' "$all" | grep -c .)" 40
: > "$T/union"
for i in 1 2 3; do
	zones_of --shard "$i/3" > "$T/s$i"
	cat "$T/s$i" >> "$T/union"
	n=$(grep -c . "$T/s$i")
	check "shard $i/3 is not empty ($n zones)" test "$n" -gt 0
done
same "the three shards together are the whole" "$(sort "$T/union")" "$all"
same "no zone is in two shards" "$(sort "$T/union" | uniq -d)" ""
same "a shard is the same on a second run" "$(zones_of --shard 2/3)" "$(cat "$T/s2")"
same "--shard 1/1 is everything" "$(zones_of --shard 1/1)" "$all"

expect_exit 64 "--shard 0/3 is a usage error" zs plan --shard 0/3
contains "it says what is expected" "$OUT" "expected I/N with 1 <= I <= N"
expect_exit 64 "--shard 4/3 is a usage error" zs apply --shard 4/3
expect_exit 64 "--shard x is a usage error for verify too" zs verify --shard x
expect_exit 64 "--shard on reconcile is checked" zs reconcile --shard 1/0

# apply one shard: exactly its zones are deployed, the others are still pending
zs apply --shard 2/3 -j 2 --json > "$T/applied.json"
same "apply --shard 2/3 exits 0" "$?" 0
# every change is journalled, as applied, with the deferred outcomes flushed at the end
changes=$(python3 -c 'import json,sys; print(sum(r["changes"] for r in json.load(open(sys.argv[1]))["results"]))' "$T/applied.json")
check "the shard's apply made changes ($changes)" test "$changes" -gt 0
same "one journal row per change" "$(sqlite3 "$T/state.db" 'SELECT count(*) FROM journal')" "$changes"
same "every row applied" "$(sqlite3 "$T/state.db" "SELECT count(*) FROM journal WHERE status = 'applied'")" "$changes"
same "health recorded for each of the shard's zones" "$(sqlite3 "$T/state.db" 'SELECT count(*) FROM pair_status WHERE last_commit IS NOT NULL')" "$(grep -c . "$T/s2")"
expect_exit 0 "state check says the database is sound" zs state check
deployed=$(ls "$T/served" | sed 's/\.zone$/./' | sort)
same "apply --shard 2/3 deployed exactly shard 2's zones" "$deployed" "$(cat "$T/s2")"
expect_exit 2 "the rest is still pending" zs -q plan --exit-code
expect_exit 0 "shard 2 is in sync" zs -q plan --exit-code --shard 2/3

# adding zones moves none of the existing ones
python3 "$TOP/bench/genzones.py" "$T/repo/zones" 60 6
git_commit "$T/repo" "20 more zones"
for i in 1 2 3; do
	zones_of --shard "$i/3" > "$T/t$i"
	same "shard $i/3 keeps its zones after 20 were added" "$(comm -23 "$T/s$i" "$T/t$i")" ""
done
same "60 zones in the three shards" "$(cat "$T"/t? | sort -u | grep -c .)" 60
finish
