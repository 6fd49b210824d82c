#!/bin/sh
# firmware/fetch-debs.sh CACHE: downloads the arm64 Debian packages of the
# image (firmware/packages.txt with their dependencies, and the kernel the
# linux-image-arm64 meta package names) into CACHE, without installing any
# of them on this machine, and writes CACHE/manifest: one line per package,
# "name version architecture file", the exact set the image is built from.
# A line "NAME alone" in packages.txt downloads NAME without its
# dependencies, as the kernel is (see there).
#
# An empty dpkg status file makes apt resolve the full dependency closure
# as for an empty arm64 system; the host's own package lists are used
# (scripts/cross-deps.sh added the arm64 architecture). Files already in
# CACHE are not fetched again.
set -eu

cache=${1:?usage: fetch-debs.sh CACHE}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$cache/partial" "$cache/state"
cache=$(cd "$cache" && pwd)
: >"$cache/state/status"

apt_opts="-o Dir::State::status=$cache/state/status -o APT::Architecture=arm64
	-o APT::Architectures::=arm64 -o Dir::Cache::archives=$cache
	-o APT::Install-Recommends=false -o Debug::NoLocking=1"
pkgs=$(sed -e 's/#.*//' "$here/packages.txt" | awk 'NF && $2 != "alone" { print $1 }' | tr '\n' ' ')
alone=$(sed -e 's/#.*//' "$here/packages.txt" | awk '$2 == "alone" { print $1 }' | tr '\n' ' ')

# fetch_alone PKG: PKG's version for arm64 in CACHE, and nothing it depends
# on; prints "PKG VERSION" for the plan. apt-get download writes into the
# current directory, as _apt where it can.
fetch_alone() {
	# shellcheck disable=SC2086
	ver=$(apt-cache $apt_opts show "$1:arm64" | sed -n 's/^Version: //p' | head -n 1)
	[ -n "$ver" ] || { echo "fetch-debs: no $1 for arm64" >&2; return 1; }
	f=""
	for d in "$cache/${1}_"*_arm64.deb; do [ -f "$d" ] && f=$d; done
	if [ -z "$f" ] || [ "$(dpkg-deb -f "$f" Version)" != "$ver" ]; then
		rm -f "$cache/${1}_"*.deb
		# shellcheck disable=SC2086
		(cd "$cache" && apt-get -qq $apt_opts download "$1:arm64" 2>/dev/null)
	fi
	echo "$1 $ver"
}

# The kernel: the versioned package behind the meta package. Installing it
# through apt would pull initramfs-tools and the rest of a Debian system,
# so it is downloaded alone; it depends on nothing the image needs.
# shellcheck disable=SC2086
kpkg=$(apt-cache $apt_opts depends linux-image-arm64:arm64 |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -n 1)
[ -n "$kpkg" ] || { echo "fetch-debs: no kernel behind linux-image-arm64:arm64" >&2; exit 1; }

# shellcheck disable=SC2086
apt-get -qq -y $apt_opts --download-only install $pkgs >/dev/null
# shellcheck disable=SC2086
plan=$(apt-get -qq -y $apt_opts -s install $pkgs | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p')
# The packages taken alone: their programs' libraries must come with the
# others (mkimage.sh stops at a library no package in the manifest has).
for p in $kpkg $alone; do
	plan="$plan
$(fetch_alone "$p")" || exit 1
done

# Every planned package must be in the cache at exactly the planned
# version: the manifest is what the SBOM and the image are made of.
: >"$cache/manifest.new"
echo "$plan" | while read -r name ver; do
	[ -n "$name" ] || continue
	f=""
	for d in "$cache/${name}_"*.deb; do
		[ -f "$d" ] || continue
		[ "$(dpkg-deb -f "$d" Version)" = "$ver" ] && f=$d
	done
	[ -n "$f" ] || { echo "fetch-debs: $name $ver not downloaded" >&2; exit 1; }
	echo "$name $ver $(dpkg-deb -f "$f" Architecture) $(basename "$f")" >>"$cache/manifest.new"
done
sort "$cache/manifest.new" >"$cache/manifest" && rm -f "$cache/manifest.new"
