#!/bin/bash
# stop-nsd.sh DIR - stops the nsd started by start-nsd.sh DIR (by its PID only)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ $# -eq 1 ] || die "usage: $0 DIR"
stop_pid "$1" 'nsd*'
