#include "generator/configure/plan.hpp"

#include <algorithm>

#include "generator/configure/steps.hpp"
#include "generator/io/fileio.hpp"
#include "store/error.hpp"

namespace berth {

namespace fs = std::filesystem;

namespace configure {
namespace {

// The lock file's entries, when there is one; a locked configure needs it.
std::map<AppKey, LockEntry> read_lock_option(const PlanOptions& options) {
  if (!options.lock) {
    return {};
  }
  std::error_code ec;
  if (fs::exists(*options.lock, ec)) {
    check_writable(*options.lock, "lock file");
    return read_lock(*options.lock);
  }
  if (options.locked) {
    throw usage_error("lock file " + quote(options.lock->string()) +
                      " does not exist, and a locked configure allocates nothing; configure "
                      "once unlocked to create it");
  }
  return {};
}

// Extra ports the template's variants ask for (a NodePort), beside the lock's.
void add_variant_extras(const std::vector<PlanEntry>& entries, const Sources& sources,
                        std::vector<BatchOp>& ops) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    for (const auto& pool : extra_pools(*sources.templates[i], entries[i].vars)) {
      auto& extra = ops[i].request.extra;
      if (std::find(extra.begin(), extra.end(), pool) == extra.end()) {
        extra.push_back(pool);
      }
    }
  }
}

// Problems grouped by declaration: those of "entry N (...)" in the order of N, the others first.
std::vector<std::string> in_entry_order(std::vector<std::string> problems) {
  const auto entry_of = [](const std::string& p) -> std::size_t {
    return p.rfind("entry ", 0) == 0 ? std::strtoul(p.c_str() + 6, nullptr, 10) : 0;
  };
  std::stable_sort(problems.begin(), problems.end(),
                   [&](const auto& a, const auto& b) { return entry_of(a) < entry_of(b); });
  return problems;
}

// One run of `berth plan`: the lock and sources, the batch previewed, then either the outputs
// of the last run reused or every app rendered, the batch committed and the outputs written.
class Plan {
 public:
  Plan(Store& store, const std::vector<PlanEntry>& entries, const PlanOptions& options)
      : m_store(store), m_entries(entries), m_options(options) {}

  PlanResult run() {
    prepare();
    std::vector<ReserveResult> planned = reserve_all(false);
    if (m_options.stamps_dir && m_options.reuse) {
      m_cache = *m_options.stamps_dir / "plan.fingerprint";
      m_print = fingerprint(m_entries, m_options, m_sources, planned);
      if (outputs_fresh()) {
        std::vector<ReserveResult> results = reserve_all(true);
        if (fingerprint(m_entries, m_options, m_sources, results) == m_print) {
          return reused(results);  // nothing changed since the last run: the outputs stand
        }
        planned = std::move(results);  // another process changed the store: render it as it is
        m_print.clear();
      }
    }
    return commit_and_write(planned);
  }

 private:
  // The lock, the checks, the sources and --relock, every problem reported at once.
  void prepare() {
    std::vector<std::string> problems;
    m_lock = read_lock_option(m_options);
    m_ops = apply_lock(m_entries, m_lock, m_options, problems);
    check_entries(m_entries, m_options, problems);
    m_sources = load_sources(m_entries, problems);
    check_variables(m_entries, m_sources, problems);
    if (!problems.empty()) {
      add_store_problems(problems);
      refuse(in_entry_order(std::move(problems)));
    }
    add_variant_extras(m_entries, m_sources, m_ops);
    // --relock: a locked app whose locked port or name another owner holds here is allocated
    // afresh (its own PORTS still pinned); every other app keeps what the lock says.
    if (m_options.relock && !m_lock.empty()) {
      m_moved = relock_moves(m_store, m_entries, m_lock);
      for (const auto& [i, why] : m_moved) {
        m_ops[i].request.pins = m_entries[i].request.pins;
        m_ops[i].request.project = m_entries[i].request.project;
      }
    }
    // Apps that --relock moves are allocated last, so that no allocation takes a port another
    // app's lock entry pins.
    m_order.resize(m_entries.size());
    for (std::size_t i = 0; i < m_order.size(); ++i) {
      m_order[i] = i;
    }
    std::stable_partition(m_order.begin(), m_order.end(),
                          [&](std::size_t i) { return m_moved.count(i) == 0; });
  }

  // With problems found already, the batch is previewed too, so that the port, pool and lock
  // conflicts of every app show in the same run.
  void add_store_problems(std::vector<std::string>& problems) const {
    std::vector<std::size_t> order(m_entries.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      order[i] = i;
    }
    try {
      m_store.preview(m_ops);
    } catch (const Error& err) {
      for (auto& line : label(err, m_entries, m_lock, m_options, order)) {
        problems.push_back(std::move(line));
      }
    }
  }

