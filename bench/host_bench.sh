#!/usr/bin/env bash
# `berth check --host` with 100 and with 10,000 reservations (medians of RUNS): /proc is read
# once per run, so the time grows with the store's size, not with a /proc read per port.
#   bash bench/host_bench.sh <path to berth> [runs]
set -eu
BERTH=$(realpath "$1")
RUNS=${2:-5}
source "$(dirname "$0")/lib.sh"

for n in 100 10000; do
  S="$TMP/s$n"
  "$BERTH" --store "$S" pool set wide --range backend=11001-21100 --range frontend=21101-32000 --step 1 >/dev/null
  /usr/bin/python3 -c 'import json, sys; print(json.dumps([{"model": "m%d" % (i // 100), "app": i % 100 + 1, "pool": "wide"} for i in range(int(sys.argv[1]))]))' "$n" >"$TMP/batch.json"
  "$BERTH" --store "$S" reserve --batch "$TMP/batch.json" >/dev/null
  for _ in $(seq 1 "$RUNS"); do
    t=$(now_ns)
    "$BERTH" --store "$S" check --host >/dev/null || true
    echo $(($(now_ns) - t))
  done | median >"$TMP/t$n"
  t=$(now_ns)
  for _ in $(seq 1 "$RUNS"); do "$BERTH" --store "$S" check >/dev/null; done
  echo $((($(now_ns) - t) / RUNS)) >"$TMP/c$n"
done
listeners=$(awk 'NR > 1 && $4 == "0A"' /proc/net/tcp /proc/net/tcp6 2>/dev/null | wc -l)
echo "berth check --host benchmark ($listeners TCP listeners on this host; median of $RUNS)"
for n in 100 10000; do
  printf '%6d reservations: check --host %7.1f ms, check alone %7.1f ms\n' "$n" \
    "$(echo "$(cat "$TMP/t$n") / 1000000" | bc -l)" "$(echo "$(cat "$TMP/c$n") / 1000000" | bc -l)"
done
printf 'the host part (check --host minus check) at 10,000 / at 100 = %.1fx\n' \
  "$(echo "($(cat "$TMP/t10000") - $(cat "$TMP/c10000")) / ($(cat "$TMP/t100") - $(cat "$TMP/c100"))" | bc -l)"
