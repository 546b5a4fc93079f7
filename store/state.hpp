#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/keys.hpp"
#include "store/lmdb_env.hpp"
#include "store/model.hpp"
#include "store/names.hpp"
#include "store/store.hpp"

// The store's logic on one transaction: allocation, pins, names, slots and holes. Internal to
// store/; the Store facade (store.hpp) runs it inside LMDB transactions.
namespace berth {

using namespace keys;

// The store's logic on one transaction. Pools and excluded ports are read once per transaction.
class State {
  using json = nlohmann::json;

 public:
  explicit State(const Txn& txn) : m_txn(const_cast<Txn&>(txn)) {
    m_txn.scan(Db::pools, "", "", [&](std::string_view k, std::string_view v) {
      const std::string where = "store pool record " + quote(std::string(k));
      const json j = json::parse(v.begin(), v.end(), nullptr, false);
      Pool p = pool_from_json(j, where, ErrorKind::runtime);
      m_pools.emplace(p.name, std::move(p));
      return true;
    });
    if (auto ex = m_txn.get(Db::meta, k_meta_excluded)) {
      const json j = json::parse(*ex, nullptr, false);
      if (!j.is_array()) {
        throw runtime_error("store's excluded ports record is not a JSON list");
      }
      for (const auto& p : j) {
        m_excluded.insert(static_cast<std::uint16_t>(
            json_integer(p, 1, 65535, "port", "store's excluded ports", ErrorKind::runtime)));
      }
    }
  }

  const std::map<std::string, Pool>& pools() const { return m_pools; }
  const std::set<std::uint16_t>& excluded() const { return m_excluded; }

