#include "store/store.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>

#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/lmdb_env.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Key and value encodings: the only place that knows them (see docs/store-format.md).
namespace {

std::string be32(std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  return std::string(b, 4);
}

std::uint32_t read_be32(std::string_view s) {
  unsigned char b[4];
  std::memcpy(b, s.data(), 4);  // values are unaligned: never cast the pointer
  return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) |
         std::uint32_t(b[3]);
}

// apps, and the value of ports / names / slots: model bytes, NUL, app number (big-endian), so
// keys sort by model, then numerically by app.
std::string app_key(const AppKey& key) {
  return key.model + '\0' + be32(key.app);
}

AppKey decode_app_key(std::string_view s) {
  if (s.size() < 5 || s[s.size() - 5] != '\0') {
    throw runtime_error("store holds a malformed app key");
  }
  return AppKey{std::string(s.substr(0, s.size() - 5)), read_be32(s.substr(s.size() - 4))};
}

// ports: the port, big-endian (2 bytes).
std::string port_key(std::uint16_t port) {
  const char b[2] = {static_cast<char>(port >> 8), static_cast<char>(port)};
  return std::string(b, 2);
}

std::uint16_t decode_port_key(std::string_view s) {
  if (s.size() != 2) {
    throw runtime_error("store holds a malformed port key");
  }
  unsigned char b[2];
  std::memcpy(b, s.data(), 2);
  return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}

// slots and holes: pool name, NUL, slot (big-endian).
std::string slot_prefix(const std::string& pool) {
  return pool + '\0';
}
std::string slot_key(const std::string& pool, std::uint32_t slot) {
  return slot_prefix(pool) + be32(slot);
}
std::uint32_t decode_slot_key(std::string_view s) {
  if (s.size() < 5 || s[s.size() - 5] != '\0') {
    throw runtime_error("store holds a malformed slot key");
  }
  return read_be32(s.substr(s.size() - 4));
}
std::string decode_slot_pool(std::string_view s) {
  return std::string(s.substr(0, s.size() - 5));
}

// meta keys
constexpr char k_meta_schema[] = "schema";
constexpr char k_meta_excluded[] = "excluded";
std::string meta_high(const std::string& pool) {
  return std::string("high") + '\0' + pool;
}

// apps value: compact JSON {pool, slot, ports: [[name, port]...], pinned, project}.
std::string encode_record(const Reservation& r) {
  json ports = json::array();
  for (const auto& p : r.ports) {
    ports.push_back({p.name, p.port});
  }
  return json{{"pool", r.pool},
              {"slot", r.slot ? json(*r.slot) : json(nullptr)},
              {"ports", ports},
              {"pinned", r.pinned},
              {"project", r.project}}
      .dump();
}

Reservation decode_record(const AppKey& key, std::string_view value) {
  const std::string where = "store record of " + describe(key);
  const json j = json::parse(value.begin(), value.end(), nullptr, false);
  if (j.is_discarded()) {
    throw runtime_error(where + " is not JSON");
  }
  const JsonFields f(j, where, ErrorKind::runtime);
  Reservation r;
  r.key = key;
  r.pool = f.string("pool");
  if (!f.has("slot")) {
    f.fail("missing \"slot\"");
  }
  if (!f.raw("slot").is_null()) {
    r.slot = static_cast<std::uint32_t>(
        json_integer(f.raw("slot"), 0, UINT32_MAX, "\"slot\"", where, ErrorKind::runtime));
  }
  for (const auto& p : f.array("ports")) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_string()) {
      f.fail("port entry " + json_shown(p) + " is not [name, port]");
    }
    r.ports.push_back(
        {p[0].get<std::string>(), static_cast<std::uint16_t>(json_integer(
                                      p[1], 1, 65535, "port", where, ErrorKind::runtime))});
  }
  r.pinned = f.strings_or("pinned", {});
  r.project = f.string("project");
  return r;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : sep) + item;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The store's logic on one transaction. Pools and excluded ports are read once per transaction.
