#include "store/state.hpp"

#include <nlohmann/json.hpp>

#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/keys.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
using namespace keys;

Pool read_pool_record(std::string_view key, std::string_view value) {
  const std::string where = "store pool record " + quote(std::string(key));
  const json j = json::parse(value.begin(), value.end(), nullptr, false);
  Pool p = pool_from_json(j, where, ErrorKind::runtime);
  // The same rules `pool set` applies (ranges, names, one range for a lease or extra pool):
  // allocation never meets a pool it cannot work with.
  try {
    validate_pool(p, true);
  } catch (const Error& e) {
    throw runtime_error(where + " is damaged: " + e.what());
  }
  if (p.name != key) {
    throw runtime_error(where + " is damaged: it names pool " + quote(p.name));
  }
  return p;
}

std::set<std::uint16_t> read_excluded_record(std::string_view value) {
  const json j = json::parse(value.begin(), value.end(), nullptr, false);
  if (!j.is_array()) {
    throw runtime_error("store's excluded ports record is not a JSON list");
  }
  std::set<std::uint16_t> out;
  for (const auto& p : j) {
    out.insert(static_cast<std::uint16_t>(
        json_integer(p, 1, 65535, "port", "store's excluded ports", ErrorKind::runtime)));
  }
  return out;
}

State::State(const Txn& txn) : m_txn(const_cast<Txn&>(txn)) {
  m_txn.scan(Db::pools, "", "", [&](std::string_view k, std::string_view v) {
    Pool p = read_pool_record(k, v);
    m_pools.emplace(p.name, std::move(p));
    return true;
  });
  if (auto ex = m_txn.get(Db::meta, k_meta_excluded)) {
    m_excluded = read_excluded_record(*ex);
  }
}

const Pool& State::pool(const std::string& name) const {
  auto it = m_pools.find(name);
  if (it == m_pools.end()) {
    std::vector<std::string> names;
    for (const auto& [n, p] : m_pools) {
      names.push_back(n);
    }
    throw usage_error("no pool " + quote(name) +
                      " in this store; pools: " + (names.empty() ? "none" : join(names, ", ")));
  }
  return it->second;
}

std::optional<Reservation> State::load(const AppKey& key) const {
  auto v = m_txn.get(Db::apps, app_key(key));
  if (!v) {
    return std::nullopt;
  }
  return decode_record(key, *v);
}

// The owner of a held port, as the ports index holds it (an app key or a lease owner).
std::optional<std::string> State::port_owner(std::uint16_t port) const {
  return m_txn.get(Db::ports, port_key(port));
}

// "'model' app 1 (backend)" or "lease '56' (pool 'preview')", the owner of a held port, for
// messages.
std::string State::describe_owner(std::uint16_t port) const {
  const std::string value = *port_owner(port);
  if (is_lease_owner(value)) {
    const std::string id = lease_id_of(value);
    const auto l = load_lease(id);
    return "lease " + quote(id) + (l ? " (pool " + quote(l->pool) + ")" : "");
  }
  const AppKey owner = decode_app_key(value);
  std::string role;
  if (auto rec = load(owner)) {
    for (const auto& p : rec->ports) {
      if (p.port == port) {
        role = " (" + p.name + ")";
      }
    }
  }
  return describe(owner) + role;
}

std::uint32_t State::high(const std::string& pool) const {
  auto& cached = m_slot_cache[pool].high;
  if (!cached) {
    auto v = m_txn.get(Db::meta, meta_high(pool));
    cached = v ? read_be32(*v) : 0;
  }
  return *cached;
}

void State::set_high(const std::string& pool, std::uint32_t h) {
  auto& cached = m_slot_cache[pool];
  cached.high = h;
  cached.high_changed = m_hold_marks;
  if (!m_hold_marks) {
    m_txn.put(Db::meta, meta_high(pool), be32(h));
  }
}

void State::put_marks() {
  for (auto& [pool, cached] : m_slot_cache) {
    if (cached.high_changed) {
      m_txn.put(Db::meta, meta_high(pool), be32(*cached.high));
      cached.high_changed = false;
    }
  }
}

