#include "generator/template/template.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "generator/io/fileio.hpp"
#include "generator/template/output.hpp"
#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/model.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

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

// The manifest's JSON (an empty object for a bare template).
json read_manifest_json(const Template& t, const fs::path& manifest_path) {
  if (t.bare) {
    return json::object();
  }
  std::error_code ec;
  if (!fs::is_regular_file(manifest_path, ec)) {
    throw usage_error(quote(manifest_path.string()) + " is not a regular file");
  }
  return parse_json(read_file(manifest_path), quote(manifest_path.string()));
}

// The globs of template.json that sort a template's files.
struct Globs {
  std::vector<std::string> render;
  std::vector<std::string> copy;
  std::vector<std::string> starter;
};

// Reads one template folder's manifest and files into a Template.
class Loader {
 public:
  Loader(Template& t, const JsonFields& f, const std::string& where)
      : m_t(t), m_f(f), m_where(where) {}

  void identity() {
    if (m_t.bare) {
      fs::path folder = fs::absolute(m_t.root).lexically_normal();
      if (!folder.has_filename()) {
        folder = folder.parent_path();  // "mine/" is the folder "mine"
      }
      m_t.name = folder.filename().string();
      m_t.description = "bare template (no template.json)";
    } else {
      m_t.name = m_f.string("name");
      if (m_t.name.empty()) {
        m_f.fail("\"name\" must be a non-empty string");
      }
      m_t.description = m_f.string_or("description", "");
    }
    m_t.ports = m_f.strings_or("ports", {});
    for (const auto& port : m_t.ports) {
      try {
        validate_port_name(port);
      } catch (const Error& e) {
        m_f.fail(e.what());
      }
    }
  }

  void variables() {
    if (!m_f.has("variables")) {
      return;
    }
    for (const auto& [key, v] : m_f.object("variables").items()) {
      if (!is_placeholder_key(key)) {
        m_f.fail("variable " + quote(key) +
                 " is not a placeholder key: letters, digits and '_', not starting with a digit "
                 "(a placeholder {{" +
                 key + "}} could never name it)");
      }
      m_t.variables[key] = variable(key, v);
    }
  }

  // A path the manifest names (`needs`) follows the rules of every template path: relative,
  // inside the app folder.
  void check_path(const std::string& path, const std::string& what) const {
    try {
      check_relative(path, what);
    } catch (const Error& e) {
      m_f.fail(e.what());
    }
  }

  TemplateVariable variable(const std::string& key, const json& v) {
    const JsonFields var(v, m_where + ": variable " + quote(key));
    var.only({"default", "description", "pattern"});
    TemplateVariable tv;
    if (var.has("default")) {
      tv.default_value = var.string("default");
    }
    tv.description = var.string_or("description", "");
    tv.pattern = var.string_or("pattern", "");
    if (!tv.pattern.empty()) {
      try {
        auto& compiled = m_patterns[tv.pattern];  // a pattern several variables share, once
        if (!compiled) {
          compiled = std::make_shared<const Pattern>(tv.pattern, std::regex::ECMAScript);
        }
        tv.matcher = compiled;
      } catch (const std::regex_error& e) {
        var.fail("\"pattern\" " + quote(tv.pattern) + " is not a regular expression: " + e.what());
      }
    }
    try {
      if (tv.default_value) {
        check_text(*tv.default_value, "variable " + quote(key) + "'s default");
        check_variable(key, tv, *tv.default_value);
      }
    } catch (const Error& e) {
      m_f.fail(e.what());
    }
    return tv;
  }

  void check_glob(const std::string& glob) const {
    if (glob.size() > k_max_glob_bytes) {
      m_f.fail("glob " + quote(glob.substr(0, 40)) + "... is longer than " +
               std::to_string(k_max_glob_bytes) + " bytes");
    }
  }

  void globs() {
    m_globs.render = m_f.strings_or("render", {"**"});
    m_globs.copy = m_f.strings_or("copy", {});
    m_globs.starter = m_f.strings_or("starter", {});
    for (const auto* globs : {&m_globs.render, &m_globs.copy, &m_globs.starter}) {
      for (const auto& g : *globs) {
        check_glob(g);
      }
    }
    if (!m_f.has("modes")) {
      return;
    }
    for (const auto& [glob, mode] : m_f.object("modes").items()) {
      check_glob(glob);
      const std::string text = mode.is_string() ? mode.get<std::string>() : "";
      char* end = nullptr;
      const unsigned long value = std::strtoul(text.c_str(), &end, 8);
      if (text.empty() || text.find_first_not_of("01234567") != std::string::npos || *end != '\0' ||
          value > 0777) {
        m_f.fail("mode " + json_shown(mode) + " for " + quote(glob) +
                 " is not an octal mode such as \"0755\"");
      }
      m_t.modes.emplace_back(glob, static_cast<unsigned>(value));
    }
  }

