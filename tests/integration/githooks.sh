#!/bin/bash
# githooks.sh - `zonesync hooks install`: the pre-commit hook stops a commit with a broken
# zone; an existing hook is never clobbered.
set -u
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/zonesync-hooks-XXXXXX)
trap 'rm -rf "$T"' EXIT
export PATH="$(dirname "$ZONESYNC"):$PATH" ZONESYNC_HOOKS="$TOP/hooks"
echo "== git hooks"
git init -q -b main "$T/r"
mkdir -p "$T/r/zones"
cp "$TOP/zones/example.org.zone" "$T/r/zones/"
git_commit "$T/r" zones
expect_exit 0 "hooks install" "$ZONESYNC" hooks install --repo "$T/r"
check "pre-commit linked" [ -L "$T/r/.git/hooks/pre-commit" ]
expect_exit 0 "installing twice is fine" "$ZONESYNC" hooks install --repo "$T/r"
echo 'broken 300 IN A 192.0.2.300' >> "$T/r/zones/example.org.zone"
git -C "$T/r" add -A
expect_exit 1 "the pre-commit hook refuses a broken zone" git -C "$T/r" -c user.name=t -c user.email=t@t commit -m broken
contains "and says where" "$OUT" "zones/example.org.zone:17:17: error: invalid IPv4 address '192.0.2.300'"
git -C "$T/r" checkout -q HEAD -- zones
echo 'ok 300 IN A 192.0.2.30' >> "$T/r/zones/example.org.zone"
git -C "$T/r" add -A
expect_exit 0 "a good zone commits" git -C "$T/r" -c user.name=t -c user.email=t@t commit -q -m good
git init -q "$T/other"
printf '#!/bin/sh\necho mine\n' > "$T/other/.git/hooks/pre-commit"
expect_exit 1 "an existing hook is left alone" "$ZONESYNC" hooks install --repo "$T/other"
contains "and said so" "$OUT" "exists and is not zonesync's: left alone"
same "it is still the user's" "$(cat "$T/other/.git/hooks/pre-commit" | tail -1)" "echo mine"
finish
