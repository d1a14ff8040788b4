#!/bin/bash
# start-bind.sh DIR PORT RNDC_PORT - BIND named on 127.0.0.1:PORT for zonesync's tests.
#   LISTEN=ADDR                         answer on this address instead (rndc stays on
#                                       127.0.0.1:RNDC_PORT). named listens only on addresses
#                                       an interface has: 127.0.0.2 works where lo has it, not
#                                       through the 127.0.0.0/8 route alone (knotd and nsd do)
#   STATIC_ZONES="a.example b.example"  zones read from DIR/zones/ZONE.zone (the zonefile
#                                       provider writes them; reload by rndc). May be absent at start.
#   DYNAMIC_ZONES="c.example"           zones updatable by RFC 2136 with the TSIG key, AXFR allowed
#                                       with it; started from a minimal zone (DIR/dyn/ZONE.zone)
#   TSIG_NAME (zonesync-key), TSIG_SECRET (random)
#   SIGNED_ZONES="s.example"            dynamic zones (as above) that named signs itself
#                                       (dnssec-policy default, keys in DIR/keys): it adds
#                                       DNSKEY, RRSIG, NSEC and its TYPE65534 records
#   NOTIFY_PORTS="5304 ..."            send NOTIFY (signed) for the dynamic zones to 127.0.0.1 on these ports
#   READER_KEY=name                     a second key, allowed to transfer but not to update
#                                       (its secret in DIR/reader.secret)
# Writes DIR/named.conf, DIR/rndc.key, DIR/tsig.key, DIR/tsig.secret, DIR/server.pid, DIR/named.log.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ $# -eq 3 ] || die "usage: $0 DIR PORT RNDC_PORT"
mkdir -p "$1" && DIR=$(cd "$1" && pwd -P)
PORT=$2 RNDC_PORT=$3
TSIG_NAME=${TSIG_NAME:-zonesync-key}
command -v named >/dev/null || die "named is not installed (make deps)"
ADDR=$(listen_addr) || exit 1
ip -4 -o addr show 2>/dev/null | grep -q " inet $ADDR/" ||
	die "LISTEN=$ADDR: no interface has it, and named listens only on interface addresses (knotd does not need one)"
port_free "$PORT" "$ADDR" || die "port $PORT is in use on $ADDR"
port_free "$RNDC_PORT" || die "port $RNDC_PORT is in use"
mkdir -p "$DIR/zones" "$DIR/dyn"
tsig_setup "$DIR" "$TSIG_NAME"
READER_ACL=""
if [ -n "${READER_KEY:-}" ]; then
	[ -f "$DIR/reader.secret" ] || head -c 32 /dev/urandom | base64 > "$DIR/reader.secret"
	printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$READER_KEY" "$(cat "$DIR/reader.secret")" > "$DIR/reader.key"
	READER_ACL=" key \"$READER_KEY\";"
fi
[ -f "$DIR/rndc.key" ] || rndc-confgen -a -A hmac-sha256 -k rndc-key -c "$DIR/rndc.key" >/dev/null 2>&1

{
	echo "include \"$DIR/tsig.key\";"
	echo "include \"$DIR/rndc.key\";"
	[ -n "${READER_KEY:-}" ] && echo "include \"$DIR/reader.key\";"
	cat <<CONF
options {
	directory "$DIR";
	pid-file "$DIR/named.pid";
	session-keyfile "$DIR/session.key";
	managed-keys-directory "$DIR";
	dump-file "$DIR/named_dump.db";
	statistics-file "$DIR/named.stats";
	listen-on port $PORT { $ADDR; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { inet 127.0.0.1 port $RNDC_PORT allow { 127.0.0.1; } keys { "rndc-key"; }; };
CONF
	for z in ${STATIC_ZONES:-}; do
		echo "zone \"$z\" { type primary; file \"$DIR/zones/$z.zone\"; };"
	done
	for z in ${DYNAMIC_ZONES:-} ${SIGNED_ZONES:-}; do
		if [ ! -f "$DIR/dyn/$z.zone" ]; then
			printf '$TTL 300\n@ IN SOA ns1.%s. hostmaster.%s. 1 3600 600 86400 300\n@ IN NS ns1.%s.\nns1 IN A 127.0.0.1\n' \
				"$z" "$z" "$z" > "$DIR/dyn/$z.zone"
			rm -f "$DIR/dyn/$z.zone.jnl"
		fi
		echo "zone \"$z\" { type primary; file \"$DIR/dyn/$z.zone\"; journal \"$DIR/dyn/$z.zone.jnl\";"
		case " ${SIGNED_ZONES:-} " in *" $z "*)
			mkdir -p "$DIR/keys"
			echo "  dnssec-policy default; key-directory \"$DIR/keys\";" ;;
		esac
		if [ -n "${NOTIFY_PORTS:-}" ]; then
			# notify-delay 0: BIND otherwise waits up to 5 s between NOTIFY rounds
			printf '  notify explicit; notify-delay 0; also-notify {'
			for np in $NOTIFY_PORTS; do printf ' 127.0.0.1 port %s key "%s";' "$np" "$TSIG_NAME"; done
			printf ' };\n'
		fi
		echo "  allow-update { key \"$TSIG_NAME\"; }; allow-transfer { key \"$TSIG_NAME\";$READER_ACL }; };"
	done
} > "$DIR/named.conf"
named-checkconf "$DIR/named.conf" || die "named-checkconf failed"

cd "$DIR"
named -4 -g -c "$DIR/named.conf" </dev/null >"$DIR/named.log" 2>&1 &
PID=$!
echo "$PID" > "$DIR/server.pid"
# ready when it answers at all (static zones may not exist yet, so not necessarily with data)
if ! wait_until "$PID" 15 dig @"$ADDR" -p "$PORT" . SOA +norec +time=1 +tries=1; then
	tail -20 "$DIR/named.log" >&2
	stop_pid "$DIR" named
	die "named did not start"
fi
echo "named pid $PID on $ADDR:$PORT (rndc $RNDC_PORT)"
