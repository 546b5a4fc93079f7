// Removing an app's folder when its app is dropped: berth's files only, never a user's.
#include <optional>

#include "generator/app/folder.hpp"
#include "generator/app/manifest.hpp"
#include "generator/io/fileio.hpp"
#include "store/error.hpp"

namespace berth {

namespace fs = std::filesystem;

namespace {

// Removes the folders under `root` that `path`'s removal left empty, then `root` if it is empty.
void remove_empty_folders(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  for (fs::path parent = path.parent_path(); within(root, parent); parent = parent.parent_path()) {
    if (!fs::is_empty(parent, ec) || ec || !fs::remove(parent, ec) || parent == root) {
      break;
    }
  }
}

// Whether the file still holds the bytes whose hash berth recorded.
std::optional<std::string> changed_since(const fs::path& file, const std::string& hash) {
  std::error_code ec;
  const auto st = fs::symlink_status(file, ec);
  if (st.type() == fs::file_type::not_found) {
    return std::nullopt;
  }
  const auto content =
      st.type() == fs::file_type::regular ? read_if_file(file) : std::optional<std::string>();
  if (!content) {
    return "no longer a file berth wrote";
  }
  return hash_hex(*content) == hash ? std::nullopt
                                    : std::optional<std::string>("changed since berth wrote it");
}

}  // namespace

FolderRemoval remove_app_folder(const fs::path& dir, bool dry_run) {
  FolderRemoval out;
  std::error_code ec;
  const fs::path manifest_path = dir / k_scaffold_manifest;
  if (!fs::is_regular_file(manifest_path, ec)) {
    out.kept.emplace_back(
        ".", fs::exists(dir, ec) ? "no berth manifest: not berth's folder" : "already gone");
    out.folder_gone = !fs::exists(dir, ec);
    return out;
  }
  std::optional<FolderLock> lock;
  if (!dry_run) {
    lock.emplace(dir);
  }
  const AppManifest manifest = read_manifest(manifest_path);
  std::map<std::string, std::string> berths = manifest.starters;
  berths.insert(manifest.files.begin(), manifest.files.end());
  for (const auto& [path, hash] : berths) {
    check_relative(path, "manifest entry");
    const fs::path file = dir / path;
    if (!fs::exists(fs::symlink_status(file, ec))) {
      continue;
    }
    if (const auto why = changed_since(file, hash)) {
      out.kept.emplace_back(path, *why + "; left where it is");
      continue;
    }
    out.removed.push_back(path);
    if (!dry_run) {
      fs::remove(file, ec);
      remove_empty_folders(dir, file);
    }
  }
  if (out.kept.empty() && !dry_run) {
    fs::remove(manifest_path, ec);
    fs::remove(dir, ec);  // only when empty: a user's other files keep it
    out.folder_gone = !fs::exists(dir, ec);
  }
  return out;
}

}  // namespace berth
