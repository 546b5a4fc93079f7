#include "generator/configure/steps.hpp"

#include <algorithm>
#include <set>

#include "generator/io/fileio.hpp"
#include "generator/io/json_text.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace configure {

void check_cmake_safe(const std::string& value) {
  if (value.find_first_of(";\n") != std::string::npos) {
    throw usage_error(quote(value) + " holds ';' or a newline, which CMake lists cannot carry");
  }
}

namespace {

// A CMake quoted argument holding `value` (checked with check_cmake_safe beforehand).
std::string cmake_quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\\' || c == '"' || c == '$') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

// How many apps one build command handles: one each for small projects (so that a build shows
// each app's own command), up to 64 for large ones, in about 16 commands or more: a process
// start costs more than scaffolding an app, and 16 commands keep every core busy.
std::size_t chunk_size(std::size_t apps) {
  return std::max<std::size_t>(1, std::min<std::size_t>(64, (apps + 15) / 16));
}

// "apps/m/app1": an app folder for messages, relative to the build folder when it is inside.
std::string label_of(const PlanEntry& e, const PlanOptions& options) {
  std::string shown = e.out;
  if (options.binary_dir) {
    const auto rel = fs::path(e.out).lexically_relative(fs::absolute(*options.binary_dir));
    if (!rel.empty() && rel.generic_string().rfind("..", 0) != 0) {
      shown = rel.generic_string();
    }
  }
  return shown;
}

// The name of an app's target.
std::string target_of(const std::vector<PlanEntry>& entries, std::size_t i) {
  return entries[i].target.empty() ? "app" + std::to_string(i + 1) : entries[i].target;
}

// The stamp file of the build command whose first app is `first`: every app of the command
// (one file per command, not per app: creating a file costs more than writing its bytes).
std::string stamp_file(const std::vector<PlanEntry>& entries, std::size_t first,
                       const fs::path& stamps) {
  return (stamps / (target_of(entries, first) + ".stamp")).string();
}

// With Ninja, the target of a build command of several apps, `<its first app's target>.chunk`.
// Each app's target depends on it rather than on the command's output: a target that depends on
// one output of a command gets all of them (CMake writes every output of the command into every
// such target's rule: the CMake side of a 1,000-app configure took more than twice as long).
std::string chunk_target(const std::vector<PlanEntry>& entries, std::size_t first) {
  return target_of(entries, first) + ".chunk";
}

// One build command for the apps [first, last): berth build-app on their stamps, with a DEPFILE
// naming the template and overlay files. Its outputs are the apps' `done` files; with an
// all-target, one file for the command instead (`<first app's target>.chunk`), the `done` files
// being byproducts: a Makefile generator runs a `cmake -E touch_nocreate` for every extra output.
std::string build_command(const std::vector<PlanEntry>& entries, std::size_t first,
                          std::size_t last, const fs::path& stamps, const PlanOptions& options) {
  const fs::path binary =
      options.binary_dir ? fs::absolute(*options.binary_dir).lexically_normal() : stamps;
  const std::string stamp_args = " " + cmake_quote(stamp_file(entries, first, stamps));
  std::string dones;
  for (std::size_t i = first; i < last; ++i) {
    dones += " " + cmake_quote((stamps / (target_of(entries, i) + ".done")).string());
  }
  std::string outputs = dones, done_args;
  if (!options.all_target.empty()) {
    const std::string chunk =
        cmake_quote((stamps / (target_of(entries, first) + ".chunk")).string());
    outputs = " " + chunk + "\n  BYPRODUCTS" + dones;
    done_args = " --done " + chunk;
  }
  const fs::path depfile = stamps / (target_of(entries, first) + ".d");
  std::string comment = "berth: checking " + target_of(entries, first);
  if (last - first > 1) {
    comment = "berth: checking " + std::to_string(last - first) + " apps, " +
              target_of(entries, first) + " to " + target_of(entries, last - 1);
  }
  std::string text = "add_custom_command(OUTPUT" + outputs + "\n" +
                     "  COMMAND ${_berth_command} build-app" + stamp_args + "\n" +
                     "    --depfile " + cmake_quote(depfile.string()) + " --depfile-base " +
                     cmake_quote(binary.string()) + done_args + "\n" + "  DEPENDS" + stamp_args +
                     " ${_berth_program_dep}\n" + "  DEPFILE " + cmake_quote(depfile.string()) +
                     "\n" + "  COMMENT " + cmake_quote(comment) + " VERBATIM)\n";
  if (options.all_target.empty() && chunk_size(entries.size()) > 1) {  // even a last app alone
    text += "add_custom_target(" + chunk_target(entries, first) + " DEPENDS" + dones + ")\n";
  }
  return text;
}

// An app's target: in `all`, depending on its build command's output (its command's target when
// the command has several apps); or (with an all-target) out of `all`, scaffolding just its app
// when asked for.
std::string app_target(const std::vector<PlanEntry>& entries, std::size_t index,
                       const fs::path& stamps, const PlanOptions& options) {
  const std::string target = target_of(entries, index);
  const std::size_t chunk = chunk_size(entries.size());
  if (options.all_target.empty() && chunk == 1) {
    return "add_custom_target(" + target + " ALL DEPENDS " +
           cmake_quote((stamps / (target + ".done")).string()) + ")\n";
  }
  if (options.all_target.empty()) {
    return "add_custom_target(" + target + " ALL)\nadd_dependencies(" + target + " " +
           chunk_target(entries, index / chunk * chunk) + ")\n";
  }
  return "add_custom_target(" + target + " COMMAND ${_berth_command} build-app " +
         cmake_quote(stamp_file(entries, index / chunk * chunk, stamps)) + " --app " + target +
         "\n  COMMENT " + cmake_quote("berth: checking " + target) + " VERBATIM)\n";
}

// An app's reservation as properties of its target.
std::string app_properties(const std::string& target, const PlanEntry& e, const Reservation& r) {
  std::string ports, port_props;
  for (const auto& p : r.ports) {
    ports += (ports.empty() ? "" : ";") + p.name + "=" + std::to_string(p.port);
    std::string upper = p.name;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    port_props += " BERTH_" + upper + "_PORT " + std::to_string(p.port);
  }
  return "set_target_properties(" + target + " PROPERTIES BERTH_MODEL " + cmake_quote(r.key.model) +
         " BERTH_APP " + std::to_string(r.key.app) + " BERTH_POOL " + cmake_quote(r.pool) +
         " BERTH_PROJECT_NAME " + cmake_quote(r.project) + " BERTH_PORTS " + cmake_quote(ports) +
         " BERTH_OUTPUT_DIR " + cmake_quote(e.out) + port_props + ")\n";
}

// The target that builds every app: berth_apps over the apps' targets (made unless the project
// has one); or the all-target, in `all`, over every build command's output.
std::string all_apps_target(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                            const fs::path& stamps) {
  std::string depends;
  if (options.all_target.empty()) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      depends += " " + target_of(entries, i);
    }
    return "if(NOT TARGET berth_apps)\n  add_custom_target(berth_apps DEPENDS" + depends +
           ")\nendif()\n";
  }
  const std::size_t chunk = chunk_size(entries.size());
  for (std::size_t first = 0; first < entries.size(); first += chunk) {
    depends += "\n  " + cmake_quote((stamps / (target_of(entries, first) + ".chunk")).string());
  }
  return "add_custom_target(" + options.all_target + " ALL DEPENDS" + depends + ")\n";
}

