#include "generator/configure/plan.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <sstream>

#include "generator/io/fileio.hpp"
#include "generator/io/inputs.hpp"
#include "generator/app/folder.hpp"
#include "generator/template/template.hpp"
#include "store/error.hpp"
#include "store/json_read.hpp"
#include "store/names.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// "entry 3 ('m' app 1, declared at CMakeLists.txt:12)"
std::string where(std::size_t index, const PlanEntry& e) {
  return "entry " + std::to_string(index + 1) + " (" + describe(e.request.key) +
         (e.declared.empty() ? "" : ", declared at " + e.declared) + ")";
}

[[noreturn]] void refuse(const std::vector<std::string>& problems) {
  throw Error(ErrorKind::usage,
              "plan refused, nothing changed: " + std::to_string(problems.size()) + " problem(s)",
              problems);
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

// The file name of an app's stamp: its target's name.
std::string stamp_name(std::size_t index, const PlanEntry& e) {
  return (e.target.empty() ? "app" + std::to_string(index + 1) : e.target) + ".reservation";
}

// Lines of the add_generated_app( calls written in `text`, outside function() and macro()
// bodies (a wrapper's call is not the file's own).
std::vector<std::size_t> call_lines(const std::string& text) {
  std::vector<std::size_t> lines;
  bool in_definition = false;
  std::istringstream in(text);
  std::string line;
  const auto starts = [](const std::string& l, const char* word) {
    std::size_t i = l.find_first_not_of(" \t");
    if (i == std::string::npos) {
      return false;
    }
    std::size_t k = 0;
    for (; word[k] != '\0'; ++k, ++i) {
      if (i >= l.size() || std::tolower(static_cast<unsigned char>(l[i])) != word[k]) {
        return false;
      }
    }
    i = l.find_first_not_of(" \t", i);
    return i != std::string::npos && l[i] == '(';
  };
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (starts(line, "function") || starts(line, "macro")) {
      in_definition = true;
    } else if (starts(line, "endfunction") || starts(line, "endmacro")) {
      in_definition = false;
    } else if (!in_definition && starts(line, "add_generated_app")) {
      lines.push_back(number);
    }
  }
  return lines;
}

}  // namespace

void locate_declarations(std::vector<PlanEntry>& entries, const fs::path& source_dir) {
  std::map<std::string, std::vector<std::size_t>> by_file;  // file -> entries, in order
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].declared.empty() && !entries[i].declared_in.empty()) {
      by_file[entries[i].declared_in].push_back(i);
    }
  }
  for (const auto& [file, indexes] : by_file) {
    const fs::path path(file);
    std::string shown = path.lexically_relative(source_dir).generic_string();
    if (shown.empty() || shown.rfind("..", 0) == 0) {
      shown = path.generic_string();
    }
    const auto text = read_if_file(path);
    const auto lines = text ? call_lines(*text) : std::vector<std::size_t>{};
    // The n-th call made from a file is its n-th call in the text, when the counts agree;
    // otherwise (loops, wrappers) only the file is named.
    const bool exact = lines.size() == indexes.size();
    for (std::size_t k = 0; k < indexes.size(); ++k) {
      entries[indexes[k]].declared = exact ? shown + ":" + std::to_string(lines[k]) : shown;
    }
  }
}

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
    a.only({"model", "app", "pool", "ports", "project", "extra"});
    const AppKey key = entry_key(a, "app");
    LockEntry e;
    e.pool = a.string("pool");
    e.project = a.string("project");
    e.ports = entry_ports(a);
    e.extra = a.strings_or("extra", {});
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
            "declared", "declared_in"});
    PlanEntry e;
    e.request.key = entry_key(j, "app");
    e.request.pool = j.string_or("pool", "");
    if (j.has("ports")) {
      e.request.pins = entry_ports(j);
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
    e.declared_in = j.string_or("declared_in", "");
    entries.push_back(std::move(e));
  }
  return entries;
}

