#include "generator/health/who.hpp"
#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

// berth who PORT...
Command add_who(CLI::App& app, const Options& o) {
  struct Vars {
    std::vector<std::string> ports;
  };
  const auto v = std::make_shared<Vars>();
  auto* sub = app.add_subcommand(
      "who", "Whose is this port? The app, lease or exclusion that holds it, and who listens");
  sub->add_option("ports", v->ports, "Ports")->required();
  const auto run = [&o, v]() -> int {
    std::vector<std::uint16_t> ports;
    for (const auto& text : v->ports) {
      ports.push_back(validate_port(parse_int(text, "port"), "port"));
    }
    const Store store = open_store(o, true);
    const auto answers = who(store, ports);
    bool worrying = false;
    json all = json::array();
    for (const auto& a : answers) {
      worrying = worrying || a.worrying;
      all.push_back(a.answer);
      if (!o.json) {
        std::cout << a.line << '\n';
      }
    }
    if (o.json) {
      print_json(all);
    }
    // Exit 3: a port nothing holds that something listens on, or one no pool knows.
    return worrying ? static_cast<int>(ErrorKind::conflict) : 0;
  };
  return {sub, run};
}

}  // namespace berth
