#!/usr/bin/env bash
# The main job until the CMake module lands: reserve seed 000's six apps in a fresh store, in
# one transaction, and print the table.
#   bash examples/seed-table/run.sh <path to berth>
set -euo pipefail
BERTH=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
store="$(dirname "$BERTH")/../example-store"
rm -rf "$store"
"$BERTH" --store "$store" reserve --batch "$here/apps.json" >/dev/null
"$BERTH" --store "$store" list
"$BERTH" --store "$store" check
echo "store: $(realpath "$store")"
