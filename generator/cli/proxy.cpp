#include "generator/cli/command.hpp"

namespace berth {

using nlohmann::json;

namespace {

// Whether a lease id can stand in a URL path as it is (and so in an nginx location).
bool url_safe(const std::string& id) {
  return std::all_of(id.begin(), id.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                              c == '~';
                     }) &&
         id != "." && id != "..";
}

// The port an app is reached on: the one named `frontend`, else its first.
std::uint16_t front_port(const Reservation& r) {
  if (auto p = r.port("frontend")) {
    return *p;
  }
  return r.ports.front().port;
}

const char k_proxy_headers[] =
    "    proxy_http_version 1.1;\n"
    "    proxy_set_header Host $host;\n"
    "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
    "    proxy_set_header X-Forwarded-Proto $scheme;\n"
    "    proxy_set_header Upgrade $http_upgrade;\n"
    "    proxy_set_header Connection $berth_connection_upgrade;\n";

// The http-level configuration: one server per app (by <project>.localhost), and one location
// per lease (/app/preview/<id>/) on the default server.
std::string nginx_http(const std::vector<Reservation>& apps, const std::vector<Lease>& leases,
                       int listen) {
  const std::string port = std::to_string(listen);
  std::string text =
      "# Written by `berth proxy`: every app by name, every preview by path. Do not edit;\n"
      "# run `berth proxy` again (it rewrites this file only when it changes).\n"
      "map $http_upgrade $berth_connection_upgrade {\n"
      "  default upgrade;\n"
      "  '' close;\n"
      "}\n\n";
  for (const auto& r : apps) {
    text += "# " + r.project + ": app " + std::to_string(r.key.app) + "\n";
    text += "server {\n  listen " + port + ";\n  server_name " + r.project + ".localhost;\n";
    text += "  location / {\n    proxy_pass http://127.0.0.1:" + std::to_string(front_port(r)) +
            ";\n" + k_proxy_headers + "  }\n}\n\n";
  }
  text += "# Previews: /app/preview/<id>/ on every other host name.\n";
  text += "server {\n  listen " + port + " default_server;\n  server_name _;\n";
  for (const auto& l : leases) {
    if (!url_safe(l.id)) {
      text += "  # lease " + quote(l.id) + " (port " + std::to_string(l.port) +
              "): its id cannot stand in a URL path\n";
      continue;
    }
    text += "  location /app/preview/" + l.id +
            "/ {\n    proxy_pass http://127.0.0.1:" + std::to_string(l.port) + "/;\n" +
            k_proxy_headers + "  }\n";
  }
  text += "  location / {\n    return 404;\n  }\n}\n";
  return text;
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
    const auto apps = store.list(std::nullopt);
    const auto leases = store.leases(std::nullopt);
    std::string text = nginx_http(apps, leases, v->listen);
    if (v->standalone) {
      // Every path relative to nginx's prefix (-p), so it runs from any folder, as any user.
      std::string indented;
      for (std::size_t i = 0, n; i < text.size(); i = n + 1) {
        n = text.find('\n', i);
        const std::string line = text.substr(i, n - i);
        indented += (line.empty() ? "" : "  ") + line + "\n";
      }
      text =
          "# Written by `berth proxy --standalone`; run: nginx -p DIR -c FILE\n"
          "worker_processes 1;\npid nginx.pid;\nerror_log stderr;\n\nevents {\n"
          "  worker_connections 1024;\n}\n\nhttp {\n  access_log off;\n"
          "  client_body_temp_path tmp/body;\n  proxy_temp_path tmp/proxy;\n"
          "  fastcgi_temp_path tmp/fastcgi;\n  uwsgi_temp_path tmp/uwsgi;\n"
          "  scgi_temp_path tmp/scgi;\n\n" +
          indented + "}\n";
    }
    if (v->output.empty()) {
      std::cout << text;
      return 0;
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
