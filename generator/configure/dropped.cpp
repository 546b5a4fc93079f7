// The apps a build tree declared before and declares no more: remembered in
// <build>/berth/dropped.json until `berth prune --build` (or BERTH_PRUNE=ON) cleans them up, or
// they are declared again.
#include "generator/configure/plan.hpp"
#include "generator/configure/steps.hpp"
#include "generator/io/fileio.hpp"
#include "generator/io/inputs.hpp"
#include "store/json_read.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The apps of a summary (apps.json) or of dropped.json: key -> folder. A file that is missing or
// not as berth writes it gives none (the summary is berth's own output, rewritten each run).
std::map<AppKey, std::string> apps_in(const fs::path& path, const char* list) {
  std::map<AppKey, std::string> out;
  const auto text = read_if_file(path);
  const json doc = text ? json::parse(*text, nullptr, false) : json();
  if (!doc.is_object() || !doc.contains(list) || !doc[list].is_array()) {
    return out;
  }
  for (const auto& a : doc[list]) {
    try {
      const JsonFields e(a, path.string());
      out[entry_key(e, "app")] = e.string_or("out", "");
    } catch (const Error&) {
      // an entry berth did not write: not an app this tree declared
    }
  }
  return out;
}

}  // namespace

fs::path dropped_file(const fs::path& build_dir) {
  return build_dir / "berth" / "dropped.json";
}

std::vector<DroppedApp> read_dropped(const fs::path& build_dir) {
  std::vector<DroppedApp> out;
  for (const auto& [key, folder] : apps_in(dropped_file(build_dir), "dropped")) {
    out.push_back({key, folder});
  }
  return out;
}

void write_dropped(const fs::path& build_dir, const std::vector<DroppedApp>& apps) {
  const fs::path file = dropped_file(build_dir);
  if (apps.empty()) {
    std::error_code ec;
    fs::remove(file, ec);
    return;
  }
  json list = json::array();
  for (const auto& d : apps) {
    json j = {{"model", d.key.model}, {"app", d.key.app}, {"out", d.out}};
    if (!d.key.ns.empty()) {
      j["namespace"] = d.key.ns;
    }
    list.push_back(j);
  }
  write_if_changed(file, json{{"dropped", list}}.dump(2) + "\n");
}

namespace configure {

std::vector<DroppedApp> update_dropped(const std::vector<PlanEntry>& entries,
                                       const PlanOptions& options) {
  if (!options.binary_dir || !options.summary_out) {
    return {};
  }
  std::set<AppKey> declared;
  for (const auto& e : entries) {
    declared.insert(e.request.key);
  }
  std::map<AppKey, std::string> remembered;
  for (const auto& d : read_dropped(*options.binary_dir)) {
    remembered[d.key] = d.out;
  }
  std::vector<DroppedApp> now_dropped;
  for (const auto& [key, out] : apps_in(*options.summary_out, "apps")) {
    if (!declared.count(key) && !remembered.count(key)) {
      now_dropped.push_back({key, out});
      remembered[key] = out;
    }
  }
  std::vector<DroppedApp> all;
  for (const auto& [key, out] : remembered) {
    if (!declared.count(key)) {
      all.push_back({key, out});  // declared again: no longer dropped
    }
  }
  write_dropped(*options.binary_dir, all);
  return now_dropped;
}

}  // namespace configure
}  // namespace berth
