#!/bin/bash
# libFuzzer targets (clang): each tests/fuzz/fuzz_NAME.c is built with the
# parsing modules under ASan+UBSan and run for FUZZ_SECONDS (default 60),
# starting from tests/fuzz/seeds/NAME/. A crash leaves its input in
# build/fuzz/NAME/ and fails the run.
#
#   make fuzz                    every target, 60 s each
#   make fuzz FUZZ_SECONDS=600   the 10-minute runs the README reports
set -euo pipefail
cd "$(dirname "$0")/.."
# FUZZ_RECORD=1 (make check): each target is a PASS/FAIL line of the summary.
if [ -n "${FUZZ_RECORD:-}" ]; then . tests/lib.sh; fi
record() { [ -z "${FUZZ_RECORD:-}" ] || "$@"; }
secs=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out"
make --no-print-directory build/include/generated/autoconf.h build/include/generated/sw_version.h >/dev/null
# The parsing modules, and the engine core without its kernel plumbing
# (with the observation table it records into).
# The management plane contributes its HTTP parser only (the rest talks to
# sockets); the JSON reader is in src/common.
srcs=$(ls src/common/*.c src/policy/*.c src/dicom/*.c src/bundle/*.c src/mgmt/http*.c \
	src/learn/*.c src/engine/{pkt,flow,stream,reply,engine,verdict,dflow,admit,hostport,observe,answerlim}.c \
	2>/dev/null |
	grep -v -e '/main\.c$' -e '/tool\.c$' || true)
status=0
for f in "$@"; do
	name=$(basename "$f" .c)
	name=${name#fuzz_}
	bin=$out/fuzz_$name
	echo "  FUZZ    $name (${secs}s)"
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -Iinclude -Ibuild/include -Isrc "$f" $srcs -o "$bin" \
		-lmbedtls -lmbedx509 -lmbedcrypto; then
		echo "  FAIL    $name: does not build" >&2
		record fail "fuzz $name: does not build"
		status=1
		continue
	fi
	corpus=$out/$name/corpus
	mkdir -p "$corpus"
	[ -d "tests/fuzz/seeds/$name" ] && cp -n tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null || true
	if ! (cd "$out/$name" && "../fuzz_$name" -max_total_time="$secs" -print_final_stats=1 \
		-timeout=10 -rss_limit_mb=2048 corpus >"run.log" 2>&1); then
		echo "  FAIL    $name: see $out/$name/run.log" >&2
		tail -30 "$out/$name/run.log" >&2
		status=1
		record fail "fuzz $name (${secs}s)"
	else
		record ok "fuzz $name (${secs}s, $(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/$name/run.log" | grep -o '[0-9]*$') runs)"
		grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$out/$name/run.log" | tail -2 | sed 's/^/          /'
	fi
done
[ -n "${FUZZ_RECORD:-}" ] && exit 0
exit $status
