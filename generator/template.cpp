#include "generator/template.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "generator/fileio.hpp"
#include "store/error.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

bool glob_match(const std::string& pattern, const std::string& path) {
  // Iterative matcher with backtracking over the last star; `**` may cross '/'.
  const auto match = [](const auto& self, std::size_t p, std::size_t s, const std::string& pat,
                        const std::string& str) -> bool {
    while (p < pat.size()) {
      if (pat.compare(p, 3, "**/") == 0) {
        // Zero or more whole components.
        if (self(self, p + 3, s, pat, str)) {
          return true;
        }
        for (std::size_t k = s; k < str.size(); ++k) {
          if (str[k] == '/' && self(self, p + 3, k + 1, pat, str)) {
            return true;
          }
        }
        return false;
      }
      if (pat.compare(p, 2, "**") == 0) {
        for (std::size_t k = s; k <= str.size(); ++k) {
          if (self(self, p + 2, k, pat, str)) {
            return true;
          }
        }
        return false;
      }
      if (pat[p] == '*') {
        for (std::size_t k = s; k <= str.size(); ++k) {
          if (self(self, p + 1, k, pat, str)) {
            return true;
          }
          if (k < str.size() && str[k] == '/') {
            break;
          }
        }
        return false;
      }
      if (s >= str.size() || (pat[p] == '?' ? str[s] == '/' : pat[p] != str[s])) {
        return false;
      }
      ++p;
      ++s;
    }
    return s == str.size();
  };
  return match(match, 0, 0, pattern, path);
}

namespace {

std::vector<std::string> string_list(const json& m, const char* key, const std::string& where,
                                     std::vector<std::string> fallback) {
  if (!m.contains(key)) {
    return fallback;
  }
  if (!m[key].is_array() ||
      !std::all_of(m[key].begin(), m[key].end(), [](const json& j) { return j.is_string(); })) {
    throw usage_error(where + ": \"" + key + "\" must be a list of strings");
  }
  return m[key].get<std::vector<std::string>>();
}

}  // namespace

std::vector<fs::path> template_search_path() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("BERTH_TEMPLATE_PATH"); env && *env) {
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ':')) {
      if (!item.empty()) {
        out.emplace_back(item);
      }
    }
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back(exe.parent_path().parent_path() / "share" / "berth" / "templates");
  }
#ifdef BERTH_SOURCE_TEMPLATES
  out.emplace_back(BERTH_SOURCE_TEMPLATES);
#endif
  return out;
}

