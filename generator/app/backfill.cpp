#include "generator/app/backfill.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "generator/app/app_ports.hpp"
#include "generator/app/manifest.hpp"
#include "generator/io/fileio.hpp"
#include "generator/template/template.hpp"
#include "store/error.hpp"

namespace berth {

namespace fs = std::filesystem;

namespace {

// "app7" -> 7; nullopt for anything else ("app0", "app07", "appX").
std::optional<std::uint32_t> app_number(const std::string& name) {
  const std::string digits = name.substr(3);
  if (digits.empty() || digits.size() > 7 || digits[0] == '0' ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const unsigned long n = std::stoul(digits);
  if (n < 1 || n > k_max_app) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(n);
}

std::vector<fs::path> sorted_folders(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The parts an app has: the root files, and each part whose folder (the literal start of one
// of its globs, such as `frontend` in `frontend/**`) is there.
std::vector<std::string> detect_parts(const Template& tmpl, const fs::path& dir) {
  std::vector<std::string> parts = {"root"};
  std::error_code ec;
  for (const auto& [part, globs] : tmpl.parts) {
    const bool present = std::any_of(globs.begin(), globs.end(), [&](const std::string& g) {
      // The folders before the first component with a wildcard: `backend` of `backend/**`.
      fs::path prefix;
      std::stringstream ss(g);
      for (std::string part; std::getline(ss, part, '/');) {
        if (part.find_first_of("*?") != std::string::npos) {
          break;
        }
        prefix /= part;
      }
      return prefix.empty() || fs::exists(dir / prefix, ec);
    });
    if (present) {
      parts.push_back(part);
    }
  }
  return parts;
}

// Whether the reservation gives the app other ports than its files name.
bool ports_moved(const BackfillApp& app, const Reservation& r) {
  return std::any_of(app.found_ports.begin(), app.found_ports.end(), [&](const auto& found) {
    const auto now = r.port(found.first);
    return now && *now != found.second;
  });
}

// Renders, holds back files whose needs are unmet, and plans one app against a reservation. An
// app whose ports move has every file berth writes replaced, its earlier content kept as
// <name>.berth-orig, as with --force: its .env and compose file never name the old ports while
// the files berth adds name the new ones.
ScaffoldPlan plan_one(const Template& tmpl, const BackfillApp& app, const Reservation& r,
                      const BackfillOptions& o) {
  std::vector<OutputFile> files =
      render_template(tmpl, make_context(r, tmpl, {}), {}, true, app.parts);
  const auto held = hold_back_unmet(tmpl, app.dir, files);
  ScaffoldPlan plan = plan_app(app.dir, files, tmpl.name, o.force, o.force || ports_moved(app, r));
  claim_folder(plan, app.key, o.force);
  plan.parts = app.parts;
  plan.report.kept.insert(plan.report.kept.end(), held.begin(), held.end());
  return plan;
}

// Folds a store error's "batch entry N: ..." lines into "<model folder>/app<N>: ...".
std::vector<std::string> relabel(const Error& e, const std::vector<BackfillApp>& apps,
                                 const std::vector<std::size_t>& order) {
  std::vector<std::string> lines =
      e.details().empty() ? std::vector<std::string>{e.what()} : e.details();
  const std::string tag = "batch entry ";
  for (auto& line : lines) {
    const std::size_t colon = line.find(": ");
    if (line.rfind(tag, 0) == 0 && colon != std::string::npos) {
      const std::size_t n = std::stoul(line.substr(tag.size()));
      if (n >= 1 && n <= order.size()) {
        line = apps[order[n - 1]].folder + line.substr(colon);
      }
    }
  }
  return lines;
}

// Each port the app's files named that its reservation changes (ports not kept).
void note_changes(BackfillApp& app) {
  if (app.ports_kept) {
    return;
  }
  for (const auto& [name, port] : app.found_ports) {
    const auto now = app.result.reservation.port(name);
    if (now && *now != port) {
      app.port_notes.push_back(name + " " + std::to_string(port) + " -> " + std::to_string(*now));
    }
  }
}

// One backfill run, in the order of its steps: scan, requests, preview, plan, then (unless a
// dry run) reserve, write each folder, record the uses.
class Backfill {
 public:
  using OnApp = std::function<void(const BackfillApp&, std::size_t, std::size_t)>;

  Backfill(Store& store, const fs::path& root, const BackfillOptions& o, const OnApp& on_app)
      : m_store(store),
        m_root(root),
        m_o(o),
        m_on_app(on_app),
        m_tmpl(load_template(o.template_name, template_search_path())) {}

  BackfillResult run() {
    check_model_map();
    scan();
    make_requests();
    // Even when the scan found problems, the apps it did find are previewed and planned, so
    // that every problem is reported at once.
    preview();
    plan_all();
    if (!m_problems.empty()) {
      // One code for the run: the store's refusal when there is one (a conflict: 3, a full
      // pool: 1), else a usage error.
      throw Error(m_store_refusal.value_or(ErrorKind::usage),
                  "backfill refused, nothing reserved or written: " +
                      std::to_string(m_problems.size()) + " problem(s)",
                  m_problems);
    }
    if (m_o.dry_run) {
      report_dry_run();
      return std::move(m_out);
    }
    reserve_all();
    write_folders();
    return std::move(m_out);
  }

 private:
  void check_model_map() {
    for (const auto& [folder, model] : m_o.model_map) {
      try {
        validate_model(model);
      } catch (const Error& e) {
        m_problems.push_back("--model-map: folder " + quote(folder) + ": " + e.what());
      }
    }
  }

  // The model a folder stands for, or nothing when --model leaves it out or it is no model.
  std::optional<std::string> model_of(const fs::path& model_dir) {
    const std::string name = model_dir.filename().string();
    const auto mapped = m_o.model_map.find(name);
    const std::string model = mapped != m_o.model_map.end() ? mapped->second : name;
    if (!m_o.models.empty() &&
        std::find(m_o.models.begin(), m_o.models.end(), model) == m_o.models.end()) {
      return std::nullopt;
    }
    try {
      validate_model(model);
    } catch (const Error& e) {
      m_problems.push_back(model_dir.string() + ": " + e.what() +
                           "; map the folder to a model name with --model-map");
      return std::nullopt;
    }
    m_models_seen.insert(model);
    return model;
  }

  // One app<N> folder of a model folder, added to the run unless it is refused or left out.
  void scan_app(const fs::path& app_dir, const std::string& model, const fs::path& real_root) {
    std::error_code ec;
    const std::string leaf = app_dir.filename().string();
    const auto n = app_number(leaf);
    if (!n) {
      m_problems.push_back(app_dir.string() + ": " + quote(leaf) +
                           " is not app<N> with N a number from 1 to 1000000 (no leading zeros)");
      return;
    }
    if (!m_o.apps.empty() && std::find(m_o.apps.begin(), m_o.apps.end(), *n) == m_o.apps.end()) {
      return;
    }
    m_apps_seen.insert(*n);
    if (!within(real_root, fs::canonical(app_dir, ec))) {
      m_problems.push_back(app_dir.string() + ": a symlink leading outside " +
                           quote(m_root.string()) + "; refusing it");
      return;
    }
    BackfillApp app;
    app.folder = app_dir.parent_path().filename().string() + "/" + leaf;
    app.dir = app_dir;
    app.key = {model, *n, m_o.ns};
    if (auto [it, added] = m_keys.emplace(app.key, app.folder); !added) {
      m_problems.push_back(app_dir.string() + ": " + describe(app.key) + " is also " +
                           quote(it->second) + "; map one folder to another model");
      return;
    }
    if (!m_o.force) {
      if (auto copy = copied_from(app)) {
        m_problems.push_back(app_dir.string() + ": " + *copy);
        return;
      }
    }
    m_out.apps.push_back(std::move(app));
  }

  // A folder that is another app's (its manifest names another app: a copy or a move), or a copy
  // of a folder of the same app that is still on the host (both would run on the same ports):
  // why, with the ways out; nothing when it is this app's own folder or new.
  std::optional<std::string> copied_from(const BackfillApp& app) const {
    std::optional<AppKey> recorded;
    try {
      recorded = read_manifest(app.dir / k_scaffold_manifest).app;
    } catch (const Error& e) {
      return std::string(e.what());
    }
    if (recorded && !(*recorded == app.key)) {
      return "its " + std::string(k_scaffold_manifest) + " says it is the folder of " +
             describe(*recorded) + " (a copy, or moved), not of " + describe(app.key) +
             " as its path says; map the folder to that model with --model-map, or give "
             "--force to make it " +
             describe(app.key) + "'s";
    }
    for (const auto& u : m_store.uses(app.key).uses) {
      std::error_code ec;
      if (u.kind == "app" && u.path != use_path(app.dir) &&
          fs::exists(fs::path(u.path) / k_scaffold_manifest, ec)) {
        return "a copy of " + quote(u.path) + ", the folder of " + describe(app.key) +
               ": both would run on its ports; remove one, or give --force to adopt this one too";
      }
    }
    return std::nullopt;
  }

  // ROOT/<model folder>/app<N>/, every problem collected.
  void scan() {
    std::error_code ec;
    if (!fs::is_directory(m_root, ec)) {
      throw usage_error(quote(m_root.string()) +
                        " is not a folder; give the folder that holds <model>/app<N>/ folders");
    }
    const fs::path real_root = fs::canonical(m_root);
    for (const auto& model_dir : sorted_folders(m_root)) {
      const std::string name = model_dir.filename().string();
      if (name.empty() || name[0] == '.') {
        continue;
      }
      const auto model = model_of(model_dir);
      for (const auto& app_dir : model ? sorted_folders(model_dir) : std::vector<fs::path>{}) {
        if (app_dir.filename().string().rfind("app", 0) == 0) {
          scan_app(app_dir, *model, real_root);
        }
      }
    }
    check_filters_matched();
  }

  void check_filters_matched() {
    for (const auto& m : m_o.models) {
      if (!m_models_seen.count(m)) {
        m_problems.push_back("--model " + quote(m) + " matches no folder under " +
                             quote(m_root.string()));
      }
    }
    for (const auto n : m_o.apps) {
      if (!m_apps_seen.count(n)) {
        m_problems.push_back("--app " + std::to_string(n) + " matches no app folder under " +
                             quote(m_root.string()));
      }
    }
    if (m_out.apps.empty() && m_problems.empty()) {
      throw usage_error("no app folders (<model>/app<N>/) under " + quote(m_root.string()));
    }
  }

  // The port names of the pool the apps are reserved in.
  std::vector<std::string> port_names() const {
    const std::string pool_name = m_o.pool.empty() ? k_default_pool : m_o.pool;
    std::vector<std::string> names;
    for (const auto& pool : m_store.pools()) {
      if (pool.name == pool_name) {
        for (const auto& r : pool.ports) {
          names.push_back(r.name);
        }
      }
    }
    if (names.empty()) {
      throw usage_error("no pool " + quote(pool_name) + " in this store (see `berth pool`)");
    }
    return names;
  }

  // Every held port of the store, with who holds it.
  std::map<std::uint16_t, std::string> held_ports() const {
    std::map<std::uint16_t, std::string> held;
    for (const auto& r : m_store.list()) {
      for (const auto& p : r.ports) {
        held[p.port] = describe(r.key);
      }
    }
    for (const auto& l : m_store.leases(std::nullopt)) {
      held[l.port] = "lease " + quote(l.id);
    }
    return held;
  }

  // --keep-ports: whether every port the app's files name may be pinned (each one that may not
  // is noted); those kept are claimed for this app, first in sorted order.
  bool keep_ports(BackfillApp& app, const std::map<std::uint16_t, std::string>& held,
                  const std::set<std::uint16_t>& excluded) {
    bool ok = true;
    for (const auto& [name, port] : app.found_ports) {
      std::string why;
      if (excluded.count(port)) {
        why = "is excluded in this store";
      } else if (auto h = held.find(port); h != held.end() && h->second != describe(app.key)) {
        why = "is held by " + h->second;
      } else if (auto c = m_claimed.find(port); c != m_claimed.end()) {
        why = "is kept by " + c->second + " (first in sorted order)";
      }
      if (!why.empty()) {
        app.port_notes.push_back(name + " " + std::to_string(port) + " (" + app.ports_from + ") " +
                                 why);
        ok = false;
      }
    }
    if (ok) {
      for (const auto& [name, port] : app.found_ports) {
        m_claimed[port] = app.folder;
      }
    }
    return ok;
  }

  // Each app's parts and the ports its files name, and its request; apps keeping their ports
  // come first, so that no allocation takes them.
  void make_requests() {
    const std::vector<std::string> names = port_names();
    const auto held = held_ports();
    const auto excluded = m_store.excluded();
    std::vector<BatchOp> ops;
    std::vector<std::size_t> unpinned;
    for (std::size_t i = 0; i < m_out.apps.size(); ++i) {
      BackfillApp& app = m_out.apps[i];
      app.parts = parts_of(app);
      app.found_ports = find_app_ports(app.dir, names, app.ports_from);
      BatchOp op;
      op.request.key = app.key;
      op.request.pool = m_o.pool;
      op.request.avoid = m_o.avoid;
      const bool reserved = m_store.get(app.key).has_value();
      if (m_o.keep_ports && !reserved && !app.found_ports.empty() &&
          keep_ports(app, held, excluded)) {
        op.request.pins = app.found_ports;
        app.ports_kept = true;
      }
      ops.push_back(op);
      (app.ports_kept ? m_order : unpinned).push_back(i);
    }
    m_order.insert(m_order.end(), unpinned.begin(), unpinned.end());
    for (const auto i : m_order) {
      m_ops.push_back(ops[i]);
    }
  }

  // --parts, else the parts recorded by an earlier run, else the folders the app has.
  std::vector<std::string> parts_of(const BackfillApp& app) const {
    if (m_o.parts) {
      return *m_o.parts;
    }
    if (auto recorded = recorded_parts(app.dir)) {
      return *recorded;
    }
    return detect_parts(m_tmpl, app.dir);
  }

  void preview() {
    try {
      const auto previewed = m_store.preview(m_ops);
      m_results.resize(m_out.apps.size());
      for (std::size_t k = 0; k < m_order.size(); ++k) {
        m_results[m_order[k]] = previewed[k];
      }
    } catch (const Error& e) {
      const auto lines = relabel(e, m_out.apps, m_order);
      m_problems.insert(m_problems.end(), lines.begin(), lines.end());
      m_store_refusal = e.kind();
    }
  }

  // Every app planned against what its reservation will be: a problem anywhere (a symlink out
  // of an app folder, a file in the way of a folder, a template error) stops the run before
  // anything is reserved or written.
  void plan_all() {
    if (m_results.size() != m_out.apps.size()) {
      return;
    }
    m_plans.resize(m_out.apps.size());
    for (std::size_t i = 0; i < m_out.apps.size(); ++i) {
      try {
        m_plans[i] = plan_one(m_tmpl, m_out.apps[i], m_results[i].reservation, m_o);
      } catch (const Error& e) {
        m_problems.push_back(m_out.apps[i].dir.string() + ": " + e.what());
      }
    }
  }

  void report_dry_run() {
    for (std::size_t i = 0; i < m_out.apps.size(); ++i) {
      m_out.apps[i].result = m_results[i];
      m_out.apps[i].report = m_plans[i].report;
      note_changes(m_out.apps[i]);
      if (m_on_app) {
        m_on_app(m_out.apps[i], i + 1, m_out.apps.size());
      }
    }
  }

  // One transaction for every reservation.
  void reserve_all() {
    try {
      const auto applied = m_store.apply(m_ops);
      for (std::size_t k = 0; k < m_order.size(); ++k) {
        m_out.apps[m_order[k]].result = applied[k];
      }
    } catch (const Error& e) {
      throw Error(e.kind(),
                  "backfill refused, nothing reserved or written: " + std::string(e.what()),
                  relabel(e, m_out.apps, m_order));
    }
  }

  // One app folder, planned again and written under its lock (a worker thread; no store).
  void write_folder(BackfillApp& app) {
    try {
      FolderLock lock(app.dir);
      ScaffoldPlan plan = plan_one(m_tmpl, app, app.result.reservation, m_o);
      app.report = plan.report;
      apply_plan(std::move(plan));
    } catch (const std::exception& e) {
      const std::lock_guard<std::mutex> guard(m_report_mutex);
      m_failures.push_back(app.dir.string() + ": " + e.what());
    }
    note_changes(app);
    const std::lock_guard<std::mutex> guard(m_report_mutex);
    ++m_done;
    if (m_on_app) {
      m_on_app(app, m_done, m_out.apps.size());
    }
  }

  // Each folder under its lock (--jobs threads), then every folder recorded as a use.
  void write_folders() {
    std::atomic<std::size_t> next{0};
    const auto worker = [&]() {
      for (std::size_t i = next++; i < m_out.apps.size(); i = next++) {
        write_folder(m_out.apps[i]);
      }
    };
    const unsigned jobs = std::max(1u, std::min<unsigned>(m_o.jobs, m_out.apps.size()));
    std::vector<std::thread> threads;
    for (unsigned j = 1; j < jobs; ++j) {
      threads.emplace_back(worker);
    }
    worker();
    for (auto& t : threads) {
      t.join();
    }
    std::vector<std::pair<AppKey, Use>> uses;
    for (const auto& app : m_out.apps) {
      uses.push_back({app.result.reservation.key, {"app", use_path(app.dir), 0}});
    }
    m_store.record_uses(uses);
    if (!m_failures.empty()) {
      std::sort(m_failures.begin(), m_failures.end());
      throw Error(ErrorKind::runtime,
                  std::to_string(m_failures.size()) +
                      " app folder(s) could not be written (their reservations are made; run "
                      "backfill again once fixed)",
                  m_failures);
    }
  }

  Store& m_store;
  const fs::path& m_root;
  const BackfillOptions& m_o;
  const OnApp& m_on_app;
  const Template m_tmpl;
  BackfillResult m_out;
  std::vector<std::string> m_problems;
  std::optional<ErrorKind> m_store_refusal;  // the kind of the store's refusal of the batch
  std::set<std::string> m_models_seen;
  std::set<std::uint32_t> m_apps_seen;
  std::map<AppKey, std::string> m_keys;
  std::map<std::uint16_t, std::string> m_claimed;  // ports kept by an app of this run
  std::vector<std::size_t> m_order;                // apps in request order (kept ports first)
  std::vector<BatchOp> m_ops;                      // their requests, in that order
  std::vector<ReserveResult> m_results;            // previewed, in app order
  std::vector<ScaffoldPlan> m_plans;
  std::mutex m_report_mutex;
  std::size_t m_done = 0;
  std::vector<std::string> m_failures;
};

}  // namespace

BackfillResult backfill(Store& store, const fs::path& root, const BackfillOptions& o,
                        const Backfill::OnApp& on_app) {
  return Backfill(store, root, o, on_app).run();
}

}  // namespace berth
