#include "store/store.hpp"

#include "store/lmdb_env.hpp"
#include "store/state.hpp"

// Store::import and Store::export_json: the store as byte-stable JSON, and back.
namespace berth {

using nlohmann::json;

std::vector<ReserveResult> Store::import(const std::vector<Pool>& pools,
                                         const std::vector<ReserveRequest>& requests) {
  return m_env->write([&](Txn& t) {
    State state(t);
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
    if (!problems.empty()) {
      throw conflict_error(
          "import refused, nothing changed: " + std::to_string(problems.size()) + " problem(s)",
          problems);
    }
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
    for (const auto& r : state.list(std::nullopt)) {
      json ports = json::object();
      for (const auto& p : r.ports) {
        ports[p.name] = p.port;
      }
      reservations.push_back({{"model", r.key.model},
                              {"app", r.key.app},
                              {"pool", r.pool},
                              {"ports", ports},
                              {"project", r.project}});
    }
    return json{{"berth_export", 1},
                {"excluded", state.excluded()},
                {"pools", pools},
                {"reservations", reservations}};
  });
}

}  // namespace berth
