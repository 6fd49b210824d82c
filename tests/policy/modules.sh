#!/bin/bash
# Every ruleset scanwalld may load must load on the image's kernel, whose
# modules are only those firmware/rootfs/etc/scanwall/modules names (the
# host kernel autoloads its own, so a missing one shows only in the qemu
# test: the bridge table's `meta` once needed nft_meta_bridge, which the
# image lacked). Host-side, without qemu:
#
#   templates/*.conf, tests/policy/*.conf, tests/netns/policy/*.conf,
#   tests/attack/*.conf ─▶ BUILD/tests/rsrender (both backends' documents, as
#   the apply path renders them) + firmware/rootfs/etc/scanwall/closed.nft
#     ─▶ nft --debug=netlink in a scratch network namespace (check mode; the
#        xt documents loaded there by iptables-restore and listed)
#     ─▶ every table family, nft expression, xt match and target they use
#     ─▶ its module in the image's list and its option in
#        firmware/kernel/scanwall.config (=m, or =y where built in)
#
# A use the table below does not know fails too: add it with its module.
#
#   tests/policy/modules.sh BUILD
. "$(dirname "$0")/../lib.sh"
build=$(realpath "${1:-build}")
cd "$(dirname "$0")/../.." || exit 0
tmp=$(mktemp -d)
trap '[ -n "${SW_KEEP:-}" ] || rm -rf "$tmp"' EXIT
mods=firmware/rootfs/etc/scanwall/modules
kconf=firmware/kernel/scanwall.config

# USE MODULE OPTION: what provides each use in the image's kernel (Debian
# arm64 6.1): the option =m or =y (built into MODULE: nf_tables holds the
# core expressions, the set types and the families' chain types), MODULE
# in the list. A use may need several rows.
cat >"$tmp/map" <<'MAP'
family:inet nf_tables CONFIG_NF_TABLES_INET
family:bridge nf_tables CONFIG_NF_TABLES_BRIDGE
family:bridge bridge CONFIG_BRIDGE
family:ip nf_tables CONFIG_NF_TABLES_IPV4
family:ip6 nf_tables CONFIG_NF_TABLES_IPV6
expr:payload nf_tables CONFIG_NF_TABLES
expr:cmp nf_tables CONFIG_NF_TABLES
expr:bitwise nf_tables CONFIG_NF_TABLES
expr:immediate nf_tables CONFIG_NF_TABLES
expr:lookup nf_tables CONFIG_NF_TABLES
expr:dynset nf_tables CONFIG_NF_TABLES
expr:counter nf_tables CONFIG_NF_TABLES
expr:range nf_tables CONFIG_NF_TABLES
expr:byteorder nf_tables CONFIG_NF_TABLES
expr:meta nf_tables CONFIG_NF_TABLES
expr:meta@bridge nft_meta_bridge CONFIG_NFT_BRIDGE_META
expr:ct nft_ct CONFIG_NFT_CT
expr:ct nf_conntrack CONFIG_NF_CONNTRACK_MARK
expr:limit nft_limit CONFIG_NFT_LIMIT
expr:objref nft_objref CONFIG_NFT_OBJREF
expr:queue nft_queue CONFIG_NFT_QUEUE
expr:queue nfnetlink_queue CONFIG_NETFILTER_NETLINK_QUEUE
expr:match nft_compat CONFIG_NFT_COMPAT
expr:target nft_compat CONFIG_NFT_COMPAT
match:icmp6 ip6_tables CONFIG_IP6_NF_IPTABLES
match:hl xt_hl CONFIG_IP6_NF_MATCH_HL
target:CONNMARK xt_connmark CONFIG_NETFILTER_XT_CONNMARK
target:NFQUEUE xt_NFQUEUE CONFIG_NETFILTER_XT_TARGET_NFQUEUE
target:NFQUEUE nfnetlink_queue CONFIG_NETFILTER_NETLINK_QUEUE
MAP

