#include "generator/scaffold.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "generator/fileio.hpp"
#include "store/error.hpp"
#include "store/keys.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

Context make_context(const Reservation& reservation, const Template& tmpl,
                     const std::map<std::string, std::string>& sets) {
  Context ctx;
  ctx["model"] = reservation.key.model;
  ctx["model_slug"] = model_slug(reservation.key.model);
  ctx["app_num"] = std::to_string(reservation.key.app);
  ctx["project_name"] = reservation.project;
  // The earlier system's keys, so its templates render as they are.
  ctx["PROJECT_NAME"] = reservation.project;
  ctx["COMPOSE_PROJECT_NAME"] = reservation.project;
  for (const auto& p : reservation.ports) {
    ctx[p.name + "_port"] = std::to_string(p.port);
    ctx[legacy_port_key(p.name)] = std::to_string(p.port);
  }
  for (const auto& name : tmpl.ports) {
    if (!reservation.port(name)) {
      throw usage_error("template " + quote(tmpl.name) + " needs port " + quote(name) + ", which " +
                        describe(reservation.key) + " (pool " + quote(reservation.pool) +
                        ") does not have");
    }
  }
  for (const auto& [key, var] : tmpl.variables) {
    if (ctx.count(key)) {
      throw usage_error("template " + quote(tmpl.name) + " declares variable " + quote(key) +
                        ", which berth already provides; rename it");
    }
    if (strip_json_form(key) != key) {
      throw usage_error("template " + quote(tmpl.name) + " declares variable " + quote(key) +
                        "; names ending in _json are berth's JSON forms of other keys; rename it");
    }
    if (var.default_value) {
      ctx[key] = *var.default_value;
    }
  }
  for (const auto& [key, value] : sets) {
    if (!tmpl.variables.count(key)) {
      std::string names;
      for (const auto& [k, v] : tmpl.variables) {
        names += (names.empty() ? "" : ", ") + k;
      }
      throw usage_error("variable " + quote(key) + " is not declared by template " +
                        quote(tmpl.name) + "; its variables: " + (names.empty() ? "none" : names));
    }
    check_text(value, "variable " + quote(key) + " value");
    ctx[key] = value;
  }
  // JSON string literals with every non-ASCII character escaped: safe inside JSON, JavaScript,
  // Python and YAML double-quoted strings alike (U+2028 included).
  Context with_json = ctx;
  for (const auto& [key, value] : ctx) {
    with_json[key + "_json"] = json(value).dump(-1, ' ', true);
  }
  return with_json;
}

namespace {

constexpr std::size_t k_max_name_bytes = 255;   // NAME_MAX
constexpr std::size_t k_max_path_bytes = 2048;  // well within PATH_MAX with the folder before it

// Throws unless `path` is a relative path that stays inside its folder.
void check_relative(const std::string& path, const std::string& what) {
  if (path.empty() || path[0] == '/') {
    throw usage_error(what + " " + quote(path) + " is empty or absolute; refusing it");
  }
  for (std::size_t begin = 0; begin <= path.size();) {
    std::size_t end = path.find('/', begin);
    if (end == std::string::npos) {
      end = path.size();
    }
    const std::string_view part(path.data() + begin, end - begin);
    begin = end + 1;
    if (end == path.size() && part.empty() && !path.empty() && path.back() == '/') {
      break;  // a trailing '/': refused below
    }
    if (part.empty() || part == "." || part == "..") {
      throw usage_error(what + " " + quote(path) +
                        " holds an empty, '.' or '..' component; refusing it");
    }
    if (part.size() > k_max_name_bytes) {
      throw usage_error(what + " " + quote(path) + " has a component of " +
                        std::to_string(part.size()) + " bytes; file names hold at most " +
                        std::to_string(k_max_name_bytes));
    }
  }
  if (path.size() > k_max_path_bytes) {
    throw usage_error(what + " " + quote(path.substr(0, 60)) + "... is longer than " +
                      std::to_string(k_max_path_bytes) + " bytes");
  }
  if (path.back() == '/' || path.find('\0') != std::string::npos) {
    throw usage_error(what + " " + quote(path) + " is not a file path; refusing it");
  }
  if (path == k_scaffold_manifest) {
    throw usage_error(what + " " + quote(path) + " is berth's own manifest name; rename it");
  }
}

std::string hash_hex(const std::string& content) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(content)));
  return buf;
}

}  // namespace

