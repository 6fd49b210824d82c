#!/bin/bash
# One version (issue #16): SW_VERSION set for the Makefile reaches every
# binary's --version and the SBOM; unset, all say the Makefile's default.
#
#   make SW_VERSION=9.9.9 ─▶ scanwalld, scanwall-bundle, scanwall-mgmtd, scanwall --version
#   scripts/sbom.py on a stand-in image directory ─▶ versionInfo
#   SW_VERSION=9.9.9 make -n image sbom ─▶ the cross build's version header,
#     the image's programs linked from it, sbom.py run with it (a dry run:
#     the cross build and the image take minutes and the network)
#
#   tests/version/run.sh BUILD     (builds into BUILD/version-test)
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.." || exit 0
out=${1:-build}/version-test
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out"' EXIT
progs="scanwalld scanwall-bundle scanwall-mgmtd scanwall"
default=$(sed -n 's/^SW_VERSION ?= \(.*\)$/\1/p' Makefile)

if ! make --no-print-directory BUILD="$out" SW_VERSION=9.9.9 -j2 $(printf "$out/%s " $progs) >"$tmp/make.log" 2>&1; then
	cat "$tmp/make.log" >&2
	fail "version: build with SW_VERSION=9.9.9"
	exit 0
fi
for p in $progs; do
	check "version: $p --version says 9.9.9" grep -q "^$p 9\.9\.9\b" <<<"$("$out/$p" --version)"
done

# a stand-in image: the manifest's shape, one package, one program
mkdir -p "$tmp/image"
printf '# board qemu-aarch64 kernel 6.1.0\ndeb libmnl0 1.0.4-3 arm64 libmnl0_1.0.4-3_arm64.deb\nours usr/sbin/scanwalld %s\n' \
	"$(sha256sum "$out/scanwalld" | cut -d' ' -f1)" >"$tmp/image/manifest"
sbom_version() { /usr/bin/python3 scripts/sbom.py qemu-aarch64 "$tmp/image" | /usr/bin/python3 -c \
	'import json,sys; print([p["versionInfo"] for p in json.load(sys.stdin)["packages"] if p["name"] == "scanwall"][0])'; }
check "version: the SBOM says 9.9.9 with SW_VERSION=9.9.9" test "$(SW_VERSION=9.9.9 sbom_version)" = 9.9.9
check "version: ...and the Makefile's $default without" test "$(env -u SW_VERSION bash -c "$(declare -f sbom_version); tmp=$tmp; sbom_version")" = "$default"

# `SW_VERSION=9.9.9 make image sbom` as the release does it, planned only
plan=$(SW_VERSION=9.9.9 make -n --no-print-directory BUILD="$tmp/img" image sbom 2>&1)
check "version: make image gives the cross build 9.9.9" \
	grep -qF "printf '#define SW_VERSION \"%s\"\\n' '9.9.9' >$tmp/img/include/generated/sw_version.h" <<<"$plan"
for p in scanwalld scanwall-mgmtd scanwall; do
	check "version: ...and links the image's $p from it" \
		grep -qE "^aarch64-linux-gnu-gcc .*-o $tmp/img/$p $tmp/img/src/.*/main\.o $tmp/img/libscanwall\.a" <<<"$plan"
done
check "version: ...which firmware/mkimage.sh puts in the image" grep -qF "firmware/mkimage.sh qemu-aarch64 $tmp/img" <<<"$plan"
check "version: make sbom runs sbom.py with 9.9.9" \
	grep -qE "^SW_VERSION=9\.9\.9 .*scripts/sbom\.py qemu-aarch64 $tmp/img/image " <<<"$plan"
check "version: the dry run built nothing" test ! -e "$tmp/img"

# the same build again without it: back to the default, everywhere
make --no-print-directory BUILD="$out" -j2 $(printf "$out/%s " $progs) >"$tmp/make.log" 2>&1
for p in $progs; do
	check "version: $p --version says $default by default" grep -q "^$p $default\b" <<<"$("$out/$p" --version)"
done
exit 0
