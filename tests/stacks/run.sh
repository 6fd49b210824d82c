#!/bin/bash
# tests/stacks/run.sh BUILD: every tests/stacks/test_*.sh through the netns
# runner (namespaces of their own, a timeout each, leftovers removed), after
# the Node.js stacks are installed (npm-deps.sh; the Debian ones come from
# scripts/deps.sh).
here=$(cd "$(dirname "$0")" && pwd)
"$here/npm-deps.sh" || echo "stacks: npm-deps.sh failed; the dcmjs-dimse tests will fail" >&2
exec "$here/../netns/run.sh" "${1:-build}" "$here"
