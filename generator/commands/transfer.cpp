#include "generator/commands/command.hpp"

namespace berth {

using nlohmann::json;

// berth import FILE
Command add_import(CLI::App& app, const Options& o) {
  struct Vars {
    std::string imp_file;
  };
  const auto v = std::make_shared<Vars>();
  auto* import = app.add_subcommand("import", "Import port_config.json or a berth export");
  import->add_option("file", v->imp_file, "File to import")->required();
  const auto run = [&o, v, import]() -> int {
    std::vector<Pool> pools;
    std::vector<ReserveRequest> requests;
    std::vector<Lease> leases;
    parse_import(v->imp_file, pools, requests, &leases);
    const auto results = open_store(o).import(pools, requests, leases);
    const auto added =
        std::count_if(results.begin(), results.end(), [](const auto& r) { return r.created; });
    if (o.json) {
      print_json(results_json(results));
    } else {
      std::cout << "imported " << added << " reservation(s), " << (results.size() - added)
                << " already present\n";
    }
    return 0;
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
