#include "generator/plan.hpp"

#include <algorithm>
#include <climits>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "generator/fileio.hpp"
#include "generator/scaffold.hpp"
#include "generator/template.hpp"
#include "store/error.hpp"
#include "store/json_read.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// "entry 3 ('m' app 1, declared at CMakeLists.txt:12)"
std::string where(std::size_t index, const PlanEntry& e) {
  return "entry " + std::to_string(index + 1) + " (" + describe(e.request.key) +
         (e.declared.empty() ? "" : ", declared at " + e.declared) + ")";
}

// Throws unless `value` can travel through a CMake list: no ';' and no newline.
void check_cmake_safe(const std::string& value) {
  if (value.find_first_of(";\n") != std::string::npos) {
    throw usage_error(quote(value) + " holds ';' or a newline, which CMake lists cannot carry");
  }
}

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

std::string cmake_list(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) {
    joined += (joined.empty() ? "" : ";") + item;
  }
  return cmake_quote(joined);
}


// The file name of an app's stamp: its target's name.
std::string stamp_name(std::size_t index, const PlanEntry& e) {
  return (e.target.empty() ? "app" + std::to_string(index + 1) : e.target) + ".reservation";
}

}  // namespace

std::map<AppKey, LockEntry> read_lock(const fs::path& path) {
  std::map<AppKey, LockEntry> lock;
  const std::string text = read_file(path);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return lock;  // an empty file starts a lock
  }
  const json doc = json::parse(text, nullptr, false);
  const std::string at = "lock file " + quote(path.string());
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("berth_lock")) {
    throw usage_error(at + " is not a berth lock (expected {\"berth_lock\": 1, \"apps\": [...]})");
  }
  const JsonFields top(doc, at);
  top.only({"berth_lock", "apps"});
  if (top.integer("berth_lock", 1, LLONG_MAX) != 1) {
    top.fail("format " + json_shown(doc["berth_lock"]) + " is not the format 1 this berth reads");
  }
  const json& apps = top.array("apps");
  for (std::size_t i = 0; i < apps.size(); ++i) {
    const JsonFields a(apps[i], at + ": app " + std::to_string(i + 1));
    a.only({"model", "app", "pool", "ports", "project"});
    AppKey key{a.string("model"), static_cast<std::uint32_t>(a.integer("app", 1, k_max_app))};
    try {
      validate_model(key.model);
    } catch (const Error& e) {
      a.fail(e.what());
    }
    LockEntry e;
    e.pool = a.string("pool");
    e.project = a.string("project");
    for (const auto& [name, port] : a.object("ports").items()) {
      e.ports[name] = static_cast<std::uint16_t>(
          json_integer(port, 1, 65535, "port " + quote(name), a.where()));
    }
    if (!lock.emplace(key, std::move(e)).second) {
      a.fail(describe(key) + " is listed twice");
    }
  }
  return lock;
}

std::vector<PlanEntry> read_plan(const std::string& path) {
  const json doc = read_json_file(path);
  if (!doc.is_array()) {
    throw usage_error(quote(path) + " must hold a JSON list of apps");
  }
  std::vector<PlanEntry> entries;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const JsonFields j(doc[i], path + ": entry " + std::to_string(i + 1));
    j.only({"model", "app", "pool", "ports", "template", "vars", "overlay", "out", "target",
            "declared"});
    PlanEntry e;
    e.request.key.model = j.string("model");
    try {
      validate_model(e.request.key.model);
    } catch (const Error& err) {
      j.fail(err.what());
    }
    e.request.key.app = static_cast<std::uint32_t>(j.integer("app", 1, k_max_app));
    e.request.pool = j.string_or("pool", "");
    if (j.has("ports")) {
      for (const auto& [name, port] : j.object("ports").items()) {
        e.request.pins[name] = static_cast<std::uint16_t>(
            json_integer(port, 1, 65535, "port " + quote(name), j.where()));
      }
    }
    e.template_name = j.string_or("template", "react-flask");
    if (j.has("vars")) {
      e.vars = j.string_map("vars");
    }
    e.overlay = j.string_or("overlay", "");
    e.out = j.string_or("out", "");
    e.target = j.string_or("target", "");
    // The target names the app's stamp file: a plain file name, never a path.
    if (!e.target.empty() &&
        (e.target == "." || e.target == ".." || e.target.size() > 200 ||
         e.target.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789_.+-") != std::string::npos)) {
      j.fail("target " + quote(e.target) +
             " is not a target name (letters, digits, '_', '.', '+', '-'; at most 200)");
    }
    e.declared = j.string_or("declared", "");
    entries.push_back(std::move(e));
  }
  return entries;
}

