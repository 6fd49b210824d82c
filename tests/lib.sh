# Shared by the shell test runners: every check reports through ok/fail so
# that `make check` can close with one "N passed, N failed" line
# (scripts/summary.sh) and exit non-zero if anything failed.
SW_RESULTS=${SW_RESULTS:-$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)/build/test-results.txt}
mkdir -p "$(dirname "$SW_RESULTS")"

ok() {
	printf 'PASS %s\n' "$*" >>"$SW_RESULTS"
	printf '  ok    %s\n' "$*"
}

fail() {
	printf 'FAIL %s\n' "$*" >>"$SW_RESULTS"
	printf '  FAIL  %s\n' "$*" >&2
}

# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}
