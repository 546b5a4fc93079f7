#!/usr/bin/env bash
# berth check --host and --skip-busy against real listeners: Python sockets on 127.0.0.1, on
# ::1 only and on 0.0.0.0, on reserved ports and on free ones.
#   host_test.sh <path to berth>
source "$(dirname "$0")/lib.sh" "$1"
PY=/usr/bin/python3
S="$TMP/store"
"$BERTH" --store "$S" pool set host --range backend=27001-27999 --range frontend=28001-28999 --step 2 >/dev/null
for n in 1 2 3; do "$BERTH" --store "$S" reserve m "$n" --pool host >/dev/null; done
# m 1: 27001/28001, m 2: 27003/28003, m 3: 27005/28005.
expect_ok --store "$S" check --host
expect_out '0 held port\(s\) taken by something else'

ipv6=1
[ -e /proc/net/if_inet6 ] && $PY -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null || ipv6=0

listen() {  # listen ADDRESS:PORT...: a process holding those listeners until killed
  rm -f "$TMP/ready"
  $PY - "$TMP/ready" "$@" <<'PY' &
import socket, sys, time
held = []
for spec in sys.argv[2:]:
    host, port = spec.rsplit(":", 1)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, int(port)))
    s.listen()
    held.append(s)
open(sys.argv[1], "w").close()
time.sleep(120)
PY
  LISTENER=$!
  for _ in $(seq 1 100); do [ -e "$TMP/ready" ] && return; sleep 0.05; done
  fail "listener did not start"
}

specs=(127.0.0.1:27001 0.0.0.0:27005 127.0.0.1:27007 0.0.0.0:27009 127.0.0.1:28013)
[ "$ipv6" = 1 ] && specs+=([::1]:28003)
listen "${specs[@]//[\[\]]/}"
expect_fail 3 "held port\(s\) are taken by something else on this host" --store "$S" check --host
grep -q "^taken: port 27001 (backend of 'm' app 1) is taken by python3 (pid $LISTENER), listening on 127.0.0.1$" "$OUT" && pass || fail "127.0.0.1 listener not reported"
grep -q "^taken: port 27005 (backend of 'm' app 3) is taken by python3 (pid $LISTENER), listening on 0.0.0.0$" "$OUT" && pass || fail "0.0.0.0 listener not reported"
grep -q "27007\|27009\|28013" "$OUT" && fail "a listener on a free port reported as taken" || pass
if [ "$ipv6" = 1 ]; then
  grep -q "^taken: port 28003 (frontend of 'm' app 2) is taken by python3 (pid $LISTENER), listening on ::1$" "$OUT" && pass || fail "::1-only listener not reported"
  expect_out "3 held port\(s\) taken"
else
  echo "note: this kernel has no IPv6; the ::1 listener case is skipped"
  expect_out "2 held port\(s\) taken"
fi
berth --store "$S" --json check --host
expect_eq "check --host --json exit code" "$RC" 3
expect_json '"kind":"taken"'
expect_json '"held_by":"backendof'"'"'m'"'"'app1"'
expect_json '"ok":false'

# --skip-busy: a new allocation steps over what listens now (27007, 27009 and 28013 here).
expect_ok --store "$S" reserve m 4 --pool host --skip-busy
expect_out '^m +4 +27011 +28011'
expect_ok --store "$S" reserve m 5 --pool host --skip-busy
expect_out '^m +5 +27015 +28015'
# Off by default: allocation stays reproducible from machine to machine.
expect_ok --store "$S" reserve m 6 --pool host
expect_out '^m +6 +27007 +28007'
# The store setting makes it the default; --no-skip-busy overrides it.
expect_ok --store "$S" config skip-busy on
expect_out '^skip-busy on'
expect_ok --store "$S" reserve m 7 --pool host
expect_out '^m +7 +27019 +28019'  # 27017 is excluded by default (MongoDB)
expect_ok --store "$S" reserve m 8 --pool host --no-skip-busy
expect_out '^m +8 +27009 +28009'
expect_ok --store "$S" --json scaffold m 9 --pool host --out "$TMP/app9"
expect_json '"backend":27021'
expect_ok --store "$S" --json config
expect_json '{"skip-busy":true}'
expect_ok --store "$S" config --reset
expect_ok --store "$S" config skip-busy
expect_out '^skip-busy off'
expect_fail 2 "--reset takes no setting" --store "$S" config skip-busy --reset
expect_fail 2 "no setting 'colour'; settings: skip-busy" --store "$S" config colour on
expect_fail 2 "setting 'skip-busy' is on or off, not 'maybe'" --store "$S" config skip-busy maybe
expect_fail 2 "give --skip-busy or --no-skip-busy, not both" --store "$S" reserve m 10 --pool host --skip-busy --no-skip-busy
kill "$LISTENER" 2>/dev/null
wait 2>/dev/null

# Leases are runtime ports: a new lease steps over a port something listens on, by default.
L="$TMP/leases"
expect_ok --store "$L" pool set pv --lease --range port=27101-27105
listen 127.0.0.1:27101
expect_ok --store "$L" lease acquire a --pool pv
expect_out '^27102$'
expect_ok --store "$L" lease acquire b --pool pv --no-skip-busy
expect_out '^27101$'
expect_ok --store "$L" lease release b
expect_ok --store "$L" config skip-busy off
expect_ok --store "$L" lease acquire c --pool pv
expect_out '^27101$'
expect_fail 2 "give --skip-busy or --no-skip-busy, not both" --store "$L" lease acquire d --pool pv --skip-busy --no-skip-busy
kill "$LISTENER" 2>/dev/null
wait 2>/dev/null

# berth who: what holds each port, its folders, and who listens now.
W="$TMP/who"
expect_ok --store "$W" pool set wp --range web=27201-27210
expect_ok --store "$W" reserve w 1 --pool wp
expect_ok --store "$W" pool exclude 27205
listen 127.0.0.1:27201 127.0.0.1:27203
expect_ok --store "$W" who 27201
expect_out "^27201: web of 'w' app 1, project w-app1, pool 'wp'; listened on by python3 \(pid $LISTENER\) on 127.0.0.1$"
expect_ok --store "$W" who 27205
expect_out "^27205: excluded in this store"
# Free in a pool but listened on, or in no pool: exit 3, for scripts.
berth --store "$W" who 27203 27202
expect_eq "who: a free port something listens on" "$RC" 3
expect_out "^27203: free in pool 'wp' \(web\); listened on by python3"
expect_out "^27202: free in pool 'wp' \(web\); nothing listens on it now$"
berth --store "$W" who 40404
expect_eq "who: a port in no pool" "$RC" 3
expect_ok --store "$W" --json who 27201
expect_json '"holder":"app"'
expect_json "\"pid\":$LISTENER"
expect_fail 2 "port '70000'|not a port|is not" --store "$W" who 70000
kill "$LISTENER" 2>/dev/null
wait 2>/dev/null

# Pools against the kernel's ephemeral range (read from /proc/sys/net/ipv4/ip_local_port_range).
read -r eph_first eph_last </proc/sys/net/ipv4/ip_local_port_range
"$BERTH" --store "$S" pool set eph --range web=$((eph_first + 10))-$((eph_first + 20)) --allow-ephemeral >/dev/null
expect_ok --store "$S" check --host
expect_out "^ephemeral: pool 'eph' range web=$((eph_first + 10))-$((eph_first + 20)) overlaps the kernel's ephemeral range $eph_first-$eph_last"
grep -q "pool 'host'" "$OUT" && fail "a pool outside the ephemeral range reported" || pass

finish