void State::write(const Reservation& r, bool with_name) {
  const std::string key = app_key(r.key);
  m_txn.put(Db::apps, key, encode_record(r));
  for (const auto& p : r.ports) {
    m_txn.put_rising(Db::ports, port_key(p.port), key);
  }
  if (with_name) {
    m_txn.put(Db::names, r.project, key);
  }
  if (r.slot) {
    m_txn.put_rising(Db::slots, slot_key(r.pool, *r.slot), key);
  }
}

Reservation State::release(const AppKey& key) {
  auto r = load(key);
  if (!r) {
    throw usage_error(describe(key) + " is not reserved; see `berth list`");
  }
  m_txn.del(Db::apps, app_key(key));
  for (const auto& p : r->ports) {
    m_txn.del(Db::ports, port_key(p.port));
  }
  m_txn.del(Db::names, r->project);
  if (r->slot) {
    m_txn.del(Db::slots, slot_key(r->pool, *r->slot));
    free_slot(r->pool, *r->slot);
  }
  m_txn.del_prefix(Db::uses, app_key(key));
  return *r;
}

// When the app was reserved and where it is used (uses.cpp records them).
AppUses State::load_uses(const AppKey& key) const {
  AppUses out;
  const std::string prefix = app_key(key);
  m_txn.scan(Db::uses, prefix, prefix, [&](std::string_view k, std::string_view v) {
    const auto time = [&](const char* field) {  // the message is made only when it is needed
      const auto fast = decode_canonical_time(field, v);
      return fast ? *fast : decode_time(field, v, "store use record of " + describe(key));
    };
    if (auto use = decode_use_key(prefix, k)) {
      out.uses.push_back({use->first, use->second, time("seen")});
    } else {
      out.created = time("created");
    }
    return true;
  });
  return out;
}

// The clock for created and seen times: $BERTH_NOW in tests, read once per transaction.
std::int64_t State::now() {
  if (!m_now) {
    m_now = Store::now();
  }
  return *m_now;
}

namespace {

// The keys of one namespace share a prefix, and those of one model within it a longer one.
std::string key_prefix(const AppFilter& filter) {
  std::string prefix;
  if (filter.ns && !filter.ns->empty()) {
    prefix = *filter.ns + k_namespace_end;
  }
  if (filter.ns && filter.model) {
    prefix += *filter.model + '\0';
  }
  return prefix;
}

}  // namespace

std::vector<AppKey> State::keys(const AppFilter& filter) const {
  const std::string prefix = key_prefix(filter);
  std::vector<AppKey> out;
  m_txn.scan(Db::apps, prefix, prefix, [&](std::string_view k, std::string_view) {
    AppKey key = decode_app_key(k);
    if ((!filter.ns || key.ns == *filter.ns) && (!filter.model || key.model == *filter.model)) {
      out.push_back(std::move(key));
    }
    return true;
  });
  return out;
}

std::vector<Reservation> State::list(const AppFilter& filter) const {
  std::vector<Reservation> out;
  if (key_prefix(filter).empty()) {
    out.reserve(m_txn.count(Db::apps));
  }
  each(filter, [&out](Reservation&& r) { out.push_back(std::move(r)); });
  return out;
}

void State::each(const AppFilter& filter, const std::function<void(Reservation&&)>& fn) const {
  const std::string prefix = key_prefix(filter);
  m_txn.scan(Db::apps, prefix, prefix, [&](std::string_view k, std::string_view v) {
    const AppKey key = decode_app_key(k);
    if ((!filter.ns || key.ns == *filter.ns) && (!filter.model || key.model == *filter.model)) {
      Reservation r = decode_record(key, v);
      if (filter.matches(r)) {
        fn(std::move(r));
      }
    }
    return true;
  });
}

void State::put_pool(const Pool& pool) {
  json j = to_json(pool);
  j.erase("capacity");
  m_txn.put(Db::pools, pool.name, j.dump());
  m_pools[pool.name] = pool;
}

void State::put_excluded(const std::set<std::uint16_t>& ports) {
  m_txn.put(Db::meta, k_meta_excluded, json(ports).dump());
  m_excluded = ports;
}

}  // namespace berth
