#include <set>

#include "generator/cli/command.hpp"
#include "generator/template/template.hpp"
#include "store/keys.hpp"

namespace berth {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// One folder found on the template search path.
struct Found {
  std::string name;  // what --template NAME accepts: the folder's name
  fs::path folder;
  std::optional<Template> tmpl;
  std::string error;     // why it cannot be used, when it cannot
  std::string shadowed;  // the folder of the same name found first, if any
};

std::vector<Found> find_templates(const std::vector<fs::path>& search) {
  std::vector<Found> out;
  std::map<std::string, fs::path> first;
  std::set<fs::path> seen_dirs;
  std::error_code ec;
  for (const auto& dir : search) {
    const fs::path canonical = fs::weakly_canonical(dir, ec);
    if (!fs::is_directory(dir, ec) || !seen_dirs.insert(canonical).second) {
      continue;  // missing, or the same folder twice on the path
    }
    std::vector<fs::path> folders;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_directory(ec)) {
        folders.push_back(entry.path());
      }
    }
    std::sort(folders.begin(), folders.end());
    for (const auto& folder : folders) {
      Found f;
      f.name = folder.filename().string();
      f.folder = folder;
      if (auto [it, added] = first.emplace(f.name, folder); !added) {
        f.shadowed = it->second.string();
      }
      try {
        f.tmpl = load_template(folder.string(), {});
      } catch (const Error& e) {
        f.error = e.what();
      }
      out.push_back(std::move(f));
    }
  }
  return out;
}

json variables_json(const Template& t) {
  json vars = json::object();
  for (const auto& [key, var] : t.variables) {
    json v = {{"description", var.description}};
    v["default"] = var.default_value ? json(*var.default_value) : json(nullptr);
    vars[key] = v;
  }
  return vars;
}

}  // namespace

// berth templates
Command add_templates(CLI::App& app, const Options& o) {
  auto* sub = app.add_subcommand(
      "templates", "List the templates berth finds (BERTH_TEMPLATE_PATH, installed, bundled)");
  const auto run = [&o]() -> int {
    const auto search = template_search_path();
    const auto found = find_templates(search);
    if (o.json) {
      json list = json::array();
      for (const auto& f : found) {
        json j = {{"name", f.name}, {"folder", fs::absolute(f.folder).lexically_normal().string()}};
        if (f.tmpl) {
          j["manifest_name"] = f.tmpl->name;
          j["description"] = f.tmpl->description;
          j["bare"] = f.tmpl->bare;
          j["ports"] = f.tmpl->ports;
          j["variables"] = variables_json(*f.tmpl);
          j["files"] = f.tmpl->files.size();
        } else {
          j["error"] = f.error;
        }
        j["shadowed_by"] = f.shadowed.empty() ? json(nullptr) : json(f.shadowed);
        list.push_back(j);
      }
      std::vector<std::string> searched;
      for (const auto& dir : search) {
        searched.push_back(dir.string());
      }
      print_json({{"search_path", searched}, {"templates", list}});
      return 0;
    }
    std::vector<std::vector<std::string>> rows = {{"Name", "Ports", "Variables", "Folder"}};
    for (const auto& f : found) {
      std::string ports = "-";
      std::string vars = "-";
      std::string folder = fs::absolute(f.folder).lexically_normal().string();
      if (f.tmpl) {
        ports = f.tmpl->ports.empty() ? "-" : keys::join(f.tmpl->ports, ",");
        std::vector<std::string> items;
        for (const auto& [key, var] : f.tmpl->variables) {
          items.push_back(var.default_value ? key + "=" + *var.default_value : key);
        }
        vars = items.empty() ? "-" : keys::join(items, " ");
        if (f.tmpl->bare) {
          folder += " (bare: no template.json)";
        }
      } else {
        folder += " (unusable: " + f.error + ")";
      }
      if (!f.shadowed.empty()) {
        folder += " (shadowed by " + f.shadowed + ")";
      }
      rows.push_back({f.name, ports, vars, folder});
    }
    if (found.empty()) {
      std::cout << "no templates found; set BERTH_TEMPLATE_PATH to a folder of templates\n";
    } else {
      print_table(std::cout, rows);
    }
    return 0;
  };
  return {sub, run};
}

