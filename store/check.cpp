#include "store/store.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "store/keys.hpp"
#include "store/lmdb_env.hpp"
#include "store/names.hpp"
#include "store/state.hpp"

// Store::check (every invariant, each problem a finding) and Store::stats.
namespace berth {

using namespace keys;

using nlohmann::json;

Reservation parse_reservation_record(const AppKey& key, std::string_view value) {
  return decode_record(key, value);
}

namespace {

// One index's entries, read once in key order (views into the read transaction's map, valid
// until it ends). The records' checks look their keys up here instead of searching the B-tree
// for each, and mark the entries that point back at them: an entry no record marked points at
// a record that does not hold it (or at none).
class IndexEntries {
 public:
  IndexEntries(const Txn& t, Db db) {
    m_entries.reserve(t.count(db));
    t.scan(db, "", "", [&](std::string_view k, std::string_view v) {
      m_entries.emplace_back(k, v);
      return true;
    });
    m_held.assign(m_entries.size(), false);
  }

  // The owner `key` is indexed to, if any; the entry is marked when that owner is `holder`.
  std::optional<std::string_view> owner(std::string_view key, std::string_view holder) {
    const auto it = std::lower_bound(m_entries.begin(), m_entries.end(), key,
                                     [](const std::pair<std::string_view, std::string_view>& e,
                                        std::string_view k) { return e.first < k; });
    if (it == m_entries.end() || it->first != key) {
      return std::nullopt;
    }
    if (it->second == holder) {
      m_held[static_cast<std::size_t>(it - m_entries.begin())] = true;
    }
    return it->second;
  }

  // fn(key, owner, held) for each entry in key order, held when a record marked it.
  template <class Fn>
  void each(Fn fn) const {
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
      fn(m_entries[i].first, m_entries[i].second, static_cast<bool>(m_held[i]));
    }
  }

 private:
  std::vector<std::pair<std::string_view, std::string_view>> m_entries;
  std::vector<bool> m_held;
};

// Store::check's findings on one read transaction, each invariant a step.
class Checker {
 public:
  Checker(const Txn& t, State& state)
      : m_t(t),
        m_state(state),
        m_ports(t, Db::ports),
        m_names(t, Db::names),
        m_slots(t, Db::slots) {}

  std::vector<std::string> run() {
    meta();
    each_record();
    ports_index();
    names_index();
    leases();
    uses();
    slots();
    return std::move(m_problems);
  }
  // The reservations read whole (a malformed one is a problem, not a reservation).
  std::size_t records() const { return m_read; }

 private:
  void bad(std::string p) { m_problems.push_back(std::move(p)); }

  // Marks the index entries that point back at the record `key`, before any check (which may
  // stop at a malformed entry) looks at them.
  void mark(const Reservation& r, std::string_view key) {
    for (const auto& p : r.ports) {
      m_ports.owner(port_key(p.port), key);
    }
    m_names.owner(r.project, key);
    if (r.slot) {
      m_slots.owner(slot_key(r.pool, *r.slot), key);
    }
  }

  // A pool's high-water mark, read once.
  std::uint32_t high(const std::string& pool) {
    const auto it = m_highs.find(pool);
    return it != m_highs.end() ? it->second
                               : m_highs.emplace(pool, m_state.high(pool)).first->second;
  }

  // Runs one index entry's check; a malformed key or value is a finding.
  bool guarded(const char* db, const std::function<void()>& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      bad(std::string("index ") + db + ": " + e.what());
    }
    return true;
  }

  // The meta records besides pools and excluded ports (which State read): the settings are a
  // JSON object.
  void meta() {
    if (const auto settings = m_t.get(Db::meta, k_meta_settings)) {
      const json j = json::parse(*settings, nullptr, false);
      if (!j.is_object()) {
        bad("store's settings record (berth config) is not a JSON object");
      }
    }
  }