  const Pool& pool(const std::string& name) const {
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

  std::optional<Reservation> load(const AppKey& key) const {
    auto v = m_txn.get(Db::apps, app_key(key));
    if (!v) {
      return std::nullopt;
    }
    return decode_record(key, *v);
  }

  // The owner of a held port, as the ports index holds it (an app key or a lease owner).
  std::optional<std::string> port_owner(std::uint16_t port) const {
    return m_txn.get(Db::ports, port_key(port));
  }

  // "'model' app 1 (backend)" or "lease '56' (pool 'preview')", the owner of a held port, for
  // messages.
  std::string describe_owner(std::uint16_t port) const {
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

  std::uint32_t high(const std::string& pool) const {
    auto v = m_txn.get(Db::meta, meta_high(pool));
    return v ? read_be32(*v) : 0;
  }
  void set_high(const std::string& pool, std::uint32_t h) {
    m_txn.put(Db::meta, meta_high(pool), be32(h));
  }

  // Whether slot's ports for `roles` are free: not excluded, not held, and not among `taken`
  // (the request's own pins, not yet written).
  bool usable(const Pool& pool, const std::vector<std::size_t>& roles, std::uint32_t slot,
              const std::set<std::uint16_t>& taken = {}) const {
    for (std::size_t role : roles) {
      const std::uint16_t p = pool.port_at(role, slot);
      if (m_excluded.count(p) || taken.count(p) || m_txn.has(Db::ports, port_key(p))) {
        return false;
      }
    }
    return true;
  }

  // The lowest slot whose ports for `roles` are all free: first among the holes (free slots
  // below the high-water mark, lowest first), then upward from the mark. Cost grows with the
  // number of blocked holes (pins, excluded ports), never with the number of reservations.
  std::uint32_t allocate_slot(const Pool& pool, const std::vector<std::size_t>& roles,
                              const std::set<std::uint16_t>& taken) {
    const std::string prefix = slot_prefix(pool.name);
    std::optional<std::uint32_t> found;
    m_txn.scan(Db::holes, prefix, prefix, [&](std::string_view k, std::string_view) {
      const std::uint32_t s = decode_slot_key(k);
      if (usable(pool, roles, s, taken)) {
        found = s;
        return false;
      }
      return true;
    });
    if (found) {
      m_txn.del(Db::holes, slot_key(pool.name, *found));
      return *found;
    }
    const std::uint32_t cap = pool.capacity();
    for (std::uint32_t s = high(pool.name); s < cap; ++s) {
      if (usable(pool, roles, s, taken)) {
        take_slot(pool.name, s);
        return s;
      }
    }
    throw runtime_error("pool " + quote(pool.name) + " is full: all " + std::to_string(cap) +
                        " slots are held or blocked; release apps (berth release) or widen the "
                        "pool (berth pool set)");
  }

  // Marks a free slot as taken, keeping the holes below the high-water mark.
  void take_slot(const std::string& pool, std::uint32_t s) {
    const std::uint32_t h = high(pool);
    if (s < h) {
      m_txn.del(Db::holes, slot_key(pool, s));
      return;
    }
    for (std::uint32_t q = h; q < s; ++q) {
      m_txn.put(Db::holes, slot_key(pool, q), "");
    }
    set_high(pool, s + 1);
  }

  void free_slot(const std::string& pool, std::uint32_t s) {
    std::uint32_t h = high(pool);
    if (s + 1 != h) {
      m_txn.put(Db::holes, slot_key(pool, s), "");
      return;
    }
    h = s;
    while (h > 0 && m_txn.del(Db::holes, slot_key(pool, h - 1))) {
      --h;
    }
    set_high(pool, h);
  }

  // The extra pools the request names that the reservation does not hold a port of yet.
  static std::vector<std::string> missing_extra(const Reservation& r, const ReserveRequest& req) {
    std::vector<std::string> out;
    for (const auto& name : req.extra) {
      if (std::find(r.extra.begin(), r.extra.end(), name) == r.extra.end()) {
        out.push_back(name);
      }
    }
    return out;
  }

  // Throws unless an existing reservation answers the request as it stands (a pin of a port the
  // reservation lacks may be for an extra pool it is about to gain: reserve() checks those).
  static void check_compatible(const Reservation& r, const ReserveRequest& req) {
    if (!req.pool.empty() && req.pool != r.pool) {
      throw conflict_error(describe(r.key) + " is already reserved in pool " + quote(r.pool) +
                           ", not " + quote(req.pool) + "; release it first to move it");
    }
    const bool gains = !missing_extra(r, req).empty();
    for (const auto& [name, port] : req.pins) {
      const auto held = r.port(name);
      if (!held && gains) {
        continue;
      }
      if (!held || *held != port) {
        throw conflict_error(describe(r.key) + " is already reserved with " + name + "=" +
                             (held ? std::to_string(*held) : "none") + ", not " +
                             std::to_string(port) + "; release it first to change its ports");
      }
    }
    if (!req.project.empty() && req.project != r.project) {
      throw conflict_error(describe(r.key) + " is already reserved with project name " +
                           quote(r.project) + ", not " + quote(req.project));
    }
  }

  // Throws unless `port` may be pinned as `name` for `key`: not excluded, not pinned twice (it
  // joins `seen`), not held.
  void check_pin(std::uint16_t port, const std::string& name, const AppKey& key,
                 std::set<std::uint16_t>& seen) const {
    if (m_excluded.count(port)) {
      throw usage_error("port " + std::to_string(port) + " (" + name +
                        ") is excluded in this store; choose another, or allow it with "
                        "`berth pool include " +
                        std::to_string(port) + "`");
    }
    if (!seen.insert(port).second) {
      throw usage_error("port " + std::to_string(port) + " is pinned twice for " + describe(key));
    }
    if (port_owner(port)) {
      throw conflict_error("port " + std::to_string(port) + " (" + name + ") for " + describe(key) +
                           " is held by " + describe_owner(port));
    }
  }

  // An extra pool by name; the nodeport pool is created (node=30000-32099) on first use.
  const Pool& extra_pool(const std::string& name) {
    if (!m_pools.count(name) && name == k_nodeport_pool) {
      Pool p{k_nodeport_pool, {{"node", 30000, 32099}}, 1};
      p.extra = true;
      try {
        check_pool_change(p, false);
      } catch (const Error& e) {
        throw usage_error(
            "pool 'nodeport' does not exist and its default range node=30000-32099 "
            "cannot be made: " +
            std::string(e.what()) +
            ". Create it with `berth pool set nodeport --extra --range "
            "node=FIRST-LAST` (your cluster's service-node-port-range)");
      }
      put_pool(p);
    }
    const Pool& p = pool(name);
    if (!p.extra) {
      throw usage_error("pool " + quote(name) +
                        " is not an extra pool (berth pool set --extra): an app's extra ports "
                        "come from extra pools only");
    }
    return p;
  }

  // The port of each extra pool of `req` that `r` lacks, without writing anything: the pinned
  // one (by the pool's range name; it must lie in the range), else the lowest free one. Ports
  // in `taken` are stepped over, and the chosen ones added to it.
  std::vector<std::pair<std::string, NamedPort>> choose_extra(const Reservation& r,
                                                              const ReserveRequest& req,
                                                              std::set<std::uint16_t>& taken) {
    std::vector<std::pair<std::string, NamedPort>> out;
    for (const auto& name : missing_extra(r, req)) {
      const Pool& pool = extra_pool(name);
      const PortRange& range = pool.ports[0];
      if (r.port(range.name)) {
        throw usage_error(describe(r.key) + " already has a port named " + quote(range.name) +
                          "; extra pool " + quote(name) + " cannot add another");
      }
      std::optional<std::uint16_t> port;
      if (auto pin = req.pins.find(range.name); pin != req.pins.end()) {
        const std::uint16_t p = pin->second;
        if (p < range.first || p > range.last || (p - range.first) % pool.step != 0) {
          throw usage_error("port " + std::to_string(p) + " (" + range.name + ") for " +
                            describe(r.key) + " is not a port of extra pool " + quote(name) + " (" +
                            range.name + "=" + std::to_string(range.first) + "-" +
                            std::to_string(range.last) + ")");
        }
        check_pin(p, range.name, r.key, taken);
        port = p;
      } else {
        for (std::uint32_t p = range.first; p <= range.last && !port; p += pool.step) {
          const auto candidate = static_cast<std::uint16_t>(p);
          if (!m_excluded.count(candidate) && !taken.count(candidate) &&
              !m_txn.has(Db::ports, port_key(candidate))) {
            port = candidate;
          }
        }
        if (!port) {
          throw runtime_error("extra pool " + quote(name) + " is full: all " +
                              std::to_string(pool.capacity()) +
                              " ports are held or excluded; release apps or widen it (berth "
                              "pool set " +
                              name + " --extra)");
        }
      }
      taken.insert(*port);
      out.push_back({name, {range.name, *port}});
    }
    return out;
  }

  ReserveResult reserve(const ReserveRequest& req) {
    validate_model(req.key.model);
    validate_app(req.key.app);
    if (auto existing = load(req.key)) {
      check_compatible(*existing, req);
      if (missing_extra(*existing, req).empty()) {
        return {std::move(*existing), false};
      }
      // It gains a port of an extra pool, keeping every other.
      std::set<std::uint16_t> taken;
      for (const auto& p : existing->ports) {
        taken.insert(p.port);
      }
      for (auto& [pool, port] : choose_extra(*existing, req, taken)) {
        existing->extra.push_back(pool);
        existing->ports.push_back(port);
      }
      write(*existing);
      return {std::move(*existing), false};
    }
    const Pool& pool = this->pool(req.pool.empty() ? k_default_pool : req.pool);
    if (pool.lease) {
      throw usage_error("pool " + quote(pool.name) +
                        " is a lease pool: its ports are leased with `berth lease acquire`, not "
                        "reserved for apps");
    }
    if (pool.extra) {
      throw usage_error("pool " + quote(pool.name) +
                        " is an extra pool: it gives apps one more port beside their own pool's "
                        "(--extra " +
                        pool.name + "), never an app's own ports");
    }

    // Every check comes before the first write, so a refused request leaves the transaction
    // as it found it (import relies on this to report every conflict).
    std::vector<std::uint16_t> ports(pool.ports.size(), 0);
    std::vector<bool> pinned(pool.ports.size(), false);
    std::set<std::uint16_t> seen;
    std::set<std::string> extra_names;
    for (const auto& name : req.extra) {
      extra_names.insert(extra_pool(name).ports[0].name);
    }
    for (const auto& [name, port] : req.pins) {
      const auto role = pool.role_of(name);
      if (!role && extra_names.count(name)) {
        continue;  // an extra pool's port: choose_extra checks it
      }
      if (!role) {
        std::vector<std::string> names;
        for (const auto& r : pool.ports) {
          names.push_back(r.name);
        }
        names.insert(names.end(), extra_names.begin(), extra_names.end());
        throw usage_error("pool " + quote(pool.name) + " has no port " + quote(name) +
                          "; its ports: " + join(names, ", "));
      }
      check_pin(port, name, req.key, seen);
      ports[*role] = port;
      pinned[*role] = true;
    }

    std::string project = req.project;
    if (!project.empty()) {
      if (!is_valid_project_name(project)) {
        throw usage_error("project name " + quote(project) +
                          " is invalid; Docker wants [a-z0-9][a-z0-9_-]*, at most 63 bytes");
      }
      if (auto owner = m_txn.get(Db::names, project)) {
        throw conflict_error("project name " + quote(project) + " for " + describe(req.key) +
                             " is held by " + describe(decode_app_key(*owner)));
      }
    } else {
      for (unsigned k = 0; project.empty(); ++k) {
        std::string candidate = project_candidate(req.key, k);
        if (!m_txn.has(Db::names, candidate)) {
          project = std::move(candidate);
        }
      }
    }

    Reservation r;
    r.key = req.key;
    r.pool = pool.name;
    r.project = project;
    // Extra ports are chosen (and checked) before the slot, which is the first write.
    std::set<std::uint16_t> extra_taken = seen;
    extra_taken.insert(req.avoid.begin(), req.avoid.end());
    const auto extras = choose_extra(r, req, extra_taken);
    for (const auto& [x, p] : extras) {
      seen.insert(p.port);
    }
    std::vector<std::size_t> free_roles;
    for (std::size_t i = 0; i < pool.ports.size(); ++i) {
      if (!pinned[i]) {
        free_roles.push_back(i);
      }
    }
    if (!free_roles.empty()) {
      std::set<std::uint16_t> taken = seen;
      taken.insert(req.avoid.begin(), req.avoid.end());
      r.slot = allocate_slot(pool, free_roles, taken);
      for (std::size_t i : free_roles) {
        ports[i] = pool.port_at(i, *r.slot);
      }
    } else if (auto s = landing_slot(pool, ports)) {
      // Every port pinned, and exactly onto a free slot (a lock file or an import): hold the
      // slot too, so that allocation never has to step over it.
      take_slot(pool.name, *s);
      r.slot = s;
      pinned.assign(pinned.size(), false);
    }
    for (std::size_t i = 0; i < pool.ports.size(); ++i) {
      r.ports.push_back({pool.ports[i].name, ports[i]});
      if (pinned[i]) {
        r.pinned.push_back(pool.ports[i].name);
      }
    }
    for (const auto& [x, p] : extras) {
      r.extra.push_back(x);
      r.ports.push_back(p);
    }
    write(r);
    m_txn.put(Db::uses, app_key(r.key), encode_time("created", now()));
    return {std::move(r), true};
  }

  // The slot whose ports are exactly `ports`, when it is not held.
  std::optional<std::uint32_t> landing_slot(const Pool& pool,
                                            const std::vector<std::uint16_t>& ports) const {
    const auto s = pool.slot_of(0, ports[0]);
    if (!s) {
      return std::nullopt;
    }
    for (std::size_t i = 1; i < ports.size(); ++i) {
      if (pool.slot_of(i, ports[i]) != s) {
        return std::nullopt;
      }
    }
    if (m_txn.has(Db::slots, slot_key(pool.name, *s))) {
      return std::nullopt;
    }
    return s;
  }

  void write(const Reservation& r) {
    const std::string key = app_key(r.key);
    m_txn.put(Db::apps, key, encode_record(r));
    for (const auto& p : r.ports) {
      m_txn.put(Db::ports, port_key(p.port), key);
    }
    m_txn.put(Db::names, r.project, key);
    if (r.slot) {
      m_txn.put(Db::slots, slot_key(r.pool, *r.slot), key);
    }
  }

  Reservation release(const AppKey& key) {
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
    std::vector<std::string> uses;
    const std::string prefix = app_key(key);
    m_txn.scan(Db::uses, prefix, prefix, [&](std::string_view k, std::string_view) {
      uses.emplace_back(k);
      return true;
    });
    for (const auto& k : uses) {
      m_txn.del(Db::uses, k);
    }
    return *r;
  }

  // When the app was reserved and where it is used (uses.cpp records them).
  AppUses load_uses(const AppKey& key) const {
    AppUses out;
    const std::string prefix = app_key(key);
    m_txn.scan(Db::uses, prefix, prefix, [&](std::string_view k, std::string_view v) {
      const std::string where = "store use record of " + describe(key);
      if (auto use = decode_use_key(prefix, k)) {
        out.uses.push_back({use->first, use->second, decode_time("seen", v, where)});
      } else {
        out.created = decode_time("created", v, where);
      }
      return true;
    });
    return out;
  }

  // The clock for created and seen times: $BERTH_NOW in tests, read once per transaction.
  std::int64_t now() {
    if (!m_now) {
      m_now = Store::now();
    }
    return *m_now;
  }

  std::vector<Reservation> list(const std::optional<std::string>& model) const {
    std::vector<Reservation> out;
    const std::string prefix = model ? *model + '\0' : std::string();
    m_txn.scan(Db::apps, prefix, prefix, [&](std::string_view k, std::string_view v) {
      out.push_back(decode_record(decode_app_key(k), v));
      return true;
    });
    return out;
  }

  void put_pool(const Pool& pool) {
    json j = to_json(pool);
    j.erase("capacity");
    m_txn.put(Db::pools, pool.name, j.dump());
    m_pools[pool.name] = pool;
  }

  void put_excluded(const std::set<std::uint16_t>& ports) {
    m_txn.put(Db::meta, k_meta_excluded, json(ports).dump());
    m_excluded = ports;
  }

  // Throws unless `pool` can replace the pool of that name (or be added).
  void check_pool_change(const Pool& pool, bool allow_ephemeral) const {
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

  // ---- Leases -----------------------------------------------------------------------------

  std::optional<Lease> load_lease(const std::string& id) const {
    auto v = m_txn.get(Db::leases, id);
    return v ? std::optional<Lease>(decode_lease(id, *v)) : std::nullopt;
  }

  // Every lease (of `pool`, if given), by id.
  std::vector<Lease> leases(const std::optional<std::string>& pool) const {
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

  const Pool& lease_pool(const std::string& name) const {
    const Pool& p = pool(name);
    if (!p.lease) {
      throw usage_error("pool " + quote(name) +
                        " is not a lease pool; lease pools: " + join(lease_pool_names(), ", "));
    }
    return p;
  }

  std::vector<std::string> lease_pool_names() const {
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

  void put_lease(const Lease& l) {
    m_txn.put(Db::leases, l.id, encode_lease(l));
    m_txn.put(Db::ports, port_key(l.port), lease_owner(l.id));
  }

  void drop_lease(const Lease& l) {
    m_txn.del(Db::leases, l.id);
    m_txn.del(Db::ports, port_key(l.port));
  }

  // The lowest port of a lease pool that nothing holds and that is not excluded.
  std::optional<std::uint16_t> free_lease_port(const Pool& pool) const {
    const PortRange& r = pool.ports[0];
    for (std::uint32_t p = r.first; p <= r.last; p += pool.step) {
      const auto port = static_cast<std::uint16_t>(p);
      if (!m_excluded.count(port) && !m_txn.has(Db::ports, port_key(port))) {
        return port;
      }
    }
    return std::nullopt;
  }

  // Frees the leases (of `pool`, if given) that may be reclaimed at `now`, oldest activity
  // first; returns them.
  std::vector<Lease> expire(const std::optional<std::string>& pool, std::int64_t now) {
    std::vector<Lease> gone;
    for (const auto& l : leases(pool)) {
      if (l.reclaimable(now)) {
        gone.push_back(l);
      }
    }
    std::stable_sort(gone.begin(), gone.end(),
                     [](const Lease& a, const Lease& b) { return a.last_active < b.last_active; });
    for (const auto& l : gone) {
      drop_lease(l);
    }
    return gone;
  }

  // The id's lease, renewed (the same port while it lives), or a new one on the lowest free
  // port of the pool; when the pool is full, reclaimable leases of the pool are freed first
  // (listed in `reclaimed`).
  Lease acquire(const std::string& id, const std::string& pool_name,
                std::optional<std::int64_t> ttl, std::optional<std::int64_t> owner_pid,
                std::int64_t now, std::vector<Lease>& reclaimed) {
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
    auto port = free_lease_port(pool);
    if (!port) {
      reclaimed = expire(pool.name, now);
      port = free_lease_port(pool);
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

  static constexpr std::int64_t k_default_lease_ttl = 15 * 60;

 private:
  Txn& m_txn;
  std::map<std::string, Pool> m_pools;
  std::set<std::uint16_t> m_excluded;
  std::optional<std::int64_t> m_now;
};

}  // namespace berth
