#!/bin/bash
# The hardware watchdog is fed by the verdict loop's tick only (issue #16):
# scanwalld --watchdog DEV writes one byte a second while its loop turns,
# nothing while it is stopped, and a 'V' (the magic close that disarms it)
# on a clean stop. A FIFO stands in for /dev/watchdog.
#
#   scanwalld --watchdog FIFO ──bytes──▶ reader (time of each byte)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/../../scripts/topo.sh"
netns_test_begin

wd=$SW_WORK/watchdog
log=$SW_WORK/feeds
mkfifo "$wd"
# prints "SECONDS BYTE" for each byte, SECONDS since it started
/usr/bin/python3 - "$wd" >"$log" <<-'PY' &
	import os, sys, time
	fd = os.open(sys.argv[1], os.O_RDONLY)
	t0 = time.monotonic()
	while True:
	    b = os.read(fd, 1)
	    if not b:
	        break
	    print("%.2f %r" % (time.monotonic() - t0, b), flush=True)
PY
reader=$!
sw_start "$SW_POLICY_DIR/netns.conf" --watchdog "$wd" || { fail "netns watchdog: scanwalld starts"; exit 1; }
feeds() { grep -c "'\\\\x00'" "$log"; }

sleep 3.5
n=$(feeds)
check "netns watchdog: fed about once a second while the loop turns ($n in 3.5 s)" test "$n" -ge 3
kill -STOP "$SW_PID"
n=$(feeds)
sleep 3
check "netns watchdog: not fed while the engine is stopped" test "$(feeds)" = "$n"
kill -CONT "$SW_PID"
sleep 2.5
check "netns watchdog: fed again once it runs" test "$(feeds)" -gt "$n"
sw_stop
wait "$reader" 2>/dev/null
check "netns watchdog: a clean stop disarms it (a 'V' last)" test "$(tail -n 1 "$log" | cut -d' ' -f2)" = "b'V'"
