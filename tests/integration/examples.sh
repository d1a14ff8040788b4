#!/bin/bash
# examples.sh - the deployment examples of docs/examples/ do what they say, against named
# (RFC 2136) and pdns_server: the commands are taken from the files themselves by
# tests/examples-run.py (cron line, systemd unit, GitHub Actions workflow, GitLab CI file),
# with host paths mapped into a temp dir. Cron and systemd fetch the remote branch and
# deploy it; CI posts the plan also when a provider could not be planned (exit 3), and on
# main applies exactly the reviewed plan or refuses when it moved.
set -u
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/zonesync-examples-XXXXXX)
take_port BPORT || exit 1
take_port PPORT || exit 1
take_port APORT || exit 1
take_port GPORT || exit 1
GITLAB=
cleanup() {
	[ -n "$GITLAB" ] && kill "$GITLAB" 2>/dev/null
	stop_servers
	rm -rf "$T"
}
trap cleanup EXIT
tsig_key
DYNAMIC_ZONES="example.com" start_server bind "$T/bind" "$BPORT" $((BPORT + 1000)) || exit 1
start_pdns "$T/pdns" "$PPORT" "$APORT" || exit 1
EX="$TOP/docs/examples"
RUN="python3 $TOP/tests/examples-run.py"
G() { git -c user.name=test -c user.email=test@example.com "$@"; }
# zonesync on PATH, as `make install` would put it
mkdir -p "$T/bin" && ln -s "$ZONESYNC" "$T/bin/zonesync"
export PATH="$T/bin:$PATH"
export EX_PATHS="/etc/zonesync=$T/etc/zonesync;/srv/dns=$T/srv/dns;/var/lib=$T/var/lib;/usr/local/bin/zonesync=$ZONESYNC"
mkdir -p "$T/etc/zonesync" "$T/var/lib/node_exporter/textfile" "$T/home"

providers() {
	cat <<CONF
[defaults]
providers = ["bind", "pdns"]
[providers.bind]
type = "rfc2136"
server = "127.0.0.1:$BPORT"
tsig_name = "zonesync-key"
tsig_secret = "env:ZONESYNC_TSIG_SECRET"
[providers.pdns]
type = "powerdns"
url = "http://127.0.0.1:$APORT"
api_key = "env:PDNS_API_KEY"
create_zones = true
retries = 0
[[zones]]
name = "example.com"
CONF
}
# the zone repository: named's placeholder apex (NS ns1, ns1 A 127.0.0.1) and a little more
new_repo "$T/seed"
printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1\nns1 A 127.0.0.1\nwww CNAME @\napi A 192.0.2.20\n' \
	> "$T/seed/zones/example.com.zone"
{ printf '[state]\npath = ".zonesync/state.db"   # CI: a fresh checkout each run\n'; providers; } > "$T/seed/zonesync.toml"
git_commit "$T/seed" "zones and the CI configuration"
git clone -q --bare "$T/seed" "$T/upstream.git"
G clone -q "$T/upstream.git" "$T/work"
change() { # change BRANCH SED-EXPRESSION: a pull request's commit, pushed
	G -C "$T/work" checkout -q -B "$1" origin/main && sed -i "$2" "$T/work/zones/example.com.zone" &&
		git_commit "$T/work" "$1" && G -C "$T/work" push -q -f origin "$1"
}
merge() { # merge BRANCH [MESSAGE-BODY]: a merge commit on main, pushed
	G -C "$T/work" fetch -q origin && G -C "$T/work" checkout -q -B main origin/main &&
		G -C "$T/work" merge -q --no-ff -m "Merge branch '$1' into 'main'" -m "${2:-$1}" "origin/$1" &&
		G -C "$T/work" push -q origin main
}
serves() { dig @127.0.0.1 -p "$1" +norec +short "$2" "$3"; }

echo "== cron ($EX/zonesync-reconcile.cron)"
G clone -q "$T/upstream.git" "$T/srv/dns"
{ printf '[repo]\npath = "%s"\nremote = "origin"\nbranch = "main"\n[state]\npath = "%s"\n' "$T/srv/dns" "$T/var/lib/zonesync/cron.db"; providers; } \
	> "$T/etc/zonesync/zonesync.toml"
# KEY=value lines, as the example says: not exported by themselves
printf 'ZONESYNC_TSIG_SECRET=%s\nPDNS_API_KEY=%s\n' "$TSIG_SECRET" "$PDNS_KEY" > "$T/etc/zonesync/env"
chmod 600 "$T/etc/zonesync/env"
CRON=$($RUN cron "$EX/zonesync-reconcile.cron")
contains "the crontab line exports the secrets (set -a)" "$CRON" "set -a && . $T/etc/zonesync/env"
# the main branch moves after the clone: reconcile must fetch it
change api-21 's/^api A 192.0.2.20$/api A 192.0.2.21/' && merge api-21
# a bare environment, but a sanitizer build keeps its options (the LeakSanitizer suppressions
# for libgit2's own leaks: without them every fetch exits 1 under `make SANITIZE=1`)
SAN_ENV=()
for v in ASAN_OPTIONS LSAN_OPTIONS TSAN_OPTIONS UBSAN_OPTIONS; do
	[ -n "${!v:-}" ] && SAN_ENV+=("$v=${!v}")
