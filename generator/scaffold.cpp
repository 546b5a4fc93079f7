#include "generator/scaffold.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "generator/fileio.hpp"
#include "store/error.hpp"
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
  for (const auto& p : reservation.ports) {
    ctx[p.name + "_port"] = std::to_string(p.port);
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
    ctx[key] = var.default_value;
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
    ctx[key] = value;
  }
  Context with_json = ctx;
  for (const auto& [key, value] : ctx) {
    with_json[key + "_json"] = json(value).dump();
  }
  return with_json;
}

namespace {

// Throws unless `path` is a relative path that stays inside its folder.
void check_relative(const std::string& path, const std::string& what) {
  if (path.empty() || path[0] == '/') {
    throw usage_error(what + " " + quote(path) + " is empty or absolute; refusing it");
  }
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part.empty() || part == "." || part == "..") {
      throw usage_error(what + " " + quote(path) +
                        " holds an empty, '.' or '..' component; refusing it");
    }
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
                                        const std::vector<OutputFile>& overlay) {
  std::map<std::string, OutputFile> out;
  std::vector<std::string> errors;
  for (const auto& f : tmpl.files) {
    const std::string label = (tmpl.root / "files" / f.path).string();
    const Rendered name = render(f.path, context, label + " (file name)");
    for (const auto& e : name.errors) {
      errors.push_back(e.to_string());
    }
    Rendered body;
    if (f.render) {
      body = render(f.content, context, label);
      for (const auto& e : body.errors) {
        errors.push_back(e.to_string());
      }
    } else {
      body.text = f.content;
    }
    if (name.ok() && body.ok()) {
      check_relative(name.text, "template " + quote(tmpl.name) + " output path");
      out[name.text] = OutputFile{name.text, std::move(body.text), f.mode};
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
    out[".env"] = OutputFile{".env", it->second.content, it->second.mode};
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
    auto content = read_if_file(it->path());
    if (!content) {
      throw runtime_error("cannot read overlay file " + quote(it->path().string()));
    }
    const auto perms = fs::status(it->path()).permissions();
    const bool exec = (perms & fs::perms::owner_exec) != fs::perms::none;
    files.push_back(OutputFile{rel, std::move(*content), exec ? 0755u : 0644u});
  }
  std::sort(files.begin(), files.end(),
            [](const OutputFile& a, const OutputFile& b) { return a.path < b.path; });
  return files;
}

ScaffoldPlan plan_app(const fs::path& dir, const std::vector<OutputFile>& files,
                      const std::string& template_name, bool force) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw usage_error("--out " + quote(dir.string()) + " exists and is not a folder");
  }
  const fs::path root = fs::weakly_canonical(fs::absolute(dir));

  // What berth wrote here before.
  std::map<std::string, std::string> old;
  const fs::path manifest_path = root / k_scaffold_manifest;
  if (auto text = read_if_file(manifest_path)) {
    const json m = json::parse(*text, nullptr, false);
    if (m.is_discarded() || !m.is_object() || !m.contains("files") || !m["files"].is_object()) {
      throw usage_error(quote(manifest_path.string()) +
                        " is not a berth manifest; move it away to scaffold here");
    }
    for (const auto& [path, hash] : m["files"].items()) {
      if (hash.is_string()) {
        old[path] = hash;
      }
    }
  }

  // Refuse any path that would leave the folder (through '..' or a symlink) before writing.
  for (const auto& f : files) {
    check_relative(f.path, "output path");
    const fs::path target = fs::weakly_canonical(root / f.path, ec);
    if (ec || !within(root, target)) {
      throw usage_error("output " + quote(f.path) + " would be written outside " +
                        quote(dir.string()) + " (through a symlink to " + quote(target.string()) +
                        "); refusing to scaffold");
    }
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
    if (ec || st.type() == fs::file_type::not_found) {
      plan.writes.push_back(f);
      continue;
    }
    if (!fs::is_regular_file(p)) {
      report.kept.emplace_back(f.path, "something other than a file is in the way");
      continue;
    }
    const auto content = read_if_file(p);
    if (content && *content == f.content) {
      report.unchanged.push_back(f.path);
      manifest[f.path] = hash_hex(f.content);
      if ((static_cast<unsigned>(st.permissions()) & 0777) != f.mode) {
        plan.writes.push_back(f);  // same bytes, other mode: rewrite to set the mode
        report.unchanged.pop_back();
      }
      continue;
    }
    auto it = old.find(f.path);
    if (it == old.end()) {
      report.kept.emplace_back(f.path, "not written by berth; berth never touches it");
    } else if (content && hash_hex(*content) != it->second && !force) {
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
    const auto content = read_if_file(root / path);
    if (!content) {
      continue;  // already gone
    }
    if (hash_hex(*content) != hash && !force) {
      report.kept.emplace_back(path,
                               "no longer produced but edited since berth wrote it; "
                               "--force removes it");
    } else {
      removals.push_back(path);
    }
  }

  for (const auto& f : plan.writes) {
    report.written.push_back(f.path);
    if (auto it = old.find(f.path); it != old.end()) {
      manifest[f.path] = it->second;  // until the new content lands
    }
  }
  report.removed = removals;
  return plan;
}

void apply_plan(ScaffoldPlan plan, bool touch) {
  const fs::path& root = plan.root;
  const fs::path manifest_path = root / k_scaffold_manifest;
  const auto save_manifest = [&] {
    json m = {{"berth_scaffold", 1}, {"template", plan.template_name}, {"files", plan.manifest}};
    write_if_changed(manifest_path, m.dump(2) + "\n");
  };
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    throw runtime_error("cannot create " + quote(root.string()) + ": " + ec.message());
  }
  try {
    for (const auto& f : plan.writes) {
      write_atomic(root / f.path, f.content, f.mode);
      plan.manifest[f.path] = hash_hex(f.content);
    }
    for (const auto& path : plan.removals) {
      fs::remove(root / path, ec);
      // Remove folders left empty, up to the app folder.
      for (fs::path parent = (root / path).parent_path(); parent != root && within(root, parent);
           parent = parent.parent_path()) {
        if (!fs::is_empty(parent, ec) || ec || !fs::remove(parent, ec)) {
          break;
        }
      }
    }
  } catch (...) {
    save_manifest();  // record what did land, so the next run knows those files are berth's
    throw;
  }
  save_manifest();
  if (touch) {
    const auto now = fs::file_time_type::clock::now();
    for (const auto& path : plan.report.unchanged) {
      fs::last_write_time(root / path, now, ec);
    }
    for (const auto& [path, why] : plan.report.kept) {
      fs::last_write_time(root / path, now, ec);
    }
  }
}

}  // namespace berth
