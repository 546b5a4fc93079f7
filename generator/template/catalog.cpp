#include "generator/template/catalog.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "generator/io/fileio.hpp"
#include "store/error.hpp"
#include "store/keys.hpp"
#include "store/model.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> sorted_folders(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) {
      folders.push_back(entry.path());
    }
  }
  std::sort(folders.begin(), folders.end());
  return folders;
}

// Throws unless `dir` is a folder with no manifest yet (and, to move, no files/).
void check_init(const fs::path& dir, bool move) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw usage_error(quote(dir.string()) + " is not a folder; give the template folder");
  }
  const fs::path manifest = dir / "template.json";
  if (fs::symlink_status(manifest, ec).type() != fs::file_type::not_found) {
    throw usage_error(quote(manifest.string()) +
                      " already exists; this folder is a template already (remove it to "
                      "start again)");
  }
  const fs::path files = dir / "files";
  if (move && fs::symlink_status(files, ec).type() != fs::file_type::not_found) {
    throw usage_error(quote(files.string()) +
                      " already exists, so the files cannot move under it; rename it, or "
                      "run without --move (a manifest beside the files works as well)");
  }
}

// Moves every entry of `dir` but the manifest, files/ and .git under files/; a failure puts
// back what moved. Returns how many moved.
std::size_t move_under_files(const fs::path& dir, const fs::path& manifest) {
  const fs::path files = dir / "files";
  std::vector<std::pair<fs::path, fs::path>> moved;
  try {
    fs::create_directory(files);
    std::vector<fs::path> entries;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string leaf = entry.path().filename().string();
      if (leaf != "template.json" && leaf != "files" && leaf != ".git") {
        entries.push_back(entry.path());
      }
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& from : entries) {
      const fs::path to = files / from.filename();
      fs::rename(from, to);
      moved.emplace_back(from, to);
    }
  } catch (const fs::filesystem_error& e) {
    std::error_code ec;
    for (auto it = moved.rbegin(); it != moved.rend(); ++it) {
      fs::rename(it->second, it->first, ec);
    }
    fs::remove(files, ec);
    throw runtime_error("cannot move the files under " + quote(files.string()) + ": " +
                        e.code().message() + "; they were put back, and " +
                        quote(manifest.string()) + " works beside them");
  }
  return moved.size();
}

}  // namespace

std::vector<FoundTemplate> find_templates(const std::vector<fs::path>& search) {
  std::vector<FoundTemplate> out;
  std::map<std::string, fs::path> first;
  std::set<fs::path> seen_dirs;
  std::error_code ec;
  for (const auto& dir : search) {
    const fs::path canonical = fs::weakly_canonical(dir, ec);
    if (!fs::is_directory(dir, ec) || !seen_dirs.insert(canonical).second) {
      continue;  // missing, or the same folder twice on the path
    }
    for (const auto& folder : sorted_folders(dir)) {
      FoundTemplate f;
      f.name = folder.filename().string();
      f.folder = folder;
      if (auto [it, added] = first.emplace(f.name, folder); !added) {
        f.shadowed = it->second.string();
      }
      try {
        f.tmpl = load_template(folder.string(), {});
      } catch (const Error& e) {
        f.error = e.what();
      }
      out.push_back(std::move(f));
    }
  }
  return out;
}

TemplateInit init_template(const fs::path& dir, const std::string& name_arg, bool move) {
  check_init(dir, move);
  const Template t = load_template(dir.string(), {});  // bare: every file, ports and keys found
  const PlaceholderScan scan = scan_placeholders(t.files);
  const std::string name = name_arg.empty() ? t.name : name_arg;
  if (name.empty()) {
    throw usage_error("--name is empty; give the template a name");
  }
  check_text(name, "--name");
  TemplateInit out;
  nlohmann::ordered_json vars = nlohmann::ordered_json::object();
  for (const auto& [key, use] : scan.variables) {
    // No "default": each placeholder's own `{{key|default}}` keeps applying, so the template
    // renders exactly as before; add one to give every use the same value.
    std::string description = "used in " + keys::join(use.files, ", ");
    if (!use.defaults.empty()) {
      description += "; inline defaults: " + keys::join(use.defaults, ", ");
    }
    vars[key] = {{"description", description}};
    out.variables.push_back(key);
  }
  for (const auto& f : t.files) {
    if (f.binary) {
      out.binaries.push_back(f.path);
    }
    out.executables += (f.mode & 0100) != 0;
  }
  out.files = t.files.size();
  out.ports = scan.ports;
  out.manifest = dir / "template.json";
  out.content = {{"name", name},
                 {"description", "made by berth template init from " + t.name},
                 {"ports", scan.ports},
                 {"variables", vars},
                 {"render", {"**"}},
                 {"copy", out.binaries},
                 {"starter", json::array()},
                 {"modes", json::object()}};
  // Write the manifest, then move the files: a manifest beside the files is a working template
  // already, so a move that fails halfway is put back and leaves it usable.
  write_atomic(out.manifest, out.content.dump(2) + "\n", 0644);
  if (move) {
    out.moved = move_under_files(dir, out.manifest);
  }
  return out;
}

}  // namespace berth
