#!/bin/bash
# start-knot.sh DIR PORT - knotd on 127.0.0.1:PORT for zonesync's tests.
#   ZONES="a.example b.example"  zones updatable by RFC 2136 and transferable with the TSIG
#                                key, each started from a minimal zone (or from DIR/zones/ZONE.zone
#                                when it exists: a static zone to serve)
#   SIGNED_ZONES="s.example"     zones (as above) that knotd signs itself (dnssec-signing with
#                                its default policy, ECDSA P-256 KSK and ZSK in DIR/db/keys):
#                                it adds DNSKEY, RRSIG, NSEC, CDS and CDNSKEY
#   LISTEN=127.0.0.4             answer on this loopback address instead of 127.0.0.1
#   TSIG_NAME (zonesync-key), TSIG_SECRET (random)
# Writes DIR/knot.conf, DIR/tsig.key, DIR/tsig.secret, DIR/server.pid, DIR/knot.log.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ $# -eq 2 ] || die "usage: $0 DIR PORT"
mkdir -p "$1" && DIR=$(cd "$1" && pwd -P)
PORT=$2
TSIG_NAME=${TSIG_NAME:-zonesync-key}
command -v knotd >/dev/null || die "knotd is not installed (make deps)"
ADDR=$(listen_addr) || exit 1
port_free "$PORT" "$ADDR" || die "port $PORT is in use on $ADDR"
[ ${#DIR} -lt 90 ] || die "$DIR is too long for a control socket path"
mkdir -p "$DIR/zones" "$DIR/db"
tsig_setup "$DIR" "$TSIG_NAME"
SECRET=$(cut -d: -f3 "$DIR/tsig.secret")
{
	cat <<CONF
server:
    rundir: "$DIR"
    pidfile: "$DIR/knot.pid"
    listen: $ADDR@$PORT
control:
    listen: "$DIR/knot.sock"
log:
  - target: stderr
    any: info
database:
    storage: "$DIR/db"
key:
  - id: $TSIG_NAME
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: zonesync
    key: $TSIG_NAME
    action: [update, transfer]
template:
  - id: default
    storage: "$DIR/zones"
    file: "%s.zone"
zone:
CONF
	for z in ${ZONES:-} ${SIGNED_ZONES:-}; do
		printf '  - domain: %s\n    acl: zonesync\n' "$z"
		case " ${SIGNED_ZONES:-} " in *" $z "*) printf '    dnssec-signing: on\n';; esac
		[ -f "$DIR/zones/$z.zone" ] || printf '$TTL 300\n@ IN SOA ns1.%s. hostmaster.%s. 1 3600 600 86400 300\n@ IN NS ns1.%s.\nns1 IN A 127.0.0.1\n' \
			"$z" "$z" "$z" > "$DIR/zones/$z.zone"
	done
} > "$DIR/knot.conf"
knotc -c "$DIR/knot.conf" conf-check >/dev/null || die "knotc conf-check failed"
knotd -c "$DIR/knot.conf" </dev/null >"$DIR/knot.log" 2>&1 &
PID=$!
echo "$PID" > "$DIR/server.pid"
first=$(echo ${ZONES:-} ${SIGNED_ZONES:-} . | awk '{print $1}')
if ! wait_until "$PID" 15 sh -c "dig @$ADDR -p $PORT $first SOA +norec +time=1 +tries=1 | grep -q 'status: NOERROR'"; then
	tail -20 "$DIR/knot.log" >&2
	stop_pid "$DIR" knotd
	die "knotd did not start"
fi
echo "knotd pid $PID on $ADDR:$PORT"
