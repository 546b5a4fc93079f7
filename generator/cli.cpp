#include "generator/cli.hpp"

#include <algorithm>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "generator/build_app.hpp"
#include "generator/fileio.hpp"
#include "generator/inputs.hpp"
#include "generator/plan.hpp"
#include "generator/scaffold.hpp"
#include "generator/scaffold_app.hpp"
#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/store.hpp"

namespace berth {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Parsing helpers: every one names the bad value.

long long parse_int(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used, 10);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || text[0] == '+' || text[0] == ' ') {
    throw usage_error(what + " " + quote(text) + " is not a number");
  }
  return v;
}

std::uint32_t parse_app(const std::string& text) {
  const long long v = parse_int(text, "app number");
  validate_app(v);
  return static_cast<std::uint32_t>(v);
}

// NAME=PORT
std::pair<std::string, std::uint16_t> parse_pin(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw usage_error("--port " + quote(text) + " is not NAME=PORT (for example backend=5101)");
  }
  const std::string name = text.substr(0, eq);
  return {name, validate_port(parse_int(text.substr(eq + 1), "port"), "port")};
}

std::map<std::string, std::uint16_t> parse_pins(const std::vector<std::string>& texts) {
  std::map<std::string, std::uint16_t> pins;
  for (const auto& text : texts) {
    const auto [name, port] = parse_pin(text);
    if (!pins.emplace(name, port).second) {
      throw usage_error("--port " + name + " is given twice");
    }
  }
  return pins;
}

// NAME=FIRST-LAST
PortRange parse_range(const std::string& text) {
  const auto eq = text.find('=');
  const auto dash = text.find('-', eq == std::string::npos ? 0 : eq);
  if (eq == std::string::npos || eq == 0 || dash == std::string::npos) {
    throw usage_error("--range " + quote(text) +
                      " is not NAME=FIRST-LAST (for example backend=5001-7999)");
  }
  PortRange r;
  r.name = text.substr(0, eq);
  r.first = validate_port(parse_int(text.substr(eq + 1, dash - eq - 1), "port"), "port");
  r.last = validate_port(parse_int(text.substr(dash + 1), "port"), "port");
  return r;
}

// ---------------------------------------------------------------------------------------------
// Output

std::string capitalize(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') {
    s[0] = static_cast<char>(s[0] - 'a' + 'A');
  }
  return s;
}

// A plain text table: columns padded to their widest cell, two spaces apart.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line += std::string(width[i] - row[i].size() + 2, ' ');
      }
    }
    out << line << '\n';
  }
}

// The seed's table: Model, App, (Pool when more than one), one column per port name, Project.
void print_reservations(std::ostream& out, const std::vector<Reservation>& list) {
  std::vector<std::string> names;
  std::set<std::string> pools;
  for (const auto& r : list) {
    pools.insert(r.pool);
    for (const auto& p : r.ports) {
      if (std::find(names.begin(), names.end(), p.name) == names.end()) {
        names.push_back(p.name);
      }
    }
  }
  const bool show_pool = pools.size() > 1;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"Model", "App"};
  if (show_pool) {
    header.push_back("Pool");
  }
  for (const auto& n : names) {
    header.push_back(capitalize(n));
  }
  header.push_back("Project");
  rows.push_back(header);
  for (const auto& r : list) {
    std::vector<std::string> row = {r.key.model, std::to_string(r.key.app)};
    if (show_pool) {
      row.push_back(r.pool);
    }
    for (const auto& n : names) {
      const auto p = r.port(n);
      row.push_back(p ? std::to_string(*p) : "-");
    }
    row.push_back(r.project);
    rows.push_back(row);
  }
  print_table(out, rows);
}

json result_json(const ReserveResult& r) {
  json j = to_json(r.reservation);
  j["created"] = r.created;
  return j;
}

json results_json(const std::vector<ReserveResult>& results) {
  json j = json::array();
  for (const auto& r : results) {
    j.push_back(result_json(r));
  }
  return j;
}

void print_json(const json& j) {
  std::cout << j.dump(2) << '\n';
}

std::string range_text(const PortRange& r) {
  return r.name + "=" + std::to_string(r.first) + "-" + std::to_string(r.last);
}

// ---------------------------------------------------------------------------------------------

struct Options {
  std::string store;
  bool json = false;
};