// berth template init DIR
Command add_template(CLI::App& app, const Options& o) {
  struct Vars {
    std::string dir, name;
    bool move = false;
  };
  const auto v = std::make_shared<Vars>();
  auto* sub = app.add_subcommand("template", "Work on template folders");
  sub->require_subcommand(1);
  auto* init = sub->add_subcommand(
      "init", "Write a template.json for a bare template folder, listing its ports and variables");
  init->add_option("dir", v->dir, "The template folder")->required();
  init->add_option("--name", v->name, "Template name (default: the folder's name)");
  init->add_flag("--move", v->move, "Also move the files under files/ (the full template layout)");
  const auto run = [&o, v]() -> int {
    const fs::path dir = v->dir;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      throw usage_error(quote(v->dir) + " is not a folder; give the template folder");
    }
    const fs::path manifest = dir / "template.json";
    if (fs::symlink_status(manifest, ec).type() != fs::file_type::not_found) {
      throw usage_error(quote(manifest.string()) +
                        " already exists; this folder is a template already (remove it to "
                        "start again)");
    }
    const fs::path files = dir / "files";
    if (v->move && fs::symlink_status(files, ec).type() != fs::file_type::not_found) {
      throw usage_error(quote(files.string()) +
                        " already exists, so the files cannot move under it; rename it, or "
                        "run without --move (a manifest beside the files works as well)");
    }
    const Template t = load_template(v->dir, {});  // bare: every file, ports and keys found
    const PlaceholderScan scan = scan_placeholders(t.files);
    const std::string name = v->name.empty() ? t.name : v->name;
    if (name.empty()) {
      throw usage_error("--name is empty; give the template a name");
    }
    check_text(name, "--name");
    nlohmann::ordered_json vars = nlohmann::ordered_json::object();
    for (const auto& [key, use] : scan.variables) {
      // No "default": each placeholder's own `{{key|default}}` keeps applying, so the
      // template renders exactly as before; add one to give every use the same value.
      std::string description = "used in " + keys::join(use.files, ", ");
      if (!use.defaults.empty()) {
        description += "; inline defaults: " + keys::join(use.defaults, ", ");
      }
      vars[key] = {{"description", description}};
    }
    std::vector<std::string> binaries;
    std::size_t executables = 0;
    for (const auto& f : t.files) {
      if (f.binary) {
        binaries.push_back(f.path);
      }
      executables += (f.mode & 0100) != 0;
    }
    const nlohmann::ordered_json m = {{"name", name},
                                      {"description", "made by berth template init from " + t.name},
                                      {"ports", scan.ports},
                                      {"variables", vars},
                                      {"render", {"**"}},
                                      {"copy", binaries},
                                      {"starter", json::array()},
                                      {"modes", json::object()}};
    // Write the manifest, then move the files: a manifest beside the files is a working
    // template already, so a move that fails halfway is put back and leaves it usable.
    write_atomic(manifest, m.dump(2) + "\n", 0644);
    std::vector<std::pair<fs::path, fs::path>> moved;
    if (v->move) {
      try {
        fs::create_directory(files);
        std::vector<fs::path> entries;
        for (const auto& entry : fs::directory_iterator(dir)) {
          const std::string leaf = entry.path().filename().string();
          if (leaf != "template.json" && leaf != "files" && leaf != ".git") {
            entries.push_back(entry.path());
          }
        }
        std::sort(entries.begin(), entries.end());
        for (const auto& from : entries) {
          const fs::path to = files / from.filename();
          fs::rename(from, to);
          moved.emplace_back(from, to);
        }
      } catch (const fs::filesystem_error& e) {
        for (auto it = moved.rbegin(); it != moved.rend(); ++it) {
          fs::rename(it->second, it->first, ec);
        }
        fs::remove(files, ec);
        throw runtime_error("cannot move the files under " + quote(files.string()) + ": " +
                            e.code().message() + "; they were put back, and " +
                            quote(manifest.string()) + " works beside them");
      }
    }
    if (o.json) {
      print_json({{"manifest", manifest.string()},
                  {"template", json::parse(m.dump())},
                  {"files", t.files.size()},
                  {"binary", binaries},
                  {"executable", executables},
                  {"moved", v->move}});
    } else {
      std::cout << "wrote " << manifest.string() << ": template " << quote(name) << ", "
                << t.files.size() << " files (" << binaries.size() << " binary, copied verbatim; "
                << executables << " executable)\n"
                << "ports: " << (scan.ports.empty() ? "none" : keys::join(scan.ports, ", "))
                << '\n';
      std::vector<std::string> names;
      for (const auto& [key, use] : scan.variables) {
        names.push_back(key);
      }
      std::cout << "variables: " << (names.empty() ? "none" : keys::join(names, ", ")) << '\n';
      if (v->move) {
        std::cout << "moved " << moved.size() << " entries under " << files.string() << '\n';
      }
      std::cout << "next: add descriptions and defaults, and list model-written files under "
                   "\"starter\" (see the template reference)\n";
    }
    return 0;
  };
  return {init, run};
}

}  // namespace berth
