#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "generator/app/folder.hpp"
#include "generator/configure/plan.hpp"
#include "store/store.hpp"

namespace berth {

// What `berth prune --build DIR` did for one app the build tree no longer declares.
struct BuildPruneApp {
  DroppedApp app;
  FolderRemoval folder;                 // berth's files removed from its folder
  std::optional<Reservation> released;  // the reservation released, if it was
  std::vector<Use> still_used;          // other uses on this host: the reservation stays
};

// Cleans up the apps a CMake build tree declared before and declares no more (its
// berth/dropped.json): berth's files in each app's folder are removed (a user's or changed file
// never), and its reservation is released unless something else on this host still uses it
// (another build tree, a lock file, another folder). The list is then emptied. With `dry_run`,
// nothing changes. Throws a usage error when `build_dir` is not a CMake build folder.
std::vector<BuildPruneApp> prune_build(Store& store, const std::filesystem::path& build_dir,
                                       bool dry_run);

}  // namespace berth
