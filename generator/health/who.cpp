#include "generator/health/who.hpp"

#include <algorithm>
#include <filesystem>

#include "generator/host/host.hpp"
#include "store/error.hpp"

namespace berth {

using nlohmann::json;

namespace {

// The app holding `port`, if one does, and the port's name there.
std::optional<std::pair<Reservation, std::string>> app_of(const std::vector<Reservation>& apps,
                                                          std::uint16_t port) {
  for (const auto& r : apps) {
    for (const auto& p : r.ports) {
      if (p.port == port) {
        return std::make_pair(r, p.name);
      }
    }
  }
  return std::nullopt;
}

// The pool (and port name) whose range holds `port`, if any.
std::optional<std::pair<std::string, std::string>> pool_of(const std::vector<Pool>& pools,
                                                           std::uint16_t port) {
  for (const auto& pool : pools) {
    for (const auto& r : pool.ports) {
      if (port >= r.first && port <= r.last && (port - r.first) % pool.step == 0) {
        return std::make_pair(pool.name, r.name);
      }
    }
  }
  return std::nullopt;
}

// "python3 (pid 12) on 127.0.0.1, ..." and the JSON list of listeners on `port`.
std::string listening(const std::vector<Listener>& listeners, std::uint16_t port, json& out) {
  std::string text;
  out = json::array();
  for (const auto& l : listeners) {
    if (l.port != port) {
      continue;
    }
    const std::string who = l.pid ? l.process + " (pid " + std::to_string(*l.pid) + ")"
                                  : "an unknown process (not visible to this user)";
    text += (text.empty() ? "" : ", ") + who + " on " + l.address;
    out.push_back({{"address", l.address},
                   {"pid", l.pid ? json(*l.pid) : json(nullptr)},
                   {"process", l.process}});
  }
  return text;
}

// The app's recorded folders (and build trees, lock files), each with whether it exists.
std::string folders_of(const Store& store, const AppKey& key, json& out) {
  std::string text;
  out = json::array();
  for (const auto& u : store.uses(key).uses) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(u.path, ec);
    out.push_back({{"kind", u.kind}, {"path", u.path}, {"exists", exists}});
    if (u.kind == "app") {
      text += (text.empty() ? "" : ", ") + u.path + (exists ? "" : " (gone)");
    }
  }
  return text;
}

}  // namespace

std::vector<PortAnswer> who(const Store& store, const std::vector<std::uint16_t>& ports) {
  const auto apps = store.list();
  const auto leases = store.leases(std::nullopt);
  const auto pools = store.pools();
  const auto excluded = store.excluded();
  const auto listeners = tcp_listeners(true);
  std::vector<PortAnswer> out;
  for (const std::uint16_t port : ports) {
    PortAnswer a;
    json listened;
    const std::string on = listening(listeners, port, listened);
    a.answer = {{"port", port}, {"listening", listened}};
    std::string held;
    if (const auto app = app_of(apps, port)) {
      const Reservation& r = app->first;
      const bool pinned =
          std::find(r.pinned.begin(), r.pinned.end(), app->second) != r.pinned.end();
      json folders;
      const std::string where = folders_of(store, r.key, folders);
      a.answer["holder"] = "app";
      a.answer["app"] = to_json(r);
      a.answer["name"] = app->second;
      a.answer["pinned"] = pinned;
      a.answer["uses"] = folders;
      held = app->second + " of " + describe(r.key) + (pinned ? " (pinned)" : "") + ", project " +
             r.project + ", pool " + quote(r.pool) + (where.empty() ? "" : "; folders: " + where);
    } else if (const auto l = std::find_if(leases.begin(), leases.end(),
                                           [&](const Lease& x) { return x.port == port; });
               l != leases.end()) {
      a.answer["holder"] = "lease";
      a.answer["lease"] = to_json(*l);
      held = "lease " + quote(l->id) + " (pool " + quote(l->pool) + ")";
    } else if (excluded.count(port)) {
      a.answer["holder"] = "excluded";
      held = "excluded in this store (never handed out; `berth pool include " +
             std::to_string(port) + "` hands it out again)";
    } else if (const auto pool = pool_of(pools, port)) {
      a.answer["holder"] = nullptr;
      a.answer["pool"] = pool->first;
      held = "free in pool " + quote(pool->first) + " (" + pool->second + ")";
      a.worrying = !on.empty();
    } else {
      a.answer["holder"] = nullptr;
      held = "in no pool of this store";
      a.worrying = true;
    }
    a.line = std::to_string(port) + ": " + held + "; " +
             (on.empty() ? "nothing listens on it now" : "listened on by " + on);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace berth