namespace {
// Writes the lock, stamps, summary and CMake file of a committed plan, each only if changed.
PlanResult write_results(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                         const std::vector<ReserveResult>& results,
                         const std::vector<std::shared_ptr<const Template>>& tmpl_of,
                         const std::vector<std::vector<OutputFile>>& overlays,
                         const std::vector<std::vector<std::string>>& outputs);
}  // namespace

PlanResult run_plan(Store& store, const std::vector<PlanEntry>& entries,
                    const PlanOptions& options) {
  std::vector<std::string> problems;

  // The lock: its ports (and names) become pins.
  std::map<AppKey, LockEntry> lock;
  const std::optional<fs::path> lock_path = options.lock;
  if (lock_path) {
    std::error_code ec;
    if (fs::exists(*lock_path, ec)) {
      check_writable(*lock_path, "lock file");
      lock = read_lock(*lock_path);
    } else if (options.locked) {
      throw usage_error("lock file " + quote(lock_path->string()) +
                        " does not exist, and a locked configure allocates nothing; configure "
                        "once unlocked to create it");
    }
  }
  std::vector<BatchOp> ops(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const PlanEntry& e = entries[i];
    ops[i].request = e.request;
    auto it = lock.find(e.request.key);
    if (it == lock.end()) {
      if (options.locked) {
        problems.push_back(where(i, e) + ": not in the lock file " + quote(lock_path->string()) +
                           "; a locked configure allocates nothing (configure once without "
                           "BERTH_LOCKED to add it)");
      }
      continue;
    }
    const LockEntry& locked = it->second;
    if (!e.request.pool.empty() && e.request.pool != locked.pool) {
      problems.push_back(where(i, e) + ": POOL " + e.request.pool + " differs from the lock's " +
                         locked.pool);
    }
    ops[i].request.pool = locked.pool;
    for (const auto& [name, port] : locked.ports) {
      auto pin = e.request.pins.find(name);
      if (pin != e.request.pins.end() && pin->second != port) {
        problems.push_back(where(i, e) + ": PORTS " + name + "=" + std::to_string(pin->second) +
                           " differs from the lock's " + name + "=" + std::to_string(port) +
                           "; change one of them");
      }
      ops[i].request.pins[name] = port;
    }
    ops[i].request.project = locked.project;
  }

  // Templates, once each.
  std::map<std::string, std::shared_ptr<const Template>> templates;
  std::vector<std::shared_ptr<const Template>> tmpl_of(entries.size());
  std::vector<std::vector<OutputFile>> overlays(entries.size());
  const auto search = template_search_path();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const PlanEntry& e = entries[i];
    try {
      auto& t = templates[e.template_name];
      if (!t) {
        t = std::make_shared<const Template>(load_template(e.template_name, search));
      }
      tmpl_of[i] = t;
      if (!e.overlay.empty()) {
        overlays[i] = read_overlay(e.overlay);
      }
    } catch (const Error& err) {
      templates.erase(e.template_name);
      problems.push_back(where(i, e) + ": " + err.what());
    }
  }
  if (!problems.empty()) {
    throw Error(ErrorKind::usage,
                "plan refused, nothing changed: " + std::to_string(problems.size()) + " problem(s)",
                problems);
  }

  // What each app's scaffold will write, against the reservations as they will be.
  const auto outputs_for = [&](const std::vector<ReserveResult>& results) {
    std::vector<std::vector<std::string>> outputs(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
      try {
        const auto& r = results[i].reservation;
        for (const auto& f : render_template(
                 *tmpl_of[i], make_context(r, *tmpl_of[i], entries[i].vars), overlays[i])) {
          outputs[i].push_back(f.path);
        }
        if (options.cmake_out) {  // refuse before committing what CMake could not carry
          for (const auto& path : outputs[i]) {
            check_cmake_safe(path);
          }
          check_cmake_safe(fs::absolute(tmpl_of[i]->root).string());
          check_cmake_safe(entries[i].overlay);
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
  };
  // Batch errors say "batch entry N: ..."; say instead which app that is, where it was declared,
  // and whether the lock file pinned the port that is held.
  const auto label = [&](const Error& err) {
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
      const PlanEntry& e = entries[n - 1];
      const bool locked_pin =
          line.find(" is held by ") != std::string::npos && lock.count(e.request.key);
      line = where(n - 1, e) + line.substr(colon) +
             (locked_pin ? " (pinned by the lock file " + quote(lock_path->string()) + ")" : "");
    }
    return lines;
  };

  // Everything that could fail after the commit is checked before it: apps whose folders nest
  // (their scaffolds would mix), and every file this run will write.
  {
    std::map<std::string, std::size_t> outs;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (!entries[i].out.empty()) {
        outs.emplace(fs::absolute(entries[i].out).lexically_normal().string(), i);
      }
    }
    for (auto it = outs.begin(); it != outs.end(); ++it) {
      for (auto next = std::next(it); next != outs.end() && within(it->first, next->first);
           ++next) {
        problems.push_back(where(next->second, entries[next->second]) + ": its folder " +
                           quote(next->first) + " lies inside the folder of " +
                           where(it->second, entries[it->second]) +
                           "; two apps in one folder would mix their files");
      }
    }
    try {
      if (lock_path && !options.locked) {
        check_writable(*lock_path, "lock file");
      }
      if (options.cmake_out) {
        check_writable(*options.cmake_out, "--cmake");
      }
      if (options.summary_out) {
        check_writable(*options.summary_out, "--summary");
      }
      if (options.stamps_dir) {
        for (std::size_t i = 0; i < entries.size(); ++i) {
          check_writable(*options.stamps_dir / stamp_name(i, entries[i]), "stamp");
        }
      }
    } catch (const Error& err) {
      problems.push_back(err.what());
    }
  }
  if (!problems.empty()) {
    throw Error(ErrorKind::usage,
                "plan refused, nothing changed: " + std::to_string(problems.size()) + " problem(s)",
                problems);
  }

  std::vector<ReserveResult> planned;
  try {
    planned = store.preview(ops);
  } catch (const Error& err) {
    throw Error(err.kind(), "configure refused, nothing changed", label(err));
  }
  auto outputs = outputs_for(planned);
  if (!problems.empty()) {
    throw Error(ErrorKind::usage,
                "plan refused, nothing changed: " + std::to_string(problems.size()) + " problem(s)",
                problems);
  }
  std::vector<ReserveResult> results;
  try {
    results = store.apply(ops);
  } catch (const Error& err) {
    throw Error(err.kind(), "configure refused, nothing changed", label(err));
  }
  bool same = true;
  for (std::size_t i = 0; i < results.size() && same; ++i) {
    same = to_json(results[i].reservation) == to_json(planned[i].reservation);
  }
  if (!same) {
    outputs = outputs_for(results);  // another process got in between: render again
  }

  try {
    return write_results(entries, options, results, tmpl_of, overlays, outputs);
  } catch (const Error& err) {
    throw Error(err.kind(),
                "the reservations were committed, but writing the results failed: " +
                    std::string(err.what()) + ". Fix it and run again: nothing is reserved twice",
                err.details());
  }
}

