#include "generator/host/proxy.hpp"
#include "generator/host/front_page.hpp"

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

// Where the front page goes (beside the configuration) and how the configuration names its
// folder: nginx's prefix (".") when standalone, else the absolute folder, quoted.
struct Page {
  std::filesystem::path file;
  std::string folder;
  std::string shown;  // the file as the user named the folder
};
Page page_beside(const std::string& output, bool standalone) {
  const auto folder = std::filesystem::absolute(output).parent_path();
  const std::string text = folder.string();
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return c == '$' || c == '"' || c == '\\' || c < 0x20; })) {
    throw runtime_error("the folder of --output " + quote(output) +
                        " holds a character nginx would read as a variable or an escape; "
                        "write the configuration into another folder");
  }
  return {folder / k_front_page_name, standalone ? "." : "\"" + text + "\"",
          (std::filesystem::path(output).parent_path() / k_front_page_name).string()};
}

}  // namespace

// berth proxy [--format nginx] [-o FILE] [--standalone] [--listen [ADDR:]PORT]
Command add_proxy(CLI::App& app, const Options& o) {
  struct Vars {
    std::string format = "nginx", output;
    bool standalone = false;
    std::string listen = "127.0.0.1:80";
  };
  const auto v = std::make_shared<Vars>();
  auto* proxy = app.add_subcommand(
      "proxy",
      "Write a front door (nginx) that reaches every app by name and every preview by path");
  proxy->add_option("--format", v->format, "Only nginx for now")->capture_default_str();
  proxy->add_option("-o,--output", v->output, "Write FILE (only when it changes)")
      ->type_name("FILE");
  proxy->add_flag("--standalone", v->standalone, "A whole nginx.conf, not an http-level include");
  proxy
      ->add_option("--listen", v->listen,
                   "Where nginx listens: [ADDR:]PORT (default 127.0.0.1:80; a PORT alone is on "
                   "127.0.0.1; 0.0.0.0:PORT is every interface)")
      ->type_name("[ADDR:]PORT");
  const auto run = [&o, v]() -> int {
    if (v->format != "nginx") {
      throw usage_error("--format " + quote(v->format) + " is not known; berth writes nginx");
    }
    const std::string listen = parse_listen(v->listen, "--listen");
    Store store = open_store(o, true);
    const auto apps = store.list();
    const auto leases = store.leases(std::nullopt);
    const Page page = v->output.empty() ? Page{} : page_beside(v->output, v->standalone);
    std::string text = nginx_http(apps, leases, listen, apps_without_frontend(store), page.folder);
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
    // The page first: the configuration names it.
    const bool page_changed = write_if_changed(page.file, front_page(apps, leases, listen));
    const bool changed = write_if_changed(v->output, text) || page_changed;
    if (o.json) {
      print_json({{"output", v->output},
                  {"page", page.shown},
                  {"changed", changed},
                  {"apps", apps.size()},
                  {"previews", leases.size()}});
    } else {
      std::cout << (changed ? "wrote " : "unchanged ") << v->output << " and " << page.file.string()
                << " (" << apps.size() << " app(s), " << leases.size() << " preview(s))\n";
    }
    return 0;
  };
  return {proxy, run};
}

}  // namespace berth
