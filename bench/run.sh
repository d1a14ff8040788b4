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

# plan: a zone against the zonefile provider, with the provider empty and with one record changed
ZS=$(cd "$BUILD" && pwd)/zonesync
for n in $SIZES; do
	served=$DATA/served-$n
	rm -rf "$served" && mkdir -p "$served"
	cat > "$DATA/plan-$n.toml" <<CONF
[repo]
path = "$DATA/repo"
[state]
path = "$DATA/state-$n.db"
[defaults]
max_changes = 10000000
max_update_pct = 100
max_delete_pct = 100
[providers.files]
type = "zonefile"
directory = "$served"
create_zones = true
[[zones]]
name = "bench$n.example"
providers = ["files"]
CONF
	echo "== plan, $n records, zonefile provider empty (every RRset a create)"
	/usr/bin/time -f "  wall %e s, peak RSS %M KiB" "$ZS" -q -c "$DATA/plan-$n.toml" plan
	# the provider holds the same zone but one record
	sed '0,/ IN A 10\./s/ IN A 10\.[0-9]*\.[0-9]*\.[0-9]*/ IN A 192.0.2.99/' "$DATA/repo/zones/bench$n.example.zone" > "$served/bench$n.example.zone"
	echo "== plan, $n records, provider differs by one record"
	/usr/bin/time -f "  wall %e s, peak RSS %M KiB" "$ZS" -c "$DATA/plan-$n.toml" plan | tail -1
done
bash "$HERE/api.sh" "$BUILD"

# scale (issue 16): many zones, per-zone memory, journalled applies, history, 1M plan.
# BENCH_BASE=/path/to/old/zonesync (and BENCH_BASE_ZONEMEM) add before/after ratios taken
# in the same session; the table replaces the scale block of bench/RESULTS.md.
python3 "$HERE/scale.py" --zonesync "$BUILD/zonesync" --zonemem "$BUILD/bench/zonemem" \
	--zoneload "$BUILD/bench/zoneload" --rounds "${ROUNDS:-3}" \
	${BENCH_BASE:+--base "$BENCH_BASE"} ${BENCH_BASE_ZONEMEM:+--base-zonemem "$BENCH_BASE_ZONEMEM"} \
	${BENCH_ONLY:+--only "$BENCH_ONLY"}