Template load_template(const std::string& name_or_dir, const std::vector<fs::path>& search) {
  fs::path root;
  std::error_code ec;
  if (name_or_dir.find('/') != std::string::npos || fs::is_directory(name_or_dir, ec)) {
    root = name_or_dir;
  } else {
    std::string looked;
    for (const auto& dir : search) {
      if (fs::is_regular_file(dir / name_or_dir / "template.json", ec)) {
        root = dir / name_or_dir;
        break;
      }
      looked += (looked.empty() ? "" : ", ") + dir.string();
    }
    if (root.empty()) {
      throw usage_error("no template " + quote(name_or_dir) + " (looked in: " + looked +
                        "); give a template folder or set BERTH_TEMPLATE_PATH");
    }
  }
  const fs::path manifest_path = root / "template.json";
  if (!fs::is_regular_file(manifest_path, ec)) {
    throw usage_error("template folder " + quote(root.string()) + " has no template.json");
  }
  const std::string where = manifest_path.string();
  const json m = json::parse(read_file(manifest_path), nullptr, false);
  if (m.is_discarded() || !m.is_object()) {
    throw usage_error(quote(where) + " is not a valid JSON object");
  }
  for (const auto& [key, value] : m.items()) {
    static const std::vector<std::string> known = {"name",   "description", "ports", "variables",
                                                   "render", "copy",        "modes"};
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw usage_error(where + ": unknown field " + quote(key) +
                        "; known: name, description, ports, variables, render, copy, modes");
    }
  }
  Template t;
  t.root = root;
  if (!m.contains("name") || !m["name"].is_string() || m["name"].get<std::string>().empty()) {
    throw usage_error(where + ": \"name\" must be a non-empty string");
  }
  t.name = m["name"];
  t.description = m.value("description", "");
  t.ports = string_list(m, "ports", where, {});
  if (m.contains("variables")) {
    if (!m["variables"].is_object()) {
      throw usage_error(where +
                        ": \"variables\" must be an object of name: {default, description}");
    }
    for (const auto& [key, v] : m["variables"].items()) {
      if (!v.is_object() || !v.contains("default") || !v["default"].is_string()) {
        throw usage_error(where + ": variable " + quote(key) + " needs a string \"default\"");
      }
      t.variables[key] = {v["default"], v.value("description", "")};
    }
  }
  const auto render_globs = string_list(m, "render", where, {"**"});
  const auto copy_globs = string_list(m, "copy", where, {});
  std::vector<std::pair<std::string, unsigned>> modes;
  if (m.contains("modes")) {
    if (!m["modes"].is_object()) {
      throw usage_error(where + ": \"modes\" must be an object of glob: \"0755\"");
    }
    for (const auto& [glob, mode] : m["modes"].items()) {
      const std::string text = mode.is_string() ? mode.get<std::string>() : "";
      char* end = nullptr;
      const unsigned long value = std::strtoul(text.c_str(), &end, 8);
      if (text.empty() || *end != '\0' || value > 0777) {
        throw usage_error(where + ": mode " + mode.dump() + " for " + quote(glob) +
                          " is not an octal mode such as \"0755\"");
      }
      modes.emplace_back(glob, static_cast<unsigned>(value));
    }
  }

  const fs::path files_dir = root / "files";
  if (!fs::is_directory(files_dir, ec)) {
    throw usage_error("template " + quote(t.name) + " has no files/ folder in " +
                      quote(root.string()));
  }
  const fs::path real_files = fs::canonical(files_dir);
  t.folders = {fs::absolute(root), fs::absolute(files_dir)};
  for (auto it = fs::recursive_directory_iterator(files_dir);
       it != fs::recursive_directory_iterator(); ++it) {
    const fs::path rel = it->path().lexically_relative(files_dir);
    const std::string rel_s = rel.generic_string();
    if (it->is_symlink()) {
      const fs::path target = fs::weakly_canonical(it->path(), ec);
      if (ec || !within(real_files, target)) {
        throw usage_error("template " + quote(t.name) + ": " + quote(rel_s) +
                          " is a symlink leading outside the template; refusing it");
      }
      if (fs::is_directory(target)) {
        throw usage_error("template " + quote(t.name) + ": " + quote(rel_s) +
                          " is a symlink to a folder; templates may link only files");
      }
    } else if (it->is_directory()) {
      t.folders.push_back(fs::absolute(it->path()));
      continue;
    } else if (!it->is_regular_file()) {
      throw usage_error("template " + quote(t.name) + ": " + quote(rel_s) +
                        " is not a regular file");
    }
    TemplateFile f;
    f.path = rel_s;
    const auto matches = [&](const std::vector<std::string>& globs) {
      return std::any_of(globs.begin(), globs.end(),
                         [&](const std::string& g) { return glob_match(g, rel_s); });
    };
    if (matches(copy_globs)) {
      f.render = false;
    } else if (!matches(render_globs)) {
      throw usage_error("template " + quote(t.name) + ": " + quote(rel_s) +
                        " matches neither \"render\" nor \"copy\" in template.json");
    }
    // The most specific (longest) matching glob sets the mode.
    std::size_t best = 0;
    for (const auto& [glob, mode] : modes) {
      if (glob.size() > best && glob_match(glob, rel_s)) {
        f.mode = mode;
        best = glob.size();
      }
    }
    f.content = read_file(it->path());
    t.files.push_back(std::move(f));
  }
  std::sort(t.files.begin(), t.files.end(),
            [](const TemplateFile& a, const TemplateFile& b) { return a.path < b.path; });
  std::sort(t.folders.begin() + 2, t.folders.end());
  return t;
}

}  // namespace berth
