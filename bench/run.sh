#!/usr/bin/env bash
# Builds berth (Release) and runs every benchmark. Prints figures; nothing passes or fails.
# The scaffold comparison needs cookiecutter and bc, the floor comparison sqlite3 and gcc
# (apt-get install cookiecutter bc sqlite3 gcc).
#   bash bench/run.sh
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTH_BUILD_TESTS=OFF -DBERTH_BUILD_BENCH=ON >/dev/null
cmake --build build-bench -j2 >/dev/null
./build-bench/bench/store_bench 5
echo
bash bench/cli_bench.sh build-bench/generator/berth 30
echo
bash bench/floor_bench.sh build-bench/generator/berth 50
echo
bash bench/batch_bench.sh build-bench/generator/berth 50000 3
echo
bash bench/scaffold_bench.sh build-bench/generator/berth 1000
echo
bash bench/backfill_bench.sh build-bench/generator/berth 1000 3
echo
bash bench/host_bench.sh build-bench/generator/berth 5
echo
bash bench/prune_bench.sh build-bench/generator/berth 5
echo
bash bench/render_bench.sh build-bench/generator/berth 1 3
echo
bash bench/cmake_bench.sh build-bench/generator/berth "100 1000 5000" 3
echo
bash bench/generators_bench.sh build-bench/generator/berth 1000 3
echo
bash bench/configure_bench.sh build-bench/generator/berth "1000 5000" 5
