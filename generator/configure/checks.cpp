#include "generator/configure/steps.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

#include "generator/io/fileio.hpp"
#include "generator/template/template.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace configure {

namespace {

// An app folder inside its overlay (or the reverse) would copy itself deeper each build.
void check_overlay_out(std::size_t i, const PlanEntry& e, std::vector<std::string>& problems) {
  if (e.out.empty() || e.overlay.empty()) {
    return;
  }
  std::error_code ec;
  const auto out = fs::weakly_canonical(fs::absolute(e.out), ec);
  const auto lay = fs::weakly_canonical(fs::absolute(e.overlay), ec);
  if (within(out, lay) || within(lay, out)) {
    problems.push_back(where(i, e) + ": SOURCES " + quote(e.overlay) + " and OUTPUT_DIR " +
                       quote(e.out) + " overlap; the app folder must lie outside its overlay");
  }
}

// The target that builds every app (Makefile generators): a plain name no app's target uses.
void check_all_target(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                      const std::map<std::string, std::size_t>& targets,
                      std::vector<std::string>& problems) {
  if (options.all_target.empty()) {
    return;
  }
  if (!is_target_name(options.all_target)) {
    problems.push_back("--all-target " + quote(options.all_target) +
                       " is not a target name (letters, digits, '_', '.', '+', '-')");
  } else if (const auto it = targets.find(options.all_target); it != targets.end()) {
    problems.push_back(where(it->second, entries[it->second]) + ": TARGET " +
                       quote(options.all_target) +
                       " is the target that builds every app; give the app another TARGET");
  }
}

// Targets the project has made already (the CMake module's list): an app's target cannot be one.
void check_taken_targets(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                         const std::map<std::string, std::size_t>& targets,
                         std::vector<std::string>& problems) {
  for (const auto& [target, index] : targets) {
    if (options.taken_targets.count(target)) {
      problems.push_back(where(index, entries[index]) + ": a target " + quote(target) +
                         " exists already; give the app another TARGET");
    }
  }
}

}  // namespace

void check_entries(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                   std::vector<std::string>& problems) {
  std::map<AppKey, std::size_t> keys;
  std::map<std::string, std::size_t> targets;
  std::map<std::string, std::size_t> outs;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const PlanEntry& e = entries[i];
    if (auto [it, added] = keys.emplace(e.request.key, i); !added) {
      problems.push_back(where(i, e) + ": declared twice; the first is " +
                         where(it->second, entries[it->second]));
    }
    if (!e.target.empty()) {
      if (auto [it, added] = targets.emplace(e.target, i); !added) {
        problems.push_back(where(i, e) + ": TARGET " + quote(e.target) + " is already used by " +
                           where(it->second, entries[it->second]) +
                           "; give one of them another TARGET");
      }
    }
    check_overlay_out(i, e, problems);
    if (!e.out.empty()) {
      const std::string out = fs::absolute(e.out).lexically_normal().string();
      if (auto [it, added] = outs.emplace(out, i); !added) {
        problems.push_back(where(i, e) + ": OUTPUT_DIR " + quote(out) + " is already used by " +
                           where(it->second, entries[it->second]) +
                           "; give one of them another OUTPUT_DIR");
      }
    }
  }
  for (auto it = outs.begin(); it != outs.end(); ++it) {
    for (auto next = std::next(it); next != outs.end() && within(it->first, next->first); ++next) {
      problems.push_back(where(next->second, entries[next->second]) + ": its folder " +
                         quote(next->first) + " lies inside the folder of " +
                         where(it->second, entries[it->second]) +
                         "; two apps in one folder would mix their files");
    }
  }
  check_all_target(entries, options, targets, problems);
  check_taken_targets(entries, options, targets, problems);
  if (options.cmake_out && !options.stamps_dir) {
    problems.push_back("--cmake needs --stamps DIR: the build commands read the apps' stamps");
  }
  try {
    if (options.lock && !options.locked) {
      check_writable(*options.lock, "lock file");
    }
    if (options.cmake_out) {
      check_writable(*options.cmake_out, "--cmake");
    }
    if (options.summary_out) {
      check_writable(*options.summary_out, "--summary");
    }
    if (options.stamps_dir) {
      check_writable(*options.stamps_dir / "probe", "--stamps folder");
    }
  } catch (const Error& err) {
    problems.push_back(err.what());
  }
}

Sources load_sources(const std::vector<PlanEntry>& entries, std::vector<std::string>& problems) {
  std::map<std::string, std::shared_ptr<const Template>> loaded;
  Sources out;
  out.templates.resize(entries.size());
  out.overlays.resize(entries.size());
  const auto search = template_search_path();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const PlanEntry& e = entries[i];
    try {
      auto& t = loaded[e.template_name];
      if (!t) {
        t = std::make_shared<const Template>(load_template(e.template_name, search));
      }
      out.templates[i] = t;
      if (!e.overlay.empty()) {
        out.overlays[i] = read_overlay(e.overlay);
      }
    } catch (const Error& err) {
      loaded.erase(e.template_name);
      problems.push_back(where(i, e) + ": " + err.what());
    }
  }
  return out;
}

void check_variables(const std::vector<PlanEntry>& entries, const Sources& sources,
                     std::vector<std::string>& problems) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!sources.templates[i]) {
      continue;  // its template could not be loaded: reported already
    }
    try {
      check_sets(*sources.templates[i], entries[i].vars);
    } catch (const Error& err) {
      problems.push_back(where(i, entries[i]) + ": " + err.what());
    }
  }
}

