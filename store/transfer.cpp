#include "store/store.hpp"

#include "store/keys.hpp"
#include "store/lmdb_env.hpp"
#include "store/names.hpp"
#include "store/state.hpp"

// Store::import and Store::export_json: the store as byte-stable JSON, and back.
namespace berth {

using namespace keys;

using nlohmann::json;

namespace {

// Adds an exported lease, keeping its port and times; one on a port held by another owner is a
// conflict, one the store already has (same port and pool) is left as it is.
void import_lease(State& state, const Lease& l) {
  validate_lease_id(l.id);
  const Pool& pool = state.lease_pool(l.pool);
  const PortRange& r = pool.ports[0];
  if (l.port < r.first || l.port > r.last) {
    throw usage_error("port " + std::to_string(l.port) + " is not in pool " + quote(pool.name));
  }
  if (auto existing = state.load_lease(l.id)) {
    if (existing->port != l.port || existing->pool != l.pool) {
      throw conflict_error("the store leases it port " + std::to_string(existing->port));
    }
    return;
  }
  if (state.port_owner(l.port)) {
    throw conflict_error("port " + std::to_string(l.port) + " is held by " +
                         state.describe_owner(l.port));
  }
  state.put_lease(l);
}

}  // namespace

std::vector<ReserveResult> Store::import(const std::vector<Pool>& pools,
                                         const std::vector<ReserveRequest>& requests,
                                         const std::vector<Lease>& leases,
                                         std::vector<std::string>* skipped) {
  return m_env->write([&](Txn& t) {
    State state(t);
    state.hold_marks();
    std::vector<std::string> problems;
    for (const auto& pool : pools) {
      // A pool the store lacks is added; one that differs is changed as `berth pool set`
      // would, which is refused when a reservation already in it would no longer fit.
      auto it = state.pools().find(pool.name);
      if (it == state.pools().end() || to_json(it->second) != to_json(pool)) {
        try {
          state.check_pool_change(pool, true);
          state.put_pool(pool);
        } catch (const Error& e) {
          problems.push_back(e.what());
        }
      }
    }
    std::vector<ReserveResult> results;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      try {
        results.push_back(state.reserve(requests[i]));
      } catch (const Error& e) {
        problems.push_back("entry " + std::to_string(i + 1) + " (" + describe(requests[i].key) +
                           "): " + e.what());
      }
    }
    for (const auto& l : leases) {
      try {
        import_lease(state, l);
      } catch (const Error& e) {
        problems.push_back("lease " + quote(l.id) + ": " + e.what());
      }
    }
    if (skipped) {
      // Each refused entry was refused before it wrote anything: the rest commit.
      *skipped = problems;
    } else if (!problems.empty()) {
      throw conflict_error(
          "import refused, nothing changed: " + std::to_string(problems.size()) + " problem(s)",
          problems);
    }
    state.put_marks();
    return results;
  });
}

json Store::export_json() const {
  return m_env->read([](const Txn& t) {
    State state(t);
    json pools = json::array();
    for (const auto& [name, pool] : state.pools()) {
      json j = to_json(pool);
      j.erase("capacity");
      pools.push_back(j);
    }
    json reservations = json::array();
    for (const auto& r : state.list({})) {
      json ports = json::object();
      for (const auto& p : r.ports) {
        ports[p.name] = p.port;
      }
      json j = {{"model", r.key.model},
                {"app", r.key.app},
                {"pool", r.pool},
                {"ports", ports},
                {"project", r.project}};
      if (!r.extra.empty()) {
        j["extra"] = r.extra;
      }
      if (!r.owner.empty()) {
        j["owner"] = r.owner;  // only when there is one: exports of unowned apps stay the same
      }
      if (!r.key.ns.empty()) {
        j["namespace"] = r.key.ns;  // likewise
      }
      reservations.push_back(j);
    }
    json out = {{"berth_export", 1},
                {"excluded", state.excluded()},
                {"pools", pools},
                {"reservations", reservations}};
    // Leases only when there are any, so that a store without leases exports as before.
    json leases = json::array();
    for (const auto& l : state.leases(std::nullopt)) {
      leases.push_back({{"id", l.id},
                        {"pool", l.pool},
                        {"port", l.port},
                        {"acquired", l.acquired},
                        {"last_active", l.last_active},
                        {"ttl", l.ttl},
                        {"owner_pid", l.owner_pid}});
    }
    if (!leases.empty()) {
      out["leases"] = leases;
    }
    return out;
  });
}

}  // namespace berth
