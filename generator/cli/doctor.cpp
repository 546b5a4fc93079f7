#include <cstdio>
#include <fstream>

#include "generator/cli/command.hpp"

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

}  // namespace

// berth doctor [--build DIR]
Command add_doctor(CLI::App& app, const Options& o) {
  struct Vars {
    std::string build;
  };
  const auto v = std::make_shared<Vars>();
  auto* sub = app.add_subcommand(
      "doctor", "Everything at once when something is wrong: store, host, pools, a build's lock");
  sub->add_option("--build", v->build,
                  "A CMake build folder: check its lock file against the store")
      ->type_name("DIR");
  const auto run = [&o, v]() -> int {
    json report = json::object();
    std::vector<std::string> problems;
    std::vector<std::string> warnings;
    std::vector<std::string> lines;
    Store store = open_store(o, true);

    const std::uint32_t schema = store.schema_version();
    report["store"] = {{"path", fs::absolute(store.dir()).string()},
                       {"schema", schema},
                       {"berth_reads", Store::k_schema_version}};
    lines.push_back("store: " + fs::absolute(store.dir()).string() + " (schema " +
                    std::to_string(schema) + "; this berth reads up to " +
                    std::to_string(Store::k_schema_version) + ")");

    const EnvUse use = store.use();
    const double used_pct =
        use.map_size ? 100.0 * static_cast<double>(use.used) / static_cast<double>(use.map_size)
                     : 0;
    report["map"] = {{"size", use.map_size},
                     {"used", use.used},
                     {"readers", use.readers},
                     {"max_readers", use.max_readers},
                     {"stale_readers_cleared", use.stale_readers_cleared}};
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f%%", used_pct);
    lines.push_back("map: " + mib(use.used) + " used of " + mib(use.map_size) + " (" + pct +
                    ", grown on demand); reader slots " + std::to_string(use.readers) + " of " +
                    std::to_string(use.max_readers) + "; " +
                    std::to_string(use.stale_readers_cleared) +
                    " stale reader slot(s) of killed processes cleared");

    const auto store_problems = store.check();
    report["check"] = store_problems;
    for (const auto& p : store_problems) {
      problems.push_back("store: " + p);
    }
    if (store_problems.empty()) {
      lines.push_back("check: ok, no port or name held twice");
    }

    const HostReport host = check_host(store);
    report["host"] = {
        {"listeners", host.listeners}, {"taken", host.taken}, {"findings", host.findings}};
    for (const auto& f : host.findings) {
      const std::string kind = f["kind"];
      const std::string message = f["message"];
      if (kind == "taken") {
        problems.push_back("host: " + message);
      } else if (kind == "ephemeral") {
        warnings.push_back("host: " + message);
      } else {
        lines.push_back("host: " + message);
      }
    }
    lines.push_back("host: " + std::to_string(host.listeners) + " TCP listener(s), " +
                    std::to_string(host.taken) + " held port(s) taken by something else");

    json pools = json::array();
    for (const auto& s : store.stats()) {
      const double fill =
          s.capacity ? 100.0 * static_cast<double>(s.held) / static_cast<double>(s.capacity) : 0;
      pools.push_back(
          {{"pool", s.pool}, {"held", s.held}, {"capacity", s.capacity}, {"fill", fill}});
      char text[160];
      std::snprintf(text, sizeof text, "pool '%s': %zu of %zu held (%.0f%%)", s.pool.c_str(),
                    static_cast<std::size_t>(s.held), static_cast<std::size_t>(s.capacity), fill);
      if (fill > 80.0) {
        warnings.push_back(std::string(text) +
                           ": over 80% full; release apps (berth release) or widen it (berth "
                           "pool set)");
      } else {
        lines.push_back(text);
      }
    }
    report["pools"] = pools;

    if (!v->build.empty()) {
      const fs::path build = v->build;
      const fs::path cache = build / "CMakeCache.txt";
      if (!fs::is_regular_file(cache)) {
        throw usage_error("--build " + quote(v->build) +
                          " is not a CMake build folder (no CMakeCache.txt)");
      }
      json b = {{"folder", fs::absolute(build).string()}};
      const auto store_dir = cache_value(cache, "BERTH_STORE").value_or("");
      if (!store_dir.empty() &&
          fs::weakly_canonical(store_dir) != fs::weakly_canonical(store.dir())) {
        warnings.push_back("build " + quote(v->build) + " uses the store " + quote(store_dir) +
                           ", not this one; run `berth --store " + store_dir + " doctor --build " +
                           v->build + "`");
      }
      const auto lock_path = cache_value(cache, "BERTH_LOCKFILE");
      if (!lock_path || !fs::exists(*lock_path)) {
        lines.push_back("build " + quote(v->build) + ": no lock file in use");
        b["lock"] = nullptr;
      } else {
        b["lock"] = *lock_path;
        const auto lock = read_lock(*lock_path);
        std::size_t agree = 0;
        json disagree = json::array();
        for (const auto& [key, entry] : lock) {
          const auto held = store.get(key);
          std::string why;
          if (!held) {
            why = "is not reserved in this store (configure again to reserve it)";
          } else {
            for (const auto& [name, port] : entry.ports) {
              const auto now = held->port(name);
              if (!now || *now != port) {
                why += (why.empty() ? "" : ", ") + name + " is " + std::to_string(port) +
                       " in the lock but " + (now ? std::to_string(*now) : "missing") +
                       " in the store";
              }
            }
            if (held->project != entry.project) {
              why += (why.empty() ? "" : ", ") + std::string("name ") + quote(entry.project) +
                     " in the lock but " + quote(held->project) + " in the store";
            }
          }
          if (why.empty()) {
            ++agree;
          } else {
            problems.push_back("lock " + quote(*lock_path) + ": " + describe(key) + " " + why);
            disagree.push_back(describe(key) + " " + why);
          }
        }
        b["agree"] = agree;
        b["disagree"] = disagree;
        lines.push_back("build " + quote(v->build) + ": lock " + quote(*lock_path) + ": " +
                        std::to_string(agree) + " of " + std::to_string(lock.size()) +
                        " app(s) agree with the store");
      }
      report["build"] = b;
    }

    report["problems"] = problems;
    report["warnings"] = warnings;
    report["ok"] = problems.empty();
    if (o.json) {
      print_json(report);
    } else {
      for (const auto& l : lines) {
        std::cout << l << '\n';
      }
      for (const auto& w : warnings) {
        std::cout << "warning: " << w << '\n';
      }
      for (const auto& p : problems) {
        std::cout << "problem: " << p << '\n';
      }
      std::cout << "doctor: " << problems.size() << " problem(s), " << warnings.size()
                << " warning(s)\n";
    }
    if (!problems.empty()) {
      std::cerr << "berth: error: doctor found " << problems.size() << " problem(s)\n";
      return static_cast<int>(ErrorKind::conflict);
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace berth
