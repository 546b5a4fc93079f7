#!/usr/bin/env bash
# Opt-in (needs the npm registry): install a scaffolded frontend's packages and run `vite build`.
# Enable with: cmake -B build -DBERTH_TEST_NPM=ON && ctest --test-dir build -R vite
source "$(dirname "$0")/lib.sh" "$1"
expect_ok --store "$TMP/store" scaffold openai/gpt-5-mini 1 --out "$TMP/app"
cd "$TMP/app/frontend" || exit 1
if timeout 600 npm install --no-audit --no-fund >"$TMP/npm.log" 2>&1; then pass; else fail "npm install: $(tail -5 "$TMP/npm.log")"; fi
if timeout 300 npx vite build >"$TMP/vite.log" 2>&1; then pass; else fail "vite build: $(tail -20 "$TMP/vite.log")"; fi
[ -f dist/index.html ] && grep -q '<title>openai-gpt-5-mini-app1</title>' dist/index.html && pass || fail "dist/index.html missing or wrong"
ls dist/assets/*.js >/dev/null 2>&1 && pass || fail "no JavaScript bundle in dist/assets"
finish