std::vector<OutputFile> render_template(const Template& tmpl, const Context& context,
                                        const std::vector<OutputFile>& overlay, bool bodies,
                                        const std::optional<std::vector<std::string>>& parts) {
  std::map<std::string, OutputFile> out;
  std::vector<std::string> errors;
  // The template files this app gets: with `parts`, those of the parts named (and the root
  // files when "root" is named), then for each part left out, its without/<part>/ files.
  std::vector<std::pair<const TemplateFile*, std::string>> sources;
  const auto named = [&](const std::string& part) {
    return !parts || std::find(parts->begin(), parts->end(), part) != parts->end();
  };
  if (parts) {
    for (const auto& part : *parts) {
      if (part != "root" && !tmpl.parts.count(part)) {
        std::string known = "root";
        for (const auto& [name, globs] : tmpl.parts) {
          known += ", " + name;
        }
        throw usage_error("template " + quote(tmpl.name) + " has no part " + quote(part) +
                          "; its parts: " + known);
      }
    }
  }
  std::set<std::string> replaced;
  for (const auto& [part, files] : tmpl.without) {
    if (!named(part)) {
      for (const auto& f : files) {
        replaced.insert(f.path);
      }
    }
  }
  for (const auto& f : tmpl.files) {
    if (named(f.part.empty() ? "root" : f.part) && !replaced.count(f.path)) {
      sources.emplace_back(&f, tmpl.files_dir.string() + "/");
    }
  }
  std::set<std::string> taken;
  for (const auto& [part, files] : tmpl.without) {
    if (!named(part)) {
      for (const auto& f : files) {
        if (taken.insert(f.path).second) {  // two parts left out: the first part's file wins
          sources.emplace_back(&f, (tmpl.root / "without" / part).string() + "/");
        }
      }
    }
  }
  // Variants whose variable has their value: their files replace the template's of the same
  // path, or are added (those of the parts the app has).
  for (const auto& [name, variant] : tmpl.variants) {
    const auto value = context.find(variant.variable);
    if (value == context.end() || value->second != variant.value) {
      continue;
    }
    const std::string dir = (tmpl.root / "variants" / name).string() + "/";
    for (const auto& f : variant.files) {
      if (!named(f.part.empty() ? "root" : f.part)) {
        continue;
      }
      const auto same = std::find_if(sources.begin(), sources.end(),
                                     [&](const auto& s) { return s.first->path == f.path; });
      if (same != sources.end()) {
        *same = {&f, dir};
      } else {
        sources.emplace_back(&f, dir);
      }
    }
  }
  for (const auto& [fp, dir] : sources) {
    const TemplateFile& f = *fp;
    const std::string label = dir + f.path;
    const Rendered name = render(f.path, context, label + " (file name)");
    for (const auto& e : name.errors) {
      errors.push_back(e.to_string());
    }
    if (name.more_errors > 0) {
      errors.push_back(label + " (file name): " + std::to_string(name.more_errors) + " more");
    }
    Rendered body;
    if (!bodies) {
      // paths only: the content is left empty
    } else if (f.render) {
      body = render(f.content, context, label);
      for (const auto& e : body.errors) {
        errors.push_back(e.to_string());
      }
      if (body.more_errors > 0) {
        errors.push_back(label + ": " + std::to_string(body.more_errors) + " more");
      }
    } else {
      body.text = f.content;
    }
    if (name.ok() && body.ok()) {
      check_relative(name.text, "template " + quote(tmpl.name) + " output path");
      // `.env` holds secrets (SECRET_KEY and the like): owner only, unless `modes` says.
      const bool env =
          name.text == ".env" ||
          (name.text.size() > 5 && name.text.compare(name.text.size() - 5, 5, "/.env") == 0);
      const unsigned mode = env && !f.mode_set ? 0600 : f.mode;
      auto [it, added] =
          out.emplace(name.text, OutputFile{name.text, std::move(body.text), mode, f.starter});
      if (!added) {
        errors.push_back(label + ": renders to " + quote(name.text) +
                         ", which another template file also renders to");
      }
    }
  }
  if (!errors.empty()) {
    throw Error(ErrorKind::usage,
                "template " + quote(tmpl.name) + ": " + std::to_string(errors.size()) +
                    " placeholder(s) could not be filled; nothing was written",
                errors);
  }
  for (const auto& f : overlay) {
    check_relative(f.path, "overlay path");
    out[f.path] = f;
  }
  // `.env` starts as a copy of `.env.example`, so `docker compose up` picks the project name.
  if (auto it = out.find(".env.example"); it != out.end() && !out.count(".env")) {
    out[".env"] = OutputFile{".env", it->second.content, 0600, it->second.starter};
  }
  // A path that is a file in one place and a folder in another (a template's `a` and an
  // overlay's `a/b`) cannot both be written: refuse before anything is.
  for (auto it = out.begin(); it != out.end(); ++it) {
    const std::string folder = it->first + "/";
    auto next = out.lower_bound(folder);
    if (next != out.end() && next->first.compare(0, folder.size(), folder) == 0) {
      throw usage_error("output " + quote(it->first) + " is a file, but " + quote(next->first) +
                        " needs it to be a folder (a template file and an overlay file, or two "
                        "template files, disagree); rename one of them");
    }
  }
  std::vector<OutputFile> files;
  for (auto& [path, f] : out) {
    files.push_back(std::move(f));
  }
  return files;
}

