#!/bin/bash
# tests/attack/run.sh BUILD: every tests/attack/test_*.sh through the netns runner
# (namespaces of their own, a timeout each, leftovers removed).
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../netns/run.sh" "${1:-build}" "$here"
