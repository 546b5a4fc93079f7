#include "generator/health/doctor.hpp"

#include <cstdio>
#include <fstream>

#include "generator/configure/plan.hpp"
#include "generator/host/host.hpp"
#include "store/error.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string mib(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

// `KEY:TYPE=VALUE` of a CMakeCache.txt.
std::optional<std::string> cache_value(const fs::path& cache, const std::string& key) {
  std::ifstream in(cache);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) {
        return line.substr(eq + 1);
      }
    }
  }
  return std::nullopt;
}

// The store's path, schema and map, and its invariants.
void check_store(const Store& store, DoctorReport& d) {
  const std::uint32_t schema = store.schema_version();
  d.report["store"] = {{"path", fs::absolute(store.dir()).string()},
                       {"schema", schema},
                       {"berth_reads", Store::k_schema_version}};
  d.lines.push_back("store: " + fs::absolute(store.dir()).string() + " (schema " +
                    std::to_string(schema) + "; this berth reads up to " +
                    std::to_string(Store::k_schema_version) + ")");
  const EnvUse use = store.use();
  const double used_pct =
      use.map_size ? 100.0 * static_cast<double>(use.used) / static_cast<double>(use.map_size) : 0;
  d.report["map"] = {{"size", use.map_size},
                     {"used", use.used},
                     {"readers", use.readers},
                     {"max_readers", use.max_readers},
                     {"stale_readers_cleared", use.stale_readers_cleared}};
  char pct[16];
  std::snprintf(pct, sizeof pct, "%.0f%%", used_pct);
  d.lines.push_back("map: " + mib(use.used) + " used of " + mib(use.map_size) + " (" + pct +
                    ", grown on demand); reader slots " + std::to_string(use.readers) + " of " +
                    std::to_string(use.max_readers) + "; " +
                    std::to_string(use.stale_readers_cleared) +
                    " stale reader slot(s) of killed processes cleared");
  const auto store_problems = store.check();
  d.report["check"] = store_problems;
  for (const auto& p : store_problems) {
    d.problems.push_back("store: " + p);
  }
  if (store_problems.empty()) {
    d.lines.push_back("check: ok, no port or name held twice");
  }
}

// Listeners on held ports (taken: a problem), the kernel's port ranges.
void check_host_ports(const Store& store, DoctorReport& d) {
  const HostReport host = check_host(store);
  d.report["host"] = {
      {"listeners", host.listeners}, {"taken", host.taken}, {"findings", host.findings}};
  for (const auto& f : host.findings) {
    const std::string kind = f["kind"];
    const std::string message = f["message"];
    if (kind == "taken") {
      d.problems.push_back("host: " + message);
    } else if (kind == "ephemeral") {
      d.warnings.push_back("host: " + message);
    } else {
      d.lines.push_back("host: " + message);
    }
  }
  d.lines.push_back("host: " + std::to_string(host.listeners) + " TCP listener(s), " +
                    std::to_string(host.taken) + " held port(s) taken by something else");
}

// Each pool's fill; over 80% is a warning.
void check_pools(const Store& store, DoctorReport& d) {
  json pools = json::array();
  for (const auto& s : store.stats()) {
    const double fill =
        s.capacity ? 100.0 * static_cast<double>(s.held) / static_cast<double>(s.capacity) : 0;
    pools.push_back({{"pool", s.pool}, {"held", s.held}, {"capacity", s.capacity}, {"fill", fill}});
    char text[160];
    std::snprintf(text, sizeof text, "pool '%s': %zu of %zu held (%.0f%%)", s.pool.c_str(),
                  static_cast<std::size_t>(s.held), static_cast<std::size_t>(s.capacity), fill);
    if (fill > 80.0) {
      d.warnings.push_back(std::string(text) +
                           ": over 80% full; release apps (berth release) or widen it (berth "
                           "pool set)");
    } else {
      d.lines.push_back(text);
    }
  }
  d.report["pools"] = pools;
}

// Why a lock entry disagrees with the store ("" when it agrees).
std::string disagreement(const Store& store, const AppKey& key, const LockEntry& entry) {
  const auto held = store.get(key);
  if (!held) {
    return "is not reserved in this store (configure again to reserve it)";
  }
  std::string why;
  for (const auto& [name, port] : entry.ports) {
    const auto now = held->port(name);
    if (!now || *now != port) {
      why += (why.empty() ? "" : ", ") + name + " is " + std::to_string(port) +
             " in the lock but " + (now ? std::to_string(*now) : "missing") + " in the store";
    }
  }
  if (held->project != entry.project) {
    why += (why.empty() ? "" : ", ") + std::string("name ") + quote(entry.project) +
           " in the lock but " + quote(held->project) + " in the store";
  }
  return why;
}

