#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

// berth config [KEY [VALUE]] | --reset
Command add_config(CLI::App& app, const Options& o) {
  struct Vars {
    std::string key, value;
    bool reset = false;
  };
  const auto v = std::make_shared<Vars>();
  auto* sub = app.add_subcommand("config", "Show or change this store's host settings");
  sub->add_option("key", v->key, "Setting: skip-busy");
  sub->add_option("value", v->value, "on or off");
  sub->add_flag("--reset", v->reset, "Forget every setting");
  const auto run = [&o, v]() -> int {
    // Each setting: its name, what it does, its value when unset.
    static const std::map<std::string, std::string> known = {
        {"skip-busy",
         "new allocations step over ports something on this host listens on (as --skip-busy)"}};
    Store store = open_store(o, !v->reset && v->value.empty());  // read-only when only shown
    if (v->reset) {
      if (!v->key.empty()) {
        throw usage_error("--reset takes no setting");
      }
      store.set_settings(json::object());
    } else if (!v->key.empty()) {
      if (!known.count(v->key)) {
        throw usage_error("no setting " + quote(v->key) + "; settings: skip-busy");
      }
      if (!v->value.empty()) {
        if (v->value != "on" && v->value != "off") {
          throw usage_error("setting " + quote(v->key) + " is on or off, not " + quote(v->value));
        }
        json settings = store.settings();
        settings[v->key] = v->value == "on";
        store.set_settings(settings);
      }
    }
    const json settings = store.settings();
    json shown = json::object();
    for (const auto& [key, what] : known) {
      if (!v->key.empty() && key != v->key) {
        continue;
      }
      const bool on = settings.contains(key) && settings[key] == true;
      shown[key] = on;
      if (!o.json) {
        std::cout << key << ' ' << (on ? "on" : "off") << "  (" << what << ")\n";
      }
    }
    if (o.json) {
      print_json(shown);
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace berth
