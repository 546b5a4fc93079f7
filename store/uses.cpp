#include <algorithm>

#include "store/keys.hpp"
#include "store/lmdb_env.hpp"
#include "store/names.hpp"
#include "store/state.hpp"
#include "store/store.hpp"

// Where each reservation is used (Store::record_uses, uses, all_uses) and Store::prune.
namespace berth {

using namespace keys;

void Store::each_app(const AppFilter& filter,
                     const std::function<void(const Reservation&, const AppUses&)>& fn) const {
  m_env->read([&](const Txn& t) {
    const State state(t);
    state.each(filter, [&](Reservation&& r) { fn(r, state.load_uses(r.key)); });
    return 0;
  });
}

namespace {

// A use last seen this long ago is recorded again; one seen more recently is left as it is, so
// that re-running a build stays read-only.
constexpr std::int64_t k_refresh_seconds = 24 * 60 * 60;

bool same_uses(const AppUses& a, const AppUses& b) {
  if (a.created != b.created || a.uses.size() != b.uses.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.uses.size(); ++i) {
    const Use& x = a.uses[i];
    const Use& y = b.uses[i];
    if (x.kind != y.kind || x.path != y.path || x.seen != y.seen) {
      return false;
    }
  }
  return true;
}

}  // namespace

AppUses Store::uses(const AppKey& key) const {
  return m_env->read([&](const Txn& t) { return State(t).load_uses(key); });
}

std::map<AppKey, AppUses> Store::all_uses(const AppFilter& filter) const {
  return m_env->read([&](const Txn& t) {
    const State state(t);
    std::map<AppKey, AppUses> out;
    if (filter.owner) {  // the owner is in the records
      for (const auto& r : state.list(filter)) {
        out[r.key] = state.load_uses(r.key);
      }
      return out;
    }
    for (auto& key : state.keys(filter)) {
      auto uses = state.load_uses(key);
      out.emplace_hint(out.end(), std::move(key), std::move(uses));  // keys come in order
    }
    return out;
  });
}

namespace {

// Whether a use of a reserved app is missing or a day old (and so worth a write).
bool use_needed(const Txn& t, const AppKey& key, const Use& use, std::int64_t now) {
  if (!t.has(Db::apps, app_key(key))) {
    return false;  // released meanwhile: nothing to record
  }
  const auto v = t.get(Db::uses, use_key(key, use.kind, use.path));
  return !v ||
         decode_time("seen", *v, "store use record of " + describe(key)) + k_refresh_seconds <= now;
}

}  // namespace

ReserveResult Store::reserve_in_use(const ReserveRequest& request, const Use& use) {
  validate_key(request.key);
  const std::int64_t t_now = now();
  return m_env->write([&](Txn& t) {
    ReserveResult result = State(t).reserve(request);
    if (use_needed(t, request.key, use, t_now)) {
      t.put(Db::uses, use_key(request.key, use.kind, use.path), encode_time("seen", t_now));
    }
    return result;
  });
}

std::size_t Store::record_uses(const std::vector<std::pair<AppKey, Use>>& uses) {
  if (uses.empty()) {
    return 0;
  }
  const std::int64_t t_now = now();
  // Which uses are missing or stale, in a read-only transaction: usually none.
  const auto needed = [&](const Txn& t) {
    std::vector<std::pair<AppKey, Use>> out;
    for (const auto& [key, use] : uses) {
      if (use_needed(t, key, use, t_now)) {
        out.emplace_back(key, use);
      }
    }
    return out;
  };
  if (m_env->read(needed).empty()) {
    return 0;
  }
  if (m_env->read_only()) {
    const std::filesystem::path dir = m_env->dir();
    const std::size_t size = m_env->map_size();
    m_env.reset();
    m_env = std::make_unique<Env>(dir, size, false);
  }
  return m_env->write([&](Txn& t) {
    const auto missing = needed(t);
    for (const auto& [key, use] : missing) {
      t.put(Db::uses, use_key(key, use.kind, use.path), encode_time("seen", t_now));
    }
    return missing.size();
  });
}

PruneResult Store::prune(const std::map<AppKey, AppUses>& apps, bool leases, bool dry_run,
                         const std::function<bool(const AppUses&)>& still_unused) {
  const std::int64_t t_now = now();
  // The same choice whether or not it is carried out; a dry run only reads.
  const auto choose = [&](const State& state, PruneResult& out) {
    std::vector<Reservation> chosen;
    for (const auto& [key, seen] : apps) {
      auto r = state.load(key);
      if (!r) {
        continue;  // released meanwhile
      }
      // Recorded anew since the caller looked (a scaffold or a configure ran), or its folder is
      // back: kept.
      if (!same_uses(state.load_uses(key), seen) || !still_unused(seen)) {
        out.kept.push_back(key);
        continue;
      }
      chosen.push_back(std::move(*r));
    }
    return chosen;
  };
  if (dry_run) {
    return m_env->read([&](const Txn& t) {
      const State state(t);
      PruneResult out;
      out.released = choose(state, out);
      if (leases) {
        out.leases = state.reclaimable(std::nullopt, t_now);
      }
      return out;
    });
  }
  return m_env->write([&](Txn& t) {
    State state(t);
    PruneResult out;
    for (const auto& r : choose(state, out)) {
      out.released.push_back(state.release(r.key));
    }
    if (leases) {
      out.leases = state.expire(std::nullopt, t_now);
    }
    return out;
  });
}

}  // namespace berth
