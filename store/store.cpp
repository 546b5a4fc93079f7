#include "store/store.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <map>

#include "store/error.hpp"
#include "store/keys.hpp"
#include "store/lmdb_env.hpp"
#include "store/names.hpp"
#include "store/state.hpp"

namespace berth {

using namespace keys;

using nlohmann::json;

namespace {

// Whether a store holds anything at all.
bool holds_data(const Txn& t) {
  for (Db db : {Db::meta, Db::pools, Db::apps, Db::ports, Db::names, Db::slots, Db::holes,
                Db::leases, Db::uses}) {
    if (t.count(db) > 0) {
      return true;
    }
  }
  return false;
}

Error no_schema(const std::filesystem::path& dir) {
  return runtime_error("store " + quote(dir.string()) +
                       " holds data but no schema version: it is damaged or was not written "
                       "by berth. Nothing was changed; move it away, or restore it from a "
                       "`berth export`");
}

// The store's schema version record; an empty store is initialised (schema, excluded ports, the
// default pool and lease pool). A store without a schema version is new only when it is empty;
// one that holds data was damaged or written by something else, and is never re-initialised.
std::string schema_record(Env& env, const std::filesystem::path& dir) {
  auto version = env.read([&](const Txn& t) -> std::optional<std::string> {
    auto v = t.get(Db::meta, k_meta_schema);
    if (!v && holds_data(t)) {
      throw no_schema(dir);
    }
    return v;
  });
  if (version) {
    return *version;
  }
  return env.write([&](Txn& t) {
    if (auto v = t.get(Db::meta, k_meta_schema)) {
      return *v;  // another process initialised it first
    }
    if (holds_data(t)) {
      throw no_schema(dir);
    }
    t.put(Db::meta, k_meta_schema, be32(Store::k_schema_version));
    State state(t);
    state.put_excluded(Store::default_excluded());
    state.put_pool(Store::default_pool());
    state.put_pool(Store::default_lease_pool());
    return be32(Store::k_schema_version);
  });
}

// Migration 1 -> 2: the leases database exists (Env creates it); add the preview lease pool
// unless another pool already uses its ports or its name.
std::uint32_t migrate_to_2(Env& env) {
  return env.write([&](Txn& t) {
    const auto now = t.get(Db::meta, k_meta_schema);
    if (now && read_be32(*now) >= 2) {
      return read_be32(*now);  // another process migrated it first
    }
    State state(t);
    const Pool preview = Store::default_lease_pool();
    try {
      if (!state.pools().count(preview.name)) {
        state.check_pool_change(preview, false);
        state.put_pool(preview);
      }
    } catch (const Error&) {
      // its ports are another pool's: the store goes on without a default lease pool
    }
    t.put(Db::meta, k_meta_schema, be32(2));
    return std::uint32_t{2};
  });
}

// Migration 2 -> 3: the uses database exists (Env creates it); every reservation gets the
// migration's time as its creation time.
std::uint32_t migrate_to_3(Env& env) {
  return env.write([&](Txn& t) {
    const auto now = t.get(Db::meta, k_meta_schema);
    if (now && read_be32(*now) >= 3) {
      return read_be32(*now);  // another process migrated it first
    }
    const std::string created = encode_time("created", Store::now());
    std::vector<std::string> keys;
    t.scan(Db::apps, "", "", [&](std::string_view k, std::string_view) {
      keys.emplace_back(k);
      return true;
    });
    for (const auto& k : keys) {
      if (!t.has(Db::uses, k)) {
        t.put(Db::uses, k, created);
      }
    }
    t.put(Db::meta, k_meta_schema, be32(3));
    return std::uint32_t{3};
  });
}

// Before an older store changes at all (its newer databases added, its migrations): a copy of
// it as it is, in dir/schema-<N>-backup/, once. Returns the copy's folder.
std::filesystem::path keep_copy(const Env& env, const std::filesystem::path& dir) {
  const auto version = env.read([](const Txn& t) { return t.get(Db::meta, k_meta_schema); });
  const std::uint32_t v = version && version->size() == 4 ? read_be32(*version) : 0;
  const auto backup = dir / ("schema-" + std::to_string(v) + "-backup");
  if (v < 1 || v >= Store::k_schema_version) {
    return backup;
  }
  std::error_code ec;
  if (std::filesystem::create_directory(backup, ec)) {
    try {
      env.copy_to(backup);
    } catch (...) {
      std::filesystem::remove_all(backup, ec);
      throw;
    }
  } else if (ec) {
    throw runtime_error("cannot keep a copy of store " + quote(dir.string()) +
                        " before upgrading it: " + ec.message());
  }  // else it is there already: made before the databases were added, or by another process
  return backup;
}

}  // namespace

Store::Store(const std::filesystem::path& dir, StoreOptions options)
    : m_env(std::make_unique<Env>(dir, options.initial_map_size, options.read_only,
                                  [&dir](const Env& env) { keep_copy(env, dir); })) {
  const std::string version = schema_record(*m_env, dir);
  std::uint32_t v = version.size() == 4 ? read_be32(version) : 0;
  if (v >= 1 && v < k_schema_version) {
    upgrade(dir, v);
    v = k_schema_version;
  }
  if (v > k_schema_version) {
    throw runtime_error("store " + quote(dir.string()) + " has schema version " +
                        std::to_string(v) + ", written by a newer berth; this berth reads up to " +
                        std::to_string(k_schema_version) + ". Upgrade berth, or use another store");
  }
  if (v < 1) {
    throw runtime_error("store " + quote(dir.string()) + " has an unreadable schema version");
  }
  if (m_env->missing_databases()) {
    throw runtime_error("store " + quote(dir.string()) + " has schema version " +
                        std::to_string(v) +
                        " but lacks some of berth's databases (damaged, or written by something "
                        "else); a command that writes adds them, empty");
  }
}

// An older store is upgraded by a command that writes, never by one that only reads (an older
// berth could no longer read it): first a copy of it as it is, beside its files, then the
// migrations, each one transaction.
void Store::upgrade(const std::filesystem::path& dir, std::uint32_t from) {
  if (m_env->read_only()) {
    throw runtime_error("store " + quote(dir.string()) + " has schema version " +
                        std::to_string(from) + ", from an older berth; this berth upgrades it to " +
                        std::to_string(k_schema_version) +
                        " at the first command that writes, or with `berth migrate` (an older "
                        "berth cannot read it then; a copy of it is kept)");
  }
  m_upgrade = Upgrade{from, keep_copy(*m_env, dir)};
  if (from == 1) {
    from = migrate_to_2(*m_env);
  }
  if (from == 2) {
    migrate_to_3(*m_env);
  }
}

Store::~Store() = default;
Store::Store(Store&&) noexcept = default;

std::filesystem::path Store::default_dir() {
  if (const char* s = std::getenv("BERTH_STORE")) {
    if (!*s) {
      throw usage_error(
          "$BERTH_STORE is set but empty; give it the store folder, or unset it to use the "
          "default store");
    }
    return s;
  }
  if (const auto host = host_dir(); exists_in(host)) {
    return host;
  }
  return user_dir();
}

std::filesystem::path Store::user_dir() {
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

Pool Store::default_lease_pool() {
  Pool p{k_default_lease_pool, {{"port", 32100, 32200}}, 1};
  p.lease = true;
  return p;
}

std::int64_t Store::now() {
  if (const char* s = std::getenv("BERTH_NOW"); s && *s) {
    // Digits only, and no later than 9999-12-31: a lease's expiry (the time plus a TTL of at
    // most 999,999,999 weeks) then never overflows.
    constexpr long long k_last = 253402300799;
    const std::string text = s;
    const bool digits =
        text.size() <= 12 && text.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoll(text) > k_last) {
      throw usage_error("BERTH_NOW " + quote(text) +
                        " is not a time in Unix seconds from 0 to 253402300799 (9999-12-31)");
    }
    return std::stoll(text);
  }
  return static_cast<std::int64_t>(std::time(nullptr));
}

Pool Store::default_pool() {
  return Pool{k_default_pool, {{"backend", 5001, 7999}, {"frontend", 8001, 10999}}, 2};
}

const std::filesystem::path& Store::dir() const {
  return m_env->dir();
}
EnvUse Store::use() const {
  return m_env->use();
}

std::uint32_t Store::schema_version() const {
  return m_env->read([](const Txn& t) -> std::uint32_t {
    const auto v = t.get(Db::meta, k_meta_schema);
    return v && v->size() == 4 ? read_be32(*v) : 0;
  });
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

std::optional<ReserveResult> Store::reserved(const ReserveRequest& request) const {
  validate_key(request.key);
  auto existing = get(request.key);
  if (!existing) {
    return std::nullopt;
  }
  State::check_compatible(*existing, request);
  const bool owned = request.owner.empty() || existing->owner == request.owner;
  if (!owned || !State::missing_extra(*existing, request).empty()) {
    return std::nullopt;
  }
  return ReserveResult{std::move(*existing), false};
}

ReserveResult Store::reserve(const ReserveRequest& request, bool commit) {
  if (auto answered = reserved(request)) {
    return std::move(*answered);  // read-only: nothing to change
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
    state.hold_marks();
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
    state.put_marks();
    return results;
  };
  return commit ? m_env->write(fn) : m_env->write_dry(fn);
}

Reservation Store::release(const AppKey& key) {
  return m_env->write([&](Txn& t) { return State(t).release(key); });
}

std::vector<Reservation> Store::release_model(const std::string& model, const std::string& ns) {
  validate_key(AppKey{model, 1, ns});
  return m_env->write([&](Txn& t) {
    State state(t);
    auto held = state.list(AppFilter{model, ns, std::nullopt});
    if (held.empty()) {
      throw usage_error("model " + quote(model) +
                        (ns.empty() ? std::string() : " in namespace " + quote(ns)) +
                        " holds no reservation; see `berth list`");
    }
    for (const auto& r : held) {
      state.release(r.key);
    }
    return held;
  });
}

std::vector<Reservation> Store::list(const AppFilter& filter) const {
  return m_env->read([&](const Txn& t) { return State(t).list(filter); });
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

nlohmann::json Store::settings() const {
  return m_env->read([](const Txn& t) {
    const auto v = t.get(Db::meta, k_meta_settings);
    if (!v) {
      return nlohmann::json::object();
    }
    auto j = nlohmann::json::parse(*v, nullptr, false);
    if (!j.is_object()) {
      throw runtime_error(
          "store's settings record is not a JSON object; reset it with `berth "
          "config --reset`");
    }
    return j;
  });
}

void Store::set_settings(const nlohmann::json& settings) {
  m_env->write([&](Txn& t) {
    t.put(Db::meta, k_meta_settings, settings.dump());
    return true;
  });
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
    for (const auto& r : state.list({})) {
      held += r.pool == name;
    }
    held += state.leases(name).size();
    for (const auto& r : state.list({})) {
      held += std::count(r.extra.begin(), r.extra.end(), name);
    }
    if (held > 0) {
      throw conflict_error("pool " + quote(name) + " holds " + std::to_string(held) +
                           " reservation(s) or lease(s); release them first");
    }
    t.del(Db::pools, name);
    t.del(Db::meta, meta_high(name));
    t.del_prefix(Db::holes, slot_prefix(name));
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

}  // namespace berth