  // Each record on its own, checked as it is read and not kept: a malformed one is a finding
  // (listed before the other records' findings), not the end of the check.
  void each_record() {
    m_all_keys.reserve(m_t.count(Db::apps));
    const std::size_t first = m_problems.size();
    std::vector<std::string> malformed;
    m_t.scan(Db::apps, "", "", [&](std::string_view k, std::string_view v) {
      m_all_keys.push_back(k);
      std::optional<Reservation> r;
      try {
        r = decode_record(decode_app_key(k), v);
      } catch (const Error& e) {
        malformed.push_back(e.what());
        return true;
      }
      ++m_read;
      mark(*r, k);
      guarded("apps", [&] { reservation(*r, k); });
      return true;
    });
    m_problems.insert(m_problems.begin() + static_cast<std::ptrdiff_t>(first), malformed.begin(),
                      malformed.end());
  }

  // A port of an extra pool: the pool exists as one, and the port is one of its range.
  void extra_port(const std::string& who, const NamedPort& p, const std::string& x) {
    auto xit = m_state.pools().find(x);
    if (xit == m_state.pools().end() || !xit->second.extra) {
      bad(who + ": its extra pool " + quote(x) + " is not an extra pool of this store");
      return;
    }
    const Pool& xp = xit->second;
    const PortRange& range = xp.ports[0];
    if (p.name != range.name || p.port < range.first || p.port > range.last ||
        (p.port - range.first) % xp.step != 0) {
      bad(who + ": port " + std::to_string(p.port) + " (" + p.name +
          ") is not a port of extra pool " + quote(x));
    }
  }

  // The i-th port of `r`: indexed to it, not excluded, and its pool's (or extra pool's) port.
  void port(const Reservation& r, std::string_view key, const Pool& pool, std::size_t i) {
    const auto who = [&r] { return describe(r.key); };  // made only for a finding
    const std::size_t own = r.ports.size() - r.extra.size();
    const auto& p = r.ports[i];
    const auto owner = m_ports.owner(port_key(p.port), key);
    if (!owner) {
      bad(who() + ": port " + std::to_string(p.port) + " (" + p.name + ") is not indexed");
    } else if (*owner != key) {
      bad("port " + std::to_string(p.port) + " is held twice: by " + who() + " (" + p.name +
          ") and by " +
          (is_lease_owner(*owner) ? "lease " + quote(lease_id_of(*owner))
                                  : describe(decode_app_key(*owner))));
    }
    if (m_state.excluded().count(p.port)) {
      bad(who() + ": port " + std::to_string(p.port) + " (" + p.name + ") is excluded");
    }
    if (i >= own) {
      extra_port(who(), p, r.extra[i - own]);
      return;
    }
    const auto role = pool.role_of(p.name);
    if (!role || *role != i) {
      bad(who() + ": port name " + quote(p.name) + " does not match pool " + quote(pool.name));
      return;
    }
    const bool is_pinned = std::find(r.pinned.begin(), r.pinned.end(), p.name) != r.pinned.end();
    if (r.slot && !is_pinned && pool.port_at(i, *r.slot) != p.port) {
      bad(who() + ": port " + std::to_string(p.port) + " (" + p.name + ") is not slot " +
          std::to_string(*r.slot) + "'s port " + std::to_string(pool.port_at(i, *r.slot)));
    }
  }

  // The reservation's project name (valid, indexed to it) and slot (in range, indexed to it).
  void name_and_slot(const Reservation& r, std::string_view key, const Pool& pool) {
    const auto who = [&r] { return describe(r.key); };
    if (!is_valid_project_name(r.project)) {
      bad(who() + ": project name " + quote(r.project) + " is not valid for Docker");
    }
    const auto name_owner = m_names.owner(r.project, key);
    if (!name_owner) {
      bad(who() + ": project name " + quote(r.project) + " is not indexed");
    } else if (*name_owner != key) {
      bad("project name " + quote(r.project) + " is held twice: by " + who() + " and by " +
          describe(decode_app_key(*name_owner)));
    }
    if (!r.slot) {
      return;
    }
    if (*r.slot >= pool.capacity() || *r.slot >= high(r.pool)) {
      bad(who() + ": slot " + std::to_string(*r.slot) + " is beyond pool " + quote(r.pool) +
          "'s capacity or high-water mark");
    }
    const auto slot_owner = m_slots.owner(slot_key(r.pool, *r.slot), key);
    if (!slot_owner || *slot_owner != key) {
      bad(who() + ": slot " + std::to_string(*r.slot) + " of pool " + quote(r.pool) +
          " is not indexed to it");
    }
  }

