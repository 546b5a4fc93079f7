#!/usr/bin/env bash
# berth proxy: the generated nginx configuration passes `nginx -t` (as an include and whole),
# is rewritten only when it changes, and a real nginx on a loopback port reaches two real Flask
# servers through it: an app by its Host name, a preview by /app/preview/<id>/.
source "$(dirname "$0")/lib.sh" "$1"
PY=/usr/bin/python3   # Debian's python, which sees python3-flask
S="$TMP/store"
LISTEN=18480
A=18481   # app one's frontend (pinned)
B=18482   # app two's frontend (pinned)

expect_ok --store "$S" reserve one 1 --port frontend=$A
expect_ok --store "$S" reserve two 1 --port frontend=$B
# The previews' own lease pool beside the test's other ports: the preview pool's first ports
# are what other tests and the docs' examples expect to find free.
expect_ok --store "$S" pool set pv --lease --range port=18490-18499
expect_ok --store "$S" lease acquire p56 --pool pv
L=$(cat "$OUT")
expect_ok --store "$S" lease acquire 'odd id' --pool pv

# An http-level include: nginx -t inside a wrapper.
expect_ok --store "$S" proxy -o "$TMP/berth.conf"
expect_out "wrote .*berth.conf and .*berth-index.html \(2 app\(s\), 2 preview\(s\)\)"
[ -f "$TMP/berth-index.html" ] && pass || fail "no front page beside the configuration"
grep -q "root \"$TMP\";" "$TMP/berth.conf" && pass || fail "the include does not name the page's folder"
grep -q "server_name one-app1.localhost;" "$TMP/berth.conf" && pass || fail "no server for one-app1"
grep -q "location /app/preview/p56/" "$TMP/berth.conf" && pass || fail "no location for p56"
grep -q "# lease 'odd id' (port [0-9]*): its id cannot stand in a URL path" "$TMP/berth.conf" && pass ||
  fail "an id with a space must be named, not routed"
mkdir -p "$TMP/nginx/tmp"
printf 'pid nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  include %s;\n}\n' "$TMP/berth.conf" >"$TMP/nginx/wrapper.conf"
nginx -t -p "$TMP/nginx" -c "$TMP/nginx/wrapper.conf" >/dev/null 2>&1 && pass || fail "nginx -t on the include"
touch -d '2001-01-01' "$TMP/berth.conf"
expect_ok --store "$S" proxy -o "$TMP/berth.conf"
expect_out "unchanged"
expect_eq "an unchanged proxy file is not rewritten" "$(stat -c %Y "$TMP/berth.conf")" "$(date -d 2001-01-01 +%s)"
expect_ok --store "$S" proxy
# Standard output is the file, but for the front page's location (no file is written).
expect_eq "standard output is the file" "$(cat "$OUT")" "$(sed '/# The front page/,/^  }$/d' "$TMP/berth.conf")"
expect_fail 2 "--format 'caddy' is not known" --store "$S" proxy --format caddy
# Loopback unless --listen names another address.
expect_ok --store "$S" proxy
grep -qx "  listen 127.0.0.1:80 default_server;" "$OUT" && pass || fail "the default is not 127.0.0.1:80"
expect_ok --store "$S" proxy --listen 8080
grep -qx "  listen 127.0.0.1:8080 default_server;" "$OUT" && pass || fail "a port alone is not on loopback"
expect_ok --store "$S" proxy --listen 0.0.0.0:8080
grep -qx "  listen 0.0.0.0:8080 default_server;" "$OUT" && pass || fail "--listen 0.0.0.0:8080"
expect_ok --store "$S" proxy --listen '[::1]:8080'
grep -qx "  listen \[::1\]:8080 default_server;" "$OUT" && pass || fail "--listen [::1]:8080"
expect_ok --store "$S" proxy --listen '*:8080'
grep -qx "  listen \*:8080 default_server;" "$OUT" && pass || fail "--listen *:8080"
expect_fail 2 "--listen '70000': '70000' is not a port .1 to 65535." --store "$S" proxy --listen 70000
expect_fail 2 "--listen '0.0.0.0:': '' is not a port" --store "$S" proxy --listen 0.0.0.0:
expect_fail 2 "'localhost' is not an address; give an IPv4 address .0.0.0.0 for every interface." \
  --store "$S" proxy --listen localhost:8080
expect_fail 2 "'::1' is not an address" --store "$S" proxy --listen ::1:8080

# A whole nginx.conf, run for real.
expect_ok --store "$S" proxy --standalone --listen $LISTEN -o "$TMP/nginx/nginx.conf"
nginx -t -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" >/dev/null 2>&1 && pass || fail "nginx -t standalone"
cat >"$TMP/server.py" <<'PY'
import sys
from flask import Flask, request
app = Flask(__name__)
@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def any_path(path):
    return f"{sys.argv[2]} /{path} host={request.host}"