namespace {

PlanResult write_results(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                         const std::vector<ReserveResult>& results,
                         const std::vector<std::shared_ptr<const Template>>& tmpl_of,
                         const std::vector<std::vector<OutputFile>>& overlays,
                         const std::vector<std::vector<std::string>>& outputs) {
  const std::optional<fs::path> lock_path = options.lock;
  PlanResult out;
  json apps = json::array();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& r = results[i].reservation;
    json j = to_json(r);
    j["created"] = results[i].created;
    j["template"] = tmpl_of[i]->name;
    j["template_dir"] = fs::absolute(tmpl_of[i]->root).lexically_normal().string();
    j["out"] = entries[i].out;
    j["target"] = entries[i].target;
    j["declared"] = entries[i].declared;
    j["outputs"] = outputs[i];
    apps.push_back(j);
  }
  out.summary = {{"apps", apps}};

  if (lock_path && !options.locked) {
    std::map<AppKey, json> sorted;
    for (const auto& res : results) {
      const auto& r = res.reservation;
      json ports = json::object();
      for (const auto& p : r.ports) {
        ports[p.name] = p.port;
      }
      sorted[r.key] = {{"model", r.key.model},
                       {"app", r.key.app},
                       {"pool", r.pool},
                       {"ports", ports},
                       {"project", r.project}};
    }
    json lock_apps = json::array();
    for (auto& [key, j] : sorted) {
      lock_apps.push_back(std::move(j));
    }
    out.lock_written =
        write_if_changed(*lock_path, json{{"berth_lock", 1}, {"apps", lock_apps}}.dump(2) + "\n");
  }
  if (options.stamps_dir) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string name = stamp_name(i, entries[i]);
      json vars(entries[i].vars);
      json stamp = {{"reservation", to_json(results[i].reservation)},
                    {"template", fs::absolute(tmpl_of[i]->root).lexically_normal().string()},
                    {"vars", vars},
                    {"overlay", entries[i].overlay},
                    {"out", entries[i].out}};
      stamp["reservation"].erase("slot");  // the slot alone does not change the app
      write_if_changed(*options.stamps_dir / name, stamp.dump(2) + "\n");
    }
  }
  if (options.summary_out) {
    write_if_changed(*options.summary_out, out.summary.dump(2) + "\n");
  }
  if (options.cmake_out) {
    std::string text = "# Written by `berth plan` for the berth CMake module; do not edit.\n";
    text += "set(BERTH_PLAN_APPS " + std::to_string(entries.size()) + ")\n";
    std::map<const Template*, std::size_t> tmpl_index;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& r = results[i].reservation;
      const std::string v = "set(BERTH_PLAN_" + std::to_string(i) + "_";
      std::vector<std::string> names, ports, files, folders;
      for (const auto& p : r.ports) {
        names.push_back(p.name);
        ports.push_back(std::to_string(p.port));
      }
      auto [it, added] = tmpl_index.emplace(tmpl_of[i].get(), tmpl_index.size());
      if (added) {
        const Template& t = *tmpl_of[i];
        std::vector<std::string> tfiles = {(fs::absolute(t.root) / "template.json").string()};
        for (const auto& f : t.files) {
          tfiles.push_back((fs::absolute(t.root) / "files" / f.path).string());
        }
        std::vector<std::string> tfolders;
        for (const auto& d : t.folders) {
          tfolders.push_back(d.string());
        }
        const std::string tv = "set(BERTH_PLAN_TEMPLATE_" + std::to_string(it->second) + "_";
        text += tv + "DIR " + cmake_quote(fs::absolute(t.root).string()) + ")\n";
        text += tv + "FILES " + cmake_list(tfiles) + ")\n";
        text += tv + "FOLDERS " + cmake_list(tfolders) + ")\n";
      }
      if (!entries[i].overlay.empty()) {
        const fs::path root = fs::absolute(entries[i].overlay);
        folders.push_back(root.string());
        for (const auto& f : overlays[i]) {
          files.push_back((root / f.path).string());
          const std::string parent = (root / f.path).parent_path().string();
          if (std::find(folders.begin(), folders.end(), parent) == folders.end()) {
            folders.push_back(parent);
          }
        }
      }
      text += v + "PROJECT " + cmake_quote(r.project) + ")\n";
      text += v + "POOL " + cmake_quote(r.pool) + ")\n";
      text += v + "PORT_NAMES " + cmake_list(names) + ")\n";
      text += v + "PORTS " + cmake_list(ports) + ")\n";
      text += v + "CREATED " + (results[i].created ? "1" : "0") + ")\n";
      text += v + "TEMPLATE " + std::to_string(it->second) + ")\n";
      text += v + "OUTPUTS " + cmake_list(outputs[i]) + ")\n";
      text += v + "OVERLAY_FILES " + cmake_list(files) + ")\n";
      text += v + "OVERLAY_FOLDERS " + cmake_list(folders) + ")\n";
    }
    write_if_changed(*options.cmake_out, text);
  }
  return out;
}

}  // namespace

}  // namespace berth
