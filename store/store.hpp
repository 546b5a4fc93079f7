#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/model.hpp"

namespace berth {

class Env;

// What opening an older store did: the schema it had, and where the copy of it is.
struct Upgrade {
  std::uint32_t from = 0;
  std::filesystem::path backup;
};

struct StoreOptions {
  // Initial LMDB map size; the map doubles whenever it fills. A map is address space, not
  // memory or disk (data.mdb grows with the pages in use), but a transaction that fills it runs
  // again from the start: 1 GiB holds millions of apps, so no batch ever runs twice (64 MiB
  // where address space is scarce).
  std::size_t initial_map_size = sizeof(void*) >= 8 ? std::size_t(1) << 30 : std::size_t(64) << 20;
  // Open an existing store read-only (for commands that only read): no write lock is taken and
  // a store on a read-only mount can be read. A store that does not exist yet is created.
  bool read_only = false;
};

// The reservation store: the one place that decides ports and names. Every verb is one LMDB
// transaction, so it is atomic across processes. Errors are thrown as berth::Error.
class Store {
 public:
  // 2: leases (the `leases` database and the `preview` lease pool), added to version-1 stores
  // when they are opened. 3: uses (the `uses` database: each reservation's creation time and
  // where it is used); older stores' reservations get the migration's time as creation time.
  static constexpr std::uint32_t k_schema_version = 3;

  // Opens the store in `dir`, creating it (with the default pool and excluded ports) on first
  // use. Refuses a store written by a newer berth. Upgrades an older store, keeping a copy of
  // it in `dir/schema-<N>-backup/` first; opened read-only, an older store is refused instead.
  explicit Store(const std::filesystem::path& dir, StoreOptions options = {});
  ~Store();
  Store(Store&&) noexcept;

  // Set when opening upgraded an older store.
  const std::optional<Upgrade>& upgraded() const { return m_upgrade; }

  // $BERTH_STORE, else the host store when one exists (host_dir()), else the user's store
  // (user_dir()). An empty $BERTH_STORE is a usage error, never the default.
  static std::filesystem::path default_dir();
  // Where the host store is: $BERTH_HOST_STORE (tests and unusual hosts), else /var/lib/berth.
  // It is used only when it holds a store (`berth init --host` made it).
  static std::filesystem::path host_dir();
  // The user's own store: $XDG_STATE_HOME/berth, else ~/.local/state/berth.
  static std::filesystem::path user_dir();
  // Whether `dir` holds a berth store (a data file), without opening or creating anything.
  static bool exists_in(const std::filesystem::path& dir);
  // Makes `dir` a store that every member of `group` can write whatever their umask: the
  // folder setgid and group-writable (2775), the data and lock files group-read-write (0660),
  // all of group `group`. Creates the store when it is missing; on an existing store it only
  // mends the modes. Throws a usage error naming an unknown group (and how to create it), a
  // runtime error naming what could not be changed (run it as root).
  static void init_shared(const std::filesystem::path& dir, const std::string& group);
  // The ports never handed out in a new store.
  static const std::set<std::uint16_t>& default_excluded();
  // The default pool of a new store: backend 5001-7999, frontend 8001-10999, step 2.
  static Pool default_pool();
  // The default lease pool: preview, ports 32100-32200.
  static Pool default_lease_pool();
  // The time leases are measured against: $BERTH_NOW (Unix seconds, for tests) or the clock.
  static std::int64_t now();

  const std::filesystem::path& dir() const;
  std::size_t map_size() const;
  // The map's size and use, the reader slots, and the stale ones cleared when it was opened.
  EnvUse use() const;
  // The schema version recorded in the store.
  std::uint32_t schema_version() const;

  // The reservation for `key`, if any (read-only transaction).
  std::optional<Reservation> get(const AppKey& key) const;

  // Gets or allocates. An existing reservation is returned unchanged through a read-only
  // transaction; asking it for other pins, another pool or another project is a conflict.
  ReserveResult reserve(const ReserveRequest& request);

  // The existing reservation when it answers the request as it stands (reserve() would write
  // nothing), else none: all a reserve needs of a store opened read-only. Throws what reserve()
  // throws for a request that conflicts with it.
  std::optional<ReserveResult> reserved(const ReserveRequest& request) const;

  // What reserve() would return, without changing the store (for dry runs).
  ReserveResult preview(const ReserveRequest& request);

  // Runs every operation in one write transaction: all or nothing. A release result carries the
  // released reservation with created = false. On failure, the thrown error lists every
  // refused operation ("batch entry N: ..."); its kind is conflict if any was a conflict.
  std::vector<ReserveResult> apply(const std::vector<BatchOp>& ops);
  // What apply() would return, without changing the store.
  std::vector<ReserveResult> preview(const std::vector<BatchOp>& ops);

  // Frees the reservation's slot, ports and name; returns what was released.
  Reservation release(const AppKey& key);
  // Releases every app of `model` in namespace `ns` in one transaction.
  std::vector<Reservation> release_model(const std::string& model, const std::string& ns = {});

