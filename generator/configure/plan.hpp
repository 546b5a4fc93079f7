#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace berth {

// One app of a plan: what add_generated_app() declared.
struct PlanEntry {
  ReserveRequest request;
  std::string template_name = "react-flask";  // a name or a folder
  std::map<std::string, std::string> vars;
  std::string overlay;      // a folder of files copied over the scaffold, or empty
  std::string out;          // the app folder (passed through to the summary)
  std::string target;       // the CMake target (passed through)
  std::string declared;     // "file:line" of the declaration, for messages
  std::string declared_in;  // the declaring file, when `declared` is to be found (CMake)
};

// Fills `declared` ("file:line", the file relative to `source_dir`) for entries that give only
// `declared_in`: the n-th entry from a file is that file's n-th add_generated_app( call in the
// text, outside function() and macro() bodies, when the counts agree; otherwise (loops,
// wrappers) `declared` names the file alone.
void locate_declarations(std::vector<PlanEntry>& entries, const std::filesystem::path& source_dir);

// Reads a plan file: a JSON list of {"model", "app", "namespace"?, "pool"?, "ports"?, "template"?,
// "vars"?, "overlay"?, "out"?, "target"?, "declared"?}. Throws a usage error naming the bad entry.
// An entry without a namespace is in `ns`.
std::vector<PlanEntry> read_plan(const std::string& path, const std::string& ns = {});

// Reads the add_generated_app() calls the CMake module recorded (`berth plan --calls`; the
// format is in docs/cli.md) into entries, each call's arguments checked as add_generated_app
// documents them and its defaults applied: the app folder under `binary_dir` (the top build
// folder), the target from the model. Every bad call is a problem naming its declaration (found
// as locate_declarations does, relative to `source_dir`); throws them all at once.
std::vector<PlanEntry> read_calls(const std::string& path, const std::filesystem::path& binary_dir,
                                  const std::filesystem::path& source_dir, const std::string& ns);

// One app of a lock file.
struct LockEntry {
  std::string pool;
  std::map<std::string, std::uint16_t> ports;
  std::string project;
  std::vector<std::string> extra;  // extra pools of its ports (the NodePort pool)
};

// Reads a lock file ({"berth_lock": 1, "apps": [...]}; an empty file is an empty lock). Throws a
// usage error naming the file, the app and the field.
std::map<AppKey, LockEntry> read_lock(const std::filesystem::path& path);

struct PlanOptions {
  std::optional<std::filesystem::path> lock;  // read it if present, pin its ports, rewrite it
  bool locked = false;                        // the lock must hold every app; never written
  std::optional<std::filesystem::path> cmake_out;
  std::optional<std::filesystem::path> summary_out;
  // For each build command, write `<stamps_dir>/<first target>.stamp`: what its apps' scaffolds
  // depend on besides files (ports, name, template, variables, overlay), rewritten only when
  // that changes.
  std::optional<std::filesystem::path> stamps_dir;
  // The CMake build folder: the build commands' depfiles name their output relative to it.
  std::optional<std::filesystem::path> binary_dir;
  // With stamps: skip rendering and writing when nothing the outputs depend on changed since
  // the last run (recorded in <stamps_dir>/plan.fingerprint). The summary is then not filled.
  bool reuse = true;
  // Re-allocate exactly the locked apps whose locked ports (or project name) another owner holds
  // in this store, and rewrite their lock entries. Refused with `locked`.
  bool relock = false;
  // Empty: every app's target is in `all` and depends on its build command's output (right for
  // Ninja). Otherwise (Makefile generators, where every target in `all` costs a recursive make
  // and two cmake processes): this one target, in `all`, runs every build command, and each
  // app's target is left out of `all` and scaffolds just its app when asked for.
  std::string all_target;
  // Targets the project has already (the CMake module lists them): an app's target may not be
  // one of them.
  std::set<std::string> taken_targets;
};

// An app a build tree declared before and no longer declares, and its folder.
struct DroppedApp {
  AppKey key;
  std::string out;
};

// <build>/berth/dropped.json: the apps a build tree dropped and has not cleaned up.
std::filesystem::path dropped_file(const std::filesystem::path& build_dir);
std::vector<DroppedApp> read_dropped(const std::filesystem::path& build_dir);
// Writes the list (removes the file when it is empty).
void write_dropped(const std::filesystem::path& build_dir, const std::vector<DroppedApp>& apps);

struct PlanResult {
  std::string summary;  // {"apps": [...]} in plan order, as dump(2) writes it; empty: not made
  bool lock_written = false;
  std::size_t created = 0;                // apps reserved by this run
  std::vector<Reservation> reservations;  // in plan order
  std::vector<std::string> relocked;      // "'m' app 2: backend 5003 -> 5007 (...)", per app moved
  std::vector<AppKey> adopted;            // apps with no owner that this project adopted
  std::vector<DroppedApp> dropped;        // apps this build tree declared last time, not now
};

// Reserves every app of the plan in one transaction, after rendering each app's template in
// memory to learn the files its scaffold will write. Lock entries become pins (and project
// names). All or nothing: every problem is listed in one thrown error, each naming its entry
// and where it was declared, and then the store, the lock and the outputs are left as they were.
// Files are written only when their content changes.
PlanResult run_plan(Store& store, const std::vector<PlanEntry>& entries,
                    const PlanOptions& options);

}  // namespace berth
