#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace berth {

// One file of a template, read into memory.
struct TemplateFile {
  std::string
      path;  // relative to the template's files/ folder, '/'-separated; may hold placeholders
  std::string content;
  bool render = true;  // false: copied verbatim
  unsigned mode = 0644;
};

struct TemplateVariable {
  std::string default_value;
  std::string description;
};

// A template folder: `template.json` (the manifest) beside `files/` (see docs/templates.md).
struct Template {
  std::string name;
  std::string description;
  std::filesystem::path root;
  std::vector<std::string> ports;                     // named ports it needs from the pool
  std::map<std::string, TemplateVariable> variables;  // declared variables with their defaults
  std::vector<TemplateFile> files;                    // sorted by path
  std::vector<std::filesystem::path> folders;         // root, files/ and every folder below
};

// Loads a template by name (searched in `search`, in order) or by folder (a value holding '/'
// or naming an existing folder). Throws a usage error naming the problem: no such template,
// a malformed manifest, a file matching neither `render` nor `copy`, a symlink leading outside
// the template.
Template load_template(const std::string& name_or_dir,
                       const std::vector<std::filesystem::path>& search);

// Where templates are looked for: $BERTH_TEMPLATE_PATH (':'-separated), then the installed
// share/berth/templates beside the executable, then this source tree's templates/.
std::vector<std::filesystem::path> template_search_path();

// Shell-style glob on '/'-separated paths: `*` and `?` stay within one path component, `**`
// crosses them (`**/` also matches nothing). Time is bounded by |pattern| x |path|; manifests
// may hold globs of up to k_max_glob_bytes.
constexpr std::size_t k_max_glob_bytes = 1024;
bool glob_match(const std::string& pattern, const std::string& path);

}  // namespace berth