// Every folder of an overlay, empty ones included: a file added to any of them, or a folder
// made in any of them, changes that folder's time.
void add_overlay_folders(const fs::path& root, std::set<std::string>& out) {
  out.insert(root.string());
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      out.insert(it->path().string());
    }
  }
}

// Adding or removing a template or overlay file changes the outputs: configure again. The
// template's manifest and folders, the overlay's folders.
void add_configure_depends(const Template& t, const PlanEntry& e, std::set<std::string>& out) {
  if (const auto manifest = t.manifest()) {
    out.insert(fs::absolute(*manifest).string());
  }
  for (const auto& folder : t.folders) {
    out.insert(fs::absolute(folder).string());
  }
  if (!e.overlay.empty()) {
    add_overlay_folders(fs::absolute(e.overlay).lexically_normal(), out);
  }
}

// The CMake code for every app: the build commands (one per chunk of apps), a target per app
// with its properties, the configure dependencies and the target that builds every app. Included by
// the module with ${_berth_command} and ${_berth_program_dep} set.
std::string cmake_text(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                       const std::vector<ReserveResult>& results, const Sources& sources) {
  const fs::path stamps = fs::absolute(*options.stamps_dir).lexically_normal();
  std::string text = "# Written by `berth plan` for the berth CMake module; do not edit.\n";
  const std::size_t chunk = chunk_size(entries.size());
  for (std::size_t first = 0; first < entries.size(); first += chunk) {
    text += build_command(entries, first, std::min(entries.size(), first + chunk), stamps, options);
  }
  std::set<std::string> configure_depends;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string target = target_of(entries, i);
    text += app_target(entries, i, stamps, options);
    text += app_properties(target, entries[i], results[i].reservation);
    add_configure_depends(*sources.templates[i], entries[i], configure_depends);
  }
  std::string depends;
  for (const auto& d : configure_depends) {
    depends += "\n  " + cmake_quote(d);
  }
  text += "set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS" + depends + ")\n";
  return text + all_apps_target(entries, options, stamps);
}

