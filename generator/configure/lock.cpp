#include "generator/configure/steps.hpp"

#include <climits>

#include "generator/io/fileio.hpp"
#include "generator/io/inputs.hpp"
#include "store/json_read.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

std::map<AppKey, LockEntry> read_lock(const fs::path& path) {
  std::map<AppKey, LockEntry> lock;
  const std::string text = read_file(path);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return lock;  // an empty file starts a lock
  }
  const std::string at = "lock file " + quote(path.string());
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_discarded()) {
    doc = parse_json(text, at);  // valid JSON: refuse a key given twice
  }
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("berth_lock")) {
    throw usage_error(at + " is not a berth lock (expected {\"berth_lock\": 1, \"apps\": [...]})");
  }
  const JsonFields top(doc, at);
  top.only({"berth_lock", "apps"});
  if (top.integer("berth_lock", 1, LLONG_MAX) != 1) {
    top.fail("format " + json_shown(doc["berth_lock"]) + " is not the format 1 this berth reads");
  }
  const json& apps = top.array("apps");
  for (std::size_t i = 0; i < apps.size(); ++i) {
    const JsonFields a(apps[i], at + ": app " + std::to_string(i + 1));
    a.only({"model", "app", "namespace", "pool", "ports", "project", "extra"});
    const AppKey key = entry_key(a, "app");
    LockEntry e;
    e.pool = a.string("pool");
    e.project = a.string("project");
    e.ports = entry_ports(a);
    e.extra = a.strings_or("extra", {});
    if (!lock.emplace(key, std::move(e)).second) {
      a.fail(describe(key) + " is listed twice");
    }
  }
  return lock;
}

namespace configure {

std::vector<BatchOp> apply_lock(const std::vector<PlanEntry>& entries,
                                const std::map<AppKey, LockEntry>& lock, const PlanOptions& options,
                                std::vector<std::string>& problems) {
  std::vector<BatchOp> ops(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const PlanEntry& e = entries[i];
    ops[i].request = e.request;
    auto it = lock.find(e.request.key);
    if (it == lock.end()) {
      if (options.locked) {
        problems.push_back(where(i, e) + ": not in the lock file " + quote(options.lock->string()) +
                           "; a locked configure allocates nothing (configure once without "
                           "BERTH_LOCKED to add it)");
      }
      continue;
    }
    const LockEntry& locked = it->second;
    if (!e.request.pool.empty() && e.request.pool != locked.pool) {
      problems.push_back(where(i, e) + ": POOL " + e.request.pool + " differs from the lock's " +
                         locked.pool);
    }
    ops[i].request.pool = locked.pool;
    for (const auto& [name, port] : locked.ports) {
      auto pin = e.request.pins.find(name);
      if (pin != e.request.pins.end() && pin->second != port) {
        problems.push_back(where(i, e) + ": PORTS " + name + "=" + std::to_string(pin->second) +
                           " differs from the lock's " + name + "=" + std::to_string(port) +
                           "; change one of them");
      }
      ops[i].request.pins[name] = port;
    }
    ops[i].request.project = locked.project;
    ops[i].request.extra = locked.extra;  // a locked NodePort stays, and stays pinned
  }
  return ops;
}

std::map<std::size_t, std::string> relock_moves(const Store& store,
                                                const std::vector<PlanEntry>& entries,
                                                const std::map<AppKey, LockEntry>& lock) {
  std::map<std::uint16_t, AppKey> port_owner;
  std::map<std::string, AppKey> name_owner;
  for (const auto& r : store.list()) {
    for (const auto& p : r.ports) {
      port_owner[p.port] = r.key;
    }
    name_owner[r.project] = r.key;
  }
  std::map<std::uint16_t, std::string> leased;  // leases hold ports too
  for (const auto& l : store.leases(std::nullopt)) {
    leased[l.port] = "lease " + quote(l.id);
  }
  std::map<std::size_t, std::string> moved;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto it = lock.find(entries[i].request.key);
    if (it == lock.end()) {
      continue;
    }
    std::string why;
    const auto add = [&](const std::string& s) { why += (why.empty() ? "" : ", ") + s; };
    for (const auto& [name, port] : it->second.ports) {
      const auto owner = port_owner.find(port);
      if (owner != port_owner.end() && !(owner->second == entries[i].request.key)) {
        add(std::to_string(port) + " held by " + describe(owner->second));
      } else if (leased.count(port)) {
        add(std::to_string(port) + " held by " + leased[port]);
      }
    }
    const auto name = name_owner.find(it->second.project);
    if (name != name_owner.end() && !(name->second == entries[i].request.key)) {
      add("name " + quote(it->second.project) + " held by " + describe(name->second));
    }
    if (!why.empty()) {
      moved[i] = why;
    }
  }
  return moved;
}
std::vector<std::string> relocked(const std::vector<PlanEntry>& entries,
                                  const std::map<AppKey, LockEntry>& lock,
                                  const std::map<std::size_t, std::string>& moved,
                                  const std::vector<ReserveResult>& results) {
  std::vector<std::string> out;
  for (const auto& [i, why] : moved) {
    const LockEntry& was = lock.at(entries[i].request.key);
    std::string line = describe(entries[i].request.key) + ":";
    std::string sep = " ";
    for (const auto& p : results[i].reservation.ports) {
      const auto old = was.ports.find(p.name);
      if (old != was.ports.end() && old->second != p.port) {
        line += sep + p.name + " " + std::to_string(old->second) + " -> " + std::to_string(p.port);
        sep = ", ";
      }
    }
    if (was.project != results[i].reservation.project) {
      line += sep + "name " + quote(was.project) + " -> " + quote(results[i].reservation.project);
    }
    out.push_back(line + " (" + why + ")");
  }
  return out;
}

std::string lock_text(const std::vector<ReserveResult>& results) {
  std::map<AppKey, json> sorted;
  for (const auto& res : results) {
    const auto& r = res.reservation;
    json ports = json::object();
    for (const auto& p : r.ports) {
      ports[p.name] = p.port;
    }
    sorted[r.key] = {{"model", r.key.model},
                     {"app", r.key.app},
                     {"pool", r.pool},
                     {"ports", ports},
                     {"project", r.project}};
    if (!r.extra.empty()) {
      sorted[r.key]["extra"] = r.extra;
    }
    if (!r.key.ns.empty()) {
      sorted[r.key]["namespace"] = r.key.ns;
    }
  }
  json apps = json::array();
  for (auto& [key, j] : sorted) {
    apps.push_back(std::move(j));
  }
  return json{{"berth_lock", 1}, {"apps", apps}}.dump(2) + "\n";
}

}  // namespace configure
}  // namespace berth