done
expect_exit 0 "the cron command, in cron's bare environment" env -i "${SAN_ENV[@]}" HOME="$T/home" PATH="$PATH" sh -c "$CRON"
same "  named serves the remote's head (fetched, no git pull)" "$(serves "$BPORT" api.example.com A)" "192.0.2.21"
same "  pdns too" "$(serves "$PPORT" api.example.com A)" "192.0.2.21"
check "  the metrics textfile was written" grep -q '^zonesync_run_exit_code 0' "$T/var/lib/node_exporter/textfile/zonesync.prom"
OLD=$(printf '%s' "$CRON" | sed 's/set -a && //; s/ && set +a//')
expect_exit 1 "the old line (. without set -a): a configuration error, exit 1, not a transient 3" env -i "${SAN_ENV[@]}" HOME="$T/home" PATH="$PATH" sh -c "$OLD"
contains "  naming the variable" "$OUT" "environment variable ZONESYNC_TSIG_SECRET is not set"

echo "== systemd ($EX/zonesync-reconcile.service)"
sed -i "s|^path = \"$T/var/lib/zonesync/cron.db\"|# the default: the unit's state directory|" "$T/etc/zonesync/zonesync.toml"
change api-22 's/^api A 192.0.2.21$/api A 192.0.2.22/' && merge api-22
expect_exit 0 "the unit's ExecStart with its Environment= and EnvironmentFile=" env -i "${SAN_ENV[@]}" HOME="$T/home" PATH="$PATH" EX_PATHS="$EX_PATHS" $RUN systemd "$EX/zonesync-reconcile.service"
same "  named serves the remote's head" "$(serves "$BPORT" api.example.com A)" "192.0.2.22"
check "  the state db is in the unit's state directory" sh -c "ls '$T/var/lib/zonesync/'dns-*.db >/dev/null"
expect_exit 0 "  and it is in sync the next time" env -i "${SAN_ENV[@]}" HOME="$T/home" PATH="$PATH" EX_PATHS="$EX_PATHS" $RUN systemd "$EX/zonesync-reconcile.service"
sed -i "s/^ZONESYNC_TSIG_SECRET=.*/ZONESYNC_TSIG_SECRET=/" "$T/etc/zonesync/env"
expect_exit 1 "a unit without a secret fails (exit 1 is not in SuccessExitStatus)" env -i "${SAN_ENV[@]}" HOME="$T/home" PATH="$PATH" EX_PATHS="$EX_PATHS" $RUN systemd "$EX/zonesync-reconcile.service"
printf 'ZONESYNC_TSIG_SECRET=%s\nPDNS_API_KEY=%s\n' "$TSIG_SECRET" "$PDNS_KEY" > "$T/etc/zonesync/env"

gh_job() { # gh_job NAME JOB EVENT WORKSPACE [HEAD]: runs a job of the workflow
	local name=$1 job=$2 event=$3 ws=$4 head=${5:-}
	rm -rf "$ws" && G clone -q "$T/upstream.git" "$ws" || return 1
	[ -n "$head" ] && G -C "$ws" fetch -q origin "$head"
	expect_exit "$want" "$name" env EX_WORKSPACE="$ws" EX_ARTIFACTS="$T/gh" EX_HEAD_SHA="$head" \
		EX_SHA="$(git -C "$ws" rev-parse HEAD)" ZONESYNC_TSIG_SECRET="$TSIG_SECRET" PDNS_API_KEY="${GH_PDNS_KEY:-$PDNS_KEY}" \
		$RUN github "$EX/github-actions.yml" "$job" "$event"
}
echo "== GitHub Actions ($EX/github-actions.yml)"
mkdir -p "$T/gh"
change www-lb 's/^www CNAME @$/www CNAME lb/'
HEAD1=$(git -C "$T/work" rev-parse HEAD)
want=0 gh_job "pull request: check, plan, comment, keep the plan" plan pull_request "$T/gh-pr" "$HEAD1"
contains "  the comment is the plan" "$(cat "$T/gh/comment.md")" "+ www.example.com. 300 CNAME lb.example.com."
check "  the plan is kept for the merge" [ -s "$T/gh/dns-plan/$HEAD1/plan.json" ]
merge www-lb
want=0 gh_job "main: apply the reviewed plan" apply push "$T/gh-main"
same "  named serves the reviewed change" "$(serves "$BPORT" www.example.com CNAME)" "lb.example.com."
same "  pdns too" "$(serves "$PPORT" www.example.com CNAME)" "lb.example.com."
# a reviewed plan that live state no longer gives: refused, nothing applied
change api-23 's/^api A 192.0.2.22$/api A 192.0.2.23/'
HEAD2=$(git -C "$T/work" rev-parse HEAD)
want=0 gh_job "another pull request planned" plan pull_request "$T/gh-pr" "$HEAD2"
curl -s -X PATCH -H "X-API-Key: $PDNS_KEY" -H 'Content-Type: application/json' \
	"http://127.0.0.1:$APORT/api/v1/servers/localhost/zones/example.com." \
	-d '{"rrsets":[{"name":"intruder.example.com.","type":"A","ttl":300,"changetype":"REPLACE","records":[{"content":"203.0.113.1","disabled":false}]}]}'
