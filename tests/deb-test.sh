#!/bin/bash
# tests/deb-test.sh DEB - the Debian package works as installed: unpacked with dpkg -x
# (the tree dpkg -i would lay down, without touching this machine), its zonesync runs,
# finds its own hooks, its man page reads with man, its units point at /usr/bin; and
# make install PREFIX=... lays out the same files (make deb-test runs this).
set -u
. "$(dirname "$0")/integration/lib.sh"
DEB=$(readlink -f "$1")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

check "the package unpacks" dpkg -x "$DEB" "$T/root"
Z=$T/root/usr/bin/zonesync
expect_exit 0 "zonesync --version" env -u ZONESYNC_HOOKS "$Z" --version
contains "it says its version" "$OUT" "zonesync 0."
same "the package's version is the binary's" "$(dpkg-deb -f "$DEB" Version)" "$(printf '%s' "$OUT" | awk '{print $2}')"
expect_exit 0 "zonesync help apply" "$Z" help apply
git init -q -b main "$T/repo"
expect_exit 0 "hooks install finds /usr/share/zonesync/hooks of the package" env -u ZONESYNC_HOOKS "$Z" hooks install --repo "$T/repo"
same "pre-commit is the package's" "$(readlink "$T/repo/.git/hooks/pre-commit")" "$T/root/usr/share/zonesync/hooks/pre-commit"
same "pre-push is the package's" "$(readlink "$T/repo/.git/hooks/pre-push")" "$T/root/usr/share/zonesync/hooks/pre-push"
M=$(MANPATH="$T/root/usr/share/man" MANWIDTH=100 man zonesync 2>&1)
contains "man zonesync reads the installed page" "$M" "hooks install"
contains "and its commands" "$M" "reconcile"
for f in usr/share/doc/zonesync/examples/zonesync.toml.example usr/share/doc/zonesync/copyright \
	usr/share/doc/zonesync/lint.md.gz usr/lib/systemd/system/zonesync-serve.service \
	usr/lib/systemd/system/zonesync-reconcile.timer; do
	check "the package has /$f" [ -f "$T/root/$f" ]
done
if grep -h '^ExecStart' "$T"/root/usr/lib/systemd/system/*.service | grep -qv '/usr/bin/zonesync'; then
	nok "a unit runs something else than /usr/bin/zonesync"
else
	ok "the units run /usr/bin/zonesync"
fi
mkdir -p "$T/repo/zones" && cp "$TOP"/zones/*.zone "$T/repo/zones/"
cd "$T" && cp "$T/root/usr/share/doc/zonesync/examples/zonesync.toml.example" ex.toml
expect_exit 0 "the example configuration is a valid one" env ZONESYNC_TSIG_SECRET=x PDNS_API_KEY=x "$Z" -c ex.toml check --repo "$T/repo" --worktree

# make install: the same layout (Debian compresses docs and adds changelog and copyright)
make -s -C "$TOP" install PREFIX=/usr DESTDIR="$T/stage" >/dev/null || nok "make install"
a=$(cd "$T/root" && find . -type f | sed 's/\.gz$//' | grep -v '^./usr/share/doc/zonesync/\(changelog\|copyright\)$' | sort)
b=$(cd "$T/stage" && find . -type f | sort)
same "make install PREFIX=/usr installs the package's files" "$(diff <(echo "$a") <(echo "$b") | grep '^[<>]' | tr '\n' ' ')" ""
finish
