#include "store/state.hpp"

#include <nlohmann/json.hpp>

#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/keys.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
using namespace keys;

// Whether slot's ports for `roles` are free: not excluded, not held, and not among `taken`
// (the request's own pins, not yet written).
bool State::usable(const Pool& pool, const std::vector<std::size_t>& roles, std::uint32_t slot,
                   const std::set<std::uint16_t>& taken) const {
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
std::uint32_t State::allocate_slot(const Pool& pool, const std::vector<std::size_t>& roles,
                                   const std::set<std::uint16_t>& taken) {
  for (const std::uint32_t s : holes(pool.name)) {
    if (usable(pool, roles, s, taken)) {
      drop_hole(pool.name, s);
      return s;
    }
  }
  const std::uint32_t cap = pool.capacity();
  const std::uint32_t mark = high(pool.name);
  if (mark > cap) {
    throw runtime_error("store's high-water mark of pool " + quote(pool.name) + " (" +
                        std::to_string(mark) + ") is beyond its " + std::to_string(cap) +
                        " slots: the store is damaged; `berth check` lists what else is wrong, "
                        "and a `berth export` imported into a new store rebuilds it");
  }
  for (std::uint32_t s = mark; s < cap; ++s) {
    if (usable(pool, roles, s, taken)) {
      take_slot(pool.name, s);
      return s;
    }
  }
  throw runtime_error("pool " + quote(pool.name) + " is full: all " + std::to_string(cap) +
                      " slots are held or blocked; release apps (berth release) or widen the "
                      "pool (berth pool set)");
}

std::vector<std::uint32_t>& State::holes(const std::string& pool) {
  auto& cached = m_slot_cache[pool].holes;
  if (!cached) {
    cached.emplace();
    const std::string prefix = slot_prefix(pool);
    m_txn.scan(Db::holes, prefix, prefix, [&](std::string_view k, std::string_view) {
      cached->push_back(decode_slot_key(k));
      return true;
    });
  }
  return *cached;
}

void State::add_hole(const std::string& pool, std::uint32_t s) {
  m_txn.put(Db::holes, slot_key(pool, s), "");
  auto& list = holes(pool);
  list.insert(std::lower_bound(list.begin(), list.end(), s), s);
}

// Returns whether `s` was a hole.
bool State::drop_hole(const std::string& pool, std::uint32_t s) {
  auto& list = holes(pool);
  const auto it = std::lower_bound(list.begin(), list.end(), s);
  if (it == list.end() || *it != s) {
    return false;
  }
  list.erase(it);
  m_txn.del(Db::holes, slot_key(pool, s));
  return true;
}

// Marks a free slot as taken, keeping the holes below the high-water mark.
void State::take_slot(const std::string& pool, std::uint32_t s) {
  const std::uint32_t h = high(pool);
  if (s < h) {
    drop_hole(pool, s);
    return;
  }
  for (std::uint32_t q = h; q < s; ++q) {
    add_hole(pool, q);
  }
  set_high(pool, s + 1);
}

void State::free_slot(const std::string& pool, std::uint32_t s) {
  std::uint32_t h = high(pool);
  if (s + 1 != h) {
    add_hole(pool, s);
    return;
  }
  h = s;
  while (h > 0 && drop_hole(pool, h - 1)) {
    --h;
  }
  set_high(pool, h);
}

// The extra pools the request names that the reservation does not hold a port of yet.
std::vector<std::string> State::missing_extra(const Reservation& r, const ReserveRequest& req) {
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
void State::check_compatible(const Reservation& r, const ReserveRequest& req) {
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
void State::check_pin(std::uint16_t port, const std::string& name, const AppKey& key,
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

Reservation State::gain_extra(Reservation existing, const ReserveRequest& req) {
  std::set<std::uint16_t> taken;
  for (const auto& p : existing.ports) {
    taken.insert(p.port);
  }
  for (auto& [pool, port] : choose_extra(existing, req, taken)) {
    existing.extra.push_back(pool);
    existing.ports.push_back(port);
  }
  write(existing);
  return existing;
}

const Pool& State::own_pool(const ReserveRequest& req) const {
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
  return pool;
}

State::Pins State::check_pins(const Pool& pool, const ReserveRequest& req) {
  Pins pins;
  pins.ports.assign(pool.ports.size(), 0);
  pins.pinned.assign(pool.ports.size(), false);
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
    check_pin(port, name, req.key, pins.seen);
    pins.ports[*role] = port;
    pins.pinned[*role] = true;
  }
  return pins;
}

std::string State::requested_project(const ReserveRequest& req) const {
  const std::string& project = req.project;
  if (project.empty()) {
    return project;
  }
  if (!is_valid_project_name(project)) {
    throw usage_error("project name " + quote(project) +
                      " is invalid; Docker wants [a-z0-9][a-z0-9_-]*, at most 63 bytes");
  }
  if (auto owner = m_txn.get(Db::names, project)) {
    throw conflict_error("project name " + quote(project) + " for " + describe(req.key) +
                         " is held by " + describe(decode_app_key(*owner)));
  }
  return project;
}

std::string State::claim_project_name(const AppKey& key) {
  const std::string value = app_key(key);
  for (unsigned k = 0;; ++k) {
    std::string candidate = project_candidate(key, k);
    if (m_txn.put_new(Db::names, candidate, value)) {
      return candidate;
    }
  }
}

void State::place(Reservation& r, const Pool& pool, Pins& pins, const ReserveRequest& req) {
  std::vector<std::size_t> free_roles;
  for (std::size_t i = 0; i < pool.ports.size(); ++i) {
    if (!pins.pinned[i]) {
      free_roles.push_back(i);
    }
  }
  if (!free_roles.empty()) {
    std::set<std::uint16_t> taken = pins.seen;
    taken.insert(req.avoid.begin(), req.avoid.end());
    r.slot = allocate_slot(pool, free_roles, taken);
    for (std::size_t i : free_roles) {
      pins.ports[i] = pool.port_at(i, *r.slot);
    }
  } else if (auto s = landing_slot(pool, pins.ports)) {
    // Every port pinned, and exactly onto a free slot (a lock file or an import): hold the
    // slot too, so that allocation never has to step over it.
    take_slot(pool.name, *s);
    r.slot = s;
    pins.pinned.assign(pins.pinned.size(), false);
  }
  for (std::size_t i = 0; i < pool.ports.size(); ++i) {
    r.ports.push_back({pool.ports[i].name, pins.ports[i]});
    if (pins.pinned[i]) {
      r.pinned.push_back(pool.ports[i].name);
    }
  }
}

void State::check_owner(const Reservation& r, const ReserveRequest& req) const {
  if (req.owner.empty() || r.owner.empty() || r.owner == req.owner) {
    return;
  }
  std::vector<std::string> where;
  for (const auto& u : load_uses(r.key).uses) {
    if (u.kind != "app") {
      where.push_back(u.kind + " " + u.path);
    }
  }
  throw conflict_error(
      describe(r.key) + " belongs to project " + quote(r.owner) +
      (where.empty() ? "" : " (" + join(where, ", ") + ")") + ", not to " + quote(req.owner) +
      ": two projects never share an app by accident. Give this project a "
      "namespace of its own (-DBERTH_NAMESPACE=<name> in CMake, --namespace on "
      "the command line): its apps then get their own ports and names; or hand "
      "the app over: `berth " +
      (r.key.ns.empty() ? "" : "--namespace " + r.key.ns + " ") + "release " + r.key.model + " " +
      std::to_string(r.key.app) + (where.empty() ? "" : " --force") +
      "` frees it (its ports go back to the pool), and the next configure "
      "reserves it for this project");
}

void State::check_extra_names(const Reservation& r, const std::vector<std::string>& own,
                              const ReserveRequest& req) {
  std::set<std::string> names(own.begin(), own.end());
  std::set<std::string> asked;
  for (const auto& name : req.extra) {
    if (!asked.insert(name).second) {
      throw usage_error("--extra " + quote(name) + " is given twice for " + describe(r.key) +
                        "; an app holds one port of each extra pool");
    }
  }
  for (const auto& name : missing_extra(r, req)) {
    const std::string& port = extra_pool(name).ports[0].name;
    if (!names.insert(port).second) {
      throw usage_error("extra pool " + quote(name) + " names its port " + quote(port) +
                        ", which " + describe(r.key) +
                        " already has (from its own pool or another extra pool); an app's port "
                        "names must differ: rename the range (berth pool set " +
                        name + " --extra --range OTHER=FIRST-LAST)");
    }
  }
}

ReserveResult State::reserve(const ReserveRequest& req) {
  validate_key(req.key);
  if (auto existing = load(req.key)) {
    check_owner(*existing, req);
    check_compatible(*existing, req);
    if (!req.owner.empty() && existing->owner.empty()) {
      // Nobody's yet (reserved on the command line, imported): the asking project adopts it.
      existing->owner = req.owner;
      write(*existing);
      ReserveResult adopted = reserve(req);
      adopted.adopted = true;
      return adopted;
    }
    std::vector<std::string> held;
    for (const auto& p : existing->ports) {
      held.push_back(p.name);
    }
    check_extra_names(*existing, held, req);
    if (missing_extra(*existing, req).empty()) {
      return {std::move(*existing), false};
    }
    // It gains a port of an extra pool, keeping every other.
    return {gain_extra(std::move(*existing), req), false};
  }
  const Pool& pool = own_pool(req);
  // Every check comes before the first write, so a refused request leaves the transaction
  // as it found it (import relies on this to report every conflict).
  Reservation r;
  r.key = req.key;
  r.pool = pool.name;
  r.owner = req.owner;
  std::vector<std::string> own;
  for (const auto& range : pool.ports) {
    own.push_back(range.name);
  }
  check_extra_names(r, own, req);
  Pins pins = check_pins(pool, req);
  r.project = requested_project(req);
  // Extra ports are chosen (and checked) before the slot, which is the first write.
  std::set<std::uint16_t> extra_taken = pins.seen;
  extra_taken.insert(req.avoid.begin(), req.avoid.end());
  const auto extras = choose_extra(r, req, extra_taken);
  for (const auto& [x, p] : extras) {
    pins.seen.insert(p.port);
  }
  place(r, pool, pins, req);
  for (const auto& [x, p] : extras) {
    r.extra.push_back(x);
    r.ports.push_back(p);
  }
  const bool derived = r.project.empty();
  if (derived) {
    r.project = claim_project_name(r.key);
  }
  write(r, !derived);
  m_txn.put(Db::uses, app_key(r.key), encode_time("created", now()));
  return {std::move(r), true};
}

// The slot whose ports are exactly `ports`, when it is not held.
std::optional<std::uint32_t> State::landing_slot(const Pool& pool,
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

}  // namespace berth
