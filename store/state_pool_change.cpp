#include "store/state.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/keys.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
using namespace keys;

namespace {

// Throws unless `pool`'s ranges stay clear of every other pool's.
void check_overlaps(const Pool& pool, const std::map<std::string, Pool>& pools) {
  for (const auto& [name, other] : pools) {
    if (name == pool.name) {
      continue;
    }
    for (const auto& a : pool.ports) {
      for (const auto& b : other.ports) {
        if (a.first <= b.last && b.first <= a.last) {
          throw conflict_error("pool " + quote(pool.name) + ": range " + a.name + "=" +
                               std::to_string(a.first) + "-" + std::to_string(a.last) +
                               " overlaps pool " + quote(name) + "'s range " + b.name + "=" +
                               std::to_string(b.first) + "-" + std::to_string(b.last));
        }
      }
    }
  }
}

// An app's port names must differ across its own pool and its extra pools: an extra pool's
// range name may not be a port name of an apps pool or of another extra pool (lease pools hold
// no app ports).
void check_port_names(const Pool& pool, const std::map<std::string, Pool>& pools) {
  if (pool.lease) {
    return;
  }
  for (const auto& [name, other] : pools) {
    if (name == pool.name || other.lease || (!pool.extra && !other.extra)) {
      continue;  // two apps pools never meet in one app
    }
    for (const auto& a : pool.ports) {
      for (const auto& b : other.ports) {
        if (a.name == b.name) {
          throw conflict_error("pool " + quote(pool.name) + ": port name " + quote(a.name) +
                               " is already a port name of " +
                               (other.extra ? "extra pool " : "pool ") + quote(name) +
                               "; an app holds its own pool's ports and one port of each extra "
                               "pool, so their names must differ: choose another name");
        }
      }
    }
  }
}

bool in_range(const Pool& pool, std::uint16_t port) {
  const PortRange& r = pool.ports[0];
  return port >= r.first && port <= r.last && (port - r.first) % pool.step == 0;
}

// A reservation holding a port of `pool` as an extra pool: stranded unless it stays one and the
// port stays in its range.
void strand_extra(const Reservation& r, const Pool& pool, std::vector<std::string>& stranded) {
  const auto x = std::find(r.extra.begin(), r.extra.end(), pool.name);
  if (x == r.extra.end()) {
    return;
  }
  const NamedPort& p = r.ports[r.ports.size() - r.extra.size() + (x - r.extra.begin())];
  if (!pool.extra) {
    stranded.push_back(describe(r.key) + ": holds port " + std::to_string(p.port) +
                       " of it as an extra pool");
  } else if (pool.ports[0].name != p.name || !in_range(pool, p.port)) {
    stranded.push_back(describe(r.key) + ": " + p.name + "=" + std::to_string(p.port) +
                       " would be outside the pool");
  }
}

// A reservation of `pool`: stranded when its port names, slot or unpinned ports would change.
void strand_app(const Reservation& r, const Pool& pool, std::vector<std::string>& stranded) {
  if (pool.lease) {
    stranded.push_back(describe(r.key) + ": a lease pool holds no reservations");
    return;
  }
  const std::size_t own = r.ports.size() - r.extra.size();
  bool same_names = own == pool.ports.size();
  for (std::size_t i = 0; same_names && i < own; ++i) {
    same_names = r.ports[i].name == pool.ports[i].name;
  }
  if (!same_names) {
    stranded.push_back(describe(r.key) + ": its port names would change");
    return;
  }
  if (!r.slot) {
    return;
  }
  if (*r.slot >= pool.capacity()) {
    stranded.push_back(describe(r.key) + ": slot " + std::to_string(*r.slot) +
                       " would be beyond the new capacity " + std::to_string(pool.capacity()));
    return;
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

}  // namespace

// Throws unless `pool` can replace the pool of that name (or be added).
void State::check_pool_change(const Pool& pool, bool allow_ephemeral) const {
  validate_pool(pool, allow_ephemeral);
  check_overlaps(pool, m_pools);
  check_port_names(pool, m_pools);
  if (!m_pools.count(pool.name)) {
    return;
  }
  std::vector<std::string> stranded;
  for (const auto& l : leases(pool.name)) {
    if (!pool.lease) {
      stranded.push_back("lease " + quote(l.id) + ": the pool would no longer be a lease pool");
    } else if (!in_range(pool, l.port)) {
      stranded.push_back("lease " + quote(l.id) + ": port " + std::to_string(l.port) +
                         " would be outside the pool");
    }
  }
  for (const auto& r : list({})) {
    strand_extra(r, pool, stranded);
    if (r.pool == pool.name) {
      strand_app(r, pool, stranded);
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
