#include "generator/app/folder.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "generator/app/manifest.hpp"
#include "generator/io/fileio.hpp"
#include "store/error.hpp"
#include "store/keys.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

std::optional<std::vector<std::string>> recorded_parts(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return std::nullopt;
  }
  return read_manifest(dir / k_scaffold_manifest).parts;
}

std::map<std::string, std::string> recorded_vars(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / k_scaffold_manifest, ec)) {
    return {};
  }
  try {
    return read_manifest(dir / k_scaffold_manifest).vars;
  } catch (const Error&) {
    return {};  // not a berth manifest: nothing recorded
  }
}

std::map<std::string, std::string> remembered_sets(const fs::path& dir, const AppKey& key,
                                                   const Template& tmpl,
                                                   const std::map<std::string, std::string>& sets,
                                                   const std::vector<std::string>& unset) {
  for (const auto& k : unset) {
    if (!tmpl.variables.count(k)) {
      throw usage_error("--unset " + quote(k) + ": template " + quote(tmpl.name) +
                        " has no variable " + quote(k));
    }
  }
  std::error_code ec;
  std::map<std::string, std::string> out;
  if (fs::is_directory(dir, ec)) {
    const AppManifest m = read_manifest(dir / k_scaffold_manifest);
    for (const auto& [k, v] : m.vars) {
      const bool dropped = std::find(unset.begin(), unset.end(), k) != unset.end();
      if (m.app && *m.app == key && tmpl.variables.count(k) && !dropped) {
        out[k] = v;
      }
    }
  }
  for (const auto& [k, v] : sets) {
    out[k] = v;
  }
  return out;
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

// A dependency list as the app will have it: its own file, else the one this scaffold writes.
std::optional<std::string> dependency_list(const fs::path& dir, const std::string& list_file,
                                           const std::vector<OutputFile>& files) {
  if (auto content = read_if_file(dir / list_file)) {
    return content;
  }
  const auto it = std::find_if(files.begin(), files.end(),
                               [&](const OutputFile& o) { return o.path == list_file; });
  return it != files.end() ? std::optional<std::string>(it->content) : std::nullopt;
}

// What a file's `needs` name that the app's lists lack: "'vite' in frontend/package.json".
std::vector<std::string> unmet(const std::map<std::string, std::vector<std::string>>& needs,
                               const fs::path& dir, const std::vector<OutputFile>& files) {
  std::vector<std::string> missing;
  for (const auto& [list_file, deps] : needs) {
    const std::optional<std::string> content = dependency_list(dir, list_file, files);
    for (const auto& dep : deps) {
      if (!content || !lists_dependency(*content, dep)) {
        missing.push_back(quote(dep) + " in " + list_file);
      }
    }
  }
  return missing;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> hold_back_unmet(const Template& tmpl,
                                                                 const fs::path& dir,
                                                                 std::vector<OutputFile>& files) {
  std::vector<std::pair<std::string, std::string>> held;
  std::error_code ec;
  std::set<std::string> out;
  for (const auto& f : files) {
    const auto need = tmpl.needs.find(f.path);
    if (need == tmpl.needs.end() ||
        fs::symlink_status(dir / f.path, ec).type() != fs::file_type::not_found) {
      continue;  // needs nothing, or already there (then it is an owned file like any other)
    }
    const std::vector<std::string> missing = unmet(need->second, dir, files);
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

namespace {

// What check_way learnt on the way, so that a folder many outputs share is looked at once and
// planning does not look at an output again: each folder (relative path -> missing or a plain
// folder) and each output's own status (not following a symlink).
struct WayCache {
  std::map<std::string, fs::file_type> folders;
  std::map<std::string, fs::file_status> outputs;
  bool root_missing = false;  // the app folder itself: then so is everything in it

  // The status of `rel` under `root` (not following a last symlink): from what the checks saw
  // when they saw it or a missing folder on its way, else asked of the file system.
  fs::file_status status(const fs::path& root, const std::string& rel) const {
    if (root_missing) {
      return fs::file_status(fs::file_type::not_found);
    }
    if (const auto it = outputs.find(rel); it != outputs.end()) {
      return it->second;
    }
    for (auto slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
      const auto it = folders.find(rel.substr(0, slash));
      if (it != folders.end() && it->second == fs::file_type::not_found) {
        return fs::file_status(fs::file_type::not_found);
      }
    }
    std::error_code ec;
    return fs::symlink_status(root / rel, ec);
  }
};

// Throws unless the symlink `at` on the way to `rel` leads inside `root` (and, when it is not
// the last step, to something that exists).
void check_symlink_step(const fs::path& root, const fs::path& at, const std::string& rel, bool last,
                        const std::string& shown_dir) {
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(at, ec);
  if (ec || !within(root, target)) {
    throw usage_error("output " + quote(rel) + " would be written outside " + quote(shown_dir) +
                      " (through the symlink " + quote(at.string()) + "); refusing to scaffold");
  }
  if (!last && !fs::exists(at, ec)) {
    throw usage_error("output " + quote(rel) + " lies under the dangling symlink " +
                      quote(at.string()) + "; remove it to scaffold here");
  }
}

// Throws unless every folder on the way from `root` to `root/rel` is a folder inside `root` or
// missing: never a file, a dangling symlink or a symlink leading outside.
void check_way(const fs::path& root, const std::string& rel, const std::string& shown_dir,
               WayCache& seen) {
  std::error_code ec;
  fs::path at = root;
  std::string prefix;
  const fs::path relp(rel);
  for (auto part = relp.begin(); part != relp.end(); ++part) {
    at /= *part;
    prefix += (prefix.empty() ? "" : "/") + part->string();
    const bool last = std::next(part) == relp.end();
    if (const auto known = seen.folders.find(prefix); !last && known != seen.folders.end()) {
      if (known->second == fs::file_type::not_found) {
        return;
      }
      continue;  // a plain folder
    }
    const auto lst = fs::symlink_status(at, ec);
    if (last) {
      seen.outputs[rel] = lst;
    }
    if (lst.type() == fs::file_type::not_found) {
      if (!last) {
        seen.folders[prefix] = fs::file_type::not_found;
      }
      return;  // created as needed
    }
    if (lst.type() == fs::file_type::symlink) {
      check_symlink_step(root, at, rel, last, shown_dir);
    }
    if (!last && !fs::is_directory(at, ec)) {
      throw usage_error("output " + quote(rel) + " needs " + quote(at.string()) +
                        " to be a folder, but it is a file; move it away to scaffold here");
    }
    if (!last && lst.type() == fs::file_type::directory) {
      seen.folders[prefix] = fs::file_type::directory;
    }
  }
}

// The app folder `dir` names, absolute and normal, after checking it is (or can be) a folder.
fs::path resolve_out(const fs::path& dir) {
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
  return root;
}

// Refuses any path that would leave the folder (through '..' or a symlink), or that needs a
// file or a dangling symlink to be a folder, before anything is written. Returns what it saw.
WayCache check_paths(const fs::path& root, const std::vector<OutputFile>& files,
                     const std::map<std::string, std::string>& old, const fs::path& dir) {
  std::error_code ec;
  WayCache seen;
  seen.root_missing = fs::symlink_status(root, ec).type() == fs::file_type::not_found;
  for (const auto& f : files) {
    check_relative(f.path, "output path");
    if (!seen.root_missing) {
      check_way(root, f.path, dir.string(), seen);
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
  return seen;
}

// How planning treats files: the folder, what berth wrote there before, and the flags.
struct Planner {
  const fs::path& root;
  const std::map<std::string, std::string>& old;
  const std::map<std::string, std::string>& starters;  // starter files as berth wrote them
  bool force;
  bool adopt;
  ScaffoldPlan& plan;
  const WayCache& seen;

  // A file that holds the template's bytes already: unchanged, or only its mode differs.
  void same_bytes(const OutputFile& f, unsigned mode, bool berths) {
    if (mode == f.mode) {
      plan.report.unchanged.push_back(f.path);
      plan.manifest[f.path] = hash_hex(f.content);
    } else if (berths || adopt) {
      plan.writes.push_back(f);  // berth's file with another mode: rewrite to set the mode
    } else {
      char modes[64];
      std::snprintf(modes, sizeof modes, "has mode %04o, not %04o", mode, f.mode);
      plan.report.kept.emplace_back(f.path, std::string("holds the template's bytes but ") + modes +
                                                "; not written by berth, so left as it is");
    }
  }

  // With `adopt`: someone else's (or an edited) file is replaced, its content kept beside it;
  // never over an earlier copy.
  void adopt_file(const OutputFile& f, const std::string* old_hash) {
    std::error_code ec;
    const auto orig = fs::symlink_status(root / (f.path + k_orig_suffix), ec);
    if (orig.type() != fs::file_type::not_found) {
      plan.report.kept.emplace_back(f.path, std::string("not written by berth, and ") + f.path +
                                                k_orig_suffix + " already exists; left as it is");
      if (old_hash) {
        plan.manifest[f.path] = *old_hash;
      }
    } else {
      plan.writes.push_back(f);
      plan.backups.push_back(f.path);
    }
  }

  // A starter file berth wrote, where an overlay now brings a file: replaced while nobody changed
  // it since (the model's code arrived after the first build), else kept unless `force`.
  bool replaces_starter(const OutputFile& f, const std::optional<std::string>& content) {
    const auto it = starters.find(f.path);
    if (it == starters.end() || !content) {
      return false;
    }
    if (hash_hex(*content) == it->second || force) {
      plan.writes.push_back(f);
    } else {
      plan.report.kept.emplace_back(
          f.path,
          "a starter berth wrote, changed since, so the overlay's file is not written over it; "
          "--force replaces it");
    }
    return true;
  }

  // A file that exists with other bytes: berth's to rewrite, or kept and reported.
  void other_bytes(const OutputFile& f, const std::optional<std::string>& content) {
    auto it = old.find(f.path);
    const bool foreign = it == old.end();
    if (foreign && !f.starter && replaces_starter(f, content)) {
      return;
    }
    const bool edited = !foreign && content && hash_hex(*content) != it->second;
    if (adopt && (foreign || edited)) {
      adopt_file(f, foreign ? nullptr : &it->second);
    } else if (foreign) {
      plan.report.kept.emplace_back(f.path, "not written by berth; berth never touches it");
    } else if (edited && !force) {
      plan.report.kept.emplace_back(f.path, "edited since berth wrote it; --force overwrites it");
      plan.manifest[f.path] = it->second;  // still berth's, still edited
    } else {
      plan.writes.push_back(f);
    }
  }

  void file(const OutputFile& f) {
    const fs::path p = root / f.path;
    const auto st = seen.status(root, f.path);
    if (st.type() == fs::file_type::not_found) {
      plan.writes.push_back(f);
    } else if (st.type() != fs::file_type::regular) {
      plan.report.kept.emplace_back(f.path, "something other than a file is in the way");
    } else if (f.starter) {
      // A starting point for code a model or a person writes: once there, it is theirs.
      plan.report.started.push_back(f.path);
    } else if (const auto content = read_if_file(p); content && *content == f.content) {
      same_bytes(f, static_cast<unsigned>(st.permissions()) & 0777, old.count(f.path) > 0);
    } else {
      other_bytes(f, content);
    }
  }

  // Files berth wrote earlier that are no longer produced: removed, unless edited since.
  void removals(const std::set<std::string>& produced) {
    std::error_code ec;
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
        plan.report.kept.emplace_back(path, "no longer produced, and no longer a file; left alone");
      } else if (hash_hex(*content) != hash && !force) {
        plan.report.kept.emplace_back(path,
                                      "no longer produced but edited since berth wrote it; "
                                      "--force removes it");
        plan.manifest[path] = hash;  // still berth's: a later --force removes it
      } else {
        plan.removals.push_back(path);
      }
    }
  }
};

}  // namespace

ScaffoldPlan plan_app(const fs::path& dir, const std::vector<OutputFile>& files,
                      const std::string& template_name, bool force, bool adopt) {
  const fs::path root = resolve_out(dir);
  const AppManifest old_manifest = read_manifest(root / k_scaffold_manifest);  // berth's before
  const std::map<std::string, std::string>& old = old_manifest.files;
  const WayCache seen = check_paths(root, files, old, dir);

  ScaffoldPlan plan;
  plan.root = root;
  plan.template_name = template_name;
  Planner planner{root, old, old_manifest.starters, force, adopt, plan, seen};
  std::set<std::string> produced;
  for (const auto& f : files) {
    produced.insert(f.path);
    planner.file(f);
  }
  planner.removals(produced);
  for (const auto& f : plan.writes) {
    plan.report.written.push_back(f.path);
    if (auto it = old.find(f.path); it != old.end() && !f.starter) {
      plan.manifest[f.path] = it->second;  // until the new content lands
    }
  }
  plan.report.removed = plan.removals;
  plan.report.replaced = plan.backups;
  plan.parts = old_manifest.parts;
  plan.app = old_manifest.app;
  plan.vars = old_manifest.vars;
  plan.starters = old_manifest.starters;
  return plan;
}

void claim_folder(ScaffoldPlan& plan, const AppKey& key, bool force) {
  if (plan.app && !(*plan.app == key) && !force) {
    throw conflict_error(quote(plan.root.string()) + " is the folder of " + describe(*plan.app) +
                         " (its " + k_scaffold_manifest + "), not of " + describe(key) +
                         "; give this app a folder of its own, or --force to make it " +
                         describe(key) + "'s (nothing is released)");
  }
  plan.app = key;
}

}  // namespace berth