app.run(host="127.0.0.1", port=int(sys.argv[1]))
PY
pids=()
for spec in "$A one" "$B two" "$L preview-56"; do
  set -- $spec
  PYTHONDONTWRITEBYTECODE=1 $PY "$TMP/server.py" "$1" "$2" >"$TMP/server.$1.log" 2>&1 &
  pids+=($!)
done
# Started as root, nginx's workers run as nobody: they read the front page only in a folder
# others may enter.
chmod 755 "$TMP" "$TMP/nginx"
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" >"$TMP/nginx.log" 2>&1
trap 'nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -s stop 2>/dev/null; kill ${pids[*]} 2>/dev/null; rm -rf "$TMP"' EXIT
get() {  # get HOST PATH: retries while the servers start
  local body i
  for i in $(seq 1 50); do
    body=$(curl -sf -H "Host: $1" "http://127.0.0.1:$LISTEN$2" 2>/dev/null) && break
    sleep 0.2
  done
  echo "$body"
}
expect_eq "app one by name" "$(get one-app1.localhost /hello)" "one /hello host=one-app1.localhost"
expect_eq "app two by name" "$(get two-app1.localhost /)" "two / host=two-app1.localhost"
expect_eq "a preview by path" "$(get localhost /app/preview/p56/assets/x.js)" "preview-56 /assets/x.js host=localhost"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LISTEN/app/preview/nope/")
expect_eq "an unknown preview" "$code" 404

# The front page, at the default host's /: every app's link (on the front door's port) and
# every preview (an id that cannot stand in a URL has no link), HTML, with no request of its own.
page=$(get localhost /)
expect_eq "the page is the file beside the configuration" "$page" "$(cat "$TMP/nginx/berth-index.html")"
echo "$page" | grep -q "<a href=\"http://one-app1.localhost:$LISTEN/\">one-app1</a>" && pass ||
  fail "front page: no link to one-app1"
echo "$page" | grep -q "<a href=\"http://two-app1.localhost:$LISTEN/\">two-app1</a>" && pass ||
  fail "front page: no link to two-app1"
echo "$page" | grep -q '<a href="/app/preview/p56/">p56</a>' && pass || fail "front page: no preview p56"
echo "$page" | grep -q '<td>odd id (no path: its id cannot stand in a URL)</td>' && pass ||
  fail "front page: the odd id"
echo "$page" | grep -qE 'src=|<link|@import|url\(' && fail "the page requests something" || pass
type=$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$LISTEN/")
expect_eq "the page's type" "$type" "text/html"
expect_eq "the page through an app's link" "$(get one-app1.localhost /)" "one / host=one-app1.localhost"

# berth status: the same apps, with what listens on each port now (the Flask servers on the
# frontends, nothing on the backends) and their front door links.
expect_ok --store "$S" status --front-door $LISTEN
expect_out "^one +1 +partly +backend [0-9]+ +- +http://one-app1.localhost:$LISTEN/$"
expect_out "^ +frontend $A +python3 \(pid [0-9]+\) on 127.0.0.1$"
expect_out "^2 app\(s\): 0 up, 2 partly, 0 down; the front page: http://localhost:$LISTEN/$"
expect_ok --store "$S" status --front-door 80  # port 80: no port in the links
expect_out "^one +1 +partly +backend [0-9]+ +- +http://one-app1.localhost/$"
expect_out "the front page: http://localhost/$"
expect_ok --store "$S" --json status --model two
expect_json '"app":1,"model":"two"'
expect_json "{\"address\":\"127.0.0.1\",\"listening\":true,\"name\":\"frontend\",\"pid\":"
expect_json "\"state\":\"partly\",\"url\":\"http://two-app1.localhost/\""
"$BERTH" --store "$S" --json status | grep -q '"model": "one"' && pass || fail "status --json lists every app"
expect_fail 2 "--front-door 'host:80': 'host' is not an address" --store "$S" status --front-door host:80
expect_fail 2 "--front-door '0': '0' is not a port" --store "$S" status --front-door 0
expect_fail 2 "model name is empty" --store "$S" status --model ''
expect_fail 2 "no berth store in '.*no-store'" --store "$TMP/no-store" status
[ -e "$TMP/no-store" ] && fail "status created a store" || pass

