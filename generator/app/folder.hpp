#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "generator/template/output.hpp"
#include "generator/template/template.hpp"
#include "store/model.hpp"

namespace berth {

struct ScaffoldReport {
  std::vector<std::string> written;    // created or changed
  std::vector<std::string> unchanged;  // already held the right bytes: not touched
  std::vector<std::string> removed;    // written by berth earlier, no longer produced
  std::vector<std::string> started;    // starter files already there: never touched
  std::vector<std::string> replaced;   // someone else's files replaced, kept as <path>.berth-orig
  std::vector<std::pair<std::string, std::string>> kept;  // path, why it was left alone
};

// What bringing an app folder up to date takes: the files to write and remove, and what berth
// will own there afterwards.
struct ScaffoldPlan {
  std::filesystem::path root;  // the folder, absolute
  std::string template_name;
  std::vector<OutputFile> writes;
  std::vector<std::string> removals;
  std::map<std::string, std::string> manifest;  // path -> content hash, after the plan is applied
  std::vector<std::string> backups;  // files saved as <path>.berth-orig before they are written
  std::optional<std::vector<std::string>> parts;  // the parts the app has, recorded
  std::optional<AppKey> app;  // the app the folder belongs to: as recorded, then as claimed
  std::map<std::string, std::string> vars;      // the variables it is scaffolded with, recorded
  std::map<std::string, std::string> starters;  // starter files as berth wrote them, recorded
  ScaffoldReport report;
};

// The suffix under which an adopted file's earlier content is kept.
constexpr char k_orig_suffix[] = ".berth-orig";

// Plans bringing `dir` to hold `files`, touching only what differs:
// - a file with the right bytes is left alone (no write, mtime unchanged);
// - a file berth wrote earlier that the user edited since is kept and reported, unless `force`;
// - a file berth did not write is never touched (kept and reported), except a starter file berth
//   wrote and nobody changed since, which an overlay's file at its path replaces;
// - files berth wrote earlier that are no longer produced are removed (edited ones kept unless
//   `force`).
// Every check happens here, before anything is written: paths that would leave `dir` (through
// `..` or a symlink), an --out that is not a folder, a foreign manifest.
// With `adopt` (backfill --force), a file berth did not write, or edited since, is replaced
// too, its content kept beside it as <path>.berth-orig; when that name is taken, the file is
// kept instead. Nothing is ever lost.
ScaffoldPlan plan_app(const std::filesystem::path& dir, const std::vector<OutputFile>& files,
                      const std::string& template_name, bool force, bool adopt = false);

// Claims the planned folder for `key`: refused (a conflict naming the other app and the ways
// out) when its manifest names another app, unless `force`, which re-targets the folder and
// releases nothing. A folder whose manifest names no app (an older berth's) is simply claimed.
void claim_folder(ScaffoldPlan& plan, const AppKey& key, bool force);

// The variables `berth scaffold` uses for `key` in `dir`: those recorded in its manifest by an
// earlier scaffold of the same app (only those `tmpl` still declares, less `unset`), overridden
// by `sets`. Each `unset` key must be a variable of `tmpl`.
std::map<std::string, std::string> remembered_sets(const std::filesystem::path& dir,
                                                   const AppKey& key, const Template& tmpl,
                                                   const std::map<std::string, std::string>& sets,
                                                   const std::vector<std::string>& unset);

// The variables recorded in `dir`'s manifest (empty when none, or no manifest).
std::map<std::string, std::string> recorded_vars(const std::filesystem::path& dir);

// The parts recorded in `dir`'s manifest by an earlier backfill, if any.
std::optional<std::vector<std::string>> recorded_parts(const std::filesystem::path& dir);

// Takes out of `files` each file missing from `dir` whose `needs` (template.json) the app's own
// dependency lists do not meet, and returns each with why: the app's package.json lacks a
// package that file needs, say. Such a file is reported, and the dependency never added.
std::vector<std::pair<std::string, std::string>> hold_back_unmet(const Template& tmpl,
                                                                 const std::filesystem::path& dir,
                                                                 std::vector<OutputFile>& files);

// Carries a plan out: each write goes to a temporary file renamed into place, then the manifest
// is updated (only if it changed). The caller holds the folder's FolderLock: temporary files
// of other processes found there are a killed run's, and are removed. With `touch`, files left
// alone (unchanged or kept) get the current time as mtime, so a build system sees every output
// newer than its inputs.
void apply_plan(ScaffoldPlan plan, bool touch = false);

// What removing an app's folder did (or, dry, would do).
struct FolderRemoval {
  std::vector<std::string> removed;                       // berth's files, as berth wrote them
  std::vector<std::pair<std::string, std::string>> kept;  // path, why (a user's or changed file)
  bool folder_gone = false;                               // nothing was left: the folder too
};

// Removes from `dir`, under its FolderLock, every file its manifest records as berth's (owned
// files and starters) that still holds berth's bytes, then the manifest when nothing of berth's
// stays, then every folder left empty (the app folder included). A user's file, or one changed
// since berth wrote it, is kept and reported; nothing else is touched. A folder without a berth
// manifest is left alone, and said so.
FolderRemoval remove_app_folder(const std::filesystem::path& dir, bool dry_run);

}  // namespace berth
