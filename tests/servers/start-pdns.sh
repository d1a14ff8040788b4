#!/bin/bash
# start-pdns.sh DIR DNS_PORT API_PORT - PowerDNS Authoritative (gsqlite3 backend) on
# 127.0.0.1:DNS_PORT with its HTTP API on 127.0.0.1:API_PORT, for zonesync's tests.
#   LISTEN=127.0.0.5  answer DNS on this loopback address instead (the API stays on 127.0.0.1)
#   PDNS_API_KEY   the API key (default: random, written to DIR/api.key)
# No zone is created: zonesync creates them through the API (create_zones = true).
# Writes DIR/pdns.conf, DIR/pdns.sqlite3, DIR/api.key, DIR/server.pid, DIR/pdns.log.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ $# -eq 3 ] || die "usage: $0 DIR DNS_PORT API_PORT"
mkdir -p "$1" && DIR=$(cd "$1" && pwd -P)
PORT=$2 API_PORT=$3
command -v pdns_server >/dev/null || die "pdns_server is not installed (make deps)"
ADDR=$(listen_addr) || exit 1
port_free "$PORT" "$ADDR" || die "port $PORT is in use on $ADDR"
port_free "$API_PORT" || die "port $API_PORT is in use"
[ ${#DIR} -lt 85 ] || die "$DIR is too long for the control socket"
SCHEMA=/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql
[ -f "$SCHEMA" ] || SCHEMA=/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql
[ -f "$SCHEMA" ] || die "the gsqlite3 schema is missing (pdns-backend-sqlite3)"
umask 077
[ -f "$DIR/api.key" ] || printf '%s\n' "${PDNS_API_KEY:-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')}" > "$DIR/api.key"
umask 022
API_KEY=$(cat "$DIR/api.key")
# --config-dir keeps /etc/powerdns (and its bind backend) out of it
cat > "$DIR/pdns.conf" <<CONF
launch=gsqlite3
gsqlite3-database=$DIR/pdns.sqlite3
local-address=$ADDR
local-port=$PORT
socket-dir=$DIR
api=yes
api-key=$API_KEY
webserver=yes
webserver-address=127.0.0.1
webserver-port=$API_PORT
webserver-allow-from=127.0.0.0/8
security-poll-suffix=
default-soa-content=ns1.@ hostmaster.@ 0 3600 600 86400 300
cache-ttl=0
query-cache-ttl=0
negquery-cache-ttl=0
zone-cache-refresh-interval=0
loglevel=4
CONF
[ -f "$DIR/pdns.sqlite3" ] || sqlite3 "$DIR/pdns.sqlite3" < "$SCHEMA" || die "cannot create the database"
pdns_server --config-dir="$DIR" --daemon=no --guardian=no --disable-syslog --write-pid=no \
	</dev/null >"$DIR/pdns.log" 2>&1 &
PID=$!
echo "$PID" > "$DIR/server.pid"
if ! wait_until "$PID" 20 curl -sf -H "X-API-Key: $API_KEY" "http://127.0.0.1:$API_PORT/api/v1/servers/localhost"; then
	tail -20 "$DIR/pdns.log" >&2
	stop_pid "$DIR" pdns_server
	die "pdns_server did not start"
fi
echo "pdns_server pid $PID on $ADDR:$PORT, API http://127.0.0.1:$API_PORT"
