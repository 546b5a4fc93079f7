#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generator/template/template.hpp"

namespace berth {

// One folder found on the template search path.
struct FoundTemplate {
  std::string name;  // what --template NAME accepts: the folder's name
  std::filesystem::path folder;
  std::optional<Template> tmpl;
  std::string error;     // why it cannot be used, when it cannot
  std::string shadowed;  // the folder of the same name found first, if any
};

// Every template folder on the search path, in search order then name order; a folder met
// twice on the path is listed once.
std::vector<FoundTemplate> find_templates(const std::vector<std::filesystem::path>& search);

// What `berth template init` wrote.
struct TemplateInit {
  std::filesystem::path manifest;
  nlohmann::ordered_json content;  // the manifest
  std::size_t files = 0;
  std::vector<std::string> binaries;  // copied verbatim
  std::size_t executables = 0;
  std::vector<std::string> ports;
  std::vector<std::string> variables;
  std::size_t moved = 0;  // entries moved under files/ (with `move`)
};

// Writes a template.json for the bare template folder `dir`: its ports and variables (without
// defaults, so each placeholder's inline default keeps applying), its binaries under `copy`.
// With `move`, the files then move under files/; a move that fails is put back (the manifest
// beside the files works as it is). Refuses a folder with a manifest, or with `move` a files/.
TemplateInit init_template(const std::filesystem::path& dir, const std::string& name, bool move);

}  // namespace berth