# uses FILE: the uses in nft's netlink debug output, one a line
uses() {
	awk '
		/^(ip|ip6|inet|bridge|arp|netdev) [^ ]+ [^ ]+/ { fam = $1; print "family:" fam; next }
		/^  \[/ {
			line = $0
			while (match(line, /\[ [a-z_]+/)) {
				e = substr(line, RSTART + 2, RLENGTH - 2)
				print "expr:" e
				if (fam == "bridge") print "expr:" e "@bridge"
				line = substr(line, RSTART + RLENGTH)
			}
			if (match($0, /\[ (match|target) name [A-Za-z0-9_]+/)) {
				split(substr($0, RSTART + 2, RLENGTH - 2), w, " ")
				print w[1] ":" w[3]
			}
		}' "$1"
}

# the documents: rendered for every policy, and the boot's closed ruleset
n=0
for conf in templates/*.conf tests/policy/*.conf tests/netns/policy/*.conf tests/attack/*.conf; do
	case $(basename "$conf") in bad-*) continue ;; esac
	d="$tmp/doc$n"
	mkdir -p "$d"
	if ! "$build/tests/rsrender" "$conf" "$d" 2>"$d/err"; then
		cat "$d/err" >&2
		fail "modules: $conf renders"
		continue
	fi
	n=$((n + 1))
done
check "modules: rulesets of $n policies rendered" test "$n" -ge 10
mkdir -p "$tmp/closed" && cp firmware/rootfs/etc/scanwall/closed.nft "$tmp/closed/nft.nft"

# their netlink expressions, in a network namespace of our own: nft check
# mode prints them before the kernel answers (this host's kernel has no
# nft queue; the image's has), the xt documents are loaded and listed
: >"$tmp/uses"
unparsed=
for d in "$tmp"/doc* "$tmp/closed"; do
	for f in "$d"/*.nft; do
		# The kernel's errors to stderr, not into the listing. nft fails
		# here where this kernel lacks what the image's has (the queue
		# statement): the kernel's answer, "Could not process rule",
		# comes after nft parsed the document and printed it. Any other
		# error is nft's own (a document it cannot parse), and so is an
		# empty listing.
		if ! unshare -n nft --debug=netlink -c -f "$f" >"$f.nl" 2>"$f.err" &&
			grep '^[^ ].*Error: ' "$f.err" | grep -qv 'Error: Could not process rule: ' ||
			! [ -s "$f.nl" ]; then
			cat "$f.err" >&2
			unparsed+=" $f"
		fi
		uses "$f.nl" >>"$tmp/uses"
	done
	[ -f "$d/xt4.rules" ] || continue
	if unshare -n bash -c 'iptables-restore -w 5 --noflush <"$1" && ip6tables-restore -w 5 --noflush <"$2" &&
		nft --debug=netlink list ruleset' _ "$d/xt4.rules" "$d/xt6.rules" >"$d/xt.nl" 2>&1; then
		uses "$d/xt.nl" >>"$tmp/uses"
	else
		cat "$d/xt.nl" >&2
		fail "modules: the xt documents of $d load in a scratch namespace"
	fi
done
check "modules: nft parses and lists every document:${unparsed:- all}" test -z "$unparsed"
sort -u "$tmp/uses" -o "$tmp/uses"
check "modules: the documents use the bridge family's meta, ct, queue, xt targets" \
	bash -c 'grep -qx "expr:meta@bridge" "$1" && grep -qx expr:ct "$1" && grep -qx expr:queue "$1" &&
		grep -qx target:NFQUEUE "$1"' _ "$tmp/uses"

missing=
while read -r use; do
	# a bridge-family expression needs a row of its own only where the bridge
	# has its own module (meta@bridge); else the plain expr row covers it
	rows=$(awk -v u="$use" '$1 == u' "$tmp/map")
	if [ -z "$rows" ]; then
		case $use in expr:*@bridge) continue ;; esac
		missing+=" $use(unknown: add it to the table)"
		continue
	fi
	while read -r _ mod opt; do
		state=$(sed -n "s/^$opt=\\([ym]\\)\$/\\1/p" "$kconf")
		if [ -z "$state" ]; then
			missing+=" $use($opt not in $kconf)"
		elif ! grep -qx "$mod" "$mods"; then
			missing+=" $use($mod not in $mods)"
		fi
	done <<<"$rows"
done <"$tmp/uses"
check "modules: every use has its module and kernel option:${missing:- all $(wc -l <"$tmp/uses") present}" \
	test -z "$missing"
exit 0
