#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.hpp"

namespace berth {

// What `berth doctor` found: a line per thing checked, warnings, problems, and the same as one
// JSON object (`report`, with "problems", "warnings" and "ok").
struct DoctorReport {
  nlohmann::json report = nlohmann::json::object();
  std::vector<std::string> lines;
  std::vector<std::string> warnings;
  std::vector<std::string> problems;
};

// Everything at once: the store (path, schema, map use, reader slots, invariants), the host
// (listeners on held ports, the kernel's port ranges), each pool's fill (a warning over 80%),
// and with `build` a CMake build folder's lock file against the store. Throws a usage error when
// `build` is not a CMake build folder.
DoctorReport doctor(const Store& store, const std::optional<std::filesystem::path>& build);

}  // namespace berth
