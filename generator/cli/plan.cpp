#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

namespace {

struct Vars {
  std::string pl_file, pl_lock, pl_cmake, pl_summary, pl_stamps, pl_source_dir, pl_binary_dir;
  std::string pl_owner, pl_all_target, pl_taken_targets;
  bool pl_locked = false, pl_relock = false, pl_calls = false;
  int pl_table_limit = -1;
};

void add_options(CLI::App* plan, Vars& v) {
  plan->add_option("file", v.pl_file, "JSON list of apps")->required();
  plan->add_flag("--calls", v.pl_calls,
                 "FILE holds add_generated_app() calls as the CMake module records them, not "
                 "JSON (needs --binary-dir)");
  plan->add_option("--taken-targets", v.pl_taken_targets,
                   "FILE lists the project's targets, a line each: no app's target may be one")
      ->type_name("FILE");
  plan->add_option("--lock", v.pl_lock, "Lock file: pins its ports; rewritten with the plan's apps")
      ->type_name("FILE");
  plan->add_flag("--locked", v.pl_locked, "Every app must be in the lock file; allocate nothing");
  plan->add_flag("--relock", v.pl_relock,
                 "Re-allocate the locked apps whose ports another owner holds in this store, and "
                 "rewrite their lock entries");
  plan->add_option("--cmake", v.pl_cmake,
                   "Write the CMake code for every app's build command, target and properties "
                   "(needs --stamps)")
      ->type_name("FILE");
  plan->add_option("--summary", v.pl_summary, "Write the JSON summary to FILE")->type_name("FILE");
  plan->add_option("--source-dir", v.pl_source_dir,
                   "Name declaring files relative to DIR (default: the current folder)")
      ->type_name("DIR");
  plan->add_option("--binary-dir", v.pl_binary_dir,
                   "The CMake build folder, for the build commands' depfiles")
      ->type_name("DIR");
  plan->add_option("--table-limit", v.pl_table_limit,
                   "Print a summary line, and the table only up to N apps (the pools' fill "
                   "levels beyond)")
      ->type_name("N");
  plan->add_option("--owner", v.pl_owner,
                   "The project the apps belong to: an app another project owns is refused, one "
                   "with no owner is adopted")
      ->type_name("PROJECT");
  plan->add_option("--stamps", v.pl_stamps,
                   "Write DIR/<first target>.stamp per build command, only when it changes")
      ->type_name("DIR");
  plan->add_option("--all-target", v.pl_all_target,
                   "Build every app through this one target in `all`; each app's own target "
                   "scaffolds just its app and is not in `all` (for Makefile generators)")
      ->type_name("NAME");
}

PlanOptions options_of(const Vars& v, bool json) {
  if (v.pl_locked && v.pl_lock.empty()) {
    throw usage_error("--locked needs --lock FILE");
  }
  if (v.pl_relock && v.pl_locked) {
    throw usage_error(
        "--relock moves locked apps and --locked forbids any change to the lock "
        "(BERTH_RELOCK and BERTH_LOCKED): turn one of them off");
  }
  PlanOptions options;
  options.reuse = !json;  // --json prints the summary, which a reused run does not make
  if (!v.pl_binary_dir.empty()) {
    options.binary_dir = v.pl_binary_dir;
  }
  if (!v.pl_lock.empty()) {
    options.lock = v.pl_lock;
  }
  options.locked = v.pl_locked;
  options.relock = v.pl_relock;
  if (!v.pl_cmake.empty()) {
    options.cmake_out = v.pl_cmake;
  }
  if (!v.pl_summary.empty()) {
    options.summary_out = v.pl_summary;
  }
  if (!v.pl_stamps.empty()) {
    options.stamps_dir = v.pl_stamps;
  }
  options.all_target = v.pl_all_target;
  if (!v.pl_taken_targets.empty()) {
    std::istringstream lines(read_file(v.pl_taken_targets));
    for (std::string line; std::getline(lines, line);) {
      options.taken_targets.insert(line);
    }
  }
  return options;
}

// Where these apps are used: the build tree, and the lock file that pins them.
void record_plan_uses(Store& store, const PlanResult& result, const PlanOptions& options) {
  std::vector<std::pair<AppKey, Use>> uses;
  for (const auto& r : result.reservations) {
    if (options.binary_dir) {
      uses.push_back({r.key, {"build", use_path(*options.binary_dir), 0}});
    }
    if (options.lock && std::filesystem::exists(*options.lock)) {
      uses.push_back({r.key, {"lock", use_path(*options.lock), 0}});
    }
  }
  store.record_uses(uses);
}

// The configure summary: a line, then the table for a few apps, or each pool's fill level for
// many (a table of thousands of rows would bury CMake's own messages).
void print_configure_summary(const Store& store, const PlanResult& result, const Vars& v) {
  const std::size_t count = result.reservations.size();
  std::cout << "berth: " << count << " app(s) reserved, " << result.created << " new"
            << (v.pl_summary.empty() ? "" : " (summary: " + v.pl_summary + ")") << '\n';
  if (count <= static_cast<std::size_t>(v.pl_table_limit)) {
    std::ostringstream table;
    print_reservations(table, result.reservations);
    std::istringstream rows(table.str());
    for (std::string row; std::getline(rows, row);) {
      std::cout << "  " << row << '\n';
    }
    return;
  }
  std::set<std::string> used;
  for (const auto& r : result.reservations) {
    used.insert(r.pool);
  }
  for (const auto& s : store.stats()) {
    if (used.count(s.pool)) {
      std::cout << "  pool " << quote(s.pool) << ": " << s.held << " held, " << s.free << " of "
                << s.capacity << " slots free\n";
    }
  }
  std::cout << "  (the table of every app: BERTH_VERBOSE=ON, or apps.json)\n";
}

// The plan's apps: the CMake module's recorded calls (--calls) or a JSON plan file, with their
// owner and where each was declared.
std::vector<PlanEntry> read_entries(const Vars& v, const Options& o) {
  const std::filesystem::path source_dir = v.pl_source_dir.empty()
                                               ? std::filesystem::current_path()
                                               : std::filesystem::path(v.pl_source_dir);
  if (v.pl_calls && v.pl_binary_dir.empty()) {
    throw usage_error("--calls needs --binary-dir DIR: the apps' folders default to DIR/apps");
  }
  auto entries = v.pl_calls ? read_calls(v.pl_file, v.pl_binary_dir, source_dir, namespace_of(o))
                            : read_plan(v.pl_file, namespace_of(o));
  if (!v.pl_owner.empty()) {
    validate_owner(v.pl_owner);
    for (auto& e : entries) {
      e.request.owner = v.pl_owner;
    }
  }
  locate_declarations(entries, source_dir);
  return entries;
}

}  // namespace

