#include "generator/template.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "generator/fileio.hpp"
#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/model.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

bool glob_match(const std::string& pattern, const std::string& path) {
  // Backtracking over (pattern position, path position) pairs, each tried at most once: a pair
  // that failed fails again, so the work is bounded by |pattern| x |path| steps, whatever the
  // stars (a plain backtracking matcher is exponential on "*a*a*a*...b").
  const std::size_t width = path.size() + 1;
  std::vector<bool> failed((pattern.size() + 1) * width, false);
  const auto match = [&](const auto& self, std::size_t p, std::size_t s) -> bool {
    while (p < pattern.size()) {
      if (failed[p * width + s]) {
        return false;
      }
      bool ok = false;
      if (pattern.compare(p, 3, "**/") == 0) {
        // Zero or more whole components.
        ok = self(self, p + 3, s);
        for (std::size_t k = s; !ok && k < path.size(); ++k) {
          ok = path[k] == '/' && self(self, p + 3, k + 1);
        }
      } else if (pattern.compare(p, 2, "**") == 0) {
        for (std::size_t k = s; !ok && k <= path.size(); ++k) {
          ok = self(self, p + 2, k);
        }
      } else if (pattern[p] == '*') {
        for (std::size_t k = s; !ok && k <= path.size(); ++k) {
          ok = self(self, p + 1, k);
          if (k < path.size() && path[k] == '/') {
            break;
          }
        }
      } else if (s < path.size() && (pattern[p] == '?' ? path[s] != '/' : pattern[p] == path[s])) {
        ++p;
        ++s;
        continue;
      }
      if (!ok) {
        failed[p * width + s] = true;
      }
      return ok;
    }
    return s == path.size();
  };
  return match(match, 0, 0);
}

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
  if (m.is_discarded()) {
    throw usage_error(quote(where) + " is not valid JSON");
  }
  const JsonFields f(m, where);
  f.only({"name", "description", "ports", "variables", "render", "copy", "modes"});
  Template t;
  t.root = root;
  t.name = f.string("name");
  if (t.name.empty()) {
    f.fail("\"name\" must be a non-empty string");
  }
  t.description = f.string_or("description", "");
  t.ports = f.strings_or("ports", {});
  for (const auto& port : t.ports) {
    try {
      validate_port_name(port);
    } catch (const Error& e) {
      f.fail(e.what());
    }
  }
  if (f.has("variables")) {
    for (const auto& [key, v] : f.object("variables").items()) {
      const JsonFields var(v, where + ": variable " + quote(key));
      var.only({"default", "description"});
      TemplateVariable tv{var.string("default"), var.string_or("description", "")};
      try {
        check_text(tv.default_value, "variable " + quote(key) + "'s default");
      } catch (const Error& e) {
        f.fail(e.what());
      }
      t.variables[key] = tv;
    }
  }
  const auto check_glob = [&](const std::string& glob) {
    if (glob.size() > k_max_glob_bytes) {
      f.fail("glob " + quote(glob.substr(0, 40)) + "... is longer than " +
             std::to_string(k_max_glob_bytes) + " bytes");
    }
  };
  const auto render_globs = f.strings_or("render", {"**"});
  const auto copy_globs = f.strings_or("copy", {});
  std::for_each(render_globs.begin(), render_globs.end(), check_glob);
  std::for_each(copy_globs.begin(), copy_globs.end(), check_glob);
  std::vector<std::pair<std::string, unsigned>> modes;
  if (f.has("modes")) {
    for (const auto& [glob, mode] : f.object("modes").items()) {
      check_glob(glob);
      const std::string text = mode.is_string() ? mode.get<std::string>() : "";
      char* end = nullptr;
      const unsigned long value = std::strtoul(text.c_str(), &end, 8);
      if (text.empty() || *end != '\0' || value > 0777) {
        f.fail("mode " + json_shown(mode) + " for " + quote(glob) +
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
