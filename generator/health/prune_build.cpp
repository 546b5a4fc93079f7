#include "generator/health/prune_build.hpp"

#include "generator/health/prune.hpp"
#include "generator/io/fileio.hpp"
#include "store/error.hpp"

namespace berth {

namespace fs = std::filesystem;

namespace {

// The uses of `key` on this host besides this build tree and the folder just cleaned up.
std::vector<Use> other_uses(const Store& store, const AppKey& key, const fs::path& build_dir,
                            const std::string& folder) {
  std::vector<Use> out;
  const std::string build = use_path(build_dir);
  const std::string app = folder.empty() ? std::string() : use_path(folder);
  for (const auto& u : present_uses(store.uses(key))) {
    if (!(u.kind == "build" && u.path == build) && !(u.kind == "app" && u.path == app)) {
      out.push_back(u);
    }
  }
  return out;
}

}  // namespace

std::vector<BuildPruneApp> prune_build(Store& store, const fs::path& build_dir, bool dry_run) {
  std::error_code ec;
  if (!fs::is_regular_file(build_dir / "CMakeCache.txt", ec)) {
    throw usage_error("--build " + quote(build_dir.string()) +
                      " is not a CMake build folder (no CMakeCache.txt)");
  }
  std::vector<BuildPruneApp> out;
  for (const auto& dropped : read_dropped(build_dir)) {
    BuildPruneApp one{dropped, {}, std::nullopt, {}};
    if (!dropped.out.empty()) {
      one.folder = remove_app_folder(dropped.out, dry_run);
    }
    one.still_used = other_uses(store, dropped.key, build_dir, dropped.out);
    const auto held = store.get(dropped.key);
    if (held && one.still_used.empty()) {
      one.released = dry_run ? *held : store.release(dropped.key);
    }
    out.push_back(std::move(one));
  }
  if (!dry_run) {
    write_dropped(build_dir, {});
  }
  return out;
}

}  // namespace berth
