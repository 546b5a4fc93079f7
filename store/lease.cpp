#include "store/store.hpp"

#include "store/keys.hpp"
#include "store/lmdb_env.hpp"
#include "store/names.hpp"
#include "store/state.hpp"

// The Store's lease verbs: each one transaction, measured against Store::now() read once.
namespace berth {

using namespace keys;

Lease Store::acquire_lease(const std::string& id, const std::string& pool,
                           std::optional<std::int64_t> ttl, std::optional<std::int64_t> owner_pid,
                           std::vector<Lease>* reclaimed, const std::set<std::uint16_t>& avoid) {
  const std::int64_t t_now = now();  // read once per transaction
  std::vector<Lease> gone;
  const Lease l = m_env->write([&](Txn& t) {
    gone.clear();
    return State(t).acquire(id, pool, ttl, owner_pid, t_now, gone, avoid);
  });
  if (reclaimed) {
    *reclaimed = gone;
  }
  return l;
}

Lease Store::renew_lease(const std::string& id, std::optional<std::int64_t> ttl) {
  validate_lease_id(id);
  const std::int64_t t_now = now();
  return m_env->write([&](Txn& t) {
    State state(t);
    auto l = state.load_lease(id);
    if (!l) {
      throw usage_error("no lease " + quote(id) + "; see `berth lease list`");
    }
    l->last_active = t_now;
    l->ttl = ttl.value_or(l->ttl);
    state.put_lease(*l);
    return *l;
  });
}

Lease Store::release_lease(const std::string& id) {
  validate_lease_id(id);
  return m_env->write([&](Txn& t) {
    State state(t);
    auto l = state.load_lease(id);
    if (!l) {
      throw usage_error("no lease " + quote(id) + "; see `berth lease list`");
    }
    state.drop_lease(*l);
    return *l;
  });
}

std::vector<Lease> Store::expire_leases(const std::optional<std::string>& pool, bool dry_run) {
  const std::int64_t t_now = now();
  const auto fn = [&](Txn& t) {
    State state(t);
    if (pool) {
      state.lease_pool(*pool);
    }
    return state.expire(pool, t_now);
  };
  return dry_run ? m_env->write_dry(fn) : m_env->write(fn);
}

std::vector<Lease> Store::leases(const std::optional<std::string>& pool) const {
  return m_env->read([&](const Txn& t) {
    State state(t);
    if (pool) {
      state.lease_pool(*pool);
    }
    return state.leases(pool);
  });
}

}  // namespace berth