  // The whole batch in one transaction, committed or not; a refusal names each app.
  std::vector<ReserveResult> reserve_all(bool commit) {
    std::vector<BatchOp> ordered;
    for (const auto i : m_order) {
      ordered.push_back(m_ops[i]);
    }
    try {
      const auto got = commit ? m_store.apply(ordered) : m_store.preview(ordered);
      std::vector<ReserveResult> results(got.size());
      for (std::size_t k = 0; k < got.size(); ++k) {
        results[m_order[k]] = got[k];
      }
      return results;
    } catch (const Error& err) {
      throw Error(err.kind(), "configure refused, nothing changed",
                  label(err, m_entries, m_lock, m_options, m_order));
    }
  }

  // Whether the last run's fingerprint matches and its outputs are all there.
  bool outputs_fresh() const {
    bool fresh = read_if_file(*m_cache) == m_print;
    for (const auto& out : {m_options.cmake_out, m_options.summary_out}) {
      fresh = fresh && (!out || fs::exists(*out));
    }
    if (fresh && m_options.stamps_dir) {
      for (const auto& stamp : stamp_files(m_entries, *m_options.stamps_dir)) {
        fresh = fresh && fs::exists(stamp);
      }
    }
    return fresh;
  }

  PlanResult reused(const std::vector<ReserveResult>& results) const {
    PlanResult out;
    out.relocked = relocked(m_entries, m_lock, m_moved, results);
    for (const auto& r : results) {
      out.reservations.push_back(r.reservation);
      out.created += r.created;
    }
    add_adopted(results, out);
    return out;
  }

  static void add_adopted(const std::vector<ReserveResult>& results, PlanResult& out) {
    for (const auto& r : results) {
      if (r.adopted) {
        out.adopted.push_back(r.reservation.key);
      }
    }
  }

  // Every app rendered against the preview, the batch committed (rendered again if another
  // process changed the store meanwhile), then the outputs written.
  PlanResult commit_and_write(const std::vector<ReserveResult>& planned) {
    const bool for_cmake = m_options.cmake_out.has_value();
    std::vector<std::string> problems;
    auto outputs = render_outputs(m_entries, m_sources, planned, for_cmake, problems);
    if (!problems.empty()) {
      refuse(problems);
    }
    const std::vector<ReserveResult> results = reserve_all(true);
    bool same = true;
    for (std::size_t i = 0; i < results.size() && same; ++i) {
      same = results[i].reservation == planned[i].reservation;
    }
    if (!same) {
      outputs = render_outputs(m_entries, m_sources, results, for_cmake, problems);  // raced
    }
    try {
      return write(results, outputs, same);
    } catch (const Error& err) {
      throw Error(err.kind(),
                  "the reservations were committed, but writing the results failed: " +
                      std::string(err.what()) + ". Fix it and run again: nothing is reserved twice",
                  err.details());
    }
  }

  PlanResult write(const std::vector<ReserveResult>& results,
                   const std::vector<std::vector<std::string>>& outputs, bool same) {
    if (m_cache) {
      std::error_code ec;
      fs::remove(*m_cache, ec);  // until the outputs are written
    }
    std::vector<DroppedApp> dropped = update_dropped(m_entries, m_options);  // before the summary
    PlanResult out = write_results(m_entries, m_options, results, m_sources, outputs);
    out.dropped = std::move(dropped);
    out.relocked = relocked(m_entries, m_lock, m_moved, results);
    add_adopted(results, out);
    if (m_cache) {
      // The preview's fingerprint stands unless the store changed between preview and commit.
      write_if_changed(*m_cache, same && !m_print.empty()
                                     ? m_print
                                     : fingerprint(m_entries, m_options, m_sources, results));
    }
    return out;
  }

  Store& m_store;
  const std::vector<PlanEntry>& m_entries;
  const PlanOptions& m_options;
  std::map<AppKey, LockEntry> m_lock;
  std::vector<BatchOp> m_ops;  // by entry
  Sources m_sources;
  std::map<std::size_t, std::string> m_moved;  // entry -> who held what (--relock)
  std::vector<std::size_t> m_order;            // entries in batch order
  std::optional<fs::path> m_cache;             // the fingerprint file
  std::string m_print;                         // the preview's fingerprint
};

}  // namespace
}  // namespace configure

PlanResult run_plan(Store& store, const std::vector<PlanEntry>& entries,
                    const PlanOptions& options) {
  return configure::Plan(store, entries, options).run();
}

}  // namespace berth
