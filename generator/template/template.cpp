#include "generator/template/template.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "generator/io/fileio.hpp"
#include "generator/template/render.hpp"
#include "generator/template/output.hpp"
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

std::optional<fs::path> Template::manifest() const {
  if (bare) {
    return std::nullopt;
  }
  return root / "template.json";
}

bool is_binary(std::string_view b) {
  for (std::size_t i = 0; i < b.size();) {
    const auto c = static_cast<unsigned char>(b[i]);
    if (c == 0) {
      return true;
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Lead byte: sequence length and the smallest value it may encode (no overlong forms).
    std::size_t n = 0;
    std::uint32_t value = 0;
    std::uint32_t least = 0;
    if ((c & 0xE0) == 0xC0) {
      n = 2, value = c & 0x1F, least = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3, value = c & 0x0F, least = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4, value = c & 0x07, least = 0x10000;
    } else {
      return true;
    }
    if (i + n > b.size()) {
      return true;
    }
    for (std::size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(b[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return true;
      }
      value = (value << 6) | (cc & 0x3F);
    }
    if (value < least || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      return true;
    }
    i += n;
  }
  return false;
}

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
      "model", "model_slug", "app_num", "project_name", "PROJECT_NAME", "COMPOSE_PROJECT_NAME"};
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

namespace {

// The folder a template name or folder argument names.
fs::path find_root(const std::string& name_or_dir, const std::vector<fs::path>& search) {
  std::error_code ec;
  if (name_or_dir.find('/') != std::string::npos || fs::is_directory(name_or_dir, ec)) {
    if (!fs::is_directory(name_or_dir, ec)) {
      throw usage_error("template folder " + quote(name_or_dir) + " does not exist" +
                        (fs::exists(name_or_dir, ec) ? " as a folder" : ""));
    }
    return name_or_dir;
  }
  std::string looked;
  for (const auto& dir : search) {
    // The first folder of that name is the template: with a manifest or bare, never skipped.
    if (fs::is_directory(dir / name_or_dir, ec)) {
      return dir / name_or_dir;
    }
    looked += (looked.empty() ? "" : ", ") + dir.string();
  }
  throw usage_error("no template " + quote(name_or_dir) + " (looked in: " + looked +
                    "); give a template folder or set BERTH_TEMPLATE_PATH; `berth templates` "
                    "lists the ones berth finds");
}

}  // namespace

Template load_template(const std::string& name_or_dir, const std::vector<fs::path>& search) {
  std::error_code ec;
  Template t;
  t.root = find_root(name_or_dir, search);
  const fs::path manifest_path = t.root / "template.json";
  const auto manifest_status = fs::symlink_status(manifest_path, ec);
  t.bare = manifest_status.type() == fs::file_type::not_found;
  if (!t.bare && !fs::is_regular_file(manifest_path, ec)) {
    throw usage_error(quote(manifest_path.string()) + " is not a regular file");
  }
  json m = json::object();
  const std::string where = manifest_path.string();
  if (!t.bare) {
    m = json::parse(read_file(manifest_path), nullptr, false);
    if (m.is_discarded()) {
      throw usage_error(quote(where) + " is not valid JSON");
    }
  }
  const JsonFields f(m, where);
  f.only({"name", "description", "ports", "variables", "render", "copy", "starter", "modes",
          "parts", "needs", "variants"});
  if (t.bare) {
    fs::path folder = fs::absolute(t.root).lexically_normal();
    if (!folder.has_filename()) {
      folder = folder.parent_path();  // "mine/" is the folder "mine"
    }
    t.name = folder.filename().string();
    t.description = "bare template (no template.json)";
  } else {
    t.name = f.string("name");
    if (t.name.empty()) {
      f.fail("\"name\" must be a non-empty string");
    }
    t.description = f.string_or("description", "");
  }
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
      TemplateVariable tv;
      if (var.has("default")) {
        tv.default_value = var.string("default");
      }
      tv.description = var.string_or("description", "");
      try {
        if (tv.default_value) {
          check_text(*tv.default_value, "variable " + quote(key) + "'s default");
        }
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
  const auto starter_globs = f.strings_or("starter", {});
  for (const auto* globs : {&render_globs, &copy_globs, &starter_globs}) {
    std::for_each(globs->begin(), globs->end(), check_glob);
  }
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

  // Parts: named groups of files an app may have or lack, and the files that depend on others.
  if (f.has("parts")) {
    for (const auto& [part, globs] : f.object("parts").items()) {
      if (part == "root" || !globs.is_array() || globs.empty() ||
          !std::all_of(globs.begin(), globs.end(), [](const json& g) { return g.is_string(); })) {
        f.fail("part " + quote(part) +
               " must be a non-empty list of globs (and not named \"root\": the files in no part "
               "are the root files)");
      }
      auto& list = t.parts[part];
      for (const auto& g : globs) {
        check_glob(g.get<std::string>());
        list.push_back(g.get<std::string>());
      }
    }
  }
  if (f.has("needs")) {
    for (const auto& [file, by] : f.object("needs").items()) {
      const JsonFields need(by, where + ": needs " + quote(file));
      for (const auto& [manifest_file, deps] : by.items()) {
        t.needs[file][manifest_file] = need.strings_or(manifest_file.c_str(), {});
      }
    }
  }

  if (f.has("variants")) {
    for (const auto& [name, v] : f.object("variants").items()) {
      const JsonFields var(v, where + ": variant " + quote(name));
      var.only({"when", "extra"});
      if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
        var.fail("the name must be a plain folder name (its files are in variants/<name>/)");
      }
      const auto& when = var.object("when");
      if (when.size() != 1 || !when.begin().value().is_string()) {
        var.fail("\"when\" must be one {\"variable\": \"value\"}");
      }
      TemplateVariant tv;
      tv.variable = when.begin().key();
      tv.value = when.begin().value().get<std::string>();
      if (!t.variables.count(tv.variable)) {
        var.fail("\"when\" names " + quote(tv.variable) + ", which is not a declared variable");
      }
      tv.extra = var.strings_or("extra", {});
      for (const auto& pool : tv.extra) {
        try {
          validate_pool_name(pool);
        } catch (const Error& e) {
          var.fail(e.what());
        }
      }
      t.variants[name] = std::move(tv);
    }
  }

  // The files: under files/ when the manifest has that folder, else beside the manifest (or
  // the whole bare folder).
  t.files_dir = t.root;
  if (!t.bare && fs::is_directory(t.root / "files", ec)) {
    t.files_dir = t.root / "files";
  }
  const bool beside = t.files_dir == t.root;
  t.folders = {fs::absolute(t.root), fs::absolute(t.files_dir)};
  const std::string shown =
      t.bare ? "bare template " + quote(t.root.string()) : "template " + quote(t.name);
  const auto load_files = [&](const fs::path& dir, bool skip_own) {
    std::vector<TemplateFile> files;
    const fs::path real_files = fs::canonical(dir);
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
      const fs::path rel = it->path().lexically_relative(dir);
      const std::string rel_s = rel.generic_string();
      if (skip_own && (rel_s == "template.json" || rel_s == ".git" ||
                       rel_s == k_scaffold_manifest || (rel_s == "without" && !t.parts.empty()) ||
                       (rel_s == "variants" && !t.variants.empty()))) {
        if (it->is_directory() && !it->is_symlink()) {
          it.disable_recursion_pending();
        }
        continue;  // the manifests, part variants and a version-control folder are not app files
      }
      if (it->is_symlink()) {
        const fs::path target = fs::weakly_canonical(it->path(), ec);
        if (ec || !within(real_files, target)) {
          throw usage_error(shown + ": " + quote(rel_s) +
                            " is a symlink leading outside the template; refusing it");
        }
        if (fs::is_directory(target)) {
          throw usage_error(shown + ": " + quote(rel_s) +
                            " is a symlink to a folder; templates may link only files");
        }
      } else if (it->is_directory()) {
        t.folders.push_back(fs::absolute(it->path()));
        continue;
      } else if (!it->is_regular_file()) {
        throw usage_error(shown + ": " + quote(rel_s) + " is not a regular file");
      }
      TemplateFile tf;
      tf.path = rel_s;
      tf.content = read_file(it->path());
      tf.binary = is_binary(tf.content);
      const auto matches = [&](const std::vector<std::string>& globs) {
        return std::any_of(globs.begin(), globs.end(),
                           [&](const std::string& g) { return glob_match(g, rel_s); });
      };
      if (matches(copy_globs)) {
        tf.render = false;
      } else if (!matches(render_globs)) {
        throw usage_error(shown + ": " + quote(rel_s) +
                          " matches neither \"render\" nor \"copy\" in template.json");
      } else if (tf.binary) {
        // A binary file is rendered only when a glob other than the catch-all names it.
        tf.render =
            std::any_of(render_globs.begin(), render_globs.end(),
                        [&](const std::string& g) { return g != "**" && glob_match(g, rel_s); });
      }
      tf.starter = matches(starter_globs);
      for (const auto& [part, globs] : t.parts) {
        if (matches(globs)) {
          if (!tf.part.empty()) {
            throw usage_error(shown + ": " + quote(rel_s) + " is in two parts, " + quote(tf.part) +
                              " and " + quote(part) + "; a file is in one");
          }
          tf.part = part;
        }
      }
      // The most specific (longest) matching glob sets the mode; else the file's executable bit.
      std::size_t best = 0;
      for (const auto& [glob, mode] : modes) {
        if (glob.size() > best && glob_match(glob, rel_s)) {
          tf.mode = mode;
          tf.mode_set = true;
          best = glob.size();
        }
      }
      if (!tf.mode_set) {
        const auto perms = fs::status(it->path(), ec).permissions();
        tf.mode = (perms & fs::perms::owner_exec) != fs::perms::none ? 0755 : 0644;
      }
      files.push_back(std::move(tf));
    }
    std::sort(files.begin(), files.end(),
              [](const TemplateFile& a, const TemplateFile& b) { return a.path < b.path; });
    return files;
  };
  t.files = load_files(t.files_dir, beside);
  // without/<part>/: the files an app lacking that part gets instead (a compose file without
  // the frontend's service, say).
  for (const auto& [part, globs] : t.parts) {
    const fs::path variant = t.root / "without" / part;
    if (fs::is_directory(variant, ec)) {
      t.folders.push_back(fs::absolute(t.root / "without"));
      t.folders.push_back(fs::absolute(variant));
      t.without[part] = load_files(variant, false);
    }
  }
  // variants/<name>/: the files an app gets when the variant's variable has its value.
  for (auto& [name, variant] : t.variants) {
    const fs::path dir = t.root / "variants" / name;
    if (fs::is_directory(dir, ec)) {
      t.folders.push_back(fs::absolute(t.root / "variants"));
      t.folders.push_back(fs::absolute(dir));
      variant.files = load_files(dir, false);
    }
  }
  std::sort(t.folders.begin() + 2, t.folders.end());
  t.folders.erase(std::unique(t.folders.begin() + 2, t.folders.end()), t.folders.end());
  if (t.files.empty()) {
    throw usage_error(shown + " holds no files in " + quote(t.files_dir.string()));
  }
  if (t.bare) {
    // The ports and variables are what the placeholders ask for.
    const PlaceholderScan scan = scan_placeholders(t.files);
    t.ports = scan.ports;
    for (const auto& [key, use] : scan.variables) {
      t.variables[key] = TemplateVariable{std::nullopt, "found in " + use.files.front()};
    }
  }
  return t;
}

std::vector<const TemplateVariant*> selected_variants(
    const Template& tmpl, const std::map<std::string, std::string>& sets) {
  std::vector<const TemplateVariant*> out;
  for (const auto& [name, v] : tmpl.variants) {
    std::optional<std::string> value;
    if (auto it = sets.find(v.variable); it != sets.end()) {
      value = it->second;
    } else if (auto var = tmpl.variables.find(v.variable); var != tmpl.variables.end()) {
      value = var->second.default_value;
    }
    if (value == v.value) {
      out.push_back(&v);
    }
  }
  return out;
}

std::vector<std::string> extra_pools(const Template& tmpl,
                                     const std::map<std::string, std::string>& sets) {
  std::vector<std::string> out;
  for (const auto* v : selected_variants(tmpl, sets)) {
    for (const auto& pool : v->extra) {
      if (std::find(out.begin(), out.end(), pool) == out.end()) {
        out.push_back(pool);
      }
    }
  }
  return out;
}

}  // namespace berth