  // A reservation against the indexes and its pool.
  void reservation(const Reservation& r, std::string_view key) {
    const auto who = [&r] { return describe(r.key); };
    auto pit = m_state.pools().find(r.pool);
    if (pit == m_state.pools().end()) {
      bad(who() + ": its pool " + quote(r.pool) + " does not exist");
      return;
    }
    const Pool& pool = pit->second;
    for (std::size_t i = 0; i < r.ports.size(); ++i) {
      port(r, key, pool, i);
    }
    for (std::size_t i = 1; i < r.ports.size(); ++i) {  // a handful of ports: no set needed
      const auto& p = r.ports[i];
      const auto same = [&p](const NamedPort& q) { return q.name == p.name; };
      if (std::any_of(r.ports.begin(), r.ports.begin() + static_cast<std::ptrdiff_t>(i), same)) {
        bad(who() + ": holds two ports named " + quote(p.name) +
            " (its own pool's and an extra pool's, or two extra pools'); release it and reserve "
            "it again");
      }
    }
    const std::size_t own = r.ports.size() - r.extra.size();
    if (own != pool.ports.size()) {
      bad(who() + ": holds " + std::to_string(own) + " ports; pool " + quote(pool.name) +
          " names " + std::to_string(pool.ports.size()));
    }
    name_and_slot(r, key, pool);
  }

  // Every ports entry points at a reservation or lease that holds it.
  void ports_index() {
    m_ports.each([&](std::string_view k, std::string_view v, bool held) {
      guarded("ports", [&] {
        const std::uint16_t port = decode_port_key(k);
        if (is_lease_owner(v)) {
          const std::string id = lease_id_of(v);
          const auto l = m_state.load_lease(id);
          if (!l || l->port != port) {
            bad("port " + std::to_string(port) + " is indexed to lease " + quote(id) +
                ", which does not hold it");
          }
          return;
        }
        const AppKey owner = decode_app_key(v);
        if (!held) {
          bad("port " + std::to_string(port) + " is indexed to " + describe(owner) +
              ", which does not hold it");
        }
      });
    });
  }

  void names_index() {
    m_names.each([&](std::string_view k, std::string_view v, bool held) {
      guarded("names", [&] {
        const AppKey owner = decode_app_key(v);
        if (!held) {
          bad("project name " + quote(std::string(k)) + " is indexed to " + describe(owner) +
              ", which does not hold it");
        }
      });
    });
  }

  // Every lease: in a lease pool, on one of its ports, not excluded, indexed to it.
  void lease(const Lease& l) {
    const std::string who = "lease " + quote(l.id);
    auto pit = m_state.pools().find(l.pool);
    if (pit == m_state.pools().end() || !pit->second.lease) {
      bad(who + ": its pool " + quote(l.pool) + " is not a lease pool of this store");
    } else {
      const PortRange& r = pit->second.ports[0];
      if (l.port < r.first || l.port > r.last || (l.port - r.first) % pit->second.step != 0) {
        bad(who + ": port " + std::to_string(l.port) + " is not a port of pool " + quote(l.pool));
      }
    }
    if (m_state.excluded().count(l.port)) {
      bad(who + ": port " + std::to_string(l.port) + " is excluded");
    }
    const std::string holder = lease_owner(l.id);
    const auto owner = m_ports.owner(port_key(l.port), holder);
    if (!owner || *owner != holder) {
      bad(who + ": port " + std::to_string(l.port) + " is not indexed to it");
    }
  }

