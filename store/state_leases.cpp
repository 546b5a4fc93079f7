#include "store/state.hpp"

#include <nlohmann/json.hpp>

#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/keys.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
using namespace keys;

std::optional<Lease> State::load_lease(const std::string& id) const {
  auto v = m_txn.get(Db::leases, id);
  return v ? std::optional<Lease>(decode_lease(id, *v)) : std::nullopt;
}

// Every lease (of `pool`, if given), by id.
std::vector<Lease> State::leases(const std::optional<std::string>& pool) const {
  std::vector<Lease> out;
  m_txn.scan(Db::leases, "", "", [&](std::string_view k, std::string_view v) {
    Lease l = decode_lease(std::string(k), v);
    if (!pool || l.pool == *pool) {
      out.push_back(std::move(l));
    }
    return true;
  });
  return out;
}

const Pool& State::lease_pool(const std::string& name) const {
  const Pool& p = pool(name);
  if (!p.lease) {
    throw usage_error("pool " + quote(name) +
                      " is not a lease pool; lease pools: " + join(lease_pool_names(), ", "));
  }
  return p;
}

std::vector<std::string> State::lease_pool_names() const {
  std::vector<std::string> names;
  for (const auto& [n, p] : m_pools) {
    if (p.lease) {
      names.push_back(n);
    }
  }
  if (names.empty()) {
    names.push_back("none");
  }
  return names;
}

void State::put_lease(const Lease& l) {
  m_txn.put(Db::leases, l.id, encode_lease(l));
  m_txn.put(Db::ports, port_key(l.port), lease_owner(l.id));
}

void State::drop_lease(const Lease& l) {
  m_txn.del(Db::leases, l.id);
  m_txn.del(Db::ports, port_key(l.port));
}

// The lowest port of a lease pool that nothing holds and that is not excluded.
std::optional<std::uint16_t> State::free_lease_port(const Pool& pool,
                                                    const std::set<std::uint16_t>& avoid) const {
  const PortRange& r = pool.ports[0];
  for (std::uint32_t p = r.first; p <= r.last; p += pool.step) {
    const auto port = static_cast<std::uint16_t>(p);
    if (!m_excluded.count(port) && !avoid.count(port) && !m_txn.has(Db::ports, port_key(port))) {
      return port;
    }
  }
  return std::nullopt;
}

// Frees the leases (of `pool`, if given) that may be reclaimed at `now`, oldest activity
// first; returns them.
std::vector<Lease> State::reclaimable(const std::optional<std::string>& pool,
                                      std::int64_t now) const {
  std::vector<Lease> gone;
  for (const auto& l : leases(pool)) {
    if (l.reclaimable(now)) {
      gone.push_back(l);
    }
  }
  std::stable_sort(gone.begin(), gone.end(),
                   [](const Lease& a, const Lease& b) { return a.last_active < b.last_active; });
  return gone;
}

std::vector<Lease> State::expire(const std::optional<std::string>& pool, std::int64_t now) {
  const std::vector<Lease> gone = reclaimable(pool, now);
  for (const auto& l : gone) {
    drop_lease(l);
  }
  return gone;
}

// The id's lease, renewed (the same port while it lives), or a new one on the lowest free
// port of the pool; when the pool is full, reclaimable leases of the pool are freed first
// (listed in `reclaimed`).
Lease State::acquire(const std::string& id, const std::string& pool_name,
                     std::optional<std::int64_t> ttl, std::optional<std::int64_t> owner_pid,
                     std::int64_t now, std::vector<Lease>& reclaimed,
                     const std::set<std::uint16_t>& avoid) {
  validate_lease_id(id);
  if (auto existing = load_lease(id)) {
    if (!pool_name.empty() && pool_name != existing->pool) {
      throw conflict_error("lease " + quote(id) + " is held in pool " + quote(existing->pool) +
                           ", not " + quote(pool_name) + "; release it first");
    }
    existing->last_active = now;
    existing->ttl = ttl.value_or(existing->ttl);
    existing->owner_pid = owner_pid.value_or(existing->owner_pid);
    put_lease(*existing);
    return *existing;
  }
  const Pool& pool = lease_pool(pool_name.empty() ? k_default_lease_pool : pool_name);
  auto port = free_lease_port(pool, avoid);
  if (!port) {
    reclaimed = expire(pool.name, now);
    port = free_lease_port(pool, avoid);
  }
  if (!port) {
    const auto held = leases(pool.name);
    std::string idle;
    if (!held.empty()) {
      const auto oldest = std::min_element(
          held.begin(), held.end(),
          [](const Lease& a, const Lease& b) { return a.last_active < b.last_active; });
      idle = "; the longest idle is " + quote(oldest->id) + " (port " +
             std::to_string(oldest->port) + ", last active " + iso_utc(oldest->last_active) + ")";
    }
    throw runtime_error("lease pool " + quote(pool.name) + " is full: all " +
                        std::to_string(pool.capacity()) +
                        " ports are held and none may be "
                        "reclaimed yet" +
                        idle +
                        ". Release a lease (berth lease release) or "
                        "widen the pool (berth pool set)");
  }
  Lease l;
  l.id = id;
  l.pool = pool.name;
  l.port = *port;
  l.acquired = now;
  l.last_active = now;
  l.ttl = ttl.value_or(k_default_lease_ttl);
  l.owner_pid = owner_pid.value_or(0);
  put_lease(l);
  return l;
}

}  // namespace berth
