#include "generator/health/prune.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>

#include "generator/configure/plan.hpp"
#include "store/error.hpp"

namespace berth {

namespace {

// Whether the path is certainly gone from this host (an unreadable parent is not "gone").
bool gone(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::symlink_status(path, ec);
  return st.type() == std::filesystem::file_type::not_found;
}

// Apps that a lock file on this host pins, while it exists: never pruned.
std::set<AppKey> locked_apps(const std::map<AppKey, AppUses>& all,
                             const std::function<void(const std::string&)>& warn) {
  std::set<std::string> locks;
  for (const auto& [key, uses] : all) {
    for (const auto& u : uses.uses) {
      if (u.kind == "lock" && !gone(u.path)) {
        locks.insert(u.path);
      }
    }
  }
  std::set<AppKey> locked;
  for (const auto& path : locks) {
    try {
      for (const auto& [key, entry] : read_lock(path)) {
        locked.insert(key);
      }
    } catch (const Error& e) {
      warn(std::string(e.what()) + " (the apps it lists are kept)");
    }
  }
  return locked;
}

// An app with uses: chosen when every use is gone, last seen longer ago than `older`.
std::optional<PruneReason> gone_reason(const AppUses& uses, std::int64_t older, std::int64_t now) {
  std::int64_t last_seen = 0;
  PruneReason reason{"gone", {}};
  for (const auto& u : uses.uses) {
    if (!gone(u.path)) {
      return std::nullopt;
    }
    last_seen = std::max(last_seen, u.seen);
    reason.paths.push_back(u.path);
  }
  if (older != 0 && last_seen + older > now) {
    return std::nullopt;
  }
  return reason;
}

}  // namespace

bool still_gone(const AppUses& uses) {
  return std::all_of(uses.uses.begin(), uses.uses.end(), [](const Use& u) { return gone(u.path); });
}

std::vector<Use> present_uses(const AppUses& uses) {
  std::vector<Use> out;
  std::copy_if(uses.uses.begin(), uses.uses.end(), std::back_inserter(out),
               [](const Use& u) { return !gone(u.path); });
  return out;
}

void check_release(const Store& store, const AppKey& key) {
  const auto present = present_uses(store.uses(key));
  if (present.empty()) {
    return;
  }
  std::string where;
  for (const auto& u : present) {
    where += (where.empty() ? "" : ", ") + u.kind + " " + u.path;
  }
  throw conflict_error(describe(key) + " is still used on this host (" + where +
                       "): its files there still name its ports, and releasing it would hand "
                       "them to the next app. Remove those folders first (then `berth prune` "
                       "frees it), or give --force to release it anyway");
}

void fault_stall_before_prune() {
  const char* fault = std::getenv("BERTH_FAULT");
  if (!fault || std::string(fault) != "stall-before-prune") {
    return;
  }
  std::fprintf(stderr, "berth: fault: stalling before prune\n");
  std::fflush(stderr);
  const char* resume = std::getenv("BERTH_FAULT_RESUME");
  for (int i = 0; i < 6000 && !(resume && !gone(resume)); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

PruneChoice choose_prune(const Store& store, const PruneFilter& filter, std::int64_t now,
                         const std::function<void(const std::string&)>& warn) {
  const auto all = store.all_uses();  // every app: a lock file may be any app's use
  const std::set<AppKey> locked = locked_apps(all, warn);
  std::set<AppKey> wanted;
  for (const auto& r : store.list(filter.apps)) {
    wanted.insert(r.key);
  }
  PruneChoice out;
  for (const auto& [key, uses] : all) {
    if (locked.count(key) || !wanted.count(key)) {
      continue;
    }
    if (uses.uses.empty()) {
      ++out.without_use;
      if (filter.unused && (filter.older == 0 || uses.created + filter.older <= now)) {
        out.chosen[key] = uses;
        out.why[key] = {"unused", {}};
      }
    } else if (auto reason = gone_reason(uses, filter.older, now)) {
      out.chosen[key] = uses;
      out.why[key] = *reason;
    }
  }
  return out;
}

}  // namespace berth
