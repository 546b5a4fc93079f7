#!/usr/bin/env bash
# Time of one `berth reserve` process (median over runs), new key and existing key, and of one
# `berth lease acquire` of a new id.
#   bench/cli_bench.sh <path to berth> [runs]
set -eu
BERTH=$(realpath "$1")
RUNS=${2:-30}
source "$(dirname "$0")/lib.sh"
S="$TMP/store"
"$BERTH" --store "$S" reserve warm/up 1 >/dev/null

median_ms() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f", m / 1e6}'; }

for n in $(seq 1 "$RUNS"); do
  t=$(now_ns); "$BERTH" --store "$S" reserve bench/new "$n" >/dev/null; echo $(($(now_ns) - t))
done | median_ms >"$TMP/new"
for n in $(seq 1 "$RUNS"); do
  t=$(now_ns); "$BERTH" --store "$S" reserve bench/new 1 >/dev/null; echo $(($(now_ns) - t))
done | median_ms >"$TMP/existing"
for n in $(seq 1 "$RUNS"); do
  t=$(now_ns); "$BERTH" --version >/dev/null; echo $(($(now_ns) - t))
done | median_ms >"$TMP/version"
for n in $(seq 1 "$RUNS"); do
  t=$(now_ns); "$BERTH" --store "$S" lease acquire "bench-$n" >/dev/null; echo $(($(now_ns) - t))
  "$BERTH" --store "$S" lease release "bench-$n" >/dev/null
done | median_ms >"$TMP/lease"

echo "berth CLI benchmark (median of $RUNS runs)"
echo "one 'berth reserve', new key (write transaction):      $(cat "$TMP/new") ms"
echo "one 'berth reserve', existing key (read-only):          $(cat "$TMP/existing") ms"
echo "one 'berth --version' (process start, no store):        $(cat "$TMP/version") ms"
echo "one 'berth lease acquire', new id (write transaction):  $(cat "$TMP/lease") ms"