  // Parts: named groups of files an app may have or lack, and the files that depend on others.
  void parts_and_needs() {
    if (m_f.has("parts")) {
      for (const auto& [part, globs] : m_f.object("parts").items()) {
        if (part == "root" || !globs.is_array() || globs.empty() ||
            !std::all_of(globs.begin(), globs.end(), [](const json& g) { return g.is_string(); })) {
          m_f.fail("part " + quote(part) +
                   " must be a non-empty list of globs (and not named \"root\": the files in no "
                   "part are the root files)");
        }
        auto& list = m_t.parts[part];
        for (const auto& g : globs) {
          check_glob(g.get<std::string>());
          list.push_back(g.get<std::string>());
        }
      }
    }
    if (m_f.has("needs")) {
      for (const auto& [file, by] : m_f.object("needs").items()) {
        const JsonFields need(by, m_where + ": needs " + quote(file));
        check_path(file, "needs file");
        for (const auto& [manifest_file, deps] : by.items()) {
          check_path(manifest_file, "needs dependency list");
          m_t.needs[file][manifest_file] = need.strings_or(manifest_file.c_str(), {});
        }
      }
    }
  }

  TemplateVariant variant(const std::string& name, const json& v) const {
    const JsonFields var(v, m_where + ": variant " + quote(name));
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
    if (!m_t.variables.count(tv.variable)) {
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
    return tv;
  }

  void variants() {
    if (m_f.has("variants")) {
      for (const auto& [name, v] : m_f.object("variants").items()) {
        m_t.variants[name] = variant(name, v);
      }
    }
  }

  // The files: under files/ when the manifest has that folder, else beside the manifest (or the
  // whole bare folder); then without/<part>/ and variants/<name>/.
  void files() {
    std::error_code ec;
    m_t.files_dir = m_t.root;
    if (!m_t.bare && fs::is_directory(m_t.root / "files", ec)) {
      m_t.files_dir = m_t.root / "files";
    }
    m_t.folders = {fs::absolute(m_t.root), fs::absolute(m_t.files_dir)};
    m_shown =
        m_t.bare ? "bare template " + quote(m_t.root.string()) : "template " + quote(m_t.name);
    m_t.files = load_files(m_t.files_dir, m_t.files_dir == m_t.root);
    // without/<part>/: the files an app lacking that part gets instead (a compose file without
    // the frontend's service, say).
    for (const auto& [part, globs] : m_t.parts) {
      const fs::path variant = m_t.root / "without" / part;
      if (fs::is_directory(variant, ec)) {
        m_t.folders.push_back(fs::absolute(m_t.root / "without"));
        m_t.folders.push_back(fs::absolute(variant));
        m_t.without[part] = load_files(variant, false);
      }
    }
    // variants/<name>/: the files an app gets when the variant's variable has its value.
    for (auto& [name, variant] : m_t.variants) {
      const fs::path dir = m_t.root / "variants" / name;
      if (fs::is_directory(dir, ec)) {
        m_t.folders.push_back(fs::absolute(m_t.root / "variants"));
        m_t.folders.push_back(fs::absolute(dir));
        variant.files = load_files(dir, false);
      }
    }
    std::sort(m_t.folders.begin() + 2, m_t.folders.end());
    m_t.folders.erase(std::unique(m_t.folders.begin() + 2, m_t.folders.end()), m_t.folders.end());
    if (m_t.files.empty()) {
      throw usage_error(m_shown + " holds no files in " + quote(m_t.files_dir.string()));
    }
  }

 private:
  // Whether `rel` is the template's own (the manifests, part variants and a version-control
  // folder), not an app file.
  bool own_entry(const std::string& rel) const {
    return rel == "template.json" || rel == ".git" || rel == k_scaffold_manifest ||
           (rel == "without" && !m_t.parts.empty()) || (rel == "variants" && !m_t.variants.empty());
  }

  // Throws unless a symlink in the template leads to a file inside it.
  void check_symlink(const fs::directory_entry& entry, const fs::path& real_files,
                     const std::string& rel) const {
    std::error_code ec;
    const fs::path target = fs::weakly_canonical(entry.path(), ec);
    if (ec || !within(real_files, target)) {
      throw usage_error(m_shown + ": " + quote(rel) +
                        " is a symlink leading outside the template; refusing it");
    }
    if (fs::is_directory(target)) {
      throw usage_error(m_shown + ": " + quote(rel) +
                        " is a symlink to a folder; templates may link only files");
    }
  }

  // How the globs treat one file: rendered or copied, starter, its part and its mode.
  // `perms`: the file's permission bits, as read.
  void classify(TemplateFile& tf, unsigned perms) const {
    const std::string& rel = tf.path;
    const auto matches = [&](const std::vector<std::string>& globs) {
      return std::any_of(globs.begin(), globs.end(),
                         [&](const std::string& g) { return glob_match(g, rel); });
    };
    if (matches(m_globs.copy)) {
      tf.render = false;
    } else if (!matches(m_globs.render)) {
      throw usage_error(m_shown + ": " + quote(rel) +
                        " matches neither \"render\" nor \"copy\" in template.json");
    } else if (tf.binary) {
      // A binary file is rendered only when a glob other than the catch-all names it.
      tf.render =
          std::any_of(m_globs.render.begin(), m_globs.render.end(),
                      [&](const std::string& g) { return g != "**" && glob_match(g, rel); });
    }
    tf.starter = matches(m_globs.starter);
    for (const auto& [part, globs] : m_t.parts) {
      if (matches(globs)) {
        if (!tf.part.empty()) {
          throw usage_error(m_shown + ": " + quote(rel) + " is in two parts, " + quote(tf.part) +
                            " and " + quote(part) + "; a file is in one");
        }
        tf.part = part;
      }
    }
    set_mode(tf, perms);
  }

  // The most specific (longest) matching `modes` glob sets the mode; else the file's executable
  // bit.
  void set_mode(TemplateFile& tf, unsigned perms) const {
    if (const auto mode = mode_of(m_t, tf.path)) {
      tf.mode = *mode;
      tf.mode_set = true;
      return;
    }
    tf.mode = (perms & 0100) != 0 ? 0755 : 0644;  // the owner's executable bit
  }

  std::vector<TemplateFile> load_files(const fs::path& dir, bool skip_own) {
    std::vector<TemplateFile> files;
    std::optional<fs::path> real_files;  // asked only when a symlink needs it (a readlink a level)
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
      const std::string rel = it->path().lexically_relative(dir).generic_string();
      if (skip_own && own_entry(rel)) {
        if (it->is_directory() && !it->is_symlink()) {
          it.disable_recursion_pending();
        }
        continue;
      }
      if (it->is_symlink()) {
        if (!real_files) {
          real_files = fs::canonical(dir);
        }
        check_symlink(*it, *real_files, rel);
      } else if (it->is_directory()) {
        m_t.folders.push_back(fs::absolute(it->path()));
        continue;
      } else if (!it->is_regular_file()) {
        throw usage_error(m_shown + ": " + quote(rel) + " is not a regular file");
      }
      TemplateFile tf;
      tf.path = rel;
      unsigned perms = 0;
      tf.content = read_file(it->path(), &perms);
      tf.binary = is_binary(tf.content);
      classify(tf, perms);
      files.push_back(std::move(tf));
    }
    std::sort(files.begin(), files.end(),
              [](const TemplateFile& a, const TemplateFile& b) { return a.path < b.path; });
    return files;
  }

