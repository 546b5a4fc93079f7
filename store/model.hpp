#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/error.hpp"

namespace berth {

constexpr std::size_t k_max_model_bytes = 200;
constexpr std::uint32_t k_max_app = 1000000;
constexpr std::size_t k_max_project_bytes = 63;
constexpr char k_default_pool[] = "apps";

// The Linux default ephemeral range (net.ipv4.ip_local_port_range). Pool ranges stay out of it
// unless the pool is created with allow_ephemeral.
constexpr std::uint16_t k_ephemeral_first = 32768;
constexpr std::uint16_t k_ephemeral_last = 60999;

constexpr std::size_t k_max_namespace_bytes = 24;

// A reservation's identity: (namespace, model, app number). The empty namespace is the one every
// app had before namespaces existed; a project gives its apps another to keep them apart from
// another project's apps of the same model and number.
struct AppKey {
  std::string model;
  std::uint32_t app = 0;
  std::string ns;

  bool operator<(const AppKey& o) const {
    if (ns != o.ns) {
      return ns < o.ns;
    }
    return model != o.model ? model < o.model : app < o.app;
  }
  bool operator==(const AppKey& o) const { return model == o.model && app == o.app && ns == o.ns; }
  bool operator!=(const AppKey& o) const { return !(*this == o); }
};

// "'model' app N", and " in namespace 'ns'" when it has one, for messages.
std::string describe(const AppKey& key);
// Throws a usage error unless `ns` is a namespace: [a-z0-9][a-z0-9-]*, at most 24 bytes, not
// ending in '-' (it prefixes compose project names, Docker names, host names and Kubernetes
// namespaces). The empty namespace is not checked here: it is the default, never given.
void validate_namespace(const std::string& ns);

// Throws a usage error unless `model` is non-empty UTF-8 of at most 200 bytes without control
// characters or the line separators U+2028 and U+2029 (YAML 1.1 and old JavaScript take them
// as line breaks).
void validate_model(const std::string& model);
// Throws a usage error naming `what` unless `text` is valid UTF-8 without control characters
// (tab and newline included) or line separators: the rule for every value berth writes into
// generated files (YAML, JSON, Python, JavaScript, nginx, Dockerfiles).
void check_text(const std::string& text, const std::string& what);
// Throws a usage error unless 1 <= app <= 1,000,000.
void validate_app(long long app);
// Throws a usage error unless `port` is 1..65535; returns it.
std::uint16_t validate_port(long long port, const std::string& what);
// Pool names: [a-z0-9][a-z0-9_-]*, at most 32 bytes. Port names: [a-z][a-z0-9_]*, at most 32.
void validate_pool_name(const std::string& name);
void validate_port_name(const std::string& name);

struct PortRange {
  std::string name;
  std::uint16_t first = 0;
  std::uint16_t last = 0;
};

// A pool names its ports; slot s holds port `first + s * step` of every range.
struct Pool {
  std::string name;
  std::vector<PortRange> ports;
  std::uint16_t step = 1;
  // A lease pool (one range): its ports are leased one at a time to runtime ids (`berth
  // lease`), never reserved for apps.
  bool lease = false;
  // An extra pool (one range): each of its ports goes to one app as an extra named port, beside
  // the ports of the app's own pool (a Kubernetes NodePort). Never an app's own pool.
  bool extra = false;

  // Number of slots: the smallest range decides.
  std::uint32_t capacity() const;
  std::uint16_t port_at(std::size_t role, std::uint32_t slot) const {
    return static_cast<std::uint16_t>(ports[role].first + slot * step);
  }
  // The slot whose port for `role` is `port`, if any.
  std::optional<std::uint32_t> slot_of(std::size_t role, std::uint16_t port) const;
  // Index of the port called `name`, if the pool has one.
  std::optional<std::size_t> role_of(const std::string& name) const;
};

// Throws a usage error naming the problem unless the pool is well formed: valid names, at least
// one port, no duplicate names, first <= last, step >= 1, no two ranges overlapping, and (unless
// allow_ephemeral) no range entering the ephemeral range.
void validate_pool(const Pool& pool, bool allow_ephemeral);

constexpr std::size_t k_max_lease_id_bytes = 200;
constexpr char k_default_lease_pool[] = "preview";
// The extra pool of Kubernetes NodePorts, created on first use (port name `node`).
constexpr char k_nodeport_pool[] = "nodeport";

// Throws a usage error unless `id` is a non-empty UTF-8 string of at most 200 bytes without
// control characters.
void validate_lease_id(const std::string& id);

// A runtime lease: one port of a lease pool for an id (seed 004's preview containers). Times
// are Unix seconds (UTC).
struct Lease {
  std::string id;
  std::string pool;
  std::uint16_t port = 0;
  std::int64_t acquired = 0;
  std::int64_t last_active = 0;
  std::int64_t ttl = 0;        // idle seconds after which it may be reclaimed; 0: never
  std::int64_t owner_pid = 0;  // reclaimable once this process is gone; 0: no owner

