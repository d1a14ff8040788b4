#!/bin/bash
# stop-knot.sh DIR - stops the knotd started by start-knot.sh DIR (by its PID only)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ $# -eq 1 ] || die "usage: $0 DIR"
stop_pid "$1" knotd