std::vector<OutputFile> read_overlay(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw usage_error("overlay " + quote(dir.string()) + " is not a folder");
  }
  const fs::path real = fs::canonical(dir);
  std::vector<OutputFile> files;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = it->path().lexically_relative(dir).generic_string();
    if (it->is_symlink() && !within(real, fs::weakly_canonical(it->path(), ec))) {
      throw usage_error("overlay file " + quote(rel) + " is a symlink leading outside " +
                        quote(dir.string()) + "; refusing it");
    }
    if (it->is_directory()) {
      continue;
    }
    if (!it->is_regular_file()) {
      throw usage_error("overlay entry " + quote(rel) + " in " + quote(dir.string()) +
                        " is not a regular file (a FIFO, socket or device); remove it");
    }
    const std::string content_text = read_file(it->path());
    auto content = std::optional<std::string>(content_text);
    const auto perms = fs::status(it->path()).permissions();
    const bool exec = (perms & fs::perms::owner_exec) != fs::perms::none;
    files.push_back(OutputFile{rel, std::move(*content), exec ? 0755u : 0644u});
  }
  std::sort(files.begin(), files.end(),
            [](const OutputFile& a, const OutputFile& b) { return a.path < b.path; });
  return files;
}

namespace {

// Throws unless every folder on the way from `root` to `root/rel` is a folder inside `root` or
// missing: never a file, a dangling symlink or a symlink leading outside.
void check_way(const fs::path& root, const std::string& rel, const std::string& shown_dir) {
  std::error_code ec;
  fs::path at = root;
  const fs::path relp(rel);
  for (auto part = relp.begin(); part != relp.end(); ++part) {
    at /= *part;
    const bool last = std::next(part) == relp.end();
    const auto lst = fs::symlink_status(at, ec);
    if (lst.type() == fs::file_type::not_found) {
      return;  // created as needed
    }
    if (lst.type() == fs::file_type::symlink) {
      const fs::path target = fs::weakly_canonical(at, ec);
      if (ec || !within(root, target)) {
        throw usage_error("output " + quote(rel) + " would be written outside " + quote(shown_dir) +
                          " (through the symlink " + quote(at.string()) +
                          "); refusing to scaffold");
      }
      if (!last && !fs::exists(at, ec)) {
        throw usage_error("output " + quote(rel) + " lies under the dangling symlink " +
                          quote(at.string()) + "; remove it to scaffold here");
      }
    }
    if (!last && !fs::is_directory(at, ec)) {
      throw usage_error("output " + quote(rel) + " needs " + quote(at.string()) +
                        " to be a folder, but it is a file; move it away to scaffold here");
    }
  }
}

struct OldManifest {
  std::map<std::string, std::string> files;  // path -> hash of what berth wrote
  std::optional<std::vector<std::string>> parts;
};

OldManifest read_manifest(const fs::path& manifest_path) {
  OldManifest out;
  std::error_code ec;
  const auto st = fs::symlink_status(manifest_path, ec);
  if (st.type() == fs::file_type::not_found) {
    return out;
  }
  const auto text = st.type() == fs::file_type::regular ? read_if_file(manifest_path)
                                                        : std::optional<std::string>();
  const json m = text ? json::parse(*text, nullptr, false) : json();
  if (!text || m.is_discarded() || !m.is_object() || !m.contains("files") ||
      !m["files"].is_object()) {
    throw usage_error(quote(manifest_path.string()) +
                      " is not a berth manifest; move it away to scaffold here");
  }
  for (const auto& [path, hash] : m["files"].items()) {
    if (hash.is_string()) {
      out.files[path] = hash;
    }
  }
  if (m.contains("parts") && m["parts"].is_array()) {
    out.parts.emplace();
    for (const auto& part : m["parts"]) {
      if (part.is_string()) {
        out.parts->push_back(part);
      }
    }
  }
  // Writes that were under way when a run was killed: a file that holds the bytes berth was
  // writing is berth's; one that does not still counts by its earlier hash.
  if (m.contains("pending") && m["pending"].is_object()) {
    for (const auto& [path, hash] : m["pending"].items()) {
      if (!hash.is_string()) {
        continue;
      }
      const auto content = read_if_file(manifest_path.parent_path() / path);
      if (content && hash_hex(*content) == hash.get<std::string>()) {
        out.files[path] = hash;
      }
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<std::string>> recorded_parts(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return std::nullopt;
  }
  return read_manifest(dir / k_scaffold_manifest).parts;
}

namespace {

// Whether a dependency list names `dep`: a package.json's dependency objects, or a line of a
// requirements-style list starting with the name ("flask==3.0", "flask>=2").
bool lists_dependency(const std::string& content, const std::string& dep) {
  const json j = json::parse(content, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    for (const char* key :
         {"dependencies", "devDependencies", "peerDependencies", "optionalDependencies"}) {
      if (j.contains(key) && j[key].is_object() && j[key].contains(dep)) {
        return true;
      }
    }
    return false;
  }
  const auto lower = [](std::string t) {
    for (char& c : t) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return t;
  };
  const std::string want = lower(dep);
  std::istringstream lines(content);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t begin = line.find_first_not_of(" \t");
    if (begin == std::string::npos) {
      continue;
    }
    const std::string l = lower(line.substr(begin));
    if (l.compare(0, want.size(), want) == 0) {
      const char next = l.size() > want.size() ? l[want.size()] : '\0';
      if (!(std::isalnum(static_cast<unsigned char>(next)) || next == '_' || next == '-' ||
            next == '.')) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> hold_back_unmet(const Template& tmpl,
                                                                 const fs::path& dir,
                                                                 std::vector<OutputFile>& files) {
  std::vector<std::pair<std::string, std::string>> held;
  if (tmpl.needs.empty()) {
    return held;
  }
  std::error_code ec;
  std::set<std::string> out;
  for (const auto& f : files) {
    const auto need = tmpl.needs.find(f.path);
    if (need == tmpl.needs.end() ||
        fs::symlink_status(dir / f.path, ec).type() != fs::file_type::not_found) {
      continue;  // needs nothing, or already there (then it is an owned file like any other)
    }
    std::vector<std::string> missing;
    for (const auto& entry : need->second) {
      const std::string& list_file = entry.first;
      const std::vector<std::string>& deps = entry.second;
      // The list as the app will have it: its own file, else the one this scaffold writes.
      std::optional<std::string> content = read_if_file(dir / list_file);
      if (!content) {
        const auto it = std::find_if(files.begin(), files.end(),
                                     [&](const OutputFile& o) { return o.path == list_file; });
        if (it != files.end()) {
          content = it->content;
        }
      }
      for (const auto& dep : deps) {
        if (!content || !lists_dependency(*content, dep)) {
          missing.push_back(quote(dep) + " in " + list_file);
        }
      }
    }
    if (!missing.empty()) {
      held.emplace_back(f.path, "needs " + keys::join(missing, ", ") +
                                    ", which the app lacks; add it there, then scaffold again");
      out.insert(f.path);
    }
  }
  files.erase(std::remove_if(files.begin(), files.end(),
                             [&](const OutputFile& f) { return out.count(f.path) > 0; }),
              files.end());
  return held;
}

ScaffoldPlan plan_app(const fs::path& dir, const std::vector<OutputFile>& files,
                      const std::string& template_name, bool force, bool adopt) {
  std::error_code ec;
  if (dir.empty()) {
    throw usage_error("--out is empty; give the app folder");
  }
  const auto dst = fs::symlink_status(dir, ec);
  if (dst.type() == fs::file_type::symlink && !fs::exists(dir, ec)) {
    throw usage_error("--out " + quote(dir.string()) + " is a dangling symlink; remove it");
  }
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw usage_error("--out " + quote(dir.string()) + " exists and is not a folder");
  }
  const fs::path abs = fs::absolute(dir);
  for (fs::path parent = abs.parent_path(); !parent.empty(); parent = parent.parent_path()) {
    const auto st = fs::status(parent, ec);
    if (st.type() != fs::file_type::not_found && st.type() != fs::file_type::directory) {
      throw usage_error("--out " + quote(dir.string()) + " lies under " + quote(parent.string()) +
                        ", which is not a folder");
    }
    if (st.type() == fs::file_type::directory || parent == parent.parent_path()) {
      break;
    }
  }
  fs::path root = fs::weakly_canonical(abs, ec);
  if (ec) {
    throw usage_error("--out " + quote(dir.string()) + ": " + ec.message());
  }
  root = root.lexically_normal();
  if (!root.has_filename() && root.has_parent_path() && root != root.root_path()) {
    root = root.parent_path();  // "out/" is the folder "out"
  }
  // What berth wrote here before.
  const OldManifest old_manifest = read_manifest(root / k_scaffold_manifest);
  const std::map<std::string, std::string>& old = old_manifest.files;

  // Refuse any path that would leave the folder (through '..' or a symlink), or that needs a
  // file or a dangling symlink to be a folder, before writing anything.
  for (const auto& f : files) {
    check_relative(f.path, "output path");
    check_way(root, f.path, dir.string());
  }
  for (const auto& [path, hash] : old) {
    check_relative(path, "manifest entry");
    const fs::path target = fs::weakly_canonical(root / path, ec);
    if (ec || !within(root, target)) {
      throw usage_error("manifest entry " + quote(path) + " leads outside " + quote(dir.string()) +
                        "; refusing to scaffold");
    }
  }

  ScaffoldPlan plan;
  plan.root = root;
  plan.template_name = template_name;
  ScaffoldReport& report = plan.report;
  std::map<std::string, std::string>& manifest = plan.manifest;  // what berth owns afterwards
  std::vector<std::string>& removals = plan.removals;
  std::set<std::string> produced;
  for (const auto& f : files) {
    produced.insert(f.path);
    const fs::path p = root / f.path;
    const auto st = fs::symlink_status(p, ec);
    if (st.type() == fs::file_type::not_found) {
      plan.writes.push_back(f);
      continue;
    }
    if (st.type() != fs::file_type::regular) {
      report.kept.emplace_back(f.path, "something other than a file is in the way");
      continue;
    }
    if (f.starter) {
      // A starting point for code a model or a person writes: once there, it is theirs.
      report.started.push_back(f.path);
      continue;
    }
    auto it = old.find(f.path);
    const auto content = read_if_file(p);
    if (content && *content == f.content) {
      const unsigned mode = static_cast<unsigned>(st.permissions()) & 0777;
      if (mode == f.mode) {
        report.unchanged.push_back(f.path);
        manifest[f.path] = hash_hex(f.content);
      } else if (it != old.end() || adopt) {
        plan.writes.push_back(f);  // berth's file with another mode: rewrite to set the mode
      } else {
        char modes[64];
        std::snprintf(modes, sizeof modes, "has mode %04o, not %04o", mode, f.mode);
        report.kept.emplace_back(f.path, std::string("holds the template's bytes but ") + modes +
                                             "; not written by berth, so left as it is");
      }
      continue;
    }
    const bool foreign = it == old.end();
    const bool edited = !foreign && content && hash_hex(*content) != it->second;
    if (adopt && (foreign || edited)) {
      // Replaced, its content kept beside it; never over an earlier copy.
      const auto orig = fs::symlink_status(root / (f.path + k_orig_suffix), ec);
      if (orig.type() != fs::file_type::not_found) {
        report.kept.emplace_back(f.path, std::string("not written by berth, and ") + f.path +
                                             k_orig_suffix + " already exists; left as it is");
        if (!foreign) {
          manifest[f.path] = it->second;
        }
      } else {
        plan.writes.push_back(f);
        plan.backups.push_back(f.path);
      }
    } else if (foreign) {
      report.kept.emplace_back(f.path, "not written by berth; berth never touches it");
    } else if (edited && !force) {
      report.kept.emplace_back(f.path, "edited since berth wrote it; --force overwrites it");
      manifest[f.path] = it->second;  // still berth's, still edited
    } else {
      plan.writes.push_back(f);
    }
  }
  for (const auto& [path, hash] : old) {
    if (produced.count(path)) {
      continue;
    }
    const auto st = fs::symlink_status(root / path, ec);
    if (st.type() == fs::file_type::not_found) {
      continue;  // already gone
    }
    const auto content = st.type() == fs::file_type::regular ? read_if_file(root / path)
                                                             : std::optional<std::string>();
    if (!content) {
      report.kept.emplace_back(path, "no longer produced, and no longer a file; left alone");
    } else if (hash_hex(*content) != hash && !force) {
      report.kept.emplace_back(path,
                               "no longer produced but edited since berth wrote it; "
                               "--force removes it");
      manifest[path] = hash;  // still berth's: a later --force removes it
    } else {
      removals.push_back(path);
    }
  }

  for (const auto& f : plan.writes) {
    report.written.push_back(f.path);
    if (auto it = old.find(f.path); it != old.end() && !f.starter) {
      manifest[f.path] = it->second;  // until the new content lands
    }
  }
  report.removed = removals;
  report.replaced = plan.backups;
  plan.parts = old_manifest.parts;
  return plan;
}

void apply_plan(ScaffoldPlan plan, bool touch) {
  const fs::path& root = plan.root;
  const fs::path manifest_path = root / k_scaffold_manifest;
  const auto save_manifest = [&](const json& pending) {
    json m = {{"berth_scaffold", 1}, {"template", plan.template_name}, {"files", plan.manifest}};
    if (plan.parts) {
      m["parts"] = *plan.parts;
    }
    if (!pending.empty()) {
      m["pending"] = pending;
    }
    write_if_changed(manifest_path, m.dump(2) + "\n");
  };
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    throw runtime_error("cannot create " + quote(root.string()) + ": " + ec.message());
  }
  // Record what is about to be written before writing it: a run killed at any point leaves a
  // manifest from which the next run tells berth's files from the user's.
  json pending = json::object();
  std::set<fs::path> folders = {root};
  for (const auto& f : plan.writes) {
    if (!f.starter) {  // a starter file is never berth's: never recorded, never removed
      pending[f.path] = hash_hex(f.content);
    }
    folders.insert((root / f.path).parent_path());
  }
  for (const auto& path : plan.report.unchanged) {
    folders.insert((root / path).parent_path());
  }
  for (const auto& [path, why] : plan.report.kept) {
    folders.insert((root / path).parent_path());
  }
  for (const auto& folder : folders) {
    remove_stale_temps(folder, true);  // left by runs that were killed mid-write
  }
  if (!plan.writes.empty()) {
    save_manifest(pending);
  }
  // Someone else's files keep their content under a name nobody else uses: a hard link (same
  // bytes and mode, atomic, never over an existing file), else an exclusive copy.
  for (const auto& path : plan.backups) {
    const fs::path from = root / path;
    const fs::path to = root / (path + k_orig_suffix);
    if (::link(from.c_str(), to.c_str()) != 0) {
      if (errno == EEXIST) {
        throw runtime_error(quote(to.string()) + " appeared while berth was writing; nothing of " +
                            quote(path) + " was changed");
      }
      fs::copy_file(from, to, fs::copy_options::none);
    }
  }
  try {
    for (const auto& f : plan.writes) {
      write_atomic(root / f.path, f.content, f.mode);
      if (!f.starter) {
        plan.manifest[f.path] = hash_hex(f.content);
        pending.erase(f.path);
      }
    }
    for (const auto& path : plan.removals) {
      fs::remove(root / path, ec);
      plan.manifest.erase(path);
      // Remove folders left empty, up to the app folder.
      for (fs::path parent = (root / path).parent_path(); parent != root && within(root, parent);
           parent = parent.parent_path()) {
        if (!fs::is_empty(parent, ec) || ec || !fs::remove(parent, ec)) {
          break;
        }
      }
    }
  } catch (...) {
    save_manifest(pending);  // record what did land, so the next run knows those files are berth's
    throw;
  }
  save_manifest(json::object());
  if (touch) {
    // Only files berth owns and that hold its bytes; a user's own or edited file keeps its time.
    const auto now = fs::file_time_type::clock::now();
    for (const auto& path : plan.report.unchanged) {
      fs::last_write_time(root / path, now, ec);
    }
  }
}

}  // namespace berth
