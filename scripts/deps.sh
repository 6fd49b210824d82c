#!/bin/sh
# Install the Debian packages scanwall needs to build and test, and only those
# that are missing: a fresh machine runs this from `make`, `make check` and
# `make demo`, a prepared one pays a dpkg query per package and nothing else.
#
#   scripts/deps.sh [build|test|fuzz|bench|all]   (default: all)
set -eu

build_pkgs="build-essential pkg-config libnetfilter-queue-dev libmnl-dev libmbedtls-dev libcrypt-dev
            libpcap-dev libedit-dev python3-kconfiglib"
test_pkgs="libcmocka-dev dcmtk iproute2 iptables nftables tcpdump curl openssl kmod
           prometheus rsyslog rsyslog-openssl chromium
           procps psmisc"
fuzz_pkgs="clang"
bench_pkgs="iperf3 ethtool valgrind conntrack"

case "${1:-all}" in
build) want=$build_pkgs ;;
test) want="$build_pkgs $test_pkgs" ;;
fuzz) want="$build_pkgs $fuzz_pkgs" ;;
bench) want="$build_pkgs $test_pkgs $bench_pkgs" ;;
all) want="$build_pkgs $test_pkgs $fuzz_pkgs" ;;
*) echo "usage: $0 [build|test|fuzz|bench|all]" >&2; exit 2 ;;
esac

# Qualified by the native architecture first: once arm64 is added for the
# cross build (scripts/cross-deps.sh), a bare -dev name is ambiguous.
arch=$(dpkg --print-architecture)
installed() {
	{ dpkg-query -W -f='${Status}' "$1:$arch" 2>/dev/null ||
		dpkg-query -W -f='${Status}' "$1" 2>/dev/null; } | grep -q "install ok installed"
}

missing=""
for p in $want; do
	installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine are empty or stale; refresh them once.
stamp=/var/lib/apt/periodic/scanwall-update-stamp
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
	apt-get update -qq
	mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
