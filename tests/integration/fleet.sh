#!/bin/bash
# fleet.sh - CI, cron and other hosts never undo each other's work: two checkouts of one
# zone repository (a bare repository on disk is the remote) against named (RFC 2136) and
# pdns_server. The deployment marker, never backwards (exit 6), git pull, a revert,
# --allow-older (journalled), unrelated histories, [repo] remote fetched by reconcile.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-fleet-XXXXXX)
take_port BPORT || exit 1
take_port PPORT || exit 1
take_port APORT || exit 1
cleanup() {
	stop_servers
	rm -rf "$T"
}
trap cleanup EXIT
tsig_key
DYNAMIC_ZONES="example.com" start_server bind "$T/bind" "$BPORT" $((BPORT + 1000)) || exit 1
start_pdns "$T/pdns" "$PPORT" "$APORT" || exit 1

G() { git -c user.name=test -c user.email=test@example.com "$@"; }
# one remote, two hosts: "ci" and "cron", each with its own clone and its own state db
new_repo "$T/seed" example.com
git clone -q --bare "$T/seed" "$T/upstream.git"
G clone -q "$T/upstream.git" "$T/ci"
G clone -q "$T/upstream.git" "$T/cron"
config() { # config HOST [REPO-SECTION-EXTRA]
	cat <<CONF
[repo]
path = "$T/$1"
${2:-}
[state]
path = "$T/$1.state.db"
[defaults]
providers = ["bind", "pdns"]
$(toml_rfc2136 bind "$BPORT")
$(toml_powerdns pdns "$APORT" "$PPORT")
[[zones]]
name = "example.com"
CONF
}
config ci > "$T/ci.toml"
config cron > "$T/cron.toml"
Z() { local host=$1; shift; "$ZONESYNC" -c "$T/$host.toml" --no-color "$@"; }
head_of() { git -C "$T/$1" rev-parse HEAD; }
marker() { dig @127.0.0.1 -p "$1" +norec +short _zonesync.example.com TXT | tr -d '"'; }
A=$(head_of ci)

echo "== two checkouts of one repository; named :$BPORT, pdns :$PPORT"
expect_exit 0 "ci applies commit A to both providers (the placeholder apex NS replaced: --force)" Z ci apply --force
contains "the marker at named names commit A, with a format version and a time" "$(marker "$BPORT")" "zonesync-marker/1 commit=$A time=20"
contains "the marker at pdns names commit A" "$(marker "$PPORT")" "commit=$A"
expect_exit 0 "the cron host reconciles commit A too (its state db now says A)" Z cron reconcile

# CI deploys B: www via lb
sed -i 's/^www            300   IN CNAME example.com.$/www            300   IN CNAME lb.example.com./' "$T/ci/zones/example.com.zone"
git_commit "$T/ci" "www via lb" && G -C "$T/ci" push -q origin main
B=$(head_of ci)
expect_exit 0 "ci applies commit B" Z ci apply
same "named serves B's www" "$(answers "$BPORT" www.example.com CNAME)" "lb.example.com."
contains "named's marker names B" "$(marker "$BPORT")" "commit=$B"
contains "pdns's marker names B" "$(marker "$PPORT")" "commit=$B"

echo "== the marker is zonesync's own record"
expect_exit 0 "plan: the marker is not a change" Z ci plan --exit-code
expect_exit 0 "verify --strict: the marker is not extra" Z ci verify --strict
check "  and verify --strict looked for extras" sh -c "! printf '%s' \"\$1\" | grep -q 'extras not checked'" _ "$OUT"
for p in bind pdns; do
	expect_exit 0 "import from $p" Z ci import --provider "$p" --zone example.com
	check "  the import holds no marker" sh -c "! printf '%s' \"\$1\" | grep -qi '_zonesync'" _ "$OUT"
done

