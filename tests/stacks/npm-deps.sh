#!/bin/sh
# Installs the Node.js stacks of tests/stacks (dcmjs-dimse, pinned with its
# package-lock.json) into tests/stacks/node_modules: `npm ci` only when the
# installed tree is not the locked one, so a second run costs a compare.
# Called by tests/stacks/run.sh and by the tests that need it.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
# the lockfile the tree was installed from, kept beside it
stamp=$dir/node_modules/.scanwall-lock.json
if cmp -s "$dir/package-lock.json" "$stamp" 2>/dev/null; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	. "$dir/../../scripts/apt-lib.sh"
	sw_apt_install stacks nodejs npm
fi
cd "$dir"
npm ci --no-audit --no-fund --loglevel=error >&2
cp package-lock.json "$stamp"
