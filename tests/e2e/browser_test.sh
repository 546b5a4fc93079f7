#!/usr/bin/env bash
# The front door's page in a real browser: Debian's chromium, headless, loads it through a real
# nginx (berth proxy --standalone), finds every app and the preview, narrows the list with the
# search (a #q= link), follows an app's link to a live Flask backend (gunicorn) behind the
# proxy, and takes a screenshot.
#   browser_test.sh <berth> <screenshot.png>
SHOT=$(realpath -m "$2")
source "$(dirname "$0")/lib.sh" "$1"
S="$TMP/store"
LISTEN=18580
expect_ok --store "$S" pool set apps --range backend=18601-18699 --range frontend=18701-18799 --step 2
expect_ok --store "$S" reserve openai/gpt-5-mini 1
expect_ok --store "$S" reserve openai/gpt-5-mini 2 --owner task-a
expect_ok --store "$S" pool set pv --lease --range port=18590-18599
expect_ok --store "$S" lease acquire pr-12 --pool pv
# A backend-only app, adopted: the front door routes to its backend, which runs for real.
mkdir -p "$TMP/tree/anthropic_claude-4.5-haiku-20251001/app1/backend"
expect_ok --store "$S" backfill "$TMP/tree"
app="$TMP/tree/anthropic_claude-4.5-haiku-20251001/app1"
backend=$(sed -n 's/^BACKEND_PORT=//p' "$app/.env")
(cd "$app/backend" && PYTHONDONTWRITEBYTECODE=1 exec gunicorn --bind "127.0.0.1:$backend" app:app \
  >"$TMP/gunicorn.log" 2>&1) &
pid=$!
expect_ok --store "$S" proxy --standalone --listen $LISTEN -o "$TMP/front/nginx.conf"
chmod 755 "$TMP" "$TMP/front"  # nginx's workers (nobody, when started as root) read the page
nginx -p "$TMP/front" -c "$TMP/front/nginx.conf" >"$TMP/nginx.log" 2>&1 && pass || fail "nginx: $(cat "$TMP/nginx.log")"
trap 'nginx -p "$TMP/front" -c "$TMP/front/nginx.conf" -s stop 2>/dev/null; kill $pid 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$backend/health" >/dev/null && break; sleep 0.2; done

browser() {  # browser ARGS... URL: headless chromium, this test's own profile, no network of its own
  HOME="$TMP/home" timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --user-data-dir="$TMP/profile" \
    "$@" 2>>"$TMP/chromium.log"
}
browser --dump-dom "http://localhost:$LISTEN/" >"$TMP/dom.html"
for project in openai-gpt-5-mini-app1 openai-gpt-5-mini-app2 anthropic-claude-4-5-haiku-20251001-app1; do
  grep -q "<a href=\"http://$project.localhost:$LISTEN/\">$project</a>" "$TMP/dom.html" && pass ||
    fail "the page has no link to $project: $(head -c 600 "$TMP/dom.html") $(tail -3 "$TMP/chromium.log")"
done
grep -q '<a href="/app/preview/pr-12/">pr-12</a>' "$TMP/dom.html" && pass || fail "the page has no preview"
grep -q '<td>task-a</td>' "$TMP/dom.html" && pass || fail "the page does not show the owner"
expect_eq "rows" "$(grep -c '<tr data-search=' "$TMP/dom.html")" 4

# The search, run by the browser: only the matching row and its section stay shown.
browser --dump-dom "http://localhost:$LISTEN/#q=TASK-A" >"$TMP/search.html"
expect_eq "rows shown for 'TASK-A'" "$(grep '<tr data-search=' "$TMP/search.html" | grep -vc 'hidden=')" 1
grep '<tr data-search=' "$TMP/search.html" | grep -v 'hidden=' | grep -q openai-gpt-5-mini-app2 && pass ||
  fail "the search kept the wrong row: $(grep '<tr' "$TMP/search.html")"
expect_eq "sections shown" "$(grep -c '<section>' "$TMP/search.html")" 1
browser --dump-dom "http://localhost:$LISTEN/#q=nothing-like-it" >"$TMP/none.html"
grep -q '<p id="none" class="note">Nothing matches.</p>' "$TMP/none.html" && pass ||
  fail "no 'Nothing matches' for a search that matches nothing"

# Follow the backend-only app's link, through the front door, to its live backend.
link=$(grep -o "href=\"http://anthropic[^\"]*\"" "$TMP/dom.html" | cut -d'"' -f2)
browser --dump-dom "${link}health" >"$TMP/health.html"
grep -q '"project":"anthropic-claude-4-5-haiku-20251001-app1"' "$TMP/health.html" && pass ||
  fail "the link did not reach the backend: $(cat "$TMP/health.html") $(tail -3 "$TMP/gunicorn.log")"

mkdir -p "$(dirname "$SHOT")"
browser --hide-scrollbars --window-size=1100,640 --screenshot="$SHOT" "http://localhost:$LISTEN/" >/dev/null
[ "$(head -c 8 "$SHOT" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] && pass || fail "no PNG screenshot at $SHOT"
[ "$(stat -c %s "$SHOT")" -gt 10000 ] && pass || fail "the screenshot is nearly empty"
finish
