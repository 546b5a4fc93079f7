#include "generator/configure/build_app.hpp"

#include <sys/stat.h>

#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "generator/app/manifest.hpp"
#include "generator/app/scaffold_app.hpp"
#include "generator/configure/steps.hpp"
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

// A command's stamp file, `<dir>/<first target>.stamp`: {"apps": [...]}, one object per app.
nlohmann::json read_stamp_file(const std::string& path) {
  const std::string suffix = ".stamp";
  if (path.size() <= suffix.size() ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    throw usage_error("stamp " + quote(path) + " is not a <target>.stamp file of berth plan");
  }
  json doc = read_json_file(path);
  const JsonFields fields(doc, "stamp " + quote(path));
  fields.array("apps");
  return doc;
}

}  // namespace

namespace {

// Everything an app's scaffold was made from: the template's manifest and files (with its
// variants and without/ files) and the overlay's files, as absolute paths.
std::vector<std::string> inputs_of(const Template& tmpl, const std::string& overlay_dir,
                                   const std::vector<OutputFile>& overlay) {
  std::vector<std::string> inputs;
  if (const auto manifest = tmpl.manifest()) {
    inputs.push_back(fs::absolute(*manifest).string());
  }
  for (const auto& f : tmpl.files) {
    inputs.push_back((fs::absolute(tmpl.files_dir) / f.path).string());
  }
  for (const auto& [name, variant] : tmpl.variants) {
    for (const auto& f : variant.files) {
      inputs.push_back((fs::absolute(tmpl.root) / "variants" / name / f.path).string());
    }
  }
  for (const auto& [part, files] : tmpl.without) {
    for (const auto& f : files) {
      inputs.push_back((fs::absolute(tmpl.root) / "without" / part / f.path).string());
    }
  }
  for (const auto& f : overlay) {
    inputs.push_back((fs::absolute(overlay_dir) / f.path).string());
  }
  return inputs;
}

// A kept file's reason, with advice that works under `cmake --build` (which has no --force).
std::string build_advice(std::string why) {
  const std::pair<const char*, const char*> advice[] = {
      {"--force overwrites it", "delete it and build again to get the template's version"},
      {"--force removes it", "delete it yourself once you no longer need it"},
      {"--force replaces it", "delete it and build again to get the overlay's version"},
      {"delete it and scaffold again", "delete it and build again"}};
  for (const auto& [cli, cmake] : advice) {
    if (const auto at = why.find(cli); at != std::string::npos) {
      why.replace(at, std::string(cli).size(), cmake);
    }
  }
  return why;
}

// What `berth scaffold` would be asked, from a stamp: everything comes from the stamp, never
// from the command line, so model names and values that hold `$`, quotes or backslashes reach
// berth exactly as declared.
ScaffoldArgs args_of(const JsonFields& stamp) {
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
  return args;
}

// One build-app run: each stamp's app scaffolded unless up to date, then every `done` written.
class Builder {
 public:
  Builder(const fs::path& store_dir, const BuildOptions& options)
      : m_store_dir(store_dir), m_options(options) {
    std::error_code ec;
    m_program = fs::read_symlink("/proc/self/exe", ec).string();
  }

  // The app whose stamp is `app` (from the stamp file `path`), unless it is up to date.
  void app(const json& app, const std::string& path) {
    const JsonFields stamp(app, "stamp " + quote(path));
    const std::string target = stamp.string("target");
    if (!configure::is_target_name(target)) {
      stamp.fail("target " + quote(target) + " is not a target name");
    }
    const std::string base = (fs::path(path).parent_path() / target).string();
    const std::string inputs_file = base + ".inputs";
    m_done.emplace_back(base + ".done", "berth: up to date " + hash_hex(app.dump()) + "\n");
    if (up_to_date_app(m_done.back(), inputs_file)) {
      return;
    }
    const ScaffoldArgs args = args_of(stamp);
    const Template& tmpl = load(stamp.string("template"));
    const auto overlay =
        args.overlay.empty() ? std::vector<OutputFile>{} : read_overlay(args.overlay);
    std::cout << "berth: scaffolding " << stamp.string_or("label", args.out) << std::endl;
    const ScaffoldOutcome outcome = scaffold_app(store(), tmpl, overlay, args);
    m_uses.push_back({args.request.key, {"app", use_path(args.out), 0}});
    for (const auto& [path, why] : outcome.report.kept) {
      std::cerr << "berth: warning: kept " << quote(path) << ": " << build_advice(why) << '\n';
    }
    // What this app was made from: the next run compares `done` with these. The files kept
    // with a warning are inputs too, so that deleting one (the advice) builds the app again.
    std::vector<std::string> inputs = inputs_of(tmpl, args.overlay, overlay);
    for (const auto& [path, why] : outcome.report.kept) {
      inputs.push_back((fs::absolute(args.out) / path).lexically_normal().string());
    }
    std::string text;
    for (const auto& input : inputs) {
      text += input + "\n";
    }
    write_if_changed(inputs_file, text);
    m_all_inputs.insert(m_all_inputs.end(), inputs.begin(), inputs.end());
  }

