#pragma once

// The steps of `berth plan` (run_plan in plan.cpp), shared by the files of this folder:
// declarations.cpp (where each app was declared), lock.cpp (the lock file), checks.cpp (what is
// checked and rendered before the commit), fingerprint.cpp (when a re-run may skip its work) and
// outputs.cpp (the lock, stamps, summary, CMake file and kustomization written after it).

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "generator/configure/plan.hpp"
#include "generator/template/output.hpp"
#include "store/error.hpp"

namespace berth::configure {

// "entry 3 ('m' app 1, declared at CMakeLists.txt:12)"
std::string where(std::size_t index, const PlanEntry& e);

// Throws the plan's refusal, listing every problem.
[[noreturn]] void refuse(const std::vector<std::string>& problems);

// The stamp files `plan --stamps DIR` writes: one per build command, `DIR/<its first
// target>.stamp`.
std::vector<std::string> stamp_files(const std::vector<PlanEntry>& entries,
                                     const std::filesystem::path& stamps_dir);

// A plain target (and stamp file) name: letters, digits, '_', '.', '+', '-'; not '.' or '..';
// at most 200 characters.
bool is_target_name(const std::string& name);

// Throws unless `value` can travel through a CMake list: no ';' and no newline.
void check_cmake_safe(const std::string& value);

// The lock's entries for the plan's apps, as pins (and project names); refusals in `problems`.
std::vector<BatchOp> apply_lock(const std::vector<PlanEntry>& entries,
                                const std::map<AppKey, LockEntry>& lock, const PlanOptions& options,
                                std::vector<std::string>& problems);

// --relock: each locked app (entry index) whose locked port or name another owner holds in the
// store, with who holds what.
std::map<std::size_t, std::string> relock_moves(const Store& store,
                                                const std::vector<PlanEntry>& entries,
                                                const std::map<AppKey, LockEntry>& lock);

// "'m' app 2: backend 5003 -> 5007, frontend 8003 -> 8007 (5003 held by 'x' app 1)" per app
// that --relock moved.
std::vector<std::string> relocked(const std::vector<PlanEntry>& entries,
                                  const std::map<AppKey, LockEntry>& lock,
                                  const std::map<std::size_t, std::string>& moved,
                                  const std::vector<ReserveResult>& results);

// The apps declared by the last run (its summary) and not by this one, added to the build
// tree's dropped.json (apps declared again leave it); returns those dropped by this run.
std::vector<DroppedApp> update_dropped(const std::vector<PlanEntry>& entries,
                                       const PlanOptions& options);

// The lock file's text: every app, sorted by key.
std::string lock_text(const std::vector<ReserveResult>& results);

// Apps declared twice, two apps with one folder, target or nested folders, and outputs that
// could not be written: everything that would fail after the commit, found before it.
void check_entries(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                   std::vector<std::string>& problems);

// Every app's template (each loaded once) and overlay.
struct Sources {
  std::vector<std::shared_ptr<const Template>> templates;
  std::vector<std::vector<OutputFile>> overlays;
};
Sources load_sources(const std::vector<PlanEntry>& entries, std::vector<std::string>& problems);

// Each app's VARS against its template (those whose template loaded): undeclared keys, values
// the template refuses; one problem per app.
void check_variables(const std::vector<PlanEntry>& entries, const Sources& sources,
                     std::vector<std::string>& problems);

// What each app's scaffold will write, against the reservations as they will be: every app is
// rendered in memory, so a template or variable error refuses the plan before it commits.
std::vector<std::vector<std::string>> render_outputs(const std::vector<PlanEntry>& entries,
                                                     const Sources& sources,
                                                     const std::vector<ReserveResult>& results,
                                                     bool for_cmake,
                                                     std::vector<std::string>& problems);

// Batch errors say "batch entry N: ..."; say instead which app that is, where it was declared,
// and whether the lock file pinned the port that is held.
std::vector<std::string> label(const Error& err, const std::vector<PlanEntry>& entries,
                               const std::map<AppKey, LockEntry>& lock, const PlanOptions& options,
                               const std::vector<std::size_t>& order);

// A fingerprint of everything the outputs of `berth plan` depend on: the apps as declared,
// the options, the lock file, each template's files (names, contents, modes), each overlay's
// file names, and the reservations as they are. When it matches the one recorded by the last
// run, rendering and writing can be skipped: every output would come out the same.
std::string fingerprint(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                        const Sources& sources, const std::vector<ReserveResult>& results);

// Writes the lock, stamps, summary, kustomization and CMake file of a committed plan, each only
// if changed.
PlanResult write_results(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                         const std::vector<ReserveResult>& results, const Sources& sources,
                         const std::vector<std::vector<std::string>>& outputs);

}  // namespace berth::configure
