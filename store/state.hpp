#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/lmdb_env.hpp"
#include "store/model.hpp"
#include "store/store.hpp"

namespace berth {

// A pool record as the store holds it (key: its name), read and checked as `pool set` checks a
// pool; a runtime error names a damaged one.
Pool read_pool_record(std::string_view key, std::string_view value);
// The excluded ports record: a JSON list of ports.
std::set<std::uint16_t> read_excluded_record(std::string_view value);

// The store's logic on one transaction: allocation, pins, names, slots and holes, extra pools,
// pool changes and leases. Internal to store/; the Store facade (store.hpp) runs it inside LMDB
// transactions. Pools and excluded ports are read once per transaction. Defined by concern:
// state.cpp (records and indexes), state_allocate.cpp (reserve, slots, pins),
// state_extra_pools.cpp, state_pool_change.cpp, state_leases.cpp.
class State {
  using json = nlohmann::json;

 public:
  explicit State(const Txn& txn);

  const std::map<std::string, Pool>& pools() const { return m_pools; }
  const std::set<std::uint16_t>& excluded() const { return m_excluded; }

  const Pool& pool(const std::string& name) const;

  std::optional<Reservation> load(const AppKey& key) const;

  // The owner of a held port, as the ports index holds it (an app key or a lease owner).
  std::optional<std::string> port_owner(std::uint16_t port) const;

  // "'model' app 1 (backend)" or "lease '56' (pool 'preview')", the owner of a held port, for
  // messages.
  std::string describe_owner(std::uint16_t port) const;

  std::uint32_t high(const std::string& pool) const;
  void set_high(const std::string& pool, std::uint32_t h);
  // For a batch: from now on a changed high-water mark is put once, by put_marks(), rather
  // than at every allocation. put_marks() must run before the transaction commits.
  void hold_marks() { m_hold_marks = true; }
  void put_marks();

  // Whether slot's ports for `roles` are free: not excluded, not held, and not among `taken`
  // (the request's own pins, not yet written).
  bool usable(const Pool& pool, const std::vector<std::size_t>& roles, std::uint32_t slot,
              const std::set<std::uint16_t>& taken = {}) const;

  // The lowest slot whose ports for `roles` are all free: first among the holes (free slots
  // below the high-water mark, lowest first), then upward from the mark. Cost grows with the
  // number of blocked holes (pins, excluded ports), never with the number of reservations.
  std::uint32_t allocate_slot(const Pool& pool, const std::vector<std::size_t>& roles,
                              const std::set<std::uint16_t>& taken);

  // Marks a free slot as taken, keeping the holes below the high-water mark.
  void take_slot(const std::string& pool, std::uint32_t s);

  void free_slot(const std::string& pool, std::uint32_t s);

  // The extra pools the request names that the reservation does not hold a port of yet.
  static std::vector<std::string> missing_extra(const Reservation& r, const ReserveRequest& req);

  // Throws unless an existing reservation answers the request as it stands (a pin of a port the
  // reservation lacks may be for an extra pool it is about to gain: reserve() checks those).
  static void check_compatible(const Reservation& r, const ReserveRequest& req);

  // Throws unless `port` may be pinned as `name` for `key`: not excluded, not pinned twice (it
  // joins `seen`), not held.
  void check_pin(std::uint16_t port, const std::string& name, const AppKey& key,
                 std::set<std::uint16_t>& seen) const;

  // An extra pool by name; the nodeport pool is created (node=30000-32099) on first use.
  const Pool& extra_pool(const std::string& name);

  // The port of each extra pool of `req` that `r` lacks, without writing anything: the pinned
  // one (by the pool's range name; it must lie in the range), else the lowest free one. Ports
  // in `taken` are stepped over, and the chosen ones added to it.
  std::vector<std::pair<std::string, NamedPort>> choose_extra(const Reservation& r,
                                                              const ReserveRequest& req,
                                                              std::set<std::uint16_t>& taken);

  // Reserves the request's app in this transaction: an existing reservation is returned as it
  // is (or gains the extra pools' ports it lacks); else pins, the project name and extra ports
  // are checked before the first write, then the lowest free slot is taken.
  ReserveResult reserve(const ReserveRequest& req);

