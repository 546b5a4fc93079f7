#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace berth {

struct BuildOptions {
  std::string depfile;       // write a Make-style depfile for every app's inputs ("" = none)
  std::string depfile_base;  // name the depfile's outputs relative to this folder
  // Also write this file once every app is done, and name it alone as the depfile's output:
  // the command's one output (Makefile generators run a `cmake -E` process for every extra
  // output of a command). "" = each app's `done` is an output.
  std::string done;
  // Only the app of this target ("" = every app of the stamps).
  std::string app;
};

// `berth build-app STAMP...`: the CMake module's build step, one process for many apps. Each
// stamp `<dir>/<first target>.stamp` (written by `berth plan --stamps`, one per build command)
// holds its apps; each app is scaffolded exactly as `berth scaffold` would, against the
// reservation the stamp records (checked in the store, opened read-only: nothing is reserved at
// build time), unless it is up to date: `<dir>/<target>.done` records the app's stamp as it is
// now and is newer than the berth program and every template and overlay file it used (listed
// in `<target>.inputs`). Then `<target>.done` is written for every app, so the build system sees
// each output fresh, and "berth: scaffolding <folder>" is printed for each app that was
// scaffolded. Returns the exit code; throws berth::Error.
int build_apps(const std::filesystem::path& store_dir, const std::vector<std::string>& stamps,
               const BuildOptions& options);

}  // namespace berth
