#!/bin/sh
# Watchdog for test daemons, used by `konbit_testkit::daemon::Daemon`.
#
# Usage: watchdog.sh PIDFILE PROGRAM [ARGS...]
#
# The caller starts this script in a new process group (`process_group(0)`)
# with stdin connected to a pipe whose write end only the test process holds.
# The script starts PROGRAM in the background (same process group, stdin from
# /dev/null), records its pid in PIDFILE, then blocks reading stdin. When the
# pipe closes (the `Daemon` was dropped, or the test process exited, panicked
# or was SIGKILLed), it SIGKILLs its whole process group: itself, PROGRAM and
# every descendant that did not leave the group.
pidfile=$1
shift
"$@" </dev/null &
echo "$!" >"$pidfile"
cat >/dev/null
kill -KILL 0
