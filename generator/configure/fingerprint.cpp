#include "generator/configure/steps.hpp"

#include <cstdio>
#include <set>

#include "generator/io/fileio.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace configure {

namespace {

// A template's part of the fingerprint: its folder, every file (name, mode, how it is used, a
// hash of its content) with its parts and variants, and its folders.
template <typename Add>
void add_template(const Template& t, const Add& add) {
  add(fs::absolute(t.root).string());
  const auto add_files = [&](const std::vector<TemplateFile>& files) {
    for (const auto& f : files) {
      add(f.path + " " + std::to_string(f.mode) + (f.render ? " r " : " c ") +
          (f.starter ? "s " : "o ") + f.part + " " + std::to_string(fnv1a64(f.content)));
    }
  };
  add_files(t.files);
  for (const auto& [part, files] : t.without) {
    add("without " + part);
    add_files(files);
  }
  for (const auto& [name, variant] : t.variants) {
    add("variant " + name + " " + variant.variable + "=" + variant.value);
    add_files(variant.files);
  }
  for (const auto& folder : t.folders) {
    add(folder.string());
  }
}

}  // namespace

std::string fingerprint(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                        const Sources& sources, const std::vector<ReserveResult>& results) {
  std::string text = "berth plan 2\n";
  const auto add = [&](const std::string& s) { text += std::to_string(s.size()) + ":" + s; };
  const auto add_path = [&](const std::optional<fs::path>& p) {
    add(p ? fs::absolute(*p).string() : std::string("-"));
  };
  add_path(options.lock);
  add(options.locked ? "locked" : "unlocked");
  add_path(options.cmake_out);
  add_path(options.summary_out);
  add_path(options.stamps_dir);
  add_path(options.binary_dir);
  add(options.all_target);
  if (options.lock) {
    add(read_if_file(*options.lock).value_or("-"));
  }
  std::set<const Template*> seen;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const PlanEntry& e = entries[i];
    add(json{{"template", e.template_name},
             {"vars", e.vars},
             {"overlay", e.overlay},
             {"out", e.out},
             {"target", e.target},
             {"declared", e.declared},
             {"result", to_json(results[i].reservation)}}
            .dump());
    const Template* t = sources.templates[i].get();
    if (seen.insert(t).second) {
      add_template(*t, add);
    }
    for (const auto& f : sources.overlays[i]) {
      add(f.path);
    }
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(text)));
  return std::string(hex) + " " + std::to_string(text.size()) + "\n";
}

}  // namespace configure
}  // namespace berth