  // When it may be reclaimed for idleness, if ever.
  std::optional<std::int64_t> expires() const;
  // Past its idle time at `now`, or its owner process gone.
  bool reclaimable(std::int64_t now) const;
};

struct NamedPort {
  std::string name;
  std::uint16_t port = 0;
  bool operator==(const NamedPort& o) const { return name == o.name && port == o.port; }
};

struct Reservation {
  AppKey key;
  std::string pool;
  std::optional<std::uint32_t> slot;  // the slot held in the pool; none when every port is pinned
  std::vector<NamedPort> ports;       // in the pool's order, then one per extra pool
  std::vector<std::string> pinned;    // names of ports that do not come from the slot
  std::string project;
  // Extra pools the app holds a port of, in order: its last extra.size() ports are theirs, each
  // named by its pool's range.
  std::vector<std::string> extra;
  // The project the app belongs to (a CMake configure records its project's name); empty: none
  // yet (CLI reservations, the earlier system's imports), and the first project to declare it
  // adopts it.
  std::string owner;

  std::optional<std::uint16_t> port(const std::string& name) const;
  bool operator==(const Reservation& o) const {
    return key == o.key && pool == o.pool && slot == o.slot && ports == o.ports &&
           pinned == o.pinned && project == o.project && extra == o.extra && owner == o.owner;
  }
};

// A request to get or allocate a reservation.
struct ReserveRequest {
  AppKey key;
  std::string pool;                           // empty: the stored pool, else "apps"
  std::map<std::string, std::uint16_t> pins;  // explicit ports by name
  std::string project;                        // empty: derived from the model (import sets it)
  // Ports a new allocation steps over as if excluded (--skip-busy: what listens now). Never
  // stored; pins and existing reservations are not affected.
  std::set<std::uint16_t> avoid;
  // Extra pools to hold one port of (pins by the pool's range name). An existing reservation
  // lacking one gains its port, keeping every other.
  std::vector<std::string> extra;
  // The project asking (empty: none). An app owned by another project is refused; one with no
  // owner is adopted.
  std::string owner;
};

// Which reservations a listing shows: each field given narrows it (no namespace given: every
// namespace; an empty one: the apps of no namespace).
struct AppFilter {
  std::optional<std::string> model;
  std::optional<std::string> ns;
  std::optional<std::string> owner;

  bool matches(const Reservation& r) const;
};

// Throws a usage error unless the key's model, app number and namespace are valid.
void validate_key(const AppKey& key);

// One step of a batch.
struct BatchOp {
  enum class Kind { reserve, release } kind = Kind::reserve;
  ReserveRequest request;  // for release only request.key counts
};

struct ReserveResult {
  Reservation reservation;
  bool created = false;
  bool adopted = false;  // it had no owner, and the request's project adopted it
};

// Throws a usage error unless `owner` is a project name berth can record: non-empty UTF-8 text
// of at most 200 bytes without control characters.
void validate_owner(const std::string& owner);

// Where a reservation is used on this host: an app folder it was scaffolded into ("app"), a
// build tree that declared it ("build"), or a lock file that pins it ("lock"). Paths are
// absolute. Recorded by scaffold, backfill and the CMake module; read by show, list and prune.
struct Use {
  std::string kind;
  std::string path;
  std::int64_t seen = 0;  // when last recorded, Unix seconds
};

// What the store knows of a reservation beyond its ports.
struct AppUses {
  std::int64_t created = 0;  // when it was reserved (Unix seconds); 0 when unknown
  std::vector<Use> uses;     // by kind, then path
};

struct PruneResult {
  std::vector<Reservation> released;
  std::vector<AppKey> kept;   // candidates that recorded a new use meanwhile: not released
  std::vector<Lease> leases;  // expired leases freed
};

// How much of the map the store uses, and its reader slots.
struct EnvUse {
  std::size_t map_size = 0;
  std::size_t used = 0;  // bytes of pages in use
  unsigned readers = 0;
  unsigned max_readers = 0;
  std::size_t stale_readers_cleared = 0;  // slots of killed processes cleared when opening
};

struct PoolStats {
  std::string pool;
  std::uint32_t capacity = 0;
  std::uint32_t held = 0;                     // reservations in the pool (slot-holding or pinned)
  std::uint32_t slots_held = 0;               // slots held
  std::uint32_t free = 0;                     // slots that can still be handed out
  std::optional<std::uint32_t> highest_slot;  // highest slot held
  std::uint32_t holes = 0;                    // unheld slots below the highest slot held
};

// JSON forms shared by the store records, the CLI's --json and export.
nlohmann::json to_json(const Pool& pool);
// Reads a pool through the checked reader; errors name `where` and are of `kind`.
Pool pool_from_json(const nlohmann::json& j, const std::string& where,
                    ErrorKind kind = ErrorKind::usage);
// {model, app, pool, slot, ports: {name: port}, pinned, project, extra, owner and namespace (each
// only when it has one)}
nlohmann::json to_json(const Reservation& r);
// {id, pool, port, acquired, last_active, ttl, owner_pid, expires}
nlohmann::json to_json(const Lease& l);
// {kind, path, seen} (seen as ISO 8601 UTC)
nlohmann::json to_json(const Use& u);
// "2026-11-30T10:55:17Z"
std::string iso_utc(std::int64_t seconds);

}  // namespace berth