  // The folders scaffolded, recorded once; every app's `done`, fresh (the build system compares
  // it with the stamps and the depfile); the depfile.
  void finish() {
    if (m_store) {
      m_store->record_uses(m_uses);
    }
    std::vector<std::string> outputs;
    for (const auto& [done, text] : m_done) {
      outputs.push_back(done);
      write_atomic(done, text, 0644);
    }
    if (!m_options.done.empty()) {
      outputs.assign(1, m_options.done);
      write_atomic(m_options.done, "berth: up to date\n", 0644);
    }
    std::string targets;
    for (const auto& done : outputs) {
      std::string shown = done;
      if (!m_options.depfile_base.empty()) {
        shown = fs::path(done).lexically_relative(m_options.depfile_base).generic_string();
      }
      targets += (targets.empty() ? "" : " ") + depfile_escape(shown);
    }
    if (!m_options.depfile.empty()) {
      std::sort(m_all_inputs.begin(), m_all_inputs.end());
      m_all_inputs.erase(std::unique(m_all_inputs.begin(), m_all_inputs.end()), m_all_inputs.end());
      std::string text = targets + ":";
      for (const auto& input : m_all_inputs) {
        text += " \\\n  " + depfile_escape(input);
      }
      write_if_changed(m_options.depfile, text + "\n");
    }
  }

 private:
  // Up to date: `done` records the app's stamp as it is now, and is newer than the program and
  // every input it lists.
  bool up_to_date_app(const std::pair<std::string, std::string>& done,
                      const std::string& inputs_file) {
    const auto listed = read_if_file(inputs_file);
    if (!listed || read_if_file(done.first) != done.second) {
      return false;
    }
    std::vector<std::string> inputs = lines_of(*listed);
    std::vector<std::string> checked = inputs;
    if (!m_program.empty()) {
      checked.push_back(m_program);
    }
    if (!up_to_date(done.first, checked)) {
      return false;
    }
    m_all_inputs.insert(m_all_inputs.end(), inputs.begin(), inputs.end());
    return true;
  }

  const Template& load(const std::string& template_dir) {
    auto& tmpl = m_templates[template_dir];
    if (!tmpl) {
      tmpl = std::make_shared<const Template>(load_template(template_dir, {}));
    }
    return *tmpl;
  }

  // The store, opened once, read-only, when an app needs scaffolding.
  Store& store() {
    if (!m_store) {
      StoreOptions store_options;
      store_options.read_only = true;
      m_store = std::make_unique<Store>(m_store_dir, store_options);
    }
    return *m_store;
  }

  const fs::path& m_store_dir;
  const BuildOptions& m_options;
  std::string m_program;
  std::unique_ptr<Store> m_store;
  std::map<std::string, std::shared_ptr<const Template>> m_templates;
  std::vector<std::string> m_all_inputs;
  std::vector<std::pair<AppKey, Use>> m_uses;
  std::vector<std::pair<std::string, std::string>> m_done;  // each app's `done` and its text
};

}  // namespace

int build_apps(const fs::path& store_dir, const std::vector<std::string>& stamps,
               const BuildOptions& options) {
  Builder builder(store_dir, options);
  bool found = options.app.empty();
  for (const auto& path : stamps) {
    const json doc = read_stamp_file(path);
    for (const auto& app : doc.at("apps")) {
      const bool named = app.is_object() && app.contains("target") && app["target"] == options.app;
      if (options.app.empty() || named) {
        builder.app(app, path);
        found = true;
      }
    }
  }
  if (!found) {
    throw usage_error("--app " + quote(options.app) + ": no app of that target in the stamps");
  }
  builder.finish();
  return 0;
}

}  // namespace berth
