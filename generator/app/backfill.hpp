#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "generator/app/app_ports.hpp"
#include "generator/app/folder.hpp"
#include "store/store.hpp"

namespace berth {

// berth backfill ROOT: adopting a tree of apps an earlier generator made
// (ROOT/<model folder>/app<N>/).
struct BackfillOptions {
  std::string template_name = "react-flask";
  std::vector<std::string> models;                // only these models (empty: all)
  std::vector<std::uint32_t> apps;                // only these app numbers (empty: all)
  std::optional<std::vector<std::string>> parts;  // --parts; else each app's own
  std::map<std::string, std::string> model_map;   // folder name -> model
  std::string pool;                               // empty: the default pool
  std::string ns;                                 // the apps' namespace (empty: none)
  bool dry_run = false;
  bool force = false;
  bool keep_ports = true;  // keep the ports the app's files name, when free (--new-ports: not)
  unsigned jobs = 1;
  std::set<std::uint16_t> avoid;  // --skip-busy: new allocations step over these
};

struct BackfillApp {
  std::string folder;  // "<model folder>/app<N>", as found under ROOT
  std::filesystem::path dir;
  AppKey key;
  std::vector<std::string> parts;  // the parts it gets ("root" and the template's)
  // Ports the app's files name (.env, else the compose file), and which file.
  std::map<std::string, std::uint16_t> found_ports;
  std::string ports_from;
  ReserveResult result;
  bool ports_kept = false;              // --keep-ports: the found ports were pinned
  std::vector<std::string> port_notes;  // why ports were not kept, what changed
  ScaffoldReport report;
};

struct BackfillResult {
  std::vector<BackfillApp> apps;  // sorted by folder
};

// Scans ROOT, reserves every app found in one store transaction (all or nothing), then brings
// each app folder up to date around what it holds (starter files never touched, missing owned
// files written, someone else's files kept, or with `force` replaced and kept as .berth-orig).
// Every problem of the scan (bad folder names, unsafe paths, template errors) is found before
// anything is reserved, and all are reported at once in one usage error. `on_app` is called as
// each app is done (from one thread at a time). With `dry_run`, nothing is reserved or written,
// and the result says what would be.
BackfillResult backfill(Store& store, const std::filesystem::path& root,
                        const BackfillOptions& options,
                        const std::function<void(const BackfillApp&, std::size_t done,
                                                 std::size_t total)>& on_app = {});

}  // namespace berth
