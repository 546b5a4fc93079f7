#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

namespace {

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
                {"kept", kept},
                {"starter_kept", report.started},
                {"vars", a.sets}});
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
              << report.kept.size() << " kept";
    if (!report.started.empty()) {
      std::cout << ", " << report.started.size() << " starter files left as they are";
    }
    std::cout << " in " << a.out << '\n';
  }
}

struct Vars {
  std::string sc_template = "react-flask", sc_model, sc_app, sc_out, sc_pool, sc_overlay;
  std::vector<std::string> sc_sets, sc_pins, sc_unset;
  bool sc_dry = false, sc_force = false, sc_touch = false, sc_quiet = false;
  bool busy_on = false, busy_off = false;
};

void add_options(CLI::App* scaffold, Vars& v) {
  scaffold->add_option("model", v.sc_model, "Model name")->required();
  scaffold->add_option("app", v.sc_app, "App number")->required();
  scaffold->add_option("--template", v.sc_template, "Template name or folder")
      ->capture_default_str();
  scaffold->add_option("--out", v.sc_out, "The app folder to write")->required()->type_name("DIR");
  scaffold->add_option("--set", v.sc_sets, "Set a template variable: KEY=VALUE (repeatable)")
      ->type_name("KEY=VALUE");
  scaffold
      ->add_option("--unset", v.sc_unset,
                   "Forget a variable this app's folder remembers from an earlier --set "
                   "(repeatable)")
      ->type_name("KEY");
  scaffold->add_option("--pool", v.sc_pool, "Pool to allocate from (default: apps)");
  scaffold->add_option("--port", v.sc_pins, "Pin a port: NAME=PORT (repeatable)")
      ->type_name("NAME=PORT");
  scaffold->add_option("--overlay", v.sc_overlay, "Copy this folder's files over the rendered ones")
      ->type_name("DIR");
  scaffold->add_flag("--dry-run", v.sc_dry, "Show what would be written; change nothing");
  add_skip_busy(scaffold, v.busy_on, v.busy_off);
  scaffold->add_flag("--force", v.sc_force,
                     "Overwrite or remove files berth wrote that were edited");
  scaffold->add_flag("-q,--quiet", v.sc_quiet, "Print nothing but warnings and errors");
  scaffold->add_flag("--touch", v.sc_touch,
                     "Give berth's own files that are already right the current mtime");
}

// The scaffold's arguments, each checked and naming a bad value.
ScaffoldArgs args_of(const Vars& v, const Options& o) {
  ScaffoldArgs args;
  args.request.key = app_key_of(o, v.sc_model, v.sc_app);
  args.request.pool = v.sc_pool;
  args.request.pins = parse_pins(v.sc_pins);
  for (const auto& text : v.sc_sets) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw usage_error("--set " + quote(text) + " is not KEY=VALUE");
    }
    args.sets[text.substr(0, eq)] = text.substr(eq + 1);
  }
  args.out = v.sc_out;
  args.overlay = v.sc_overlay;
  args.dry_run = v.sc_dry;
  args.force = v.sc_force;
  args.touch = v.sc_touch;
  if (v.sc_out.empty()) {
    throw usage_error("--out is empty; give the app folder");
  }
  return args;
}

}  // namespace

// berth scaffold MODEL N --out DIR
Command add_scaffold(CLI::App& app, const Options& o) {
  const auto v = std::make_shared<Vars>();
  auto* scaffold =
      app.add_subcommand("scaffold", "Reserve MODEL app N and render a template into --out DIR");
  add_options(scaffold, *v);
  const auto run = [&o, v, scaffold]() -> int {
    refuse_empty(scaffold, "--pool", v->sc_pool);
    refuse_empty(scaffold, "--template", v->sc_template);
    ScaffoldArgs args = args_of(*v, o);
    const Template tmpl = load_template(v->sc_template, template_search_path());
    // Values given once are kept: a re-run without --set uses them (--unset forgets one).
    args.sets = remembered_sets(args.out, args.request.key, tmpl, args.sets, v->sc_unset);
    const auto overlay =
        v->sc_overlay.empty() ? std::vector<OutputFile>{} : read_overlay(v->sc_overlay);
    Store store = open_store(o);
    if (skip_busy(store, v->busy_on, v->busy_off)) {
      args.request.avoid = busy_ports();
    }
    args.request.extra = extra_pools(tmpl, args.sets);
    const ScaffoldOutcome outcome = scaffold_app(store, tmpl, overlay, args);
    print_scaffold(o, args, tmpl.name, outcome, v->sc_quiet);
    return 0;
  };
  return {scaffold, run};
}

// berth build-app STAMP...
Command add_build_app(CLI::App& app, const Options& o) {
  struct Vars {
    std::vector<std::string> ba_stamps;
    std::string ba_depfile, ba_depfile_base, ba_done, ba_app;
  };
  const auto v = std::make_shared<Vars>();
  auto* build_app = app.add_subcommand(
      "build-app",
      "Scaffold the apps described by stamps of `berth plan --stamps` (the CMake build step)");
  build_app->add_option("stamps", v->ba_stamps, "The apps' stamp files")->required();
  build_app
      ->add_option("--depfile", v->ba_depfile,
                   "Write a Make-style depfile naming every app's template and overlay files")
      ->type_name("FILE");
  build_app
      ->add_option("--depfile-base", v->ba_depfile_base,
                   "Name the depfile's outputs relative to DIR (the build folder)")
      ->type_name("DIR");
  build_app
      ->add_option("--done", v->ba_done,
                   "Write FILE once every app is done; the depfile names it as its one output")
      ->type_name("FILE");
  build_app->add_option("--app", v->ba_app, "Build only the app of this target")
      ->type_name("TARGET");
  const auto run = [&o, v, build_app]() -> int {
    BuildOptions options;
    options.done = v->ba_done;
    options.app = v->ba_app;
    options.depfile = v->ba_depfile;
    options.depfile_base = v->ba_depfile_base;
    return build_apps(store_dir(o), v->ba_stamps, options);
  };
  return {build_app, run};
}

}  // namespace berth
