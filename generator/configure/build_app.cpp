#include "generator/configure/build_app.hpp"

#include <sys/stat.h>

#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "generator/app/scaffold_app.hpp"
#include "generator/io/fileio.hpp"
#include "generator/io/inputs.hpp"
#include "store/error.hpp"
#include "store/json_read.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A file's modification time in nanoseconds, or nothing when it is missing.
std::optional<long long> mtime_ns(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
}

// Whether `done` is newer than every file in `inputs` (all of which must exist).
bool up_to_date(const std::string& done, const std::vector<std::string>& inputs) {
  const auto done_time = mtime_ns(done);
  if (!done_time) {
    return false;
  }
  for (const auto& input : inputs) {
    const auto t = mtime_ns(input);
    if (!t || *t > *done_time) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      out.push_back(line);
    }
  }
  return out;
}

// Make syntax, as Ninja and CMake's Makefiles read it: spaces, '#' and '\' escaped, '$' doubled.
std::string depfile_escape(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '#' || c == '\\') {
      out += '\\';
    } else if (c == '$') {
      out += '$';
    }
    out += c;
  }
  return out;
}

std::string base_of(const std::string& stamp) {
  const std::string suffix = ".reservation";
  if (stamp.size() <= suffix.size() ||
      stamp.compare(stamp.size() - suffix.size(), suffix.size(), suffix) != 0) {
    throw usage_error("stamp " + quote(stamp) + " is not a <target>.reservation file");
  }
  return stamp.substr(0, stamp.size() - suffix.size());
}

}  // namespace

int build_apps(const fs::path& store_dir, const std::vector<std::string>& stamps,
               const BuildOptions& options) {
  std::error_code ec;
  const std::string program = fs::read_symlink("/proc/self/exe", ec).string();
  std::unique_ptr<Store> store;  // opened once, read-only, when an app needs scaffolding
  std::map<std::string, std::shared_ptr<const Template>> templates;
  std::vector<std::string> all_inputs;
  std::vector<std::pair<AppKey, Use>> uses;  // the folders scaffolded, recorded once at the end
  for (const auto& stamp_path : stamps) {
    const std::string base = base_of(stamp_path);
    const std::string done = base + ".done";
    const std::string inputs_file = base + ".inputs";
    // Up to date: nothing to do for this app.
    if (auto listed = read_if_file(inputs_file)) {
      std::vector<std::string> inputs = lines_of(*listed);
      std::vector<std::string> checked = inputs;
      checked.push_back(stamp_path);
      if (!program.empty()) {
        checked.push_back(program);
      }
      if (up_to_date(done, checked)) {
        all_inputs.insert(all_inputs.end(), inputs.begin(), inputs.end());
        continue;
      }
    }
    // Everything comes from the stamp, never from the command line: model names and values
    // that hold `$`, quotes or backslashes reach berth exactly as declared.
    const json doc = read_json_file(stamp_path);
    const JsonFields stamp(doc, "stamp " + quote(stamp_path));
    const JsonFields r(stamp.object("reservation"), stamp.where() + ": reservation");
    ScaffoldArgs args;
    args.request.key = entry_key(r, "app");
    args.request.pool = r.string("pool");
    args.request.pins = entry_ports(r);
    args.request.extra = r.strings_or("extra", {});
    args.sets = stamp.string_map("vars");
    args.out = stamp.string("out");
    args.overlay = stamp.string("overlay");
    args.expected = stamp.object("reservation");
    const std::string template_dir = stamp.string("template");
    auto& tmpl = templates[template_dir];
    if (!tmpl) {
      tmpl = std::make_shared<const Template>(load_template(template_dir, {}));
    }
    const auto overlay =
        args.overlay.empty() ? std::vector<OutputFile>{} : read_overlay(args.overlay);
    if (!store) {
      StoreOptions store_options;
      store_options.read_only = true;
      store = std::make_unique<Store>(store_dir, store_options);
    }
    std::cout << "berth: scaffolding " << stamp.string_or("label", args.out) << std::endl;
    const ScaffoldOutcome outcome = scaffold_app(*store, *tmpl, overlay, args);
    uses.push_back({args.request.key, {"app", use_path(args.out), 0}});
    for (const auto& [path, why] : outcome.report.kept) {
      std::cerr << "berth: warning: kept " << quote(path) << ": " << why << '\n';
    }
    // What this app was made from: the next run compares `done` with these.
    std::string inputs;
    std::vector<std::string> app_inputs;
    if (const auto manifest = tmpl->manifest()) {
      app_inputs.push_back(fs::absolute(*manifest).string());
    }
    for (const auto& f : tmpl->files) {
      app_inputs.push_back((fs::absolute(tmpl->files_dir) / f.path).string());
    }
    for (const auto& [name, variant] : tmpl->variants) {
      for (const auto& f : variant.files) {
        app_inputs.push_back((fs::absolute(tmpl->root) / "variants" / name / f.path).string());
      }
    }
    for (const auto& [part, files] : tmpl->without) {
      for (const auto& f : files) {
        app_inputs.push_back((fs::absolute(tmpl->root) / "without" / part / f.path).string());
      }
    }
    for (const auto& f : overlay) {
      app_inputs.push_back((fs::absolute(args.overlay) / f.path).string());
    }
    for (const auto& input : app_inputs) {
      inputs += input + "\n";
    }
    write_if_changed(inputs_file, inputs);
    all_inputs.insert(all_inputs.end(), app_inputs.begin(), app_inputs.end());
  }
  if (store) {
    store->record_uses(uses);
  }
  // Every app's `done`, fresh (the build system compares it with the stamps and the depfile).
  std::string targets;
  for (const auto& stamp_path : stamps) {
    const std::string done = base_of(stamp_path) + ".done";
    write_atomic(done, "berth: up to date\n", 0644);
    std::string shown = done;
    if (!options.depfile_base.empty()) {
      shown = fs::path(done).lexically_relative(options.depfile_base).generic_string();
    }
    targets += (targets.empty() ? "" : " ") + depfile_escape(shown);
  }
  if (!options.depfile.empty()) {
    std::sort(all_inputs.begin(), all_inputs.end());
    all_inputs.erase(std::unique(all_inputs.begin(), all_inputs.end()), all_inputs.end());
    std::string text = targets + ":";
    for (const auto& input : all_inputs) {
      text += " \\\n  " + depfile_escape(input);
    }
    write_if_changed(options.depfile, text + "\n");
  }
  return 0;
}

}  // namespace berth
