#!/bin/bash
# bench/api.sh BUILD_DIR - API economy (requests per apply for 1, 100 and 10,000 changed
# RRsets, per provider) and fan-out (4 slow providers in parallel against 1), with the
# Cloudflare and Dyn fakes and a real PowerDNS. Figures, not pass/fail.
set -u
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
ZS=$TOP/$BUILD/zonesync
. "$TOP/tests/servers/lib.sh"
T=$(mktemp -d /tmp/zonesync-bench-api-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; bash "$TOP/tests/servers/stop-pdns.sh" "$T/pdns" >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT
wait_up() { for i in $(seq 1 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }

export CF_TOKEN=bench-token DYN_PW=bench-pw
start_cf() { # PORT [args]
	python3 "$TOP/tests/fakes/cloudflare.py" "$1" "$CF_TOKEN" "${@:2}" >/dev/null 2>&1 </dev/null &
	PIDS+=($!)
	wait_up "http://127.0.0.1:$1/__requests"
	curl -s -X POST "http://127.0.0.1:$1/__control" -d '{"zone": "bench.example"}' >/dev/null
}
start_dyn() {
	python3 "$TOP/tests/fakes/dyn.py" "$1" acme zonesync "$DYN_PW" "${@:2}" >/dev/null 2>&1 </dev/null &
	PIDS+=($!)
	wait_up "http://127.0.0.1:$1/__requests"
	curl -s -X POST "http://127.0.0.1:$1/__control" -d '{"zone": "bench.example"}' >/dev/null
}
zone() { # N: a zone with N address RRsets
	{ printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ NS ns1.example.net.\n'
	  for i in $(seq 1 "$1"); do echo "h$i A 10.$((i >> 16 & 255)).$((i >> 8 & 255)).$((i & 255))"; done; } > "$T/repo/zones/bench.example.zone"
	git -C "$T/repo" add -A && git -C "$T/repo" -c user.name=b -c user.email=b@b commit -qm "$1" --allow-empty
}
git init -q -b main "$T/repo"
mkdir -p "$T/repo/zones"

take_port CFP; start_cf "$CFP"
take_port DYP; start_dyn "$DYP"
take_port PP; take_port PA
bash "$TOP/tests/servers/start-pdns.sh" "$T/pdns" "$PP" "$PA" >/dev/null
export PDNS_KEY=$(cat "$T/pdns/api.key")
cat > "$T/econ.toml" <<CONF
[repo]
path = "$T/repo"
[state]
path = "$T/econ.db"
[defaults]
max_changes = 100000
max_update_pct = 100
max_delete_pct = 100
[providers.cloudflare]
type = "cloudflare"
url = "http://127.0.0.1:$CFP/client/v4"
api_token = "env:CF_TOKEN"
[providers.dyn]
type = "dyn"
url = "http://127.0.0.1:$DYP"
customer = "acme"
user = "zonesync"
password = "env:DYN_PW"
[providers.pdns]
type = "powerdns"
url = "http://127.0.0.1:$PA"
api_key = "env:PDNS_KEY"
create_zones = true
[[zones]]
name = "bench.example"
providers = ["cloudflare", "dyn", "pdns"]
CONF
echo "== API economy: requests of one apply, per provider (zone growing by N address RRsets)"
total=0
for n in 1 100 10000; do
	total=$((total + n))
	zone "$total"
	start=$(date +%s.%N)
	out=$("$ZS" -c "$T/econ.toml" --no-color apply --force 2>&1)
	end=$(date +%s.%N)
	printf '%6s new RRsets (%.1f s):\n' "$n" "$(echo "$end - $start" | bc)"
	printf '%s\n' "$out" | grep '^provider ' | sed 's/^/    /'
done
zone "$total"
out=$("$ZS" -c "$T/econ.toml" --no-color apply 2>&1)
echo "  in sync (no change):"
printf '%s\n' "$out" | grep '^provider ' | sed 's/^/    /'

echo "== fan-out: 4 providers answering in 200 ms each, against 1"
ports=()
for k in 1 2 3 4; do take_port pt; start_cf "$pt" --delay-ms 200; ports+=("$pt"); done
fan_conf() { # NPROVIDERS
	printf '[repo]\npath = "%s"\n[state]\npath = "%s/fan-%s.db"\n[defaults]\njobs = 4\nmax_changes = 100000\nmax_update_pct = 100\nmax_delete_pct = 100\n' "$T/repo" "$T" "$1"
	list=""
	for k in $(seq 1 "$1"); do
		printf '[providers.cf%s]\ntype = "cloudflare"\nurl = "http://127.0.0.1:%s/client/v4"\napi_token = "env:CF_TOKEN"\n' "$k" "${ports[$((k - 1))]}"
		list="$list\"cf$k\", "
	done
	printf '[[zones]]\nname = "bench.example"\nproviders = [%s]\n' "${list%, }"
}
zone 300
fan_conf 1 > "$T/fan1.toml"
fan_conf 4 > "$T/fan4.toml"
for round in 1 2 3; do
	zone $((300 + round))
	s=$(date +%s.%N); "$ZS" -q -c "$T/fan1.toml" apply --force >/dev/null 2>&1; m=$(date +%s.%N)
	"$ZS" -q -c "$T/fan4.toml" apply --force >/dev/null 2>&1; e=$(date +%s.%N)
	one=$(echo "$m - $s" | bc); four=$(echo "$e - $m" | bc)
	printf '  round %d: 1 provider %.2f s, 4 providers %.2f s, ratio %.2f\n' "$round" "$one" "$four" "$(echo "$four / $one" | bc -l)"
done