echo "== the stale cron checkout (still at A) is refused"
expect_exit 6 "reconcile from the stale checkout: exit 6" Z cron reconcile --metrics "$T/cron.prom"
contains "it says the checkout is older" "$OUT" "the checkout is older than what is deployed"
contains "it names the live commit" "$OUT" "commit ${B:0:12}"
contains "it names this checkout's commit" "$OUT" "this checkout has ${A:0:12}"
contains "it says what to do" "$OUT" "git pull"
contains "and the override" "$OUT" "--allow-older"
same "named still serves B's www" "$(answers "$BPORT" www.example.com CNAME)" "lb.example.com."
same "pdns still serves B's www" "$(answers "$PPORT" www.example.com CNAME)" "lb.example.com."
same "no drift was recorded (the live data is newer, not drift)" "$(grep '^zonesync_drift_total' "$T/cron.prom" | awk '{s+=$2} END {print s+0}')" "0"
check "  nor said" sh -c "! printf '%s' \"\$1\" | grep -q 'drift at'" _ "$OUT"
same "nothing was journalled by the stale host" "$(sqlite3 "$T/cron.state.db" "SELECT count(*) FROM journal")" "0"
expect_exit 6 "apply from the stale checkout: exit 6 too" Z cron apply
expect_exit 0 "plan from the stale checkout shows it (plan itself changes nothing)" Z cron plan
contains "  OLDER in the plan" "$OUT" "OLDER: the checkout is older"

echo "== after git pull it converges"
G -C "$T/cron" pull -q
expect_exit 0 "reconcile after git pull" Z cron reconcile
same "named: B" "$(answers "$BPORT" www.example.com CNAME)" "lb.example.com."

echo "== a rollback is a revert commit, which descends from B"
G -C "$T/ci" revert --no-edit HEAD >/dev/null && G -C "$T/ci" push -q origin main
C=$(head_of ci)
expect_exit 0 "ci applies the revert" Z ci apply
same "named: www back as in A" "$(answers "$BPORT" www.example.com CNAME)" "example.com."
same "pdns: www back as in A" "$(answers "$PPORT" www.example.com CNAME)" "example.com."
contains "named's marker names the revert" "$(marker "$BPORT")" "commit=$C"
contains "pdns's marker names the revert" "$(marker "$PPORT")" "commit=$C"

echo "== --allow-older deploys an older commit, journalled"
expect_exit 6 "apply --ref B (older than the revert): exit 6" Z ci apply --ref "$B"
expect_exit 0 "apply --ref B --allow-older" Z ci apply --ref "$B" --allow-older
same "named serves B's www again" "$(answers "$BPORT" www.example.com CNAME)" "lb.example.com."
same "the override is journalled per provider" \
	"$(sqlite3 "$T/ci.state.db" "SELECT provider || ' ' || substr(old_rdata, 1, 12) || ' ' || substr(new_rdata, 1, 12) FROM journal WHERE op = 'allow-older' ORDER BY provider")" \
	"$(printf 'bind %s %s\npdns %s %s' "${C:0:12}" "${B:0:12}" "${C:0:12}" "${B:0:12}")"
expect_exit 0 "history shows it" Z ci history -n 1
contains "  as allow-older" "$OUT" "allow-older"
expect_exit 0 "and the head (the revert, a descendant of B) deploys again" Z ci apply

echo "== unrelated histories are refused"
new_repo "$T/other" example.com
config other > "$T/other.toml"
expect_exit 6 "a repository that never saw the live commit: exit 6" Z other apply

echo "== [repo] remote: reconcile fetches the branch first"
sed -i 's/^api            300   IN A    192.0.2.21$/api            300   IN A    192.0.2.22/' "$T/ci/zones/example.com.zone"
git_commit "$T/ci" "api moves" && G -C "$T/ci" push -q origin main
D=$(head_of ci)
config cron 'remote = "origin"
branch = "main"' > "$T/cron-fetch.toml"
expect_exit 0 "reconcile with [repo] remote deploys the remote's head without a pull" "$ZONESYNC" -c "$T/cron-fetch.toml" --no-color reconcile
same "named serves D" "$(answers "$BPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.22')"
contains "named's marker names D" "$(marker "$BPORT")" "commit=$D"
contains "pdns's marker names D" "$(marker "$PPORT")" "commit=$D"
same "the cron checkout's work tree was not touched" "$(head_of cron)" "$B"
config cron "remote = \"$T/upstream.git\"" > "$T/cron-url.toml"
expect_exit 0 "apply --fetch from a URL (the bare repository's path)" "$ZONESYNC" -c "$T/cron-url.toml" --no-color apply --fetch
config cron "remote = \"$T/no-such-remote.git\"" > "$T/cron-bad.toml"
sed -i 's/^api            300   IN A    192.0.2.22$/api            300   IN A    192.0.2.23/' "$T/cron/zones/example.com.zone"
expect_exit 1 "a fetch that fails: exit 1" "$ZONESYNC" -c "$T/cron-bad.toml" --no-color reconcile
contains "  it says the fetch failed" "$OUT" "fetching branch 'main' from"
contains "  and that nothing was deployed" "$OUT" "nothing deployed"
same "  named still serves D" "$(answers "$BPORT" api.example.com A)" "$(printf '192.0.2.20\n192.0.2.22')"
expect_exit 1 "apply --fetch without [repo] remote: exit 1" Z ci apply --fetch
G -C "$T/cron" checkout -q -- zones