// A build folder's lock file, entry by entry, against the store.
void check_lock(const Store& store, const std::string& shown, const std::string& lock_path, json& b,
                DoctorReport& d) {
  b["lock"] = lock_path;
  const auto lock = read_lock(lock_path);
  std::size_t agree = 0;
  json disagree = json::array();
  for (const auto& [key, entry] : lock) {
    const std::string why = disagreement(store, key, entry);
    if (why.empty()) {
      ++agree;
    } else {
      d.problems.push_back("lock " + quote(lock_path) + ": " + describe(key) + " " + why);
      disagree.push_back(describe(key) + " " + why);
    }
  }
  b["agree"] = agree;
  b["disagree"] = disagree;
  d.lines.push_back("build " + quote(shown) + ": lock " + quote(lock_path) + ": " +
                    std::to_string(agree) + " of " + std::to_string(lock.size()) +
                    " app(s) agree with the store");
}

// A CMake build folder: the store it was configured with, and its lock file.
void check_build(const Store& store, const fs::path& build, DoctorReport& d) {
  const std::string shown = build.string();
  const fs::path cache = build / "CMakeCache.txt";
  if (!fs::is_regular_file(cache)) {
    throw usage_error("--build " + quote(shown) +
                      " is not a CMake build folder (no CMakeCache.txt)");
  }
  json b = {{"folder", fs::absolute(build).string()}};
  // The store the tree was fixed to at its first configure (older trees: BERTH_STORE).
  auto store_dir = cache_value(cache, "_BERTH_STORE_USED").value_or("");
  if (store_dir.empty()) {
    store_dir = cache_value(cache, "BERTH_STORE").value_or("");
  }
  if (!store_dir.empty() && fs::weakly_canonical(store_dir) != fs::weakly_canonical(store.dir())) {
    d.warnings.push_back("build " + quote(shown) + " uses the store " + quote(store_dir) +
                         ", not this one; run `berth --store " + store_dir + " doctor --build " +
                         shown + "`");
  }
  const auto lock_path = cache_value(cache, "BERTH_LOCKFILE");
  if (!lock_path || !fs::exists(*lock_path)) {
    d.lines.push_back("build " + quote(shown) + ": no lock file in use");
    b["lock"] = nullptr;
  } else {
    check_lock(store, shown, *lock_path, b, d);
  }
  d.report["build"] = b;
}

// The same folder, however it is spelt.
bool same_folder(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::equivalent(a, b, ec);
}

// Other berth stores on this host (the host store when this is not it, every user's own store):
// their apps may hold the ports this store hands out.
void check_other_stores(const Store& store, DoctorReport& d) {
  std::vector<std::pair<std::string, fs::path>> found;  // (whose, folder)
  if (const auto host = Store::host_dir();
      Store::exists_in(host) && !same_folder(host, store.dir())) {
    found.push_back({"the host store", host});
  }
  for (const auto& [user, home] : user_homes()) {
    const fs::path dir = fs::path(home) / ".local" / "state" / "berth";
    if (Store::exists_in(dir) && !same_folder(dir, store.dir())) {
      found.push_back({"user " + quote(user) + "'s store", dir});
    }
  }
  json other = json::array();
  for (const auto& [whose, dir] : found) {
    other.push_back({{"whose", whose}, {"path", dir.string()}});
    d.warnings.push_back("another berth store on this host: " + whose + " " + quote(dir.string()) +
                         "; its apps may be given the same ports as this store's. Share one "
                         "store: `berth init --host` (as root), then move each store's apps into "
                         "it with `berth export` and `berth import`");
  }
  d.report["other_stores"] = other;
  if (found.empty()) {
    d.lines.push_back("other stores: none found on this host");
  }
}

}  // namespace

DoctorReport doctor(const Store& store, const std::optional<fs::path>& build) {
  DoctorReport d;
  check_store(store, d);
  check_host_ports(store, d);
  check_pools(store, d);
  check_other_stores(store, d);
  if (build) {
    check_build(store, *build, d);
  }
  d.report["problems"] = d.problems;
  d.report["warnings"] = d.warnings;
  d.report["ok"] = d.problems.empty();
  return d;
}

}  // namespace berth
