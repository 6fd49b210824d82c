# shellcheck shell=sh
# Sourced by scripts/deps.sh and scripts/cross-deps.sh: install the Debian
# packages of a list that are missing, and nothing else.
#
#   sw_apt_install TAG [--arch FOREIGN] PACKAGE...
#
# A package is looked up qualified by the native architecture first: once a
# foreign one is added for the cross build, a bare name is ambiguous. Adding
# a foreign architecture, or lists older than 6 hours, refresh the package
# lists once.
sw_apt_native=$(dpkg --print-architecture)
sw_apt_stamp=/var/lib/apt/periodic/scanwall-update-stamp

sw_apt_installed() {
	{ dpkg-query -W -f='${Status}' "$1:$sw_apt_native" 2>/dev/null ||
		dpkg-query -W -f='${Status}' "$1" 2>/dev/null; } | grep -q "install ok installed"
}

sw_apt_install() {
	tag=$1 foreign=
	shift
	if [ "${1:-}" = --arch ]; then
		foreign=$2
		shift 2
	fi
	missing=
	for p in "$@"; do
		sw_apt_installed "$p" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "$tag: missing Debian packages:$missing (run as root to install)" >&2
		return 1
	fi
	echo "$tag: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	if [ -n "$foreign" ] && ! dpkg --print-foreign-architectures | grep -qx "$foreign"; then
		dpkg --add-architecture "$foreign"
		rm -f "$sw_apt_stamp"
	fi
	if [ ! -f "$sw_apt_stamp" ] || [ -n "$(find "$sw_apt_stamp" -mmin +360 2>/dev/null)" ]; then
		apt-get update -qq
		mkdir -p "$(dirname "$sw_apt_stamp")" && touch "$sw_apt_stamp"
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
