#!/bin/bash
# stop-bind.sh DIR - stops the named started by start-bind.sh DIR (by its PID only)
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ $# -eq 1 ] || die "usage: $0 DIR"
stop_pid "$1" named