  void leases() {
    m_t.scan(Db::leases, "", "", [&](std::string_view k, std::string_view v) {
      return guarded("leases", [&] { lease(decode_lease(std::string(k), v)); });
    });
  }

  // Every use record: well formed, of a known kind, belonging to a reservation.
  void use(std::string_view k, std::string_view v) {
    const auto nul = k.find('\0');
    if (nul == std::string_view::npos || k.size() < nul + 5) {
      throw runtime_error("store holds a malformed use key");
    }
    const std::string_view app = k.substr(0, nul + 5);
    const AppKey owner = decode_app_key(app);
    const auto use = decode_use_key(app, k);
    const auto who = [&] {  // made only for a finding
      return "use record of " + describe(owner) +
             (use ? " (" + use->first + " " + quote(use->second) + ")" : "");
    };
    const char* field = use ? "seen" : "created";
    if (!decode_canonical_time(field, v)) {
      decode_time(field, v, "store " + who());
    }
    if (use && use->first != "app" && use->first != "build" && use->first != "lock") {
      bad(who() + ": unknown kind " + quote(use->first));
    }
    if (!std::binary_search(m_all_keys.begin(), m_all_keys.end(), app)) {
      bad(who() + " belongs to no reservation");
    }
  }

  void uses() {
    m_t.scan(Db::uses, "", "", [&](std::string_view k, std::string_view v) {
      return guarded("uses", [&] { use(k, v); });
    });
  }

  // Below one pool's high-water mark every slot is held or a hole, never both.
  void pool_slots(const std::string& name, const std::set<std::uint32_t>& held,
                  const std::set<std::uint32_t>& holes) {
    const std::uint32_t h = high(name);
    for (std::uint32_t s : holes) {
      if (s >= h || held.count(s)) {
        bad("slot " + std::to_string(s) + " of pool " + quote(name) +
            " is listed free but is held or beyond the high-water mark " + std::to_string(h));
      }
    }
    if (held.size() + holes.size() != h) {
      bad("pool " + quote(name) + ": " + std::to_string(held.size()) + " held and " +
          std::to_string(holes.size()) + " free slots do not add up to the high-water mark " +
          std::to_string(h));
    }
    if (h > 0 && !held.count(h - 1)) {
      bad("pool " + quote(name) + ": the slot below the high-water mark (" + std::to_string(h - 1) +
          ") is not held");
    }
  }

  // Slots and holes: every slot entry held by its reservation, and each pool's slots add up.
  void slots() {
    std::map<std::string, std::set<std::uint32_t>> held, holes;
    m_slots.each([&](std::string_view k, std::string_view v, bool held_by_owner) {
      guarded("slots", [&] {
        const std::string pool = decode_slot_pool(k);
        const std::uint32_t s = decode_slot_key(k);
        held[pool].insert(s);
        decode_app_key(v);  // a malformed owner is a finding of its own
        if (!held_by_owner) {
          bad("slot " + std::to_string(s) + " of pool " + quote(pool) + " is indexed to " +
              describe(decode_app_key(v)) + ", which does not hold it");
        }
      });
    });
    m_t.scan(Db::holes, "", "", [&](std::string_view k, std::string_view) {
      return guarded("holes", [&] { holes[decode_slot_pool(k)].insert(decode_slot_key(k)); });
    });
    for (const auto& [name, pool] : m_state.pools()) {
      pool_slots(name, held[name], holes[name]);
    }
    for (const auto& [name, slots] : held) {
      if (!m_state.pools().count(name)) {
        bad("slots are held in pool " + quote(name) + ", which does not exist");
      }
    }
  }

  const Txn& m_t;
  State& m_state;
  IndexEntries m_ports, m_names, m_slots;
  std::size_t m_read = 0;                    // records read whole
  std::vector<std::string_view> m_all_keys;  // every record's key bytes, malformed ones too
  std::map<std::string, std::uint32_t> m_highs;
  std::vector<std::string> m_problems;
};

}  // namespace

std::vector<std::string> Store::check() const {
  std::size_t reservations = 0;
  return check(reservations);
}