echo "== secrets: hooks never see them, CR/LF refused, a missing one is a configuration error"
cat > "$T/dump-env" <<'HOOK'
#!/bin/sh
cat >/dev/null
env > "$DUMP_TO"
HOOK
chmod +x "$T/dump-env"
config ci > "$T/hook.toml"
printf '[hooks]\npre_apply = [["%s"]]\npass_env = ["DUMP_TO"]\n' "$T/dump-env" >> "$T/hook.toml"
sed -i 's/^api            300   IN A    192.0.2.22$/api            300   IN A    192.0.2.24/' "$T/ci/zones/example.com.zone"
git_commit "$T/ci" "api .24" && G -C "$T/ci" push -q origin main
export DUMP_TO=$T/hook-env SOME_OTHER_TOKEN=not-for-hooks ZONESYNC_TSIG_SECRET=$ZS_TSIG
sed -i 's/env:ZS_TSIG/env:ZONESYNC_TSIG_SECRET/' "$T/hook.toml"
expect_exit 0 "apply with a pre_apply hook that dumps its environment" "$ZONESYNC" -c "$T/hook.toml" --no-color apply
check "  the hook ran" [ -s "$T/hook-env" ]
check "  it sees no TSIG secret" sh -c "! grep -qF -- \"\$1\" \"\$2\"" _ "$ZS_TSIG" "$T/hook-env"
check "  nor the PowerDNS API key" sh -c "! grep -qF -- \"\$1\" \"\$2\"" _ "$PDNS_KEY" "$T/hook-env"
check "  nor a variable off the allow-list" sh -c "! grep -q SOME_OTHER_TOKEN \"\$1\"" _ "$T/hook-env"
check "  nor a secret named ZONESYNC_*" sh -c "! grep -q '^ZONESYNC_TSIG_SECRET=' \"\$1\"" _ "$T/hook-env"
check "  but its ZONESYNC_ context, PATH and pass_env" sh -c "grep -q '^ZONESYNC_EVENT=pre_apply' \"\$1\" && grep -q '^PATH=' \"\$1\" && grep -q '^DUMP_TO=' \"\$1\"" _ "$T/hook-env"
unset SOME_OTHER_TOKEN ZONESYNC_TSIG_SECRET

# a listener in place of named: any connection zonesync makes is recorded
take_port LPORT || exit 1
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(5)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()
import select
while True:
    r, _, _ = select.select([s, u], [], [])
    with open(sys.argv[2], "a") as f: f.write("contacted\n")
    if s in r: s.accept()[0].close()
    if u in r: u.recvfrom(4096)
' "$LPORT" "$T/contacts" &
LISTENER=$!
for i in $(seq 1 50); do [ -f "$T/contacts" ] && break; sleep 0.1; done
sed "s/127.0.0.1:$BPORT\"/127.0.0.1:$LPORT\"/" "$T/ci.toml" > "$T/probe.toml"
sed -i "s|^path = \"$T/ci.state.db\"|path = \"$T/probe.state.db\"|" "$T/probe.toml"
saved=$PDNS_KEY
unset PDNS_KEY
expect_exit 1 "a missing secret: exit 1 (a configuration error, not a provider outage)" "$ZONESYNC" -c "$T/probe.toml" --no-color reconcile
contains "  it names the provider and key" "$OUT" "provider 'pdns': api_key: environment variable PDNS_KEY is not set"
contains "  and says nothing was contacted" "$OUT" "no provider was contacted"
same "  the listener standing in for named saw no connection" "$(cat "$T/contacts")" ""
export PDNS_KEY="$saved"$'\r\nX-Injected: yes'
expect_exit 1 "a secret with CR/LF: exit 1" "$ZONESYNC" -c "$T/probe.toml" --no-color apply
contains "  refused, naming the key" "$OUT" "provider 'pdns': api_key: environment variable PDNS_KEY holds a CR or LF"
check "  the value is not printed" sh -c "! printf '%s' \"\$1\" | grep -q Injected" _ "$OUT"
same "  still no connection" "$(cat "$T/contacts")" ""
export PDNS_KEY=$saved
kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null

