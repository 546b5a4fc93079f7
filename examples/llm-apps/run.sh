#!/usr/bin/env bash
# The main job: configure and build examples/llm-apps (six apps of two models) with a fresh store,
# then show the table and where the apps are.
#   bash examples/llm-apps/run.sh <path to berth> <build folder>
set -euo pipefail
BERTH=$(realpath "$1")
BUILD=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$BUILD" "$BUILD-store"
cmake -S "$here" -B "$BUILD" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$BUILD-store"
cmake --build "$BUILD"
echo
"$BERTH" --store "$BUILD-store" list
echo
echo "apps:  $BUILD/apps/<model>/app<N>   (cd there && docker compose up --build)"
echo "store: $BUILD-store   summary: $BUILD/berth/apps.json"