  // Reservations in key order (namespace, model bytes, then app number), those the filter
  // matches.
  std::vector<Reservation> list(const AppFilter& filter = {}) const;

  // Imports reservations whose ports are all given (pins) and, for pools they use that the
  // store lacks, the pools. All or nothing: on any problem nothing changes and the thrown
  // conflict lists every problem, one per entry. With `skipped`, what fits is imported in the
  // one transaction and every entry left out is listed there, with why.
  std::vector<ReserveResult> import(const std::vector<Pool>& pools,
                                    const std::vector<ReserveRequest>& requests,
                                    const std::vector<Lease>& leases = {},
                                    std::vector<std::string>* skipped = nullptr);
  // Sorted, byte-stable form of the store that import() turns back into the same reservations.
  nlohmann::json export_json() const;

  std::vector<Pool> pools() const;
  std::set<std::uint16_t> excluded() const;
  // Host settings (`berth config`): a JSON object, {} when none was set. Not exported.
  nlohmann::json settings() const;
  void set_settings(const nlohmann::json& settings);
  // Creates or changes a pool. Refused when a range overlaps another pool's, or when an existing
  // reservation of the pool would no longer match its slot (its port names, ports or capacity).
  void set_pool(const Pool& pool, bool allow_ephemeral);
  // Removes a pool that holds no reservation.
  void remove_pool(const std::string& name);
  // Replaces the excluded ports; refused when a held port would become excluded.
  void set_excluded(const std::set<std::uint16_t>& ports);

  // Leases (one transaction each). acquire: the id's lease, renewed, or a new one on the lowest
  // free port of the pool (default: preview); `ttl` defaults to 15 minutes (0: never expires).
  // When the pool is full, reclaimable leases of the pool are freed first (into `reclaimed`).
  // A new lease steps over the ports in `avoid` (those something listens on now).
  Lease acquire_lease(const std::string& id, const std::string& pool,
                      std::optional<std::int64_t> ttl, std::optional<std::int64_t> owner_pid,
                      std::vector<Lease>* reclaimed = nullptr,
                      const std::set<std::uint16_t>& avoid = {});
  // Marks activity (and changes the ttl when given); a usage error when there is no such lease.
  Lease renew_lease(const std::string& id, std::optional<std::int64_t> ttl);
  Lease release_lease(const std::string& id);
  // Frees every lease (of `pool`) past its idle time or whose owner process is gone.
  std::vector<Lease> expire_leases(const std::optional<std::string>& pool, bool dry_run);
  // Leases (of `pool`) by id.
  std::vector<Lease> leases(const std::optional<std::string>& pool) const;

  // When the app was reserved and where it is used (empty when it is not reserved).
  AppUses uses(const AppKey& key) const;
  // The same for every reservation (of `model`), in key order.
  std::map<AppKey, AppUses> all_uses(const AppFilter& filter = {}) const;
  // Each reservation the filter matches, in key order, with its uses: read in one transaction
  // and handed to `fn` one at a time (ten thousand apps are never all in memory). `fn` must not
  // use the store.
  void each_app(const AppFilter& filter,
                const std::function<void(const Reservation&, const AppUses&)>& fn) const;
  // Records that each app is used there, seen now. Writes only uses that are new or were last
  // seen over a day ago, so a re-run opens no write transaction (a store opened read-only is
  // reopened for writing only then). Apps no longer reserved are skipped. Returns how many
  // uses were written.
  std::size_t record_uses(const std::vector<std::pair<AppKey, Use>>& uses);
  // Reserves as reserve() does and records `use` (when new or a day old) in the same write
  // transaction, even for an app that exists: whoever writes the app's folder after this call
  // is ordered against prune(), which looks at the folder again inside its own transaction.
  ReserveResult reserve_in_use(const ReserveRequest& request, const Use& use);
  // In one transaction: releases each app of `apps` whose uses are still exactly those given
  // and for which `still_unused` (asked inside the transaction, holding the writer lock) says
  // yes; any other is kept, into `kept`. With `leases` it frees every expired lease. With
  // `dry_run` nothing changes (and a read-only store does).
  PruneResult prune(const std::map<AppKey, AppUses>& apps, bool leases, bool dry_run,
                    const std::function<bool(const AppUses&)>& still_unused);

  // Verifies every invariant; returns one line per problem found (empty: healthy). The second
  // form also counts the reservations it read whole, in the same read.
  std::vector<std::string> check() const;
  std::vector<std::string> check(std::size_t& reservations) const;
  std::vector<PoolStats> stats() const;

 private:
  ReserveResult reserve(const ReserveRequest& request, bool commit);
  std::vector<ReserveResult> apply(const std::vector<BatchOp>& ops, bool commit);

  void upgrade(const std::filesystem::path& dir, std::uint32_t from);

  std::unique_ptr<Env> m_env;
  std::optional<Upgrade> m_upgrade;
};

// Decodes a stored reservation record (the `apps` value for `key`); throws a runtime error naming
// the record and the field when it is malformed. For tests and fuzzing: the store uses it itself.
Reservation parse_reservation_record(const AppKey& key, std::string_view value);

}  // namespace berth
