#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generator/app/folder.hpp"
#include "generator/template/template.hpp"
#include "store/store.hpp"

namespace berth {

// One app to scaffold: by `berth scaffold`'s options, or by a stamp of `berth plan` (build-app).
struct ScaffoldArgs {
  ReserveRequest request;
  std::map<std::string, std::string> sets;
  std::string out;
  std::string overlay;  // the overlay folder, for the overlap check; its files are passed apart
  bool dry_run = false;
  bool force = false;
  bool touch = false;
  // build-app: the reservation configure made, which must still be in the store as it is
  // (slot aside). Nothing is reserved then: the store may be open read-only.
  std::optional<nlohmann::json> expected;
};

struct ScaffoldOutcome {
  ReserveResult result;
  ScaffoldReport report;
};

// Reserves (or, with `expected`, checks) the app and brings its folder up to date, all or
// nothing: templates, variables and the folder are checked against what the reservation would
// be before it is made; the folder is created, locked (FolderLock) and planned again under the
// lock; when writing fails, a reservation this run made is released and folders it created
// (still empty) are removed. Prints nothing.
ScaffoldOutcome scaffold_app(Store& store, const Template& tmpl,
                             const std::vector<OutputFile>& overlay, const ScaffoldArgs& args);

}  // namespace berth
