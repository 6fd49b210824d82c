#!/bin/bash
# Runs each cmocka test binary; cmocka prints its own per-test lines, and
# each binary's result is recorded for the closing summary.
. "$(dirname "$0")/../lib.sh"
status=0
for t in "$@"; do
	name=$(basename "$t")
	if "$t"; then ok "unit $name"; else fail "unit $name"; status=1; fi
done
exit 0
