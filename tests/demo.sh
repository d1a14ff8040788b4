#!/bin/bash
# tests/demo.sh BUILD_DIR - what `make demo` shows. Today: zonesync check on the example
# zones of this repository, in a scratch clone, including a broken commit being caught.
# It grows with zonesync (plan/apply/verify against real BIND and PowerDNS servers).
set -eu
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")/zonesync
TOP=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/zonesync-demo-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@" || printf '(exit %d)\n' $?; }

say "a scratch zone repository with the example zones"
git init -q -b main "$WORK/zones-repo"
cp -r "$TOP/zones" "$WORK/zones-repo/"
git -C "$WORK/zones-repo" add -A
git -C "$WORK/zones-repo" -c user.name=demo -c user.email=demo@example.com commit -q -m "example zones"
cd "$WORK/zones-repo"
run ls zones
run "$BIN" check

say "a one-line change that breaks the zone, staged for commit: the pre-commit check catches it"
printf 'www.example.org. 300 IN A 192.0.2.111\n' >> zones/example.org.zone
git add zones/example.org.zone
run "$BIN" check --index
say "HEAD is still fine"
run "$BIN" check
echo
echo "zonesync binary: $BIN"