merge api-23
want=1 gh_job "main after live state moved: the apply job fails" apply push "$T/gh-main"
contains "  zonesync says what moved and applies nothing" "$OUT" "nothing applied"
same "  named still serves the old address" "$(serves "$BPORT" api.example.com A)" "192.0.2.22"
# a provider that cannot be planned: the plan is still posted, and the job fails with 3
change api-24 's/^api A 192.0.2.2[23]$/api A 192.0.2.24/'
HEAD3=$(git -C "$T/work" rev-parse HEAD)
rm -f "$T/gh/comment.md"
GH_PDNS_KEY=wrong-key want=1 gh_job "a pull request planned while pdns refuses the key" plan pull_request "$T/gh-pr" "$HEAD3"
contains "  the plan exit status fails the job" "$OUT" "exit 3"
contains "  but the comment was posted, naming the provider" "$(cat "$T/gh/comment.md" 2>/dev/null)" "pdns"

echo "== GitLab CI ($EX/gitlab-ci.yml)"
mkdir -p "$T/gl"
python3 "$TOP/tests/fakes/gitlab.py" "$GPORT" "$T/gl" job-token-$$ >"$T/gitlab.log" 2>&1 </dev/null &
GITLAB=$!
for i in $(seq 1 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GPORT/api/v4/")" = 404 ] && break; sleep 0.1; done
gl_job() { # gl_job NAME JOB WORKSPACE REF [MR-IID]
	local name=$1 job=$2 ws=$3 ref=$4 iid=${5:-}
	rm -rf "$ws" && G clone -q "$T/upstream.git" "$ws" && G -C "$ws" checkout -q "$ref" || return 1
	expect_exit "$want" "$name" env EX_WORKSPACE="$ws" EX_ARTIFACTS="$T/gl" CI_JOB_TOKEN=job-token-$$ \
		CI_API_V4_URL="http://127.0.0.1:$GPORT/api/v4" CI_PROJECT_ID=7 CI_COMMIT_REF_NAME="$ref" \
		CI_COMMIT_BRANCH="$ref" CI_MERGE_REQUEST_IID="$iid" \
		CI_PIPELINE_SOURCE="$([ -n "$iid" ] && echo merge_request_event || echo push)" \
		ZONESYNC_TSIG_SECRET="$TSIG_SECRET" PDNS_API_KEY="$PDNS_KEY" $RUN gitlab "$EX/gitlab-ci.yml" "$job"
}
# the intruder is gone (the next reviewed plan is made against the current state)
curl -s -X PATCH -H "X-API-Key: $PDNS_KEY" -H 'Content-Type: application/json' \
	"http://127.0.0.1:$APORT/api/v1/servers/localhost/zones/example.com." \
	-d '{"rrsets":[{"name":"intruder.example.com.","type":"A","changetype":"DELETE"}]}'
want=0 gl_job "main: check" check "$T/gl-main" main
change api-25 's/^api A 192.0.2.2[234]$/api A 192.0.2.25/'
want=0 gl_job "merge request !4: plan (kept as artifacts)" plan "$T/gl-mr" api-25 4
check "  the plan is kept" [ -s "$T/gl/kept/plan/plan.md" ]
merge api-25 "See merge request dns/zones!4"
want=0 gl_job "main: apply the plan reviewed on !4" apply "$T/gl-main" main
same "  named serves the reviewed change" "$(serves "$BPORT" api.example.com A)" "192.0.2.25"
change api-26 's/^api A 192.0.2.25$/api A 192.0.2.26/'
merge api-26 "a merge no merge request reviewed"
want=1 gl_job "main after a merge nothing reviewed: refused" apply "$T/gl-main" main
same "  named still serves the reviewed address" "$(serves "$BPORT" api.example.com A)" "192.0.2.25"
finish
