#include "generator/host/proxy.hpp"

#include <algorithm>

#include "store/error.hpp"

namespace berth {

bool url_safe(const std::string& id) {
  return std::all_of(id.begin(), id.end(),
                     [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                              c == '~';
                     }) &&
         id != "." && id != "..";
}

namespace {

// The port an app is reached on: the one named `frontend` (unless the app has no frontend, when
// its `backend`), else its first.
std::uint16_t front_port(const Reservation& r, bool has_frontend) {
  if (auto p = r.port("frontend"); p && has_frontend) {
    return *p;
  }
  if (auto p = r.port("backend"); p && !has_frontend) {
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

// nginx's server-name hash is sized for short names (a bucket of 64 bytes, 512 entries): long
// project names (up to 63 bytes, plus ".localhost") or thousands of apps need it larger, or
// nginx refuses to start. Nothing is written while the defaults do.
std::string hash_sizes(const std::vector<Reservation>& apps) {
  std::size_t longest = 0;
  for (const auto& r : apps) {
    longest = std::max(longest, r.project.size() + std::string(".localhost").size());
  }
  std::string text;
  if (longest >= 32) {
    text += "server_names_hash_bucket_size 128;\n";
  }
  std::size_t max_size = 512;
  while (max_size < 2 * apps.size()) {
    max_size *= 2;
  }
  if (max_size > 512) {
    text += "server_names_hash_max_size " + std::to_string(max_size) + ";\n";
  }
  return text.empty() ? text : "# Room for every app's host name.\n" + text + "\n";
}

}  // namespace

std::string nginx_http(const std::vector<Reservation>& apps, const std::vector<Lease>& leases,
                       const std::string& listen, const std::set<AppKey>& without_frontend,
                       const std::string& page_folder) {
  std::string text =
      "# Written by `berth proxy`: every app by name, every preview by path. Do not edit;\n"
      "# run `berth proxy` again (it rewrites this file only when it changes).\n"
      "map $http_upgrade $berth_connection_upgrade {\n"
      "  default upgrade;\n"
      "  '' close;\n"
      "}\n\n" +
      hash_sizes(apps);
  for (const auto& r : apps) {
    text += "# " + r.project + ": app " + std::to_string(r.key.app) + "\n";
    text += "server {\n  listen " + listen + ";\n  server_name " + r.project + ".localhost;\n";
    text += "  location / {\n    proxy_pass http://127.0.0.1:" +
            std::to_string(front_port(r, !without_frontend.count(r.key))) + ";\n" +
            k_proxy_headers + "  }\n}\n\n";
  }
  text += "# Previews: /app/preview/<id>/ on every other host name.\n";
  text += "server {\n  listen " + listen + " default_server;\n  server_name _;\n";
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
  if (!page_folder.empty()) {
    text += std::string("  # The front page: every app and preview (berth proxy writes it).\n") +
            "  location = / {\n    root " + page_folder + ";\n    default_type text/html;\n" +
            "    try_files /" + k_front_page_name + " =404;\n  }\n";
  }
  text += "  location / {\n    return 404;\n  }\n}\n";
  return text;
}

std::string nginx_standalone(const std::string& http) {
  std::string indented;
  for (std::size_t i = 0, n; i < http.size(); i = n + 1) {
    n = http.find('\n', i);
    const std::string line = http.substr(i, n - i);
    indented += (line.empty() ? "" : "  ") + line + "\n";
  }
  return "# Written by `berth proxy --standalone`; run: nginx -p DIR -c FILE\n"
         "worker_processes 1;\npid nginx.pid;\nerror_log stderr;\n\nevents {\n"
         "  worker_connections 1024;\n}\n\nhttp {\n  access_log off;\n"
         "  client_body_temp_path tmp/body;\n  proxy_temp_path tmp/proxy;\n"
         "  fastcgi_temp_path tmp/fastcgi;\n  uwsgi_temp_path tmp/uwsgi;\n"
         "  scgi_temp_path tmp/scgi;\n\n" +
         indented + "}\n";
}

}  // namespace berth
