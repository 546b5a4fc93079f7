#include "generator/template/template.hpp"

#include <cctype>
#include <set>

#include "generator/template/render.hpp"
#include "store/error.hpp"
#include "store/model.hpp"

namespace berth {

std::string legacy_port_key(const std::string& port) {
  std::string key = port;
  for (char& c : key) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return key + "_PORT";
}

std::string strip_json_form(const std::string& key) {
  const bool json_form = key.size() > 5 && key.compare(key.size() - 5, 5, "_json") == 0;
  return json_form ? key.substr(0, key.size() - 5) : key;
}

KeyKind classify_key(const std::string& key) {
  const std::string base = strip_json_form(key);
  static const std::set<std::string> fixed = {
      "model",        "model_slug",          "app_num", "namespace", "project_name",
      "PROJECT_NAME", "COMPOSE_PROJECT_NAME"};
  KeyKind kind;
  if (fixed.count(base)) {
    kind.berth = true;
    return kind;
  }
  const auto port_of = [&](const std::string& suffix, bool upper) -> std::optional<std::string> {
    if (base.size() <= suffix.size() ||
        base.compare(base.size() - suffix.size(), suffix.size(), suffix) != 0) {
      return std::nullopt;
    }
    std::string name = base.substr(0, base.size() - suffix.size());
    if (upper) {
      for (char& c : name) {
        if (c >= 'a' && c <= 'z') {
          return std::nullopt;  // BACKEND_PORT, not Backend_PORT
        }
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    try {
      validate_port_name(name);
    } catch (const Error&) {
      return std::nullopt;
    }
    return name;
  };
  kind.port = port_of("_port", false);
  if (!kind.port) {
    kind.port = port_of("_PORT", true);
  }
  kind.berth = kind.port.has_value();
  return kind;
}

PlaceholderScan scan_placeholders(const std::vector<TemplateFile>& files) {
  std::set<std::string> ports;
  std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>> found;
  for (const auto& f : files) {
    auto uses = placeholders(f.path);
    if (f.render) {
      auto body = placeholders(f.content);
      uses.insert(uses.end(), body.begin(), body.end());
    }
    for (const auto& use : uses) {
      const KeyKind kind = classify_key(use.key);
      if (kind.port) {
        ports.insert(*kind.port);
      } else if (!kind.berth) {
        // `{{title_json}}` uses the variable `title`, in its JSON form.
        auto& [defaults, in_files] = found[strip_json_form(use.key)];
        if (use.fallback) {
          defaults.insert(*use.fallback);
        }
        in_files.insert(f.path);
      }
    }
  }
  PlaceholderScan out;
  out.ports.assign(ports.begin(), ports.end());
  for (auto& [key, uses] : found) {
    out.variables[key] = {{uses.first.begin(), uses.first.end()},
                          {uses.second.begin(), uses.second.end()}};
  }
  return out;
}

}  // namespace berth