echo "== the reviewed plan is exactly what runs"
sed -i 's/^www            300   IN CNAME example.com.$/www            300   IN CNAME lb2.example.com./' "$T/ci/zones/example.com.zone"
git_commit "$T/ci" "www via lb2" && G -C "$T/ci" push -q origin main
expect_exit 0 "plan --out (the file a pull request reviews)" Z ci plan --out "$T/plan.json"
tamper() { # tamper NAME PYTHON: a copy of the plan, edited by PYTHON on p
	python3 - "$T/plan.json" "$T/$1.json" "$2" <<'PY'
import json, sys, hashlib
p = json.load(open(sys.argv[1]))
A = sys.argv[4] if len(sys.argv) > 4 else ""
exec(sys.argv[3])
json.dump(p, open(sys.argv[2], "w"), indent=2, sort_keys=True)
PY
}
tamper removed 'for z in p["zones"]:
    for v in z["providers"]:
        v["changes"] = []'
tamper edited 'p["zones"][0]["providers"][0]["changes"][0]["records"] = ["evil.example.net."]'
tamper rehashed 'p["zones"][0]["providers"][0]["changes"][0]["records"] = ["evil.example.net."]
p["hash"] = hashlib.sha256(json.dumps(p, sort_keys=True).encode()).hexdigest()'
tamper hashonly 'p["hash"] = "0" * 64'
sed "s/\"commit\": \"[0-9a-f]*\"/\"commit\": \"$A\"/" "$T/plan.json" > "$T/othercommit.json"
expect_exit 1 "every change removed, hash kept: refused" Z ci apply --plan "$T/removed.json"
contains "  naming the first difference" "$OUT" "zone example.com., provider bind: changes: the reviewed plan has 0, planning it now gives 1; item 1 differs: reviewed nothing, now change 1 (update www.example.com. CNAME)"
contains "  and nothing applied" "$OUT" "nothing applied"
expect_exit 1 "a value edited: refused" Z ci apply --plan "$T/edited.json"
contains "  naming it" "$OUT" "zone example.com., provider bind: changes, change 1 (update www.example.com. CNAME): records, item 1: the reviewed plan says \"evil.example.net.\", planning it now gives \"lb2.example.com.\""
expect_exit 1 "a value edited and the hash recomputed: refused" Z ci apply --plan "$T/rehashed.json"
contains "  naming the value" "$OUT" "the reviewed plan says \"evil.example.net.\""
expect_exit 1 "the hash alone edited: refused" Z ci apply --plan "$T/hashonly.json"
contains "  the hash is not the content's" "$OUT" "is not the hash of the plan's content"
expect_exit 1 "another commit named: refused" Z ci apply --plan "$T/othercommit.json"
contains "  the first difference" "$OUT" "the reviewed plan has 1, planning it now gives 1; item 1 differs"
same "  named still serves the reviewed commit's parent" "$(answers "$BPORT" www.example.com CNAME)" "example.com."
expect_exit 0 "the reviewed file as written: applied" Z ci apply --plan "$T/plan.json"
same "  named serves lb2" "$(answers "$BPORT" www.example.com CNAME)" "lb2.example.com."
expect_exit 1 "the same file again: live state moved, refused" Z ci apply --plan "$T/plan.json"

echo "== state location"
config ci > "$T/inrepo.toml"
sed -i "s|^path = \"$T/ci.state.db\"|path = \".zonesync/state.db\"|" "$T/inrepo.toml"
cp "$T/inrepo.toml" "$T/ci/zonesync.toml"
git_commit "$T/ci" "config in the repository"
expect_exit 0 "apply with the state db inside the repository" "$ZONESYNC" -c "$T/ci/zonesync.toml" --no-color apply
check "  the state db exists there" [ -s "$T/ci/.zonesync/state.db" ]
contains "  .git/info/exclude keeps it out of git" "$(cat "$T/ci/.git/info/exclude")" "/.zonesync/state.db*"
same "  git status shows nothing to commit" "$(git -C "$T/ci" status --porcelain)" ""
expect_exit 0 "  a second apply adds no second line" "$ZONESYNC" -c "$T/ci/zonesync.toml" --no-color apply
same "  one line" "$(grep -c '^/.zonesync/state.db\*$' "$T/ci/.git/info/exclude")" "1"
finish