  // reserve()'s steps.
  struct Pins {
    std::vector<std::uint16_t> ports;  // by role; 0 where not pinned
    std::vector<bool> pinned;
    std::set<std::uint16_t> seen;  // every pinned port
  };
  // Throws a conflict, naming the owner and where it uses the app, when another project owns
  // `r` (an app with no owner, or a request without one, passes).
  void check_owner(const Reservation& r, const ReserveRequest& req) const;
  // Throws unless the request names each extra pool once and every extra port name differs
  // from `own` (the app's port names) and from each other.
  void check_extra_names(const Reservation& r, const std::vector<std::string>& own,
                         const ReserveRequest& req);
  Reservation gain_extra(Reservation existing, const ReserveRequest& req);
  const Pool& own_pool(const ReserveRequest& req) const;
  Pins check_pins(const Pool& pool, const ReserveRequest& req);
  // The request's own project name, checked (valid, not held); empty when it gives none.
  std::string requested_project(const ReserveRequest& req) const;
  // The first free name derived from the app's key (project_candidate), held for it at once:
  // the lookup that finds it free is the write that takes it. Never fails: the last write.
  std::string claim_project_name(const AppKey& key);
  // The slot and ports of the roles not pinned (or the slot all pins land on exactly).
  void place(Reservation& r, const Pool& pool, Pins& pins, const ReserveRequest& req);

  // The slot whose ports are exactly `ports`, when it is not held.
  std::optional<std::uint32_t> landing_slot(const Pool& pool,
                                            const std::vector<std::uint16_t>& ports) const;

  // Puts the record and its indexes (the project name's too, unless `with_name` is false:
  // claim_project_name put it).
  void write(const Reservation& r, bool with_name = true);

  Reservation release(const AppKey& key);

  // When the app was reserved and where it is used (uses.cpp records them).
  AppUses load_uses(const AppKey& key) const;

  // The clock for created and seen times: $BERTH_NOW in tests, read once per transaction.
  std::int64_t now();

  // Reservations in key order, those the filter matches.
  std::vector<Reservation> list(const AppFilter& filter) const;
  // The same, handed to `fn` one at a time as they are read.
  void each(const AppFilter& filter, const std::function<void(Reservation&&)>& fn) const;
  // The keys of the reservations `filter` names by namespace and model (not by owner: that is in
  // the records), without reading the records.
  std::vector<AppKey> keys(const AppFilter& filter) const;

  void put_pool(const Pool& pool);

  void put_excluded(const std::set<std::uint16_t>& ports);

  // Throws unless `pool` can replace the pool of that name (or be added).
  void check_pool_change(const Pool& pool, bool allow_ephemeral) const;

  // ---- Leases -----------------------------------------------------------------------------

  std::optional<Lease> load_lease(const std::string& id) const;

  // Every lease (of `pool`, if given), by id.
  std::vector<Lease> leases(const std::optional<std::string>& pool) const;

  const Pool& lease_pool(const std::string& name) const;

  std::vector<std::string> lease_pool_names() const;

  void put_lease(const Lease& l);

  void drop_lease(const Lease& l);

  // The lowest port of a lease pool that nothing holds and that is not excluded.
  std::optional<std::uint16_t> free_lease_port(const Pool& pool,
                                               const std::set<std::uint16_t>& avoid = {}) const;

  // The leases (of `pool`, if given) that may be reclaimed at `now`, oldest activity first.
  std::vector<Lease> reclaimable(const std::optional<std::string>& pool, std::int64_t now) const;

  // Frees the leases (of `pool`, if given) that may be reclaimed at `now`, oldest activity
  // first; returns them.
  std::vector<Lease> expire(const std::optional<std::string>& pool, std::int64_t now);

  // The id's lease, renewed (the same port while it lives), or a new one on the lowest free
  // port of the pool; when the pool is full, reclaimable leases of the pool are freed first
  // (listed in `reclaimed`).
  Lease acquire(const std::string& id, const std::string& pool_name,
                std::optional<std::int64_t> ttl, std::optional<std::int64_t> owner_pid,
                std::int64_t now, std::vector<Lease>& reclaimed,
                const std::set<std::uint16_t>& avoid = {});

  static constexpr std::int64_t k_default_lease_ttl = 15 * 60;

 private:
  // A pool's holes (ascending) and high-water mark as this transaction has them, read once: a
  // batch allocates thousands of slots in one transaction, and every allocation meets the same
  // blocked holes. Every change to them goes through this State, to the store and here alike.
  struct SlotCache {
    std::optional<std::vector<std::uint32_t>> holes;
    std::optional<std::uint32_t> high;
    bool high_changed = false;  // held by hold_marks(), not put yet
  };
  std::vector<std::uint32_t>& holes(const std::string& pool);
  void add_hole(const std::string& pool, std::uint32_t s);
  bool drop_hole(const std::string& pool, std::uint32_t s);

  Txn& m_txn;
  std::map<std::string, Pool> m_pools;
  std::set<std::uint16_t> m_excluded;
  std::optional<std::int64_t> m_now;
  mutable std::map<std::string, SlotCache> m_slot_cache;
  bool m_hold_marks = false;
};

}  // namespace berth
