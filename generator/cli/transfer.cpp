#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

// berth import FILE | --sqlite DB
Command add_import(CLI::App& app, const Options& o) {
  struct Vars {
    std::string imp_file, sqlite;
    bool skip = false;
  };
  const auto v = std::make_shared<Vars>();
  auto* import = app.add_subcommand(
      "import", "Import port_config.json, the earlier system's database, or a berth export");
  auto* file = import->add_option("file", v->imp_file, "File to import");
  import->add_option("--sqlite", v->sqlite, "The earlier system's SQLite database")
      ->type_name("DB")
      ->excludes(file);
  import->add_flag("--skip-conflicts", v->skip,
                   "Import what fits; list every entry left out (exit 3 if any)");
  const auto run = [&o, v, import]() -> int {
    std::vector<Pool> pools;
    std::vector<ReserveRequest> requests;
    std::vector<Lease> leases;
    if (!v->sqlite.empty()) {
      requests = parse_sqlite(v->sqlite);
    } else if (!v->imp_file.empty()) {
      parse_import(v->imp_file, pools, requests, &leases);
    } else {
      throw usage_error("give the file to import, or --sqlite DB");
    }
    std::vector<std::string> skipped;
    const auto results =
        open_store(o).import(pools, requests, leases, v->skip ? &skipped : nullptr);
    const auto added =
        std::count_if(results.begin(), results.end(), [](const auto& r) { return r.created; });
    if (o.json) {
      print_json(v->skip ? json{{"imported", results_json(results)}, {"skipped", skipped}}
                         : results_json(results));
    } else {
      std::cout << "imported " << added << " reservation(s), " << (results.size() - added)
                << " already present";
      if (v->skip) {
        std::cout << ", " << skipped.size() << " left out";
      }
      std::cout << '\n';
    }
    for (const auto& why : skipped) {
      std::cerr << "berth: left out " << why << '\n';
    }
    return skipped.empty() ? 0 : static_cast<int>(ErrorKind::conflict);
  };
  return {import, run};
}

// berth export [-o FILE]
Command add_export(CLI::App& app, const Options& o) {
  struct Vars {
    std::string exp_file;
  };
  const auto v = std::make_shared<Vars>();
  auto* exportc = app.add_subcommand("export", "Print the store as sorted, byte-stable JSON");
  exportc->add_option("-o,--output", v->exp_file, "Write to FILE instead of standard output")
      ->type_name("FILE");
  const auto run = [&o, v, exportc]() -> int {
    const std::string text = open_store(o, true).export_json().dump(2) + "\n";
    if (v->exp_file.empty()) {
      std::cout << text;
      return 0;
    }
    write_if_changed(v->exp_file, text);
    return 0;
  };
  return {exportc, run};
}

}  // namespace berth
