# tests/servers/lib.sh - shared by the start/stop scripts and the integration tests (source it).
# Servers bind to 127.0.0.1 only (or another 127.0.0.0/8 address with LISTEN=ADDR), run from
# a temp dir, and are stopped by their recorded PID.

die() { echo "ERROR: $*" >&2; exit 1; }

now_ms() { date +%s%3N; }

# port_free PORT [ADDR]: nothing listens on it (TCP or UDP); with ADDR, nothing on ADDR:PORT
# nor on the wildcard address (servers of a test hierarchy share a port on 127.0.0.x)
port_free() {
	local out
	out=$(ss -Hlntu "( sport = :$1 )" 2>/dev/null)
	[ -z "$out" ] && return 0
	[ -n "${2:-}" ] || return 1
	! printf '%s\n' "$out" | awk -v p=":$1" -v a="$2:$1" \
		'$5 == a || $5 == "0.0.0.0" p || $5 == "*" p || $5 == "[::]" p { f = 1 } END { exit !f }'
}

# listen_addr: $LISTEN (the address a start script's server listens on), default 127.0.0.1;
# refuses anything but an IPv4 loopback address (tests talk to loopback only)
listen_addr() {
	local a=${LISTEN:-127.0.0.1}
	case "$a" in 127.*) ;; *) die "LISTEN=$a: not a 127.0.0.0/8 address";; esac
	[[ "$a" =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "LISTEN=$a: not an IPv4 address"
	echo "$a"
}

# free_port: a random free high port (also keeps PORT+1000 free for control channels).
# Ports handed out before in this shell are not handed out again (nor within 1000 of
# one another's control port): servers are started only after all ports are chosen.
ZS_PORTS_TAKEN=${ZS_PORTS_TAKEN:-}
free_port() {
	local p i q clash
	for i in $(seq 1 200); do
		# below the ephemeral range (32768+ on Linux): a client's source port never takes it
		p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 11700 ))
		clash=0
		for q in $ZS_PORTS_TAKEN; do
			if [ $p = $q ] || [ $p = $((q + 1000)) ] || [ $((p + 1000)) = $q ]; then clash=1; fi
		done
		if [ $clash = 0 ] && port_free "$p" && port_free $((p + 1000)); then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# take_port VAR: like VAR=$(free_port), but remembered (a subshell could not remember)
take_port() {
	local p
	p=$(free_port) || return 1
	ZS_PORTS_TAKEN="$ZS_PORTS_TAKEN $p"
	printf -v "$1" '%s' "$p"
}

# alive PID: running and not a zombie
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wait_until PID TIMEOUT_S CMD...: poll CMD every 50 ms while PID lives
wait_until() {
	local pid=$1 timeout=$2 deadline
	shift 2
	deadline=$(( $(now_ms) + timeout * 1000 ))
	while :; do
		alive "$pid" || return 1
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# stop_pid DIR COMM: SIGTERM the PID in DIR/server.pid if its /proc comm matches, then SIGKILL
stop_pid() {
	local dir=$1 comm=$2 pid actual i
	[ -f "$dir/server.pid" ] || return 0
	pid=$(cat "$dir/server.pid")
	case "$pid" in ''|*[!0-9]*) return 1;; esac
	if alive "$pid"; then
		actual=$(cat "/proc/$pid/comm" 2>/dev/null)
		# shellcheck disable=SC2254
		case "$actual" in $comm) ;; *) echo "pid $pid is '$actual', not $comm: not killed" >&2; return 1;; esac
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 150); do alive "$pid" || break; sleep 0.1; done
		alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$dir/server.pid"
}

# tsig_setup DIR NAME: DIR/tsig.key (BIND syntax) and DIR/tsig.secret (alg:name:secret)
tsig_setup() {
	local dir=$1 name=$2 secret
	if [ -f "$dir/tsig.secret" ]; then return 0; fi
	secret=${TSIG_SECRET:-$(head -c 32 /dev/urandom | base64)}
	umask 077
	printf 'hmac-sha256:%s:%s\n' "$name" "$secret" > "$dir/tsig.secret"
	printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$name" "$secret" > "$dir/tsig.key"
	umask 022
}
