#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace berth {

// Which apps `berth prune` looks at: those `apps` matches (one model's, one namespace's, one
// owner's, or all), gone (or unused) longer ago than `older` seconds (0: any time), and with
// `unused` also those with no recorded use.
struct PruneFilter {
  AppFilter apps;
  std::int64_t older = 0;
  bool unused = false;

  // No model, namespace or owner given: prune looks at every app, and at leases.
  bool everything() const { return !apps.model && !apps.ns && !apps.owner; }
};

// Why an app is pruned: "gone" (every recorded path is gone from this host, listed) or "unused".
struct PruneReason {
  std::string why;
  std::vector<std::string> paths;
};

struct PruneChoice {
  std::map<AppKey, AppUses> chosen;  // with the uses they were chosen by, for Store::prune
  std::map<AppKey, PruneReason> why;
  std::size_t without_use = 0;  // apps with no recorded use (left alone unless `unused`)
};

// Chooses the apps to prune at `now`: every recorded use gone from this host (an unreadable
// parent folder is not gone), and never an app that an existing lock file among the uses pins
// (a lock file that cannot be read keeps its apps; `warn` is told why).
PruneChoice choose_prune(const Store& store, const PruneFilter& filter, std::int64_t now,
                         const std::function<void(const std::string&)>& warn);

// Whether every path an app's uses name is still gone from this host (asked again by
// Store::prune inside its transaction: a folder scaffolded meanwhile keeps its app).
bool still_gone(const AppUses& uses);

// The uses of an app whose paths are still on this host (a path that cannot be checked counts
// as present).
std::vector<Use> present_uses(const AppUses& uses);

// Throws a conflict naming the app and its uses still on this host, unless there are none:
// releasing it would hand its ports out again while those folders' files still name them.
// `berth release` without --force.
void check_release(const Store& store, const AppKey& key);

// BERTH_FAULT=stall-before-prune: prune stops between choosing and releasing, printing
// "berth: fault: stalling before prune", until the file $BERTH_FAULT_RESUME exists (at most 60
// seconds); the test suite runs a scaffold in that gap.
void fault_stall_before_prune();

}  // namespace berth