class State {
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

  std::optional<AppKey> port_owner(std::uint16_t port) const {
    auto v = m_txn.get(Db::ports, port_key(port));
    return v ? std::optional<AppKey>(decode_app_key(*v)) : std::nullopt;
  }

  // "'model' app 1 (backend)", the owner of a held port, for messages.
  std::string describe_owner(std::uint16_t port) const {
    const AppKey owner = *port_owner(port);
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

  // Throws unless an existing reservation answers the request as it stands.
  static void check_compatible(const Reservation& r, const ReserveRequest& req) {
    if (!req.pool.empty() && req.pool != r.pool) {
      throw conflict_error(describe(r.key) + " is already reserved in pool " + quote(r.pool) +
                           ", not " + quote(req.pool) + "; release it first to move it");
    }
    for (const auto& [name, port] : req.pins) {
      const auto held = r.port(name);
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

  ReserveResult reserve(const ReserveRequest& req) {
    validate_model(req.key.model);
    validate_app(req.key.app);
    if (auto existing = load(req.key)) {
      check_compatible(*existing, req);
      return {std::move(*existing), false};
    }
    const Pool& pool = this->pool(req.pool.empty() ? k_default_pool : req.pool);

    // Every check comes before the first write, so a refused request leaves the transaction
    // as it found it (import relies on this to report every conflict).
    std::vector<std::uint16_t> ports(pool.ports.size(), 0);
    std::vector<bool> pinned(pool.ports.size(), false);
    std::set<std::uint16_t> seen;
    for (const auto& [name, port] : req.pins) {
      const auto role = pool.role_of(name);
      if (!role) {
        std::vector<std::string> names;
        for (const auto& r : pool.ports) {
          names.push_back(r.name);
        }
        throw usage_error("pool " + quote(pool.name) + " has no port " + quote(name) +
                          "; its ports: " + join(names, ", "));
      }
      if (m_excluded.count(port)) {
        throw usage_error("port " + std::to_string(port) + " (" + name +
                          ") is excluded in this store; choose another");
      }
      if (!seen.insert(port).second) {
        throw usage_error("port " + std::to_string(port) + " is pinned twice for " +
                          describe(req.key));
      }
      if (port_owner(port)) {
        throw conflict_error("port " + std::to_string(port) + " (" + name + ") for " +
                             describe(req.key) + " is held by " + describe_owner(port));
      }
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
    std::vector<std::size_t> free_roles;
    for (std::size_t i = 0; i < pool.ports.size(); ++i) {
      if (!pinned[i]) {
        free_roles.push_back(i);
      }
    }
    if (!free_roles.empty()) {
      r.slot = allocate_slot(pool, free_roles, seen);
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
    write(r);
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
    return *r;
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
    for (const auto& r : list(std::nullopt)) {
      if (r.pool != pool.name) {
        continue;
      }
      bool same_names = r.ports.size() == pool.ports.size();
      for (std::size_t i = 0; same_names && i < r.ports.size(); ++i) {
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
      for (std::size_t i = 0; i < r.ports.size(); ++i) {
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

 private:
  Txn& m_txn;
  std::map<std::string, Pool> m_pools;
  std::set<std::uint16_t> m_excluded;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

Store::Store(const std::filesystem::path& dir, StoreOptions options)
    : m_env(std::make_unique<Env>(dir, options.initial_map_size, options.read_only)) {
  // A store without a schema version is new only when it is empty; one that holds data was
  // damaged or written by something else, and is never re-initialised over.
  const auto holds_data = [](const Txn& t) {
    for (Db db : {Db::meta, Db::pools, Db::apps, Db::ports, Db::names, Db::slots, Db::holes}) {
      if (t.count(db) > 0) {
        return true;
      }
    }
    return false;
  };
  const auto refuse = [&] {
    return runtime_error("store " + quote(dir.string()) +
                         " holds data but no schema version: it is damaged or was not written "
                         "by berth. Nothing was changed; move it away, or restore it from a "
                         "`berth export`");
  };
  auto version = m_env->read([&](const Txn& t) -> std::optional<std::string> {
    auto v = t.get(Db::meta, k_meta_schema);
    if (!v && holds_data(t)) {
      throw refuse();
    }
    return v;
  });
  if (!version) {
    version = m_env->write([&](Txn& t) {
      if (auto v = t.get(Db::meta, k_meta_schema)) {
        return *v;  // another process initialised it first
      }
      if (holds_data(t)) {
        throw refuse();
      }
      t.put(Db::meta, k_meta_schema, be32(k_schema_version));
      State state(t);
      state.put_excluded(default_excluded());
      state.put_pool(default_pool());
      return be32(k_schema_version);
    });
  }
  const std::uint32_t v = version->size() == 4 ? read_be32(*version) : 0;
  if (v > k_schema_version) {
    throw runtime_error("store " + quote(dir.string()) + " has schema version " +
                        std::to_string(v) + ", written by a newer berth; this berth reads up to " +
                        std::to_string(k_schema_version) + ". Upgrade berth, or use another store");
  }
  if (v < 1) {
    throw runtime_error("store " + quote(dir.string()) + " has an unreadable schema version");
  }
}

Store::~Store() = default;
Store::Store(Store&&) noexcept = default;

std::filesystem::path Store::default_dir() {
  if (const char* s = std::getenv("BERTH_STORE"); s && *s) {
    return s;
  }
  if (const char* s = std::getenv("XDG_STATE_HOME"); s && *s) {
    return std::filesystem::path(s) / "berth";
  }
  if (const char* s = std::getenv("HOME"); s && *s) {
    return std::filesystem::path(s) / ".local" / "state" / "berth";
  }
  throw usage_error("no store folder: set --store, $BERTH_STORE, $XDG_STATE_HOME or $HOME");
}

const std::set<std::uint16_t>& Store::default_excluded() {
  // Well-known services that developers run on the same host (see docs/cli.md).
  static const std::set<std::uint16_t> ports = {1433, 1521, 2049, 2375, 2376, 3000,  3306,  5000,
                                                5432, 5672, 5900, 6379, 6443, 8000,  8080,  8443,
                                                8888, 9000, 9090, 9200, 9300, 11211, 15672, 27017};
  return ports;
}

Pool Store::default_pool() {
  return Pool{k_default_pool, {{"backend", 5001, 7999}, {"frontend", 8001, 10999}}, 2};
}

const std::filesystem::path& Store::dir() const {
  return m_env->dir();
}
std::size_t Store::map_size() const {
  return m_env->map_size();
}

std::optional<Reservation> Store::get(const AppKey& key) const {
  return m_env->read([&](const Txn& t) { return State(t).load(key); });
}

ReserveResult Store::reserve(const ReserveRequest& request) {
  return reserve(request, true);
}

ReserveResult Store::preview(const ReserveRequest& request) {
  return reserve(request, false);
}

ReserveResult Store::reserve(const ReserveRequest& request, bool commit) {
  validate_model(request.key.model);
  validate_app(request.key.app);
  if (auto existing = get(request.key)) {
    State::check_compatible(*existing, request);
    return {std::move(*existing), false};
  }
  const auto fn = [&](Txn& t) { return State(t).reserve(request); };
  return commit ? m_env->write(fn) : m_env->write_dry(fn);
}

std::vector<ReserveResult> Store::apply(const std::vector<BatchOp>& ops) {
  return apply(ops, true);
}

std::vector<ReserveResult> Store::preview(const std::vector<BatchOp>& ops) {
  return apply(ops, false);
}

std::vector<ReserveResult> Store::apply(const std::vector<BatchOp>& ops, bool commit) {
  const auto fn = [&](Txn& t) {
    State state(t);
    std::vector<ReserveResult> results;
    results.reserve(ops.size());
    std::vector<std::string> problems;
    ErrorKind kind = ErrorKind::usage;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      // A refused operation writes nothing (every check precedes the first write), so the
      // batch goes on to find every problem; then the whole transaction is dropped.
      try {
        if (ops[i].kind == BatchOp::Kind::reserve) {
          results.push_back(state.reserve(ops[i].request));
        } else {
          results.push_back({state.release(ops[i].request.key), false});
        }
      } catch (const Error& e) {
        if (problems.empty() || e.kind() == ErrorKind::conflict) {
          kind = e.kind();
        }
        problems.push_back("batch entry " + std::to_string(i + 1) + ": " + e.what());
      }
    }
    if (problems.size() == 1) {
      throw Error(kind, problems[0] + " (nothing in the batch was applied)");
    }
    if (!problems.empty()) {
      throw Error(
          kind, "batch refused, nothing applied: " + std::to_string(problems.size()) + " problems",
          problems);
    }
    return results;
  };
  return commit ? m_env->write(fn) : m_env->write_dry(fn);
}

Reservation Store::release(const AppKey& key) {
  return m_env->write([&](Txn& t) { return State(t).release(key); });
}

std::vector<Reservation> Store::release_model(const std::string& model) {
  validate_model(model);
  return m_env->write([&](Txn& t) {
    State state(t);
    auto held = state.list(model);
    if (held.empty()) {
      throw usage_error("model " + quote(model) + " holds no reservation; see `berth list`");
    }
    for (const auto& r : held) {
      state.release(r.key);
    }
    return held;
  });
}

std::vector<Reservation> Store::list(const std::optional<std::string>& model) const {
  return m_env->read([&](const Txn& t) { return State(t).list(model); });
}

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

std::vector<Pool> Store::pools() const {
  return m_env->read([](const Txn& t) {
    std::vector<Pool> out;
    const State state(t);
    for (const auto& [name, pool] : state.pools()) {
      out.push_back(pool);
    }
    return out;
  });
}

std::set<std::uint16_t> Store::excluded() const {
  return m_env->read([](const Txn& t) { return State(t).excluded(); });
}

void Store::set_pool(const Pool& pool, bool allow_ephemeral) {
  m_env->write([&](Txn& t) {
    State state(t);
    state.check_pool_change(pool, allow_ephemeral);
    state.put_pool(pool);
    return true;
  });
}

void Store::remove_pool(const std::string& name) {
  m_env->write([&](Txn& t) {
    State state(t);
    state.pool(name);  // throws when there is no such pool
    std::size_t held = 0;
    for (const auto& r : state.list(std::nullopt)) {
      held += r.pool == name;
    }
    if (held > 0) {
      throw conflict_error("pool " + quote(name) + " holds " + std::to_string(held) +
                           " reservation(s); release them first");
    }
    t.del(Db::pools, name);
    t.del(Db::meta, meta_high(name));
    std::vector<std::string> holes;
    const std::string prefix = slot_prefix(name);
    t.scan(Db::holes, prefix, prefix, [&](std::string_view k, std::string_view) {
      holes.emplace_back(k);
      return true;
    });
    for (const auto& k : holes) {
      t.del(Db::holes, k);
    }
    return true;
  });
}

void Store::set_excluded(const std::set<std::uint16_t>& ports) {
  m_env->write([&](Txn& t) {
    State state(t);
    std::vector<std::string> held;
    for (std::uint16_t p : ports) {
      if (state.port_owner(p)) {
        held.push_back("port " + std::to_string(p) + " is held by " + state.describe_owner(p));
      }
    }
    if (!held.empty()) {
      throw conflict_error("cannot exclude ports that are held; release them first", held);
    }
    state.put_excluded(ports);
    return true;
  });
}

Reservation parse_reservation_record(const AppKey& key, std::string_view value) {
  return decode_record(key, value);
}

std::vector<std::string> Store::check() const {
  return m_env->read([](const Txn& t) {
    std::vector<std::string> problems;
    const auto bad = [&](std::string p) { problems.push_back(std::move(p)); };
    // Malformed pool or excluded-port records: nothing else can be checked against them.
    std::optional<State> maybe_state;
    try {
      maybe_state.emplace(t);
    } catch (const Error& e) {
      bad(e.what());
      return problems;
    }
    State& state = *maybe_state;
    // Each record on its own, so one malformed record is a finding, not the end of the check.
    std::vector<Reservation> records;
    t.scan(Db::apps, "", "", [&](std::string_view k, std::string_view v) {
      try {
        records.push_back(decode_record(decode_app_key(k), v));
      } catch (const Error& e) {
        bad(e.what());
      }
      return true;
    });
    // A record, or none when it is missing or malformed (reported above).
    const auto load = [&](const AppKey& key) -> std::optional<Reservation> {
      try {
        return state.load(key);
      } catch (const Error&) {
        return std::nullopt;
      }
    };
    // Runs one index entry's check; a malformed key or value is a finding.
    const auto guarded = [&](const char* db, const std::function<void()>& fn) {
      try {
        fn();
      } catch (const std::exception& e) {
        bad(std::string("index ") + db + ": " + e.what());
      }
      return true;
    };

    // Every reservation against the indexes and its pool.
    for (const auto& r : records) {
      const std::string who = describe(r.key);
      const std::string key = app_key(r.key);
      auto pit = state.pools().find(r.pool);
      if (pit == state.pools().end()) {
        bad(who + ": its pool " + quote(r.pool) + " does not exist");
        continue;
      }
      const Pool& pool = pit->second;
      for (std::size_t i = 0; i < r.ports.size(); ++i) {
        const auto& p = r.ports[i];
        auto owner = t.get(Db::ports, port_key(p.port));
        if (!owner) {
          bad(who + ": port " + std::to_string(p.port) + " (" + p.name + ") is not indexed");
        } else if (*owner != key) {
          bad("port " + std::to_string(p.port) + " is held twice: by " + who + " (" + p.name +
              ") and by " + describe(decode_app_key(*owner)));
        }
        if (state.excluded().count(p.port)) {
          bad(who + ": port " + std::to_string(p.port) + " (" + p.name + ") is excluded");
        }
        const auto role = pool.role_of(p.name);
        if (!role || *role != i) {
          bad(who + ": port name " + quote(p.name) + " does not match pool " + quote(pool.name));
          continue;
        }
        const bool is_pinned =
            std::find(r.pinned.begin(), r.pinned.end(), p.name) != r.pinned.end();
        if (r.slot && !is_pinned && pool.port_at(i, *r.slot) != p.port) {
          bad(who + ": port " + std::to_string(p.port) + " (" + p.name + ") is not slot " +
              std::to_string(*r.slot) + "'s port " + std::to_string(pool.port_at(i, *r.slot)));
        }
      }
      if (r.ports.size() != pool.ports.size()) {
        bad(who + ": holds " + std::to_string(r.ports.size()) + " ports; pool " + quote(pool.name) +
            " names " + std::to_string(pool.ports.size()));
      }
      if (!is_valid_project_name(r.project)) {
        bad(who + ": project name " + quote(r.project) + " is not valid for Docker");
      }
      auto name_owner = t.get(Db::names, r.project);
      if (!name_owner) {
        bad(who + ": project name " + quote(r.project) + " is not indexed");
      } else if (*name_owner != key) {
        bad("project name " + quote(r.project) + " is held twice: by " + who + " and by " +
            describe(decode_app_key(*name_owner)));
      }
      if (r.slot) {
        if (*r.slot >= pool.capacity() || *r.slot >= state.high(r.pool)) {
          bad(who + ": slot " + std::to_string(*r.slot) + " is beyond pool " + quote(r.pool) +
              "'s capacity or high-water mark");
        }
        auto slot_owner = t.get(Db::slots, slot_key(r.pool, *r.slot));
        if (!slot_owner || *slot_owner != key) {
          bad(who + ": slot " + std::to_string(*r.slot) + " of pool " + quote(r.pool) +
              " is not indexed to it");
        }
      }
    }

    // Every index entry points at a reservation that holds it.
    t.scan(Db::ports, "", "", [&](std::string_view k, std::string_view v) {
      return guarded("ports", [&] {
        const std::uint16_t port = decode_port_key(k);
        const AppKey owner = decode_app_key(v);
        auto rec = load(owner);
        bool holds = false;
        if (rec) {
          for (const auto& p : rec->ports) {
            holds = holds || p.port == port;
          }
        }
        if (!holds) {
          bad("port " + std::to_string(port) + " is indexed to " + describe(owner) +
              ", which does not hold it");
        }
      });
    });
    t.scan(Db::names, "", "", [&](std::string_view k, std::string_view v) {
      return guarded("names", [&] {
        const AppKey owner = decode_app_key(v);
        auto rec = load(owner);
        if (!rec || rec->project != k) {
          bad("project name " + quote(std::string(k)) + " is indexed to " + describe(owner) +
              ", which does not hold it");
        }
      });
    });

    // Slots and holes: below each pool's high-water mark every slot is held or a hole.
    std::map<std::string, std::set<std::uint32_t>> held, holes;
    t.scan(Db::slots, "", "", [&](std::string_view k, std::string_view v) {
      return guarded("slots", [&] {
        const std::string pool = decode_slot_pool(k);
        const std::uint32_t s = decode_slot_key(k);
        held[pool].insert(s);
        auto rec = load(decode_app_key(v));
        if (!rec || rec->pool != pool || rec->slot != s) {
          bad("slot " + std::to_string(s) + " of pool " + quote(pool) + " is indexed to " +
              describe(decode_app_key(v)) + ", which does not hold it");
        }
      });
    });
    t.scan(Db::holes, "", "", [&](std::string_view k, std::string_view) {
      return guarded("holes", [&] { holes[decode_slot_pool(k)].insert(decode_slot_key(k)); });
    });
    for (const auto& [name, pool] : state.pools()) {
      const std::uint32_t h = state.high(name);
      for (std::uint32_t s : holes[name]) {
        if (s >= h || held[name].count(s)) {
          bad("slot " + std::to_string(s) + " of pool " + quote(name) +
              " is listed free but is held or beyond the high-water mark " + std::to_string(h));
        }
      }
      if (held[name].size() + holes[name].size() != h) {
        bad("pool " + quote(name) + ": " + std::to_string(held[name].size()) + " held and " +
            std::to_string(holes[name].size()) +
            " free slots do not add up to the high-water mark " + std::to_string(h));
      }
      if (h > 0 && !held[name].count(h - 1)) {
        bad("pool " + quote(name) + ": the slot below the high-water mark (" +
            std::to_string(h - 1) + ") is not held");
      }
    }
    for (const auto& [name, slots] : held) {
      if (!state.pools().count(name)) {
        bad("slots are held in pool " + quote(name) + ", which does not exist");
      }
    }
    return problems;
  });
}

std::vector<PoolStats> Store::stats() const {
  return m_env->read([](const Txn& t) {
    State state(t);
    std::map<std::string, std::uint32_t> held;
    for (const auto& r : state.list(std::nullopt)) {
      ++held[r.pool];
    }
    std::vector<PoolStats> out;
    for (const auto& [name, pool] : state.pools()) {
      PoolStats s;
      s.pool = name;
      s.capacity = pool.capacity();
      s.held = held[name];
      const std::uint32_t h = state.high(name);
      if (h > 0) {
        s.highest_slot = h - 1;
      }
      std::vector<std::size_t> roles(pool.ports.size());
      for (std::size_t i = 0; i < roles.size(); ++i) {
        roles[i] = i;
      }
      for (std::uint32_t slot = 0; slot < s.capacity; ++slot) {
        const bool taken = t.has(Db::slots, slot_key(name, slot));
        s.slots_held += taken;
        s.holes += !taken && slot < h;
        s.free += !taken && state.usable(pool, roles, slot);
      }
      out.push_back(s);
    }
    return out;
  });
}

}  // namespace berth
