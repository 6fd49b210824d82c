#!/bin/sh
# Install the Debian packages scanwall needs to build and test, and only those
# that are missing: a fresh machine runs this from `make`, `make check` and
# `make demo`, a prepared one pays a dpkg query per package and nothing else.
#
#   scripts/deps.sh [build|test|fuzz|bench|all]   (default: all)
set -eu

# python3 is named although python3-kconfiglib pulls it in: the build runs
# it (Kconfig) and the tests' helpers are Python (/usr/bin/python3).
build_pkgs="build-essential pkg-config libnetfilter-queue-dev libmnl-dev libmbedtls-dev libcrypt-dev
            libpcap-dev libedit-dev python3 python3-kconfiglib"
test_pkgs="libcmocka-dev dcmtk iproute2 iptables nftables tcpdump curl openssl kmod
           prometheus rsyslog rsyslog-openssl chromium
           procps psmisc ethtool hping3
           orthanc libgdcm-tools nmap nodejs"
fuzz_pkgs="clang"
bench_pkgs="iperf3 valgrind conntrack"

case "${1:-all}" in
build) want=$build_pkgs ;;
test) want="$build_pkgs $test_pkgs" ;;
fuzz) want="$build_pkgs $fuzz_pkgs" ;;
bench) want="$build_pkgs $test_pkgs $bench_pkgs" ;;
all) want="$build_pkgs $test_pkgs $fuzz_pkgs" ;;
*) echo "usage: $0 [build|test|fuzz|bench|all]" >&2; exit 2 ;;
esac

. "$(dirname "$0")/apt-lib.sh"
# shellcheck disable=SC2086
sw_apt_install deps $want
