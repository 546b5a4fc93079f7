#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

namespace {

void print_show_json(const Reservation& r, const AppUses& uses) {
  json j = to_json(r);
  j["created"] = uses.created ? json(iso_utc(uses.created)) : json(nullptr);
  j["uses"] = json::array();
  for (const auto& u : uses.uses) {
    json use = to_json(u);
    std::error_code ec;
    use["exists"] = std::filesystem::exists(u.path, ec);
    if (u.kind == "app") {
      use["vars"] = recorded_vars(u.path);
    }
    j["uses"].push_back(use);
  }
  print_json(j);
}

void print_show(const Reservation& r, const AppUses& uses) {
  std::string ports;
  for (const auto& p : r.ports) {
    const bool pinned = std::find(r.pinned.begin(), r.pinned.end(), p.name) != r.pinned.end();
    ports += (ports.empty() ? "" : ", ") + p.name + " " + std::to_string(p.port) +
             (pinned ? " (pinned)" : "");
  }
  std::vector<std::vector<std::string>> rows = {
      {"model:", r.key.model},
      {"app:", std::to_string(r.key.app)},
      {"pool:", r.pool + (r.slot ? " (slot " + std::to_string(*r.slot) + ")" : "")},
      {"ports:", ports},
      {"project:", r.project},
      {"owner:", r.owner.empty() ? "none (the first project to declare it adopts it)" : r.owner},
      {"created:", uses.created ? iso_utc(uses.created) : "unknown"}};
  if (!r.key.ns.empty()) {
    rows.insert(rows.begin(), {"namespace:", r.key.ns});
  }
  print_table(std::cout, rows);
  if (uses.uses.empty()) {
    std::cout << "uses:     none recorded (scaffold, backfill and the CMake module record them)\n";
    return;
  }
  std::cout << "uses:\n";
  std::vector<std::vector<std::string>> use_rows;
  for (const Use& u : uses.uses) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(u.path, ec);
    use_rows.push_back(
        {"  " + u.kind, u.path, exists ? "exists" : "gone", "seen " + iso_utc(u.seen)});
  }
  print_table(std::cout, use_rows);
  for (const Use& u : uses.uses) {
    const auto vars =
        u.kind == "app" ? recorded_vars(u.path) : std::map<std::string, std::string>{};
    if (!vars.empty()) {
      std::string shown;
      for (const auto& [k, value] : vars) {
        shown += (shown.empty() ? "" : " ") + k + "=" + value;
      }
      std::cout << "vars of " << u.path << ": " << shown << '\n';
    }
  }
}

}  // namespace

// berth show MODEL N
Command add_show(CLI::App& app, const Options& o) {
  struct Vars {
    std::string model, app;
  };
  const auto v = std::make_shared<Vars>();
  auto* show = app.add_subcommand(
      "show", "Show one reservation: ports, name, when it was made and where it is used");
  show->add_option("model", v->model, "Model name")->required();
  show->add_option("app", v->app, "App number")->required();
  const auto run = [&o, v]() -> int {
    const AppKey key = app_key_of(o, v->model, v->app);
    const Store store = open_store(o, true);
    const auto r = store.get(key);
    if (!r) {
      throw usage_error(describe(key) + " is not reserved; see `berth list`");
    }
    if (o.json) {
      print_show_json(*r, store.uses(key));
    } else {
      print_show(*r, store.uses(key));
    }
    return 0;
  };
  return {show, run};
}

}  // namespace berth
