#include <unistd.h>

#include <cerrno>
#include <set>

#include <nlohmann/json.hpp>

#include "generator/app/folder.hpp"
#include "generator/app/manifest.hpp"
#include "generator/io/fileio.hpp"
#include "store/error.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The writes about to happen (path -> hash of the new bytes; starter files are never berth's,
// never recorded), and the folders they and the files left alone live in.
json pending_writes(const ScaffoldPlan& plan, std::set<fs::path>& folders) {
  json pending = json::object();
  folders.insert(plan.root);
  for (const auto& f : plan.writes) {
    if (!f.starter) {
      pending[f.path] = hash_hex(f.content);
    }
    folders.insert((plan.root / f.path).parent_path());
  }
  for (const auto& path : plan.report.unchanged) {
    folders.insert((plan.root / path).parent_path());
  }
  for (const auto& [path, why] : plan.report.kept) {
    folders.insert((plan.root / path).parent_path());
  }
  return pending;
}

// Someone else's files keep their content under a name nobody else uses: a hard link (same
// bytes and mode, atomic, never over an existing file), else an exclusive copy.
void keep_originals(const ScaffoldPlan& plan) {
  for (const auto& path : plan.backups) {
    const fs::path from = plan.root / path;
    const fs::path to = plan.root / (path + k_orig_suffix);
    if (::link(from.c_str(), to.c_str()) != 0) {
      if (errno == EEXIST) {
        throw runtime_error(quote(to.string()) + " appeared while berth was writing; nothing of " +
                            quote(path) + " was changed");
      }
      fs::copy_file(from, to, fs::copy_options::none);
    }
  }
}

// Removes a file berth no longer produces, and the folders it leaves empty up to the app folder.
void remove_output(const fs::path& root, const std::string& path) {
  std::error_code ec;
  fs::remove(root / path, ec);
  for (fs::path parent = (root / path).parent_path(); parent != root && within(root, parent);
       parent = parent.parent_path()) {
    if (!fs::is_empty(parent, ec) || ec || !fs::remove(parent, ec)) {
      break;
    }
  }
}

// Writes each changed file atomically and removes stale ones, moving each landed write from
// `pending` into the manifest.
void write_outputs(ScaffoldPlan& plan, AppManifest& manifest, json& pending) {
  for (const auto& f : plan.writes) {
    write_atomic(plan.root / f.path, f.content, f.mode);
    if (!f.starter) {
      manifest.files[f.path] = hash_hex(f.content);
      manifest.starters.erase(f.path);  // the model's own version now: berth keeps it up to date
      pending.erase(f.path);
    } else {
      manifest.starters[f.path] = hash_hex(f.content);
    }
  }
  for (const auto& path : plan.removals) {
    remove_output(plan.root, path);
    manifest.files.erase(path);
  }
}

}  // namespace

void apply_plan(ScaffoldPlan plan, bool touch) {
  const fs::path& root = plan.root;
  const fs::path manifest_path = root / k_scaffold_manifest;
  AppManifest manifest{std::move(plan.manifest), plan.parts, plan.app, plan.vars,
                       std::move(plan.starters)};
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    throw runtime_error("cannot create " + quote(root.string()) + ": " + ec.message());
  }
  // Record what is about to be written before writing it: a run killed at any point leaves a
  // manifest from which the next run tells berth's files from the user's.
  std::set<fs::path> folders;
  json pending = pending_writes(plan, folders);
  for (const auto& folder : folders) {
    remove_stale_temps(folder, true);  // left by runs that were killed mid-write
  }
  if (!plan.writes.empty()) {
    write_manifest(manifest_path, plan.template_name, manifest, pending);
  }
  keep_originals(plan);
  try {
    write_outputs(plan, manifest, pending);
  } catch (...) {
    // Record what did land, so the next run knows those files are berth's.
    write_manifest(manifest_path, plan.template_name, manifest, pending);
    throw;
  }
  write_manifest(manifest_path, plan.template_name, manifest, json::object());
  if (touch) {
    // Only files berth owns and that hold its bytes; a user's own or edited file keeps its time.
    const auto now = fs::file_time_type::clock::now();
    for (const auto& path : plan.report.unchanged) {
      fs::last_write_time(root / path, now, ec);
    }
  }
}

}  // namespace berth