// `<apps>/kustomization.yaml`, listing the k8s/ folder of every app that has one, so that
// `kubectl apply -k <apps>` deploys them all; written only when it changes, and only when an app
// has Kubernetes manifests. `bases`, not `resources`: kubectl 1.20's kustomize (v2.0) reads
// folders only there, and later versions still accept it.
void write_cluster_kustomization(const std::vector<PlanEntry>& entries,
                                 const std::vector<std::vector<std::string>>& outputs,
                                 const fs::path& apps) {
  std::set<std::string> bases;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& files = outputs[i];
    if (!entries[i].out.empty() &&
        std::find(files.begin(), files.end(), "k8s/kustomization.yaml") != files.end()) {
      bases.insert((fs::absolute(entries[i].out) / "k8s")
                       .lexically_normal()
                       .lexically_relative(apps.lexically_normal())
                       .generic_string());
    }
  }
  if (bases.empty()) {
    return;
  }
  std::string text =
      "# Every app's Kubernetes manifests: kubectl apply -k <this folder>. Written by berth at\n"
      "# configure.\n"
      "apiVersion: kustomize.config.k8s.io/v1beta1\n"
      "kind: Kustomization\n"
      "bases:\n";
  for (const auto& b : bases) {
    text += "  - " + json(b).dump() + "\n";
  }
  fs::create_directories(apps);
  write_if_changed(apps / "kustomization.yaml", text);
}

// An app's stamp, what its scaffold depends on besides files, at its place in {"apps": [...]}
// as dump(2) writes it (json_text, keys in order). The template's and overlay's file names are
// in it: adding or removing one changes the stamp, so the app is built again (edits to the files
// are the depfile's business). The reservation's slot is not: the slot alone does not change
// the app.
void app_stamp(std::string& out, const std::vector<PlanEntry>& entries, std::size_t i,
               const PlanOptions& options, const std::vector<ReserveResult>& results,
               const Sources& sources) {
  namespace jt = json_text;
  const PlanEntry& e = entries[i];
  const Reservation& r = results[i].reservation;
  const auto names = [](const auto& files) {
    std::vector<std::string> out;
    for (const auto& f : files) {
      out.push_back(f.path);
    }
    return out;
  };
  out += "    {\n";
  jt::str(jt::key(out, 6, "label"), label_of(e, options)).append(",\n");
  jt::str(jt::key(out, 6, "out"), e.out).append(",\n");
  jt::str(jt::key(out, 6, "overlay"), e.overlay).append(",\n");
  jt::strings(jt::key(out, 6, "overlay_files"), 6, names(sources.overlays[i])).append(",\n");
  jt::key(out, 6, "reservation").append("{\n");
  jt::key(out, 8, "app").append(std::to_string(r.key.app)).append(",\n");
  if (!r.extra.empty()) {
    jt::strings(jt::key(out, 8, "extra"), 8, r.extra).append(",\n");
  }
  jt::str(jt::key(out, 8, "model"), r.key.model).append(",\n");
  if (!r.key.ns.empty()) {
    jt::str(jt::key(out, 8, "namespace"), r.key.ns).append(",\n");
  }
  if (!r.owner.empty()) {
    jt::str(jt::key(out, 8, "owner"), r.owner).append(",\n");
  }
  jt::strings(jt::key(out, 8, "pinned"), 8, r.pinned).append(",\n");
  jt::str(jt::key(out, 8, "pool"), r.pool).append(",\n");
  jt::ports(jt::key(out, 8, "ports"), 8, r.ports).append(",\n");
  jt::str(jt::key(out, 8, "project"), r.project).append("\n      },\n");
  jt::str(jt::key(out, 6, "target"), target_of(entries, i)).append(",\n");
  jt::str(jt::key(out, 6, "template"),
          fs::absolute(sources.templates[i]->root).lexically_normal().string())
      .append(",\n");
  jt::strings(jt::key(out, 6, "template_files"), 6, names(sources.templates[i]->files))
      .append(",\n");
  jt::string_map(jt::key(out, 6, "vars"), 6, e.vars).append("\n    }");
}