// The store; `read_only` for commands that only read it.
Store open_store(const Options& o, bool read_only = false) {
  StoreOptions options;
  options.read_only = read_only;
  return Store(o.store.empty() ? Store::default_dir() : std::filesystem::path(o.store), options);
}

// Prints a scaffold's outcome: warnings for kept files, then the report (`--json`, or text
// unless quiet).
void print_scaffold(const Options& o, const ScaffoldArgs& a, const std::string& template_name,
                    const ScaffoldOutcome& outcome, bool quiet) {
  const ScaffoldReport& report = outcome.report;
  for (const auto& [path, why] : report.kept) {
    std::cerr << "berth: warning: kept " << quote(path) << ": " << why << '\n';
  }
  if (o.json) {
    json kept = json::array();
    for (const auto& [path, why] : report.kept) {
      kept.push_back({{"path", path}, {"reason", why}});
    }
    print_json({{"reservation", result_json(outcome.result)},
                {"template", template_name},
                {"out", a.out},
                {"dry_run", a.dry_run},
                {"written", report.written},
                {"unchanged", report.unchanged},
                {"removed", report.removed},
                {"kept", kept}});
  } else if (!quiet) {
    print_reservations(std::cout, {outcome.result.reservation});
    const char* verb = a.dry_run ? "would write" : "wrote";
    for (const auto& path : report.written) {
      std::cout << verb << ' ' << path << '\n';
    }
    for (const auto& path : report.removed) {
      std::cout << (a.dry_run ? "would remove " : "removed ") << path << '\n';
    }
    std::cout << (a.dry_run ? "dry run: " : "") << report.written.size() << " written, "
              << report.unchanged.size() << " unchanged, " << report.removed.size() << " removed, "
              << report.kept.size() << " kept in " << a.out << '\n';
  }
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app("berth: ports and names for generated, containerized apps", "berth");
  app.set_version_flag("--version", "berth " BERTH_VERSION);
  app.fallthrough();  // global options may follow the command

  Options o;
  app.add_option("--store", o.store,
                 "Store folder (default: $BERTH_STORE, $XDG_STATE_HOME/berth, "
                 "~/.local/state/berth)")
      ->type_name("DIR");
  app.add_flag("--json", o.json, "Print JSON instead of text");

  // reserve
  std::string r_model, r_app, r_pool, r_batch;
  std::vector<std::string> r_pins;
  auto* reserve = app.add_subcommand("reserve", "Get or allocate the ports of MODEL app N");
  reserve->add_option("model", r_model, "Model name (any UTF-8, up to 200 bytes)");
  reserve->add_option("app", r_app, "App number, 1 to 1000000");
  reserve->add_option("--pool", r_pool, "Pool to allocate from (default: apps)");
  reserve->add_option("--port", r_pins, "Pin a port: NAME=PORT (repeatable)")
      ->type_name("NAME=PORT");
  reserve
      ->add_option("--batch", r_batch,
                   "Reserve and release the entries of a JSON list, all or "
                   "nothing")
      ->type_name("FILE");

  // release
  std::string rel_model, rel_app;
  bool rel_all = false;
  auto* release = app.add_subcommand("release", "Free the ports and name of MODEL app N");
  release->add_option("model", rel_model, "Model name")->required();
  release->add_option("app", rel_app, "App number");
  release->add_flag("--all", rel_all, "Release every app of MODEL");

  // list
  std::string l_model;
  auto* list = app.add_subcommand("list", "Show reservations");
  list->add_option("--model", l_model, "Only this model's apps");

  auto* check = app.add_subcommand("check", "Verify the store's invariants");
  auto* stats = app.add_subcommand("stats", "Per pool: capacity, held, free, highest slot, holes");

  std::string imp_file;
  auto* import = app.add_subcommand("import", "Import port_config.json or a berth export");
  import->add_option("file", imp_file, "File to import")->required();

  std::string exp_file;
  auto* exportc = app.add_subcommand("export", "Print the store as sorted, byte-stable JSON");
  exportc->add_option("-o,--output", exp_file, "Write to FILE instead of standard output")
      ->type_name("FILE");

  // scaffold
  std::string sc_template = "react-flask", sc_model, sc_app, sc_out, sc_pool, sc_overlay;
  std::vector<std::string> sc_sets, sc_pins;
  bool sc_dry = false, sc_force = false, sc_touch = false, sc_quiet = false;
  auto* scaffold =
      app.add_subcommand("scaffold", "Reserve MODEL app N and render a template into --out DIR");
  scaffold->add_option("model", sc_model, "Model name")->required();
  scaffold->add_option("app", sc_app, "App number")->required();
  scaffold->add_option("--template", sc_template, "Template name or folder")->capture_default_str();
  scaffold->add_option("--out", sc_out, "The app folder to write")->required()->type_name("DIR");
  scaffold->add_option("--set", sc_sets, "Set a template variable: KEY=VALUE (repeatable)")
      ->type_name("KEY=VALUE");
  scaffold->add_option("--pool", sc_pool, "Pool to allocate from (default: apps)");
  scaffold->add_option("--port", sc_pins, "Pin a port: NAME=PORT (repeatable)")
      ->type_name("NAME=PORT");
  scaffold->add_option("--overlay", sc_overlay, "Copy this folder's files over the rendered ones")
      ->type_name("DIR");
  scaffold->add_flag("--dry-run", sc_dry, "Show what would be written; change nothing");
  scaffold->add_flag("--force", sc_force, "Overwrite or remove files berth wrote that were edited");
  scaffold->add_flag("-q,--quiet", sc_quiet, "Print nothing but warnings and errors");
  scaffold->add_flag("--touch", sc_touch,
                     "Give berth's own files that are already right the current mtime");

  // plan
  std::string pl_file, pl_lock, pl_cmake, pl_summary, pl_stamps, pl_source_dir, pl_binary_dir;
  bool pl_locked = false;
  int pl_table_limit = -1;
  auto* plan = app.add_subcommand(
      "plan",
      "Reserve every app of a plan file in one transaction and list what each scaffold "
      "writes (the CMake module's configure step)");
  plan->add_option("file", pl_file, "JSON list of apps")->required();
  plan->add_option("--lock", pl_lock, "Lock file: pins its ports; rewritten with the plan's apps")
      ->type_name("FILE");
  plan->add_flag("--locked", pl_locked, "Every app must be in the lock file; allocate nothing");
  plan->add_option("--cmake", pl_cmake,
                   "Write the CMake code for every app's build command, target and properties "
                   "(needs --stamps)")
      ->type_name("FILE");
  plan->add_option("--summary", pl_summary, "Write the JSON summary to FILE")->type_name("FILE");
  plan->add_option("--source-dir", pl_source_dir,
                   "Name declaring files relative to DIR (default: the current folder)")
      ->type_name("DIR");
  plan->add_option("--binary-dir", pl_binary_dir,
                   "The CMake build folder, for the build commands' depfiles")
      ->type_name("DIR");
  plan->add_option("--table-limit", pl_table_limit,
                   "Print a summary line, and the table only up to N apps (the pools' fill "
                   "levels beyond)")
      ->type_name("N");
  plan->add_option("--stamps", pl_stamps,
                   "Write DIR/<target>.reservation per app, only when it changes")
      ->type_name("DIR");

  // build-app
  std::vector<std::string> ba_stamps;
  std::string ba_depfile, ba_depfile_base;
  auto* build_app = app.add_subcommand(
      "build-app",
      "Scaffold the apps described by stamps of `berth plan --stamps` (the CMake build step)");
  build_app->add_option("stamps", ba_stamps, "The apps' stamp files")->required();
  build_app
      ->add_option("--depfile", ba_depfile,
                   "Write a Make-style depfile naming every app's template and overlay files")
      ->type_name("FILE");
  build_app
      ->add_option("--depfile-base", ba_depfile_base,
                   "Name the depfile's outputs relative to DIR (the build folder)")
      ->type_name("DIR");

  // pool
  auto* pool = app.add_subcommand("pool", "Show and change pools and excluded ports");
  auto* pool_show = pool->add_subcommand("show", "Show pools and excluded ports (the default)");
  std::string ps_name;
  std::vector<std::string> ps_ranges;
  int ps_step = 1;
  bool ps_ephemeral = false;
  auto* pool_set = pool->add_subcommand("set", "Create or change a pool");
  pool_set->add_option("name", ps_name, "Pool name")->required();
  pool_set->add_option("--range", ps_ranges, "A named port's range: NAME=FIRST-LAST (repeatable)")
      ->type_name("NAME=FIRST-LAST")
      ->required();
  pool_set->add_option("--step", ps_step, "Distance between a port's slots")->capture_default_str();
  pool_set->add_flag("--allow-ephemeral", ps_ephemeral,
                     "Allow ranges inside the ephemeral range 32768-60999");
  std::string pr_name;
  auto* pool_remove = pool->add_subcommand("remove", "Remove a pool that holds no reservation");
  pool_remove->add_option("name", pr_name, "Pool name")->required();
  std::vector<std::string> ex_ports;
  auto* pool_exclude = pool->add_subcommand("exclude", "Never hand out these ports");
  pool_exclude->add_option("ports", ex_ports, "Ports")->required();
  std::vector<std::string> in_ports;
  auto* pool_include = pool->add_subcommand("include", "Hand out these excluded ports again");
  pool_include->add_option("ports", in_ports, "Ports")->required();
  pool->require_subcommand(0, 1);
  app.require_subcommand(1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    // CLI11 reports a misspelt command as a missing one: name it instead.
    const auto extras = app.remaining();
    if (!app.get_subcommands().size() && !extras.empty() && extras[0][0] != '-') {
      std::string names;
      for (const auto* sub : app.get_subcommands({})) {
        names += (names.empty() ? "" : ", ") + sub->get_name();
      }
      message = "unknown command " + quote(extras[0]) + "; commands: " + names;
    }
    std::cerr << "berth: error: " << message << "\nRun 'berth --help' for usage.\n";
    return static_cast<int>(ErrorKind::usage);
  }

  try {
    if (*reserve) {
      Store store = open_store(o);
      if (!r_batch.empty()) {
        if (reserve->count("model") > 0 || !r_pool.empty() || !r_pins.empty()) {
          throw usage_error("--batch FILE takes no MODEL, N, --pool or --port");
        }
        const auto results = store.apply(parse_batch(r_batch));
        if (o.json) {
          print_json(results_json(results));
        } else {
          std::vector<Reservation> list;
          for (const auto& r : results) {
            list.push_back(r.reservation);
          }
          print_reservations(std::cout, list);
        }
        return 0;
      }
      if (reserve->count("model") == 0 || r_app.empty()) {
        throw usage_error("reserve needs MODEL and N (or --batch FILE)");
      }
      ReserveRequest req;
      req.key = {r_model, parse_app(r_app)};
      validate_model(r_model);
      req.pool = r_pool;
      req.pins = parse_pins(r_pins);
      const ReserveResult result = store.reserve(req);
      if (o.json) {
        print_json(result_json(result));
      } else {
        print_reservations(std::cout, {result.reservation});
      }
      return 0;
    }

    if (*release) {
      if (rel_all == !rel_app.empty()) {
        throw usage_error(rel_all ? "give either an app number or --all, not both"
                                  : "release needs an app number, or --all for every app of " +
                                        quote(rel_model));
      }
      validate_model(rel_model);
      AppKey key{rel_model, rel_all ? 0 : parse_app(rel_app)};
      Store store = open_store(o);
      const std::vector<Reservation> released =
          rel_all ? store.release_model(rel_model) : std::vector<Reservation>{store.release(key)};
      if (o.json) {
        json j = json::array();
        for (const auto& r : released) {
          j.push_back(to_json(r));
        }
        print_json(j);
      } else {
        for (const auto& r : released) {
          std::cout << "released " << describe(r.key) << " (" << r.project << ")\n";
        }
      }
      return 0;
    }

    if (*list) {
      std::optional<std::string> model;
      if (list->count("--model") > 0) {
        validate_model(l_model);
        model = l_model;
      }
      const auto all = open_store(o, true).list(model);
      if (o.json) {
        json j = json::array();
        for (const auto& r : all) {
          j.push_back(to_json(r));
        }
        print_json(j);
      } else if (all.empty()) {
        std::cout << "no reservations\n";
      } else {
        print_reservations(std::cout, all);
      }
      return 0;
    }

    if (*check) {
      Store store = open_store(o, true);
      const auto problems = store.check();
      std::size_t count = 0;
      try {
        count = store.list().size();
      } catch (const Error&) {
        // a malformed record: listed among the problems
      }
      if (o.json) {
        print_json({{"ok", problems.empty()}, {"problems", problems}, {"reservations", count}});
      } else {
        for (const auto& p : problems) {
          std::cout << "problem: " << p << '\n';
        }
        if (problems.empty()) {
          std::cout << "ok: " << count << " reservation(s), no port or name held twice\n";
        }
      }
      if (!problems.empty()) {
        std::cerr << "berth: error: check found " << problems.size() << " problem(s) in store "
                  << quote(store.dir().string()) << '\n';
        return static_cast<int>(ErrorKind::conflict);
      }
      return 0;
    }

    if (*stats) {
      const auto all = open_store(o, true).stats();
      if (o.json) {
        json j = json::array();
        for (const auto& s : all) {
          j.push_back({{"pool", s.pool},
                       {"capacity", s.capacity},
                       {"held", s.held},
                       {"slots_held", s.slots_held},
                       {"free", s.free},
                       {"highest_slot", s.highest_slot ? json(*s.highest_slot) : json(nullptr)},
                       {"holes", s.holes}});
        }
        print_json(j);
      } else {
        std::vector<std::vector<std::string>> rows = {
            {"Pool", "Capacity", "Held", "Free", "Highest slot", "Holes"}};
        for (const auto& s : all) {
          rows.push_back(
              {s.pool, std::to_string(s.capacity), std::to_string(s.held), std::to_string(s.free),
               s.highest_slot ? std::to_string(*s.highest_slot) : "-", std::to_string(s.holes)});
        }
        print_table(std::cout, rows);
      }
      return 0;
    }

    if (*import) {
      std::vector<Pool> pools;
      std::vector<ReserveRequest> requests;
      parse_import(imp_file, pools, requests);
      const auto results = open_store(o).import(pools, requests);
      const auto added =
          std::count_if(results.begin(), results.end(), [](const auto& r) { return r.created; });
      if (o.json) {
        print_json(results_json(results));
      } else {
        std::cout << "imported " << added << " reservation(s), " << (results.size() - added)
                  << " already present\n";
      }
      return 0;
    }

    if (*exportc) {
      const std::string text = open_store(o, true).export_json().dump(2) + "\n";
      if (exp_file.empty()) {
        std::cout << text;
        return 0;
      }
      write_if_changed(exp_file, text);
      return 0;
    }

    if (*scaffold) {
      ReserveRequest req;
      validate_model(sc_model);
      req.key = {sc_model, parse_app(sc_app)};
      req.pool = sc_pool;
      req.pins = parse_pins(sc_pins);
      std::map<std::string, std::string> sets;
      for (const auto& text : sc_sets) {
        const auto eq = text.find('=');
        if (eq == std::string::npos || eq == 0) {
          throw usage_error("--set " + quote(text) + " is not KEY=VALUE");
        }
        sets[text.substr(0, eq)] = text.substr(eq + 1);
      }
      ScaffoldArgs args;
      args.request = req;
      args.sets = sets;
      args.out = sc_out;
      args.overlay = sc_overlay;
      args.dry_run = sc_dry;
      args.force = sc_force;
      args.touch = sc_touch;
      if (sc_out.empty()) {
        throw usage_error("--out is empty; give the app folder");
      }
      const Template tmpl = load_template(sc_template, template_search_path());
      const auto overlay =
          sc_overlay.empty() ? std::vector<OutputFile>{} : read_overlay(sc_overlay);
      Store store = open_store(o);
      print_scaffold(o, args, tmpl.name, scaffold_app(store, tmpl, overlay, args), sc_quiet);
      return 0;
    }

    if (*build_app) {
      BuildOptions options;
      options.depfile = ba_depfile;
      options.depfile_base = ba_depfile_base;
      return build_apps(o.store.empty() ? Store::default_dir() : std::filesystem::path(o.store),
                        ba_stamps, options);
    }

    if (*plan) {
      if (pl_locked && pl_lock.empty()) {
        throw usage_error("--locked needs --lock FILE");
      }
      auto entries = read_plan(pl_file);
      locate_declarations(entries, pl_source_dir.empty() ? std::filesystem::current_path()
                                                         : std::filesystem::path(pl_source_dir));
      PlanOptions options;
      options.reuse = !o.json;  // --json prints the summary, which a reused run does not make
      if (!pl_binary_dir.empty()) {
        options.binary_dir = pl_binary_dir;
      }
      if (!pl_lock.empty()) {
        options.lock = pl_lock;
      }
      options.locked = pl_locked;
      if (!pl_cmake.empty()) {
        options.cmake_out = pl_cmake;
      }
      if (!pl_summary.empty()) {
        options.summary_out = pl_summary;
      }
      if (!pl_stamps.empty()) {
        options.stamps_dir = pl_stamps;
      }
      Store store = open_store(o);
      const PlanResult result = run_plan(store, entries, options);
      if (o.json) {
        print_json(result.summary);
        return 0;
      }
      const std::size_t count = result.reservations.size();
      if (pl_table_limit < 0) {
        print_reservations(std::cout, result.reservations);
      } else {
        // The configure summary: a line, then the table for a few apps, or each pool's fill
        // level for many (a table of thousands of rows would bury CMake's own messages).
        std::cout << "berth: " << count << " app(s) reserved, " << result.created << " new"
                  << (pl_summary.empty() ? "" : " (summary: " + pl_summary + ")") << '\n';
        if (count <= static_cast<std::size_t>(pl_table_limit)) {
          std::ostringstream table;
          print_reservations(table, result.reservations);
          std::istringstream rows(table.str());
          for (std::string row; std::getline(rows, row);) {
            std::cout << "  " << row << '\n';
          }
        } else {
          std::set<std::string> used;
          for (const auto& r : result.reservations) {
            used.insert(r.pool);
          }
          for (const auto& s : store.stats()) {
            if (used.count(s.pool)) {
              std::cout << "  pool " << quote(s.pool) << ": " << s.held << " held, " << s.free
                        << " of " << s.capacity << " slots free\n";
            }
          }
          std::cout << "  (the table of every app: BERTH_VERBOSE=ON, or apps.json)\n";
        }
      }
      if (result.lock_written) {
        std::cout << "lock file updated: " << pl_lock << '\n';
      }
      return 0;
    }

    if (*pool) {
      Store store = open_store(o);
      if (*pool_set) {
        Pool p;
        p.name = ps_name;
        if (ps_step < 1 || ps_step > 65535) {
          throw usage_error("--step " + std::to_string(ps_step) + " must be 1 to 65535");
        }
        p.step = static_cast<std::uint16_t>(ps_step);
        for (const auto& r : ps_ranges) {
          p.ports.push_back(parse_range(r));
        }
        store.set_pool(p, ps_ephemeral);
      } else if (*pool_remove) {
        store.remove_pool(pr_name);
      } else if (*pool_exclude || *pool_include) {
        auto excluded = store.excluded();
        for (const auto& text : *pool_exclude ? ex_ports : in_ports) {
          const auto port = validate_port(parse_int(text, "port"), "port");
          if (*pool_exclude) {
            excluded.insert(port);
          } else {
            excluded.erase(port);
          }
        }
        store.set_excluded(excluded);
      }
      (void)pool_show;
      const auto pools = store.pools();
      const auto excluded = store.excluded();
      if (o.json) {
        json j = json::array();
        for (const auto& p : pools) {
          j.push_back(to_json(p));
        }
        print_json({{"pools", j}, {"excluded", excluded}});
      } else {
        std::vector<std::vector<std::string>> rows = {{"Pool", "Ports", "Step", "Capacity"}};
        for (const auto& p : pools) {
          std::string ranges;
          for (const auto& r : p.ports) {
            ranges += (ranges.empty() ? "" : " ") + range_text(r);
          }
          rows.push_back({p.name, ranges, std::to_string(p.step), std::to_string(p.capacity())});
        }
        print_table(std::cout, rows);
        std::string ex;
        for (auto port : excluded) {
          ex += (ex.empty() ? "" : " ") + std::to_string(port);
        }
        std::cout << "Excluded: " << (ex.empty() ? "none" : ex) << '\n';
      }
      return 0;
    }
    throw runtime_error("internal error: the command has no handler");
  } catch (const Error& e) {
    std::cerr << "berth: error: " << e.what() << '\n';
    for (const auto& d : e.details()) {
      std::cerr << "  " << d << '\n';
    }
    return static_cast<int>(e.kind());
  } catch (const std::filesystem::filesystem_error& e) {
    // Whatever escapes is reported once, never an abort.
    std::cerr << "berth: error: " << e.code().message() << ": " << quote(e.path1().string())
              << '\n';
    return static_cast<int>(ErrorKind::runtime);
  } catch (const std::exception& e) {
    std::cerr << "berth: error: " << e.what() << '\n';
    return static_cast<int>(ErrorKind::runtime);
  }
}

}  // namespace berth
