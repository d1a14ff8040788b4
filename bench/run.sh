#!/bin/bash
# bench/run.sh BUILD_DIR - zonesync benchmarks (figures, not pass/fail); see bench/RESULTS.md
set -eu
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data
SIZES=${BENCH_SIZES:-"100000 1000000"}

mkdir -p "$DATA"
if [ ! -d "$DATA/repo/.git" ]; then
	git init -q "$DATA/repo"
	git -C "$DATA/repo" config user.email bench@zonesync.invalid
	git -C "$DATA/repo" config user.name bench
fi
mkdir -p "$DATA/repo/zones"
for n in $SIZES; do
	f="$DATA/repo/zones/bench$n.example.zone"
	[ -f "$f" ] || python3 "$HERE/genzone.py" "bench$n.example" "$n" > "$f"
done
git -C "$DATA/repo" add -A
git -C "$DATA/repo" diff --cached --quiet || git -C "$DATA/repo" commit -q -m "bench zones"

echo "== zone load (git blob -> model) vs bare libzscanner parse; $(nproc) cores, $(date -u +%F)"
for n in $SIZES; do
	"$BUILD/bench/zoneload" "$DATA/repo" "zones/bench$n.example.zone" "bench$n.example." "${ROUNDS:-5}"
	/usr/bin/time -f "  peak RSS of the whole run: %M KiB" "$BUILD/bench/zoneload" "$DATA/repo" \
		"zones/bench$n.example.zone" "bench$n.example." 1 >/dev/null
done