# Real model names: the seed's longest and a 200-byte model give host names nginx's default
# server-name hash cannot hold; the front door sizes it, standalone and as an include in a stock
# Debian nginx.conf's http block. So do 600 apps (beyond the default 512 entries). The standalone
# file's tmp/ folder is made beside it; a real nginx routes both long names.
L="$TMP/long"
LONG=anthropic_claude-4.5-haiku-20251001
M200="$(printf 'm%.0s' $(seq 1 200))"
"$BERTH" --store "$L" reserve $LONG 1 --port frontend=18483 >/dev/null
"$BERTH" --store "$L" reserve "$M200" 1 --port frontend=18484 >/dev/null
expect_ok --store "$L" proxy --standalone --listen 18485 -o "$TMP/ln/nginx.conf"
[ -d "$TMP/ln/tmp" ] && pass || fail "--standalone -o did not make tmp/ beside the file"
nginx -t -p "$TMP/ln" -c "$TMP/ln/nginx.conf" >"$OUT" 2>&1 && pass || fail "nginx -t on long names: $(cat "$OUT")"
long_host=$(grep -o "server_name anthropic[^;]*" "$TMP/ln/nginx.conf" | cut -d' ' -f2)
m_host=$(grep -o "server_name mmmm[^;]*" "$TMP/ln/nginx.conf" | cut -d' ' -f2)
for spec in "18483 long" "18484 m200"; do
  set -- $spec
  PYTHONDONTWRITEBYTECODE=1 $PY "$TMP/server.py" "$1" "$2" >"$TMP/server.$1.log" 2>&1 &
  pids+=($!)
done
nginx -p "$TMP/ln" -c "$TMP/ln/nginx.conf" >"$TMP/nginx-ln.log" 2>&1
trap 'for d in nginx ln; do nginx -p "$TMP/$d" -c "$TMP/$d/nginx.conf" -s stop 2>/dev/null; done
  kill ${pids[*]} 2>/dev/null; rm -rf "$TMP"' EXIT
LISTEN=18485
expect_eq "the seed's longest name, routed" "$(get "$long_host" /x)" "long /x host=$long_host"
expect_eq "a 200-byte model, routed" "$(get "$m_host" /)" "m200 / host=$m_host"
nginx -p "$TMP/ln" -c "$TMP/ln/nginx.conf" -s stop 2>/dev/null
rm -rf "$TMP/ln/tmp"
echo x >"$TMP/ln/tmp"
expect_fail 1 "cannot create .*ln/tmp. \(nginx's temp folder\)" --store "$L" proxy --standalone -o "$TMP/ln/nginx.conf"
rm "$TMP/ln/tmp"
expect_ok --store "$L" proxy -o "$TMP/ln/berth.conf"
[ -e "$TMP/ln/tmp" ] && fail "an include made a tmp/ folder" || pass
# The page escapes what it shows; its folder must be one nginx can name.
"$BERTH" --store "$L" reserve 'm<b>"&' 1 >/dev/null
expect_ok --store "$L" --json proxy -o "$TMP/ln/berth.conf"
expect_json "\"page\":\"$TMP/ln/berth-index.html\""
grep -q '<h2>m&lt;b&gt;&quot;&amp;</h2>' "$TMP/ln/berth-index.html" && pass || fail "a model name is not escaped"
"$BERTH" --store "$L" release 'm<b>"&' 1 >/dev/null
mkdir -p "$TMP/a\$b"
expect_fail 1 "holds a character nginx would read as a variable or an escape" --store "$L" proxy -o "$TMP/a\$b/berth.conf"
[ -z "$(ls -A "$TMP/a\$b")" ] && pass || fail "a refused proxy wrote something"
printf 'pid nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  types_hash_max_size 2048;\n  # server_names_hash_bucket_size 64;\n  include %s;\n}\n' "$TMP/ln/berth.conf" >"$TMP/ln/stock.conf"
mkdir "$TMP/ln/tmp"
nginx -t -p "$TMP/ln" -c "$TMP/ln/stock.conf" >"$OUT" 2>&1 && pass || fail "nginx -t on the include of long names: $(cat "$OUT")"
python3 -c 'import json; print(json.dumps([{"model": "many", "app": n} for n in range(1, 601)]))' >"$TMP/many.json"
"$BERTH" --store "$L" reserve --batch "$TMP/many.json" >/dev/null
expect_ok --store "$L" proxy --standalone --listen $LISTEN -o "$TMP/ln/nginx.conf"
grep -q "server_names_hash_max_size 2048;" "$TMP/ln/nginx.conf" && pass || fail "no hash size for 602 apps"
nginx -t -p "$TMP/ln" -c "$TMP/ln/nginx.conf" >"$OUT" 2>&1 && pass || fail "nginx -t on 602 apps: $(tail -3 "$OUT")"

# An app adopted without a frontend is reached on its backend, not on an unused frontend port.
mkdir -p "$TMP/bo/m/app1/backend"
printf 'from flask import Flask\napp = Flask(__name__)\n' >"$TMP/bo/m/app1/backend/app.py"
expect_ok --store "$TMP/s2" backfill "$TMP/bo"
expect_ok --store "$TMP/s2" --json show m 1
backend=$(tr -d ' \n' <"$OUT" | grep -o '"backend":[0-9]*' | cut -d: -f2)
expect_ok --store "$TMP/s2" proxy
grep -A3 "server_name m-app1.localhost;" "$OUT" | grep -q "proxy_pass http://127.0.0.1:$backend;" && pass ||
  fail "a backend-only app is not routed to its backend $backend: $(grep -A3 m-app1 "$OUT")"

finish