// For each build command, `<stamps>/<first target>.stamp`: {"apps": [...]}, its apps' stamps.
void write_stamps(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                  const std::vector<ReserveResult>& results, const Sources& sources) {
  const std::size_t chunk = chunk_size(entries.size());
  const std::vector<std::string> files = stamp_files(entries, *options.stamps_dir);
  for (std::size_t first = 0; first < entries.size(); first += chunk) {
    std::string text = "{\n  \"apps\": [\n";
    const std::size_t end = std::min(entries.size(), first + chunk);
    for (std::size_t i = first; i < end; ++i) {
      app_stamp(text, entries, i, options, results, sources);
      text += i + 1 < end ? ",\n" : "\n  ]\n}\n";
    }
    write_if_changed(files[first / chunk], text);
  }
}

// One app of the summary, at its place in {"apps": [...]}, as dump(2) writes it (json_text):
// the reservation's fields and the plan's, keys in order.
void summary_app(std::string& out, const PlanEntry& e, const ReserveResult& result,
                 const Template& t, const std::vector<std::string>& outputs) {
  namespace jt = json_text;
  const Reservation& r = result.reservation;
  out += "    {\n";
  jt::key(out, 6, "app").append(std::to_string(r.key.app)).append(",\n");
  jt::key(out, 6, "created").append(result.created ? "true" : "false").append(",\n");
  jt::str(jt::key(out, 6, "declared"), e.declared).append(",\n");
  if (!r.extra.empty()) {
    jt::strings(jt::key(out, 6, "extra"), 6, r.extra).append(",\n");
  }
  jt::str(jt::key(out, 6, "model"), r.key.model).append(",\n");
  if (!r.key.ns.empty()) {
    jt::str(jt::key(out, 6, "namespace"), r.key.ns).append(",\n");
  }
  jt::str(jt::key(out, 6, "out"), e.out).append(",\n");
  jt::strings(jt::key(out, 6, "outputs"), 6, outputs).append(",\n");
  if (!r.owner.empty()) {
    jt::str(jt::key(out, 6, "owner"), r.owner).append(",\n");
  }
  jt::strings(jt::key(out, 6, "pinned"), 6, r.pinned).append(",\n");
  jt::str(jt::key(out, 6, "pool"), r.pool).append(",\n");
  jt::ports(jt::key(out, 6, "ports"), 6, r.ports).append(",\n");
  jt::str(jt::key(out, 6, "project"), r.project).append(",\n");
  jt::key(out, 6, "slot").append(r.slot ? std::to_string(*r.slot) : "null").append(",\n");
  jt::str(jt::key(out, 6, "target"), e.target).append(",\n");
  jt::str(jt::key(out, 6, "template"), t.name).append(",\n");
  jt::str(jt::key(out, 6, "template_dir"), fs::absolute(t.root).lexically_normal().string());
  out += "\n    }";
}

// The summary, {"apps": [...]} in plan order, as dump(2) writes it, without a DOM (a thousand
// apps' outputs are 25,000 strings).
std::string summary_text(const std::vector<PlanEntry>& entries,
                         const std::vector<ReserveResult>& results, const Sources& sources,
                         const std::vector<std::vector<std::string>>& outputs) {
  if (entries.empty()) {
    return "{\n  \"apps\": []\n}";
  }
  std::string out = "{\n  \"apps\": [\n";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    summary_app(out, entries[i], results[i], *sources.templates[i], outputs[i]);
    out += i + 1 < entries.size() ? ",\n" : "\n  ]\n}";
  }
  return out;
}

}  // namespace

std::vector<std::string> stamp_files(const std::vector<PlanEntry>& entries,
                                     const fs::path& stamps_dir) {
  const fs::path stamps = fs::absolute(stamps_dir).lexically_normal();
  std::vector<std::string> files;
  const std::size_t chunk = chunk_size(entries.size());
  for (std::size_t first = 0; first < entries.size(); first += chunk) {
    files.push_back(stamp_file(entries, first, stamps));
  }
  return files;
}

PlanResult write_results(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                         const std::vector<ReserveResult>& results, const Sources& sources,
                         const std::vector<std::vector<std::string>>& outputs) {
  PlanResult out;
  out.summary = summary_text(entries, results, sources, outputs);
  for (const auto& r : results) {
    out.created += r.created;
    out.reservations.push_back(r.reservation);
  }

  if (options.lock && !options.locked) {
    out.lock_written = write_if_changed(*options.lock, lock_text(results));
  }
  if (options.stamps_dir) {
    write_stamps(entries, options, results, sources);
  }
  if (options.summary_out) {
    write_if_changed(*options.summary_out, out.summary + "\n");
  }
  if (options.binary_dir) {
    write_cluster_kustomization(entries, outputs, fs::absolute(*options.binary_dir) / "apps");
  }
  if (options.cmake_out) {
    write_if_changed(*options.cmake_out, cmake_text(entries, options, results, sources));
  }
  return out;
}

}  // namespace configure
}  // namespace berth