namespace {

// Whether no file name of the template (its own, its parts' and its variants') has a
// placeholder: its apps' file names then differ only with the files chosen.
bool plain_names(const Template& t) {
  const auto plain = [](const std::vector<TemplateFile>& files) {
    return std::all_of(files.begin(), files.end(), [](const TemplateFile& f) {
      return f.path.find("{{") == std::string::npos;
    });
  };
  bool out = plain(t.files);
  for (const auto& [part, files] : t.without) {
    out = out && plain(files);
  }
  for (const auto& [name, variant] : t.variants) {
    out = out && plain(variant.files);
  }
  return out;
}

// What an app's file names depend on when its template's names are plain and it has no overlay:
// the template, the keys its context has (the ports' names, the variables set) and the variants
// chosen. Apps with the same key get the same names, and their bodies render alike (whether a
// body renders depends only on which keys the context has). Empty for any other app.
std::string names_key(const PlanEntry& e, const Template& t, const Reservation& r,
                      std::map<const Template*, bool>& plain) {
  auto [it, added] = plain.emplace(&t, false);
  if (added) {
    it->second = plain_names(t);
  }
  if (!it->second || !e.overlay.empty()) {
    return "";
  }
  std::string key = std::to_string(reinterpret_cast<std::uintptr_t>(&t));
  for (const auto& p : r.ports) {
    key += '\0' + p.name;
  }
  for (const auto& [name, value] : e.vars) {
    key += '\1' + name;
  }
  for (const auto* variant : selected_variants(t, e.vars)) {
    key += '\2' + variant->variable + '=' + variant->value;
  }
  return key;
}

// An app's file names, rendering its bodies too when no app with the same keys had them
// rendered (a body that cannot render is refused before anything is committed).
std::vector<std::string> render_names(const PlanEntry& e, const Template& t, const Reservation& r,
                                      const std::vector<OutputFile>& overlay,
                                      std::set<std::string>& bodies_checked) {
  const Context context = make_context(r, t, e.vars);
  std::string keys = std::to_string(reinterpret_cast<std::uintptr_t>(&t));
  for (const auto& [key, value] : context) {
    keys += '\0' + key;
  }
  for (const auto* variant : selected_variants(t, e.vars)) {
    keys += '\1' + variant->variable;  // a variant changes the files rendered
  }
  const bool bodies = bodies_checked.insert(keys).second;
  std::vector<std::string> names;
  for (const auto& f : render_template(t, context, overlay, bodies)) {
    names.push_back(f.path);
  }
  return names;
}

}  // namespace

std::vector<std::vector<std::string>> render_outputs(const std::vector<PlanEntry>& entries,
                                                     const Sources& sources,
                                                     const std::vector<ReserveResult>& results,
                                                     bool for_cmake,
                                                     std::vector<std::string>& problems) {
  std::vector<std::vector<std::string>> outputs(entries.size());
  std::set<std::string> bodies_checked;
  std::map<const Template*, bool> plain;
  std::map<std::string, std::size_t> same_names;  // names_key -> the first app rendered with it
  for (std::size_t i = 0; i < entries.size(); ++i) {
    try {
      const Template& t = *sources.templates[i];
      const auto& r = results[i].reservation;
      const std::string key = names_key(entries[i], t, r, plain);
      const auto same = key.empty() ? same_names.end() : same_names.find(key);
      if (same != same_names.end()) {
        outputs[i] = outputs[same->second];
      } else {
        outputs[i] = render_names(entries[i], t, r, sources.overlays[i], bodies_checked);
        if (!key.empty()) {
          same_names.emplace(key, i);
        }
      }
      if (for_cmake) {  // refuse before committing what CMake could not carry
        check_cmake_safe(r.key.model);
        check_cmake_safe(fs::absolute(t.root).string());
        check_cmake_safe(entries[i].overlay);
        check_cmake_safe(entries[i].out);
      }
    } catch (const Error& err) {
      std::string message = where(i, entries[i]) + ": " + err.what();
      for (const auto& d : err.details()) {
        message += "\n    " + d;
      }
      problems.push_back(message);
    }
  }
  return outputs;
}

std::vector<std::string> label(const Error& err, const std::vector<PlanEntry>& entries,
                               const std::map<AppKey, LockEntry>& lock, const PlanOptions& options,
                               const std::vector<std::size_t>& order) {
  std::vector<std::string> lines = err.details();
  if (lines.empty()) {
    lines.push_back(err.what());
  }
  const std::string tag = "batch entry ";
  for (auto& line : lines) {
    const std::size_t colon = line.find(": ");
    if (line.rfind(tag, 0) != 0 || colon == std::string::npos) {
      continue;
    }
    const std::size_t n = std::stoul(line.substr(tag.size()));
    if (n < 1 || n > entries.size()) {
      continue;
    }
    const std::size_t index = order[n - 1];  // batch entries run in `order`
    const PlanEntry& e = entries[index];
    const bool locked_pin =
        line.find(" is held by ") != std::string::npos && lock.count(e.request.key);
    line = where(index, e) + line.substr(colon) +
           (locked_pin ? " (pinned by the lock file " + quote(options.lock->string()) + ")" : "");
  }
  return lines;
}

}  // namespace configure
}  // namespace berth
