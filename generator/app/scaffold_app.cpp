#include "generator/app/scaffold_app.hpp"

#include <set>

#include "generator/io/fileio.hpp"
#include "store/error.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Throws unless the app folder is named and lies outside its overlay (or the reverse, which would
// copy itself deeper each run).
void check_out(const ScaffoldArgs& a) {
  if (a.out.empty()) {
    throw usage_error("--out is empty; give the app folder");
  }
  if (a.overlay.empty()) {
    return;
  }
  std::error_code ec;
  const auto out = fs::weakly_canonical(fs::absolute(a.out), ec);
  const auto lay = fs::weakly_canonical(fs::absolute(a.overlay), ec);
  if (within(out, lay) || within(lay, out)) {
    throw usage_error("--out " + quote(a.out) + " and --overlay " + quote(a.overlay) +
                      " overlap; the app folder must lie outside its overlay");
  }
}

// The build step: the reservation must be the one configure made (slot aside).
ReserveResult expected_reservation(const Store& store, const ScaffoldArgs& a) {
  const auto held = store.get(a.request.key);
  json now = held ? to_json(*held) : json::object();
  now.erase("slot");
  json want = *a.expected;
  if (want.is_object()) {
    want.erase("slot");
  }
  if (!held || now != want) {
    throw usage_error(
        describe(a.request.key) +
        (held ? " is no longer reserved as configure left it" : " is no longer reserved") +
        " in the store " + quote(store.dir().string()) +
        " (see `berth list`); configure again to reserve it");
  }
  ReserveResult planned;
  planned.reservation = *held;
  return planned;
}

// Creates the app folder; returns the highest folder this made (empty: it existed).
fs::path create_folder(const fs::path& root) {
  std::error_code ec;
  fs::path created;
  for (auto p = root; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    created = p;
  }
  fs::create_directories(root, ec);
  if (ec) {
    throw runtime_error("cannot create " + quote(root.string()) + ": " + ec.message());
  }
  return created;
}

// Removes the folders a failed run created under `root`, if nothing landed in them.
void remove_created(const fs::path& root, const fs::path& created) {
  std::error_code ec;
  for (auto p = root; !created.empty() && within(created, p); p = p.parent_path()) {
    if (!fs::is_empty(p, ec) || !fs::remove(p, ec)) {
      break;
    }
  }
}

// A variable's value: the one given, else the template's default.
std::string value_of(const Template& tmpl, const std::map<std::string, std::string>& given,
                     const std::string& key) {
  if (const auto it = given.find(key); it != given.end()) {
    return it->second;
  }
  const auto var = tmpl.variables.find(key);
  return var != tmpl.variables.end() ? var->second.default_value.value_or("") : "";
}

// A variable whose value changed since the folder was scaffolded, used by a starter file that
// is already there (and so never rewritten): said, per file, with the way to get the new value.
// Only when the folder recorded its variables (a folder from before that records none).
void report_stale_starters(const Template& tmpl, const std::map<std::string, std::string>& was,
                           const std::map<std::string, std::string>& now, ScaffoldPlan& plan) {
  std::set<std::string> changed;
  for (const auto* given : {&was, &now}) {
    for (const auto& [key, value] : *given) {
      if (value_of(tmpl, was, key) != value_of(tmpl, now, key)) {
        changed.insert(key);
      }
    }
  }
  if (was.empty() || changed.empty() || plan.report.started.empty()) {
    return;
  }
  const std::set<std::string> started(plan.report.started.begin(), plan.report.started.end());
  for (const auto& [key, use] : scan_placeholders(tmpl.files).variables) {
    if (!changed.count(key)) {
      continue;
    }
    const std::string before = value_of(tmpl, was, key), after = value_of(tmpl, now, key);
    for (const auto& path : use.files) {
      if (started.count(path)) {
        plan.report.kept.emplace_back(
            path, "a starter that uses variable " + quote(key) + ", which changed (" +
                      quote(before) + " -> " + quote(after) +
                      "); berth never rewrites a starter once it is there: delete it and "
                      "scaffold again to get it with the new value");
      }
    }
  }
}

}  // namespace

ScaffoldOutcome scaffold_app(Store& store, const Template& tmpl,
                             const std::vector<OutputFile>& overlay, const ScaffoldArgs& a) {
  check_out(a);
  // Render and plan against what the reservation would be, before reserving: a template or
  // folder error leaves the store as it was. If another process changed the answer meanwhile,
  // render and plan again. An app adopted by `berth backfill` keeps the parts it was given (a
  // backend-only app gets no frontend).
  const auto parts = recorded_parts(a.out);
  const auto plan_for = [&](const Reservation& r) {
    auto files = render_template(tmpl, make_context(r, tmpl, a.sets), overlay, true, parts);
    const auto held = hold_back_unmet(tmpl, a.out, files);
    ScaffoldPlan plan = plan_app(a.out, files, tmpl.name, a.force);
    claim_folder(plan, a.request.key, a.force);
    report_stale_starters(tmpl, plan.vars, a.sets, plan);
    plan.vars = a.sets;  // remembered for the next `berth scaffold` of this app
    plan.report.kept.insert(plan.report.kept.end(), held.begin(), held.end());
    return plan;
  };
  const ReserveResult planned =
      a.expected ? expected_reservation(store, a) : store.preview(a.request);
  ScaffoldPlan plan = plan_for(planned.reservation);
  if (a.dry_run) {
    return {planned, plan.report};
  }
  // One writer per app folder at a time: the folder is created (and removed again if this run
  // fails and leaves it empty), locked, and planned again under the lock.
  const fs::path root = plan.root;
  const fs::path created = create_folder(root);
  ReserveResult result = planned;
  bool reserved_here = false;
  try {
    FolderLock lock(root);
    plan = plan_for(planned.reservation);
    if (!a.expected) {
      // The reservation and this folder's use in one write transaction, taken while the folder
      // exists and is locked: a prune that would release the app sees the folder and keeps it.
      result = store.reserve_in_use(a.request, {"app", use_path(a.out), 0});
      reserved_here = result.created;
    }
    if (to_json(result.reservation) != to_json(planned.reservation)) {
      plan = plan_for(result.reservation);
    }
    const ScaffoldReport report = plan.report;
    apply_plan(std::move(plan), a.touch);
    return {result, report};
  } catch (...) {
    // Undo: a reservation this run made is released again (nothing else held it yet), and the
    // folders this run created are removed, if nothing landed in them.
    if (reserved_here) {
      try {
        store.release(a.request.key);
      } catch (const Error&) {
      }
    }
    remove_created(root, created);
    throw;
  }
}

}  // namespace berth