namespace {

// The lock's entries for the plan's apps, as pins (and project names); refusals in `problems`.
std::vector<BatchOp> apply_lock(const std::vector<PlanEntry>& entries,
                                const std::map<AppKey, LockEntry>& lock, const PlanOptions& options,
                                std::vector<std::string>& problems) {
  std::vector<BatchOp> ops(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const PlanEntry& e = entries[i];
    ops[i].request = e.request;
    auto it = lock.find(e.request.key);
    if (it == lock.end()) {
      if (options.locked) {
        problems.push_back(where(i, e) + ": not in the lock file " + quote(options.lock->string()) +
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
    ops[i].request.extra = locked.extra;  // a locked NodePort stays, and stays pinned
  }
  return ops;
}

// Apps declared twice, two apps with one folder, target or nested folders, and outputs that
// could not be written: everything that would fail after the commit, found before it.
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

// Every app's template (each loaded once) and overlay.
struct Sources {
  std::vector<std::shared_ptr<const Template>> templates;
  std::vector<std::vector<OutputFile>> overlays;
};

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

// What each app's scaffold will write, against the reservations as they will be: every app is
// rendered in memory, so a template or variable error refuses the plan before it commits.
std::vector<std::vector<std::string>> render_outputs(const std::vector<PlanEntry>& entries,
                                                     const Sources& sources,
                                                     const std::vector<ReserveResult>& results,
                                                     bool for_cmake,
                                                     std::vector<std::string>& problems) {
  std::vector<std::vector<std::string>> outputs(entries.size());
  // Whether a file's body renders depends only on which keys the context has, not on their
  // values: bodies are rendered once per template and set of keys, paths for every app.
  std::set<std::string> bodies_checked;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    try {
      const Template& t = *sources.templates[i];
      const auto& r = results[i].reservation;
      const Context context = make_context(r, t, entries[i].vars);
      std::string keys = std::to_string(reinterpret_cast<std::uintptr_t>(&t));
      for (const auto& [key, value] : context) {
        keys += '\0' + key;
      }
      for (const auto* variant : selected_variants(t, entries[i].vars)) {
        keys += '\1' + variant->variable;  // a variant changes the files rendered
      }
      const bool bodies = bodies_checked.insert(keys).second;
      for (const auto& f : render_template(t, context, sources.overlays[i], bodies)) {
        outputs[i].push_back(f.path);
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

// Batch errors say "batch entry N: ..."; say instead which app that is, where it was declared,
// and whether the lock file pinned the port that is held.
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

// A fingerprint of everything the outputs of `berth plan` depend on: the apps as declared,
// the options, the lock file, each template's files (names, contents, modes), each overlay's
// file names, and the reservations as they are. When it matches the one recorded by the last
// run, rendering and writing can be skipped: every output would come out the same.
std::string fingerprint(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                        const Sources& sources, const std::vector<ReserveResult>& results) {
  std::string text = "berth plan 1\n";
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
      add(fs::absolute(t->root).string());
      const auto add_files = [&](const std::vector<TemplateFile>& files) {
        for (const auto& f : files) {
          add(f.path + " " + std::to_string(f.mode) + (f.render ? " r " : " c ") +
              (f.starter ? "s " : "o ") + f.part + " " + std::to_string(fnv1a64(f.content)));
        }
      };
      add_files(t->files);
      for (const auto& [part, files] : t->without) {
        add("without " + part);
        add_files(files);
      }
      for (const auto& [name, variant] : t->variants) {
        add("variant " + name + " " + variant.variable + "=" + variant.value);
        add_files(variant.files);
      }
      for (const auto& folder : t->folders) {
        add(folder.string());
      }
    }
    for (const auto& f : sources.overlays[i]) {
      add(f.path);
    }
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(text)));
  return std::string(hex) + " " + std::to_string(text.size()) + "\n";
}

// "'m' app 2: backend 5003 -> 5007, frontend 8003 -> 8007 (5003 held by 'x' app 1)" per app
// that --relock moved.
std::vector<std::string> relocked(const std::vector<PlanEntry>& entries,
                                  const std::map<AppKey, LockEntry>& lock,
                                  const std::map<std::size_t, std::string>& moved,
                                  const std::vector<ReserveResult>& results) {
  std::vector<std::string> out;
  for (const auto& [i, why] : moved) {
    const LockEntry& was = lock.at(entries[i].request.key);
    std::string line = describe(entries[i].request.key) + ":";
    std::string sep = " ";
    for (const auto& p : results[i].reservation.ports) {
      const auto old = was.ports.find(p.name);
      if (old != was.ports.end() && old->second != p.port) {
        line += sep + p.name + " " + std::to_string(old->second) + " -> " + std::to_string(p.port);
        sep = ", ";
      }
    }
    if (was.project != results[i].reservation.project) {
      line += sep + "name " + quote(was.project) + " -> " + quote(results[i].reservation.project);
    }
    out.push_back(line + " (" + why + ")");
  }
  return out;
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

// Writes the lock, stamps, summary and CMake file of a committed plan, each only if changed.
PlanResult write_results(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                         const std::vector<ReserveResult>& results, const Sources& sources,
                         const std::vector<std::vector<std::string>>& outputs);

}  // namespace

PlanResult run_plan(Store& store, const std::vector<PlanEntry>& entries,
                    const PlanOptions& options) {
  std::vector<std::string> problems;
  std::map<AppKey, LockEntry> lock;
  if (options.lock) {
    std::error_code ec;
    if (fs::exists(*options.lock, ec)) {
      check_writable(*options.lock, "lock file");
      lock = read_lock(*options.lock);
    } else if (options.locked) {
      throw usage_error("lock file " + quote(options.lock->string()) +
                        " does not exist, and a locked configure allocates nothing; configure "
                        "once unlocked to create it");
    }
  }
  std::vector<BatchOp> ops = apply_lock(entries, lock, options, problems);
  check_entries(entries, options, problems);
  const Sources sources = load_sources(entries, problems);
  if (!problems.empty()) {
    refuse(problems);
  }
  // Extra ports the template's variants ask for (a NodePort), beside the lock's.
  for (std::size_t i = 0; i < entries.size(); ++i) {
    for (const auto& pool : extra_pools(*sources.templates[i], entries[i].vars)) {
      auto& extra = ops[i].request.extra;
      if (std::find(extra.begin(), extra.end(), pool) == extra.end()) {
        extra.push_back(pool);
      }
    }
  }
  // --relock: a locked app whose locked port or name another owner holds here is allocated
  // afresh (its own PORTS still pinned); every other app keeps what the lock says.
  std::map<std::size_t, std::string> moved;  // entry -> who held what
  if (options.relock && !lock.empty()) {
    std::map<std::uint16_t, AppKey> port_owner;
    std::map<std::string, AppKey> name_owner;
    for (const auto& r : store.list()) {
      for (const auto& p : r.ports) {
        port_owner[p.port] = r.key;
      }
      name_owner[r.project] = r.key;
    }
    std::map<std::uint16_t, std::string> leased;  // leases hold ports too
    for (const auto& l : store.leases(std::nullopt)) {
      leased[l.port] = "lease " + quote(l.id);
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto it = lock.find(entries[i].request.key);
      if (it == lock.end()) {
        continue;
      }
      std::string why;
      for (const auto& [name, port] : it->second.ports) {
        const auto owner = port_owner.find(port);
        if (owner != port_owner.end() && !(owner->second == entries[i].request.key)) {
          why += (why.empty() ? "" : ", ") + std::to_string(port) + " held by " +
                 describe(owner->second);
        } else if (leased.count(port)) {
          why += (why.empty() ? "" : ", ") + std::to_string(port) + " held by " + leased[port];
        }
      }
      const auto name = name_owner.find(it->second.project);
      if (name != name_owner.end() && !(name->second == entries[i].request.key)) {
        why += (why.empty() ? "" : ", ") + std::string("name ") + quote(it->second.project) +
               " held by " + describe(name->second);
      }
      if (!why.empty()) {
        moved[i] = why;
        ops[i].request.pins = entries[i].request.pins;
        ops[i].request.project = entries[i].request.project;
      }
    }
  }

  // The whole batch in one transaction, committed or not; a refusal names each app. Apps that
  // --relock moves are allocated last, so that no allocation takes a port another app's lock
  // entry pins.
  std::vector<std::size_t> order(entries.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_partition(order.begin(), order.end(),
                        [&](std::size_t i) { return moved.count(i) == 0; });
  std::vector<BatchOp> ordered_ops;
  for (const auto i : order) {
    ordered_ops.push_back(ops[i]);
  }
  const auto reserve_all = [&](bool commit) {
    try {
      const auto got = commit ? store.apply(ordered_ops) : store.preview(ordered_ops);
      std::vector<ReserveResult> results(got.size());
      for (std::size_t k = 0; k < got.size(); ++k) {
        results[order[k]] = got[k];
      }
      return results;
    } catch (const Error& err) {
      throw Error(err.kind(), "configure refused, nothing changed",
                  label(err, entries, lock, options, order));
    }
  };
  std::vector<ReserveResult> planned = reserve_all(false);
  // Nothing changed since the last run (a re-configure): the outputs are as they were.
  std::optional<fs::path> cache;
  std::string print;
  if (options.stamps_dir && options.reuse) {
    cache = *options.stamps_dir / "plan.fingerprint";
    print = fingerprint(entries, options, sources, planned);
    bool fresh = read_if_file(*cache) == print;
    for (const auto& out : {options.cmake_out, options.summary_out}) {
      fresh = fresh && (!out || fs::exists(*out));
    }
    for (std::size_t i = 0; fresh && i < entries.size(); ++i) {
      fresh = fs::exists(*options.stamps_dir / stamp_name(i, entries[i]));
    }
    if (fresh) {
      const std::vector<ReserveResult> results = reserve_all(true);
      if (fingerprint(entries, options, sources, results) == print) {
        PlanResult out;
        out.relocked = relocked(entries, lock, moved, results);
        for (const auto& r : results) {
          out.reservations.push_back(r.reservation);
          out.created += r.created;
        }
        return out;
      }
      planned = results;  // another process changed the store meanwhile: render it as it is
      print.clear();
    }
  }
  const bool for_cmake = options.cmake_out.has_value();
  auto outputs = render_outputs(entries, sources, planned, for_cmake, problems);
  if (!problems.empty()) {
    refuse(problems);
  }
  const std::vector<ReserveResult> results = reserve_all(true);
  bool same = true;
  for (std::size_t i = 0; i < results.size() && same; ++i) {
    same = to_json(results[i].reservation) == to_json(planned[i].reservation);
  }
  if (!same) {
    outputs = render_outputs(entries, sources, results, for_cmake, problems);  // raced: again
  }
  try {
    if (cache) {
      std::error_code ec;
      fs::remove(*cache, ec);  // until the outputs are written
    }
    PlanResult out = write_results(entries, options, results, sources, outputs);
    out.relocked = relocked(entries, lock, moved, results);
    if (cache) {
      // The preview's fingerprint stands unless the store changed between preview and commit.
      write_if_changed(
          *cache, same && !print.empty() ? print : fingerprint(entries, options, sources, results));
    }
    return out;
  } catch (const Error& err) {
    throw Error(err.kind(),
                "the reservations were committed, but writing the results failed: " +
                    std::string(err.what()) + ". Fix it and run again: nothing is reserved twice",
                err.details());
  }
}

namespace {

std::string lock_text(const std::vector<ReserveResult>& results) {
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
    if (!r.extra.empty()) {
      sorted[r.key]["extra"] = r.extra;
    }
  }
  json apps = json::array();
  for (auto& [key, j] : sorted) {
    apps.push_back(std::move(j));
  }
  return json{{"berth_lock", 1}, {"apps", apps}}.dump(2) + "\n";
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

// The CMake code for every app: the build commands (berth build-app, one per chunk of apps,
// with a DEPFILE naming the template and overlay files), a target per app with its
// properties, the configure dependencies and the berth_apps target. Included by the module
// with ${_berth_command} and ${_berth_program_dep} set.
std::string cmake_text(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                       const std::vector<ReserveResult>& results, const Sources& sources) {
  const fs::path stamps = fs::absolute(*options.stamps_dir).lexically_normal();
  const fs::path binary =
      options.binary_dir ? fs::absolute(*options.binary_dir).lexically_normal() : stamps;
  std::string text = "# Written by `berth plan` for the berth CMake module; do not edit.\n";
  const auto target_of = [&](std::size_t i) {
    return entries[i].target.empty() ? "app" + std::to_string(i + 1) : entries[i].target;
  };
  const std::size_t chunk = chunk_size(entries.size());
  for (std::size_t first = 0; first < entries.size(); first += chunk) {
    const std::size_t last = std::min(entries.size(), first + chunk);
    std::string outputs, stamp_args, stamp_deps;
    for (std::size_t i = first; i < last; ++i) {
      outputs += " " + cmake_quote((stamps / (target_of(i) + ".done")).string());
      const std::string stamp = cmake_quote((stamps / stamp_name(i, entries[i])).string());
      stamp_args += " " + stamp;
      stamp_deps += " " + stamp;
    }
    const fs::path depfile = stamps / (target_of(first) + ".d");
    std::string comment = "berth: checking " + target_of(first);
    if (last - first > 1) {
      comment = "berth: checking " + std::to_string(last - first) + " apps, " + target_of(first) +
                " to " + target_of(last - 1);
    }
    text += "add_custom_command(OUTPUT" + outputs + "\n" + "  COMMAND ${_berth_command} build-app" +
            stamp_args + "\n" + "    --depfile " + cmake_quote(depfile.string()) +
            " --depfile-base " + cmake_quote(binary.string()) + "\n" + "  DEPENDS" + stamp_deps +
            " ${_berth_program_dep}\n" + "  DEPFILE " + cmake_quote(depfile.string()) + "\n" +
            "  COMMENT " + cmake_quote(comment) + " VERBATIM)\n";
  }
  std::set<std::string> configure_depends;
  std::string all_targets;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const PlanEntry& e = entries[i];
    const auto& r = results[i].reservation;
    const std::string target = target_of(i);
    const fs::path done = stamps / (target + ".done");
    text += "add_custom_target(" + target + " ALL DEPENDS " + cmake_quote(done.string()) + ")\n";
    std::string ports, port_props;
    for (const auto& p : r.ports) {
      ports += (ports.empty() ? "" : ";") + p.name + "=" + std::to_string(p.port);
      std::string upper = p.name;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      port_props += " BERTH_" + upper + "_PORT " + std::to_string(p.port);
    }
    text += "set_target_properties(" + target + " PROPERTIES BERTH_MODEL " +
            cmake_quote(r.key.model) + " BERTH_APP " + std::to_string(r.key.app) + " BERTH_POOL " +
            cmake_quote(r.pool) + " BERTH_PROJECT_NAME " + cmake_quote(r.project) +
            " BERTH_PORTS " + cmake_quote(ports) + " BERTH_OUTPUT_DIR " + cmake_quote(e.out) +
            port_props + ")\n";
    all_targets += " " + target;
    // Adding or removing a template or overlay file changes the outputs: configure again.
    const Template& t = *sources.templates[i];
    if (const auto manifest = t.manifest()) {
      configure_depends.insert(fs::absolute(*manifest).string());
    }
    for (const auto& folder : t.folders) {
      configure_depends.insert(fs::absolute(folder).string());
    }
    if (!e.overlay.empty()) {
      const fs::path root = fs::absolute(e.overlay);
      configure_depends.insert(root.string());
      for (const auto& f : sources.overlays[i]) {
        configure_depends.insert((root / f.path).parent_path().string());
      }
    }
  }
  std::string depends;
  for (const auto& d : configure_depends) {
    depends += "\n  " + cmake_quote(d);
  }
  text += "set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS" + depends + ")\n";
  text += "if(NOT TARGET berth_apps)\n  add_custom_target(berth_apps DEPENDS" + all_targets +
          ")\nendif()\n";
  return text;
}

PlanResult write_results(const std::vector<PlanEntry>& entries, const PlanOptions& options,
                         const std::vector<ReserveResult>& results, const Sources& sources,
                         const std::vector<std::vector<std::string>>& outputs) {
  PlanResult out;
  json apps = json::array();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& r = results[i].reservation;
    json j = to_json(r);
    j["created"] = results[i].created;
    j["template"] = sources.templates[i]->name;
    j["template_dir"] = fs::absolute(sources.templates[i]->root).lexically_normal().string();
    j["out"] = entries[i].out;
    j["target"] = entries[i].target;
    j["declared"] = entries[i].declared;
    j["outputs"] = outputs[i];
    apps.push_back(j);
    out.created += results[i].created;
    out.reservations.push_back(r);
  }
  out.summary = {{"apps", apps}};

  if (options.lock && !options.locked) {
    out.lock_written = write_if_changed(*options.lock, lock_text(results));
  }
  if (options.stamps_dir) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      // The template's and overlay's file names: adding or removing one changes the stamp, so
      // the app is built again (edits to the files are the depfile's business).
      json files = json::array();
      for (const auto& f : sources.templates[i]->files) {
        files.push_back(f.path);
      }
      json overlay_files = json::array();
      for (const auto& f : sources.overlays[i]) {
        overlay_files.push_back(f.path);
      }
      json stamp = {
          {"reservation", to_json(results[i].reservation)},
          {"template_files", files},
          {"overlay_files", overlay_files},
          {"template", fs::absolute(sources.templates[i]->root).lexically_normal().string()},
          {"vars", json(entries[i].vars)},
          {"overlay", entries[i].overlay},
          {"out", entries[i].out},
          {"label", label_of(entries[i], options)}};
      stamp["reservation"].erase("slot");  // the slot alone does not change the app
      write_if_changed(*options.stamps_dir / stamp_name(i, entries[i]), stamp.dump(2) + "\n");
    }
  }
  if (options.summary_out) {
    write_if_changed(*options.summary_out, out.summary.dump(2) + "\n");
  }
  if (options.binary_dir) {
    write_cluster_kustomization(entries, outputs, fs::absolute(*options.binary_dir) / "apps");
  }
  if (options.cmake_out) {
    write_if_changed(*options.cmake_out, cmake_text(entries, options, results, sources));
  }
  return out;
}

}  // namespace

}  // namespace berth
