#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/model.hpp"

namespace berth {

// What an app folder's `.berth-manifest.json` records.
struct AppManifest {
  std::map<std::string, std::string> files;  // path -> hash of what berth wrote
  std::optional<std::vector<std::string>> parts;
  std::optional<AppKey> app;  // the app the folder belongs to (absent in older manifests)
  std::map<std::string, std::string> vars;  // the variables it was scaffolded with (`vars`)
  // Starter files as berth wrote them (path -> hash): still theirs to replace while untouched,
  // when an overlay later brings the model's own version (`starters`).
  std::map<std::string, std::string> starters;
};

// The content hash the manifest records (FNV-1a, 16 hex digits).
std::string hash_hex(const std::string& content);

// Reads a manifest; a missing one is empty. Writes that were under way when a run was killed
// (`pending`) count as berth's when the file holds the bytes berth was writing. Throws a usage
// error when the file is there but is not a berth manifest.
AppManifest read_manifest(const std::filesystem::path& manifest_path);

// Writes the manifest (only if its bytes change); `pending` lists writes under way.
void write_manifest(const std::filesystem::path& manifest_path, const std::string& template_name,
                    const AppManifest& manifest, const nlohmann::json& pending);

}  // namespace berth