  Template& m_t;
  const JsonFields& m_f;
  const std::string& m_where;
  // Compiled patterns by their text: compiling one costs more than a scaffold's file writes.
  std::map<std::string, std::shared_ptr<const Pattern>> m_patterns;
  Globs m_globs;
  std::string m_shown;
};

}  // namespace

Template load_template(const std::string& name_or_dir, const std::vector<fs::path>& search) {
  std::error_code ec;
  Template t;
  t.root = find_root(name_or_dir, search);
  const fs::path manifest_path = t.root / "template.json";
  t.bare = fs::symlink_status(manifest_path, ec).type() == fs::file_type::not_found;
  const json m = read_manifest_json(t, manifest_path);
  const std::string where = manifest_path.string();
  const JsonFields f(m, where);
  f.only({"name", "description", "ports", "variables", "render", "copy", "starter", "modes",
          "parts", "needs", "variants"});
  Loader loader(t, f, where);
  loader.identity();
  loader.variables();
  loader.globs();
  loader.parts_and_needs();
  loader.variants();
  loader.files();
  if (t.bare) {
    // The ports and variables are what the placeholders ask for.
    const PlaceholderScan scan = scan_placeholders(t.files);
    t.ports = scan.ports;
    for (const auto& [key, use] : scan.variables) {
      TemplateVariable found;
      found.description = "found in " + use.files.front();
      t.variables[key] = found;
    }
  }
  return t;
}

}  // namespace berth
