#!/bin/bash
# stop-pdns.sh DIR - stops the pdns_server started by start-pdns.sh DIR (by its PID only)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ $# -eq 1 ] || die "usage: $0 DIR"
stop_pid "$1" pdns_server
