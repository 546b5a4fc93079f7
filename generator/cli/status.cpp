#include "generator/health/status.hpp"
#include "generator/cli/command.hpp"
#include "generator/host/front_page.hpp"

namespace berth {

namespace {

// A port's cell: who listens on it now.
std::string listener_text(const PortStatus& p) {
  if (!p.listening) {
    return "-";
  }
  std::string who = p.process.empty() ? "something" : p.process;
  if (p.pid) {
    who += " (pid " + std::to_string(*p.pid) + ")";
  }
  return who + " on " + p.address;
}

// One row per port; the app's model, number, state and link on its first.
void print_status(const std::vector<AppStatus>& all) {
  std::vector<std::vector<std::string>> rows = {
      {"Model", "App", "State", "Port", "Listening", "Front door"}};
  for (const auto& s : all) {
    for (std::size_t i = 0; i < s.ports.size(); ++i) {
      const auto& p = s.ports[i];
      const bool first = i == 0;
      rows.push_back({first ? s.app->key.model : "", first ? std::to_string(s.app->key.app) : "",
                      first ? s.state() : "", p.name + " " + std::to_string(p.port),
                      listener_text(p), first ? s.url : ""});
    }
  }
  print_table(std::cout, rows);
}

std::string summary(const std::vector<AppStatus>& all, const std::string& listen) {
  std::map<std::string, int> states;
  for (const auto& s : all) {
    ++states[s.state()];
  }
  return std::to_string(all.size()) + " app(s): " + std::to_string(states["up"]) + " up, " +
         std::to_string(states["partly"]) + " partly, " + std::to_string(states["down"]) +
         " down; the front page: " + front_door_url("", listen);
}

}  // namespace

// berth status [--model M] [--owner P] [--front-door [ADDR:]PORT]
Command add_status(CLI::App& app, const Options& o) {
  struct Vars {
    std::string model, owner, front_door = "127.0.0.1:80";
  };
  const auto v = std::make_shared<Vars>();
  auto* sub = app.add_subcommand(
      "status", "Every app's ports, what listens on each right now, and its front door link");
  sub->add_option("--model", v->model, "Only this model's apps");
  sub->add_option("--owner", v->owner, "Only the apps this project owns")->type_name("PROJECT");
  sub->add_option("--front-door", v->front_door,
                  "Where the front door listens, for the links: [ADDR:]PORT, as berth proxy "
                  "--listen (default 127.0.0.1:80)")
      ->type_name("[ADDR:]PORT");
  const auto run = [&o, v, sub]() -> int {
    const std::string listen = parse_listen(v->front_door, "--front-door");
    const AppFilter filter = app_filter(o, sub, v->model, v->owner);
    const Store store = open_store(o, true);
    const auto apps = store.list(filter);
    const auto all = app_status(apps, tcp_listeners(true), listen);
    if (o.json) {
      nlohmann::json j = {{"apps", nlohmann::json::array()}};
      for (const auto& s : all) {
        j["apps"].push_back(status_json(s));
      }
      print_json(j);
      return 0;
    }
    if (!all.empty()) {
      print_status(all);
    }
    std::cout << summary(all, listen) << '\n';
    return 0;
  };
  return {sub, run};
}

}  // namespace berth
