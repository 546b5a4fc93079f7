#include "store/state.hpp"

#include <nlohmann/json.hpp>

#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/keys.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
using namespace keys;

// Throws unless `pool` can replace the pool of that name (or be added).
void State::check_pool_change(const Pool& pool, bool allow_ephemeral) const {
  validate_pool(pool, allow_ephemeral);
  for (const auto& [name, other] : m_pools) {
    if (name == pool.name) {
      continue;
    }
    for (const auto& a : pool.ports) {
      for (const auto& b : other.ports) {
        if (a.first <= b.last && b.first <= a.last) {
          throw usage_error("pool " + quote(pool.name) + ": range " + a.name + "=" +
                            std::to_string(a.first) + "-" + std::to_string(a.last) +
                            " overlaps pool " + quote(name) + "'s range " + b.name + "=" +
                            std::to_string(b.first) + "-" + std::to_string(b.last));
        }
      }
    }
  }
  auto it = m_pools.find(pool.name);
  if (it == m_pools.end()) {
    return;
  }
  std::vector<std::string> stranded;
  for (const auto& l : leases(pool.name)) {
    const PortRange& r = pool.ports[0];
    if (!pool.lease) {
      stranded.push_back("lease " + quote(l.id) + ": the pool would no longer be a lease pool");
    } else if (l.port < r.first || l.port > r.last || (l.port - r.first) % pool.step != 0) {
      stranded.push_back("lease " + quote(l.id) + ": port " + std::to_string(l.port) +
                         " would be outside the pool");
    }
  }
  for (const auto& r : list(std::nullopt)) {
    const auto x = std::find(r.extra.begin(), r.extra.end(), pool.name);
    if (x != r.extra.end()) {
      const NamedPort& p = r.ports[r.ports.size() - r.extra.size() + (x - r.extra.begin())];
      const PortRange& range = pool.ports[0];
      if (!pool.extra) {
        stranded.push_back(describe(r.key) + ": holds port " + std::to_string(p.port) +
                           " of it as an extra pool");
      } else if (range.name != p.name || p.port < range.first || p.port > range.last ||
                 (p.port - range.first) % pool.step != 0) {
        stranded.push_back(describe(r.key) + ": " + p.name + "=" + std::to_string(p.port) +
                           " would be outside the pool");
      }
    }
    if (r.pool != pool.name) {
      continue;
    }
    if (pool.lease) {
      stranded.push_back(describe(r.key) + ": a lease pool holds no reservations");
      continue;
    }
    const std::size_t own = r.ports.size() - r.extra.size();
    bool same_names = own == pool.ports.size();
    for (std::size_t i = 0; same_names && i < own; ++i) {
      same_names = r.ports[i].name == pool.ports[i].name;
    }
    if (!same_names) {
      stranded.push_back(describe(r.key) + ": its port names would change");
      continue;
    }
    if (!r.slot) {
      continue;
    }
    if (*r.slot >= pool.capacity()) {
      stranded.push_back(describe(r.key) + ": slot " + std::to_string(*r.slot) +
                         " would be beyond the new capacity " + std::to_string(pool.capacity()));
      continue;
    }
    for (std::size_t i = 0; i < own; ++i) {
      const bool is_pinned =
          std::find(r.pinned.begin(), r.pinned.end(), r.ports[i].name) != r.pinned.end();
      if (!is_pinned && pool.port_at(i, *r.slot) != r.ports[i].port) {
        stranded.push_back(describe(r.key) + ": " + r.ports[i].name + "=" +
                           std::to_string(r.ports[i].port) + " would become " +
                           std::to_string(pool.port_at(i, *r.slot)));
      }
    }
  }
  if (!stranded.empty()) {
    throw conflict_error("changing pool " + quote(pool.name) + " would strand " +
                             std::to_string(stranded.size()) +
                             " reservation(s); release them first",
                         stranded);
  }
}

}  // namespace berth
