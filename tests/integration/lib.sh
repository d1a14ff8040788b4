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

# new_repo DIR [ZONE...]: a git repository with zones/, holding the named example zones
# from the project's zones/ (committed when there are any)
new_repo() {
	local dir=$1 z
	shift
	git init -q -b main "$dir" && mkdir -p "$dir/zones" || return 1
	[ $# -gt 0 ] || return 0
	for z in "$@"; do cp "$TOP/zones/$z.zone" "$dir/zones/" || return 1; done
	git_commit "$dir" zones
}

# imported_round_trip DIR ZONE...: zone files imported into DIR/zones pass named-checkzone
# and `zonesync check`, and plan to no change against the provider they came from (the
# configuration $CFG, pointed from $R to DIR)
imported_round_trip() {
	local dir=$1 z
	shift
	for z in "$@"; do
		check "named-checkzone accepts the imported $z" named-checkzone -q "$z" "$dir/zones/$z.zone"
	done
	git_commit "$dir" imported
	sed "s|^path = \"$R\"|path = \"$dir\"|" "$CFG" > "$T/imported.toml"
	expect_exit 0 "zonesync check accepts it" "$ZONESYNC" -c "$T/imported.toml" check
	expect_exit 0 "and it plans to no change against the same provider" "$ZONESYNC" -c "$T/imported.toml" plan --exit-code
}

# zone_lifecycle LABEL CREATE_OP DELETE_OP IMPORT_PROVIDER PROVIDER ZONE_QUERY [APPLY_ARG...]:
# the second zone, example.org (committed in $R and configured for PROVIDER, which has
# create_zones), is created by apply (one CREATE_OP request, by the script's count) and is
# then in sync; `import --all` at IMPORT_PROVIDER writes both zones; removed from git with
# PROVIDER as the default, `apply --prune-zones` deletes it at the fake (one DELETE_OP,
# its /__zone?name=ZONE_QUERY empty)
zone_lifecycle() {
	local label=$1 create=$2 delete=$3 imp=$4 prov=$5 query=$6
	shift 6
	expect_exit 0 "$label" Z apply "$@" --zone example.org
	same "one $create" "$(count "$create")" "1"
	expect_exit 0 "in sync" Z plan --exit-code --zone example.org
	mkdir "$T/all"
	expect_exit 0 "import --all lists both zones" Z import --provider "$imp" --all --dir "$T/all"
	check "both imported" test -s "$T/all/example.com.zone" -a -s "$T/all/example.org.zone"
	git -C "$R" rm -q zones/example.org.zone && git_commit "$R" "no example.org"
	python3 - "$CFG" "$prov" <<'PY'
import sys
s = open(sys.argv[1]).read()
s = s.replace('[[zones]]\nname = "example.org"\nproviders = ["%s"]\n' % sys.argv[2], '')
open(sys.argv[1], "w").write(s.replace("[[zones]]", '[defaults]\nproviders = ["%s"]\n[[zones]]' % sys.argv[2], 1))
PY
	expect_exit 0 "prune" Z apply --prune-zones
	same "$delete sent" "$(count "$delete")" "1"
	same "example.org is gone" "$(curl -s "http://127.0.0.1:$PORT/__zone?name=$query")" "[]"
}

# side_by_side NS PROVIDER_LINES: four zones c1.example .. c4.example, already at the fake
# on $PORT (which counts its requests in flight: fakehttp.Overlap, POST /__control
# {"hold"}, GET /__overlap), at one provider ([providers.p] holds PROVIDER_LINES; NS: the
# zones' apex NS): read side by side up to -j 4 (the fake holds each request until four are
# in flight, or 30 s), one after the other with -j 1 (it waits 0.3 s for a second one);
# applied one zone at a time (writes held for a second one 0.3 s), two at once with
# `concurrency = 2` (held until two are in flight); in sync after each apply. $T/conc.toml
# and $T/conc (the repository) stay, without `concurrency`.
side_by_side() {
	local ns=$1 body=$2 C=$T/conc i
	overlap() { curl -s "http://127.0.0.1:$PORT/__overlap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["most"])'; }
	hold() { curl -s -X POST "http://127.0.0.1:$PORT/__control" -d "$1" >/dev/null; }
	new_repo "$C"
	for i in 1 2 3 4; do
		printf '$ORIGIN c%s.example.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS %s\nwww A 192.0.2.%s\n' "$i" "$ns" "$i" > "$C/zones/c$i.example.zone"
	done
	git_commit "$C" "four zones"
	printf '[repo]\npath = "%s"\nall_zones = true\n[state]\npath = "%s/conc.db"\n[defaults]\nproviders = ["p"]\n[providers.p]\n%s\n' "$C" "$T" "$body" > "$T/conc.toml"
	hold '{"hold": 4, "wait": 30}'
	expect_exit 2 "plan -j 4 reads four zones (changes pending)" "$ZONESYNC" -c "$T/conc.toml" plan -j 4 --exit-code
	same "four requests in flight at once at one provider" "$(overlap)" 4
	hold '{"hold": 2, "wait": 0.3}'
	expect_exit 2 "plan -j 1 reads them too" "$ZONESYNC" -c "$T/conc.toml" plan -j 1 --exit-code
	same "never two at once with -j 1" "$(overlap)" 1
	hold '{"hold": 2, "wait": 0.3, "writes": true}'
	expect_exit 0 "apply -j 4 writes the four zones" "$ZONESYNC" -c "$T/conc.toml" apply -j 4
	same "one zone's writes at a time" "$(overlap)" 1
	hold '{"hold": 0}'
	expect_exit 0 "in sync" "$ZONESYNC" -c "$T/conc.toml" plan --exit-code
	sed -i 's/^www A 192\.0\.2\./www A 198.51.100./' "$C"/zones/*.zone
	git_commit "$C" "four changes"
	printf 'concurrency = 2\n' >> "$T/conc.toml"
	hold '{"hold": 2, "wait": 30, "writes": true}'
	expect_exit 0 "apply with concurrency = 2" "$ZONESYNC" -c "$T/conc.toml" apply -j 4
	same "two zones' writes at once" "$(overlap)" 2
	hold '{"hold": 0}'
	sed -i '/^concurrency = 2$/d' "$T/conc.toml"
	expect_exit 0 "in sync" "$ZONESYNC" -c "$T/conc.toml" plan --exit-code
	same "the four zones as git has them" "$(printf '%s\n' "$OUT" | grep -c '^  p ([a-z0-9]*): in sync$')" 4
}

# CZ ARG...: zonesync with side_by_side's $T/conc.toml
CZ() { "$ZONESYNC" -c "$T/conc.toml" --no-color "$@"; }

# oauth_side_by_side TOKEN_OP LIST_OP (after side_by_side, at a provider whose OAuth2 token
# the fake issues under TOKEN_OP): the tokens expire between a run's reads and its writes,
# two zones are written at once (concurrency = 2 stays in $T/conc.toml, with the pre_apply
# hook $T/hook-once): their two 401s bring one new token, and each zone is read once in the
# run (one LIST_OP): its writes use what its own read kept. The four zones' www becomes
# 203.0.113.N. The script defines count OP (the fake's requests of OP).
oauth_side_by_side() {
	local before lists
	sed -i 's/^www A 198\.51\.100\./www A 203.0.113./' "$T"/conc/zones/*.zone
	git_commit "$T/conc" "four more changes"
	once_hook "$T/hook-once" '{"expire_tokens": true}'
	printf 'concurrency = 2\n[hooks]\npre_apply = [["%s"]]\n' "$T/hook-once" >> "$T/conc.toml"
	before=$(count "$1") lists=$(count "$2")
	hold '{"hold": 2, "wait": 30, "writes": true}'
	expect_exit 0 "concurrency = 2, the tokens expired after the reads: every zone written" CZ apply -j 4
	same "two zones' writes at once" "$(overlap)" 2
	same "the run's token and one new token for the two 401s" "$(( $(count "$1") - before ))" 2
	same "each zone read once: its writes used what its own read kept" "$(( $(count "$2") - lists ))" 4
}

# prune_side_by_side DELETE_OP DOT (after side_by_side): c3 and c4 leave git and
# `apply --prune-zones` deletes them at once (writes held until two are in flight; one
# DELETE_OP each), /__zone?name=cN.example$DOT empty after
prune_side_by_side() {
	local deletes i
	git -C "$T/conc" rm -q zones/c3.example.zone zones/c4.example.zone && git_commit "$T/conc" "no c3, c4"
	deletes=$(count "$1")
	hold '{"hold": 2, "wait": 30, "writes": true}'
	expect_exit 0 "prune two zones side by side" CZ apply -j 4 --prune-zones
	same "both deleted at once" "$(overlap)" 2
	same "two $1" "$(( $(count "$1") - deletes ))" 2
	for i in 3 4; do
		same "c$i gone" "$(curl -s "http://127.0.0.1:$PORT/__zone?name=c$i.example$2")" "[]"
	done
}

# edited_beside SET REFUSAL NAME1 WANT1 NAME2 WANT2 (after side_by_side, with $T/hook-once
# in $T/conc.toml): c1 is edited behind zonesync's back (SET, the fake's control) between
# the run's read and its writes while c2 is written beside it; c1's refusal (REFUSAL) is its
# own, the edit is kept (rrset c1.example. NAME1 A is WANT1), c2 is written (NAME2: WANT2)
edited_beside() {
	sed -i 's/^www A 203\.0\.113\./www A 192.0.2.20/' "$T"/conc/zones/*.zone
	git_commit "$T/conc" "www in two zones"
	once_hook "$T/edit-c1" "$1"
	sed -i "s|$T/hook-once|$T/edit-c1|" "$T/conc.toml"
	hold '{"hold": 2, "wait": 30, "writes": true}'
	expect_exit 3 "one zone changed between read and write" CZ apply -j 4
	same "the two zones' writes side by side" "$(overlap)" 2
	contains "its refusal names it" "$OUT" "$2"
	same "the other edit kept" "$(rrset c1.example. "$3" A)" "$4"
	same "c2 written" "$(rrset c2.example. "$5" A)" "$6"
	hold '{"hold": 0}'
}

# once_hook FILE JSON: a pre_apply hook at FILE that posts JSON to the fake's /__control on
# $PORT the first time it runs (pre_apply runs for each zone and provider), before any
# zone's write: {"expire_tokens": true} between a run's reads and its writes, an edit
# behind zonesync's back
once_hook() {
	cat > "$1" <<HOOK
#!/bin/sh
cat >/dev/null
mkdir "$1.done" 2>/dev/null || exit 0
curl -s -X POST "http://127.0.0.1:$PORT/__control" -d '$2' >/dev/null
HOOK
	chmod +x "$1"
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

# The servers a script started with start_server, "KIND:DIR", for stop_servers.
SERVERS=()

# start_server KIND DIR ARG...: tests/servers/start-KIND.sh DIR ARG... with the caller's
# environment (DYNAMIC_ZONES=... start_server bind ...), its output dropped; stop_servers
# stops it (by PID).
start_server() {
	local kind=$1 dir=$2
	shift 2
	SERVERS+=("$kind:$dir")
	bash "$TOP/tests/servers/start-$kind.sh" "$dir" "$@" >/dev/null
}

# start_pdns DIR DNS_PORT API_PORT: pdns_server (start_server pdns), its API key in $PDNS_KEY.
start_pdns() {
	start_server pdns "$@" || return 1
	PDNS_KEY=$(cat "$1/api.key")
	export PDNS_KEY
}

# stop_servers: every server start_server started, the last first (for cleanup).
stop_servers() {
	local i s
	for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do
		s=${SERVERS[i]}
		bash "$TOP/tests/servers/stop-${s%%:*}.sh" "${s#*:}" >/dev/null 2>&1
	done
}

# tsig_key: a random TSIG secret, for the servers to start with ($TSIG_SECRET) and for the
# configuration to name (env:ZS_TSIG).
tsig_key() {
	TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
	ZS_TSIG=$TSIG_SECRET
	export TSIG_SECRET ZS_TSIG
}

# toml_rfc2136 NAME PORT: the [providers.NAME] table of the RFC 2136 server on
# 127.0.0.1:PORT, key zonesync-key (env:ZS_TSIG), verified there; keys may follow it.
toml_rfc2136() {
	cat <<TOML
[providers.$1]
type = "rfc2136"
server = "127.0.0.1:$2"
tsig_name = "zonesync-key"
tsig_secret = "env:ZS_TSIG"
nameservers = ["127.0.0.1:$2"]
TOML
}

# toml_powerdns NAME API_PORT [DNS_PORT]: the [providers.NAME] table of pdns_server's API on
# 127.0.0.1:API_PORT (env:PDNS_KEY) with create_zones, verified at DNS_PORT when given.
toml_powerdns() {
	cat <<TOML
[providers.$1]
type = "powerdns"
url = "http://127.0.0.1:$2"
api_key = "env:PDNS_KEY"
create_zones = true
TOML
	[ -z "${3:-}" ] || printf 'nameservers = ["127.0.0.1:%s"]\n' "$3"
}

# The fake API a script runs (tests/fakes): start_fake_api SCRIPT PORT ARG... starts it on
# 127.0.0.1:PORT (output to $T/fake.log), its PID in $FAKE, and waits until it answers
# (exits the script when it does not); stop_fake stops it (by that PID).
FAKE=
start_fake_api() {
	local script=$1 port=$2
	shift 2
	python3 "$TOP/tests/fakes/$script" "$port" "$@" >"$T/fake.log" 2>&1 </dev/null &
	FAKE=$!
	wait_fake "$FAKE" "http://127.0.0.1:$port/__requests" || exit 1
}
stop_fake() { [ -n "$FAKE" ] && kill "$FAKE" 2>/dev/null && wait "$FAKE" 2>/dev/null; FAKE=; }
