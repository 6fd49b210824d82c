#!/bin/sh
# Closes `make check`: counts every PASS and FAIL the runners recorded and
# prints the one line CI reads. Exits 1 when anything failed or nothing ran.
res=${SW_RESULTS:-build/test-results.txt}
[ -f "$res" ] || { echo "0 passed, 0 failed"; exit 1; }
p=$(grep -c '^PASS ' "$res")
f=$(grep -c '^FAIL ' "$res")
if [ "$f" -gt 0 ]; then
	echo "failed:"
	grep '^FAIL ' "$res" | sed 's/^FAIL /  /'
fi
echo "$p passed, $f failed"
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
