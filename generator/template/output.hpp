#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "generator/template/render.hpp"
#include "generator/template/template.hpp"
#include "store/model.hpp"

namespace berth {

// A file to be written into an app folder.
struct OutputFile {
  std::string path;  // relative, '/'-separated, checked to stay inside the folder
  std::string content;
  unsigned mode = 0644;
  bool starter = false;  // written only when missing (the template's `starter` files)
};

// The file in an app folder that records what berth wrote there (paths and content hashes). No
// template or overlay file may have its name.
constexpr char k_scaffold_manifest[] = ".berth-manifest.json";

// Throws a usage error (`what` names the path's role) unless `path` is a relative file path
// that stays inside its folder: no empty, '.' or '..' component, no name over 255 bytes, at most
// 2,048 bytes, not berth's manifest name.
void check_relative(const std::string& path, const std::string& what);

// Throws unless every `sets` key is a variable the template declares, with a value it accepts.
void check_sets(const Template& tmpl, const std::map<std::string, std::string>& sets);

// The placeholders a reservation gives a template: model, model_slug, app_num, project_name,
// <name>_port for every named port, the earlier system's keys (PROJECT_NAME and
// COMPOSE_PROJECT_NAME, <NAME>_PORT), the template's variables (defaults, then `sets`), and for
// every key a <key>_json form (the value as a JSON string literal, safe in Python and JS code).
// A `sets` key the template does not declare is a usage error.
Context make_context(const Reservation& reservation, const Template& tmpl,
                     const std::map<std::string, std::string>& sets);

// Renders every file of the template (and file names) and adds `.env` from `.env.example`.
// Throws one usage error listing every failed placeholder as file:line:column, and refuses
// output paths that are absolute, empty or hold `..`. Overlay files (copied verbatim) replace
// or add to the rendered ones.
// With `bodies` false only the paths are rendered and checked (contents left empty): what
// `berth plan` needs to learn an app's outputs, once the bodies are known to render with the
// same set of keys.
// With `parts`, only the files of the parts named ("root": the files in no part), and for the
// parts left out, the template's without/<part>/ files.
std::vector<OutputFile> render_template(
    const Template& tmpl, const Context& context, const std::vector<OutputFile>& overlay = {},
    bool bodies = true, const std::optional<std::vector<std::string>>& parts = std::nullopt);

// Reads every file under `dir` as an overlay (verbatim, keeping the executable bit).
std::vector<OutputFile> read_overlay(const std::filesystem::path& dir);

}  // namespace berth
