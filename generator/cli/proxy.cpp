#include "generator/host/proxy.hpp"
#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

namespace {

// The apps whose folder records parts without a frontend (adopted backend-only apps): the front
// door reaches their backend.
std::set<AppKey> apps_without_frontend(const Store& store) {
  std::set<AppKey> out;
  for (const auto& [key, uses] : store.all_uses()) {
    for (const auto& use : uses.uses) {
      std::error_code ec;
      if (use.kind != "app" || !std::filesystem::is_directory(use.path, ec)) {
        continue;
      }
      const auto parts = recorded_parts(use.path);
      if (parts && std::find(parts->begin(), parts->end(), "frontend") == parts->end()) {
        out.insert(key);
      }
      break;
    }
  }
  return out;
}

// A standalone configuration names tmp/ under the folder it is run from (`nginx -p DIR`): make it
// beside the file, so the documented one-liner starts nginx with no mkdir of its own.
void make_temp_folder(const std::filesystem::path& output) {
  const auto tmp = std::filesystem::absolute(output).parent_path() / "tmp";
  std::error_code ec;
  std::filesystem::create_directories(tmp, ec);
  if (ec) {
    throw runtime_error("cannot create " + quote(tmp.string()) +
                        " (nginx's temp folder): " + ec.message());
  }
}

}  // namespace

// berth proxy [--format nginx] [-o FILE] [--standalone] [--listen PORT]
Command add_proxy(CLI::App& app, const Options& o) {
  struct Vars {
    std::string format = "nginx", output;
    bool standalone = false;
    int listen = 80;
  };
  const auto v = std::make_shared<Vars>();
  auto* proxy = app.add_subcommand(
      "proxy",
      "Write a front door (nginx) that reaches every app by name and every preview by path");
  proxy->add_option("--format", v->format, "Only nginx for now")->capture_default_str();
  proxy->add_option("-o,--output", v->output, "Write FILE (only when it changes)")
      ->type_name("FILE");
  proxy->add_flag("--standalone", v->standalone, "A whole nginx.conf, not an http-level include");
  proxy->add_option("--listen", v->listen, "The port nginx listens on")->capture_default_str();
  const auto run = [&o, v]() -> int {
    if (v->format != "nginx") {
      throw usage_error("--format " + quote(v->format) + " is not known; berth writes nginx");
    }
    if (v->listen < 1 || v->listen > 65535) {
      throw usage_error("--listen " + std::to_string(v->listen) + " is not a port");
    }
    Store store = open_store(o, true);
    const auto apps = store.list();
    const auto leases = store.leases(std::nullopt);
    std::string text = nginx_http(apps, leases, v->listen, apps_without_frontend(store));
    if (v->standalone) {
      text = nginx_standalone(text);
    }
    if (v->output.empty()) {
      std::cout << text;
      return 0;
    }
    if (v->standalone) {  // the temp folders the configuration names are under nginx's prefix
      make_temp_folder(v->output);
    }
    const bool changed = write_if_changed(v->output, text);
    if (o.json) {
      print_json({{"output", v->output},
                  {"changed", changed},
                  {"apps", apps.size()},
                  {"previews", leases.size()}});
    } else {
      std::cout << (changed ? "wrote " : "unchanged ") << v->output << " (" << apps.size()
                << " app(s), " << leases.size() << " preview(s))\n";
    }
    return 0;
  };
  return {proxy, run};
}

}  // namespace berth
