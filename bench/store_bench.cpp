// Store benchmarks. Prints figures and ratios; never passes or fails on time.
//   store_bench [runs]
// 1. reservations per second inside one batch (one write transaction);
// 2. allocation cost with 1,000 vs 30,000 reservations held, in a wide pool: per allocation
//    inside a batch, and per single-reservation transaction, with the slots dense and with holes;
// 3. lease acquires per second inside one process, with 100 leases held.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.hpp"

using namespace berth;
using Clock = std::chrono::steady_clock;

namespace {

struct Dir {
  std::filesystem::path path;
  Dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "berth-bench-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~Dir() { std::filesystem::remove_all(path); }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<BatchOp> reserve_ops(const std::string& model, std::uint32_t first, std::uint32_t count,
                                 const std::string& pool) {
  std::vector<BatchOp> ops;
  ops.reserve(count);
  for (std::uint32_t n = first; n < first + count; ++n) {
    BatchOp op;
    op.request.key = {model, n};
    op.request.pool = pool;
    ops.push_back(std::move(op));
  }
  return ops;
}

// A store holding `held` reservations in the wide pool; with holes, every 10th is released.
void fill(Store& store, std::uint32_t held, bool holes) {
  const std::uint32_t chunk = 5000;
  for (std::uint32_t n = 1; n <= held; n += chunk) {
    store.apply(reserve_ops("filler/model", n, std::min(chunk, held - n + 1), "wide"));
  }
  if (holes) {
    std::vector<BatchOp> ops;
    for (std::uint32_t n = 10; n <= held; n += 10) {
      BatchOp op;
      op.kind = BatchOp::Kind::release;
      op.request.key = {"filler/model", n};
      ops.push_back(op);
    }
    store.apply(ops);
  }
}

struct AllocCost {
  double batch_us;   // per allocation inside one batch
  double single_us;  // per single-reservation transaction (includes its commit)
};

AllocCost allocation_cost(std::uint32_t held, bool holes, int runs) {
  std::vector<double> batch, single;
  for (int r = 0; r < runs; ++r) {
    Dir dir;
    Store store(dir.path);
    store.remove_pool("preview");  // the default lease pool sits inside the wide range
    store.set_pool({"wide", {{"port", 11001, 65535}}, 1}, true);
    fill(store, held, holes);
    const std::uint32_t k = 500;
    auto t = Clock::now();
    store.apply(reserve_ops("probe/batch", 1, k, "wide"));
    batch.push_back(seconds_since(t) * 1e6 / k);
    const std::uint32_t singles = 50;
    t = Clock::now();
    for (std::uint32_t n = 1; n <= singles; ++n) {
      ReserveRequest req;
      req.key = {"probe/single", n};
      req.pool = "wide";
      store.reserve(req);
    }
    single.push_back(seconds_since(t) * 1e6 / singles);
  }
  return {median(batch), median(single)};
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  std::printf("berth store benchmark (median of %d runs)\n\n", runs);

  {
    std::vector<double> rates;
    const std::uint32_t count = 10000;
    for (int r = 0; r < runs; ++r) {
      Dir dir;
      Store store(dir.path);
      store.remove_pool("preview");  // the default lease pool sits inside the wide range
      store.set_pool({"wide", {{"port", 11001, 65535}}, 1}, true);
      const auto ops = reserve_ops("batch/model", 1, count, "wide");
      const auto t = Clock::now();
      store.apply(ops);
      rates.push_back(count / seconds_since(t));
    }
    std::printf("reservations per second inside one batch (%u per batch): %.0f\n\n", count,
                median(rates));
  }

  std::printf("allocation cost by reservations held (wide pool, 54,535 slots)\n");
  std::printf("%-8s %8s %18s %22s\n", "slots", "held", "us/alloc in batch", "us/single reserve");
  for (bool holes : {false, true}) {
    const AllocCost small = allocation_cost(1000, holes, runs);
    const AllocCost large = allocation_cost(30000, holes, runs);
    const char* kind = holes ? "holes" : "dense";
    std::printf("%-8s %8u %18.2f %22.1f\n", kind, 1000u, small.batch_us, small.single_us);
    std::printf("%-8s %8u %18.2f %22.1f\n", kind, 30000u, large.batch_us, large.single_us);
    std::printf("%-8s ratio 30,000 / 1,000: %.2fx in batch, %.2fx single\n", kind,
                large.batch_us / small.batch_us, large.single_us / small.single_us);
  }

  {
    std::vector<double> rates;
    const int count = 300;
    for (int r = 0; r < runs; ++r) {
      Dir dir;
      Store store(dir.path);
      Pool pool{"bench", {{"port", 40001, 41000}}, 1};
      pool.lease = true;
      store.set_pool(pool, true);
      for (int i = 0; i < 100; ++i) {
        store.acquire_lease("held-" + std::to_string(i), "bench", std::nullopt, std::nullopt);
      }
      double spent = 0;
      for (int i = 0; i < count; ++i) {
        const auto t = Clock::now();
        store.acquire_lease("new-" + std::to_string(i), "bench", std::nullopt, std::nullopt);
        spent += seconds_since(t);
        store.release_lease("new-" + std::to_string(i));
      }
      rates.push_back(count / spent);
    }
    std::printf("\nlease acquires per second inside one process, 100 leases held: %.0f\n",
                median(rates));
  }
  return 0;
}
