#include "generator/app/app_ports.hpp"

#include <algorithm>
#include <optional>
#include <sstream>

#include "generator/io/fileio.hpp"
#include "generator/template/template.hpp"

namespace berth {

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) {
    return "";
  }
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

std::optional<std::uint16_t> port_number(std::string text) {
  text = trim(text);
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') &&
      text.back() == text.front()) {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const long n = std::stol(text);
  if (n < 1 || n > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(n);
}

// `<NAME>_PORT=N` lines of a `.env` (an `export ` prefix allowed), the first for each name.
std::map<std::string, std::uint16_t> env_ports(const std::string& env,
                                               const std::vector<std::string>& names) {
  std::map<std::string, std::uint16_t> out;
  std::istringstream lines(env);
  for (std::string line; std::getline(lines, line);) {
    line = trim(line);
    if (line.rfind("export ", 0) == 0) {
      line = trim(line.substr(7));
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      continue;
    }
    const std::string key = trim(line.substr(0, eq));
    for (const auto& name : names) {
      if (key == legacy_port_key(name) && !out.count(name)) {
        if (const auto port = port_number(line.substr(eq + 1))) {
          out[name] = *port;
        }
      }
    }
  }
  return out;
}

// The host port of a compose `ports:` item ("127.0.0.1:5001:5001" -> 5001); none for one that
// uses a variable.
std::optional<std::uint16_t> published_port(std::string item) {
  if (item.size() >= 2 && (item.front() == '"' || item.front() == '\'')) {
    item = item.substr(1, item.size() - 2);
  }
  if (item.find("${") != std::string::npos) {
    return std::nullopt;
  }
  std::vector<std::string> parts;
  std::stringstream ss(item);
  for (std::string p; std::getline(ss, p, ':');) {
    parts.push_back(p);
  }
  return parts.size() >= 2 ? port_number(parts[parts.size() - 2]) : std::nullopt;
}

// A line scan of a compose file's usual layout: services: / <name>: / ports: / - "HOST:CONTAINER".
struct ComposeScan {
  explicit ComposeScan(const std::vector<std::string>& port_names) : names(port_names) {}

  const std::vector<std::string>& names;
  std::map<std::string, std::uint16_t> out;
  bool in_services = false;
  std::size_t service_indent = 0;
  std::string service;
  std::size_t ports_indent = std::string::npos;

  void line(const std::string& line) {
    const std::size_t indent = line.find_first_not_of(' ');
    const std::string body = trim(line);
    if (body.empty() || body[0] == '#') {
      return;
    }
    if (indent == 0) {
      in_services = body == "services:";
      service.clear();
      service_indent = 0;
      return;
    }
    if (!in_services) {
      return;
    }
    if (service_indent == 0) {
      service_indent = indent;
    }
    if (indent == service_indent && body.back() == ':') {
      service = body.substr(0, body.size() - 1);
      ports_indent = std::string::npos;
    } else if (body == "ports:") {
      ports_indent = indent;
    } else if (ports_indent == std::string::npos || indent < ports_indent || body[0] != '-') {
      if (indent <= ports_indent) {
        ports_indent = std::string::npos;
      }
    } else if (std::count(names.begin(), names.end(), service) && !out.count(service)) {
      if (const auto port = published_port(trim(body.substr(1)))) {
        out[service] = *port;
      }
    }
  }
};

// A regular file's content (never through a symlink: an app's file may lead anywhere).
std::optional<std::string> read_plain(const fs::path& p) {
  std::error_code ec;
  if (fs::symlink_status(p, ec).type() != fs::file_type::regular) {
    return std::nullopt;
  }
  return read_if_file(p);
}

}  // namespace

std::map<std::string, std::uint16_t> find_app_ports(const fs::path& dir,
                                                    const std::vector<std::string>& names,
                                                    std::string& from) {
  if (const auto env = read_plain(dir / ".env")) {
    auto out = env_ports(*env, names);
    if (!out.empty()) {
      from = ".env";
      return out;
    }
  }
  for (const char* file :
       {"docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml"}) {
    const auto text = read_plain(dir / file);
    if (!text) {
      continue;
    }
    ComposeScan scan(names);
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
      scan.line(line);
    }
    if (!scan.out.empty()) {
      from = file;
      return scan.out;
    }
  }
  return {};
}

}  // namespace berth