// berth plan FILE
Command add_plan(CLI::App& app, const Options& o) {
  const auto v = std::make_shared<Vars>();
  auto* plan = app.add_subcommand(
      "plan",
      "Reserve every app of a plan file in one transaction and list what each scaffold "
      "writes (the CMake module's configure step)");
  add_options(plan, *v);
  const auto run = [&o, v, plan]() -> int {
    refuse_empty(plan, "--owner", v->pl_owner);
    const PlanOptions options = options_of(*v, o.json);
    auto entries = read_entries(*v, o);
    Store store = open_store(o);
    if (skip_busy(store, false, false)) {  // the store's setting: configure steps over them too
      const auto busy = busy_ports();
      for (auto& e : entries) {
        e.request.avoid = busy;
      }
    }
    const PlanResult result = run_plan(store, entries, options);
    record_plan_uses(store, result, options);
    if (o.json) {
      std::cout << (result.summary.empty() ? "null" : result.summary) << '\n';
      return 0;
    }
    if (v->pl_table_limit < 0) {
      print_reservations(std::cout, result.reservations);
    } else {
      print_configure_summary(store, result, *v);
    }
    for (const auto& line : result.relocked) {
      std::cout << "relocked " << line << '\n';
    }
    for (const auto& key : result.adopted) {
      std::cout << "berth: " << describe(key) << " had no owner: project " << quote(v->pl_owner)
                << " adopts it\n";
    }
    for (const auto& d : result.dropped) {
      std::cout << "berth: no longer declared here: " << describe(d.key) << " (its folder " << d.out
                << " and its reservation stay). Release it and remove berth's files there with "
                   "-DBERTH_PRUNE=ON, or `berth prune --build "
                << v->pl_binary_dir << "`\n";
    }
    if (result.lock_written) {
      std::cout << "lock file updated: " << v->pl_lock << '\n';
    }
    return 0;
  };
  return {plan, run};
}

}  // namespace berth
