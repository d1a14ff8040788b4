# tests/integration/lib.sh - assertions for the integration scripts (source it after set -u).
# Each script ends with `finish`, which prints "N passed, N failed" and sets the exit status.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ZONESYNC=${ZONESYNC:-$TOP/build/zonesync}
. "$TOP/tests/servers/lib.sh"
PASSED=0
FAILED=0

ok() { PASSED=$((PASSED + 1)); echo "  ok: $*"; }
nok() { FAILED=$((FAILED + 1)); echo "  FAILED: $*"; }

# check DESCRIPTION CMD...: the command succeeds
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else nok "$what"; fi
}

# expect_exit CODE DESCRIPTION CMD...: runs CMD (output to $OUT), checks its exit status
expect_exit() {
	local want=$1 what=$2 rc
	shift 2
	OUT=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$what (exit $rc)"; else nok "$what: exit $rc, wanted $want"; printf '%s\n' "$OUT" | tail -25 | sed 's/^/    | /'; fi
}

# contains DESCRIPTION TEXT NEEDLE
contains() {
	if printf '%s' "$2" | grep -qF -- "$3"; then ok "$1"; else nok "$1: no '$3' in:"; printf '%s\n' "$2" | tail -20 | sed 's/^/    | /'; fi
}

# answers PORT NAME TYPE: dig's sorted answer rdata, one a line
answers() {
	dig @127.0.0.1 -p "$1" +norec +short +time=2 +tries=2 "$2" "$3" | sort
}

# same DESCRIPTION GOT WANT
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1: got '$2', wanted '$3'"; fi
}

finish() {
	echo "$(basename "$0"): $PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}

# git_commit REPO MESSAGE: commit everything
git_commit() {
	git -C "$1" add -A && git -C "$1" -c user.name=test -c user.email=test@example.com commit -q -m "$2"
}

# wait_fake PID URL: until the fake answers URL (10 s); says why when it died
wait_fake() {
	local i
	for i in $(seq 1 100); do
		curl -sf -o /dev/null "$2" && return 0
		alive "$1" || { echo "the fake (pid $1) exited:"; cat "$T/fake.log" 2>/dev/null | tail -5; return 1; }
		sleep 0.1
	done
	echo "the fake did not answer $2"; return 1
}