std::vector<std::string> Store::check(std::size_t& reservations) const {
  reservations = 0;
  return m_env->read([&reservations](const Txn& t) {
    // Malformed pool or excluded-port records: nothing else can be checked against them.
    std::optional<State> state;
    try {
      state.emplace(t);
    } catch (const Error& e) {
      return std::vector<std::string>{e.what()};
    }
    Checker checker(t, *state);
    auto problems = checker.run();
    reservations = checker.records();
    return problems;
  });
}

namespace {

// Reservations and leases per pool; a reservation counts in its own pool and in each extra pool
// it holds a port of.
std::map<std::string, std::uint32_t> held_per_pool(const State& state) {
  std::map<std::string, std::uint32_t> held;
  for (const auto& r : state.list({})) {
    ++held[r.pool];
    for (const auto& x : r.extra) {
      ++held[x];
    }
  }
  for (const auto& l : state.leases(std::nullopt)) {
    ++held[l.pool];
  }
  return held;
}

// Every held port, from one pass over the ports index rather than a look-up per port.
std::vector<bool> held_ports(const Txn& t) {
  std::vector<bool> held(65536, false);
  t.scan(Db::ports, "", "", [&](std::string_view k, std::string_view) {
    if (k.size() == 2) {  // anything else is a damaged entry, which `check` reports
      held[decode_port_key(k)] = true;
    }
    return true;
  });
  return held;
}

// The held slots of `pool` below `capacity`, from one pass over its part of the slots index.
std::vector<bool> held_slots(const Txn& t, const std::string& pool, std::uint32_t capacity) {
  std::vector<bool> held(capacity, false);
  const std::string prefix = slot_prefix(pool);
  t.scan(Db::slots, prefix, prefix, [&](std::string_view k, std::string_view) {
    if (k.size() == prefix.size() + 4) {  // as for ports: `check` reports anything else
      const std::uint32_t slot = decode_slot_key(k);
      if (slot < capacity) {
        held[slot] = true;
      }
    }
    return true;
  });
  return held;
}

// A lease or extra pool has no slots: each port is handed out on its own.
void port_pool_stats(const State& state, const Pool& pool, const std::vector<bool>& ports,
                     PoolStats& s) {
  s.slots_held = s.held;
  for (std::uint32_t i = 0; i < s.capacity; ++i) {
    const auto port = pool.port_at(0, i);
    s.free += !state.excluded().count(port) && !ports[port];
  }
}

// A slot is free when it is not held and none of its ports is excluded or held.
void slot_pool_stats(const State& state, const Txn& t, const Pool& pool,
                     const std::vector<bool>& ports, PoolStats& s) {
  const std::uint32_t h = state.high(pool.name);
  if (h > 0) {
    s.highest_slot = h - 1;
  }
  const std::vector<bool> taken = held_slots(t, pool.name, s.capacity);
  for (std::uint32_t slot = 0; slot < s.capacity; ++slot) {
    s.slots_held += taken[slot];
    s.holes += !taken[slot] && slot < h;
    bool usable = !taken[slot];
    for (std::size_t role = 0; usable && role < pool.ports.size(); ++role) {
      const auto port = pool.port_at(role, slot);
      usable = !state.excluded().count(port) && !ports[port];
    }
    s.free += usable;
  }
}

}  // namespace

std::vector<PoolStats> Store::stats() const {
  return m_env->read([](const Txn& t) {
    State state(t);
    auto held = held_per_pool(state);
    const std::vector<bool> ports = held_ports(t);
    std::vector<PoolStats> out;
    for (const auto& [name, pool] : state.pools()) {
      PoolStats s;
      s.pool = name;
      s.capacity = pool.capacity();
      s.held = held[name];
      if (pool.lease || pool.extra) {
        port_pool_stats(state, pool, ports, s);
      } else {
        slot_pool_stats(state, t, pool, ports, s);
      }
      out.push_back(s);
    }
    return out;
  });
}

}  // namespace berth
