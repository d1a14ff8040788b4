#!/bin/bash
# start-nsd.sh DIR PORT PRIMARY_PORT TSIG_SECRET_FILE ZONE - NSD on 127.0.0.1:PORT as a
# secondary of ZONE: transfers it from 127.0.0.1:PRIMARY_PORT with the TSIG key of
# TSIG_SECRET_FILE (alg:name:secret) and takes NOTIFY from it. Ready once it has the zone.
#   LISTEN=127.0.0.6  answer on this loopback address instead (the primary stays 127.0.0.1)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ $# -eq 5 ] || die "usage: $0 DIR PORT PRIMARY_PORT TSIG_SECRET_FILE ZONE"
mkdir -p "$1" && DIR=$(cd "$1" && pwd -P)
PORT=$2 PRIMARY=$3 SECRET_FILE=$4 ZONE=$5
command -v nsd >/dev/null || die "nsd is not installed (make deps)"
ADDR=$(listen_addr) || exit 1
port_free "$PORT" "$ADDR" || die "port $PORT is in use on $ADDR"
[ ${#DIR} -lt 95 ] || die "$DIR is too long for a control socket path"
IFS=: read -r ALG NAME SECRET < "$SECRET_FILE"
umask 077
# username "": stay the invoking user (Debian's nsd drops to 'nsd', who cannot write DIR)
cat > "$DIR/nsd.conf" <<CONF
server:
    ip-address: $ADDR@$PORT
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$DIR"
    database: ""
    zonelistfile: "$DIR/zone.list"
    xfrdfile: "$DIR/xfrd.state"
    xfrdir: "$DIR"
    pidfile: "$DIR/nsd.pid"
    logfile: "$DIR/nsd.log"
    verbosity: 2
    server-count: 1
    xfrd-reload-timeout: 0
remote-control:
    control-enable: yes
    control-interface: "$DIR/nsd.ctl"
key:
    name: "$NAME"
    algorithm: $ALG
    secret: "$SECRET"
zone:
    name: "$ZONE"
    zonefile: "$DIR/$ZONE.zone"
    request-xfr: 127.0.0.1@$PRIMARY $NAME
    allow-notify: 127.0.0.1 $NAME
CONF
umask 022
nsd-checkconf "$DIR/nsd.conf" || die "nsd-checkconf failed"
cd "$DIR"
nsd -d -c "$DIR/nsd.conf" </dev/null >"$DIR/nsd.stderr.log" 2>&1 &
PID=$!
echo "$PID" > "$DIR/server.pid"
if ! wait_until "$PID" 20 sh -c "dig @$ADDR -p $PORT $ZONE SOA +norec +time=1 +tries=1 | grep -q 'status: NOERROR'"; then
	tail -5 "$DIR/nsd.stderr.log" "$DIR/nsd.log" >&2
	stop_pid "$DIR" 'nsd*'
	die "nsd did not get the zone"
fi
echo "nsd pid $PID on $ADDR:$PORT, secondary of 127.0.0.1:$PRIMARY"
